"""Opening the on-disk store: clear errors, and read-only views that survive a racing writer."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import BoussoleError
from kg.store import open_store, read_only_view


def test_read_only_open_of_a_missing_store_says_to_build(tmp_path: Path) -> None:
    with pytest.raises(BoussoleError, match="run `boussole build"):
        open_store(tmp_path / "nothing", read_only=True)


def test_read_only_view_retries_until_the_store_can_be_opened(tmp_path: Path) -> None:
    """A failed open (here: the store appears 50 ms later) is retried instead of failing at once."""
    path = tmp_path / "store"
    quad = ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("1"))

    def create() -> None:  # complete before it appears, as a view does (an open must not see it half made)
        building = tmp_path / "building"
        store = ox.Store(str(building))
        store.add(quad)
        store.flush()
        del store
        building.rename(path)

    timer = threading.Timer(0.05, create)
    timer.start()
    view = read_only_view(path)
    timer.join()
    assert quad in set(view)


def test_read_only_view_gives_up_with_the_store_error(tmp_path: Path) -> None:
    with pytest.raises((OSError, RuntimeError)):
        read_only_view(tmp_path / "never", attempts=1)
