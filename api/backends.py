"""Where the data lives: the embedded pyoxigraph store, or a remote SPARQL 1.1 store (query + update + GSP).

Both backends offer the same operations to the web layer. Reads of user queries go through
:class:`api.query_runner.WorkerPool` (embedded) or the remote endpoint; writes go through the main process's
read-write store (embedded) or the remote's update / Graph Store endpoints.
"""

from __future__ import annotations

import asyncio
import io
import logging
import queue
import shutil
import threading
import typing
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from api import conneg, sparql_scan
from api.answers import Answers
from api.query_runner import QueryRequest, QueryResult, WorkerPool
from api.settings import Settings
from api.store_owner import StoreOwner
from kg.errors import (
    BoussoleError,
    DiskFull,
    Forbidden,
    InvalidQuery,
    InvalidRequest,
    NotAcceptable,
    NotFound,
    NotSupported,
    ResourceLimit,
    Timeout,
    Unavailable,
    UpstreamError,
)
from kg.iris import prefixes, query_prefixes
from kg.querying import apply_update

log = logging.getLogger("boussole.store")

_END = object()
SETTLE_S = 3.0  # seconds without writes after which the readers get a view with the writes compacted


def _term(value: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if value is None else ox.NamedNode(value)


class Backend:
    """Interface; ``graph`` arguments are IRIs, ``None`` meaning the default graph."""

    kind = "?"

    @property
    def generation(self) -> int:
        """A number that changes with every write, so that the pages know when what they computed is stale."""
        return 0

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def query(self, req: QueryRequest, timeout: float, client: str = "?",
                    max_age: float | None = None) -> QueryResult:
        """``max_age``: the age of a kept answer an anonymous caller accepts (:func:`api.answers.requested_max_age`;
        the embedded store only: a remote store evaluates every query)."""
        raise NotImplementedError

    async def update(self, text: str, using: list[str], using_named: list[str], base_iri: str | None,
                     client: str = "?") -> None:
        """``client``: who sends it (the peer address), whose fair share of query workers a rehearsal uses."""
        raise NotImplementedError

    async def graph_exists(self, graph: str | None) -> bool:
        raise NotImplementedError

    async def get_graph(self, graph: str | None, fmt: ox.RdfFormat) -> bytes:
        raise NotImplementedError

    async def write_graph(self, graph: str | None, triples: list[ox.Triple], replace: bool) -> bool:
        """PUT (replace) or POST (merge); returns True when the graph did not exist before."""
        raise NotImplementedError

    async def delete_graph(self, graph: str | None) -> bool:
        raise NotImplementedError

    async def quads(self, s=None, p=None, o=None, limit: int | None = None) -> list[ox.Quad]:
        raise NotImplementedError

    async def select(self, query: str, substitutions: dict | None = None) -> list[dict]:
        """An internal (trusted) SELECT over the union default graph; values bound as RDF terms."""
        raise NotImplementedError

    def dump(self, fmt: ox.RdfFormat) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def labels(self, iris: set[str], predicates: list[str]) -> dict[str, str]:
        """The best label of each IRI (first predicate that has one, French preferred)."""
        raise NotImplementedError

    async def write(self, job):
        """Run ``job(store)`` on a read-write store (pyoxigraph's operations), one writer at a time."""
        raise NotImplementedError

    async def read(self, job):
        """Run ``job(store)`` in a thread on a store offering pyoxigraph's read operations."""
        raise NotImplementedError

    def health(self) -> dict:
        return {}

    async def check(self, timeout: float) -> list[str]:
        """What is wrong now, for ``/health`` (empty when all is well)."""
        return []

    def dump_slots_free(self) -> bool:
        return True


def bind_values(query: str, substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """``query`` with its variables pre-bound by a ``VALUES`` block opening the query's first group.

    For protocols without pyoxigraph's substitutions. The block goes right after the first ``{`` token (the
    WHERE group, whatever the keyword's case or whether it is written); terms are serialised by pyoxigraph.
    """
    if not substitutions:
        return query
    brace = next((t for t in sparql_scan.tokenize(query) if t.kind == "punct" and t.value == "{"), None)
    if brace is None:
        raise BoussoleError("internal query without a group pattern: nothing to bind")
    names = " ".join(str(v) for v in substitutions)
    values = " ".join(str(t) for t in substitutions.values())
    return f"{query[:brace.end]} VALUES ({names}) {{ ({values}) }} {query[brace.end:]}"


def _insert_data(graph: str | None, triples: list[ox.Triple]) -> str:
    """``INSERT DATA`` of parsed, validated terms (serialised by pyoxigraph, never pasted text)."""
    body = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    if graph is None:
        return f"INSERT DATA {{\n{body}\n}}"
    return f"INSERT DATA {{ GRAPH {ox.NamedNode(graph)} {{\n{body}\n}} }}"


class EmbeddedBackend(Backend):
    kind = "embedded"

    def __init__(self, settings: Settings):
        self.settings = settings
        if settings.store_path is None:
            raise BoussoleError("no store path given")
        self.path = Path(settings.store_path)
        self.owner = StoreOwner(self.path, writable=settings.writable, grace=settings.timeout + 5)
        self.pool = WorkerPool(self.owner.view, settings.workers, memory_mb=settings.query_memory_mb,
                               per_client=settings.per_client_workers, share_s=settings.share_answers_s,
                               warm="api.worker_calls:warm", generations=self.owner, refresh=self._fresh_view,
                               answers=Answers(
                                   settings.answer_max_age_s, settings.answers_memory_mb * 2**20,
                                   revalidate_after=settings.answer_revalidate_after_s,
                                   stale_if_error=settings.answer_stale_if_error_s)
                               if settings.answer_max_age_s > 0 and settings.answers_memory_mb > 0 else None)
        self.write_lock = asyncio.Lock()
        self.rehearsals = 0  # updates with a WHERE rehearsed in a worker before the owner ran them
        self.dumps = asyncio.Semaphore(settings.max_dumps)
        # the main process's own reads (pages, Graph Store GET, dumps) get threads of their own: a slow reader
        # never takes a thread the query pool needs to wait on its workers
        self.writer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boussole-write")
        self.readers = ThreadPoolExecutor(max_workers=max(4, settings.workers * 2) + settings.max_dumps,
                                          thread_name_prefix="boussole-read")

    @property
    def writable(self) -> bool:
        return self.owner.writable

    @property
    def generation(self) -> int:
        return self.owner.generation

    async def start(self) -> None:
        await asyncio.to_thread(self.owner.open)
        await self.pool.start()
        if self.owner.writable:
            self._settler = asyncio.ensure_future(self._settle_views())

    async def _settle_views(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SETTLE_S)
            if not self.owner.settled and not self.write_lock.locked():
                await loop.run_in_executor(self.writer_thread, self.owner.settle, SETTLE_S)

    async def close(self) -> None:
        if getattr(self, "_settler", None) is not None:
            self._settler.cancel()
        await self.pool.close()
        self.readers.shutdown(wait=False, cancel_futures=True)
        self.owner.close()

    def current_store(self) -> ox.Store:
        """The main process's store: the owner's read-write store, or the read-only store it serves."""
        return self.owner.current()

    def dump_slots_free(self) -> bool:
        return not self.dumps.locked()

    async def call(self, target: str, args: tuple = (), client: str = "?"):
        """``target(view, *args)`` in a query worker, under the endpoint's timeout (pages that scan the graph)."""
        return await self.pool.call("api.worker_calls:under_base", (self.settings.base_iri, target, args),
                                    self.settings.timeout, client)

    async def reusable_call(self, target: str, args: tuple, client: str, key, max_age: float | None = None):
        """:meth:`call` for an anonymous caller, whose answer depends on ``key`` and the store only: the answer
        kept for ``key`` may be served again (:mod:`api.answers`). Returns the value and its age (None: fresh)."""
        return await self.pool.reusable_call("api.worker_calls:under_base", (self.settings.base_iri, target, args),
                                             self.settings.timeout, client, (target, key), max_age)

    async def _in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.readers, fn, *args)

    async def _fresh_view(self) -> None:
        if self.owner.stale:  # written since the last view: make one first, so that a client reads its writes
            await asyncio.get_running_loop().run_in_executor(self.writer_thread, self.owner.refresh)

    async def query(self, req: QueryRequest, timeout: float, client: str = "?",
                    max_age: float | None = None) -> QueryResult:
        return await self.pool.run(req, timeout, client, max_age)  # the pool makes a fresh view before evaluating

    async def _write(self, fn):
        """``fn(store)`` by the owner, one writer at a time; the workers read the new view from their next query."""
        self._check_writable()
        async with self.write_lock:
            return await self._owner_writes(fn)

    def _check_writable(self) -> None:
        if not self.writable:
            why = f" : {self.owner.warning}" if self.owner.warning else ""
            raise Forbidden(f"ce service est en lecture seule{why}")

    async def _owner_writes(self, fn):
        """``fn(store)`` in the owner's writer thread (the caller holds ``write_lock``)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self.writer_thread, self.owner.write, fn)
        except OSError as exc:
            log.error("write failed on the disk: %r", exc)
            raise DiskFull(f"l'écriture a échoué sur le disque, rien n'a été modifié : {exc}") from exc

    async def write(self, job):
        """Run ``job(store)`` on the read-write store, one writer at a time, then publish a new view."""
        return await self._write(job)

    async def read(self, job):
        return await self._in_thread(job, self.current_store())

    async def update(self, text, using, using_named, base_iri, client="?") -> None:
        """An update by the owner. One that reads the store (a ``WHERE``) is first rehearsed under the timeout and
        the memory cap, in a query worker, on a writable copy of the store as it is now: pyoxigraph cannot stop an
        update once the owner runs it, so only one that finished there is run (:meth:`_rehearse`)."""
        text = sparql_scan.apply_using(text, using, using_named)
        prefixes = query_prefixes(self.settings.base_iri)

        def run(store):
            apply_update(store, text, base_iri, prefixes)

        if not await asyncio.to_thread(sparql_scan.reads_the_store, text):
            await self._write(run)
            return
        self._check_writable()
        async with self.write_lock:
            await self._rehearse(text, base_iri, prefixes, client)
            await self._owner_writes(run)

    async def _rehearse(self, text: str, base_iri: str | None, prefixes: dict[str, str], client: str) -> None:
        """The rehearsal is the sender's query: its fair share, and its own timeout record (a runaway update
        shortens that client's next deadlines, not every token holder's)."""
        loop = asyncio.get_running_loop()
        try:
            copy = await loop.run_in_executor(self.writer_thread, self.owner.rehearsal_copy)
        except OSError as exc:
            raise DiskFull(f"pas de place pour préparer la mise à jour, rien n'a été modifié : {exc}") from exc
        self.rehearsals += 1
        try:
            failure = await self.pool.call("api.worker_calls:rehearse_update", (str(copy), text, base_iri, prefixes),
                                           self.settings.timeout, client)
        except Timeout:
            raise Timeout(f"cette mise à jour lit le magasin plus longtemps que le délai de "
                          f"{self.settings.timeout:g} s de ce service : elle a été arrêtée avant d'être appliquée, "
                          "rien n'a été modifié ; restreignez son WHERE") from None
        except ResourceLimit:
            raise ResourceLimit(f"cette mise à jour demande plus que les {self.settings.query_memory_mb} Mio "
                                "permis à une requête : elle a été arrêtée avant d'être appliquée, rien n'a été "
                                "modifié ; restreignez son WHERE") from None
        finally:
            await asyncio.to_thread(shutil.rmtree, copy, True)
        if failure is not None:
            raise InvalidQuery(failure)

    def _exists(self, graph: str | None) -> bool:
        return True if graph is None else self.current_store().contains_named_graph(ox.NamedNode(graph))

    async def graph_exists(self, graph):
        return await self._in_thread(self._exists, graph)

    async def get_graph(self, graph, fmt):
        def run():
            store = self.current_store()
            triples = (q.triple for q in store.quads_for_pattern(None, None, None, _term(graph)))
            return ox.serialize(triples, format=fmt, prefixes=prefixes(self.settings.base_iri))

        return await self._in_thread(run)

    async def write_graph(self, graph, triples, replace):
        def run(store):
            existed = self._exists(graph)
            target = "DEFAULT" if graph is None else f"GRAPH {ox.NamedNode(graph)}"
            ops = []
            if replace:
                ops.append(f"DROP SILENT {target}")
            if graph is not None:
                ops.append(f"CREATE SILENT GRAPH {ox.NamedNode(graph)}")
            if triples:
                ops.append(_insert_data(graph, triples))
            if ops:
                store.update(" ;\n".join(ops))  # one transaction
            return not existed

        return await self._write(run)

    async def delete_graph(self, graph):
        def run(store):
            if not self._exists(graph):
                return False
            store.update("CLEAR DEFAULT" if graph is None else f"DROP GRAPH {ox.NamedNode(graph)}")
            return True

        return await self._write(run)

    async def quads(self, s=None, p=None, o=None, limit=None):
        def run():
            out = []
            for q in self.current_store().quads_for_pattern(s, p, o, None):
                out.append(q)
                if limit is not None and len(out) >= limit:
                    break
            return out

        return await self._in_thread(run)

    async def select(self, query, substitutions=None):
        """In a query worker, under the timeout: statistics and coherence questions scan the whole graph."""
        return await self.call("api.worker_calls:select_rows", (query, substitutions, query_prefixes(
            self.settings.base_iri), self.settings.base_iri), "/select")

    async def dump(self, fmt):
        """Stream a dump; a client that stops reading (or goes away) stops the producer instead of blocking it."""
        async with self.dumps:
            q: queue.Queue = queue.Queue(maxsize=32)
            stop = threading.Event()
            store = self.current_store()
            stall = self.settings.timeout

            class Writer(io.BufferedIOBase, typing.BinaryIO):
                """A write-only binary stream (what ``Store.dump`` takes): each chunk goes to the response's queue."""

                def writable(self) -> bool:
                    return True

                def write(self, data):
                    chunk = bytes(data)
                    while not stop.is_set():
                        try:
                            q.put(chunk, timeout=0.5)
                            return len(data)
                        except queue.Full:
                            continue
                    raise BrokenPipeError("the client stopped reading the dump")

                def flush(self):
                    pass

            def run():
                try:
                    store.dump(Writer(), format=fmt,
                               prefixes=prefixes(self.settings.base_iri) if fmt == ox.RdfFormat.TRIG else None)
                except BrokenPipeError:
                    pass
                finally:
                    while not stop.is_set():
                        try:
                            q.put(_END, timeout=0.5)
                            break
                        except queue.Full:
                            continue

            loop = asyncio.get_running_loop()
            producer = loop.run_in_executor(self.readers, run)
            buf: list[bytes] = []
            size = 0
            try:
                while True:
                    try:
                        item = await asyncio.to_thread(q.get, True, stall)
                    except queue.Empty:
                        return  # the producer stalled: end the stream rather than hold the connection
                    if item is _END:
                        break
                    buf.append(item)
                    size += len(item)
                    if size >= 256_000:
                        yield b"".join(buf)
                        buf, size = [], 0
                if buf:
                    yield b"".join(buf)
            finally:
                stop.set()  # the consumer is gone (finished, aborted or timed out): the producer ends
                await asyncio.wait({producer}, timeout=stall)

    async def labels(self, iris, predicates):
        def run():
            store = self.current_store()
            out = {}
            preds = [ox.NamedNode(p) for p in predicates]
            for iri in iris:
                node = ox.NamedNode(iri)
                for pred in preds:
                    lits = [
                        q.object
                        for q in store.quads_for_pattern(node, pred, None, None)
                        if isinstance(q.object, ox.Literal)
                    ]
                    if lits:
                        fr = [x for x in lits if x.language == "fr"]
                        out[iri] = (fr or lits)[0].value
                        break
            return out

        return await self._in_thread(run)

    def health(self) -> dict:
        info = {
            "backend": "embedded",
            "store": str(self.path),
            "writable": self.writable,
            "view": self.owner.generation,
            "workers": self.pool.size,
            "workers_alive": self.pool.alive_workers,
            "worker_restarts": self.pool.restarts,
            "query_timeouts": self.pool.timeouts,
            "queries_refused_fair_share": self.pool.refused,
            "queries_over_memory": self.pool.memory_kills,
            "queries_shed_under_load": self.pool.shed,
            "updates_rehearsed": self.rehearsals,
            "answers_shared": self.pool.shared,
            "evaluations": self.pool.evaluations,
        }
        answers = self.pool.answers
        if answers is not None:
            info.update({"answers_reused": answers.reused, "answers_reused_stale": answers.reused_stale,
                         "answer_revalidations": answers.revalidations,
                         "answer_revalidations_failed": answers.revalidations_failed,
                         "answers_served_on_error": answers.served_on_error,
                         "answers_kept": len(answers), "answers_kept_bytes": answers.bytes,
                         "answers_evicted": answers.evicted})
        if self.owner.warning:
            info["warning"] = self.owner.warning
        return info

    async def check(self, timeout: float) -> list[str]:
        """What is wrong now (``/health``): a worker, the writer or the reader threads stuck, the store unwritable."""
        problems = []
        loop = asyncio.get_running_loop()
        if not await self.pool.ping(timeout):
            problems.append(f"no query worker answered within {timeout:g} s")
        for name, executor in (("reader threads", self.readers), ("shared threads", None)):
            try:
                await asyncio.wait_for(loop.run_in_executor(executor, lambda: None), timeout)
            except asyncio.TimeoutError:
                problems.append(f"the {name} did not answer within {timeout:g} s")
        if self.writable:
            try:
                why = await asyncio.wait_for(loop.run_in_executor(self.writer_thread, self.owner.probe), timeout)
            except asyncio.TimeoutError:
                why = f"the writer did not answer within {timeout:g} s (a write is stuck)"
            if why:
                problems.append(why)
        return problems


def _remote_error(status: int, body: str, refused: type[BoussoleError] = InvalidQuery) -> BoussoleError:
    """The remote store's error answer as a domain error: its own message when it refuses the request (400, the
    parser's position), a generic one (the body logged) when it fails."""
    if status == 400:
        return refused(f"le magasin distant refuse la requête : {body.strip()[:2000]}")
    if status == 406:
        return NotAcceptable("le magasin distant n'offre pas ce format")
    log.error("remote store answered %s: %s", status, body.strip()[:2000])
    return UpstreamError(f"le magasin distant a répondu par une erreur (statut {status})")


def _unreachable(exc: Exception) -> UpstreamError:
    log.error("remote store unreachable: %r", exc)
    return UpstreamError("le magasin distant est injoignable")


class RemoteBackend(Backend):
    """A remote SPARQL 1.1 store (Oxigraph server, Virtuoso, QLever, GraphDB…)."""

    kind = "remote"

    def __init__(self, settings: Settings):
        self.settings = settings
        if not settings.remote_query:
            raise BoussoleError("a remote store needs its query URL (remote = \"http://host:7878\")")
        self.query_url: str = settings.remote_query
        self.update_url = settings.remote_update
        self._store_url = settings.remote_store
        self._client: httpx.AsyncClient | None = None
        self._writes = 0  # writes sent through this backend: its generation
        self.write_lock = asyncio.Lock()
        self._sync_client: httpx.Client | None = None
        self.prologue = "".join(
            f"PREFIX {k}: {ox.NamedNode(v)}\n" for k, v in query_prefixes(settings.base_iri).items()
        )

    @property
    def generation(self) -> int:
        return self._writes

    @property
    def store_url(self) -> str:
        if not self._store_url:
            raise NotSupported("le magasin distant n'a pas de point Graph Store configuré")
        return self._store_url

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise Unavailable("le service démarre : le client du magasin distant n'est pas prêt")
        return self._client

    @property
    def sync_client(self) -> httpx.Client:
        if self._sync_client is None:
            raise Unavailable("le service démarre : le client du magasin distant n'est pas prêt")
        return self._sync_client

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.settings.timeout, connect=10.0))
        # the write jobs and the ingest layer's readers are synchronous code, run in threads
        self._sync_client = httpx.Client(timeout=httpx.Timeout(self.settings.timeout, connect=10.0))

    async def close(self) -> None:
        if self._client:
            await self._client.aclose()
        if self._sync_client:
            self._sync_client.close()

    def _with_prologue(self, text: str, base_iri: str | None) -> str:
        # our fixed prologue, then the user's text untouched (its own PREFIX/BASE declarations win)
        base = f"BASE {ox.NamedNode(base_iri)}\n" if base_iri else ""
        return base + self.prologue + text

    async def query(self, req: QueryRequest, timeout: float, client: str = "?",
                    max_age: float | None = None) -> QueryResult:
        form = sparql_scan.query_form(req.query)
        table = conneg.GRAPH_FORMATS if form in ("CONSTRUCT", "DESCRIBE") else conneg.RESULTS_FORMATS
        media = conneg.negotiate(req.accept, list(table))
        if media is None:
            raise NotAcceptable("aucun format acceptable pour ces résultats")
        wire = table[media].media_type
        params: list[tuple[str, str]] = [("query", self._with_prologue(req.query, req.base_iri))]
        params += [("default-graph-uri", g) for g in req.default_graph or []]
        params += [("named-graph-uri", g) for g in req.named_graphs or []]
        if req.default_graph is None and req.named_graphs is None and self.settings.remote_union_default_graph:
            params.append(("union-default-graph", ""))
        try:
            request = self.client.build_request(
                "POST",
                self.query_url,
                content=urlencode(params).encode("ascii"),
                headers={"Accept": wire, "Content-Type": "application/x-www-form-urlencoded"},
                timeout=httpx.Timeout(timeout, connect=10.0),
            )
            resp = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise Timeout(
                f"requête arrêtée : le magasin distant n'a pas répondu dans le délai (timeout) de {timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if resp.status_code >= 400:
            body = (await resp.aread()).decode("utf-8", "replace")
            await resp.aclose()
            raise _remote_error(resp.status_code, body)
        cap = req.cap_bytes
        if cap is None:

            async def chunks():
                try:
                    async for chunk in resp.aiter_bytes():
                        yield chunk
                except httpx.HTTPError:
                    return
                finally:
                    await resp.aclose()

            return QueryResult(200, media, chunks=chunks())
        parts, total = [], 0
        try:
            async for chunk in resp.aiter_bytes():
                total += len(chunk)
                if total > cap:
                    raise Forbidden(
                        f"le résultat dépasse les {cap} octets permis aux requêtes anonymes ; ajoutez une clause LIMIT"
                    )
                parts.append(chunk)
        except httpx.TimeoutException:
            raise Timeout(
                f"requête arrêtée : le magasin distant n'a pas fini dans le délai (timeout) de {timeout:g} s"
            ) from None
        finally:
            await resp.aclose()
        return QueryResult(200, media, body=b"".join(parts))

    async def _post(self, url, **kw) -> httpx.Response:
        try:
            return await self.client.request(url=url, **kw)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc

    async def update(self, text, using, using_named, base_iri, client="?") -> None:
        if not self.update_url:
            raise Forbidden("le magasin distant n'a pas de point de mise à jour configuré")
        # refuse USING/WITH conflicts here too, then let the remote apply the protocol parameters
        sparql_scan.apply_using(text, using, using_named)
        params = [("using-graph-uri", g) for g in using] + [("using-named-graph-uri", g) for g in using_named]
        resp = await self._post(
            self.update_url,
            method="POST",
            params=params,
            content=self._with_prologue(text, base_iri).encode("utf-8"),
            headers={"Content-Type": "application/sparql-update"},
        )
        self._writes += 1
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text)

    async def write(self, job):
        """Run ``job(store)`` in a thread on a :class:`api.remote_store.RemoteStore`, one writer at a time: each of
        its updates is one transaction of the remote store; readers see them at once."""
        from api.remote_store import RemoteStore

        if not self.update_url:
            raise Forbidden("le magasin distant n'a pas de point de mise à jour configuré")
        async with self.write_lock:
            try:
                return await asyncio.to_thread(job, RemoteStore(self.sync_client, self.query_url, self.update_url))
            finally:
                self._writes += 1

    async def read(self, job):
        from api.remote_store import RemoteStore

        return await asyncio.to_thread(job, RemoteStore(self.sync_client, self.query_url, None))

    def _graph_params(self, graph):
        return {"default": ""} if graph is None else {"graph": graph}

    async def graph_exists(self, graph):
        if graph is None:
            return True
        # not HEAD: Oxigraph 0.5 server answers HEAD on a missing graph with a body, which breaks keep-alive
        resp = await self._post(
            self.query_url,
            method="POST",
            content=urlencode({"query": f"ASK {{ GRAPH {ox.NamedNode(graph)} {{ }} }}"}).encode(),
            headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
        )
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        return bool(ox.parse_query_results(resp.content, format=ox.QueryResultsFormat.JSON))

    async def get_graph(self, graph, fmt):
        resp = await self._post(
            self.store_url, method="GET", params=self._graph_params(graph), headers={"Accept": fmt.media_type}
        )
        if resp.status_code == 404:
            raise NotFound("ce graphe n'existe pas")
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        return resp.content

    async def write_graph(self, graph, triples, replace):
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        resp = await self._post(
            self.store_url,
            method="PUT" if replace else "POST",
            params=self._graph_params(graph),
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )
        self._writes += 1
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        return resp.status_code == 201

    async def delete_graph(self, graph):
        if not await self.graph_exists(graph):
            return False
        resp = await self._post(self.store_url, method="DELETE", params=self._graph_params(graph))
        self._writes += 1
        if resp.status_code == 404:
            return False
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        return True

    async def _select(self, query: str) -> list[dict]:
        params = {"query": self.prologue + query}
        if self.settings.remote_union_default_graph:
            params["union-default-graph"] = ""
        resp = await self._post(
            self.query_url,
            method="POST",
            content=urlencode(params).encode(),
            headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
        )
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        res = ox.parse_query_results(resp.content, format=ox.QueryResultsFormat.JSON)
        if not isinstance(res, ox.QuerySolutions):
            raise UpstreamError("le magasin distant a répondu par un booléen à une requête SELECT")
        names = [v.value for v in res.variables]
        return [{n: sol[n] for n in names} for sol in res]

    async def select(self, query, substitutions=None):
        # the remote protocol has no substitutions: bind the (validated) terms with VALUES, in front of the query
        return await self._select(bind_values(query, substitutions or {}))

    async def quads(self, s=None, p=None, o=None, limit=None):
        subs = {}
        for name, term in (("s", s), ("p", p), ("o", o)):
            if term is not None:
                subs[ox.Variable(name)] = term
        q = "SELECT ?s ?p ?o ?g WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
        if limit:
            q += f" LIMIT {int(limit) * 2}"
        rows = await self.select(q, subs)
        seen: dict[tuple, ox.Quad] = {}
        for r in rows:
            key = (r["s"], r["p"], r["o"])
            g = r.get("g")
            if key not in seen or g is not None:
                seen[key] = ox.Quad(r["s"], r["p"], r["o"], g if g is not None else ox.DefaultGraph())
        out = list(seen.values())
        return out[:limit] if limit else out

    async def labels(self, iris, predicates):
        if not iris:
            return {}
        values = " ".join(str(ox.NamedNode(i)) for i in iris)
        preds = " ".join(f"({ox.NamedNode(p)} {k})" for k, p in enumerate(predicates))
        rows = await self._select(
            "SELECT ?s ?l ?rank WHERE "
            f"{{ VALUES ?s {{ {values} }} VALUES (?p ?rank) {{ {preds} }} ?s ?p ?l FILTER(isLiteral(?l)) }}"
        )
        best: dict[str, tuple] = {}
        for r in rows:
            key = (int(r["rank"].value), 0 if r["l"].language == "fr" else 1)
            if r["s"].value not in best or key < best[r["s"].value][0]:
                best[r["s"].value] = (key, r["l"].value)
        return {k: v[1] for k, v in best.items()}

    async def dump(self, fmt):
        try:
            async with self.client.stream(
                "GET", self.store_url, headers={"Accept": fmt.media_type}, timeout=None
            ) as resp:
                if resp.status_code >= 400:
                    raise UpstreamError("le magasin distant a refusé l'export")
                async for chunk in resp.aiter_bytes():
                    yield chunk
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc

    def health(self) -> dict:
        return {"backend": "remote", "query": self.query_url, "update": self.update_url, "store": self._store_url}


def make_backend(settings: Settings) -> Backend:
    if settings.is_remote:
        return RemoteBackend(settings)
    if settings.store_path is None:
        raise BoussoleError("no store path given")
    return EmbeddedBackend(settings)
