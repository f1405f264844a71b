"""A store of its own for the baromètre tests (they write into it): built once from kg/data for the module."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("barometre") / "store"
    build(path)
    return path


@pytest.fixture(scope="module")
def store(store_dir: Path) -> ox.Store:
    return ox.Store(str(store_dir))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path
