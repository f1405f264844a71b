"""The baromètre from definition to page, in Chromium: a service defines an indicator and its target (YAML, checked
by SHACL), imports its values (CSV); SPARQL sees qb:Observation, /barometre shows the latest value, the trend the
chart draws, the target and the status the coherence question computes; the commune view and the printable grid."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from test_browser import LOW_CONTRAST, ONCE, UNLABELLED, chart_values, rows, shot

from barometre import definitions, observations
from kg.iris import base_iri

DEFINITION = """
indicateurs:
  - id: pistes-cyclables-test
    libelle: linéaire de pistes cyclables (test)
    type: realisation
    unite: km
    sens: hausse
    mesure: [champ/2-4/orientation/1]
    source: SIG de l'Agglomération
cibles:
  - id: pistes-cyclables-test-2030
    libelle: 100 km de pistes en 2030
    indicateur: pistes-cyclables-test
    territoire: "200042190"
    valeur: 100
    horizon: 2030
    fixee_par: champ/2-4/orientation/1
"""

VALUES = """indicateur,territoire,periode,valeur,unite,source
pistes-cyclables-test,200042190,2022,40,km,SIG
pistes-cyclables-test,200042190,2023,"42,5",km,SIG
pistes-cyclables-test,200042190,2024,44,km,SIG
pistes-cyclables-test,59172,2024,7,km,SIG
"""


@pytest.fixture(scope="module")
def imported(web_store: ox.Store, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("barometre-web")
    (folder / "def.yaml").write_text(DEFINITION, encoding="utf-8")
    (folder / "valeurs.csv").write_text(VALUES, encoding="utf-8")
    definitions.define(web_store, folder / "def.yaml")
    report = observations.import_file(web_store, folder / "valeurs.csv")
    assert report.outcomes["ajoutée"] == 4 and not report.rejected
    return "pistes-cyclables-test"


def test_imported_values_are_cube_observations_and_appear_on_the_page(page, web_store, imported):
    sparql = {(r["z"][len(base_iri()):], r["p"]): float(r["v"]) for r in rows(web_store, """
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT ?z ?p ?v WHERE { ?o a qb:Observation ; qb:dataSet ?ds ; bsl:indicateur ?i ; bsl:zone ?z ;
          bsl:periodeObservation ?p ; bsl:valeurNumerique ?v . ?ds qb:structure ?dsd .
          FILTER(STRENDS(STR(?i), "/pistes-cyclables-test")) }""")}
    assert sparql == {("epci/200042190", "2022"): 40, ("epci/200042190", "2023"): 42.5,
                      ("epci/200042190", "2024"): 44, ("commune/59172", "2024"): 7}

    page.goto("/barometre")
    assert page.locator("h1").inner_text() == "Baromètre du Projet de Territoire"
    row = page.locator("#champ-2-4 ~ table tr[data-indicateur='pistes-cyclables-test']")
    assert row.count() == 1  # under the champ of the orientation it measures
    assert row.locator("td.derniere-valeur strong").get_attribute("data-valeur") == "44.0"
    assert "(2024, Communauté d'Agglomération de La Porte du Hainaut)" in row.locator("td.derniere-valeur").inner_text()
    chart_id = row.locator("svg.chart").get_attribute("id")
    # the trend drawn is the CAPH's series, each point with its value; the title names it for screen readers
    assert chart_values(page, chart_id) == {"2022": "40", "2023": "42.5", "2024": "44"}
    assert row.locator("svg[role=img] title").first.text_content().startswith("linéaire de pistes cyclables (test)")
    # 44 + 2 a year × 6 years = 56 < 100: the coherence question says « à risque », the page shows the same
    status = rows(web_store,
                  "SELECT ?s WHERE { ?c bsl:indicateur ?i . FILTER(STRENDS(STR(?i), '/pistes-cyclables-test')) }")
    assert status  # the target is in the graph
    assert row.locator(".statut").inner_text() == "à risque"
    assert "100 km en 2030" in row.locator("td.cible").inner_text()
    shot(page, "barometre")


def test_commune_view_shows_its_values(page, imported):
    page.goto("/barometre/commune/59172")
    assert page.locator("h1").inner_text().startswith("Denain")
    row = page.locator("#valeurs-commune tr[data-indicateur='pistes-cyclables-test']")
    assert row.locator("strong").get_attribute("data-valeur") == "7.0"
    # the QPV of Denain appear with their population from the Contrat Quartiers 2030
    qpv = "#valeurs-commune tr[data-indicateur='population-qpv'] strong[data-valeur='13920.0']"
    assert page.locator(qpv).count() == 1
    # the IDH range the Projet gives for Denain, outside the cube, with its quotation
    assert "IDH de Denain : entre 0,18 et 0,28" in page.locator("#chiffres-cites").inner_text()


@ONCE
def test_the_panel_grid_is_prefilled_and_printable(page, imported):
    page.goto("/barometre/grille/2024-2026")
    assert page.locator("#grille tr.critere").count() == 19
    # situation T of the criterion « Rapprocher l'espérance de vie… » from its indicators
    assert page.locator("#grille tr.volet").first.inner_text().startswith("LE VOLET « IMPACT SOCIAL »")
    neutralite = page.locator("#grille tr.critere", has_text="neutralité carbone")
    assert "Cible : Neutralité carbone à horizon 2050" in neutralite.inner_text()
    page.emulate_media(media="print")
    assert page.locator("header.bandeau").evaluate("e => getComputedStyle(e).display") == "none"
    imprimer = page.locator("button", has_text="Imprimer")
    assert imprimer.evaluate("e => getComputedStyle(e.parentElement).display") == "none"
    assert page.locator("#grille tr.critere").first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    page.emulate_media(media="screen")
    shot(page, "barometre-grille")


@ONCE
@pytest.mark.parametrize("url", ["/barometre", "/barometre/commune/59172", "/barometre/grille/2024-2026"])
def test_barometre_pages_accessibility_basics(page, imported, url):
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    # every chart is an image with an accessible name
    for svg in page.locator("svg.chart").all():
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-labelledby")
    assert page.locator("nav a[aria-current=page]").inner_text() == "Baromètre"


@ONCE
def test_unknown_period_and_commune_are_clear_errors(page):
    assert page.goto("/barometre/grille/2023-2025").status == 404
    assert "2024-2026" in page.locator("main").inner_text()
    assert page.goto("/barometre/commune/abc").status == 400


def test_a_panel_session_fills_the_grid_of_its_period(page, web_store, imported, tmp_path):
    session = """
seances:
  - periode: 2027-2029
    date: 2030-02-15
    lignes:
      - critere: pilotage/volet-impact-social/critere/1
        situation: Coopération renforcée entre les communes du Denaisis
        acquis: Conférence des maires trimestrielle
        objectifs: Étendre aux associations
"""
    (tmp_path / "seance.yaml").write_text(session, encoding="utf-8")
    definitions.define(web_store, tmp_path / "seance.yaml")
    page.goto("/barometre/grille/2027-2029")
    assert "Séance du panel du 15/02/2030" in page.locator("main").inner_text()
    first = page.locator("#grille tr.critere").first
    assert "Conférence des maires trimestrielle" in first.inner_text()
    assert "Étendre aux associations" in first.inner_text()
    # the other periods are untouched: the grid of 2024-2026 is still to fill in
    page.goto("/barometre/grille/2024-2026")
    assert "Aucune séance du panel" in page.locator("main").inner_text()
