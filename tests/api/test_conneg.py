"""Content negotiation as a function (the HTTP tests of test_endpoint.py check it through the server)."""

from __future__ import annotations

import pytest

from api import conneg

RESULTS = list(conneg.RESULTS_FORMATS)
GRAPHS = list(conneg.GRAPH_FORMATS)


@pytest.mark.parametrize(
    "accept, offers, expected",
    [
        (None, RESULTS, "application/sparql-results+json"),
        ("", RESULTS, "application/sparql-results+json"),
        ("*/*", RESULTS, "application/sparql-results+json"),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", RESULTS, "text/tab-separated-values"),
        ("text/*;q=0.3, application/sparql-results+xml;q=0.2", RESULTS, "text/csv"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", RESULTS, "application/xml"),
        ("application/sparql-results+json;q=0, */*;q=0.1", RESULTS, "application/sparql-results+xml"),
        ("application/rdf+xml;q=0.4, text/turtle;q=0.8", GRAPHS, "text/turtle"),
        ("text/html", ["text/html", "text/turtle"], "text/html"),
        ("image/png", RESULTS, None),
        ("text/csv;q=abc", RESULTS, "text/csv"),  # an unreadable q-value counts as 1
        ("csv", RESULTS, None),  # not a media range
    ],
)
def test_negotiate(accept, offers, expected):
    assert conneg.negotiate(accept, offers) == expected
