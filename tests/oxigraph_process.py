"""A real Oxigraph server (``pip install oxigraph``) on a free localhost port, for the tests of the remote store."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of an Oxigraph server storing its data in ``folder`` (skips when absent)."""
    exe = Path(sys.executable).parent / "oxigraph"
    if not exe.exists():
        found = shutil.which("oxigraph")
        if not found:
            pytest.skip("the oxigraph server is not installed (pip install oxigraph==0.5.13)")
        exe = Path(found)
    port = _free_port()
    log = folder / "oxigraph.log"
    with log.open("wb") as out:  # the child keeps its own descriptor
        proc = subprocess.Popen([str(exe), "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"],
                                stdout=out, stderr=subprocess.STDOUT)
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
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
