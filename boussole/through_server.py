"""Writes of ``boussole ingest|review|build`` through the server that serves the store, when one runs.

``boussole serve`` announces itself beside the store (:mod:`api.discovery`). A command that writes first looks
for that announcement: no live server → it opens the store itself; a live server → it sends its writes to the
server's single writer with the write token (``BOUSSOLE_WRITE_TOKEN``), so pages and SPARQL see them at once and
nobody fights over the store lock. A read-only server (no token) or a wrong token is a clear French error.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from api import discovery
from kg.errors import BoussoleError

TOKEN_ENV = "BOUSSOLE_WRITE_TOKEN"


class ServerWriter:
    """A running Boussole server that accepts this command's writes."""

    def __init__(self, url: str, token: str, pid: int):
        self.url, self.token, self.pid = url.rstrip("/"), token, pid
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, timeout=httpx.Timeout(120.0, connect=10.0), headers=headers)

    def __str__(self) -> str:
        return f"le serveur {self.url} (pid {self.pid})"

    # --------------------------------------------------------------------------------------------- plumbing

    def request(self, method: str, path: str, **kw) -> httpx.Response:
        """One request; a GET is retried on a dropped connection (a kept-alive connection that the server closed
        while idle), a write is not (it may have arrived)."""
        attempts = 3 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                resp = self.client.request(method, path, **kw)
                break
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError) as exc:
                if attempt + 1 < attempts:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                unsure = "" if method == "GET" else (" : l'écriture a pu ne pas aboutir, relancez la commande "
                                                      "(une écriture répétée ne duplique rien)")
                raise BoussoleError(f"{self} ne répond pas ({exc}){unsure}") from exc
            except httpx.HTTPError as exc:
                raise BoussoleError(f"{self} ne répond pas ({exc})") from exc
        if resp.status_code == 401:
            raise BoussoleError(f"{self} refuse le jeton d'écriture : vérifiez {TOKEN_ENV}")
        if resp.status_code == 403:
            raise BoussoleError(f"{self} est en lecture seule : relancez-le avec {TOKEN_ENV}, ou arrêtez-le "
                                "pour écrire directement dans le magasin")
        if resp.status_code >= 400:
            raise BoussoleError(f"{self} : {_detail(resp)}")
        return resp

    def json(self, method: str, path: str, **kw) -> Any:
        return self.request(method, path, **kw).json()

    # --------------------------------------------------------------------------------------------- writes

    def import_files(self, inputs: list[str], progress: Callable[[int, int | None, str], None] | None = None,
                     poll: float = 0.5) -> dict[str, Any]:
        """Upload the inputs (files and folders, as one ZIP) to ``POST /imports`` and follow the job to its end."""
        with tempfile.TemporaryDirectory(prefix="boussole-envoi-") as tmp:
            archive = Path(tmp) / "envoi.zip"
            missing = pack(inputs, archive)
            with open(archive, "rb") as fh:
                job = self.json("POST", "/imports", files={"fichiers": ("envoi.zip", fh, "application/zip")})
        while job["etat"] in ("en attente", "en cours"):
            if progress:
                progress(job["traites"], job["total"], job["courant"])
            time.sleep(poll)
            job = self.json("GET", f"/imports/{job['id']}")
        if progress:
            progress(job["traites"], job["total"], job["courant"])
        job["rejets_csv"] = self.request("GET", f"/imports/{job['id']}/rejets.csv").content
        job["absents"] = missing
        return job

    def build(self, nquads: bytes, graphs: list[str]) -> tuple[int, int]:
        answer = self.json("POST", "/build", params=[("graph", g) for g in graphs], content=nquads,
                           headers={"Content-Type": "application/n-quads"})
        return answer["added"], answer["removed"]


def _detail(resp: httpx.Response) -> str:
    """The server's own message: the ``detail`` of a problem document, else the body's text."""
    try:
        body = resp.json()
    except ValueError:
        return f"{resp.status_code} {resp.text.strip()[:500]}"
    return str(body.get("detail") or body) if isinstance(body, dict) else str(body)[:500]


def pack(inputs: list[str], archive: Path) -> list[str]:
    """Files and folders into one ZIP (relative names kept); returns the inputs that do not exist."""
    missing, used = [], set()
    with zipfile.ZipFile(archive, "w") as z:
        for k, raw in enumerate(inputs):
            path = Path(raw)
            if not path.exists():
                missing.append(raw)
                continue
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for f in files:
                name = f"{path.name}/{f.relative_to(path)}" if path.is_dir() else f.name
                if name in used:   # two inputs of the same name: keep both
                    name = f"{k}/{name}"
                used.add(name)
                method = zipfile.ZIP_DEFLATED if f.suffix.lower() in (".csv", ".txt") else zipfile.ZIP_STORED
                z.write(f, name, compress_type=method)
    return missing


def server_for(store: Path | str) -> ServerWriter | None:
    """The live server that serves ``store`` and accepts writes, or None when no server runs for it.

    Raises a French BoussoleError when a server runs but cannot take this command's writes (read-only, no token)."""
    info = discovery.find(store)
    if info is None:
        return None
    url, pid = info["url"], info["pid"]
    described = None
    for _ in range(8):   # a server that is still starting answers within a few seconds
        try:
            described = httpx.get(url + "/imports", timeout=5).json()
            break
        except (httpx.HTTPError, ValueError):
            time.sleep(0.25)
    if described is None:   # nobody answers there: a stale announcement (its pid reused by another process)
        return None
    if described.get("pid") != pid:
        return None   # the announcement is stale: another process now listens at that address
    if not described.get("writable"):
        raise BoussoleError(f"le serveur {url} (pid {pid}) sert ce magasin en lecture seule : il ne peut pas recevoir "
                            f"d'écritures. Relancez-le avec {TOKEN_ENV}, ou arrêtez-le pour écrire directement")
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise BoussoleError(f"le serveur {url} (pid {pid}) sert ce magasin : donnez son jeton d'écriture dans "
                            f"{TOKEN_ENV} pour écrire à travers lui")
    return ServerWriter(url, token, pid)


def quoted(ref: str) -> str:
    """A deliberation reference for a URL path (its slashes kept: the routes take a path)."""
    return quote(ref, safe="/:")


def ingest_command(server: ServerWriter, inputs: list[str], quiet: bool = False) -> int:
    """`boussole ingest` through the server: progress, then the same summary as a direct ingest, and the rejects
    report saved as ``rejets-import-<id>.csv``. Exit code 1 when some input was rejected."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console, err = Console(), Console(stderr=True)
    err.print(f"écriture à travers {server}")
    with Progress(TextColumn("[bold]Ingestion"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=quiet) as bar:
        task = bar.add_task("", total=None)
        job = server.import_files(inputs, lambda done, total, where: bar.update(
            task, completed=done, total=total, description=str(where)[-50:]))
    if job["etat"] != "terminé":
        err.print(f"[red]import {job['id']} {job['etat']} : {job['erreur']}[/red] (ce qui a été écrit reste écrit)")
        return 2
    summary = job["resume"]
    t = Table(title=f"Résumé de l'ingestion (import {job['id']}, {job['duree_s']} s)")
    for c in ("lues", "enregistrées", "mises à jour", "inchangées", "rejetées"):
        t.add_column(c, justify="right")
    t.add_row(*(str(summary.get(k, 0)) for k in ("read", "stored", "updated", "unchanged", "rejets")))
    console.print(t)
    for raw in job["absents"]:
        console.print(f"[yellow]ignorée[/yellow] {raw} : fichier introuvable")
    if summary.get("rejets"):
        report = Path(f"rejets-import-{job['id']}.csv")
        report.write_bytes(job["rejets_csv"])
        rows = list(csv.reader(io.StringIO(job["rejets_csv"].decode("utf-8-sig")), delimiter=";"))[1:]
        for where, reason in rows[:50]:
            console.print(f"[yellow]rejetée[/yellow] {where} : {reason}")
        console.print(f"rapport des rejets : {report}")
    return 1 if summary.get("rejets") or job["absents"] else 0
