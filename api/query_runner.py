"""Running SPARQL queries in a pool of worker processes that can be killed on timeout.

pyoxigraph has no query timeout, and a thread cannot be stopped. So each query runs in a worker *process*
that holds its own read-only view of the store (``pyoxigraph.Store.read_only``). The worker evaluates the
query and serialises the results with pyoxigraph's own serialisers; the bytes travel back over a pipe.

- Timeout: the event loop never blocks (waiting on the pipe happens in a thread); when the deadline passes,
  the worker is killed (SIGKILL), a fresh one is started in the background, and the request gets 503.
  Other requests keep being served by the other workers.
- Snapshot refresh: a read-only store sees the data as of its opening. Every request carries the pool's
  *generation*; after a write the generation is bumped and a worker reopens its store before its next query.
- Result cap: for anonymous requests the worker buffers the serialisation and gives up past
  ``max_result_bytes`` (403 with a message). Authenticated requests are streamed: the first
  ``stream_threshold`` bytes are buffered (so errors still get a proper status), then chunks are forwarded
  as they come. A timeout in the middle of a stream can only cut the connection.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from api import conneg
from kg.errors import Forbidden, InvalidQuery, NotAcceptable, StoreError, Timeout, Unavailable

log = logging.getLogger("boussole.query")


@dataclass
class QueryRequest:
    query: str
    accept: str | None
    base_iri: str | None
    prefixes: dict[str, str]
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    union_default_graph: bool = True
    cap_bytes: int | None = None
    stream_threshold: int = 1_000_000


@dataclass
class QueryResult:
    status: int
    media_type: str
    body: bytes | None = None
    chunks: AsyncIterator[bytes] | None = None
    kind: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- worker side


class _CapExceeded(Exception):
    pass


class _Out:
    """A binary writer given to pyoxigraph's serialisers: buffers, enforces the cap, streams big outputs."""

    def __init__(self, conn, media_type: str, cap: int | None, threshold: int):
        self.conn, self.media_type, self.cap, self.threshold = conn, media_type, cap, threshold
        self.parts: list[bytes] = []
        self.size = 0
        self.total = 0
        self.streaming = False
        self.cap_exceeded = False

    def write(self, data) -> int:
        n = len(data)
        self.total += n
        if self.cap is not None and self.total > self.cap:
            self.cap_exceeded = True
            raise _CapExceeded()
        self.parts.append(bytes(data))
        self.size += n
        if self.cap is None and self.size >= self.threshold:
            if not self.streaming:
                self.conn.send(("start", self.media_type))
                self.streaming = True
            self.conn.send_bytes(b"".join(self.parts))
            self.parts, self.size = [], 0
        return n

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def finish(self, kind: str) -> None:
        data = b"".join(self.parts)
        if self.streaming:
            if data:
                self.conn.send_bytes(data)
            self.conn.send_bytes(b"")  # end of stream
        else:
            self.conn.send(("done", self.media_type, kind, data))


def _open(path: str):
    from kg.store import read_only_view

    return read_only_view(path)


def _run_query(store, req: QueryRequest, conn) -> None:
    import pyoxigraph as ox

    kwargs: dict = {"base_iri": req.base_iri, "prefixes": req.prefixes}
    if req.default_graph is None and req.named_graphs is None:
        kwargs["use_default_graph_as_union"] = req.union_default_graph
    else:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in (req.default_graph or [])]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in (req.named_graphs or [])]
    try:
        results = store.query(req.query, **kwargs)
    except SyntaxError as exc:
        from kg.querying import syntax_message

        conn.send(("error", InvalidQuery(f"requête mal formée : {syntax_message(req.query, exc)}")))
        return
    except ValueError as exc:
        conn.send(("error", InvalidQuery(f"requête invalide : {exc}")))
        return
    if isinstance(results, (ox.QuerySolutions, ox.QueryBoolean)):
        kind = "boolean" if isinstance(results, ox.QueryBoolean) else "tabular"
        media = conneg.negotiate(req.accept, list(conneg.RESULTS_FORMATS))
        table = conneg.RESULTS_FORMATS
    else:
        kind = "rdf"
        media = conneg.negotiate(req.accept, list(conneg.GRAPH_FORMATS))
        table = conneg.GRAPH_FORMATS
    if media is None:
        offered = ", ".join(m for m in table if not m.startswith(("application/json", "application/xml", "text/xml", "text/plain", "application/x-")))
        conn.send(("error", NotAcceptable(f"aucun format acceptable pour ces résultats ({kind}) ; formats offerts : {offered}")))
        return
    fmt = table[media]
    out = _Out(conn, media, req.cap_bytes, req.stream_threshold)
    try:
        if kind == "rdf" and fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
            ox.serialize(results, out, fmt, prefixes=req.prefixes)
        else:
            results.serialize(out, fmt)
    except BaseException as exc:  # noqa: BLE001 - reported to the client
        if out.cap_exceeded or isinstance(exc, _CapExceeded):
            conn.send(("error", Forbidden(f"le résultat dépasse les {req.cap_bytes} octets permis aux requêtes anonymes ; "
                                          "ajoutez une clause LIMIT (ou utilisez un jeton d'accès)")))
            return
        if out.streaming:
            conn.send_bytes(b"")
            return
        if isinstance(exc, (SyntaxError, ValueError, TypeError)):
            conn.send(("error", InvalidQuery(f"l'évaluation de la requête a échoué : {exc}")))
        else:
            log.error("query evaluation failed: %r", exc)
            conn.send(("error", StoreError("la requête a échoué dans le magasin de triplets ; rien n'a été modifié")))
        return
    out.finish(kind)


def worker_main(conn, store_path: str) -> None:
    """Entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        store = _open(store_path)
    except Exception as exc:  # noqa: BLE001
        conn.send(("fatal", str(exc)))
        return
    generation = 0
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        op, gen, payload = msg
        if op == "stop":
            return
        if gen != generation:
            del store
            store = _open(store_path)
            generation = gen
        try:
            _run_query(store, payload, conn)
        except (OSError, RuntimeError) as exc:
            # the primary may have compacted files away under our snapshot: reopen once and retry
            try:
                store = _open(store_path)
                _run_query(store, payload, conn)
            except Exception as exc2:  # noqa: BLE001
                log.error("store error: %r", exc2 or exc)
                conn.send(("error", StoreError("le magasin de triplets a échoué en répondant à cette requête ; réessayez")))
        except Exception as exc:  # noqa: BLE001 - a bug: logged here, a generic message for the client
            log.exception("query failed", exc_info=exc)
            conn.send(("error", StoreError("la requête a échoué dans le magasin de triplets ; rien n'a été modifié")))


# --------------------------------------------------------------------------------------------- pool side


class _Worker:
    def __init__(self, ctx, store_path: str):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.process = ctx.Process(target=worker_main, args=(child, store_path), daemon=True)
        self.process.start()
        child.close()
        if not parent.poll(60):
            self.kill()
            raise RuntimeError("query worker did not start")
        msg = parent.recv()
        if msg[0] != "ready":
            self.kill()
            raise RuntimeError(f"query worker could not open the store: {msg[1]}")

    def kill(self) -> None:
        try:
            if self.process.is_alive():
                os.kill(self.process.pid, signal.SIGKILL)
            self.process.join(5)
        except (OSError, ValueError):
            pass
        try:
            self.conn.close()
        except OSError:
            pass

    def alive(self) -> bool:
        return self.process.is_alive()


class WorkerPool:
    """A fixed number of query workers; requests wait for a free one (within the same deadline)."""

    def __init__(self, store_path: str, size: int = 2):
        self.store_path = str(store_path)
        self.size = size
        self.generation = 0
        self.ctx = mp.get_context("spawn")
        self.threads = ThreadPoolExecutor(max_workers=size * 2 + 2, thread_name_prefix="boussole-query")
        self.idle: asyncio.Queue[_Worker] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.restarts = 0
        self.timeouts = 0
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.idle = asyncio.Queue()
        workers = await asyncio.gather(*[self.loop.run_in_executor(self.threads, self._spawn) for _ in range(self.size)])
        for w in workers:
            self.idle.put_nowait(w)

    def _spawn(self) -> _Worker:
        w = _Worker(self.ctx, self.store_path)
        with self._lock:
            self._workers.add(w)
        return w

    def _discard(self, w: _Worker) -> None:
        w.kill()
        with self._lock:
            self._workers.discard(w)

    async def _replace(self, w: _Worker) -> None:
        """Kill ``w`` and put a fresh worker in the pool (in the background)."""
        self.restarts += 1
        await self.loop.run_in_executor(self.threads, self._discard, w)
        for attempt in range(5):
            try:
                fresh = await self.loop.run_in_executor(self.threads, self._spawn)
                self.idle.put_nowait(fresh)
                return
            except Exception:  # noqa: BLE001
                await asyncio.sleep(0.5 * (attempt + 1))

    def _release(self, w: _Worker) -> None:
        if w.alive():
            self.idle.put_nowait(w)
        else:
            asyncio.ensure_future(self._replace(w))

    def bump(self) -> None:
        """The store changed: workers reopen their read-only view before their next query."""
        self.generation += 1

    @property
    def alive_workers(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers if w.alive())

    async def close(self) -> None:
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            try:
                w.conn.send(("stop", 0, None))
            except OSError:
                pass
            w.kill()
        self.threads.shutdown(wait=False, cancel_futures=True)

    async def run(self, req: QueryRequest, timeout: float) -> QueryResult:
        deadline = time.monotonic() + timeout
        try:
            worker = await asyncio.wait_for(self.idle.get(), timeout)
        except asyncio.TimeoutError:
            self.timeouts += 1
            raise Unavailable(f"le service est occupé : aucun processus de requête ne s'est libéré en {timeout:g} s ; réessayez plus tard")
        try:
            worker.conn.send(("query", self.generation, req))
        except OSError:
            asyncio.ensure_future(self._replace(worker))
            raise Unavailable("un processus de requête s'est arrêté ; réessayez")
        msg = await self._recv(worker, deadline, timeout)
        tag = msg[0]
        if tag == "done":
            self._release(worker)
            _, media, kind, data = msg
            return QueryResult(200, media, body=data, kind=kind)
        if tag == "error":
            self._release(worker)
            raise msg[1]
        if tag == "start":
            return QueryResult(200, msg[1], chunks=self._stream(worker, deadline, timeout))
        self._release(worker)
        raise StoreError(f"réponse inattendue d'un processus de requête ({tag!r})")

    async def _recv(self, worker: _Worker, deadline: float, timeout: float, raw: bool = False):
        def wait():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not worker.conn.poll(remaining):
                return None
            return worker.conn.recv_bytes() if raw else worker.conn.recv()

        try:
            msg = await self.loop.run_in_executor(self.threads, wait)
        except (EOFError, OSError):
            asyncio.ensure_future(self._replace(worker))
            raise StoreError("le processus de requête s'est arrêté brutalement (mémoire épuisée ?)")
        except asyncio.CancelledError:
            asyncio.ensure_future(self._replace(worker))
            raise
        if msg is None:
            self.timeouts += 1
            asyncio.ensure_future(self._replace(worker))
            raise Timeout(
                f"requête arrêtée : elle a dépassé le délai (timeout) de {timeout:g} s de ce service (ajoutez une clause LIMIT ou restreignez-la)"
            )
        return msg

    async def _stream(self, worker: _Worker, deadline: float, timeout: float) -> AsyncIterator[bytes]:
        state = "running"
        try:
            while True:
                data = await self._recv(worker, deadline, timeout, raw=True)
                if not data:
                    state = "finished"
                    break
                yield data
        except (Timeout, StoreError):
            state = "replaced"  # _recv already replaces the worker
            return
        finally:
            if state == "finished":
                self._release(worker)
            elif state == "running":  # client went away mid-stream: the worker is still writing, kill it
                asyncio.ensure_future(self._replace(worker))
