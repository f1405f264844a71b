"""Reviewers' names never reach an anonymous caller (issue #15): the store holds pseudonyms only
(``id:relecteur/<pseudonym>``, « Relecteur <pseudonym> »), the names live in the directory beside the store
(``<store>.relecteurs.sqlite``), and a store written with names is rewritten once when the service starts. A real
uvicorn server over an on-disk store written the old way (Marie Durand), then a decision by Marie Dupont."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from api_testlib import TOKEN, Server, start_server, stop_server

from kg.iris import base_iri, graph

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "web" / "fixture_deliberations.ttl"   # Marie Durand: a reviewer named the old way
LEGACY_KEY = "11" * 32
NAMES = ("Dupont", "Durand", "marie-d")


def old_store(path: Path) -> Path:
    """A store as Boussole wrote it before pseudonyms: ``personne/marie-durand`` named « Marie Durand », and the
    key of the pseudonyms of its former public dumps beside it."""
    store = ox.Store(str(path))
    for q in ox.parse(path=str(FIXTURE), base_iri=base_iri()):
        tagging = any(f"/{k}/" in q.subject.value for k in ("annotation", "agent", "personne"))
        store.add(ox.Quad(q.subject, q.predicate, q.object, graph("annotations" if tagging else "deliberations")))
    store.flush()
    del store
    (path.parent / f"{path.name}.pseudonymes.key").write_text(LEGACY_KEY)
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("reviewer-names")
    store = old_store(tmp / "store")
    server = start_server(tmp, store=store, token=TOKEN, workers=1)
    decided = httpx.post(server.url + "/deliberations/DEL-2024-001/accepter", json={"author": "Marie Dupont"},
                         headers=server.auth(), timeout=60)
    assert decided.status_code == 200, decided.text
    yield server, store
    stop_server(server)


def anonymous_reads(server: Server) -> dict[str, str]:
    """Every anonymous door to the data: SPARQL, the Graph Store, the dumps, linked data, the decision log."""
    every = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    reads = {
        "sparql": httpx.get(server.url + "/sparql", params={"query": every}, headers={"Accept": "text/csv"}),
        "sparql union": httpx.get(server.url + "/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                                  headers={"Accept": "application/n-triples"}),
        "graph store": httpx.get(server.url + "/store", params={"graph": graph("annotations").value},
                                 headers={"Accept": "application/n-triples"}),
        "graph store default": httpx.get(server.url + "/store?default", headers={"Accept": "application/n-triples"}),
        "dataset": httpx.get(server.url + "/store", headers={"Accept": "application/n-quads"}),
        "dump.nq": httpx.get(server.url + "/dump.nq"),
        "dump.trig": httpx.get(server.url + "/dump.trig"),
        "decisions": httpx.get(server.url + "/deliberations/decisions"),
    }
    dump = reads["dump.nq"].text
    for iri in sorted(set(re.findall(r"<(" + re.escape(base_iri()) + r"(?:relecteur|annotation|decision)/[^>]+)>",
                                     dump))):
        path = iri[len(base_iri()):]
        reads[path + " (html)"] = httpx.get(server.url + "/id/" + path, headers={"Accept": "text/html"}, timeout=60)
        reads[path + " (ttl)"] = httpx.get(server.url + "/id/" + path, headers={"Accept": "text/turtle"})
    reads["deliberation page"] = httpx.get(server.url + "/id/deliberation/200042190/DEL-2024-001",
                                           headers={"Accept": "text/html"}, timeout=60)
    return {k: r.text for k, r in reads.items() if r.status_code == 200 or pytest.fail(f"{k}: {r.status_code}")}


def test_no_anonymous_read_names_a_reviewer(served: tuple[Server, Path]) -> None:
    server, _ = served
    reads = anonymous_reads(server)
    assert len([k for k in reads if k.startswith("relecteur/")]) == 4   # two reviewers, as HTML and as Turtle
    for door, text in reads.items():
        assert not any(n in text for n in NAMES), door
    assert "Relecteur " in reads["dump.nq"] and "Relecteur " in reads["decisions"]


def test_the_old_reviewer_keeps_the_pseudonym_of_the_former_public_dumps(served: tuple[Server, Path]) -> None:
    server, _ = served
    former = hmac.new(bytes.fromhex(LEGACY_KEY), b"marie-durand", hashlib.sha256).hexdigest()[:10]
    assert f"/id/relecteur/{former}>" in httpx.get(server.url + "/dump.nq").text


def test_token_holders_and_staff_read_the_names(served: tuple[Server, Path]) -> None:
    server, store = served
    log = httpx.get(server.url + "/deliberations/decisions", headers=server.auth()).json()
    assert [r["auteur"] for r in log] == ["Marie Dupont"] and log[0]["relecteur"].startswith(base_iri() + "relecteur/")
    with httpx.Client(base_url=server.url, timeout=60) as staff:
        staff.post("/connexion", data={"nom": "Camille Martin", "jeton": TOKEN, "retour": "/review"},
                   headers={"Origin": server.url})
        page = staff.get("/review", params={"statut": ""})
        assert page.status_code == 200 and "Camille Martin" in page.text and "Marie Dupont" in page.text
    directory = store.parent / "store.relecteurs.sqlite"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o600


def test_the_old_store_is_rewritten_once_and_a_restart_changes_nothing(served: tuple[Server, Path],
                                                                      tmp_path: Path) -> None:
    server, store = served
    log = server.log.read_text()
    assert log.count("1 reviewer(s) named in the store now under pseudonyms") == 1, log[-2000:]
    before = sorted(httpx.get(server.url + "/dump.nq").text.splitlines())
    stop_server(server)
    again = start_server(tmp_path, store=store, token=TOKEN, workers=1)
    try:
        assert sorted(httpx.get(again.url + "/dump.nq").text.splitlines()) == before
        assert "under pseudonyms" not in again.log.read_text()
        names = httpx.get(again.url + "/deliberations/decisions", headers=again.auth()).json()
        assert [r["auteur"] for r in names] == ["Marie Dupont"]
    finally:
        stop_server(again)


def test_the_command_line_rewrites_an_old_store_once_and_decides_under_a_pseudonym(tmp_path: Path) -> None:
    store = old_store(tmp_path / "store")
    boussole = [str(Path(sys.executable).parent / "boussole")]

    def run(*args: str) -> str:
        done = subprocess.run([*boussole, *args, "--store", str(store)], capture_output=True, text=True, timeout=300,
                              env={k: v for k, v in os.environ.items() if k != "BOUSSOLE_WRITE_TOKEN"} | {
                                  "COLUMNS": "200"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("review", "pseudonymise").startswith("1 relecteur(s) renommé(s)")
    assert "rien à faire" in run("review", "pseudonymise")
    run("review", "accept", "DEL-2024-001", "--author", "Marie Dupont")
    log = json.loads(run("review", "log", "--format", "json"))
    assert [r["auteur"] for r in log] == ["Marie Dupont"]   # beside the store: the directory has the names
    held = ox.Store.read_only(str(store))
    assert not [q for q in held if any(n in str(q) for n in NAMES)]
