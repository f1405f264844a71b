"""A remote SPARQL 1.1 store seen through the few ``pyoxigraph.Store`` operations a write job uses.

The review decisions of the pages (:mod:`ingest.review`) and the baromètre imports are written as jobs
``job(store)`` on a pyoxigraph store. Over a remote store (``--remote``), :meth:`api.backends.RemoteBackend.write`
runs the same jobs on a :class:`RemoteStore`: reads are SELECT/ASK queries, ``extend`` is one ``INSERT DATA`` and
``update`` one SPARQL update, each one transaction of the remote store. Terms are serialised by pyoxigraph, never
pasted from input; pre-bound variables go in a ``VALUES`` block (:func:`api.backends.bind_values`).

Synchronous on purpose: a job runs in a worker thread, as on the embedded store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from api.backends import _remote_error, _unreachable, bind_values
from kg.errors import Forbidden, UpstreamError
from kg.querying import data_block

JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


def _prologue(base_iri: str | None, prefixes: dict[str, str] | None) -> str:
    base = f"BASE {ox.NamedNode(base_iri)}\n" if base_iri else ""
    return base + "".join(f"PREFIX {k}: {ox.NamedNode(v)}\n" for k, v in (prefixes or {}).items())


class RemoteStore:
    """``query``, ``quads_for_pattern``, ``extend``, ``update`` and ``flush`` of a pyoxigraph store, answered by
    the query and update endpoints of a remote store with ``client``."""

    def __init__(self, client: httpx.Client, query_url: str, update_url: str | None):
        self.client = client
        self.query_url = query_url
        self.update_url = update_url

    def _send(self, url: str, **kw) -> httpx.Response:
        try:
            resp = self.client.post(url, **kw)
        except httpx.HTTPError as exc:
            raise _unreachable(exc) from exc
        if resp.status_code >= 400:
            raise _remote_error(resp.status_code, resp.text)
        return resp

    def query(self, query: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None,
              use_default_graph_as_union: bool = False, substitutions: dict | None = None):
        """SELECT → ``QuerySolutions``, ASK → ``QueryBoolean``, CONSTRUCT/DESCRIBE → an iterator of triples."""
        params = {"query": _prologue(base_iri, prefixes) + bind_values(query, substitutions or {})}
        if use_default_graph_as_union:
            params["union-default-graph"] = ""
        resp = self._send(self.query_url, content=urlencode(params).encode("utf-8"),
                          headers={"Accept": f"{JSON}, {N_TRIPLES};q=0.9",
                                   "Content-Type": "application/x-www-form-urlencoded"})
        if resp.headers.get("content-type", "").startswith(N_TRIPLES):
            return iter(ox.parse(resp.content, format=ox.RdfFormat.N_TRIPLES))
        return ox.parse_query_results(resp.content, format=ox.QueryResultsFormat.JSON)

    def quads_for_pattern(self, subject=None, predicate=None, object=None, graph_name=None) -> Iterator[ox.Quad]:
        """The quads matching the pattern (``None`` matches anything; ``DefaultGraph()`` is the default graph)."""
        bound = {ox.Variable(n): t for n, t in (("s", subject), ("p", predicate), ("o", object)) if t is not None}
        if isinstance(graph_name, ox.DefaultGraph):
            text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
        elif graph_name is not None:
            text = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
            bound[ox.Variable("g")] = graph_name
        else:
            text = "SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        rows = self.query(text, substitutions=bound)
        if not isinstance(rows, ox.QuerySolutions):
            raise UpstreamError("le magasin distant a répondu par un booléen à une requête SELECT")
        return iter([ox.Quad(r["s"], r["p"], r["o"], r["g"] if r["g"] is not None else ox.DefaultGraph())
                     for r in rows])

    def update(self, update: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None) -> None:
        if not self.update_url:
            raise Forbidden("le magasin distant n'a pas de point de mise à jour configuré")
        self._send(self.update_url, content=(_prologue(base_iri, prefixes) + update).encode("utf-8"),
                   headers={"Content-Type": "application/sparql-update"})

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """All the quads in one ``INSERT DATA`` (one transaction of the remote store)."""
        body = data_block(quads)
        if body:
            self.update(f"INSERT DATA {{ {body} }}")

    def flush(self) -> None:
        """Nothing to do: the remote store made each update durable before it answered."""

