"""The service's one owner of the on-disk store: it alone opens it read-write; query workers read views.

After a write, before the next query is dispatched, the owner makes a checkpoint of the store (``Store.backup``:
a memtable flush and hard links, tens of milliseconds) in ``.<name>.views/<n>``; a burst of writes without reads
between them costs one checkpoint. Workers open the newest view read-only: nobody writes a view, so no process ever
reads files another process is writing (pyoxigraph documents that as undefined behaviour). A view is deleted once it
is older than the newest by more than ``grace`` seconds (the longest a query can still be reading it).

Faults: a write that fails on the disk (disk full…) leaves RocksDB refusing writes until it is reopened; the
owner reopens the store before the next write (retried with tenacity), so the service recovers by itself when
space is back. A store folder that cannot be written starts the service read-only, with the reason in ``/health``.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from pathlib import Path

import pyoxigraph as ox
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from kg.errors import BoussoleError, Unavailable
from kg.store import latest_view, read_only_view, release_lock, take_lock, views_dir, written_by_a_command

log = logging.getLogger("boussole.store")


class StoreOwner:
    def __init__(self, path: Path, *, writable: bool, grace: float):
        self.path = Path(path)
        self.writable = writable
        self.grace = grace
        self.store: ox.Store | None = None
        self.view_path: Path = self.path
        self.generation = 0  # views published
        self.writes = 0  # writes committed since the start: the data generation kept answers are labelled with
        self._view_writes: dict[str, int] = {}  # view -> the writes it holds
        self.warning: str | None = None  # why the service is read-only although it has a token
        self.write_error: str | None = None  # the last write that failed, until a write succeeds
        self.publish_error: str | None = None
        self._needs_reopen = False
        self.stale = False  # written since the last view
        self.settled = True  # the last view was made after the writes' background compaction
        self.last_write = 0.0
        self._superseded: dict[Path, float] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ opening

    def open(self) -> None:
        if self.writable:
            try:
                self._open_owner()
                return
            except (OSError, BoussoleError) as exc:
                self.warning = f"the store cannot be written ({exc}); serving it read-only"
                log.warning(self.warning)
                self.writable = False
                release_lock(self.path)
        if not (self.path / "CURRENT").exists():
            try:
                ox.Store(str(self.path)).flush()  # an empty store, so that read-only opens work
            except OSError as exc:
                raise BoussoleError(f"{self.path}: no store here and none can be created: {exc}") from exc
        if not take_lock(self.path, exclusive=False):
            view = latest_view(self.path)
            if view is None:
                raise BoussoleError(written_by_a_command(self.path) or f"{self.path} : un autre processus écrit ce "
                                    "magasin ; relancez le service quand il aura fini")
            self.warning = f"another process owns the store; serving its view {view.name}"
            self.view_path = view
        self._view_writes[str(self.view_path)] = 0
        self.store = read_only_view(self.view_path)

    def _open_owner(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        if not take_lock(self.path, exclusive=True):
            raise BoussoleError("another process is using this store")
        self.store = ox.Store(str(self.path))
        shutil.rmtree(views_dir(self.path), ignore_errors=True)  # views of an earlier run
        views_dir(self.path).mkdir(exist_ok=True)
        self.publish()

    def close(self) -> None:
        with self._lock:
            self.store = None
        if self.writable:
            shutil.rmtree(views_dir(self.path), ignore_errors=True)
        release_lock(self.path)

    # ------------------------------------------------------------------ views

    def rehearsal_copy(self) -> Path:
        """A writable copy of the store as it is now (a checkpoint in the views' folder: hard links, tens of
        milliseconds), for a query worker to rehearse an update on; the caller deletes it."""
        with self._lock:
            target = views_dir(self.path) / f"rehearsal-{uuid.uuid4().hex}"
            try:
                self._open_store().backup(str(target))
            except OSError:
                shutil.rmtree(target, ignore_errors=True)
                raise
        return target

    def publish(self) -> None:
        """Checkpoint the store as the next view and let readers move to it; old views are removed later."""
        with self._lock:
            target = views_dir(self.path) / f"{self.generation + 1:010d}"
            shutil.rmtree(target, ignore_errors=True)  # a half-made view of a failed attempt
            try:
                self._open_store().backup(str(target))
            except OSError as exc:
                shutil.rmtree(target, ignore_errors=True)
                self.publish_error = f"readers see the data as of an earlier write: {exc}"
                raise
            self.publish_error = None
            self.stale = False
            if self.view_path != self.path:
                self._superseded[self.view_path] = time.monotonic()
            self.view_path = target
            self._view_writes[str(target)] = self.writes
            self.generation += 1
        self._collect()

    def _collect(self) -> None:
        now = time.monotonic()
        for view, since in list(self._superseded.items()):
            if now - since > self.grace:
                shutil.rmtree(view, ignore_errors=True)
                del self._superseded[view]
                self._view_writes.pop(str(view), None)

    def view(self) -> str:
        return str(self.view_path)

    def generation_of(self, view: str) -> int:
        """The data generation ``view`` holds (-1 for a view this owner did not make: never current)."""
        return self._view_writes.get(view, -1)

    def data_generation(self) -> int:
        """The store's data generation now, counting writes that no view shows yet."""
        return self.writes

    def current(self) -> ox.Store:
        with self._lock:
            return self._open_store()

    def _open_store(self) -> ox.Store:
        if self.store is None:  # closed: a request that arrives during shutdown
            raise Unavailable("le magasin de triplets est fermé ; réessayez")
        return self.store

    # ------------------------------------------------------------------ writing

    @retry(retry=retry_if_exception_type(OSError), stop=stop_after_attempt(3),
           wait=wait_exponential(multiplier=0.1, max=1.0), reraise=True)
    def _reopen(self) -> None:
        self.store = None  # close the store that refuses writes before opening it again
        self.store = ox.Store(str(self.path))
        self._needs_reopen = False

    def write(self, job):
        """``job(store)`` on the read-write store; readers see it from the next view. One writer at a time."""
        with self._lock:
            if self._needs_reopen:
                try:
                    self._reopen()
                except OSError as exc:
                    self.write_error = str(exc)
                    raise
            try:
                result = job(self.store)  # committed to the write-ahead log: durable, even after kill -9
            except OSError as exc:
                self._needs_reopen = True
                self.write_error = str(exc)
                raise
            self.write_error = None
            self.writes += 1
            self.stale = True
            self.settled = False
            self.last_write = time.monotonic()
        return result

    def settle(self, quiet: float) -> None:
        """Once no write came for ``quiet`` seconds, make one more view: a view made right after writes holds
        each write's small flushed file, which readers search one by one, until RocksDB's background compaction
        in the owner merges them; the new view has the merged files (writer thread)."""
        if self.settled or time.monotonic() - self.last_write < quiet:
            return
        try:
            self.publish()
            self.settled = True
        except OSError as exc:
            log.warning("no settled view could be made: %s", exc)

    def refresh(self) -> None:
        """Make the view the readers need, if the store was written since the last one (writer thread)."""
        if not self.stale:
            return
        try:
            self.publish()
        except OSError as exc:
            log.warning("the write is stored but no view could be made: %s", exc)

    def probe(self) -> str | None:
        """Why the store cannot be written now (``/health``), or None."""
        if not self.writable:
            return None
        if self.write_error:
            try:
                with self._lock:
                    self._reopen()
                    self._open_store().flush()
                self.write_error = None
            except OSError:
                return f"the last write failed: {self.write_error}"
        if self.publish_error:
            try:
                self.publish()
            except OSError:
                return self.publish_error
        probe = views_dir(self.path) / ".probe"
        try:
            with probe.open("wb") as f:
                f.write(b"\0" * 65536)  # room for at least a small write
            probe.unlink()
        except OSError as exc:
            probe.unlink(missing_ok=True)
            return f"the store folder cannot be written: {exc}"
        return None
