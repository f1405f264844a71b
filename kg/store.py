"""Opening the embedded pyoxigraph store on disk, with one owner at a time.

pyoxigraph documents opening a store read-only while another process writes it as undefined behaviour. So the
service (``boussole serve``), which keeps a store open for hours, holds a lock on it (a ``flock`` on
``.<name>.lock`` beside it): exclusive when it writes, shared when it only reads. While the service writes a store,
other processes read a *view* of it instead: a checkpoint (``Store.backup``: hard links, made by the service after
each write) in ``.<name>.views/``, a directory nobody writes. A command that writes (``boussole ingest``,
``build``) is refused while the service holds either lock. A command that opens the store read-write holds the
exclusive lock itself until it ends (:func:`release_locks`, called when a command returns; the process's exit
releases it anyway): a service started *during* an ingest is refused with a message saying so.
"""

from __future__ import annotations

import fcntl
import os
import shutil
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
    """Take the owner (``exclusive``) or reader lock of the store at ``path`` for this process until
    :func:`release_lock`; False if another process holds a conflicting lock. A lock already held is kept (and
    upgraded when asked)."""
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


def held_locks() -> set[Path]:
    return set(_held)


def release_locks(keep: set[Path] | None = None) -> None:
    """Release the store locks this process holds (a command has ended), but those in ``keep``."""
    for path in list(_held):
        if path not in (keep or set()):
            release_lock(path)


def written_by_a_command(path: Path | str) -> str | None:
    """Why no service can serve the store at ``path`` now: a command (``boussole ingest``, ``build``) holds it
    to write, and it offers no view (French, for the person who started the service); None when it can."""
    if lock_is_free(path, exclusive=False) or latest_view(path) is not None:
        return None
    return (f"{path} : une commande boussole (ingest ou build) est en train d'écrire ce magasin ; le service ne "
            "peut pas le lire avant la fin de cette commande. Relancez le service quand elle aura fini.")


def lock_is_free(path: Path | str, *, exclusive: bool) -> bool:
    """Whether no other process (a service) holds a lock that conflicts with ``exclusive``; nothing is kept."""
    key = Path(path).resolve()
    if key in _held:
        return True
    try:
        fd = os.open(lock_path(key), os.O_RDONLY)
    except OSError:
        return True  # no lock file: no service has ever owned this store
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # releases the probe's lock


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
            if lock_is_free(path, exclusive=False):
                return read_only_view(path)
            view = latest_view(path)
            if view is None:
                raise BoussoleError(f"{path}: another process is writing this store and offers no view of it yet; "
                                    "retry in a moment")
            return read_only_view(view)
        path.mkdir(parents=True, exist_ok=True)
        if not take_lock(path, exclusive=True):  # held until the command ends: no service starts meanwhile
            raise BoussoleError(f"{path}: another boussole process (`boussole serve`, or an ingest or build) is "
                                "using this store; wait for its end, or send the writes through the service")
        shutil.rmtree(views_dir(path), ignore_errors=True)  # views a killed service left: nobody may read them now
        return ox.Store(str(path))
    except OSError as exc:
        hint = (
            " (is another boussole process using it? use a read-only command or stop it)"
            if "lock" in str(exc).lower()
            else ""
        )
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
