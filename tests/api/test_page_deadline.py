"""Issue #15: every route that runs a query has a deadline, pages included; against real uvicorn servers.

The reading pages (review queue, index pages and exports, dashboard, search, baromètre, resource pages) are
rendered by the query workers, under the service's timeout. A page past it is a 503 French page with
``Retry-After``; the service process keeps serving the other clients meanwhile.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from api_testlib import TOKEN, Server, query_workers, start_server, stop_server

from bench.synthetic import _communes, write_deliberations

HTML = {"Accept": "text/html"}
DELIBERATIONS = 400


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory, store_path: Path) -> Path:
    """The built store plus synthetic deliberations with model tags."""
    path = tmp_path_factory.mktemp("pages") / "store"
    shutil.copytree(store_path, path)
    store = ox.Store(str(path))
    nquads = path.parent / "deliberations.nq"
    write_deliberations(DELIBERATIONS, nquads, _communes(store))
    store.bulk_load(path=nquads, format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return path


def _copy(store: Path, tmp: Path) -> Path:
    target = tmp / "store"
    shutil.copytree(store, target)
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory, synthetic_store: Path) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("pages-ok")
    srv = start_server(tmp, store=_copy(synthetic_store, tmp), token=TOKEN, timeout=60, workers=2)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def short_server(tmp_path_factory, synthetic_store: Path) -> Iterator[Server]:
    """A read-only service whose timeout is 2 s."""
    tmp = tmp_path_factory.mktemp("pages-deadline")
    srv = start_server(tmp, store=_copy(synthetic_store, tmp), timeout=2, workers=2)
    yield srv
    stop_server(srv)


def test_pages_rendered_by_the_workers_show_the_store_and_the_reviewer(server: Server) -> None:
    with server.client() as client:
        r = client.get("/deliberations", params={"format": "csv"})
        assert r.status_code == 200 and "text/csv" in r.headers["content-type"]
        rows = [line for line in r.text.splitlines() if "/deliberation/200042190/B" in line]
        assert len(rows) == DELIBERATIONS  # every synthetic deliberation, one row each
        r = client.get("/deliberations", params={"annee": "2024"}, headers=HTML)
        assert r.status_code == 200 and "Délibérations" in r.text and "/deliberation/200042190/B" in r.text
        assert client.get("/id/commune/59172", headers=HTML).status_code == 200
        assert client.get("/dashboard", headers=HTML).status_code == 200
        assert client.get("/recherche", params={"q": "médiathèque"}, headers=HTML).status_code == 200
        r = client.get("/deliberations/a-revoir")
        assert r.status_code == 200 and int(r.headers["x-total-count"]) > 0
        assert "Connecté·e" not in client.get("/review", headers=HTML).text
        r = client.post("/connexion", data={"nom": "Camille Testeuse", "jeton": TOKEN, "retour": "/review"})
        assert r.status_code == 303
        page = client.get("/review", headers=HTML)
        assert page.status_code == 200 and "Connecté·e : <strong>Camille Testeuse" in page.text  # the session
        # lives in the service process, the page is rendered by a worker
    health = httpx.get(server.url + "/health", timeout=30).json()
    assert health["status"] == "ok"


def test_a_page_past_the_deadline_is_a_french_503_and_others_are_served(short_server: Server) -> None:
    """Both workers stopped (SIGSTOP): the review queue waits for its worker until the 2 s timeout, then gets the
    French 503 page with Retry-After; meanwhile the service process answers other clients at once. (The pages
    ran in the service process without a deadline: this page came back 200, after as long as it took.)"""
    url = short_server.url
    with _workers_stopped(short_server) as stopped, concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert len(stopped) == 2
        start = time.monotonic()
        slow = pool.submit(httpx.get, url + "/review?statut=", headers=HTML, timeout=60)
        others = []
        while not slow.done() and time.monotonic() - start < 30:
            r = httpx.get(url + "/mentions-legales", headers=HTML, timeout=10)
            others.append((r.status_code, r.elapsed.total_seconds()))
            time.sleep(0.2)
        page = slow.result()
    assert page.status_code == 503, page.text[:500]
    assert page.headers["retry-after"] == "5"
    assert "text/html" in page.headers["content-type"]
    assert "Délai dépassé" in page.text and "le calcul de cette page a dépassé le délai de 2 s" in page.text
    assert others and all(status == 200 for status, _ in others)
    assert max(seconds for _, seconds in others) < 2  # never waited for the stopped page
    _served_again(url)  # the killed worker is replaced: pages are served again


def _served_again(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if httpx.get(url + "/deliberations", headers=HTML, timeout=60).status_code == 200:
            return
        time.sleep(0.5)
    pytest.fail("pages were not served (workers not replaced, or not warm)")


@contextlib.contextmanager
def _workers_stopped(server: Server) -> Iterator[list[int]]:
    """The service's query workers, up and warm, then stopped (SIGSTOP) until the block ends."""
    _served_again(server.url)
    stopped = query_workers(server)
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield stopped
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass  # killed at the deadline


def _with_workers_stopped(server: Server, path: str) -> httpx.Response:
    with _workers_stopped(server):
        return httpx.get(server.url + path, timeout=60)


def test_exports_and_internal_selects_have_the_deadline_too(short_server: Server) -> None:
    """An export (the whole filtered table) and a coherence question run in the workers as well."""
    r = _with_workers_stopped(short_server, "/deliberations?format=xlsx")
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    c = _with_workers_stopped(short_server, "/coherence/repartition-par-engagement")
    assert c.status_code == 503 and "retry-after" in c.headers
