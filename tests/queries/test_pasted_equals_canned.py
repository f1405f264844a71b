"""Every question of queries/ pasted as it is (the file's text, no binder) gives the rows the binder gives with the
defaults (``boussole coherence run ID``): on the fixture graphs (deliberations, human and model tags), on the real
built graph, and through the endpoint (tests/api/test_coherence_routes.py). Non-default values are bound by the
binder only, into every parameter VALUES block."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import BoussoleError
from queries import catalogue

QUESTIONS = catalogue.load()
IDS = [q.id for q in QUESTIONS]


def rows(results: ox.QuerySolutions) -> list[tuple]:
    names = [v.value for v in results.variables]
    return [tuple(row[n] for n in names) for row in results]


def pasted(store: ox.Store, qid: str) -> list[tuple]:
    """The file's text run by pyoxigraph as an analyst pastes it: its own PREFIX lines, no parameter binding."""
    text = catalogue.get(qid).path.read_text(encoding="utf-8")
    return rows(store.query(text, use_default_graph_as_union=True))


def canned(store: ox.Store, qid: str, params: dict[str, str] | None = None) -> list[tuple]:
    return rows(catalogue.run(store, qid, params))


@pytest.mark.parametrize("qid", IDS)
def test_pasted_question_gives_the_canned_answer_on_the_fixture(fixture_store: ox.Store, complete_store: ox.Store,
                                                               qid: str) -> None:
    for store in (fixture_store, complete_store):
        assert pasted(store, qid) == canned(store, qid)


@pytest.mark.parametrize("qid", IDS)
def test_pasted_question_gives_the_canned_answer_on_the_real_graph(request: pytest.FixtureRequest, qid: str) -> None:
    try:
        store = request.getfixturevalue("graph_store")
    except BoussoleError as exc:
        pytest.skip(f"the real graph does not build: {str(exc).splitlines()[0]}")
    assert pasted(store, qid) == canned(store, qid)


def test_the_answers_that_were_empty_when_pasted_are_not(fixture_store: ox.Store) -> None:
    """The issue's examples: pasted, these answered 0 rows or zeros because their parameters were unbound."""
    by_engagement = {r[2].value.rsplit("/", 1)[-1]: int(r[4].value) for r in pasted(fixture_store, "repartition-par-engagement")}
    assert sum(by_engagement.values()) > 0
    assert by_engagement == {r[2].value.rsplit("/", 1)[-1]: int(r[4].value)
                             for r in canned(fixture_store, "repartition-par-engagement")}


def test_a_non_default_value_reaches_every_parameter_block(fixture_store: ox.Store) -> None:
    q = catalogue.get("equite-engagement-1-par-commune")
    text = q.sparql({"engagement": "engagement/2", "debut": "2027-01-01"})
    blocks = catalogue.parameter_blocks(text, {"engagement", "debut", "fin"})
    assert len(blocks) == 3
    assert text.count("engagement/2>") == 3 and text.count('"2027-01-01"^^') == 3 and "engagement:1 " not in text
    assert canned(fixture_store, q.id, {"debut": "2030-01-01", "fin": "2030-01-02"}) != canned(fixture_store, q.id)


def test_an_inline_value_that_is_not_the_declared_default_is_refused(tmp_path) -> None:
    source = catalogue.get("constats").path.read_text(encoding="utf-8")
    wrong = tmp_path / "constats.rq"
    wrong.write_text(source.replace('VALUES (?type) { ("tous") }', 'VALUES (?type) { ("date") }'), encoding="utf-8")
    with pytest.raises(catalogue.QuestionFileError, match="not the declared default"):
        catalogue.load_file(wrong)
    (tmp_path / "sans").mkdir()
    missing = tmp_path / "sans" / "constats.rq"
    missing.write_text(source.replace('VALUES (?type) { ("tous") }', ""), encoding="utf-8")
    with pytest.raises(catalogue.QuestionFileError, match="has no inline default"):
        catalogue.load_file(missing)
