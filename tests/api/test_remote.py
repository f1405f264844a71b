"""The same service over a remote SPARQL 1.1 store: a real Oxigraph server, loaded through the Graph Store
Protocol, then the W3C protocol and graph store manifests replayed through Boussole."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest
from api_testlib import BASE, FIXTURE, W3C, free_port
from api_w3c_http import load_http_tests, run_http_test
from api_w3c_summary import record


def _tests(rel):
    path = W3C / rel
    return load_http_tests(path, W3C) if path.exists() else []


PROTOCOL = _tests("protocol/manifest.ttl")
GSP = _tests("graph-store-protocol/manifest-direct.ttl") + _tests("graph-store-protocol/manifest-indirect.ttl")


@pytest.mark.parametrize("test", PROTOCOL + GSP, ids=[t.iri.rsplit("#", 1)[1] for t in PROTOCOL + GSP])
def test_w3c_through_remote(test, remote_server):
    suite = "protocol (remote Oxigraph)" if test in PROTOCOL else "graph store protocol (remote Oxigraph)"
    with remote_server.client() as client:
        try:
            run_http_test(test, client, remote_server.auth())
        except AssertionError:
            record(suite, test.iri, False)
            raise
    record(suite, test.iri, True)


def test_linked_data_over_remote(remote_server, oxigraph_server):
    # load the fixture into the remote store through the Graph Store Protocol (one PUT per named graph)
    data = list(ox.parse(path=str(FIXTURE), base_iri=BASE))
    with remote_server.client() as c:
        c.post(
            "/sparql",
            content=b"DROP ALL",
            headers={"Content-Type": "application/sparql-update", **remote_server.auth()},
        )
        for g in {q.graph_name for q in data}:
            body = ox.serialize([q.triple for q in data if q.graph_name == g], format=ox.RdfFormat.N_TRIPLES)
            r = httpx.put(
                oxigraph_server + "/store",
                params={"graph": g.value},
                content=body,
                headers={"Content-Type": "application/n-triples"},
            )
            assert r.status_code in (201, 204)
        r = c.get("/id/engagement/1", headers={"Accept": "text/html"})
        assert r.status_code == 200 and "Engagement de test numéro un" in r.text
        assert 'href="/id/epci/200042190"' in r.text and "Voilà deux ans" in r.text
        r = c.get("/id/engagement/1.ttl")
        assert ox.Triple(
            ox.NamedNode(BASE + "champ/1-1"),
            ox.NamedNode("https://boussole.agglo-porteduhainaut.fr/def#engagement"),
            ox.NamedNode(BASE + "engagement/1"),
        ) in {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
        # the default graph is the union of the named graphs, as with the embedded store
        r = c.get("/sparql", params={"query": "SELECT ?l WHERE { <engagement/1> bsl:porteur/skos:prefLabel ?l }"})
        rows = list(ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON))
        assert [x["l"].value for x in rows] == ["Communauté d'Agglomération de La Porte du Hainaut"]
        assert (
            c.get(
                "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } }"}
            ).status_code
            == 403
        )
        sd = c.get("/sparql", headers={"Accept": "text/turtle"})
        assert sd.status_code == 200 and b"void:triples" in sd.content
        assert c.get("/health").json()["backend"] == "remote"


def test_pages_read_a_remote_store_through_the_backend(remote_server, oxigraph_server):
    """The French pages are mounted over --remote too: they read (and write reviews) through the Backend port;
    tests/web runs the browser tests over a remote Oxigraph server."""
    test_linked_data_over_remote(remote_server, oxigraph_server)  # loads the fixture into the remote store
    with remote_server.client() as c:
        pages = ("/", "/dashboard", "/deliberations", "/communes", "/contrats", "/constats", "/recherche?q=engagement")
        for url in pages:
            r = c.get(url, headers={"Accept": "text/html"})
            assert r.status_code == 200, (url, r.text[:300])
            assert 'footer class="pied"' in r.text
        found = c.get("/recherche", params={"q": "numéro un"}, headers={"Accept": "text/html"})
        assert 'href="/id/engagement/1"' in found.text


@pytest.mark.parametrize("query", [
    "SELECT ?o WHERE { ?s <http://example.org/p> ?o }",
    "select ?o where { ?s <http://example.org/p> ?o }",
    "SELECT ?o { ?s <http://example.org/p> ?o }",
    "SELECT ?o\nWHERE\n{\n  ?s <http://example.org/p> ?o # a comment with WHERE {\n}",
])
def test_remote_select_binds_parameters_whatever_the_spelling(query, oxigraph_server):
    """RemoteBackend.select pre-binds its parameters however the WHERE clause is written (it once replaced the
    exact text ``WHERE {`` and silently dropped them otherwise)."""
    import asyncio

    from api.backends import RemoteBackend
    from api.settings import Settings

    graph = "http://example.org/bind-test"
    body = (b"<http://example.org/a> <http://example.org/p> \"a\" .\n"
            b"<http://example.org/b> <http://example.org/p> \"b\" .\n")
    r = httpx.put(
        oxigraph_server + "/store",
        params={"graph": graph},
        content=body,
        headers={"Content-Type": "application/n-triples"},
    )
    assert r.status_code in (201, 204)

    async def run() -> list[dict]:
        backend = RemoteBackend(Settings(remote_query=oxigraph_server + "/query"))
        await backend.start()
        try:
            return await backend.select(query, {ox.Variable("s"): ox.NamedNode("http://example.org/a")})
        finally:
            await backend.close()

    assert [row["o"].value for row in asyncio.run(run())] == ["a"]


def test_a_remote_store_answers_the_store_operations_of_a_write_job_like_pyoxigraph(oxigraph_server):
    """RemoteStore (the store a write job gets over --remote) answers quads_for_pattern, query, extend and update as
    a pyoxigraph Store holding the same quads does, default graph and named graphs kept apart."""
    from api.remote_store import RemoteStore

    ex = "http://example.org/job/"
    s, p, g = ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.NamedNode(ex + "g")
    quads = [ox.Quad(s, p, ox.Literal("défaut"), ox.DefaultGraph()), ox.Quad(s, p, ox.Literal("nommé"), g),
             ox.Quad(s, p, ox.Literal('« guillemets " et \\ »', language="fr"), g)]
    local = ox.Store()
    with httpx.Client(timeout=30) as client:
        remote = RemoteStore(client, oxigraph_server + "/query", oxigraph_server + "/update")
        for store in (local, remote):
            store.extend(quads)
            store.update(f"DELETE DATA {{ GRAPH {g} {{ {s} {p} \"nommé\" }} }}")
        for graph in (None, ox.DefaultGraph(), g):
            assert set(remote.quads_for_pattern(s, None, None, graph)) == \
                set(local.quads_for_pattern(s, None, None, graph))
        assert len(list(remote.quads_for_pattern(s, p, None, None))) == 2
        text = "SELECT ?s ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
        bound = {ox.Variable("s"): s}
        assert [r["o"] for r in remote.query(text, substitutions=bound)] == \
            [r["o"] for r in local.query(text, substitutions=bound)]
        assert bool(remote.query("ASK { ?s ?p ?o }", substitutions=bound, use_default_graph_as_union=True))


def test_a_remote_write_that_fails_says_why_and_changes_nothing(oxigraph_server):
    """A review decision over --remote whose update cannot reach the store is a clear domain error (the pages show
    it with the form as it was), and the remote store is as it was."""
    import asyncio

    from api.backends import RemoteBackend
    from api.settings import Settings
    from kg.errors import UpstreamError

    quad = ox.Quad(ox.NamedNode("http://example.org/lost"), ox.NamedNode("http://example.org/p"), ox.Literal("x"),
                   ox.NamedNode("http://example.org/lost-graph"))
    closed = f"http://127.0.0.1:{free_port()}/update"

    async def run() -> None:
        backend = RemoteBackend(Settings(remote_query=oxigraph_server + "/query", remote_update=closed))
        await backend.start()
        try:
            await backend.write(lambda store: store.extend([quad]))
        finally:
            await backend.close()

    with pytest.raises(UpstreamError, match="injoignable"):
        asyncio.run(run())
    asked = httpx.get(oxigraph_server + "/query", headers={"Accept": "application/sparql-results+json"},
                      params={"query": "ASK { GRAPH ?g { <http://example.org/lost> ?p ?o } }"})
    assert asked.json()["boolean"] is False


def test_a_remote_store_written_with_reviewers_names_is_pseudonymised_once(oxigraph_server, tmp_path):
    """Over --remote, the one rewrite of a store written with reviewers' names runs on the remote store (one
    update): the remote's own endpoint then holds the pseudonym only, and the directory the name."""
    from api.remote_store import RemoteStore
    from ingest.review import pseudonymise
    from ingest.reviewers import Reviewers
    from kg.iris import FOAF, PROV, RDF, SKOS, graph

    g = graph("annotations")
    person, annotation = ox.NamedNode(BASE + "personne/marie-dupont"), ox.NamedNode(BASE + "annotation/distante")
    named = [ox.Quad(person, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Person"), g),
             ox.Quad(person, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("Marie Dupont"), g),
             ox.Quad(person, ox.NamedNode(FOAF + "name"), ox.Literal("Marie Dupont"), g),
             ox.Quad(annotation, ox.NamedNode(PROV + "wasAttributedTo"), person, g)]
    names = Reviewers(tmp_path / "relecteurs.sqlite")
    with httpx.Client(timeout=30) as client:
        remote = RemoteStore(client, oxigraph_server + "/query", oxigraph_server + "/update")
        remote.extend(named)
        assert pseudonymise(remote, names) == 1
        assert pseudonymise(remote, names) == 0   # nothing left to rewrite: no duplicate
        [agent] = [q.object for q in remote.quads_for_pattern(annotation, None, None, g)]
        held = [q for s in (annotation, agent) for q in remote.quads_for_pattern(s, None, None, g)]
        try:
            dataset = httpx.get(oxigraph_server + "/store", headers={"Accept": "application/n-quads"}).text
            assert "Dupont" not in dataset and "personne/marie-dupont" not in dataset
            assert names.name_of(agent.value) == "Marie Dupont"
            assert {q.object.value for q in held if q.subject == agent and q.predicate.value == SKOS + "prefLabel"} \
                == {"Relecteur " + agent.value.rsplit("/", 1)[1]}
        finally:
            remote.update(f"DELETE DATA {{ {' '.join(f'GRAPH {q.graph_name} {{ {q.triple} }}' for q in held)} }}")
