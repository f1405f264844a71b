"""Every compact name Boussole prints (CLI tables, GROUP_CONCAT columns of the questions, pages) pastes back into a
query as it is: per-type prefixes (engagement:1, champ:1-2, commune:59632…), « / » and « # » escaped."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.iris import base_iri, compact, query_prefixes
from kg.querying import term_text
from queries import catalogue

NAME = re.compile(r"^(?:[a-z][a-z-]*:(?:[^\s;<>\"]|\\.)+|<[^<>\s]+>)$")


def parse_back(names: list[str]) -> list[str]:
    """The IRIs the names denote, read by pyoxigraph with the predeclared prefixes (in order)."""
    out: list[str] = []
    for k in range(0, len(names), 400):
        chunk = names[k:k + 400]
        rows = " ".join(f"({n} {k + j})" for j, n in enumerate(chunk))
        query = f"SELECT ?x ?i WHERE {{ VALUES (?x ?i) {{ {rows} }} }} ORDER BY ?i"
        out += [r["x"].value for r in ox.Store().query(query, prefixes=query_prefixes())]
    return out


def test_examples() -> None:
    base = base_iri()
    assert compact(base + "engagement/1") == "engagement:1"
    assert compact(base + "champ/1-2") == "champ:1-2"
    assert compact(base + "commune/59632") == "commune:59632"
    assert compact(base + "champ/1-1/orientation/2") == "champ:1-1\\/orientation\\/2"
    assert compact(base + "source/000#L5-L9") == "source:000\\#L5-L9"
    assert compact(base + "finalite") == "id:finalite"
    assert compact(base + "deliberation/200042190/DEL-2024-1") == "deliberation:200042190\\/DEL-2024-1"


def test_every_minted_iri_of_the_built_graph_pastes_back(graph_store: ox.Store) -> None:
    base = base_iri()
    iris = sorted({t.value for q in graph_store.quads_for_pattern(None, None, None, None)
                   for t in (q.subject, q.object, q.graph_name)
                   if isinstance(t, ox.NamedNode) and t.value.startswith(base)})
    names = [compact(i) for i in iris]
    assert all(not n.startswith("<") for n in names), [n for n in names if n.startswith("<")][:5]
    assert not [n for n in names if n.startswith("id:") and "\\/" in n], "a type of resource has no prefix"
    assert parse_back(names) == iris


@pytest.mark.parametrize("store_name", ["fixture_store", "graph_store"])
def test_every_name_a_question_prints_pastes_back(request: pytest.FixtureRequest, store_name: str) -> None:
    from tests.queries.conftest import load_fixture

    store = load_fixture("base") if store_name == "fixture_store" else request.getfixturevalue(store_name)
    printed: set[str] = set()
    for q in catalogue.load():
        _, rows = catalogue.table(catalogue.run(store, q))
        for row in rows:
            for cell in row:
                for part in cell.split("; "):
                    prefix = part.split(":", 1)[0]
                    if NAME.match(part) and prefix in query_prefixes() and not part.startswith(("http:", "https:")):
                        printed.add(part)
    assert any(p.startswith("engagement:") for p in printed) and any("\\/" in p for p in printed)
    names = sorted(printed)
    assert [compact(i) for i in parse_back(names)] == names


def test_term_text_prints_the_compact_name() -> None:
    assert term_text(ox.NamedNode(base_iri() + "engagement/2")) == "engagement:2"
    assert term_text(ox.NamedNode("http://example.org/x")) == "http://example.org/x"
