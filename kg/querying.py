"""Running a SPARQL query on a store and serialising its results (shared by the CLI and the tools above kg)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.errors import BoussoleError
from kg.iris import base_iri, prefixes

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}


def read_query(query_or_file: str) -> tuple[str, str]:
    """The query text and a name for error messages: a path to an existing file, or the query itself."""
    path = Path(query_or_file)
    if query_or_file.endswith((".rq", ".sparql")) or (len(query_or_file) < 4096 and "\n" not in query_or_file and path.is_file()):
        if not path.is_file():
            raise BoussoleError(f"{query_or_file}: no such query file")
        return path.read_text(encoding="utf-8"), str(path)
    return query_or_file, "query"


def run(store: ox.Store, text: str, name: str = "query", substitutions: dict | None = None):
    """Execute ``text`` over the union of the store's graphs; syntax errors name the query and the position."""
    try:
        return store.query(text, use_default_graph_as_union=True, prefixes=prefixes(),
                           substitutions=substitutions)
    except SyntaxError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise BoussoleError(f"{name}: invalid SPARQL: {first_line}") from exc
    except OSError as exc:
        raise BoussoleError(f"{name}: the store failed to answer: {exc}") from exc


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    """A term as an analyst reads it in a table: IRIs under the base shortened to ``id:…``."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        base = base_iri()
        return "id:" + term.value[len(base):] if term.value.startswith(base) else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value
