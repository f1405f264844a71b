"""Opening the embedded pyoxigraph store on disk."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BoussoleError

DEFAULT_STORE = Path("var/store")


def open_store(path: Path | str = DEFAULT_STORE, *, read_only: bool = False, create: bool = True) -> ox.Store:
    """Open the on-disk store at ``path``.

    A read-only open lets several processes read a store that another process writes
    (e.g. ``boussole query`` while ``boussole serve`` runs).
    """
    path = Path(path)
    if read_only or not create:
        if not (path / "CURRENT").exists():
            raise BoussoleError(f"{path}: no store here; run `boussole build --store {path}` first")
    try:
        if read_only:
            return read_only_view(path)
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except OSError as exc:
        hint = (
            " (is another boussole process using it? use a read-only command or stop it)"
            if "lock" in str(exc).lower()
            else ""
        )
        raise BoussoleError(f"{path}: cannot open the store: {exc}{hint}") from exc


def read_only_view(path: Path | str, retries: tuple[float, ...] = (0.02, 0.04, 0.08, 0.16, 0.32)) -> ox.Store:
    """A read-only view of a store that another process may be writing.

    Opening races with the writer's flushes and compactions: RocksDB can delete a file listed in the manifest it
    has just read ("Corruption: … No such file"). Such a failed open is retried after a short pause.
    """
    for pause in retries:
        try:
            return ox.Store.read_only(str(path))
        except (RuntimeError, OSError):
            time.sleep(pause)
    return ox.Store.read_only(str(path))


def is_empty(store: ox.Store) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, None)), None) is None
