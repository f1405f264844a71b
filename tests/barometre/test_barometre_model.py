"""The baromètre in the built graph: indicators, the starting-point figures with their source lines, the cube."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kg.iris import base_iri
from kg.querying import run
from kg.sources import SOURCES_DIR, source_lines


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = run(store, query)
    return [{v.value: (s[v].value if s[v] is not None else "") for v in result.variables} for s in result]


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def test_every_starting_point_figure_is_quoted_from_the_lines_it_cites(graph_store: ox.Store) -> None:
    found = rows(graph_store, """
        SELECT ?o ?citation ?file ?start ?end WHERE {
          ?o a qb:Observation ; qb:dataSet ?ds ; bsl:citation ?citation ; prov:wasDerivedFrom ?x .
          FILTER(STRENDS(STR(?ds), "/jeu/situation-de-depart"))
          ?x bsl:document/bsl:nomFichier ?file ; bsl:ligneDebut ?start ; bsl:ligneFin ?end .
        }""".replace("SELECT", "PREFIX qb: <http://purl.org/linked-data/cube#>\nSELECT"))
    by_obs: dict[str, list[str]] = {}
    for r in found:
        lines = source_lines(SOURCES_DIR / r["file"])[int(r["start"]) - 1:int(r["end"])]
        by_obs.setdefault(r["o"], []).append(_plain(" ".join(lines)))
    assert len(by_obs) >= 20
    for obs, texts in by_obs.items():
        citation = next(r["citation"] for r in found if r["o"] == obs)
        assert any(_plain(citation)[:40] in t for t in texts), obs


def test_the_starting_point_holds_the_figures_of_the_seeds(graph_store: ox.Store) -> None:
    found = rows(graph_store, """
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT ?i ?z ?p ?v WHERE { ?o a qb:Observation ; bsl:indicateur ?i ; bsl:zone ?z ; bsl:periodeObservation ?p ;
                                     bsl:valeurNumerique ?v }""")
    values = {(r["i"].rsplit("/", 1)[-1], r["z"][len(base_iri()):], r["p"]): float(r["v"]) for r in found}
    assert values[("idh", "epci/200042190", "2023")] == 0.39  # reused from kg/data/territoire, not copied
    assert values[("idh", "organisation/region-hauts-de-france", "2023")] == 0.51
    assert values[("revenu-median-uc", "epci/200042190", "2024")] == 18500
    assert values[("taux-pauvrete", "geographie/qpv-caph", "2020")] == 42
    assert values[("population", "epci/200042190", "2024")] == 159969
    assert values[("population-qpv", "epci/200042190", "2024")] == 32305
    # published from the QPV table by the build, with the QPV's own source line
    assert values[("population-qpv", "qpv/QN05950M", "2024")] == 13920
    assert values[("revenu-median-qpv", "qpv/QN05953M", "2024")] == 15760
    assert values[("part-population-qpv", "epci/200042190", "2024")] == 20
    qpv = [v for (i, z, _), v in values.items() if i == "population-qpv" and z.startswith("qpv/")]
    assert sum(qpv) == 32305


def test_qpv_values_are_published_with_the_source_line_of_their_row(graph_store: ox.Store) -> None:
    found = rows(graph_store, """
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT ?start WHERE { ?o a qb:Observation ; bsl:indicateur ?i ; bsl:zone ?z ;
        prov:wasDerivedFrom/bsl:ligneDebut ?start .
          ?z bsl:codeQuartier "QN05950M" . FILTER(STRENDS(STR(?i), "/population-qpv")) }""")
    assert "1025" in [r["start"] for r in found]
    line = source_lines(SOURCES_DIR / "003_566489f97034bb41.txt")[1024]
    assert "QN05950M" in line and "13920" in line


def test_indicators_have_a_kind_a_unit_and_what_they_measure(graph_store: ox.Store) -> None:
    found = rows(graph_store, """
        SELECT ?i ?kind ?unit (COUNT(?m) AS ?measures) WHERE {
          ?i a bsl:Indicateur ; bsl:typeIndicateur ?kind ; bsl:unite ?unit . OPTIONAL { ?i bsl:mesure ?m }
        } GROUP BY ?i ?kind ?unit""")
    kinds = {r["kind"].rsplit("/", 1)[-1] for r in found}
    assert kinds == {"indicateurs-de-realisation", "indicateurs-de-resultats", "indicateurs-d-impacts",
                     "indicateurs-d-eclairage"}
    assert len(found) >= 35
    assert all(int(r["measures"]) >= 1 for r in found)


def test_the_cube_has_its_structure_and_targets_and_periods_are_there(graph_store: ox.Store) -> None:
    dims = rows(graph_store, """
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT ?d ?order WHERE { ?s qb:component [ qb:dimension ?d ; qb:order ?order ] } ORDER BY ?order""")
    assert [r["d"].rsplit("#", 1)[-1] for r in dims] == ["indicateur", "zone", "periodeObservation"]
    targets = rows(graph_store, "SELECT ?c ?v ?h WHERE { ?c a bsl:ValeurCible ; bsl:valeurCible ?v ; bsl:horizon ?h } "
                                "ORDER BY ?c")
    assert [(r["c"].rsplit("/", 1)[-1], float(r["v"]), r["h"]) for r in targets] == [
        ("autonomie-energetique", 50.0, "2044"), ("neutralite-carbone", 0.0, "2050"),
        ("restauration-locale", 70.0, "2044")]
    periods = rows(graph_store, "SELECT ?p WHERE { ?p a bsl:PeriodeTriennale } ORDER BY ?p")
    assert [r["p"].rsplit("/", 1)[-1] for r in periods] == [
        "2024-2026", "2027-2029", "2030-2032", "2033-2035", "2036-2038", "2039-2041", "2042-2044"]
    grid = rows(graph_store, "SELECT ?c WHERE { ?g bsl:critereGrille ?c }")
    assert len(grid) == 19
