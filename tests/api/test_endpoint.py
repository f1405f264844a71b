"""The endpoint's behaviour beyond the W3C suites: negotiation, errors, safety, timeouts, writes, linked data, UI."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pyoxigraph as ox
import pytest

from api_testlib import BASE

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


def results(r: httpx.Response):
    return ox.parse_query_results(r.content, format=ox.QueryResultsFormat.from_media_type(r.headers["content-type"].split(";")[0]))


# ------------------------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("text/*;q=0.3, application/sparql-results+xml;q=0.2", "text/csv"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
    ],
)
def test_select_negotiation(ro_server, accept, expected):
    headers = {"Accept": accept} if accept else {}
    with ro_server.client() as c:
        r = c.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a bsl:Engagement }"}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == expected
    if expected in ("application/sparql-results+json", "application/sparql-results+xml", "text/tab-separated-values"):
        rows = list(results(r))
        assert [row["s"].value for row in rows] == [BASE + "engagement/1"]
    if expected == "text/csv":
        assert r.text.splitlines() == ["s", BASE + "engagement/1"]


@pytest.mark.parametrize(
    "accept, fmt",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/trig", ox.RdfFormat.TRIG),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
        ("application/rdf+xml;q=0.4, text/turtle;q=0.8", ox.RdfFormat.TURTLE),
    ],
)
def test_construct_negotiation(ro_server, accept, fmt):
    q = "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { ?s a bsl:Engagement ; skos:prefLabel ?l }"
    with ro_server.client() as c:
        r = c.post("/sparql", content=q, headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == fmt.media_type
    triples = [x.triple for x in ox.parse(r.content, format=fmt)]
    assert triples == [ox.Triple(ox.NamedNode(BASE + "engagement/1"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                                 ox.Literal("Engagement de test numéro un", language="fr"))]


def test_406_when_nothing_fits(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
        assert r.status_code == 406
        assert "application/sparql-results+json" in r.text
        r = c.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
        assert r.status_code == 406


def test_format_parameter_overrides_accept(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a bsl:Engagement }", "format": "csv"}, headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("text/csv")


def test_malformed_query_gives_the_parser_message(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p "})
    assert r.status_code == 400
    assert "ligne 1, colonne" in r.text and "requête mal formée" in r.text


def test_default_graph_is_the_union_and_dataset_parameters_restrict_it(ro_server):
    q = "ASK { <engagement/1> bsl:porteur ?x ; skos:prefLabel ?l }"
    with ro_server.client() as c:
        assert bool(results(c.get("/sparql", params={"query": q}))) is True
        r = c.get("/sparql", params={"query": q, "default-graph-uri": BASE + "graph/referentiel"})
        assert bool(results(r)) is False
        r = c.get("/sparql", params=[("query", q), ("default-graph-uri", BASE + "graph/referentiel"),
                                     ("default-graph-uri", BASE + "graph/territoire")])
        assert bool(results(r)) is True


# ------------------------------------------------------------------------------------------- safety


def test_service_and_load_are_refused_without_allow_list(ro_server):
    with ro_server.client() as c:
        for q in ["SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
                  "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
                  "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
                  "PREFIX e: <http://example.org/> SELECT * WHERE { service e:sparql { ?s ?p ?o } }"]:
            r = c.get("/sparql", params={"query": q})
            assert r.status_code == 403, (q, r.text)
            assert "fédération désactivée" in r.text
        # the word inside a string, an IRI, a variable or a comment is not an operation
        ok = 'SELECT ?service WHERE { BIND("SERVICE <http://x>" AS ?service) } # SERVICE <http://y>'
        assert c.get("/sparql", params={"query": ok}).status_code == 200


def test_anonymous_result_cap(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert r.status_code == 403
        assert "LIMIT" in r.text
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
        assert r.status_code == 200 and len(list(results(r))) == 10


def test_runaway_query_is_stopped_while_others_are_served(ro_server):
    """2 s timeout: the cartesian product is killed (503) while simple queries keep answering."""
    with ro_server.client() as c, concurrent.futures.ThreadPoolExecutor(2) as pool:
        start = time.monotonic()
        slow = pool.submit(c.post, "/sparql", data={"query": RUNAWAY})
        time.sleep(0.3)
        t0 = time.monotonic()
        fast = c.get("/sparql", params={"query": COUNT})
        fast_latency = time.monotonic() - t0
        assert fast.status_code == 200
        assert fast_latency < 1.0, fast_latency
        r = slow.result()
        elapsed = time.monotonic() - start
        assert r.status_code in (503, 504), r.text
        assert "timeout" in r.text
        assert elapsed < 5
        # the killed worker is replaced: the service keeps answering with all its workers
        for _ in range(4):
            assert c.get("/sparql", params={"query": COUNT}).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and c.get("/health").json()["workers_alive"] < 2:
            time.sleep(0.2)
        h = c.get("/health").json()
        assert h["workers_alive"] == 2 and h["query_timeouts"] >= 1


# ------------------------------------------------------------------------------------------- writes


def test_read_only_by_default(ro_server):
    with ro_server.client() as c:
        r = c.post("/sparql", content="INSERT DATA { <x:a> <x:b> <x:c> }", headers={"Content-Type": "application/sparql-update"})
        assert r.status_code == 403
        assert c.put("/store", params={"default": ""}, content="<x:a> <x:b> <x:c> .", headers={"Content-Type": "application/n-triples"}).status_code == 403
        assert c.delete("/store", params={"graph": BASE + "graph/referentiel"}).status_code == 403
        assert bool(results(c.get("/sparql", params={"query": "ASK { <engagement/1> ?p ?o }"})))


def test_writes_need_the_token_and_a_failed_write_changes_nothing(rw_server):
    auth = rw_server.auth()
    with rw_server.client() as c:
        c.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update", **auth})
        ins = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "1" } }'
        r = c.post("/sparql", content=ins, headers={"Content-Type": "application/sparql-update"})
        assert r.status_code == 401 and "Bearer" in r.headers["www-authenticate"]
        r = c.post("/sparql", content=ins, headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer wrong-token-xyz"})
        assert r.status_code == 401
        assert c.post("/sparql", content=ins, headers={"Content-Type": "application/sparql-update", **auth}).status_code == 204
        # the new data is visible to the query workers at once (they reopen their read-only view)
        r = c.get("/sparql", params={"query": "SELECT ?o WHERE { <urn:a> <urn:p> ?o }"})
        assert [row["o"].value for row in results(r)] == ["1"]
        # a failing update (second operation is invalid at run time) leaves the store unchanged
        bad = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "2" } } ; LOAD <http://example.org/x.ttl>'
        r = c.post("/sparql", content=bad, headers={"Content-Type": "application/sparql-update", **auth})
        assert r.status_code == 403  # LOAD refused before anything runs
        bad = 'INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> "2" } } ; CREATE GRAPH <urn:g>'
        r = c.post("/sparql", content=bad, headers={"Content-Type": "application/sparql-update", **auth})
        assert r.status_code >= 400
        r = c.get("/sparql", params={"query": "SELECT ?o WHERE { <urn:a> <urn:p> ?o }"})
        assert [row["o"].value for row in results(r)] == ["1"]
        # a graph store PUT with a body that does not parse changes nothing either
        r = c.put("/store", params={"graph": "urn:g"}, content=b"<urn:a> <urn:p> ", headers={"Content-Type": "text/turtle", **auth})
        assert r.status_code == 400
        r = c.get("/store", params={"graph": "urn:g"}, headers={"Accept": "application/n-triples"})
        assert r.status_code == 200 and '"1"' in r.text
        # authenticated reads are not capped and are streamed
        r = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=auth)
        assert r.status_code == 200


# ------------------------------------------------------------------------------------------- descriptions


def test_service_description_has_void_statistics(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", headers={"Accept": "text/turtle"})
    store = ox.Store()
    store.load(r.content, format=ox.RdfFormat.TURTLE)
    rows = list(store.query("""
        PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?name ?n ?desc WHERE { ?s sd:defaultDataset/sd:namedGraph [ sd:name ?name ; sd:graph [ void:triples ?n ; <http://purl.org/dc/terms/description> ?desc ] ] }
        ORDER BY ?name"""))
    names = {row["name"].value: int(row["n"].value) for row in rows}
    assert names[BASE + "graph/deliberations"] == 300
    assert names[BASE + "graph/territoire"] == 3
    assert store.query("PREFIX void: <http://rdfs.org/ns/void#> ASK { ?d void:classPartition [ void:class <https://boussole.agglo-porteduhainaut.fr/def#Engagement> ; void:entities 1 ] }")


def test_browser_gets_the_query_ui(ro_server):
    with ro_server.client() as c:
        r = c.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
        assert r.status_code == 200 and "yasgui.min.js" in r.text
        assert '"bsl": "https://boussole.agglo-porteduhainaut.fr/def#"' in r.text
        js = c.get("/static/yasgui/yasgui.min.js")
        assert js.status_code == 200 and len(js.content) > 500_000
        assert c.get("/static/yasgui/yasgui.min.css").status_code == 200
        assert isinstance(c.get("/ui/examples.json").json(), list)


def test_dataset_and_dumps(ro_server):
    with ro_server.client() as c:
        r = c.get("/dataset", headers={"Accept": "text/turtle"})
        assert r.status_code == 200
        store = ox.Store()
        store.load(r.content, format=ox.RdfFormat.TURTLE)
        assert store.query("PREFIX dcat: <http://www.w3.org/ns/dcat#> ASK { ?d a dcat:Dataset ; dcat:distribution [ dcat:downloadURL ?u ] }")
        nq = c.get("/dump.nq")
        assert nq.headers["content-type"].startswith("application/n-quads")
        quads = list(ox.parse(nq.content, format=ox.RdfFormat.N_QUADS))
        assert len(quads) == 300 + 19  # the filler + tests/api/data/mini.trig
        trig = c.get("/dump.trig")
        assert len(list(ox.parse(trig.content, format=ox.RdfFormat.TRIG))) == len(quads)


def test_health_metrics_cors(ro_server):
    with ro_server.client() as c:
        h = c.get("/health").json()
        assert h["status"] == "ok" and h["backend"] == "embedded" and h["writable"] is False
        c.get("/sparql", params={"query": "ASK {}"})
        m = c.get("/metrics").text
        assert 'boussole_requests_total{route="/sparql",method="GET",status="200"}' in m
        assert "boussole_request_duration_seconds_bucket" in m and "boussole_request_errors_total" in m
        r = c.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
        assert r.headers["access-control-allow-origin"] == "*"
        pre = c.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "PUT"})
        assert pre.status_code == 400  # writes are not open to other origins


# ------------------------------------------------------------------------------------------- linked data


def test_resource_html_page(ro_server):
    with ro_server.client() as c:
        r = c.get("/id/engagement/1", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Engagement de test numéro un" in page
    assert 'href="/def#Engagement"' in page  # type, linked to the ontology
    assert 'href="/id/epci/200042190"' in page and "Agglomération de La Porte du Hainaut" in page
    assert 'href="/id/champ/1-1"' in page  # incoming link (champ/1-1 bsl:engagement engagement/1)
    assert 'href="/id/source/000#L4-L6"' in page
    # the source lines, read from kg/sources/000_*.txt
    assert "Voilà deux ans que nous y travaillons" in page


def test_blank_node_descriptions_are_shown(ro_server):
    with ro_server.client() as c:
        r = c.get("/id/champ/1-1", headers={"Accept": "text/html"})
    assert "une note sur un nœud anonyme" in r.text


@pytest.mark.parametrize(
    "suffix, accept, fmt",
    [
        ("", "text/turtle", ox.RdfFormat.TURTLE),
        ("", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        (".ttl", "text/html", ox.RdfFormat.TURTLE),
        (".jsonld", None, ox.RdfFormat.JSON_LD),
        (".nt", None, ox.RdfFormat.N_TRIPLES),
    ],
)
def test_resource_rdf(ro_server, suffix, accept, fmt):
    with ro_server.client() as c:
        r = c.get("/id/engagement/1" + suffix, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == fmt.media_type
    triples = {q.triple for q in ox.parse(r.content, format=fmt)}
    e1 = ox.NamedNode(BASE + "engagement/1")
    assert ox.Triple(e1, ox.NamedNode("https://boussole.agglo-porteduhainaut.fr/def#porteur"), ox.NamedNode(BASE + "epci/200042190")) in triples
    assert ox.Triple(ox.NamedNode(BASE + "champ/1-1"), ox.NamedNode("https://boussole.agglo-porteduhainaut.fr/def#engagement"), e1) in triples


def test_unknown_resource_is_404(ro_server):
    with ro_server.client() as c:
        assert c.get("/id/engagement/99", headers={"Accept": "text/html"}).status_code == 404
        assert c.get("/id/engagement/99", headers={"Accept": "text/turtle"}).status_code == 404


def test_source_document_page(ro_server):
    with ro_server.client() as c:
        r = c.get("/id/source/000", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert '<div id="L4"><span class="n">4</span>Voilà deux ans' in r.text


def test_ontology_and_context(ro_server):
    with ro_server.client() as c:
        ttl = c.get("/def", headers={"Accept": "text/turtle"})
        assert ttl.status_code == 200
        assert len(list(ox.parse(ttl.content, format=ox.RdfFormat.TURTLE))) > 100
        html = c.get("/def", headers={"Accept": "text/html"})
        assert 'id="Engagement"' in html.text
        ctx = c.get("/context.jsonld")
        assert ctx.headers["content-type"].startswith("application/ld+json")
        data = ctx.json()["@context"]
        assert data["bsl"] == "https://boussole.agglo-porteduhainaut.fr/def#"
        assert data["@base"] == BASE
        # the context is usable: our JSON-LD + the context expands to the same triples
        doc = c.get("/id/engagement/1.jsonld").json()
        assert doc


def test_sparqlwrapper_client(ro_server):
    SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
    sw = SPARQLWrapper.SPARQLWrapper(ro_server.url + "/sparql")
    sw.setQuery("PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#> SELECT ?e WHERE { ?e a bsl:Engagement }")
    sw.setReturnFormat(SPARQLWrapper.JSON)
    data = sw.query().convert()
    assert [b["e"]["value"] for b in data["results"]["bindings"]] == [BASE + "engagement/1"]
    sw.setMethod(SPARQLWrapper.POST)
    data = sw.query().convert()
    assert len(data["results"]["bindings"]) == 1
