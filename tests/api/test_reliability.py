"""Issue #15: abuse and faults against a real uvicorn server. Each test reproduces a defect that was seen."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from api_testlib import BASE, FIXTURE, TOKEN, Server, make_store, query_workers, start_server, stop_server

from api import sparql_scan

AUTH = {"Authorization": f"Bearer {TOKEN}"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
MEMORY_HOG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
JSON = {"Accept": "application/sparql-results+json"}


def filled_store(path: Path, extra: int = 20000) -> Path:
    """The API fixture plus ``extra`` quads, so that a dump is several megabytes."""
    make_store(path, FIXTURE)
    store = ox.Store(str(path))
    g = ox.NamedNode(BASE + "graph/filler")
    p = ox.NamedNode("http://purl.org/dc/terms/description")
    store.extend(ox.Quad(ox.NamedNode(f"{BASE}filler/{k}"), p, ox.Literal(f"Texte de remplissage numéro {k} " * 3), g)
                 for k in range(extra))
    store.flush()
    del store
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("reliability")
    srv = start_server(tmp, store=filled_store(tmp / "store"), token=TOKEN, timeout=4, workers=2,
                       config={"query_memory_mb": 1000, "header_timeout": 2, "login_attempts_per_minute": 5,
                               "max_body_bytes": 1_000_000, "max_query_bytes": 500_000})
    yield srv
    stop_server(srv)


def health(server: Server) -> dict:
    return httpx.get(server.url + "/health", timeout=30).json()


def ask_ok(server: Server, timeout: float = 30) -> bool:
    # no-cache: a kept answer would come back without a worker, proving nothing about the service being served
    r = httpx.get(server.url + "/sparql", params={"query": "ASK {}"}, headers={**JSON, "Cache-Control": "no-cache"},
                  timeout=timeout)
    assert r.status_code == 200, r.text
    return True


# ------------------------------------------------------------------------------------------ 1. aborted dumps


def test_aborted_dumps_do_not_hang_the_service(server: Server) -> None:
    """Six dumps read 1000 bytes then dropped, then a query: it is answered (it hung until restart)."""
    for path in ("/dump.nq", "/dump.trig", "/dump.nq", "/store", "/dump.nq", "/dump.trig"):
        with httpx.stream("GET", server.url + path, headers={"Accept": "application/n-quads"}, timeout=30) as r:
            if r.status_code == 200:
                next(r.iter_raw(1000))
            else:
                assert r.status_code == 503  # more dumps at once than allowed: refused, not queued
    for _ in range(3):  # the service stays usable, query after query
        assert ask_ok(server, timeout=20)
    r = httpx.get(server.url + "/dump.nq", timeout=60)
    assert r.status_code == 200 and len(r.content) > 1_000_000  # a dump read to the end still works
    assert health(server)["status"] == "ok"


# ------------------------------------------------------------------------------------------ 3. big requests


def test_oversized_bodies_and_queries_get_413_and_others_are_served(server: Server) -> None:
    big_query = "SELECT * WHERE { " + "?s <http://e/p> 'x' . " * 30000 + "}"  # ~650 kB
    r = httpx.post(server.url + "/sparql", content=big_query.encode(),
                   headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 413 and "500000" in r.text
    huge = b"x" * 3_000_000
    r = httpx.post(server.url + "/sparql", content=huge, headers={"Content-Type": "application/sparql-query"},
                   timeout=30)
    assert r.status_code == 413 and "1000000" in r.text

    def chunks():  # no Content-Length: the limit applies while the body streams in
        for _ in range(30):
            yield b"y" * 100_000

    r = httpx.post(server.url + "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"},
                   timeout=30)
    assert r.status_code == 413
    assert ask_ok(server)


# ------------------------------------------------------------------------------------------ 4. nesting


def test_nested_update_and_query_are_refused_before_parsing(server: Server) -> None:
    restarts = health(server)["worker_restarts"]
    update = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{" * 5000 + "}" * 5000
    r = httpx.post(server.url + "/sparql", content=update.encode(), timeout=30,
                   headers={**AUTH, "Content-Type": "application/sparql-update"})
    assert r.status_code == 400 and "imbriqué" in r.text
    for query in ("SELECT * WHERE " + "{" * 5000 + "}" * 5000, "ASK { FILTER(" + "!" * 5000 + "true) }"):
        r = httpx.post(server.url + "/sparql", data={"query": query}, timeout=30)
        assert r.status_code == 400 and "imbriqué" in r.text
    assert ask_ok(server)
    assert health(server)["worker_restarts"] == restarts  # no worker died


# ------------------------------------------------------------------------------------------ 5. FROM


def test_from_and_from_named_define_the_dataset(server: Server) -> None:
    def count(query: str) -> int:
        r = httpx.post(server.url + "/sparql", data={"query": query}, headers=JSON, timeout=30)
        assert r.status_code == 200, r.text
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    assert count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") > 20000  # no FROM: the union of the graphs
    assert count("SELECT (COUNT(*) AS ?n) FROM <urn:nope> WHERE { ?s ?p ?o }") == 0
    assert count(f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/filler> WHERE {{ ?s ?p ?o }}") == 20000
    named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{BASE}graph/filler> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert count(named) == 20000
    assert count("SELECT (COUNT(*) AS ?n) FROM NAMED <urn:nope> WHERE { GRAPH ?g { ?s ?p ?o } }") == 0


# ------------------------------------------------------------------------------------------ 6. exhaustion


def test_a_query_past_the_memory_cap_gets_422_and_the_others_go_on(server: Server) -> None:
    r = httpx.post(server.url + "/sparql", data={"query": MEMORY_HOG}, headers=JSON, timeout=60)
    assert r.status_code in (422, 503), r.text  # 503 only if the shared machine was too slow to reach the cap
    if r.status_code == 422:
        assert "1000 Mio" in r.text
    assert ask_ok(server)


def test_an_update_that_reads_too_long_is_stopped_before_it_writes(server: Server) -> None:
    """A token holder's update whose WHERE runs away used to run on the owner's writer with no deadline (pyoxigraph
    cannot stop it): every later write waited behind it, its memory grew in the service process. Now it is
    rehearsed in a killable worker first: stopped at the timeout (or the memory cap), nothing written, readers
    served meanwhile; then a bounded update with a WHERE passes its rehearsal and is applied once."""
    update = {**AUTH, "Content-Type": "application/sparql-update"}
    runaway = ("INSERT { ?a <urn:boussole:runaway> ?c } "  # the data is in named graphs
               "WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } GRAPH ?z { ?g ?h ?i } }")
    before = health(server).get("updates_rehearsed", 0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(httpx.post, server.url + "/sparql", content=runaway.encode(), headers=update, timeout=90)
        time.sleep(0.5)
        assert ask_ok(server, timeout=20)
        r = slow.result()
    assert r.status_code in (503, 422), r.text  # the timeout, or the memory cap if the product reached it first
    assert "rien n'a été modifié" in r.text
    fresh = {**JSON, **AUTH}
    ask = "ASK { ?a <urn:boussole:runaway> ?c }"
    assert httpx.post(server.url + "/sparql", data={"query": ask}, headers=fresh, timeout=30).json()["boolean"] is False
    bounded = ("INSERT { <urn:boussole:rehearsed> <urn:boussole:n> ?n } "
               "WHERE { SELECT (COUNT(*) AS ?n) WHERE { ?s a <urn:boussole:Nothing> } }")
    assert httpx.post(server.url + "/sparql", content=bounded.encode(), headers=update, timeout=60).status_code == 204
    count = "SELECT (COUNT(*) AS ?k) WHERE { <urn:boussole:rehearsed> <urn:boussole:n> ?n }"
    rows = httpx.post(server.url + "/sparql", data={"query": count}, headers=fresh, timeout=30).json()
    assert rows["results"]["bindings"][0]["k"]["value"] == "1"  # applied once: the rehearsal wrote nothing
    failing = ("CREATE GRAPH <urn:boussole:twice> ; CREATE GRAPH <urn:boussole:twice> ; "
               "INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    r = httpx.post(server.url + "/sparql", content=failing.encode(), headers=update, timeout=60)
    assert r.status_code == 400 and "rien n'a été modifié" in r.text
    assert health(server)["updates_rehearsed"] - before == 3


@pytest.mark.parametrize(("update", "reads"), [
    ("INSERT DATA { <urn:a> <urn:p> \"where\" }", False),
    ("# WHERE in a comment\nDELETE DATA { <urn:a> <urn:p> 1 } ; CLEAR GRAPH <urn:where>", False),
    ("DELETE WHERE { ?s <urn:p> ?o }", True),
    ("PREFIX p: <urn:> INSERT { ?s p:q 1 } where { ?s p:p ?o }", True),
    ("WITH <urn:g> DELETE { ?s ?p ?o } INSERT { ?s ?p 2 } WHERE { ?s ?p ?o }", True),
])
def test_which_updates_are_rehearsed(update: str, reads: bool) -> None:
    assert sparql_scan.reads_the_store(update) is reads


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60)


def test_one_client_cannot_take_every_worker(server: Server) -> None:
    """Client A sends as many runaway queries as there are workers; client B is still served before they end."""
    with _client("127.0.0.1") as a, _client("127.0.0.2") as b, concurrent.futures.ThreadPoolExecutor(3) as pool:
        assert b.get(server.url + "/sparql", params={"query": "ASK {}"}).status_code == 200  # B is an active client
        done: list[str] = []

        def run(client: httpx.Client, name: str, query: str) -> int:
            # no-cache: B's answer must come from a worker, not from an answer kept earlier in this module
            r = client.post(server.url + "/sparql", data={"query": query},
                            headers={**JSON, "Cache-Control": "no-cache"})
            done.append(name)
            return r.status_code

        slow = [pool.submit(run, a, f"a{k}", RUNAWAY) for k in range(2)]
        time.sleep(0.5)
        fast = pool.submit(run, b, "b", COUNT)
        assert fast.result() == 200
        statuses = [f.result() for f in slow]
    assert done.index("b") < 2, done  # B was answered before A's runaway queries ended
    assert 503 in statuses  # A's runaway queries were stopped by the timeout (or, for the second, queued past it)


def test_dashboard_and_validate_run_under_the_timeout_in_workers(server: Server) -> None:
    before = health(server)["worker_restarts"]
    page = httpx.get(server.url + "/dashboard", timeout=60)
    assert page.status_code in (200, 503)
    if page.status_code == 200:
        assert "Tableau de bord" in page.text
    else:  # longer than the 4 s timeout on a loaded machine: the worker computing it was stopped
        assert "réessayez" in page.text.lower() and health(server)["worker_restarts"] > before
    r = httpx.get(server.url + "/validate", timeout=60)
    assert r.status_code in (200, 503)  # 503 when SHACL takes longer than the 4 s timeout: stopped, not hung
    if r.status_code == 503:
        assert "délai" in r.text
    assert ask_ok(server)


# ------------------------------------------------------------------------------------------ 7. health


def test_health_fails_when_workers_are_stuck_and_recovers(server: Server) -> None:
    def workers() -> list[int]:
        return query_workers(server)

    deadline = time.monotonic() + 60  # workers replaced by earlier tests are all up
    while time.monotonic() < deadline and (len(workers()) != 2 or health(server)["workers_alive"] != 2):
        time.sleep(0.5)
    stuck = workers()
    assert len(stuck) == 2
    for p in stuck:
        os.kill(p, signal.SIGSTOP)
    try:
        r = httpx.get(server.url + "/health", timeout=60)
        assert r.status_code == 503 and "no query worker answered" in " ".join(r.json()["problems"])
    finally:
        for p in stuck:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and httpx.get(server.url + "/health", timeout=60).status_code != 200:
        time.sleep(0.5)
    assert health(server)["status"] == "ok"  # stuck workers were replaced by themselves
    assert ask_ok(server)


# ------------------------------------------------------------------------------------------ 10. small holes


def test_custom_function_is_a_clear_400_and_runs_once(server: Server) -> None:
    restarts = health(server)["worker_restarts"]
    r = httpx.get(server.url + "/sparql", params={"query": "SELECT (<http://example.org/f>(1) AS ?x) WHERE {}"},
                  headers=JSON, timeout=30)
    assert r.status_code == 400 and "custom function" in r.text
    assert health(server)["worker_restarts"] == restarts


def test_non_ascii_bearer_is_401(server: Server) -> None:
    headers = {"Authorization": "Bearer jéton-ünïcode".encode("utf-8"), "Content-Type": "application/sparql-update"}
    r = httpx.post(server.url + "/sparql", content=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", headers=headers)
    assert r.status_code == 401
    r = httpx.post(server.url + "/review/accepter", data={"deliberation": "deliberation/x"},
                   headers={"Authorization": "Bearer jéton".encode("utf-8")}, follow_redirects=False)
    assert r.status_code == 401  # the pages' review forms use the service's one writer check


def test_token_guesses_are_rate_limited(tmp_path) -> None:
    srv = start_server(tmp_path, store=tmp_path / "store", token=TOKEN, timeout=5,
                       config={"login_attempts_per_minute": 5})
    try:
        def guess(k: int) -> int:
            headers = {"Authorization": f"Bearer guess-{k}", "Content-Type": "application/sparql-update"}
            return httpx.post(srv.url + "/sparql", content=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                              headers=headers).status_code

        statuses = [guess(k) for k in range(8)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3
        login = httpx.post(srv.url + "/connexion", data={"nom": "X", "jeton": "guess"})
        assert login.status_code == 429 and "Trop d" in login.text
    finally:
        stop_server(srv)


def test_session_ends_at_logout_and_forms_need_our_origin(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/connexion", data={"nom": "Agent", "jeton": TOKEN, "retour": "/review"}, follow_redirects=False)
        assert r.status_code == 303
        cookie = c.cookies.get("boussole_revue")
        assert cookie and TOKEN not in cookie
        cross = c.post("/review/accepter", data={"deliberation": "deliberation/x", "retour": "/review"},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False)
        assert cross.status_code == 403
        same = c.post("/review/accepter", data={"deliberation": "deliberation/x", "retour": "/review"},
                      headers={"Origin": server.url}, follow_redirects=False)
        assert same.status_code == 303 and "connexion" not in same.headers["location"]
        c.post("/deconnexion", headers={"Origin": server.url})
    with httpx.Client(base_url=server.url, timeout=30, cookies={"boussole_revue": cookie}) as stolen:
        again = stolen.post("/review/accepter", data={"deliberation": "deliberation/x"}, follow_redirects=False)
        assert again.status_code == 303 and "/connexion" in again.headers["location"]  # the old cookie is dead


def test_slowloris_connection_is_closed(server: Server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"GET /health HTTP/1.1\r\n")
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < 20:
            try:
                s.sendall(b"X-a: b\r\n")
                s.settimeout(1)
                if s.recv(1024) == b"":
                    closed = True
                    break
            except (socket.timeout, TimeoutError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
    assert closed
    assert ask_ok(server)


def test_host_header_is_not_reflected(server: Server) -> None:
    r = httpx.get(server.url + "/sparql", headers={"Accept": "text/turtle", "Host": "evil.example"}, timeout=30)
    assert r.status_code == 200 and "evil.example" not in r.text and "127.0.0.1" in r.text


def test_csv_for_browsers_neutralises_formulas(server: Server) -> None:
    query = 'SELECT ?x WHERE { VALUES ?x { "=HYPERLINK(\\"http://evil\\")" "@SUM(A1)" "-12.5" } }'
    browser = httpx.get(server.url + "/sparql", params={"query": query},
                        headers={"Accept": "text/csv", "User-Agent": "Mozilla/5.0", "Sec-Fetch-Mode": "navigate"})
    assert browser.status_code == 200
    lines = browser.text.splitlines()
    assert lines[1].startswith("\"'=HYPERLINK") and lines[2] == "'@SUM(A1)" and lines[3] == "-12.5"
    program = httpx.get(server.url + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert program.text.splitlines()[2] == "@SUM(A1)"  # programs get the standard CSV, untouched


# ------------------------------------------------------------------------------------------ 7. faults of the disk


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_disk_full_then_space_back_recovers_without_restart(tmp_path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "24m"):
        pytest.skip("mounting a small tmpfs needs root")
    srv = None
    try:
        srv = start_server(tmp_path, store=disk / "store", token=TOKEN, timeout=5)
        insert = {**AUTH, "Content-Type": "application/sparql-update"}
        before = httpx.post(srv.url + "/sparql", content=b"INSERT DATA { <urn:a> <urn:b> 'avant' }", headers=insert)
        assert before.status_code == 204
        filler = disk / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"], capture_output=True)
        big = "INSERT DATA { " + " ".join(f"<urn:s{k}> <urn:p> '{'x' * 200}' ." for k in range(2000)) + " }"
        failed = httpx.post(srv.url + "/sparql", content=big.encode(), headers=insert, timeout=60)
        assert failed.status_code == 507 and "rien n" in failed.text
        sick = httpx.get(srv.url + "/health", timeout=60)
        assert sick.status_code == 503
        filler.unlink()
        r = httpx.post(srv.url + "/sparql", content=b"INSERT DATA { <urn:a> <urn:b> 'apres' }", headers=insert,
                       timeout=60)
        assert r.status_code == 204, r.text  # no restart needed
        assert httpx.get(srv.url + "/health", timeout=60).status_code == 200
        found = httpx.get(srv.url + "/sparql", params={"query": "SELECT ?o WHERE { <urn:a> <urn:b> ?o }"},
                          headers=JSON).json()
        assert sorted(b["o"]["value"] for b in found["results"]["bindings"]) == ["apres", "avant"]
        n = httpx.get(srv.url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s <urn:p> ?o }"},
                      headers=JSON).json()
        assert n["results"]["bindings"][0]["n"]["value"] == "0"  # the failed write left nothing behind
    finally:
        if srv:
            stop_server(srv)
        _umount(disk)


def test_read_only_store_folder_with_a_token_serves_read_only(tmp_path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "64m"):
        pytest.skip("mounting a tmpfs needs root")
    srv = None
    try:
        make_store(disk / "store", FIXTURE)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        srv = start_server(tmp_path, store=disk / "store", token=TOKEN, timeout=5)
        h = httpx.get(srv.url + "/health", timeout=30).json()
        assert h["writable"] is False and "read-only" in h["warning"]
        assert ask_ok(srv)
        r = httpx.post(srv.url + "/sparql", content=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                       headers={**AUTH, "Content-Type": "application/sparql-update"})
        assert r.status_code == 403 and "read-only" in r.text
    finally:
        if srv:
            stop_server(srv)
        _umount(disk)


def test_no_process_opens_the_store_while_the_server_writes_it(server: Server, tmp_path) -> None:
    """#16.5: the server owns its store; a CLI write is refused, a CLI read gets the server's latest view."""
    from kg.errors import BoussoleError
    from kg.store import open_store

    store_path = Path(server.process.args[server.process.args.index("--store") + 1])
    with pytest.raises(BoussoleError, match="boussole serve"):
        open_store(store_path)
    r = httpx.post(server.url + "/sparql", content=b"INSERT DATA { <urn:vue> <urn:p> 'vu' }",
                   headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=30)
    assert r.status_code == 204
    seen = httpx.get(server.url + "/sparql", params={"query": "ASK { <urn:vue> <urn:p> 'vu' }"}, headers=JSON)
    assert seen.json()["boolean"] is True  # the server's queries read its own writes (a new view is made first)
    view = open_store(store_path, read_only=True)
    assert ox.Quad(ox.NamedNode("urn:vue"), ox.NamedNode("urn:p"), ox.Literal("vu")) in view
    shutil.rmtree(tmp_path, ignore_errors=True)
