"""A store of its own for the baromètre tests (they write into it): a copy, for the module, of the store the session
builds once from kg/data (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest


@pytest.fixture(scope="module")
def store_dir(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("barometre") / "store"
    shutil.copytree(store_path, path)
    return path


@pytest.fixture(scope="module")
def store(store_dir: Path) -> ox.Store:
    return ox.Store(str(store_dir))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path
