"""A real uvicorn server serving the web pages over a real on-disk store, and a headless Chromium to drive it.

The store is the one ``kg.build.build`` makes from kg/data, plus the small fixture ``fixture_deliberations.ttl``
(deliberations and tags).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.requests import Request

from kg.iris import base_iri, graph

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "jeton-de-test-revue-123"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kg.build import build

    path = tmp_path_factory.mktemp("web-store") / "store"
    build(path)
    store = ox.Store(str(path))
    for q in ox.parse(path=str(HERE / "fixture_deliberations.ttl"), base_iri=base_iri()):
        tagging = any(f"/{k}/" in q.subject.value for k in ("annotation", "agent", "personne"))
        g = graph("annotations") if tagging else graph("deliberations")
        store.add(ox.Quad(q.subject, q.predicate, q.object, g))
    store.flush()
    del store
    return path


@pytest.fixture(scope="session")
def web_store(web_store_path: Path) -> ox.Store:
    """The read-write store the server uses (one process, shared with the tests to check what changed)."""
    return ox.Store(str(web_store_path))


def serve_pages(store: ox.Store):
    """Serve the web pages over ``store`` with uvicorn in a thread; yields ``{"url", "writes", "token"}``."""
    import uvicorn
    from fastapi import FastAPI

    import web
    import web.pages

    app = FastAPI()
    writes: list[float] = []

    async def writer(job):
        result = job(store)
        writes.append(time.time())
        return result

    web.mount(app, store_provider=lambda: store, write_token=TOKEN, writer=writer)

    @app.get("/id/{path:path}")
    def resource_page(request: Request, path: str):
        """What api/app.py answers a browser on /id/… (the linked-data formats are the API's, tested there)."""
        return web.pages.fiche_page(request, path)

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not srv.started:
        if time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "writes": writes, "token": TOKEN, "store": store}
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def server(web_store: ox.Store):
    """``http://127.0.0.1:<port>``: a FastAPI app with only the web pages mounted, served by uvicorn."""
    yield from serve_pages(web_store)


@pytest.fixture(scope="module")
def own_server(web_store_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same pages over a private copy of the store, for tests whose writes must not reach the others."""
    import shutil

    path = tmp_path_factory.mktemp("own-store") / "store"
    shutil.copytree(web_store_path, path, ignore=shutil.ignore_patterns("LOCK"))
    yield from serve_pages(ox.Store(str(path)))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install Debian's chromium (make browser) to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright==1.65.2)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


def _open_page(browser, url: str):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=url, locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    # everything must work offline: any request that leaves the test server fails the test
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) and not r.url.startswith("data:") else None)
    yield pg
    context.close()
    assert not outside, f"the page fetched resources outside the server: {outside}"


@pytest.fixture()
def page(browser, server):
    yield from _open_page(browser, server["url"])


@pytest.fixture()
def own_page(browser, own_server):
    """A page of :func:`own_server` (a private copy of the store)."""
    yield from _open_page(browser, own_server["url"])
