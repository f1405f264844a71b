"""W3C SPARQL 1.1 Protocol, Graph Store Protocol and Service Description tests, replayed from the manifests
against a real server over the embedded store (and, in test_remote.py, over a remote Oxigraph server)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from api_testlib import W3C, need_w3c
from api_w3c_http import Manifest, load_http_tests, run_http_test
from api_w3c_summary import record


def _tests(rel: str):
    path = W3C / rel
    return load_http_tests(path, W3C) if path.exists() else []


PROTOCOL = _tests("protocol/manifest.ttl")
GSP = _tests("graph-store-protocol/manifest-direct.ttl") + _tests("graph-store-protocol/manifest-indirect.ttl")


def test_manifests_are_read():
    need_w3c()
    assert len(PROTOCOL) == 34
    assert len(GSP) == 13  # manifest-direct lists 4 of its 5 tests (head_non_existing_direct is not an entry)


@pytest.mark.parametrize("test", PROTOCOL, ids=[t.iri.rsplit("#", 1)[1] for t in PROTOCOL])
def test_protocol(test, rw_server):
    with rw_server.client() as client:
        try:
            run_http_test(test, client, rw_server.auth())
        except AssertionError:
            record("protocol (embedded)", test.iri, False)
            raise
    record("protocol (embedded)", test.iri, True)


@pytest.mark.parametrize("test", GSP, ids=[t.iri.rsplit("#", 1)[1] for t in GSP])
def test_graph_store_protocol(test, rw_server):
    with rw_server.client() as client:
        try:
            run_http_test(test, client, rw_server.auth())
        except AssertionError:
            record("graph store protocol (embedded)", test.iri, False)
            raise
    record("graph store protocol (embedded)", test.iri, True)


# ---------------------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
# the classes and properties of the SPARQL 1.1 Service Description vocabulary (§3 of the specification)
SD_CLASSES = {"Service", "Feature", "Language", "Function", "Aggregate", "EntailmentRegime", "EntailmentProfile",
              "GraphCollection", "Dataset", "Graph", "NamedGraph"}
SD_PROPERTIES = {
    "endpoint",
    "feature",
    "defaultEntailmentRegime",
    "entailmentRegime",
    "defaultSupportedEntailmentProfile",
    "supportedEntailmentProfile",
    "extensionFunction",
    "extensionAggregate",
    "languageExtension",
    "supportedLanguage",
    "propertyFeature",
    "defaultDataset",
    "availableGraphs",
    "resultFormat",
    "inputFormat",
    "defaultGraph",
    "namedGraph",
    "name",
    "graph",
}
SD_INSTANCES = {
    "SPARQL10Query",
    "SPARQL11Query",
    "SPARQL11Update",
    "DereferencesURIs",
    "UnionDefaultGraph",
    "RequiresDataset",
    "EmptyGraphs",
    "BasicFederatedQuery",
}


def _sd(server) -> tuple[ox.Store, str, str]:
    with server.client() as client:
        r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    store = ox.Store()
    store.load(r.content, format=ox.RdfFormat.from_media_type(r.headers["content-type"].split(";")[0]))
    return store, server.url + "/sparql", r.headers["content-type"]


def check_sd(name: str, server) -> None:
    store, endpoint, ctype = _sd(server)
    if name == "returns-rdf":
        assert len(store) > 0 and ctype.startswith("text/turtle")
    elif name == "has-endpoint-triple":
        assert list(store.quads_for_pattern(None, ox.NamedNode(SD + "endpoint"), ox.NamedNode(endpoint), None))
    elif name == "conforms-to-schema":
        for q in store:
            for term in (q.predicate, q.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(SD):
                    local = term.value[len(SD) :]
                    assert local in SD_CLASSES | SD_PROPERTIES | SD_INSTANCES, f"unknown sd term {local}"
        services = [
            q.subject
            for q in store.quads_for_pattern(
                None,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(SD + "Service"),
                None,
            )
        ]
        assert len(services) == 1
        svc = services[0]
        langs = [
            q.object.value for q in store.quads_for_pattern(svc, ox.NamedNode(SD + "supportedLanguage"), None, None)
        ]
        assert langs and all(x[len(SD) :] in SD_INSTANCES for x in langs)
        for q in store.quads_for_pattern(None, ox.NamedNode(SD + "namedGraph"), None, None):
            names = list(store.quads_for_pattern(q.object, ox.NamedNode(SD + "name"), None, None))
            assert len(names) == 1 and isinstance(names[0].object, ox.NamedNode)
        for q in store.quads_for_pattern(None, ox.NamedNode(SD + "defaultDataset"), None, None):
            assert list(store.quads_for_pattern(q.object, ox.NamedNode(SD + "defaultGraph"), None, None))
    else:
        raise AssertionError(f"no check implemented for service-description test {name}")


def _sd_tests():
    path = W3C / "service-description" / "manifest.ttl"
    if not path.exists():
        return []
    m = Manifest(path, "https://w3c.github.io/rdf-tests/sparql/sparql11/service-description/manifest.ttl")
    return [t.value for t in m.entries()]


SD_TESTS = _sd_tests()


@pytest.mark.parametrize("iri", SD_TESTS, ids=[t.rsplit("#", 1)[1] for t in SD_TESTS])
def test_service_description(iri, rw_server):
    try:
        check_sd(iri.rsplit("#", 1)[1], rw_server)
    except AssertionError:
        record("service description (embedded)", iri, False)
        raise
    record("service description (embedded)", iri, True)
