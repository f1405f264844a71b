"""How the pages read the graph: the ``.rq`` files of ``web/queries/``, run on an embedded store or through the
service's ``Backend`` port, and the IRIs ↔ page paths of the resources they show.

User input never enters query text: resource IRIs are checked against a strict pattern and bound as RDF terms
(pyoxigraph ``substitutions``, or the backend's own binding for a remote store).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from kg.iris import base_iri
from kg.querying import run

QUERIES_DIR = Path(__file__).resolve().parent / "queries"

# a path under the base: letters, digits and the few punctuation marks the IRI patterns use
PATH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~\-/]{0,300}$")


class Graph(Protocol):
    """What the pages need of a store: SELECT rows, with some variables bound to RDF terms."""

    def rows(self, text: str, name: str, substitutions: dict[ox.Variable, Any] | None) -> list[dict]: ...

    def read(self, job: Callable[[Any], Any]) -> Any:
        """``job(store)`` on a store offering pyoxigraph's read operations (for the ingest layer's readers)."""
        ...


class StoreGraph:
    """An embedded pyoxigraph store (the union of its graphs is the default graph)."""

    def __init__(self, store: ox.Store):
        self.store = store

    def rows(self, text: str, name: str, substitutions: dict | None) -> list[dict]:
        results = run(self.store, text, name, substitutions)
        names = [v.value for v in results.variables]
        return [{n: row[n] for n in names} for row in results]

    def read(self, job: Callable[[ox.Store], Any]) -> Any:
        return job(self.store)


class BackendGraph:
    """The service's ``Backend`` (embedded or remote), called from a page handler's worker thread."""

    def __init__(self, backend: Any):
        self.backend = backend

    def rows(self, text: str, name: str, substitutions: dict | None) -> list[dict]:
        import anyio.from_thread

        return anyio.from_thread.run(self.backend.select, text, substitutions)

    def read(self, job: Callable[[Any], Any]) -> Any:
        import anyio.from_thread

        return anyio.from_thread.run(self.backend.read, job)


def as_graph(source: ox.Store | Graph) -> Graph:
    return StoreGraph(source) if isinstance(source, ox.Store) else source


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"bad query name {name!r}")
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


def select(source: ox.Store | Graph, name: str, **bindings: ox.NamedNode | ox.Literal) -> list[dict]:
    """Run ``web/queries/<name>.rq``; ``bindings`` are bound as RDF terms (never pasted)."""
    subs = {ox.Variable(k): v for k, v in bindings.items()} or None
    return as_graph(source).rows(query_text(name), f"web/queries/{name}.rq", subs)


def val(term) -> str | None:
    return None if term is None else term.value


def num(term) -> float | None:
    if term is None:
        return None
    try:
        return float(Decimal(term.value))
    except (InvalidOperation, ValueError):
        return None


def integer(term) -> int | None:
    value = num(term)
    return None if value is None else int(value)


def path_of(iri: str) -> str | None:
    """The path under the base of a minted IRI (``engagement/1``), or None."""
    base = base_iri()
    if iri.startswith(base):
        rest = iri[len(base):]
        return rest if PATH_RE.match(rest) else None
    return None


def node_for_path(path: str) -> ox.NamedNode | None:
    """The IRI of ``path`` if it is a well-formed path under the base (strict pattern), else None."""
    if not PATH_RE.match(path or "") or ".." in path or "//" in path:
        return None
    return ox.NamedNode(base_iri() + path)


def fiche_url(iri: str) -> str | None:
    """The page of a resource: its dereferenceable IRI path ``/id/…`` (one rendering per resource)."""
    p = path_of(iri)
    return f"/id/{p}" if p else None


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]
