"""Shared fixtures: one real on-disk store built from the repository's sources for the whole session."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import BuildReport, build

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    """The store ``boussole build`` makes from kg/data, on disk (built once per test session)."""
    path = tmp_path_factory.mktemp("store") / "store"
    report = build(path)
    return path, report


@pytest.fixture(scope="session")
def store_path(built: tuple[Path, BuildReport]) -> Path:
    return built[0]


@pytest.fixture(scope="session")
def graph_store(store_path: Path) -> ox.Store:
    """A read-only view of the built store, for tests that only query."""
    return ox.Store.read_only(str(store_path))
