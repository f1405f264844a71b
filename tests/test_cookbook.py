"""Every query of docs/cookbook.md runs and answers rows: « # on: the built graph » on the graph `boussole build`
makes, « # on: deliberations » on the fixture graph of tests/queries (deliberations with model and human tags)."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.iris import REPO_ROOT
from kg.querying import run

COOKBOOK = REPO_ROOT / "docs" / "cookbook.md"
BLOCKS = re.findall(r"```sparql\n(.*?)```", COOKBOOK.read_text(encoding="utf-8"), re.S)


def test_at_least_fifteen_worked_questions_from_the_hierarchy_to_money_per_commune() -> None:
    titles = re.findall(r"^### \d+\. (.+)$", COOKBOOK.read_text(encoding="utf-8"), re.M)
    assert len(titles) >= 15 and len(BLOCKS) == len(titles)
    assert any("per engagement per commune" in t for t in titles)
    assert all(re.search(r"^# on: (the built graph|deliberations)$", b, re.M) for b in BLOCKS)


@pytest.mark.parametrize("number", range(1, len(BLOCKS) + 1))
def test_the_query_answers(number: int, graph_store: ox.Store) -> None:
    from tests.queries.conftest import load_fixture

    query = BLOCKS[number - 1]
    store = graph_store if "# on: the built graph" in query else _deliberations(load_fixture)
    rows = list(run(store, query, f"docs/cookbook.md #{number}"))
    assert rows, f"cookbook question {number} answers nothing"


_cache: dict[str, ox.Store] = {}


def _deliberations(load_fixture) -> ox.Store:
    if "fixture" not in _cache:
        _cache["fixture"] = load_fixture("base")
    return _cache["fixture"]
