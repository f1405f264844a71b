"""What other apps read: compact JSON-LD of /id/… under the published context, the DCAT-AP description that
data.gouv.fr harvests, errors as application/problem+json, coherence answers with typed numbers."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
from api_testlib import BASE
from openpyxl import load_workbook

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def test_resource_json_ld_is_compact_and_means_the_same_triples(ro_server):
    with ro_server.client() as c:
        compact = c.get("/id/engagement/1", headers={"Accept": "application/ld+json"})
        turtle = c.get("/id/engagement/1.ttl")
        context = c.get("/context.jsonld").json()["@context"]
    doc = compact.json()
    assert doc["@context"] == context  # the published context, given inline
    node = next(n for n in doc["@graph"] if n["@id"] == "engagement/1")
    assert node["type"] == "Engagement"  # readable keys, not expanded IRIs
    assert "prefLabel" in node and "fr" in node["prefLabel"]
    assert not any(k.startswith("http") for n in doc["@graph"] for k in n)
    same = {q.triple for q in ox.parse(compact.content, format=ox.RdfFormat.JSON_LD)}
    assert same == {q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}


def test_dcat_description_can_be_harvested(ro_server):
    with ro_server.client() as c:
        r = c.get("/dataset", headers={"Accept": "text/turtle"})
    triples = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}

    def objects(s, p):
        return [t.object for t in triples if t.subject == s and t.predicate.value == p]

    catalogue = next(t.subject for t in triples if t.predicate == RDF_TYPE and t.object.value == DCAT + "Catalog")
    dataset = objects(catalogue, DCAT + "dataset")[0]
    licence = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    for subject in (catalogue, dataset):
        assert [o.value for o in objects(subject, DCT + "license")] == [licence]
        assert all(objects(subject, DCT + p) for p in ("publisher", "issued", "modified"))
    publisher = objects(dataset, DCT + "publisher")[0]
    assert (objects(publisher, "http://xmlns.com/foaf/0.1/name")[0].value
            == "Communauté d'Agglomération de La Porte du Hainaut")
    contact = objects(dataset, DCAT + "contactPoint")[0]
    assert objects(contact, "http://www.w3.org/2006/vcard/ns#fn")
    distributions = objects(dataset, DCAT + "distribution")
    assert len(distributions) == 3
    for d in distributions:  # DCAT-AP: every distribution has an access URL and a licence
        assert objects(d, DCAT + "accessURL") and [o.value for o in objects(d, DCT + "license")] == [licence]


def test_errors_for_programs_are_problem_json(ro_server):
    with ro_server.client() as c:
        missing = c.get("/id/nothing/here", headers={"Accept": "text/turtle"})
        browser = c.get("/id/nothing/here", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        unknown = c.get("/no-such-route")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["title"] == "Ressource introuvable" and BASE + "nothing/here" in missing.json()["detail"]
    assert browser.status_code == 404 and browser.headers["content-type"].startswith("text/html")
    assert "Ressource inconnue" in browser.text
    assert unknown.status_code == 404 and unknown.json()["status"] == 404


def test_coherence_answers_have_typed_numbers_and_spreadsheet_exports(ro_server):
    with ro_server.client() as c:
        questions = c.get("/coherence", headers={"Accept": "application/json"}).json()
        counting = None
        for q in questions:
            data = c.get(f"/coherence/{q['id']}", params={"format": "json"}).json()
            numbers = [v for row in data["rows"] for v in row.values() if isinstance(v, (int, float))]
            if numbers:
                counting = (q["id"], data)
                break
        assert counting, "no question answers a number on the fixture"
        qid, data = counting
        book = load_workbook(io.BytesIO(c.get(f"/coherence/{qid}", params={"format": "xlsx"}).content)).active
        french = c.get(f"/coherence/{qid}", params={"format": "csv-fr"}).content
    assert [c.value for c in book[1]] == data["columns"]
    assert [list(r) for r in book.iter_rows(min_row=2, values_only=True)] == [
        [row[col] for col in data["columns"]] for row in data["rows"]]
    assert french.startswith("\ufeff".encode())
    assert french.decode("utf-8-sig").splitlines()[0] == ";".join(data["columns"])
    json.dumps(data)  # plain JSON
