"""The French pages in a real browser (Debian's Chromium driven by Playwright) against a real uvicorn server.

Numbers on the dashboard are compared with SPARQL counts on the same store; a review decision is checked in the
store after the browser made it. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from kg.iris import base_iri
from kg.querying import run

pytestmark = pytest.mark.browser

# The pages run over both backends (the fixture ``server``, tests/web/conftest.py); the interaction-only tests
# (keyboard, focus, contrast, a form's own script, print styles) run once, over the embedded store: the pages they
# drive are visited over both backends by the other tests, and what they check does not depend on the store.
ONCE = pytest.mark.parametrize("server", ["embedded"], indirect=True)

D1 = "deliberation/200042190/DEL-2024-001"
D2 = "deliberation/200042190/DEL-2024-002"
ROOT = Path(__file__).resolve().parent.parent.parent
SOURCES = ROOT / "kg" / "sources"
ARTIFACTS = ROOT / "test-artifacts"

CURRENT = """
  ?d a bsl:Deliberation .
  { ?a oa:hasTarget ?d ; oa:hasBody ?b ; prov:wasAttributedTo ?ag ; prov:generatedAtTime ?t . ?ag a prov:Person .
    FILTER NOT EXISTS { ?a bsl:statutRevue "remplace" }
    FILTER NOT EXISTS { ?a2 oa:hasTarget ?d ; prov:wasAttributedTo ?ag2 ; prov:generatedAtTime ?t2 . ?ag2 a
        prov:Person .
                        FILTER NOT EXISTS { ?a2 bsl:statutRevue "remplace" } FILTER(?t2 > ?t) } }
  UNION
  { ?a oa:hasTarget ?d ; oa:hasBody ?b ; prov:wasAttributedTo ?ag . FILTER NOT EXISTS { ?ag a prov:Person }
    FILTER NOT EXISTS { ?a bsl:statutRevue "remplace" }
    FILTER NOT EXISTS { ?a2 oa:hasTarget ?d ; prov:wasAttributedTo ?ag2 . ?ag2 a prov:Person .
                        FILTER NOT EXISTS { ?a2 bsl:statutRevue "remplace" } } }
"""


def rows(store: ox.Store, query: str, **bindings) -> list[dict]:
    res = run(store, query, "test", {ox.Variable(k): v for k, v in bindings.items()} or None)
    names = [v.value for v in res.variables]
    return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in res]


# the numbers of the dashboard by SPARQL written independently of the dashboard's queries
ENGAGEMENT_OF_B = "{ ?b a bsl:Engagement BIND(?b AS ?e) } UNION { ?b bsl:engagement ?e }"


def engagement_counts(store: ox.Store) -> dict[str, int]:
    """Distinct deliberations per engagement of their current tag."""
    found = rows(store, f"SELECT ?e (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {CURRENT} {ENGAGEMENT_OF_B} }} GROUP BY ?e")
    return {r["e"]: int(r["n"]) for r in found}


def engagement_amounts(store: ox.Store) -> dict[str, float]:
    """The sum of the same deliberations' bsl:montantDecision per engagement (the one amount rule)."""
    found = rows(store, f"""SELECT ?e (SUM(?m) AS ?m) WHERE {{
        {{ SELECT DISTINCT ?d ?e WHERE {{ {CURRENT} {ENGAGEMENT_OF_B} }} }} ?d bsl:montantDecision ?m }} GROUP BY ?e""")
    return {r["e"]: float(r["m"]) for r in found}


def chart_values(page, chart_id: str) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"#{chart_id} text.valeur", "els => Object.fromEntries(els.map(e => [e.dataset.key, e.dataset.value]))")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


# ------------------------------------------------------------------------------------------------ dashboard


def test_dashboard_charts_show_the_numbers_of_the_graph(page, web_store):
    page.goto("/dashboard")
    assert page.locator("h1").inner_text() == "Tableau de bord du Projet de Territoire"

    # deliberations per engagement = SPARQL count of distinct deliberations by the engagement of their current tag
    counted = engagement_counts(web_store)
    shown = chart_values(page, "chart-engagements")
    for n in ("1", "2", "3"):
        assert int(shown[f"Engagement {n}"]) == counted.get(base_iri() + f"engagement/{n}", 0)
    aucun = rows(web_store,
                 "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {" + CURRENT + " FILTER(?b = bsl:aucunEngagement) }")
    assert int(shown["Aucun engagement"]) == int(aucun[0]["n"])
    # and the fixture's known answer, before any review: D1+D2 → 1, D3 (reviewed) → 2, D1+D5 → 3, D4 → none
    assert [int(shown[k]) for k in ("Engagement 1", "Engagement 2", "Engagement 3", "Aucun engagement")] == [2, 1, 2, 1]

    # amounts per engagement = SPARQL sum of the same deliberations' bsl:montantDecision (the one amount rule)
    amounts = engagement_amounts(web_store)
    money = chart_values(page, "chart-montants")
    assert float(money["Engagement 1"]) == amounts[base_iri() + "engagement/1"] == 370000.0
    assert page.locator("#chart-montants text.valeur[data-key='Engagement 1']").text_content() == "370\u202f000\u00a0€"

    # share of deliberations attached to an engagement, per year
    share = {r["y"]: (int(r["att"]), int(r["tot"])) for r in rows(web_store, """
        SELECT ?y (COUNT(DISTINCT ?d) AS ?tot) (COUNT(DISTINCT ?ok) AS ?att) WHERE {
          ?d a bsl:Deliberation ; eli:date_document ?date . BIND(STR(YEAR(?date)) AS ?y)
          OPTIONAL { SELECT ?d (?d AS ?ok) WHERE {""" + CURRENT + """ FILTER(?b != bsl:aucunEngagement) } }
        } GROUP BY ?y""")}
    bars = page.eval_on_selector_all(
        "#chart-part text.valeur",
        "els => els.map(e => [e.dataset.key, e.dataset.rattachees, e.dataset.total, e.textContent])")
    assert len(bars) == len(share) == 3
    for year, att, tot, text in bars:
        assert (int(att), int(tot)) == share[year]
        assert text.startswith(f"{round(100 * int(att) / int(tot))}\u00a0%")

    # coverage matrix: the sum of its cells = SPARQL count of contributions from contract elements to the référentiel
    cells = page.eval_on_selector_all("#matrice-couverture td.cellule",
                                      "els => els.map(e => [+e.dataset.explicite, +e.dataset.propose])")
    links = {r["f"]: int(r["n"]) for r in rows(web_store, """SELECT ?f (COUNT(?c) AS ?n) WHERE {
        ?c a bsl:Contribution ; bsl:contributeur ?x ; bsl:cible ?t ; bsl:fondement ?fd . BIND(STRAFTER(STR(?fd), "#")
        AS ?f)
        { ?t a bsl:Engagement } UNION { ?t a bsl:ChampIntervention }
        FILTER EXISTS { { ?x bsl:contrat ?k } UNION { ?x a/rdfs:subClassOf* bsl:Contrat } } } GROUP BY ?f""")}
    assert sum(c[0] for c in cells) == links.get("explicite", 0)
    assert sum(c[1] for c in cells) == links.get("propose", 0)
    assert sum(c[0] + c[1] for c in cells) > 0

    # per-commune effort: Denain has D1 under engagement 1 and as many QPV as the graph says
    denain = page.locator("#chart-communes g[data-commune='Denain']")
    qpv = rows(web_store,
               "SELECT (COUNT(?q) AS ?n) WHERE { ?q a bsl:QuartierPrioritaire ; bsl:commune id:commune\\/59172 }")
    assert denain.locator("text.qpv").text_content() == qpv[0]["n"]
    assert denain.locator("text.valeur").text_content() == "1"
    # each chart names the query behind it
    assert page.locator("a[href='/dashboard/requete/coverage']").count() == 1
    shot(page, "dashboard")
    page.click("a[href='/dashboard/requete/coverage']")
    assert "bsl:Contribution" in page.locator("pre.requete").inner_text()


# ------------------------------------------------------------------------------------------------ review


def _decisions(store: ox.Store, d: str) -> list[dict]:
    """The human tags of ``d``: body, status, author, reason."""
    return rows(store, """SELECT ?d ?b ?s ?agent ?why WHERE {
        ?a a oa:Annotation ; oa:hasTarget ?d ; oa:hasBody ?b ; bsl:statutRevue ?s ; prov:wasAttributedTo ?agent ;
           prov:generatedAtTime ?when . ?agent a prov:Person . OPTIONAL { ?a bsl:justification ?why } }""",
                d=ox.NamedNode(base_iri() + d))


def test_writes_need_the_token(server):
    r = httpx.post(server["url"] + "/review/accepter", data={"deliberation": D2})
    assert r.status_code == 303 and r.headers["location"].startswith("/connexion")
    r = httpx.post(server["url"] + "/connexion", data={"nom": "X", "jeton": "mauvais-jeton"})
    assert r.status_code == 401
    r = httpx.post(server["url"] + "/review/accepter", data={"deliberation": D2},
                   cookies={"boussole_revue": "WA==.1.forged"})
    assert r.status_code == 303 and r.headers["location"].startswith("/connexion")



def test_a_program_decides_with_the_bearer_token(server, web_store):
    """The review forms also take the write token as a bearer token (a program; its name in X-Boussole-Reviewer),
    checked by the service's one writer check: a wrong token is a 401 and writes nothing."""
    from ingest import review

    reviewed = "deliberation/200042190/DEL-2023-010"  # accepted by a person in the fixture: the current tag stays
    before = review.current(web_store, reviewed)
    wrong = httpx.post(server["url"] + "/review/accepter", data={"deliberation": reviewed},
                       headers={"Authorization": "Bearer pas-le-bon-jeton", "Accept": "application/json"})
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
    assert review.current(web_store, reviewed).annotations == before.annotations
    bearer = {"Authorization": f"Bearer {server['token']}", "X-Boussole-Reviewer": "Robot Essai"}
    r = httpx.post(server["url"] + "/review/accepter", data={"deliberation": reviewed}, headers=bearer)
    assert r.status_code == 303 and "message=" in r.headers["location"], r.headers["location"]
    [agent] = {a.agent for a in review.current(web_store, reviewed).annotations}   # a pseudonym, never the name
    assert agent.startswith(base_iri() + "relecteur/") and "robot" not in agent
    r = httpx.post(server["url"] + "/review/annuler", data={"deliberation": reviewed}, headers=bearer)
    assert r.status_code == 303 and "message=" in r.headers["location"], r.headers["location"]
    assert review.current(web_store, reviewed).annotations == before.annotations


def test_review_deliberations_end_to_end(page, web_store, server):
    from ingest import review

    page.goto("/review")
    card = page.locator(f"article.carte[data-deliberation='{D1}']")
    assert card.count() == 1
    # the evidence is highlighted in the text and the entity found links to its commune
    assert "logements sociaux" in card.locator("mark").all_inner_texts()
    assert card.locator(".entites a[href='/id/commune/59172']").inner_text() == "Denain"
    assert card.locator("button").count() == 0  # reading needs no login, writing does

    page.get_by_role("link", name="Connectez-vous").first.click()
    page.get_by_label("Votre nom").fill("Jeanne Martin")
    page.get_by_label("Jeton d'écriture").fill(server["token"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/review"))
    assert "Jeanne Martin" in page.locator(".session").inner_text()
    assert not _decisions(web_store, D2)

    # 1. accept the proposal for D2 (a confident one: listed under « Toutes », not in the queue) with the keyboard:
    # focus its card, press « a »; the page offers to undo, « u » undoes, « a » again accepts
    assert page.locator(f"article.carte[data-deliberation='{D2}']").count() == 0
    page.goto("/review?statut=")
    page.locator(f"article.carte[data-deliberation='{D2}']").focus()
    page.keyboard.press("a")
    page.wait_for_selector("#message-decision")
    assert page.evaluate("document.activeElement.id") == "annuler-derniere"
    assert review.current(web_store, D2).source == "humain"
    page.keyboard.press("u")
    page.wait_for_selector("#message-decision >> text=Décision annulée.")
    assert review.current(web_store, D2).source == "modele"
    page.locator(f"article.carte[data-deliberation='{D2}']").focus()
    page.keyboard.press("a")
    page.wait_for_selector("#message-decision >> text=Proposition acceptée.")
    accepted = [r for r in _decisions(web_store, D2) if r["s"] != "remplace"]
    assert sorted(r["b"] for r in accepted) == [base_iri() + "champ/1-1", base_iri() + "engagement/1"]
    assert {r["s"] for r in accepted} == {"accepte"}
    [agent] = {r["agent"] for r in accepted}
    assert agent.startswith(base_iri() + "relecteur/") and "jeanne" not in agent
    # the store has the pseudonym; the logged-in staff's decision log has the name
    assert "Jeanne Martin" in page.locator("section.journal table").inner_text()
    assert review.current(web_store, D2).source == "humain"

    # 2. correct D1: « c » opens the form, pre-checked with the proposal; drop engagement 3, add champ 1.3
    card = page.locator(f"article.carte[data-deliberation='{D1}']")
    card.focus()
    page.keyboard.press("c")
    form = card.locator("details.corriger")
    assert form.get_attribute("open") is not None
    assert form.get_by_label(re.compile(r"^Engagement 3 — ")).is_checked()
    assert form.get_by_label(re.compile(r"^1\.2 ")).is_checked()
    form.get_by_label(re.compile(r"^Engagement 3 — ")).uncheck()
    form.get_by_label(re.compile(r"^1\.3 ")).check()
    form.get_by_label("Raison de la correction").fill("Réhabilitation de logements : habitat, pas rayonnement.")
    shot(page, "review-correction")
    form.get_by_role("button", name="Enregistrer la correction").click()
    page.wait_for_selector("#message-decision")

    cur = review.current(web_store, D1)
    assert (cur.source, cur.engagements, cur.champs) == ("humain", ["1"], ["1-2", "1-3"])
    corrected = _decisions(web_store, D1)
    assert {r["s"] for r in corrected} == {"corrige"}
    assert {r["why"] for r in corrected} == {"Réhabilitation de logements : habitat, pas rayonnement."}
    assert server["written"]()  # the app was told the store changed
    # the queue updated: D1 left « à revoir »; D1 shows as reviewed with its new current tags
    page.goto("/review")
    assert page.locator(f"article.carte[data-deliberation='{D1}']").count() == 0
    assert page.locator(f"article.carte[data-deliberation='{D2}']").count() == 0
    page.goto("/review?statut=revue")
    card = page.locator(f"article.carte[data-deliberation='{D1}']")
    assert sorted(card.locator("tr.courante").evaluate_all("els => els.map(e => e.dataset.corps)")) == [
        "CONDITIONS DE VIE ET HABITAT", "Rattraper les retards de développement et agir là où un accompagnement "
        "équitable est nécessaire",
        "ÉDUCATION ET RÉUSSITE ÉDUCATIVE"]
    shot(page, "review-done")


@ONCE
def test_keyboard_moves_through_the_queue(page):
    page.goto("/review?statut=")
    page.locator("h1").click()
    page.keyboard.press("j")
    first = page.evaluate("document.activeElement.id")
    page.keyboard.press("j")
    second = page.evaluate("document.activeElement.id")
    page.keyboard.press("k")
    assert (first, second, page.evaluate("document.activeElement.id")) == ("carte-1", "carte-2", "carte-1")


# ------------------------------------------------------------------------------------------------ browsing


def test_browse_from_an_engagement_to_a_deliberation_and_back(page):
    page.goto("/")
    page.locator("ul.engagements a[href='/id/engagement/1']").click()
    assert page.locator("h1").inner_text().startswith("1 Rattraper les retards")
    page.get_by_role("link", name="Création d'une maison France services à Abscon").click()
    page.wait_for_url(re.compile(D2 + "$"))
    assert page.locator("h1").inner_text() == "Création d'une maison France services à Abscon"
    page.locator("table.etiquettes tr.courante a[href='/id/champ/1-1']").click()
    assert page.locator("h1").inner_text() == "1.1 EQUITÉ DE DÉVELOPPEMENT DES BASSINS DE VIE"
    # the champ's sources show the seed's own lines
    source = page.locator("div.source").first
    m = re.search(r"fichier (\S+), lignes (\d+) à (\d+)", source.inner_text())
    assert m
    lines = (SOURCES / m.group(1)).read_text(encoding="utf-8").splitlines()
    assert lines[int(m.group(2)) - 1].strip() in source.locator("pre.extrait").inner_text()
    # and back up: champ → engagement
    page.locator("table.proprietes tr", has_text="fait partie de").locator("a").click()
    page.wait_for_url(re.compile(r"/id/engagement/1$"))
    page.go_back()
    page.wait_for_url(re.compile(r"/id/champ/1-1$"))
    shot(page, "fiche-champ")


@ONCE
def test_search_over_labels(page):
    page.goto("/")
    page.get_by_label("Rechercher", exact=True).fill("france services")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche\?q="))
    assert page.get_by_role("link", name="Création d'une maison France services à Abscon").count() == 1
    page.goto("/recherche?q=%3Cscript%3E%20%7D%20UNION")  # odd input is only text
    assert page.locator("p[role=status]").inner_text().startswith("0 résultat")


# ------------------------------------------------------------------------------------------------ accessibility

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(el =>
  !((el.id && document.querySelector(`label[for="${el.id}"]`)) || el.closest('label') ||
    el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))).map(el => el.outerHTML)"""

LOW_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v
        <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                       if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *:not(svg):not(svg *)')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(el); const r = el.getBoundingClientRect();
    if (st.visibility === 'hidden' || st.display === 'none' || r.width < 2 || r.height < 2 || r.left < -1000) continue;
    const L1 = lum(rgb(st.color)), L2 = lum(bg(el)); const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) +
        0.05);
    const size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && +st.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5))
      bad.push(`${el.tagName} «${el.textContent.trim().slice(0, 40)}» ${ratio.toFixed(2)}`);
  }
  return bad; }"""


@ONCE
@pytest.mark.parametrize("url", ["/", "/dashboard", "/review?statut=", "/id/engagement/1", f"/id/{D1}",
                                 "/recherche?q=mobilit%C3%A9", "/connexion"])
def test_accessibility_basics(page, url):
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    # every page links to the SPARQL query page, in the navigation
    assert page.locator("nav[aria-label='Navigation principale'] a[href='/ui']").count() == 1
    # keyboard: the first Tab reaches the skip link, which moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "evitement"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    # Tab from the top reaches the navigation and the search box
    page.goto(url)
    reached = []
    for _ in range(16):
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "(document.activeElement.id || '') + '|' + (document.activeElement.textContent || '').trim()"))
    joined = "\n".join(reached)
    assert "Tableau de bord" in joined and "|Revue" in joined and "recherche-q|" in joined
    if url == "/":
        shot(page, "accueil")
