"""Where the data lives: the embedded pyoxigraph store, or a remote SPARQL 1.1 store (query + update + GSP).

Both backends offer the same operations to the web layer. Reads of user queries go through
:class:`api.query_runner.WorkerPool` (embedded) or the remote endpoint; writes go through the main process's
read-write store (embedded) or the remote's update / Graph Store endpoints.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from api import conneg, sparql_scan
from api.query_runner import QueryRequest, QueryResult, WorkerPool
from api.settings import Settings
from kg.errors import (BoussoleError, Forbidden, InvalidQuery, InvalidRequest, NotAcceptable, NotFound, StoreError,
                       Timeout, UpstreamError)
from kg.iris import prefixes, query_prefixes
from kg.store import open_store, read_only_view

log = logging.getLogger("boussole.store")

_END = object()


def _term(value: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if value is None else ox.NamedNode(value)


class Backend:
    """Interface; ``graph`` arguments are IRIs, ``None`` meaning the default graph."""

    kind = "?"
    generation = 0

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def query(self, req: QueryRequest, timeout: float) -> QueryResult:
        raise NotImplementedError

    async def update(self, text: str, using: list[str], using_named: list[str], base_iri: str | None) -> None:
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

    async def count(self, s=None, p=None, o=None) -> int:
        raise NotImplementedError

    async def select(self, query: str, substitutions: dict | None = None) -> list[dict]:
        """An internal (trusted) SELECT over the union default graph; values bound as RDF terms."""
        raise NotImplementedError

    def dump(self, fmt: ox.RdfFormat) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def labels(self, iris: set[str], predicates: list[str]) -> dict[str, str]:
        """The best label of each IRI (first predicate that has one, French preferred)."""
        raise NotImplementedError

    def health(self) -> dict:
        return {}


def bind_values(query: str, substitutions: dict[ox.Variable, ox.Term]) -> str:
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
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    if graph is None:
        return f"INSERT DATA {{\n{body}\n}}"
    return f"INSERT DATA {{ GRAPH {ox.NamedNode(graph)} {{\n{body}\n}} }}"


class EmbeddedBackend(Backend):
    kind = "embedded"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = Path(settings.store_path)
        self.writable = settings.writable
        self.pool = WorkerPool(str(self.path), settings.workers)
        self.store: ox.Store | None = None
        self.write_lock = asyncio.Lock()
        self._store_generation = -1
        self._signature = None
        self._last_check = 0.0
        self._store_lock = threading.Lock()

    @property
    def generation(self) -> int:
        return self.pool.generation

    async def start(self) -> None:
        if self.writable:
            self.store = open_store(self.path)  # read-write, creates the folder if needed
        else:
            if not (self.path / "CURRENT").exists():
                open_store(self.path).flush()  # an empty store, so that read-only opens work
            self.store = open_store(self.path, read_only=True)
        self._store_generation = 0
        self._signature = self._dir_signature()
        await self.pool.start()

    async def close(self) -> None:
        await self.pool.close()
        self.store = None

    def _dir_signature(self):
        try:
            return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.path.iterdir()))
        except OSError:
            return None

    def current_store(self) -> ox.Store:
        """The main process's store; in read-only mode, notice writes made by another process."""
        if not self.writable and time.monotonic() - self._last_check > 1.0:
            self._last_check = time.monotonic()
            sig = self._dir_signature()
            if sig != self._signature:
                self._signature = sig
                self.pool.bump()
        with self._store_lock:
            if not self.writable and self._store_generation != self.pool.generation:
                self.store = read_only_view(self.path)
                self._store_generation = self.pool.generation
            return self.store

    async def _in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.pool.threads, fn, *args)

    async def query(self, req: QueryRequest, timeout: float) -> QueryResult:
        self.current_store()
        return await self.pool.run(req, timeout)

    async def _write(self, fn, *args):
        if not self.writable:
            raise Forbidden("ce service est en lecture seule")
        async with self.write_lock:
            try:
                return await self._in_thread(fn, *args)
            finally:
                self.pool.bump()

    async def write(self, job):
        """Run ``job(store)`` on the read-write store, one writer at a time, then let the query workers reopen."""
        return await self._write(lambda: job(self.store))

    async def update(self, text, using, using_named, base_iri) -> None:
        text = sparql_scan.apply_using(text, using, using_named)

        def run():
            try:
                self.store.update(text, base_iri=base_iri, prefixes=query_prefixes(self.settings.base_iri))
            except SyntaxError as exc:
                raise InvalidQuery(f"mise à jour mal formée : {exc}") from exc
            except OSError as exc:
                log.error("update failed: %r", exc)
                raise StoreError("le magasin de triplets n'a pas pu appliquer la mise à jour ; rien n'a été modifié") from exc
            except Exception as exc:  # noqa: BLE001 - evaluation errors (e.g. CREATE of an existing graph)
                raise InvalidQuery(f"la mise à jour a échoué, rien n'a été modifié : {exc}") from exc

        await self._write(run)

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
        def run():
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
                self.store.update(" ;\n".join(ops))  # one transaction
            return not existed

        return await self._write(run)

    async def delete_graph(self, graph):
        def run():
            if not self._exists(graph):
                return False
            self.store.update("CLEAR DEFAULT" if graph is None else f"DROP GRAPH {ox.NamedNode(graph)}")
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

    async def count(self, s=None, p=None, o=None):
        def run():
            return sum(1 for _ in self.current_store().quads_for_pattern(s, p, o, None))

        return await self._in_thread(run)

    async def select(self, query, substitutions=None):
        def run():
            res = self.current_store().query(
                query,
                use_default_graph_as_union=True,
                substitutions=substitutions,
                prefixes=query_prefixes(self.settings.base_iri),
                base_iri=self.settings.base_iri,
            )
            names = [v.value for v in res.variables]
            return [{n: sol[n] for n in names} for sol in res]

        return await self._in_thread(run)

    async def dump(self, fmt):
        q: queue.Queue = queue.Queue(maxsize=32)
        store = self.current_store()

        class Writer:
            def write(self, data):
                q.put(bytes(data))
                return len(data)

            def flush(self):
                pass

        def run():
            try:
                store.dump(Writer(), format=fmt, prefixes=prefixes(self.settings.base_iri) if fmt == ox.RdfFormat.TRIG else None)
            finally:
                q.put(_END)

        loop = asyncio.get_running_loop()
        loop.run_in_executor(self.pool.threads, run)
        buf: list[bytes] = []
        size = 0
        while True:
            item = await loop.run_in_executor(None, q.get)
            if item is _END:
                break
            buf.append(item)
            size += len(item)
            if size >= 256_000:
                yield b"".join(buf)
                buf, size = [], 0
        if buf:
            yield b"".join(buf)

    async def labels(self, iris, predicates):
        def run():
            store = self.current_store()
            out = {}
            preds = [ox.NamedNode(p) for p in predicates]
            for iri in iris:
                node = ox.NamedNode(iri)
                for pred in preds:
                    lits = [q.object for q in store.quads_for_pattern(node, pred, None, None) if isinstance(q.object, ox.Literal)]
                    if lits:
                        fr = [x for x in lits if x.language == "fr"]
                        out[iri] = (fr or lits)[0].value
                        break
            return out

        return await self._in_thread(run)

    def health(self) -> dict:
        return {
            "backend": "embedded",
            "store": str(self.path),
            "writable": self.writable,
            "workers": self.pool.size,
            "workers_alive": self.pool.alive_workers,
            "generation": self.pool.generation,
            "worker_restarts": self.pool.restarts,
            "query_timeouts": self.pool.timeouts,
        }


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
        self.query_url = settings.remote_query
        self.update_url = settings.remote_update
        self.store_url = settings.remote_store
        self.client: httpx.AsyncClient | None = None
        self.generation = 0
        self.prologue = "".join(f"PREFIX {k}: {ox.NamedNode(v)}\n" for k, v in query_prefixes(settings.base_iri).items())

    async def start(self) -> None:
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(self.settings.timeout, connect=10.0))

    async def close(self) -> None:
        if self.client:
            await self.client.aclose()

    def _with_prologue(self, text: str, base_iri: str | None) -> str:
        # our fixed prologue, then the user's text untouched (its own PREFIX/BASE declarations win)
        base = f"BASE {ox.NamedNode(base_iri)}\n" if base_iri else ""
        return base + self.prologue + text

    async def query(self, req: QueryRequest, timeout: float) -> QueryResult:
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
                "POST", self.query_url, content=urlencode(params).encode("ascii"),
                headers={"Accept": wire, "Content-Type": "application/x-www-form-urlencoded"},
                timeout=httpx.Timeout(timeout, connect=10.0),
            )
            resp = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise Timeout(f"requête arrêtée : le magasin distant n'a pas répondu dans le délai (timeout) de {timeout:g} s")
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
                    raise Forbidden(f"le résultat dépasse les {cap} octets permis aux requêtes anonymes ; ajoutez une clause LIMIT")
                parts.append(chunk)
        except httpx.TimeoutException:
            raise Timeout(f"requête arrêtée : le magasin distant n'a pas fini dans le délai (timeout) de {timeout:g} s")
        finally:
            await resp.aclose()
        return QueryResult(200, media, body=b"".join(parts))

    async def _post(self, url, **kw) -> httpx.Response:
        try:
            return await self.client.request(url=url, **kw)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc

    async def update(self, text, using, using_named, base_iri) -> None:
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
        self.generation += 1
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text)

    def _graph_params(self, graph):
        return {"default": ""} if graph is None else {"graph": graph}

    async def graph_exists(self, graph):
        if graph is None:
            return True
        # not HEAD: Oxigraph 0.5 server answers HEAD on a missing graph with a body, which breaks keep-alive
        resp = await self._post(
            self.query_url, method="POST", content=urlencode({"query": f"ASK {{ GRAPH {ox.NamedNode(graph)} {{ }} }}"}).encode(),
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
        self.generation += 1
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        return resp.status_code == 201

    async def delete_graph(self, graph):
        if not await self.graph_exists(graph):
            return False
        resp = await self._post(self.store_url, method="DELETE", params=self._graph_params(graph))
        self.generation += 1
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
            self.query_url, method="POST", content=urlencode(params).encode(),
            headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
        )
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text, InvalidRequest)
        res = ox.parse_query_results(resp.content, format=ox.QueryResultsFormat.JSON)
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

    async def count(self, s=None, p=None, o=None):
        subs = {ox.Variable(n): t for n, t in (("s", s), ("p", p), ("o", o)) if t is not None}
        rows = await self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", subs)
        return int(rows[0]["n"].value) if rows else 0

    async def labels(self, iris, predicates):
        if not iris:
            return {}
        values = " ".join(str(ox.NamedNode(i)) for i in iris)
        preds = " ".join(f"({ox.NamedNode(p)} {k})" for k, p in enumerate(predicates))
        rows = await self._select(
            f"SELECT ?s ?l ?rank WHERE {{ VALUES ?s {{ {values} }} VALUES (?p ?rank) {{ {preds} }} ?s ?p ?l FILTER(isLiteral(?l)) }}"
        )
        best: dict[str, tuple] = {}
        for r in rows:
            key = (int(r["rank"].value), 0 if r["l"].language == "fr" else 1)
            if r["s"].value not in best or key < best[r["s"].value][0]:
                best[r["s"].value] = (key, r["l"].value)
        return {k: v[1] for k, v in best.items()}

    async def dump(self, fmt):
        try:
            async with self.client.stream("GET", self.store_url, headers={"Accept": fmt.media_type}, timeout=None) as resp:
                if resp.status_code >= 400:
                    raise UpstreamError("le magasin distant a refusé l'export")
                async for chunk in resp.aiter_bytes():
                    yield chunk
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc

    def health(self) -> dict:
        return {"backend": "remote", "query": self.query_url, "update": self.update_url, "store": self.store_url}


def make_backend(settings: Settings) -> Backend:
    if settings.is_remote:
        return RemoteBackend(settings)
    if settings.store_path is None:
        raise BoussoleError("no store path given")
    return EmbeddedBackend(settings)
