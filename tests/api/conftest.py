"""Fixtures of the API tests: real uvicorn servers (subprocesses) on free localhost ports, queried with httpx."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import api_w3c_summary
import oxigraph_process
import pytest
from api_testlib import FIXTURE, TOKEN, InProcessServer, Server, make_store, start_server, stop_server


def pytest_terminal_summary(terminalreporter):
    if api_w3c_summary.RESULTS:
        api_w3c_summary.write()
        terminalreporter.write_sep("-", "W3C SPARQL 1.1 suites")
        terminalreporter.write(api_w3c_summary.table())


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """In-process tests (``pytest.mark.anyio``) run on asyncio, the loop uvicorn uses."""
    return "asyncio"


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("fixture") / "store", FIXTURE)


@pytest.fixture(scope="session")
def ro_server(tmp_path_factory, fixture_store) -> Iterator[Server]:
    """Read-only server over the small fixture dataset: 2 s timeout, 20 kB cap for anonymous results."""
    tmp = tmp_path_factory.mktemp("ro")
    store = tmp / "store"
    shutil.copytree(fixture_store, store)
    server = start_server(tmp, store=store, timeout=2, config={"max_result_bytes": 20000, "cors_origins": ["*"]})
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def ro_app(tmp_path_factory, fixture_store) -> Iterator[InProcessServer]:
    """The read-only service of ``ro_server`` (2 s timeout, 20 kB anonymous cap, CORS), in this process."""
    from api.app import create_app
    from api.settings import Settings

    store = tmp_path_factory.mktemp("ro-app") / "store"
    shutil.copytree(fixture_store, store)
    server = InProcessServer(create_app(Settings(store_path=store, timeout=2, workers=2, max_result_bytes=20000,
                                                 cors_origins=("*",))))
    yield server
    server.close()


@pytest.fixture(scope="session")
def rw_server(tmp_path_factory) -> Iterator[Server]:
    """Writable server (token) over an empty store: the W3C protocol and graph store tests."""
    tmp = tmp_path_factory.mktemp("rw")
    server = start_server(tmp, store=tmp / "store", token=TOKEN, timeout=10)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    with oxigraph_process.oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="session")
def remote_server(tmp_path_factory, oxigraph_server) -> Iterator[Server]:
    """Boussole over the remote Oxigraph server, writable with the token."""
    tmp = tmp_path_factory.mktemp("remote")
    server = start_server(tmp, remote=oxigraph_server, token=TOKEN, timeout=10,
                          config={"reviewers_file": str(tmp / "relecteurs.sqlite")})
    yield server
    stop_server(server)
