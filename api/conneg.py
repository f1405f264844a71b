"""HTTP content negotiation (RFC 9110 §12.5.1) with python-mimeparse: the formats each kind of answer offers."""

from __future__ import annotations

import mimeparse
import pyoxigraph as ox

# media type -> pyoxigraph format, per result kind. The first entry of each table is the default.
RESULTS_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/xml": ox.RdfFormat.RDF_XML,
    "application/json": ox.RdfFormat.JSON_LD,
}
DATASET_FORMATS: dict[str, ox.RdfFormat] = {
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}

# ``?format=`` shortcuts (for links and browsers that cannot set Accept)
FORMAT_ALIASES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "html": "text/html",
}


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers (ties: the server's order), or None when nothing is acceptable (→ 406).

    python-mimeparse ranks offers by q-value, then by how specifically a range names them; it breaks ties in
    favour of the *last* offer, hence the reversed list. An absent or empty Accept header accepts anything.
    """
    if not offers:
        return None
    if not accept or not accept.strip():
        return offers[0]
    try:
        return mimeparse.best_match(list(reversed(offers)), accept) or None
    except ValueError:  # a range without "/": the header is unusable
        return None


def accept_from_format(fmt: str | None, accept: str | None) -> str | None:
    """``?format=csv`` (or a full media type) overrides the Accept header."""
    if not fmt:
        return accept
    fmt = fmt.strip().lower()
    return FORMAT_ALIASES.get(fmt, fmt if "/" in fmt else accept)


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type (text types carry charset=utf-8)."""
    if media_type.startswith("text/") or media_type in ("application/n-triples", "application/n-quads", "application/trig"):
        return f"{media_type}; charset=utf-8"
    return media_type
