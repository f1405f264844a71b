"""The endpoint's empty-result hint: when a SELECT that compares a literal to a label (or holds a name with a « / »)
answers no row, the response says why it may have found nothing, in the ``Boussole-Indices`` header (a JSON list,
ASCII-escaped). Cheap: the query text is read only when the result is small and buffered, and the result is parsed
only when the text gives a hint."""

from __future__ import annotations

import json

import pyoxigraph as ox

from api import conneg
from kg.querying import empty_result_hints

HEADER = "Boussole-Indices"
MAX_BODY = 4096  # an empty result is a few hundred bytes in every format


def hint_headers(query: str, media_type: str, kind: str, body: bytes | None) -> dict[str, str]:
    """``{HEADER: '["…"]'}`` when the tabular ``body`` has no row and the query text gives hints, else ``{}``."""
    fmt = conneg.RESULTS_FORMATS.get(media_type)
    if kind != "tabular" or body is None or fmt is None or len(body) > MAX_BODY:
        return {}
    hints = empty_result_hints(query)
    if not hints:
        return {}
    try:
        results = ox.parse_query_results(body, fmt)
    except (SyntaxError, ValueError):
        return {}
    if not isinstance(results, ox.QuerySolutions) or next(iter(results), None) is not None:
        return {}
    return {HEADER: json.dumps(hints, ensure_ascii=True)}
