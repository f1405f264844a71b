"""Labels keep their printed form and get a normalised form for matching (bsl:libelleNormalise, derived by the build);
a query comparing a literal to a label that finds nothing gets the normalised form as a hint."""

from __future__ import annotations

import pyoxigraph as ox

from graphtest import select
from kg.labels import normalise_label
from kg.querying import empty_result_hints


def test_normalised_form() -> None:
    assert normalise_label("CULTURE POUR TOUS") == "culture pour tous"
    assert normalise_label("50% d’autonomie") == "50% d'autonomie"
    assert normalise_label("« L’Europe  verte »") == '"l\'europe verte"'
    assert normalise_label("DÉVELOPPER L’AUTONOMIE ALIMENTAIRE") == "developper l'autonomie alimentaire"
    assert normalise_label("Œuvre") == "oeuvre"


def test_the_build_adds_the_normalised_form_and_keeps_the_printed_label(graph_store: ox.Store) -> None:
    printed = select(graph_store, 'SELECT ?l WHERE { ?c a bsl:ChampIntervention ; skos:prefLabel ?l ; '
                                  'bsl:libelleNormalise "culture pour tous" }')
    assert printed and printed[0]["l"] != "culture pour tous"  # the label as printed stays
    # the examples match on the normalised form, not on the printed one
    assert not select(graph_store, 'SELECT ?c WHERE { ?c skos:prefLabel "Culture pour tous"@fr }')
    found = select(graph_store, """SELECT DISTINCT ?x WHERE { ?x bsl:libelleNormalise ?n
                                   FILTER(CONTAINS(?n, "50% d'autonomie")) }""")
    assert found
    missing = select(graph_store, """SELECT (COUNT(*) AS ?n) WHERE { ?x skos:prefLabel ?l .
        FILTER(STRSTARTS(STR(?x), "https://boussole.agglo-porteduhainaut.fr/id/"))
        FILTER NOT EXISTS { ?x bsl:libelleNormalise ?m } }""")
    assert missing[0]["n"] == "0"


def test_a_label_match_that_finds_nothing_suggests_the_normalised_form() -> None:
    hints = empty_result_hints('SELECT ?c WHERE { ?c skos:prefLabel ?l FILTER(CONTAINS(?l, "50% d’autonomie")) }')
    assert any("bsl:libelleNormalise" in h and "\"50% d'autonomie\"" in h for h in hints)
    lower = empty_result_hints('SELECT ?c WHERE { ?c skos:prefLabel ?l FILTER(LANG(?l) = "fr" && ?l = "culture pour tous") }')
    assert len(lower) == 1 and '"culture pour tous"' in lower[0]  # the printed label is in capitals
    assert empty_result_hints('SELECT ?c WHERE { ?c bsl:numero "1.2" }') == []  # no label compared


def test_the_cli_prints_the_hint_when_nothing_matches(store_path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from boussole.cli import app; app()", "query", "--store",
                           str(store_path), 'SELECT ?c WHERE { ?c skos:prefLabel "Culture pour tous"@fr }'],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "0 row(s)" in done.stderr
    assert "culture pour tous" in done.stderr and "bsl:libelleNormalise" in done.stderr
