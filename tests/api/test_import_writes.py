"""One writer for every door: `boussole ingest|review|build` while `boussole serve` runs, the import page and
jobs, the review queue counted the same everywhere, the pseudonymised dump. Real uvicorn servers, the real CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testlib import REPO, TOKEN, Server, start_server, stop_server

SAMPLE = REPO / "tests" / "data" / "deliberations"
BOUSSOLE = Path(sys.executable).parent / "boussole"
THRESHOLD = 0.99   # high, so that the sample's confident proposals fill the queue

# httpx clients of the CLI subprocesses' server are collected at random points of this module's tests; what the tests
# check is the service's behaviour, so an unclosed socket's warning collected meanwhile is not their failure
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket:ResourceWarning",
                                        "ignore::pytest.PytestUnraisableExceptionWarning")


def cli(*args: str, token: str | None = TOKEN, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOUSSOLE_WRITE_TOKEN"}
    if token:
        env["BOUSSOLE_WRITE_TOKEN"] = token
    env["COLUMNS"] = "200"
    # in a scratch folder: a run through the server saves its rejects report in the current folder
    return subprocess.run([str(BOUSSOLE), *args], capture_output=True, text=True, env=env,
                          cwd=cwd or tempfile.mkdtemp(prefix="boussole-cli-"), timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("built") / "store"
    done = cli("build", "--store", str(store), token=None)
    assert done.returncode == 0, done.stderr
    return store


@pytest.fixture(scope="module")
def served(tmp_path_factory, built) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("served")
    store = tmp / "store"
    shutil.copytree(built, store)
    server = start_server(tmp, store=store, token=TOKEN, workers=1,
                          config={"review_threshold": THRESHOLD, "max_import_bytes": 2_000_000})
    yield server, store
    stop_server(server)


def ask(server: Server, query: str) -> bool:
    r = httpx.get(server.url + "/sparql", params={"query": query},  # no-cache: the store now, not a kept answer
                  headers={"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"})
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def queue_counts(server: Server, store: Path) -> tuple[int, int, int]:
    """The queue's length from the CLI, the API and the page."""
    listed = cli("review", "list", "--store", str(store), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    api = httpx.get(server.url + "/deliberations/a-revoir")
    assert api.headers["X-Total-Count"] == str(len(api.json()))
    page = httpx.get(server.url + "/review", params={"statut": "a-revoir"}).text
    shown = re.search(r"<p role=\"status\" class=\"compte-file\">(\d+) délibération", page)
    option = re.search(r'<option value="a-revoir"[^>]*>À revoir \((\d+)\)', page)
    assert shown and option and shown.group(1) == option.group(1)
    return len(json.loads(listed.stdout)), len(api.json()), int(shown.group(1))


def wait_job(client: httpx.Client, job: dict) -> dict:
    deadline = time.monotonic() + 240
    while job["etat"] in ("en attente", "en cours"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = client.get(f"/imports/{job['id']}").json()
    return job


# ---------------------------------------------------------------------------------------------------------------


def test_the_server_announces_itself_beside_its_store_without_the_token(served):
    server, store = served
    info = json.loads((store.parent / "store.server.json").read_text())
    assert info["url"] == server.url and info["pid"] == server.process.pid and info["writable"] is True
    assert TOKEN not in (store.parent / "store.server.json").read_text()


def test_ingest_while_the_server_runs_goes_through_its_writer(served):
    server, store = served
    iri = "https://boussole.agglo-porteduhainaut.fr/id/deliberation/200042190/2024-012"
    assert not ask(server, f"ASK {{ <{iri}> a bsl:Deliberation }}")
    no_token = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "scdl-sample.csv"), token=None)
    assert no_token.returncode == 1 and "donnez son jeton d'écriture dans BOUSSOLE_WRITE_TOKEN" in no_token.stderr
    wrong = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "scdl-sample.csv"), token="not-the-token-42")
    assert wrong.returncode == 1 and "refuse le jeton d'écriture" in wrong.stderr
    assert not ask(server, f"ASK {{ <{iri}> a bsl:Deliberation }}")      # refused: nothing written
    done = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "scdl-sample.csv"), str(SAMPLE / "sample.pdf"))
    assert done.returncode in (0, 1), done.stderr
    assert "écriture à travers le serveur" in done.stderr and "Résumé de l'ingestion" in done.stdout
    assert ask(server, f"ASK {{ <{iri}> a bsl:Deliberation }}")          # seen at once, no restart
    page = httpx.get(server.url + "/id/deliberation/200042190/2024-012", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "liaison cyclable" in page.text
    again = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "scdl-sample.csv"))
    assert re.search(r"│\s+\d+\s+│\s+0\s+│\s+0\s+│", again.stdout), again.stdout   # nothing new, nothing duplicated


def test_the_queue_counts_the_same_in_the_cli_the_api_and_the_page(served):
    server, store = served
    cli_n, api_n, page_n = queue_counts(server, store)
    assert cli_n == api_n == page_n > 0
    first = httpx.get(server.url + "/deliberations/a-revoir").json()[0]
    accepted = cli("review", "accept", first["id"], "--author", "Camille Martin", "--store", str(store))
    assert accepted.returncode == 0, accepted.stderr
    assert queue_counts(server, store) == (cli_n - 1,) * 3
    undone = httpx.post(server.url + f"/deliberations/{first['deliberation']}/annuler",
                        json={"author": "Camille Martin"}, headers=server.auth())
    assert undone.status_code == 200 and undone.json()["source"] == "modele"
    assert queue_counts(server, store) == (cli_n,) * 3
    log = cli("review", "log", "--store", str(store), "--format", "json")
    assert [e["action"] for e in json.loads(log.stdout)[:2]] == ["annule", "accepte"]


def test_reviewers_are_pseudonyms_in_every_dump_and_names_in_the_token_holders_log(served):
    server, store = served
    first = httpx.get(server.url + "/deliberations/a-revoir").json()[0]
    assert cli("review", "accept", first["id"], "--author", "Dominique Lefèvre", "--store", str(store)).returncode == 0
    public = httpx.get(server.url + "/dump.nq").text
    assert "Lefèvre" not in public and "personne/dominique-lefevre" not in public
    pseudonyms = set(re.findall(r"/id/relecteur/([0-9a-f]{10})>", public))
    dump = httpx.get(server.url + "/dump.nq").text
    assert pseudonyms and pseudonyms == set(re.findall(r"/id/relecteur/([0-9a-f]{10})>", dump))
    trig = httpx.get(server.url + "/dump.trig").text
    assert "Lefèvre" not in trig and "relecteur" in trig
    assert "Lefèvre" not in httpx.get(server.url + "/store", headers={"Accept": "application/n-quads"}).text
    # the store holds no name: the dump is the same for token holders; their decision log names the reviewer
    assert "Lefèvre" not in httpx.get(server.url + "/dump.nq", headers=server.auth()).text
    log = httpx.get(server.url + "/deliberations/decisions").json()
    assert log[0]["auteur"].startswith("Relecteur ") and "Lefèvre" not in json.dumps(log)
    named = httpx.get(server.url + "/deliberations/decisions", headers=server.auth()).json()
    assert named[0]["auteur"] == "Dominique Lefèvre" and named[0]["relecteur"] == log[0]["relecteur"]


def test_an_import_job_reports_progress_summary_and_rejects(served, tmp_path):
    server, _ = served
    csv = (SAMPLE / "scdl-sample.csv").read_bytes()
    anonymous = httpx.post(server.url + "/imports", files={"fichiers": ("a.csv", csv, "text/csv")})
    assert anonymous.status_code == 401
    r = httpx.post(server.url + "/imports", headers=server.auth(),
                   files=[("fichiers", ("annee.csv", csv, "text/csv")),
                          ("fichiers", ("notes.xlsx", b"x", "application/octet-stream"))])
    assert r.status_code == 202 and r.headers["Location"] == f"/imports/{r.json()['id']}"
    with httpx.Client(base_url=server.url, headers=server.auth()) as client:  # closed: no unraisable socket warning
        job = wait_job(client, r.json())
    assert job["etat"] == "terminé" and job["traites"] == job["total"] > 0
    assert job["resume"]["read"] + job["resume"]["rejets"] >= job["total"]
    report = httpx.get(server.url + job["rapport_rejets"], headers=server.auth())
    assert report.headers["content-type"].startswith("text/csv")
    lines = report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "emplacement;raison"
    assert any(line.startswith("notes.xlsx;format non pris en charge") for line in lines)
    assert len(lines) - 1 == job["rejets"]


def _niced_children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=,ni=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    rows = (line.split() for line in out.splitlines())
    return {int(p) for p, ni in rows if ni.lstrip("-").isdigit() and int(ni) >= 10}


def test_an_import_is_analysed_in_a_niced_process_of_its_own(served):
    """#15: spaCy and the tagger run in a child process of the server at a lower CPU priority (they ran in the
    server process, and queries slowed 5.8-31.8 × during an import); the server still writes what it returns."""
    server, _ = served
    csv = (SAMPLE / "scdl-sample.csv").read_bytes()
    r = httpx.post(server.url + "/imports", headers=server.auth(), files={"fichiers": ("reprise.csv", csv, "text/csv")})
    assert r.status_code == 202
    seen: set[int] = set()
    with httpx.Client(base_url=server.url, headers=server.auth()) as client:
        job = r.json()
        deadline = time.monotonic() + 240
        while job["etat"] in ("en attente", "en cours") and time.monotonic() < deadline:
            seen |= _niced_children(server.process.pid)
            time.sleep(0.05)
            job = client.get(f"/imports/{job['id']}").json()
    assert job["etat"] == "terminé" and job["traites"] == job["total"] > 0, job
    assert seen, "no child process at nice 10 during the import"
    outcomes = sum(job["resume"].get(k, 0) for k in ("stored", "updated", "unchanged", "versioned"))
    assert job["resume"]["read"] > 0 and outcomes == job["resume"]["read"]  # every record analysed was written
    deadline = time.monotonic() + 30  # the analysis process ends with its job (told to, or killed after 5 s)
    while seen & _niced_children(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not seen & _niced_children(server.process.pid)


def test_an_analysis_over_its_memory_fails_the_job_in_french_and_the_service_goes_on(tmp_path, built):
    store = tmp_path / "store"
    shutil.copytree(built, store)
    server = start_server(tmp_path, store=store, token=TOKEN, workers=1, config={"import_memory_mb": 100})
    try:
        def count() -> str:
            query = "SELECT (COUNT(*) AS ?n) WHERE { ?d a <https://boussole.agglo-porteduhainaut.fr/def#Deliberation> }"
            r = httpx.get(server.url + "/sparql", params={"query": query},
                          headers={"Accept": "text/csv", "Cache-Control": "no-cache"})
            return r.text

        before = count()
        csv = (SAMPLE / "scdl-sample.csv").read_bytes()
        r = httpx.post(server.url + "/imports", headers=server.auth(), files={"fichiers": ("a.csv", csv, "text/csv")})
        with httpx.Client(base_url=server.url, headers=server.auth()) as client:
            job = wait_job(client, r.json())
        assert job["etat"] == "échoué" and "import_memory_mb" in job["erreur"], job
        assert count() == before  # nothing written
        assert httpx.get(server.url + "/health", timeout=30).json()["status"] == "ok"
    finally:
        stop_server(server)


def test_a_too_large_upload_is_refused_with_413_and_others_are_served(served):
    server, _ = served
    big = b"COLL_NOM;DELIB_OBJET\n" + b"x;y\n" * 700_000      # 2.8 MB > max_import_bytes
    r = httpx.post(server.url + "/imports", headers=server.auth(), files={"fichiers": ("gros.csv", big, "text/csv")})
    assert r.status_code == 413 and "max_import_bytes" in r.text
    assert httpx.get(server.url + "/health").status_code == 200


def test_the_import_page_is_for_token_holders(served):
    server, _ = served
    with httpx.Client(base_url=server.url) as browser:
        assert browser.get("/import").headers.get("location", "").startswith("/connexion")
        browser.post("/connexion", data={"nom": "Camille Martin", "jeton": TOKEN, "retour": "/import"})
        form = browser.get("/import")
        assert form.status_code == 200 and 'type="file"' in form.text and 'for="fichiers"' in form.text
        sample = (SAMPLE / "scdl-sample.csv").read_bytes()
        sent = browser.post("/import", files={"fichiers": ("objets.csv", sample, "text/csv")})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/import/")
        job = wait_job(browser, {"id": sent.headers["location"].rsplit("/", 1)[1], "etat": "en cours"})
        page = browser.get(f"/import/{job['id']}")
        assert "Import terminé" in page.text and "rapport des rejets" in page.text


def test_build_while_the_server_runs_goes_through_its_writer(served):
    server, store = served
    done = cli("build", "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert "écriture à travers le serveur" in done.stderr
    assert "0 quads added, 0 removed" in done.stdout     # the store already holds this build: nothing to write
    assert ask(server, "ASK { <https://boussole.agglo-porteduhainaut.fr/id/engagement/1> a bsl:Engagement }")


def test_a_read_only_server_refuses_writes_clearly_and_withdraws_its_announcement(tmp_path, built):
    store = tmp_path / "store"
    shutil.copytree(built, store)
    server = start_server(tmp_path, store=store, workers=1)
    try:
        done = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "scdl-sample.csv"))
        assert done.returncode == 1 and "en lecture seule" in done.stderr
        decided = cli("review", "accept", "2024-012", "--author", "Léa", "--store", str(store))
        assert decided.returncode == 2 and "en lecture seule" in decided.stderr
    finally:
        stop_server(server)
    assert not (tmp_path / "store.server.json").exists()
    done = cli("ingest", "--store", str(store), "--quiet", str(SAMPLE / "textes" / "t01.txt"))   # no server: direct
    assert done.returncode == 0, done.stderr


def test_the_write_routes_are_documented_in_openapi(served):
    server, _ = served
    spec = httpx.get(server.url + "/openapi.json").json()
    post = spec["paths"]["/deliberations"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    assert "une délibération SCDL" in body["examples"] and "DELIB_OBJET" in json.dumps(body["schema"])
    assert {"201", "200", "401", "403", "413"} <= set(post["responses"])
    assert "stored" in json.dumps(spec["components"]["schemas"]["IngestResult"])
    assert "multipart/form-data" in spec["paths"]["/imports"]["post"]["requestBody"]["content"]
    routes = {"/deliberations/a-revoir", "/deliberations/{ref}/annuler", "/imports/{job_id}", "/build"}
    assert routes <= set(spec["paths"])
