"""The web application as staff use it, in Chromium: one layout on every page type, axe-core without serious or
critical violations, full-text search, index pages, exports that a spreadsheet opens with the numbers of the graph,
and the whole review workflow with the keyboard only. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from openpyxl import load_workbook

from kg.iris import base_iri
from kg.querying import run
from tests.web.axe import serious_violations
from tests.web.test_browser import ONCE, engagement_amounts, engagement_counts

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
D1 = "deliberation/200042190/DEL-2024-001"
PAGE_TYPES = {
    "accueil": "/", "recherche": "/recherche?q=v%C3%A9lo", "engagement": "/id/engagement/1", "champ": "/id/champ/1-1",
    "commune": "/id/commune/59172", "deliberation": f"/id/{D1}", "contrat": "/id/contrat/pcaet",
    "tableau-de-bord": "/dashboard", "deliberations": "/deliberations", "contrats": "/contrats",
    "communes": "/communes", "constats": "/constats", "revue": "/review?statut=", "connexion": "/connexion",
    "mentions-legales": "/mentions-legales", "accessibilite": "/accessibilite", "erreur-404": "/pas-de-page-ici",
    "requete-graphique": "/dashboard/requete/current_tags", "barometre": "/barometre",
    "barometre-commune": "/barometre/commune/59172",
}


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"), full_page=True)


@pytest.mark.parametrize("name", list(PAGE_TYPES))
def test_every_page_type_shares_the_layout_and_passes_axe(page, server, name):
    response = page.goto(PAGE_TYPES[name])
    assert response.status == (404 if name == "erreur-404" else 200)
    assert page.locator("html").get_attribute("lang") == "fr"
    # one layout: header with the search box, main navigation, footer with the legal notice and the statement
    assert page.locator("header.bandeau form[role=search] input#recherche-q").count() == 1
    assert page.locator("nav[aria-label='Navigation principale'] a").count() == 10
    assert page.locator("footer a[href='/mentions-legales']").inner_text() == "Mentions légales"
    assert page.locator("footer a[href='/accessibilite']").inner_text() == "Accessibilité : partiellement conforme"
    if name != "accueil":
        assert page.locator("nav.ariane a[href='/']").inner_text() == "Accueil"
    assert page.locator("h1").count() == 1
    if server["backend"] == "embedded":  # axe and the screenshot once: the same templates render the same data
        assert serious_violations(page) == []
        shot(page, name)


def test_error_pages_are_french_for_browsers_and_problem_json_for_programs(server):
    html = httpx.get(server["url"] + "/id/nulle-part", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.headers["content-type"].startswith("text/html")
    assert "Ressource inconnue" in html.text and 'lang="fr"' in html.text
    api = httpx.get(server["url"] + "/id/nulle-part", headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["status"] == 404 and "nulle-part" in api.json()["detail"]
    bad = httpx.get(server["url"] + "/review?page=douze", headers={"Accept": "text/html"})
    assert bad.status_code == 422 and "Paramètres invalides" in bad.text and "page" in bad.text


# ------------------------------------------------------------------------------------------------ search


def test_search_finds_whole_words_first_and_deliberations_by_number(page):
    page.goto("/")
    page.get_by_label("Rechercher", exact=True).fill("VELO")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q=VELO"))
    hits = page.locator("ol.resultats > li")
    assert hits.count() >= 5
    # every hit says « vélo » as a word (label or the quoted text), none only through « développement »
    for k in range(hits.count()):
        text = hits.nth(k).inner_text().lower()
        assert re.search(r"(?<![a-zà-ÿ])v[ée]los?(?![a-zà-ÿ])", text), text
    assert page.get_by_role("link", name="Pôle de référence du vélo").count() == 1
    shot(page, "recherche-velo")
    # a deliberation by its number, first
    page.goto("/recherche?q=DEL-2024-001")
    first = page.locator("ol.resultats > li a").first
    assert first.get_attribute("href") == f"/id/{D1}"
    # full texts are searched too (a word only in the text of a deliberation)
    page.goto("/recherche?q=rayonnement")
    assert page.locator(f"ol.resultats a[href='/id/{D1}']").count() == 1


@ONCE
def test_search_is_paginated(page):
    page.goto("/recherche?q=de")
    status = page.locator("#compte-resultats").inner_text()
    total = int(re.match(r"([\d\u202f]+) résultat", status).group(1).replace("\u202f", ""))
    assert total > 20 and page.locator("ol.resultats > li").count() == 20
    page.get_by_role("link", name="Page suivante").click()
    assert page.locator("ol.resultats").get_attribute("start") == "21"


# ------------------------------------------------------------------------------------------------ fiches, indexes


@ONCE
def test_engagement_fiche_is_summarised_and_paginated(page):
    page.goto("/id/engagement/1")
    height = page.evaluate("document.body.scrollHeight")
    assert height < 12000, height  # was 28 900 px with a 330-row contributions table
    assert page.locator("table.contributions-resume tbody tr").count() <= 15
    assert page.locator("table.contributions tbody tr").count() <= 50
    assert page.locator("body").inner_text().count("(integer)") == 0


def test_commune_fiche_lists_its_deliberations_and_indicators(page):
    page.goto("/id/commune/59172")
    assert page.locator("h1").inner_text() == "Denain"
    assert page.locator(f"#t-commune ~ table a[href='/id/{D1}']").count() == 1
    assert page.locator("dl.chiffres").inner_text().count("IDH") == 1
    assert "0,18" in page.locator("dl.chiffres").inner_text()  # the range the source gives


def test_deliberation_index_filters_and_exports(page, server, web_store):
    page.goto("/deliberations")
    page.get_by_label("Commune").select_option(label="Denain")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"commune=commune%2F59172"))
    rows = page.locator("table.liste tbody tr")
    in_denain = run(web_store, "SELECT DISTINCT ?d ?c WHERE { ?d a bsl:Deliberation ; bsl:concerne ?c }", "test",
                    {ox.Variable("c"): ox.NamedNode(base_iri() + "commune/59172")})
    expected = {r["d"].value for r in in_denain}
    assert rows.count() == len(expected) >= 1
    xlsx = httpx.get(server["url"] + "/deliberations?commune=commune/59172&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row - 1 == len(expected)
    assert {sheet.cell(row=r, column=8).value for r in range(2, sheet.max_row + 1)} == expected


# ------------------------------------------------------------------------------------------------ exports


def test_dashboard_xlsx_has_the_numbers_of_sparql(page, server, web_store):
    page.goto("/dashboard")
    href = page.locator("#t-eng ~ p.exports a", has_text="Excel").get_attribute("href")
    book = load_workbook(io.BytesIO(httpx.get(server["url"] + href).content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header == ["Engagement", "Intitulé", "Délibérations", "Montant (€)"]
    shown = {row[0]: (row[2], row[3]) for row in sheet.iter_rows(min_row=2, values_only=True)}
    # the same numbers by SPARQL, written independently of the dashboard's queries (tests/web/test_browser.py)
    counted, amounts = engagement_counts(web_store), engagement_amounts(web_store)
    for n in ("1", "2", "3"):
        iri = base_iri() + f"engagement/{n}"
        assert shown[f"Engagement {n}"][0] == counted.get(iri, 0)
        assert float(shown[f"Engagement {n}"][1]) == amounts.get(iri, 0.0)
    assert isinstance(shown["Engagement 1"][0], int)  # numbers stay numbers
    assert shown["Engagement 1"] == (2, 370000)  # the fixture's known answer


def test_french_csv_opens_in_a_french_spreadsheet(server):
    body = httpx.get(server["url"] + "/dashboard/export/communes?format=csv-fr").content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("Commune;Délibérations (engagement 1);QPV")
    assert re.search(r";0,18;0,28;", text)  # decimal comma
    data = httpx.get(server["url"] + "/dashboard/export/communes?format=json").json()
    first = data["lignes"][0]
    assert isinstance(first["deliberations"], int) and isinstance(first["qpv"], int)


# ------------------------------------------------------------------------------------------------ keyboard only


def test_whole_review_workflow_with_the_keyboard_only(own_page, own_server):
    """Log in, accept a proposal, correct another: Tab, typing, Enter and Space only (on a private copy of the
    store, so that the other tests see the fixture's state)."""
    page, server, web_store = own_page, own_server, own_server["store"]

    def tab_to(predicate_js: str, limit: int = 120) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js}; }})()"):
                return
        raise AssertionError(f"Tab never reached {predicate_js}")

    page.goto("/")
    tab_to("el.getAttribute('href') === '/connexion'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/connexion"))
    tab_to("el.id === 'nom'")
    page.keyboard.type("Agent Clavier")
    page.keyboard.press("Tab")
    page.keyboard.type(server["token"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/review"))
    assert "Agent Clavier" in page.locator("header .session").inner_text()
    # the queue « à revoir »: accept the first proposal with its button
    tab_to("el.closest('form.tout-accepter') !== null")
    card = page.evaluate("document.activeElement.closest('article').dataset.deliberation")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#message-decision p").first.inner_text() == "Proposition acceptée."
    # attributed to the reviewer's pseudonym; the name is in the staff's decision log, never in the store
    accepted = run(web_store, "ASK { ?a oa:hasTarget ?d ; bsl:statutRevue \"accepte\" ; prov:wasAttributedTo ?p . "
                              "?p a prov:Person ; skos:prefLabel ?l FILTER(STRSTARTS(?l, \"Relecteur \")) }", "test",
                   {ox.Variable("d"): ox.NamedNode(base_iri() + card)})
    assert bool(accepted)
    assert not bool(run(web_store, "ASK { GRAPH ?g { ?s ?p ?o FILTER(CONTAINS(STR(?o), \"Clavier\")) } }", "test"))
    assert "Agent Clavier" in page.locator("section.journal table").inner_text()
    # correct the next one: open « Corriger » with Enter, tick one more champ with Space, give a reason
    tab_to("el.tagName === 'SUMMARY' && el.textContent.includes('Corriger')")
    page.keyboard.press("Enter")
    tab_to("el.type === 'checkbox' && !el.checked && el.value.startsWith('champ/')")
    page.keyboard.press("Space")
    tab_to("el.tagName === 'TEXTAREA'")
    page.keyboard.type("Correction faite au clavier")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Enregistrer la correction"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    said = page.locator("#message-decision p").first.inner_text()
    assert said == "Correction enregistrée.", page.locator("main").inner_text()[:500]
    assert serious_violations(page) == []
    shot(page, "revue-clavier")
