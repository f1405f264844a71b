"""The query page of `boussole serve`: YASGUI, served from the package, runs a query against /sparql in Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def full_server(web_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole application (API + pages), as `boussole serve` starts it, over a copy of the test store."""
    store = tmp_path_factory.mktemp("query-page") / "store"
    shutil.copytree(web_store_path, store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "BOUSSOLE_WRITE_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "api.server", "--store", str(store), "--port", str(port),
                             "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("boussole serve did not start")
    yield url
    proc.terminate()
    proc.wait(10)


def run_in_editor(page, query: str) -> None:
    page.evaluate("""(query) => {
        const yasqe = window.boussoleYasgui.getTab().getYasqe();
        yasqe.setValue(query);
        yasqe.query();
    }""", query)


def test_yasgui_runs_a_query_offline(browser, full_server: str) -> None:
    context = browser.new_context(base_url=full_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((full_server, "data:")) else outside.append(r.url))
    page.goto("/ui")
    page.wait_for_function("window.boussoleYasgui !== undefined")
    page.wait_for_selector("#questions[data-ready='true']")
    # one question picker with parameter fields instead of one tab per question
    assert page.evaluate("window.boussoleYasgui.persistentConfig.getTabs().length") == 1
    options = page.locator("#question option")
    assert options.count() >= 20
    assert "Champs d'intervention qu'aucun contrat ne couvre" in options.all_inner_texts()
    page.select_option("#question", "repartition-par-engagement")
    assert page.locator("#param-debut").input_value() == "2024-01-01"
    assert page.get_by_label("fin — dernier jour de la période").input_value() == "2044-12-31"
    page.get_by_role("button", name="Charger et lancer la requête").click()
    page.wait_for_selector(".yasr table td:has-text('Rattraper les retards')")
    loaded = page.evaluate("window.boussoleYasgui.getTab().getYasqe().getValue()")
    assert 'VALUES (?debut ?fin) { ("2024-01-01"^^' in loaded
    # other values are bound by the server into every VALUES block of the question
    page.select_option("#question", "champs-sans-contrat")
    page.select_option("#param-fondement", "explicite")
    page.get_by_role("button", name="Charger et lancer la requête").click()
    page.wait_for_function("window.boussoleYasgui.getTab().getYasqe().getValue().includes('\"explicite\"')")
    page.wait_for_selector(".yasr table tbody tr")
    assert "Requête" in page.locator(".yasgui .tabsList").inner_text()  # YASGUI's words in French where it allows
    # a label match that finds nothing gets the normalised form as a hint
    run_in_editor(page, 'SELECT ?c WHERE { ?c skos:prefLabel "Culture pour tous"@fr }')
    page.wait_for_selector("#indices li:has-text('bsl:libelleNormalise')")
    assert '"culture pour tous"' in page.locator("#indices").inner_text()
    run_in_editor(page, 'SELECT ?e ?label WHERE { ?e a bsl:Engagement ; skos:prefLabel ?label '
                        'FILTER(LANG(?label) = "fr") } ORDER BY ?e')
    page.wait_for_selector(".yasr table td:has-text('Rattraper les retards')")
    cells = page.locator(".yasr table tbody tr").count()
    assert cells == 3
    assert "engagement:1" in page.locator(".yasr table tbody").inner_text()  # the name that pastes back
    # the editor knows the predeclared prefixes: no « Prefix 'bsl' is not defined »
    assert page.evaluate("window.boussoleYasgui.getTab().getYasqe().queryValid") is True
    page.wait_for_selector(".yasr :text('Lignes 1 à 3 sur 3')")
    page.screenshot(path=str(ROOT / "test-artifacts" / "web-yasgui.png"), full_page=True)
    context.close()
    assert not outside, f"the query page fetched resources outside the server: {outside}"


@pytest.mark.parametrize("url", ["/ui", "/coherence", "/coherence/champs-sans-contrat", "/def", "/dataset",
                                 "/id/source/000", "/id/engagement/1", "/sparql"])
def test_service_pages_share_the_layout_and_pass_axe(browser, full_server: str, url: str) -> None:
    """The pages of the API (query UI, coherence questions, ontology, DCAT, sources) in the one layout, checked by
    axe-core; YASGUI itself is third-party and listed as not accessible in the accessibility statement."""
    from tests.web.axe import serious_violations

    context = browser.new_context(base_url=full_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    response = page.goto(url, wait_until="networkidle")
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("header.bandeau form[role=search]").count() == 1
    assert page.locator("footer a[href='/accessibilite']").count() == 1
    assert page.locator("h1").count() == 1
    assert serious_violations(page, exclude=("#yasgui",)) == []
    name = url.strip("/").replace("/", "-").split("?")[0] or "accueil"
    page.screenshot(path=str(ROOT / "test-artifacts" / f"service-{name}.png"), full_page=True)
    context.close()


def test_coherence_form_error_is_a_french_page(browser, full_server: str) -> None:
    """A date typed the French way in a coherence form: a French error page in the layout, not raw text."""
    question = next(q for q in httpx.get(full_server + "/coherence", headers={"Accept": "application/json"}).json()
                    if any(p["type"] == "date" for p in q["params"]))
    param = next(p["name"] for p in question["params"] if p["type"] == "date")
    context = browser.new_context(base_url=full_server)
    page = context.new_page()
    response = page.goto(f"/coherence/{question['id']}?{param}=13/05/2024")
    assert response.status == 400
    assert page.locator("h1").inner_text() == "Requête invalide"
    assert page.locator("footer a[href='/mentions-legales']").count() == 1
    api = httpx.get(full_server + f"/coherence/{question['id']}", params={param: "13/05/2024"},
                    headers={"Accept": "application/json"})
    assert api.status_code == 400 and api.headers["content-type"] == "application/problem+json"
    context.close()
