"""The announcement of a server beside its store, and how commands read it (no server needed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from api_testlib import free_port

from api import discovery
from boussole.through_server import server_for


def test_announce_withdraw_and_stale_files(tmp_path):
    store = tmp_path / "store"
    path = discovery.announce(store, discovery.local_url("0.0.0.0", 8123), writable=True)
    assert path == tmp_path / "store.server.json"
    info = discovery.find(store)
    assert info["url"] == "http://127.0.0.1:8123" and info["pid"] == os.getpid() and "token" not in json.dumps(info)
    discovery.withdraw(store)
    assert not path.exists() and discovery.find(store) is None
    # a killed server's file: its pid is dead
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    path.write_text(json.dumps({"url": "http://127.0.0.1:1", "pid": int(dead.stdout), "writable": True}))
    assert discovery.find(store) is None and server_for(store) is None
    # a live pid, but nobody listens at the address: stale too, the command opens the store itself
    path.write_text(json.dumps({"url": f"http://127.0.0.1:{free_port()}", "pid": os.getpid(), "writable": True}))
    assert discovery.find(store) is not None and server_for(store) is None


def test_local_urls():
    assert discovery.local_url("::", 80) == "http://[::1]:80"
    assert discovery.local_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert discovery.local_url("fe80::1", 8000) == "http://[fe80::1]:8000"
