"""Real uvicorn servers serving the web pages, and a headless Chromium to drive them.

The pages are served over each backend (``server`` is parametrised): ``embedded``, a real on-disk pyoxigraph store
(the pages mounted alone, as ``web.mount`` is used), and ``remote``, the whole service (``api.app.create_app``)
over a real Oxigraph server, as ``boussole serve --remote`` runs it. Both hold the same data: the store
``kg.build.build`` makes from kg/data, plus the small fixture ``fixture_deliberations.ttl`` (deliberations and
tags). ``web_store`` is the store of the server under test (a pyoxigraph store, or
:class:`api.remote_store.RemoteStore` on the Oxigraph server), for the tests to check what the pages show.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from oxigraph_process import oxigraph_server
from starlette.requests import Request

from kg.iris import base_iri, graph

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "jeton-de-test-revue-123"
DATASET = "web-data.nq"  # beside the store: its data before any test wrote, what the remote store is loaded with


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_store_path(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the store built once for the session (tests/conftest.py) plus the fixture's deliberations."""
    path = tmp_path_factory.mktemp("web-store") / "store"
    shutil.copytree(store_path, path)
    store = ox.Store(str(path))
    for q in ox.parse(path=str(HERE / "fixture_deliberations.ttl"), base_iri=base_iri()):
        tagging = any(f"/{k}/" in q.subject.value for k in ("annotation", "agent", "personne"))
        g = graph("annotations") if tagging else graph("deliberations")
        store.add(ox.Quad(q.subject, q.predicate, q.object, g))
    store.flush()
    store.dump(output=str(path.parent / DATASET), format=ox.RdfFormat.N_QUADS)
    del store
    return path


@contextmanager
def uvicorn_thread(app, lifespan: str = "off") -> Iterator[str]:
    """``http://127.0.0.1:<port>``: ``app`` served by uvicorn in a thread of this process."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def serve_pages(store: ox.Store):
    """Serve the web pages over ``store`` with uvicorn in a thread; yields ``{"url", "written", "token",
    "store", "backend"}`` (``written()``: how many writes the app made)."""
    from fastapi import FastAPI

    import web
    import web.pages
    from api import errors
    from api.limits import Attempts
    from api.settings import Settings

    app = FastAPI()
    # what the pages use of the service: its settings (the writer check of api.deps), the token guesses, the errors
    app.state.settings = Settings(write_token=TOKEN)
    app.state.token_guesses = Attempts(app.state.settings.login_attempts_per_minute)
    errors.install(app)
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

    with uvicorn_thread(app) as url:
        yield {"url": url, "written": lambda: len(writes), "token": TOKEN, "store": store, "backend": "embedded"}


@pytest.fixture(scope="session")
def embedded_server(web_store_path: Path):
    """A FastAPI app with only the web pages mounted over the on-disk store (shared with the tests to check what
    changed), served by uvicorn."""
    yield from serve_pages(ox.Store(str(web_store_path)))


@pytest.fixture(scope="session")
def remote_server(web_store_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The whole service over a real Oxigraph server loaded with the same data, served by uvicorn (its lifespan
    starts the remote backend)."""
    from api.app import create_app
    from api.remote_store import RemoteStore
    from api.settings import Settings

    with oxigraph_server(tmp_path_factory.mktemp("web-oxigraph")) as remote:
        loaded = httpx.post(remote + "/store", content=(web_store_path.parent / DATASET).read_bytes(),
                            headers={"Content-Type": "application/n-quads"}, timeout=120)
        assert loaded.status_code in (200, 201, 204), loaded.text
        app = create_app(Settings(remote_query=remote + "/query", remote_update=remote + "/update",
                                  remote_store=remote + "/store", write_token=TOKEN, timeout=30,
                                  reviewers_file=tmp_path_factory.mktemp("relecteurs") / "relecteurs.sqlite"))
        with uvicorn_thread(app, lifespan="on") as url, httpx.Client(timeout=60) as client:
            yield {"url": url, "written": lambda: app.state.backend.generation, "token": TOKEN,
                   "store": RemoteStore(client, remote + "/query", remote + "/update"), "backend": "remote"}


@pytest.fixture(scope="session", params=["embedded", "remote"])
def server(request: pytest.FixtureRequest):
    """The pages over each backend: ``{"url", "written", "token", "store", "backend"}``. A test marked
    ``test_browser.ONCE`` runs over the embedded store only."""
    return request.getfixturevalue(f"{request.param}_server")



@pytest.fixture(scope="session")
def web_store(server):
    """The store of the server under test, to check what the pages show and what they wrote."""
    return server["store"]


@pytest.fixture(scope="module")
def own_server(web_store_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The same pages over a private store with the data before any test wrote, for tests whose writes must not
    reach the others (whenever they run: the tests over each backend are grouped, in any order)."""
    store = ox.Store(str(tmp_path_factory.mktemp("own-store") / "store"))
    store.bulk_load(path=str(web_store_path.parent / DATASET), format=ox.RdfFormat.N_QUADS)
    yield from serve_pages(store)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install Debian's chromium (make browser) to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install playwright==1.65.2)")
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
    pg.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
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
