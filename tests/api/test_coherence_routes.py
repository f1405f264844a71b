"""The coherence questions, /validate and the deliberation routes over a real server on the real built store."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testlib import TOKEN, Server, start_server, stop_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
RECORD = {
    "COLL_NOM": "CA de la Porte du Hainaut", "COLL_SIRET": "20004219000017", "DELIB_ID": "API-2025-001",
    "DELIB_DATE": "2025-03-17", "DELIB_MATIERE_CODE": "8.5", "DELIB_MATIERE_NOM": "Politique de la ville",
    "DELIB_OBJET": "Attribution d'une subvention pour la rénovation énergétique de logements sociaux à Denain",
}


@pytest.fixture(scope="module")
def real_server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("coherence")
    store = tmp / "store"
    shutil.copytree(store_path, store)
    server = start_server(tmp, store=store, token=TOKEN, timeout=20)
    yield server
    stop_server(server)


def test_catalogue_lists_the_questions(real_server: Server) -> None:
    questions = httpx.get(real_server.url + "/coherence", headers={"Accept": "application/json"}).json()
    assert len(questions) >= 20
    assert {"id", "title_fr", "title_en", "question", "params", "columns"} <= set(questions[0])
    page = httpx.get(real_server.url + "/coherence", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Questions de cohérence" in page.text


def test_question_answers_in_json_csv_and_html(real_server: Server) -> None:
    url = real_server.url + "/coherence/engagement-champs-projets"
    data = httpx.get(url, params={"format": "json"}).json()
    champs = {r["element"] for r in data["rows"] if "/champ/" in (r["element"] or "")}
    assert len(champs) == 7  # engagement 2 has seven champs d'intervention
    rows = list(csv.DictReader(io.StringIO(httpx.get(url, params={"format": "csv"}).text)))
    assert len(rows) == len(data["rows"])
    html = httpx.get(url, headers={"Accept": "text/html"}).text
    assert "MOBILITÉS DOUCES ET ACTIVES" in html
    assert '<code class="curie">champ:2-4</code>' in html  # the name that pastes back into a query


def test_unknown_question_and_bad_parameter_are_client_errors(real_server: Server) -> None:
    missing = httpx.get(real_server.url + "/coherence/does-not-exist")
    assert missing.status_code == 404 and "known questions" in missing.text
    questions = httpx.get(real_server.url + "/coherence", headers={"Accept": "application/json"}).json()
    with_date = next(q for q in questions if any(p["type"] == "date" for p in q["params"]))
    date_param = next(p["name"] for p in with_date["params"] if p["type"] == "date")
    bad = httpx.get(real_server.url + f"/coherence/{with_date['id']}", params={date_param: "31/12/2024"})
    assert bad.status_code == 400 and date_param in bad.text
    unknown = httpx.get(real_server.url + f"/coherence/{with_date['id']}", params={"nope": "1"})
    assert unknown.status_code == 400 and "unknown parameter nope" in unknown.text


def test_validate_reports_conformance(real_server: Server) -> None:
    report = httpx.get(real_server.url + "/validate", timeout=120).json()
    assert report["conforms"] is True and report["violations"] == []


def test_post_deliberations_needs_the_token_and_is_idempotent(real_server: Server) -> None:
    refused = httpx.post(real_server.url + "/deliberations", json=RECORD)
    assert refused.status_code == 401
    first = httpx.post(real_server.url + "/deliberations", json=RECORD, headers=AUTH, timeout=120)
    assert first.status_code == 201, first.text
    assert first.json()["stored"] == 1
    again = httpx.post(real_server.url + "/deliberations", json=RECORD, headers=AUTH, timeout=120)
    assert again.status_code == 200 and again.json()["stored"] == 0 and again.json()["unchanged"] == 1
    iri = first.json()["deliberations"][0]
    ask = httpx.get(real_server.url + "/sparql", params={"query": f"ASK {{ <{iri}> a bsl:Deliberation }}"},
                    headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is True


def test_correct_through_the_api_makes_the_human_tag_current(real_server: Server) -> None:
    posted = httpx.post(real_server.url + "/deliberations", json={**RECORD, "DELIB_ID": "API-2025-002"},
                        headers=AUTH, timeout=120)
    iri = posted.json()["deliberations"][0]
    ref = iri.split("/id/", 1)[1]
    bad = httpx.post(real_server.url + f"/deliberations/{ref}/corriger", headers=AUTH,
                     json={"author": "Analyste", "reason": "test", "engagements": ["9"]})
    assert bad.status_code == 400
    done = httpx.post(real_server.url + f"/deliberations/{ref}/corriger", headers=AUTH,
                      json={"author": "Camille Martin", "reason": "Habitat : champ 1-2", "engagements": ["1"],
                            "champs": ["1-2"]})
    assert done.status_code == 200, done.text
    current = done.json()
    assert current["source"] == "humain" and current["engagements"] == ["1"] and current["champs"] == ["1-2"]


# --- pasted questions, printed names, prefixes (issue 12) ----------------------------------------------------------

def _cell(value) -> tuple:
    """A result cell compared by value: numbers as numbers (the JSON answer types them), the rest as text."""
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, value or "")


def test_every_question_pasted_into_the_endpoint_gives_the_canned_answer(real_server: Server) -> None:
    from queries import catalogue

    for q in catalogue.load():
        pasted = httpx.post(real_server.url + "/sparql", content=q.path.read_bytes(), timeout=60,
                            headers={"Content-Type": "application/sparql-query",
                                     "Accept": "application/sparql-results+json"})
        assert pasted.status_code == 200, (q.id, pasted.text)
        body = pasted.json()
        names = body["head"]["vars"]
        pasted_rows = sorted(tuple(_cell(b.get(n, {}).get("value")) for n in names)
                             for b in body["results"]["bindings"])
        canned = httpx.get(real_server.url + f"/coherence/{q.id}", params={"format": "json"}, timeout=60).json()
        canned_rows = sorted(tuple(_cell(r.get(n)) for n in names) for r in canned["rows"])  # numbers are typed there
        assert pasted_rows == canned_rows, q.id


def test_per_type_prefixes_are_predeclared_and_described(real_server: Server) -> None:
    query = ("SELECT ?l WHERE { engagement:1 skos:prefLabel ?l . champ:1-2 bsl:engagement engagement:1 . "
             "commune:59172 a bsl:Commune }")
    r = httpx.get(
        real_server.url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200 and r.json()["results"]["bindings"], r.text
    description = httpx.get(real_server.url + "/sparql", headers={"Accept": "text/turtle"}).text
    assert "PrefixDeclaration" in description and '"engagement"' in description and '"commune"' in description


def test_an_old_style_name_with_a_slash_is_pointed_at_with_its_pasteable_form(real_server: Server) -> None:
    query = "SELECT ?l WHERE {\n  id:engagement/1 skos:prefLabel ?l .\n}"
    r = httpx.get(real_server.url + "/sparql", params={"query": query})
    assert r.status_code == 400
    assert "ligne 2, colonne 3" in r.text and "engagement:1" in r.text and "id:engagement/1" in r.text


def test_the_picker_routes_bind_a_question_and_give_hints(real_server: Server) -> None:
    bound = httpx.get(real_server.url + "/coherence/champs-sans-contrat/requete", params={"fondement": "explicite"})
    assert bound.status_code == 200 and bound.headers["content-type"].startswith("application/sparql-query")
    assert bound.text.count('VALUES (?fondement) { ("explicite") }') == 2
    bad = httpx.get(real_server.url + "/coherence/champs-sans-contrat/requete", params={"fondement": '") } ; DROP ALL'})
    assert bad.status_code == 400 and "fondement" in bad.text
    hints = httpx.post(
        real_server.url + "/coherence/indices",
        content='SELECT ?c WHERE { ?c skos:prefLabel "Culture pour tous"@fr }'.encode(),
    )
    assert any("culture pour tous" in h for h in hints.json()["indices"])


def test_the_endpoint_hints_when_a_label_match_finds_nothing(real_server: Server) -> None:
    import json

    empty = httpx.get(real_server.url + "/sparql", headers={"Accept": "application/sparql-results+json"},
                      params={"query": 'SELECT ?c WHERE { ?c skos:prefLabel "Culture pour tous"@fr }'})
    assert empty.status_code == 200 and empty.json()["results"]["bindings"] == []
    hints = json.loads(empty.headers["Boussole-Indices"])
    assert any('"culture pour tous"' in h and "bsl:libelleNormalise" in h for h in hints)
    found = httpx.get(real_server.url + "/sparql", headers={"Accept": "text/csv"}, params={
        "query": 'SELECT ?c WHERE { ?c bsl:libelleNormalise "culture pour tous" ; skos:prefLabel ?l }'})
    assert found.status_code == 200 and found.text.count("\n") >= 2 and "Boussole-Indices" not in found.headers
