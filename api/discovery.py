"""How a command finds the server that serves its store: ``boussole serve`` writes a small file beside the store.

``var/store`` is served → ``var/store.server.json`` holds ``{"url", "pid", "store", "writable", "started"}``; never
the write token. ``boussole ingest|review|build`` read it (:func:`find`) and send their writes through the
server's single writer instead of opening a store that the server holds. The file is removed when the server
stops; a file left by a killed server is recognised by its dead pid and ignored.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def discovery_path(store: Path | str) -> Path:
    store = Path(store).resolve()
    return store.parent / f"{store.name}.server.json"


def local_url(host: str, port: int) -> str:
    """The URL a command on this machine uses to reach a server listening on ``host:port``."""
    if host in ("0.0.0.0", "", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announce(store: Path | str, url: str, writable: bool) -> Path:
    """Write the discovery file of ``store`` (atomically: a reader never sees half a file)."""
    path = discovery_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "store": str(Path(store).resolve()),
                               "writable": writable, "started": time.time()}), encoding="utf-8")
    os.replace(tmp, path)
    return path


def withdraw(store: Path | str) -> None:
    """Remove the discovery file, if it is still this process's."""
    path = discovery_path(store)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find(store: Path | str) -> dict | None:
    """The announced server of ``store`` whose process is alive, else None."""
    try:
        info = json.loads(discovery_path(store).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int) or not isinstance(info.get("url"), str):
        return None
    return info if _alive(info["pid"]) else None
