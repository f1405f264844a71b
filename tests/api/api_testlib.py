"""Helpers of the API tests: real uvicorn servers (subprocesses) on free localhost ports, queried with httpx."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parents[2]
W3C = REPO.parent / "shared" / "w3c-rdf-tests" / "sparql" / "sparql11"
W3C_BASE = "https://w3c.github.io/rdf-tests/sparql/sparql11/"
TOKEN = "test-write-token-0123456789"
BASE = "https://boussole.agglo-porteduhainaut.fr/id/"
FIXTURE = Path(__file__).resolve().parent / "data" / "mini.trig"


@asynccontextmanager
async def in_process(app) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client that calls ``app`` in this process (its lifespan runs around it): for the tests where the
    process boundary is not the point."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30) as client:
            yield client


class InProcessServer:
    """The app served in this process, on an event loop of its own thread, with a synchronous client like
    :meth:`Server.client`: the tests written for a server process run unchanged where the process is not the
    point (negotiation, errors, linked data)."""

    def __init__(self, app) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="in-process-app", daemon=True)
        self.thread.start()
        self._context = in_process(app)
        self._client = self.run(self._context.__aenter__())

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def client(self) -> "SyncClient":
        return SyncClient(self)

    def close(self) -> None:
        self.run(self._context.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class SyncClient:
    """``get``/``post``/… of httpx, answered by an :class:`InProcessServer`."""

    def __init__(self, server: InProcessServer) -> None:
        self.server = server

    def __enter__(self) -> "SyncClient":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def request(self, method: str, url: str, **kw) -> httpx.Response:
        return self.server.run(self.server._client.request(method, url, **kw))

    def get(self, url: str, **kw) -> httpx.Response:
        return self.request("GET", url, **kw)

    def head(self, url: str, **kw) -> httpx.Response:
        return self.request("HEAD", url, **kw)

    def options(self, url: str, **kw) -> httpx.Response:
        return self.request("OPTIONS", url, **kw)

    def post(self, url: str, **kw) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw) -> httpx.Response:
        return self.request("DELETE", url, **kw)


def in_pool(view: str | Callable[[], str], scenario: Callable[[Any], Awaitable[Any]], **options: Any) -> Any:
    """``scenario(pool)`` on a :class:`api.query_runner.WorkerPool` of one real worker reading ``view``."""
    from api.query_runner import WorkerPool

    async def main() -> Any:
        pool = WorkerPool(view if callable(view) else (lambda: view), size=1, **options)
        await pool.start()
        try:
            return await scenario(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


def need_w3c() -> Path:
    if not W3C.is_dir():
        pytest.skip(f"the W3C test suites are not at {W3C} (clone shared/ beside the repository)")
    return W3C


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    token: str | None = None

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def start_server(tmp: Path, *, store: Path | None = None, token: str | None = None, timeout: float = 30,
                 workers: int = 2, remote: str | None = None, config: dict | None = None) -> Server:
    port = free_port()
    log = tmp / f"server-{port}.log"
    env = {k: v for k, v in os.environ.items() if k not in ("BOUSSOLE_WRITE_TOKEN", "BOUSSOLE_CONFIG")}
    if token:
        env["BOUSSOLE_WRITE_TOKEN"] = token
    args = [
        sys.executable,
        "-m",
        "api.server",
        "--port",
        str(port),
        "--timeout",
        str(timeout),
        "--workers",
        str(workers),
    ]
    if remote:
        args += ["--remote", remote]
    else:
        args += ["--store", str(store)]
    if config:
        cfg = tmp / f"config-{port}.toml"
        lines = ["[serve]"]
        for k, v in config.items():
            if isinstance(v, str):
                lines.append(f'{k} = "{v}"')
            elif isinstance(v, (list, tuple)):
                lines.append(f"{k} = [" + ", ".join(f'"{x}"' for x in v) + "]")
            else:
                lines.append(f"{k} = {v}")
        cfg.write_text("\n".join(lines) + "\n")
        args += ["--config", str(cfg)]
    with log.open("wb") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return Server(url, proc, log, token)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)


def make_store(path: Path, *files: Path) -> Path:
    store = ox.Store(str(path))
    for f in files:
        store.load(path=str(f), format=ox.RdfFormat.from_extension(f.suffix[1:]), base_iri=BASE)
    # filler: 300 deliberations, so that an unrestricted SELECT is larger than the anonymous cap of ro_server
    g = ox.NamedNode(BASE + "graph/deliberations")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    for k in range(300):
        store.add(
            ox.Quad(
                ox.NamedNode(f"{BASE}deliberation/test/{k}"),
                label,
                ox.Literal(f"Délibération de test {k}", language="fr"),
                g,
            )
        )
    store.flush()
    del store
    return path


def query_workers(server: Server) -> list[int]:
    """The pids of the server's query worker processes."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.process.pid)], capture_output=True, text=True)
    found = []
    for pid in (int(x) for x in out.stdout.split()):
        try:
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                found.append(pid)
        except OSError:
            pass
    return found
