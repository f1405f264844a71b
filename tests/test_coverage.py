"""One definition of coverage (a contribution link from a contract or one of its elements) shared by the questions,
and every bsl:sert backed by a bsl:Contribution (SHACL, checked by the build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from graphtest import select
from kg.build import ShapesViolated, build
from kg.sources import DATA_DIR
from queries import catalogue

COVERAGE_QUESTIONS = ("champs-sans-contrat", "referentiel-sans-element-contrat", "chevauchements-contrats",
                      "liens-explicites-proposes")
DEFINITION = "{ ?x bsl:contrat ?contrat } UNION { ?x a/rdfs:subClassOf* bsl:Contrat BIND(?x AS ?contrat) }"


def _champs(store: ox.Store, qid: str, fondement: str, column: str) -> set[str]:
    names, rows = catalogue.table(catalogue.run(store, qid, {"fondement": fondement}))
    return {r[names.index(column)] for r in rows if r[names.index(column)].startswith("champ:")}


@pytest.mark.parametrize("fondement", ["tous", "explicite", "propose"])
def test_the_two_questions_on_uncovered_champs_agree(graph_store: ox.Store, fondement: str) -> None:
    """Issue 12: with fondement=explicite, champs-sans-contrat said 13 champs and referentiel-sans-element-contrat 17."""
    alone = _champs(graph_store, "champs-sans-contrat", fondement, "champ")
    assert alone == _champs(graph_store, "referentiel-sans-element-contrat", fondement, "element")
    if fondement == "explicite":
        assert 0 < len(alone) < 17


def test_every_coverage_question_states_the_same_definition() -> None:
    for qid in COVERAGE_QUESTIONS:
        text = " ".join(catalogue.get(qid).text.split())
        assert "the one definition of coverage" in text, qid
        variants = (DEFINITION, DEFINITION.replace("?x", "?element"), DEFINITION.replace("?x", "?y").replace("?contrat", "?contratE"))
        assert any(v in text for v in variants), qid


def test_every_sert_is_backed_by_a_contribution(graph_store: ox.Store) -> None:
    lonely = select(graph_store, """SELECT ?x ?y WHERE { ?x bsl:sert ?y
        FILTER NOT EXISTS { ?c a bsl:Contribution ; bsl:contributeur ?x ; bsl:cible ?y } }""")
    assert lonely == []
    by_sert = select(graph_store, "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x bsl:sert <https://boussole.agglo-porteduhainaut.fr/id/champ/2-4> }")
    by_link = select(graph_store, """SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?c a bsl:Contribution ; bsl:contributeur ?x ;
        bsl:cible <https://boussole.agglo-porteduhainaut.fr/id/champ/2-4> }""")
    assert by_sert == by_link  # issue 12: 51 by sert, 50 by Contribution


def test_the_projets_emblematiques_serve_through_contributions(graph_store: ox.Store) -> None:
    rows = select(graph_store, """SELECT ?p (COUNT(?c) AS ?n) (SAMPLE(?f) AS ?fondement) WHERE {
        ?p a bsl:ProjetEmblematique . ?c a bsl:Contribution ; bsl:contributeur ?p ; bsl:cible ?e ; bsl:fondement ?f .
        ?e a bsl:Engagement } GROUP BY ?p""")
    assert len(rows) == 9 and all(r["n"] == "1" and r["fondement"].endswith("#explicite") for r in rows)


def test_a_sert_without_contribution_stops_the_build(built, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "referentiel" / "zz-sert.ttl").write_text(
        "@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> .\n<projet/station-thermale> bsl:sert <champ/1-1> .\n",
        encoding="utf-8")
    copy = tmp_path / "store"
    shutil.copytree(built[0], copy)
    before = set(ox.Store.read_only(str(copy)))
    with pytest.raises(ShapesViolated) as caught:
        build(copy, data_dir=data)
    assert "<projet/station-thermale>" in str(caught.value) and "no bsl:Contribution" in str(caught.value)
    assert "<champ/1-1>" in str(caught.value)
    assert set(ox.Store.read_only(str(copy))) == before
