"""Fixtures of the API tests: real uvicorn servers (subprocesses) on free localhost ports, queried with httpx."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api_testlib import FIXTURE, TOKEN, Server, free_port, make_store, start_server, stop_server
import api_w3c_summary


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
def rw_server(tmp_path_factory) -> Iterator[Server]:
    """Writable server (token) over an empty store: the W3C protocol and graph store tests."""
    tmp = tmp_path_factory.mktemp("rw")
    server = start_server(tmp, store=tmp / "store", token=TOKEN, timeout=10)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory) -> Iterator[str]:
    exe = Path(sys.executable).parent / "oxigraph"
    if not exe.exists():
        found = shutil.which("oxigraph")
        if not found:
            pytest.skip("the oxigraph server is not installed (pip install oxigraph==0.5.13)")
        exe = Path(found)
    tmp = tmp_path_factory.mktemp("oxigraph")
    port = free_port()
    log = tmp / "oxigraph.log"
    proc = subprocess.Popen([str(exe), "serve", "--location", str(tmp / "data"), "--bind", f"127.0.0.1:{port}"],
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/query", params={"query": "ASK {}"}, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError(log.read_text())
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def remote_server(tmp_path_factory, oxigraph_server) -> Iterator[Server]:
    """Boussole over the remote Oxigraph server, writable with the token."""
    tmp = tmp_path_factory.mktemp("remote")
    server = start_server(tmp, remote=oxigraph_server, token=TOKEN, timeout=10)
    yield server
    stop_server(server)
