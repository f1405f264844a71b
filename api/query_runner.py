"""Running SPARQL queries in a pool of worker processes that can be killed on timeout.

pyoxigraph has no query timeout, and a thread cannot be stopped. So each query runs in a worker *process*
that holds its own read-only view of the store (``pyoxigraph.Store.read_only``). The worker evaluates the
query and serialises the results with pyoxigraph's own serialisers; the bytes travel back over a pipe.

- Timeout: the event loop never blocks (waiting on the pipe happens in a thread); when the deadline passes,
  the worker is killed (SIGKILL), a fresh one is started in the background, and the request gets 503.
  Other requests keep being served by the other workers.
- Snapshot refresh: a worker opens a *view*, a directory nobody writes (a checkpoint made by the store's owner
  after each write, see :mod:`api.store_owner`). Every request names the current view; a worker whose open view
  is older reopens before evaluating.
- Memory: each worker runs under ``RLIMIT_AS`` (``query_memory_mb``); a query that needs more dies alone and its
  client gets 422 with the limit, the worker is replaced.
- CPU: workers run ``nice`` +5 (:data:`WORKER_NICE`): on a busy machine the service process, which answers from
  kept answers, runs the queue and takes the writes, goes before the evaluations.
- Fair share: when more than one client is active, one client holds at most ``per_client_workers`` workers, and
  a freed worker goes to the waiting client that holds the fewest; among those, the request expected to be the
  shortest (from the durations of the same query before), unless another has already waited half its deadline.
  For a minute after one of its queries *ran* into the timeout (evaluated for half of it or more: waiting in the
  queue does not count), a client's queries share all workers but one with other such clients, under a quarter
  of the timeout (only while other clients are active).
- Shared answers: an anonymous request (buffered, at most ``max_result_bytes``) for the very query an anonymous
  request started less than ``share_answers_s`` ago is still evaluating waits for that evaluation and gets its
  answer, instead of taking a second worker (dashboards and many readers ask the same questions). Its answer may
  thus miss writes of the last ``share_answers_s`` + the query's time; token holders always get their own run.
- Kept answers (:mod:`api.answers`): an anonymous answer is served again, with no evaluation, while the store is
  at the data generation it was computed on; once the store changed, for ``answer_max_age_s`` after its
  evaluation started, with ``Age``, while one revalidation per query runs behind every other waiting request;
  past that, up to ``answer_stale_if_error_s`` while no new answer can be had (its revalidation still running,
  or the last evaluation failed), rather than a wait or an error.
  Pages reused the same way (``reusable_call``) name the key their answer depends on.
- Overload: a request that gets a worker with less time left than the same query needed before is answered 503
  at once instead of being started and killed at its deadline (which wastes the worker and its restart).
- Calls: ``call("module:function", args)`` runs ``function(view, *args)`` in a worker under the same deadline
  (the pages that scan the whole graph: dashboard, SHACL validation).
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
import pickle
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol, cast

from tenacity import AsyncRetrying, stop_after_attempt, wait_incrementing

from api import conneg
from api.answers import Answer, Answers
from kg.errors import (
    Forbidden,
    InvalidQuery,
    NotAcceptable,
    ResourceLimit,
    StoreError,
    Timeout,
    TooManyRequests,
    Unavailable,
)

log = logging.getLogger("boussole.query")


HEAVY_S = 60.0  # how long a client whose query hit the timeout is kept off the last free worker
HEAVY_TIMEOUT_SHARE = 4  # and runs its queries with timeout / 4
RECYCLE_AT = 0.6  # share of the memory cap past which a worker is replaced after its query
UNKNOWN_COST_S = 1.0  # expected duration of a query never seen to finish, for the order of the queue
COST_MEMORY = 10_000  # query texts whose last durations are remembered
# niceness of the query workers: the service process (kept answers, /health, writes, the queue itself) goes first
# on a busy machine; an evaluation is the work that can wait (soak: kept answers took 300 ms at p99 while two
# runaway queries held both cores)
WORKER_NICE = 5
# the service could not evaluate now (busy, too slow, a worker lost, over memory): a kept answer may stand in
STALE_IF_ERROR = (Unavailable, Timeout, TooManyRequests, StoreError, ResourceLimit)


@dataclass
class QueryRequest:
    query: str
    accept: str | None
    base_iri: str | None
    prefixes: dict[str, str]
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    union_default_graph: bool = True  # False when the query has its own FROM / FROM NAMED
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


def _die_with_parent() -> None:
    """A worker must not outlive a service killed with -9 (it would finish a runaway query for nobody)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _limit_memory(megabytes: int) -> None:
    """Cap the address space; one malloc arena, so that the threads of a page (anyio's) do not reserve 64 MiB
    of address space each and pass the cap, or the recycling threshold, with nothing allocated."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass
    if megabytes > 0:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _call(store, payload, conn) -> None:
    import importlib

    target, args = payload
    module, _, name = target.partition(":")
    try:
        result = getattr(importlib.import_module(module), name)(store, *args)
    except MemoryError:
        conn.send(("error", ResourceLimit("la page demandait plus de mémoire que permis à une requête")))
        return
    conn.send(("value", result))


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
    except (ValueError, RuntimeError) as exc:  # e.g. "The custom function <…> is not supported": once, 400
        conn.send(("error", InvalidQuery(f"la requête ne peut pas être évaluée : {exc}")))
        return
    if isinstance(results, (ox.QuerySolutions, ox.QueryBoolean)):
        kind = "boolean" if isinstance(results, ox.QueryBoolean) else "tabular"
        media = conneg.negotiate(req.accept, list(conneg.RESULTS_FORMATS))
        table: dict[str, Any] = conneg.RESULTS_FORMATS
    else:
        kind = "rdf"
        media = conneg.negotiate(req.accept, list(conneg.GRAPH_FORMATS))
        table = conneg.GRAPH_FORMATS
    if media is None:
        offered = ", ".join(
            m
            for m in table
            if not m.startswith(("application/json", "application/xml", "text/xml", "text/plain", "application/x-"))
        )
        conn.send(
            (
                "error",
                NotAcceptable(f"aucun format acceptable pour ces résultats ({kind}) ; formats offerts : {offered}"),
            )
        )
        return
    fmt = table[media]
    out = _Out(conn, media, req.cap_bytes, req.stream_threshold)
    try:
        if kind == "rdf" and fmt in (
            ox.RdfFormat.TURTLE,
            ox.RdfFormat.TRIG,
            ox.RdfFormat.JSON_LD,
            ox.RdfFormat.RDF_XML,
        ):
            ox.serialize(results, cast(IO[bytes], out), fmt, prefixes=req.prefixes)
        else:
            results.serialize(out, fmt)
    except BaseException as exc:  # noqa: BLE001 - reported to the client
        if out.cap_exceeded or isinstance(exc, _CapExceeded):
            conn.send(
                (
                    "error",
                    Forbidden(
                        f"le résultat dépasse les {req.cap_bytes} octets permis aux requêtes anonymes ; "
                        "ajoutez une clause LIMIT (ou utilisez un jeton d'accès)"
                    ),
                )
            )
            return
        if out.streaming:
            conn.send_bytes(b"")
            return
        if isinstance(exc, MemoryError):
            conn.send(("error", ResourceLimit("la requête demandait plus de mémoire que permis ; restreignez-la")))
        elif isinstance(exc, (SyntaxError, ValueError, TypeError, RuntimeError)):
            conn.send(("error", InvalidQuery(f"l'évaluation de la requête a échoué : {exc}")))
        else:
            log.error("query evaluation failed: %r", exc)
            conn.send(("error", StoreError("la requête a échoué dans le magasin de triplets ; rien n'a été modifié")))
        return
    out.finish(kind)


def _warm(target: str) -> None:
    import importlib

    module, _, name = target.partition(":")
    try:
        getattr(importlib.import_module(module), name)()
    except Exception:  # the first call will say what is wrong
        log.exception("warming the worker failed")


def worker_main(conn, memory_mb: int = 0, warm: str | None = None) -> None:
    """Entry point of a worker process: evaluate queries and calls on the view each message names. ``warm``
    ("module:function") runs in a thread from the start (imports that its calls need, so that the first call does
    not pay them under its deadline); neither the worker's start nor its first query waits for it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    os.nice(WORKER_NICE)
    _limit_memory(memory_mb)
    store, opened = None, None
    if warm:
        threading.Thread(target=_warm, args=(warm,), daemon=True, name="boussole-warm").start()
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        op, view, payload = msg
        if op == "stop":
            return
        if op == "ping":
            conn.send(("pong",))
            continue
        if view != opened:
            store = None  # close the older view first
            try:
                store = _open(view)
            except Exception as exc:  # noqa: BLE001 - reported to the client
                opened = None
                log.error("view %s cannot be opened: %r", view, exc)
                conn.send(("error", Unavailable("le magasin de triplets ne peut pas être lu ; réessayez")))
                continue
            opened = view
        try:
            if op == "call":
                _call(store, payload, conn)
            else:
                _run_query(store, payload, conn)
        except MemoryError:
            conn.send(("error", ResourceLimit("la requête demandait plus de mémoire que permis ; restreignez-la")))
        except Exception as exc:  # a bug: logged here, a generic message for the client
            log.exception("query failed", exc_info=exc)
            conn.send(("error", StoreError("la requête a échoué dans le magasin de triplets ; rien n'a été modifié")))


# --------------------------------------------------------------------------------------------- pool side


class _Worker:
    def __init__(self, ctx, memory_mb: int, warm: str | None = None):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self.received = 0  # bytes of the last message received (the size of a call's answer)
        self.process = ctx.Process(target=worker_main, args=(child, memory_mb, warm), daemon=True)
        self.process.start()
        child.close()
        if not parent.poll(60):
            self.kill()
            raise RuntimeError("query worker did not start")
        msg = parent.recv()
        if msg[0] != "ready":
            self.kill()
            raise RuntimeError(f"query worker could not start: {msg[1:]}")

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

    def address_space_mb(self) -> float:
        try:
            pages = int(Path(f"/proc/{self.process.pid}/statm").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Generations(Protocol):
    """What the pool needs of the store's owner to tell whether a kept answer is still exact."""

    def data_generation(self) -> int: ...

    def generation_of(self, view: str) -> int: ...


@dataclass
class _Evaluation:
    """One evaluation in a worker, as the queue and the kept answers see it."""

    client: str
    low: bool = False  # a background revalidation: given a worker after every other waiting request
    generation: int = 0  # the data generation of the view it read
    started: float = 0.0  # when it was sent to a worker
    size: int | None = None  # bytes of its answer, when the answer may be kept


@dataclass
class _Shared:
    """An anonymous evaluation other requests for the same query may wait for."""

    task: asyncio.Future
    since: float
    evaluation: _Evaluation
    waiting: int = 0
    background: bool = False  # a revalidation: it runs on when nobody waits for it


Evaluate = Callable[[_Evaluation], Awaitable[Any]]


class WorkerPool:
    """A fixed number of query workers, shared fairly between clients, each request within its deadline.

    ``view`` is a callable giving the directory that workers read (the current snapshot of the store).
    ``generations`` (the store's owner) and ``answers`` turn on the reuse of recent answers (:mod:`api.answers`).
    ``refresh`` is awaited before each evaluation waits for a worker (the owner makes a view of the latest writes):
    an answer served again waits for nothing.
    """

    RECENT_S = 10.0  # a client is "active" for this long after its last request
    REVALIDATOR = "/revalidate"  # the client of background revalidations (internal: not counted as active)

    def __init__(self, view: Callable[[], str], size: int = 2, *, memory_mb: int = 0, per_client: int = 0,
                 share_s: float = 0.0, warm: str | None = None, generations: Generations | None = None,
                 answers: Answers | None = None, refresh: Callable[[], Awaitable[None]] | None = None):
        self.view = view
        self.refresh = refresh
        self.share_s = share_s
        self.generations = generations
        self.answers = answers
        self.evaluating: dict[Any, _Shared] = {}  # query key -> the anonymous evaluation others may join
        self.shared = 0
        self.evaluations = 0  # sent to a worker
        self.size = size
        self.memory_mb = memory_mb
        self.per_client = per_client or max(1, size - 1)
        self.warm = warm
        self.ctx = mp.get_context("spawn")
        self.threads = ThreadPoolExecutor(max_workers=size * 2 + 2, thread_name_prefix="boussole-query")
        self.free: list[_Worker] = []
        self.waiters: deque[tuple[str, asyncio.Future]] = deque()
        # -> (cost, since, deadline, evaluation)
        self.waiting: dict[asyncio.Future, tuple[float, float, float, _Evaluation | None]] = {}
        self.costs: dict[Any, float] = {}  # query key -> its last durations (moving average), when it finished
        self.active: Counter[str] = Counter()
        self.seen: dict[str, float] = {}
        self.heavy: dict[str, float] = {}  # client -> until when: its queries ran into the timeout lately
        self.restarts = 0
        self.timeouts = 0
        self.refused = 0
        self.memory_kills = 0
        self.shed = 0
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        workers = await asyncio.gather(*[loop.run_in_executor(self.threads, self._spawn) for _ in range(self.size)])
        self.free.extend(workers)

    def _spawn(self) -> _Worker:
        w = _Worker(self.ctx, self.memory_mb, self.warm)
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
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.threads, self._discard, w)
        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(5), wait=wait_incrementing(0.5, 0.5),
                                               reraise=True):
                with attempt:
                    fresh = await loop.run_in_executor(self.threads, self._spawn)
        except Exception:  # noqa: BLE001 - /health reports the missing worker
            return
        self.free.append(fresh)
        self._dispatch()

    # ------------------------------------------------------------------ fair share

    def _cap(self, now: float) -> int:
        recent = sum(1 for t in self.seen.values() if now - t < self.RECENT_S)
        return self.per_client if recent > 1 else self.size

    def _dispatch(self) -> None:
        """Give free workers to waiting requests: the client holding the fewest workers first, within its cap;
        background revalidations after every other request."""
        now = time.monotonic()
        cap = self._cap(now)
        while self.free and self.waiters:
            best, best_rank = None, None
            heavy_busy = sum(n for c, n in self.active.items() if self.heavy.get(c, 0) > now)
            for k, (client, fut) in enumerate(self.waiters):
                if fut.done() or self.active[client] >= cap:
                    continue
                if self.heavy.get(client, 0) > now and heavy_busy >= self.size - 1 and self.size > 1:
                    continue  # clients whose queries ran into the timeout share all workers but one
                rank = (self._low(fut), self.active[client], *self._urgency(fut, now))
                if best_rank is None or rank < best_rank:
                    best, best_rank = k, rank
            if best is None:
                return
            client, fut = self.waiters[best]
            del self.waiters[best]
            self.waiting.pop(fut, None)
            self.active[client] += 1
            fut.set_result(self.free.pop())

    def _low(self, fut: asyncio.Future) -> bool:
        evaluation = self.waiting.get(fut, (0.0, 0.0, 0.0, None))[3]
        return evaluation is not None and evaluation.low

    def _urgency(self, fut: asyncio.Future, now: float) -> tuple[int, float]:
        """Among clients holding as many workers: first the requests that waited half their deadline, then the
        shortest expected (a point lookup does not wait behind an aggregation that will take seconds)."""
        cost, since, deadline, _ = self.waiting.get(fut, (UNKNOWN_COST_S, now, now, None))
        return (0 if now - since >= (deadline - since) / 2 else 1), cost

    async def _acquire(self, client: str, timeout: float, key: Any = None,
                       evaluation: _Evaluation | None = None) -> _Worker:
        """A worker for ``client`` within ``timeout``; 503 at once when less time is left than the query ``key``
        needed before (it would be killed at its deadline after holding a worker for nothing)."""
        now = time.monotonic()
        if not client.startswith("/"):  # internal callers ("/health") are no client of their own
            self.seen[client] = now
        if len(self.seen) > 10_000:
            self.seen = {c: t for c, t in self.seen.items() if now - t < self.RECENT_S}
        fut = asyncio.get_running_loop().create_future()
        cost = self.costs.get(key) if key is not None else None
        self.waiters.append((client, fut))
        self.waiting[fut] = (UNKNOWN_COST_S if cost is None else cost, now, now + timeout, evaluation)
        self._dispatch()
        try:
            await asyncio.wait({fut}, timeout=timeout)
        except asyncio.CancelledError:  # the client went away while waiting: give back what it may have got
            self._abandon(client, fut)
            raise
        if fut.done():
            worker = fut.result()
            left = now + timeout - time.monotonic()
            if cost is not None and cost > left:
                self._done(worker, client)
                if client != self.REVALIDATOR:  # a revalidation that cannot run is counted as a failed one
                    self.shed += 1
                raise Unavailable(f"le service est trop chargé pour finir cette requête dans le délai : elle a "
                                  f"duré {cost:.1f} s jusqu'ici, il restait {max(left, 0):.1f} s ; réessayez plus tard")
            return worker
        self._abandon(client, fut)
        internal = client == self.REVALIDATOR  # counted as a failed revalidation, not as a client's error
        self.timeouts += 0 if internal else 1
        if self.active[client] >= self._cap(time.monotonic()) and self.active[client] < self.size:
            self.refused += 0 if internal else 1
            raise TooManyRequests(f"trop de vos requêtes tournent à la fois ({self.active[client]}) ; attendez leur "
                                  "fin, les autres clients ont d'abord leur part", 5)
        raise Unavailable(f"le service est occupé : aucun processus de requête ne s'est libéré en {timeout:g} s ; "
                          "réessayez plus tard")

    def _abandon(self, client: str, fut: asyncio.Future) -> None:
        self.waiting.pop(fut, None)
        if fut.done() and not fut.cancelled():
            self._done(fut.result(), client)
            return
        fut.cancel()
        try:
            self.waiters.remove((client, fut))
        except ValueError:
            pass

    def _done(self, w: _Worker, client: str, *, kill: bool = False) -> None:
        self.active[client] -= 1
        if self.active[client] <= 0:
            del self.active[client]
        if not kill and self.memory_mb and w.address_space_mb() > RECYCLE_AT * self.memory_mb:
            kill = True  # a big query left its heap grown: recycle the worker before a small query hits the cap
        if kill or not w.alive():
            asyncio.ensure_future(self._replace(w))
        else:
            self.free.append(w)
        self._dispatch()

    # ------------------------------------------------------------------ state

    @property
    def alive_workers(self) -> int:
        with self._lock:
            return sum(1 for w in self._workers if w.alive())

    async def close(self) -> None:
        with self._lock:
            workers = list(self._workers)
        for w in workers:
            try:
                w.conn.send(("stop", None, None))
            except OSError:
                pass
            w.kill()
        self.threads.shutdown(wait=False, cancel_futures=True)

    async def ping(self, timeout: float) -> bool:
        """True when a worker answers within ``timeout`` (``/health``)."""
        try:
            worker = await self._acquire("/health", timeout)
        except (Unavailable, TooManyRequests):
            return False
        try:
            worker.conn.send(("ping", None, None))
            msg = await self._recv(worker, time.monotonic() + timeout, timeout, "/health")
        except (Unavailable, Timeout, StoreError, ResourceLimit, OSError):
            return False
        self._done(worker, "/health")
        return msg == ("pong",)

    # ------------------------------------------------------------------ kept answers

    async def _reply(self, key: Any, evaluate: Evaluate, client: str,
                     max_age: float | None) -> tuple[Any, float | None]:
        """An anonymous answer for ``key`` and its age (None when evaluated for this request): a kept answer while
        it is exact or, once the store changed, for ``answers.max_age`` seconds (then revalidated in the
        background), or up to ``answers.stale_if_error`` while no new answer can be had; else the evaluation of the
        same query started less than ``share_s`` ago (or the max age of kept answers, if longer), or a new one.
        ``max_age``: the caller's bound (0: its own evaluation)."""
        kept = self.answers.get(key) if self.answers is not None and max_age != 0 else None
        if kept is not None:
            served = self._kept_answer(key, kept, evaluate, max_age)
            if served is not None:
                return kept.value, served
        now = time.monotonic()
        shared = self.evaluating.get(key)
        # an evaluation started within the staleness a kept answer may have is as good: join it (under overload a
        # revalidation slower than the max age is joined, not doubled by every caller)
        window = self.share_s if self.answers is None else max(self.share_s, self.answers.max_age)
        if max_age is not None:
            window = min(window, max_age)
        if window > 0 and shared is not None and now - shared.since <= window:
            self.shared += 1
            self._hasten(shared)
        else:
            shared = self._start(key, evaluate, _Evaluation(client))
        shared.waiting += 1
        try:
            return await asyncio.shield(shared.task), None
        except asyncio.CancelledError:
            shared.waiting -= 1
            if not shared.waiting and not shared.background:  # every client went away: stop it (worker replaced)
                shared.task.cancel()
            raise
        except STALE_IF_ERROR:
            age = time.monotonic() - kept.started if kept is not None else None
            if kept is None or age is None or age > self._bound(self.answers, max_age, stale=True):
                raise
            self._count_stale(past_max_age=True)
            return kept.value, age

    def _kept_answer(self, key: Any, kept: Answer, evaluate: Evaluate, max_age: float | None) -> float | None:
        """The age at which ``kept`` may be served for ``key`` now (starting its revalidation when due), or None
        when the caller needs an evaluation."""
        answers = self.answers
        assert answers is not None
        now = time.monotonic()
        age = now - kept.started
        if kept.generation == self._generation() and (max_age is None or age <= max_age):
            answers.reused += 1
            return age
        if age <= self._bound(answers, max_age, stale=False):
            self._count_stale(past_max_age=False)
            if age >= answers.revalidate_after and answers.retry_due(key, now):
                self._revalidate(key, evaluate)
            return age
        if age <= self._bound(answers, max_age, stale=True) and (key in self.evaluating or answers.failing(key)):
            # past its max age, and no new answer to be had yet: the old one rather than a wait or an error
            self._count_stale(past_max_age=True)
            if key in self.evaluating:
                self._hasten(self.evaluating[key])
            elif answers.retry_due(key, now):
                self._revalidate(key, evaluate, low=False)
            return age
        if age > answers.stale_if_error:
            answers.drop(key)  # past every bound: of no use to anyone
        return None

    @staticmethod
    def _bound(answers: Answers | None, max_age: float | None, *, stale: bool) -> float:
        """How old a stale answer may be served: the service's max age (or its stale-if-error bound), within the
        caller's own ``max_age``."""
        if answers is None:
            return -1.0
        bound = answers.stale_if_error if stale else answers.max_age
        return bound if max_age is None else min(bound, max_age)

    def _count_stale(self, *, past_max_age: bool) -> None:
        assert self.answers is not None
        self.answers.reused += 1
        self.answers.reused_stale += 1
        self.answers.served_on_error += past_max_age

    def _hasten(self, shared: _Shared) -> None:
        """A revalidation somebody now waits for (or whose answer is past its max age) no longer runs behind
        everyone."""
        if shared.evaluation.low:
            shared.evaluation.low = False
            self._dispatch()

    def _generation(self) -> int:
        return self.generations.data_generation() if self.generations is not None else 0

    def _start(self, key: Any, evaluate: Evaluate, evaluation: _Evaluation, background: bool = False) -> _Shared:
        shared = _Shared(asyncio.ensure_future(self._keep(key, evaluate, evaluation)), time.monotonic(), evaluation,
                         background=background)
        self.evaluating[key] = shared
        shared.task.add_done_callback(lambda _: self._forget(key, shared))
        return shared

    async def _keep(self, key: Any, evaluate: Evaluate, evaluation: _Evaluation) -> Any:
        value = await evaluate(evaluation)
        kept = self.answers.get(key) if self.answers is not None else None
        if kept is not None and kept.started > evaluation.started:
            return value  # an evaluation started later (a caller's no-cache) already left a newer answer
        if self.answers is not None and evaluation.size is not None:
            self.answers.put(key, Answer(value, evaluation.generation, evaluation.started,
                                         evaluation.size + sum(len(p) for p in key if isinstance(p, str))))
        return value

    def _revalidate(self, key: Any, evaluate: Evaluate, low: bool = True) -> None:
        """One background evaluation of ``key`` at a time, behind every other waiting request (unless ``low`` is
        False: the kept answer is past its max age); while none is done, callers get the answer kept before."""
        if key in self.evaluating:  # an evaluation is running: its answer will be kept
            return
        assert self.answers is not None
        self.answers.revalidations += 1
        self._start(key, evaluate, _Evaluation(self.REVALIDATOR, low=low), background=True)

    def _forget(self, key: Any, shared: _Shared) -> None:
        if self.evaluating.get(key) is shared:
            del self.evaluating[key]
        if shared.task.cancelled():
            return
        error = shared.task.exception()  # retrieved: an error nobody waited for is not logged as « never retrieved »
        if self.answers is None:
            return
        if error is None:
            self.answers.succeeded(key)
            return
        self.answers.failed(key, time.monotonic())
        if shared.background:
            self.answers.revalidations_failed += 1
            log.warning("revalidation of a kept answer failed (the old one is served, up to its stale-if-error "
                        "bound): %s", error)

    # ------------------------------------------------------------------ running

    def _send(self, worker: _Worker, op: str, payload: Any, evaluation: _Evaluation) -> None:
        """Hand ``payload`` to ``worker`` with the current view, noting which data generation it will read."""
        view = self.view()
        evaluation.generation = self.generations.generation_of(view) if self.generations is not None else 0
        evaluation.started = time.monotonic()
        try:
            worker.conn.send((op, view, payload))
        except OSError:
            self._done(worker, evaluation.client, kill=True)
            raise Unavailable("un processus de requête s'est arrêté ; réessayez") from None
        self.evaluations += 1

    async def call(self, target: str, args: tuple, timeout: float, client: str = "?") -> Any:
        """``target(view, *args)`` in a worker (``"module:function"``); 503 past the deadline."""
        return await self._call(target, args, timeout, ("call", target, repr(args)), _Evaluation(client))

    async def reusable_call(self, target: str, args: tuple, timeout: float, client: str, key: Hashable,
                            max_age: float | None = None) -> tuple[Any, float | None]:
        """:meth:`call` for an anonymous caller whose answer depends on ``key`` and the store only: a kept answer
        may be served again (:meth:`_reply`); returns the value and its age (None when computed for this call)."""
        full = ("call", target, key)
        return await self._reply(full, lambda ev: self._call(target, args, timeout, full, ev), client, max_age)

    async def _call(self, target: str, args: tuple, timeout: float, key: Any, evaluation: _Evaluation) -> Any:
        if self.refresh is not None:
            await self.refresh()
        client = evaluation.client
        timeout = self._deadline(client, timeout)
        deadline = time.monotonic() + timeout
        worker = await self._acquire(client, timeout, key, evaluation)
        self._send(worker, "call", (target, args), evaluation)
        msg = await self._recv(worker, deadline, timeout, client, started=evaluation.started)
        self._done(worker, client)
        if msg[0] == "value":
            self._learn(key, time.monotonic() - evaluation.started)
            evaluation.size = worker.received
            return msg[1]
        if msg[0] == "error":
            raise msg[1]
        raise StoreError("réponse inattendue d'un processus de requête")

    def _deadline(self, client: str, timeout: float) -> float:
        """While other clients are active, a client whose query ran into the timeout lately gets a quarter of it: it
        burns less of everyone's workers."""
        now = time.monotonic()
        if self.heavy.get(client, 0) > now and self._cap(now) < self.size:
            return timeout / HEAVY_TIMEOUT_SHARE
        return timeout

    def _learn(self, key: Any, seconds: float) -> None:
        """Remember how long the query ``key`` took (a moving average over its last runs)."""
        if len(self.costs) >= COST_MEMORY and key not in self.costs:
            self.costs.pop(next(iter(self.costs)))
        before = self.costs.get(key)
        self.costs[key] = seconds if before is None else 0.7 * before + 0.3 * seconds

    async def run(self, req: QueryRequest, timeout: float, client: str = "?", max_age: float | None = None
                  ) -> QueryResult:
        """``req`` evaluated in a worker; an anonymous request (``req.cap_bytes``) may get a kept or shared answer
        (:meth:`_reply`, ``max_age`` its caller's bound), with an ``Age`` header when it was kept."""
        key = ("query", req.query, req.accept, tuple(req.default_graph or ()), tuple(req.named_graphs or ()),
               req.union_default_graph, req.base_iri, tuple(sorted(req.prefixes.items())), req.cap_bytes)
        if req.cap_bytes is None:  # token holders' answers are their own (and streamed)
            return await self._run(req, timeout, key, _Evaluation(client))
        if self.share_s <= 0 and self.answers is None:
            return await self._run(req, timeout, key, _Evaluation(client))
        result, age = await self._reply(key, lambda ev: self._run(req, timeout, key, ev), client, max_age)
        if age is None:
            return result
        return replace(result, headers={**result.headers, "Age": str(int(age))})

    async def _run(self, req: QueryRequest, timeout: float, key: Any, evaluation: _Evaluation) -> QueryResult:
        if self.refresh is not None:
            await self.refresh()
        client = evaluation.client
        timeout = self._deadline(client, timeout)
        deadline = time.monotonic() + timeout
        worker = await self._acquire(client, timeout, key, evaluation)
        self._send(worker, "query", req, evaluation)
        started = evaluation.started
        msg = await self._recv(worker, deadline, timeout, client, started=started)
        tag = msg[0]
        if tag == "done":
            self._done(worker, client)
            self._learn(key, time.monotonic() - started)
            _, media, kind, data = msg
            evaluation.size = len(data)
            return QueryResult(200, media, body=data, kind=kind)
        if tag == "error":
            self._done(worker, client)
            raise msg[1]
        if tag == "start":
            return QueryResult(200, msg[1], chunks=self._stream(worker, deadline, timeout, client, started))
        self._done(worker, client)
        raise StoreError(f"réponse inattendue d'un processus de requête ({tag!r})")

    async def _recv(self, worker: _Worker, deadline: float, timeout: float, client: str, raw: bool = False,
                    started: float | None = None) -> Any:
        """The worker's next message; on death or timeout the worker is replaced and the error raised. A client is
        marked heavy only when its query ran (``started`` on the worker) for half the timeout or more."""

        def wait() -> Any:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not worker.conn.poll(remaining):
                return None
            data = worker.conn.recv_bytes()
            if raw:
                return data
            worker.received = len(data)
            return pickle.loads(data)  # what Connection.recv does, with the message's size known

        try:
            msg = await asyncio.get_running_loop().run_in_executor(self.threads, wait)
        except (EOFError, OSError):
            worker.process.join(1)
            code = worker.process.exitcode
            self._done(worker, client, kill=True)
            if code in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV) and self.memory_mb:
                self.memory_kills += 1
                raise ResourceLimit(f"requête arrêtée : elle demandait plus que les {self.memory_mb} Mio de "
                                    "mémoire permis à une requête sur ce service (restreignez-la ou ajoutez une "
                                    "clause LIMIT)") from None
            log.error("query worker stopped with exit code %s", code)
            raise StoreError("le processus de requête s'est arrêté brutalement ; réessayez") from None
        except asyncio.CancelledError:
            self._done(worker, client, kill=True)
            raise
        if msg is None:
            self.timeouts += 1
            ran = time.monotonic() - (started if started is not None else deadline - timeout)
            if not client.startswith("/") and ran >= timeout / 2:
                self.heavy[client] = time.monotonic() + HEAVY_S
                if len(self.heavy) > 10_000:
                    self.heavy = {c: t for c, t in self.heavy.items() if t > time.monotonic()}
            self._done(worker, client, kill=True)
            raise Timeout(
                f"requête arrêtée : elle a duré plus que le délai de {timeout:g} s de ce service (ajoutez une clause "
                "LIMIT ou restreignez-la) ; tant que le service est sollicité, les requêtes suivantes d'un client "
                f"dont une requête a dépassé le délai en ont le quart pendant {HEAVY_S:g} s"
            )
        return msg

    async def _stream(self, worker: _Worker, deadline: float, timeout: float, client: str,
                      started: float | None = None) -> AsyncIterator[bytes]:
        state = "running"
        try:
            while True:
                data = await self._recv(worker, deadline, timeout, client, raw=True, started=started)
                if not data:
                    state = "finished"
                    break
                yield data
        except (Timeout, ResourceLimit, StoreError):
            state = "replaced"  # _recv already replaced the worker
            return
        finally:
            if state == "finished":
                self._done(worker, client)
            elif state == "running":  # client went away mid-stream: the worker is still writing, kill it
                self._done(worker, client, kill=True)
