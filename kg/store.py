"""Opening the embedded pyoxigraph store on disk, with one owner at a time.

pyoxigraph documents opening a store read-only while another process writes it as undefined behaviour. So a
process that writes a store first takes an exclusive lock on it (a ``flock`` on ``.<name>.lock`` beside it) and
holds it while the store is open; readers of a store that has a writing owner open a *view* instead: a checkpoint
(``Store.backup``: hard links, made by the owner after each write) in ``.<name>.views/``, a directory nobody
writes. A reader of a store without owner takes a shared lock, which keeps writers out while it reads.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pyoxigraph as ox
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from kg.errors import BoussoleError

DEFAULT_STORE = Path("var/store")

_held: dict[Path, tuple[int, bool]] = {}  # store path -> (lock fd, exclusive), for this process


def lock_path(path: Path | str) -> Path:
    path = Path(path).resolve()
    return path.parent / f".{path.name}.lock"


def views_dir(path: Path | str) -> Path:
    path = Path(path).resolve()
    return path.parent / f".{path.name}.views"


def take_lock(path: Path | str, *, exclusive: bool) -> bool:
    """Take the owner (``exclusive``) or reader lock of the store at ``path`` for this process; False if another
    process holds a conflicting lock. A lock this process already holds is kept (and upgraded when asked)."""
    key = Path(path).resolve()
    held = _held.get(key)
    if held is not None and (held[1] or not exclusive):
        return True
    if held is not None:
        fd = held[0]
    else:
        try:
            fd = os.open(lock_path(key), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            try:
                fd = os.open(lock_path(key), os.O_RDONLY)
            except OSError:
                return True  # a read-only folder without lock file: nobody can write there either
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        if held is None:
            os.close(fd)
        return False
    _held[key] = (fd, exclusive)
    return True


def release_lock(path: Path | str) -> None:
    held = _held.pop(Path(path).resolve(), None)
    if held is not None:
        os.close(held[0])  # closing the descriptor releases the flock


def latest_view(path: Path | str) -> Path | None:
    """The newest checkpoint its owner made of the store at ``path``, if any."""
    folder = views_dir(path)
    try:
        names = sorted(p.name for p in folder.iterdir() if p.name.isdigit() and (p / "CURRENT").exists())
    except OSError:
        return None
    return folder / names[-1] if names else None


def open_store(path: Path | str = DEFAULT_STORE, *, read_only: bool = False, create: bool = True) -> ox.Store:
    """Open the on-disk store at ``path``.

    Read-write: this process becomes the owner (refused while another process reads or writes it). Read-only:
    while another process owns the store (e.g. ``boussole serve`` with a write token), its latest view is read.
    """
    path = Path(path)
    if read_only or not create:
        if not (path / "CURRENT").exists():
            raise BoussoleError(f"{path}: no store here; run `boussole build --store {path}` first")
    try:
        if read_only:
            if take_lock(path, exclusive=False):
                return read_only_view(path)
            view = latest_view(path)
            if view is None:
                raise BoussoleError(f"{path}: another process is writing this store and offers no view of it yet; "
                                    "retry in a moment")
            return read_only_view(view)
        path.mkdir(parents=True, exist_ok=True)
        if not take_lock(path, exclusive=True):
            raise BoussoleError(f"{path}: another process (a `boussole serve`?) is using this store; stop it, or send "
                                "the writes through the server")
        return ox.Store(str(path))
    except OSError as exc:
        hint = " (is another boussole process using it? use a read-only command or stop it)" if "lock" in str(exc).lower() else ""
        raise BoussoleError(f"{path}: cannot open the store: {exc}{hint}") from exc


def read_only_view(path: Path | str, attempts: int = 6) -> ox.Store:
    """A read-only store at ``path`` (a view, or a store nobody writes), retried briefly if it is being created."""
    return retry(
        retry=retry_if_exception_type((RuntimeError, OSError)),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.02, max=0.4),
        reraise=True,
    )(ox.Store.read_only)(str(path))


def is_empty(store: ox.Store) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, None)), None) is None
