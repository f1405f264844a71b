"""Imports and graph replacements through the service's single writer.

- ``GET /import`` (page, token holders): upload an SCDL CSV, PDFs, DOCX or a ZIP of a year; ``GET /import/{id}``
  shows the progress, then the summary and the rejects report.
- ``POST /imports`` (multipart, ``fichiers``): starts an import job; 202 with its ``Location``; 413 beyond
  ``max_import_bytes``. ``GET /imports/{id}`` its state (JSON), ``GET /imports/{id}/rejets.csv`` its rejects.
- ``GET /imports`` what ``boussole ingest|review|build`` check before writing through this server (pid, writable).
- ``POST /build``: the graphs a ``boussole build`` computed (N-Quads), applied by the single writer.

A job reads the files off the event loop and writes in groups of :data:`CHUNK` records, each group one turn of the
backend's writer: a reviewer's decision waits for one group at most, and queries see each group as soon as it is
written.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import os
import re
import shutil
import tempfile
import time
import uuid
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.backends import EmbeddedBackend
from api.deps import embedded_backend, get_settings, is_authenticated
from api.import_analysis import analysis_for
from kg.errors import (
    BoussoleError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)

CHUNK = 64
JOBS_KEPT = 50
ACCEPTED = {".csv", ".pdf", ".docx", ".txt"}
MAX_ARCHIVE_MEMBERS = 20_000
MAX_BUILD_BYTES = 1_000_000_000   # the graphs of a build (token holders only; the whole référentiel is ~10 MB)
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


class TooLarge(Exception):
    pass


@dataclass
class Job:
    id: str
    auteur: str
    fichiers: list[str]
    etat: str = "en attente"            # en attente | en cours | terminé | échoué
    total: int | None = None
    traites: int = 0
    courant: str = ""
    resume: dict[str, Any] = field(default_factory=dict)
    rejets: list[tuple[str, str]] = field(default_factory=list)
    erreur: str = ""
    debut: float = field(default_factory=time.time)
    fin: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "etat": self.etat, "auteur": self.auteur, "fichiers": self.fichiers,
                "total": self.total, "traites": self.traites, "courant": self.courant, "resume": self.resume,
                "rejets": len(self.rejets), "erreur": self.erreur,
                "duree_s": round((self.fin or time.time()) - self.debut, 1),
                "rapport_rejets": f"/imports/{self.id}/rejets.csv"}


class ImportSummary(BaseModel):
    """The state of an import job (``GET /imports/{id}``)."""

    id: str
    etat: str
    auteur: str
    fichiers: list[str]
    total: int | None
    traites: int
    courant: str
    resume: dict[str, Any]
    rejets: int
    erreur: str
    duree_s: float
    rapport_rejets: str


# ------------------------------------------------------------------------------------------------ helpers


def _writer_name(request: Request) -> str | None:
    """The token holder's name: a bearer token (``X-Boussole-Reviewer``), or the reviewer's login of the pages."""
    if not get_settings(request).writable:
        return None
    if is_authenticated(request):
        return request.headers.get("x-boussole-reviewer", "API")[:120] or "API"
    if not hasattr(request.app.state, "boussole_web"):
        return None
    from web.router import reviewer

    return reviewer(request)


def _check_writer(request: Request) -> str:
    if not get_settings(request).writable:
        raise Forbidden("service en lecture seule : aucun jeton d'écriture n'est configuré (BOUSSOLE_WRITE_TOKEN)")
    name = _writer_name(request)
    if name is None:
        raise Unauthorized("écriture refusée : jeton d'écriture absent ou incorrect (Authorization: Bearer …)")
    return name


def safe_relative(name: str) -> Path | None:
    """A file name from an upload or an archive, reduced to safe relative parts (no absolute path, no ``..``)."""
    parts = [SAFE_NAME.sub("_", p).strip(" .") for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..")]
    parts = [p for p in parts if p]
    return Path(*parts) if parts else None


def _rejects_csv(rows: list[tuple[str, str]]) -> bytes:
    """The rejects report: « emplacement;raison », UTF-8 with BOM and ';' (opens as columns in a French
    spreadsheet); cells that a spreadsheet would run as formulas are neutralised with a leading quote."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["emplacement", "raison"])
    for where, reason in rows:
        w.writerow(["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in (where, reason)])
    return buf.getvalue().encode("utf-8-sig")


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add one group's summary to the job's: counts add up, lists (deliberations, conflicts…) are counted (the
    rejects themselves are kept apart, for the report)."""
    for k, v in part.items():
        if isinstance(v, bool):
            total[k] = total.get(k, False) or v
        elif isinstance(v, (int, float)):
            total[k] = total.get(k, 0) + v
        elif isinstance(v, list) and k != "skipped":
            total[k] = total.get(k, 0) + len(v)


# ------------------------------------------------------------------------------------------------ job work


def unpack(uploads: list[tuple[str, Path]], folder: Path, max_bytes: int) -> list[tuple[str, str]]:
    """Put the uploaded files in ``folder`` (ZIP archives expanded, safely); returns what was refused."""
    refused: list[tuple[str, str]] = []
    written = 0
    lone_archive = len(uploads) == 1 and uploads[0][0].lower().endswith(".zip")   # its files at the root
    for name, tmp in uploads:
        rel = safe_relative(name)
        if rel is None:
            refused.append((name, "nom de fichier invalide"))
            continue
        if rel.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(tmp) as archive:
                    members = [m for m in archive.infolist() if not m.is_dir()]
                    if len(members) > MAX_ARCHIVE_MEMBERS:
                        refused.append((name, f"archive de plus de {MAX_ARCHIVE_MEMBERS} fichiers"))
                        continue
                    for m in members:
                        inner = safe_relative(m.filename)
                        where = f"{rel.name}/{m.filename}"
                        if inner is None or inner.name.startswith("__MACOSX") or inner.parts[0] == "__MACOSX":
                            continue
                        if inner.suffix.lower() not in ACCEPTED:
                            refused.append((where, "format non pris en charge : .csv, .pdf, .docx ou .txt attendus"))
                            continue
                        target = folder / inner if lone_archive else folder / rel.stem / inner
                        target.parent.mkdir(parents=True, exist_ok=True)
                        with archive.open(m) as src, open(target, "wb") as dst:
                            while chunk := src.read(1 << 20):
                                written += len(chunk)
                                if written > 4 * max_bytes:   # a « zip bomb »: stop before the disk fills
                                    raise TooLarge(f"{name} : l'archive décompressée dépasse {4 * max_bytes} octets")
                                dst.write(chunk)
            except zipfile.BadZipFile as exc:
                refused.append((name, f"archive ZIP illisible : {exc}"))
            continue
        if rel.suffix.lower() not in ACCEPTED:
            refused.append((name, "format non pris en charge : .csv, .pdf, .docx, .txt ou .zip attendus"))
            continue
        target = folder / rel.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp, target)
    return refused


async def run_job(job: Job, backend, uploads: list[tuple[str, Path]], workdir: Path, max_bytes: int) -> None:
    """Read the files in a thread, write each group of records through the backend's single writer."""
    from ingest.pipeline import ingester_for
    from ingest.readers import count_inputs, iter_inputs

    folder = workdir / "fichiers"
    folder.mkdir()
    prefix = str(folder) + "/"
    job.etat = "en cours"
    try:
        job.rejets.extend(await asyncio.to_thread(unpack, uploads, folder, max_bytes))
        job.total = await asyncio.to_thread(count_inputs, [folder])
        items = iter_inputs([folder])
        async with analysis_for(backend) as analysis:
            while True:
                group = await asyncio.to_thread(lambda: list(itertools.islice(items, CHUNK)))
                if not group:
                    break
                for it in group:
                    it.where = it.where.replace(prefix, "")
                    if it.record is not None:
                        it.record.source = it.record.source.replace(prefix, "")
                # analysed in the job's own process (niced), written by the single writer
                analysed = await asyncio.to_thread(analysis.analyse, [it.record for it in group if it.ok])
                summary = await backend.write(
                    lambda store, g=group, a=analysed: ingester_for(store).ingest(g, analysed=a))
                part = summary.as_dict()
                job.rejets.extend((w.replace(prefix, ""), r) for w, r in summary.skipped)
                _merge(job.resume, part)
                job.traites += len(group)
                job.courant = group[-1].where
        job.etat = "terminé"
    except TooLarge as exc:
        job.etat, job.erreur = "échoué", str(exc)
    except Exception as exc:  # noqa: BLE001 - the job reports its failure; what was written stays written
        job.etat, job.erreur = "échoué", f"{type(exc).__name__} : {exc}"
    finally:
        job.fin = time.time()
        job.resume["rejets"] = len(job.rejets)  # before any await: the job reads « terminé » from here on
        await asyncio.to_thread(shutil.rmtree, workdir, True)


# ------------------------------------------------------------------------------------------------ routes


async def read_uploads(request: Request, workdir: Path,
                       max_bytes: int) -> tuple[list[tuple[str, Path]], dict[str, str]]:
    """The files of a multipart upload, saved in ``workdir``; 413 as soon as the body passes ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"envoi trop volumineux : {int(declared)} octets, au plus {max_bytes} (réglage "
                              "max_import_bytes) ; découpez l'import (par exemple une archive par trimestre)")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("envoyez les fichiers en multipart/form-data (champ « fichiers »)")
    received = 0

    async def limited():
        nonlocal received
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise TooLarge()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, limited(), max_files=10_000, max_fields=20).parse()
    except TooLarge:
        raise PayloadTooLarge(f"envoi trop volumineux : plus de {max_bytes} octets (réglage max_import_bytes)"
                              ) from None
    except MultiPartException as exc:
        raise InvalidRequest(f"envoi multipart invalide : {exc.message}") from exc
    uploads: list[tuple[str, Path]] = []
    fields: dict[str, str] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if not value.filename:
                    continue
                target = workdir / f"envoi-{len(uploads)}"

                def save(src=value.file, dst=target):
                    src.seek(0)
                    with open(dst, "wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)

                await asyncio.to_thread(save)
                uploads.append((value.filename, target))
            else:
                fields[key] = str(value)[:500]
    finally:
        await form.close()
    return uploads, fields


router = APIRouter()


class Jobs:
    """The import jobs of one app (the last :data:`JOBS_KEPT`), and their running tasks."""

    def __init__(self) -> None:
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self.tasks: set[asyncio.Task] = set()

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"aucun import « {job_id} » (les {JOBS_KEPT} derniers sont gardés)")
        return job


def jobs_of(request: Request) -> Jobs:
    if not hasattr(request.app.state, "import_jobs"):
        request.app.state.import_jobs = Jobs()
    return request.app.state.import_jobs


async def start(request: Request) -> Job:
    """Check the writer, read the upload, register the job and start it in the background."""
    who = _check_writer(request)
    backend: EmbeddedBackend = embedded_backend(request)
    max_bytes = get_settings(request).max_import_bytes
    workdir = Path(tempfile.mkdtemp(prefix="boussole-import-"))
    try:
        uploads, _ = await read_uploads(request, workdir, max_bytes)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    if not uploads:
        shutil.rmtree(workdir, ignore_errors=True)
        raise InvalidRequest("aucun fichier reçu : joignez un CSV SCDL, des PDF, DOCX, TXT ou une archive ZIP")
    registry = jobs_of(request)
    job = Job(id=uuid.uuid4().hex[:12], auteur=who, fichiers=[n for n, _ in uploads])
    registry.jobs[job.id] = job
    while len(registry.jobs) > JOBS_KEPT:
        registry.jobs.popitem(last=False)
    task = asyncio.create_task(run_job(job, backend, uploads, workdir, max_bytes))
    registry.tasks.add(task)
    task.add_done_callback(registry.tasks.discard)
    return job



@router.get("/imports", include_in_schema=False)
async def service(request: Request) -> Response:
    """What a command checks before writing through this server: that the process answering is the one that
    announced itself beside the store (its pid), and whether it takes writes. Never the token or a path."""
    settings = get_settings(request)
    return JSONResponse({"writable": settings.writable, "pid": os.getpid(),
                         "max_import_bytes": settings.max_import_bytes})


@router.post("/imports", status_code=202, response_model=ImportSummary, tags=["écritures"],
             summary="Importer des fichiers (CSV SCDL, PDF, DOCX, TXT, ZIP)",
             responses={401: {"description": "jeton absent ou incorrect"},
                        403: {"description": "service en lecture seule"},
                        413: {"description": "envoi plus grand que max_import_bytes"}},
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["fichiers"], "properties": {"fichiers": {
                     "type": "array", "items": {"type": "string", "format": "binary"}}}}}}}})
async def post_import(request: Request) -> Response:
    """Start an import job; poll ``Location`` (``GET /imports/{id}``) until ``etat`` is « terminé »."""
    job = await start(request)
    return JSONResponse(job.as_dict(), status_code=202, headers={"Location": f"/imports/{job.id}"})


@router.get("/imports/{job_id}", response_model=ImportSummary, tags=["écritures"], summary="État d'un import")
async def job_state(job_id: str, request: Request) -> Response:
    _check_writer(request)
    return JSONResponse(jobs_of(request).get(job_id).as_dict())


@router.get("/imports/{job_id}/rejets.csv", tags=["écritures"], summary="Rapport des rejets d'un import (CSV)")
async def job_rejects(job_id: str, request: Request) -> Response:
    _check_writer(request)
    job = jobs_of(request).get(job_id)
    return Response(_rejects_csv(job.rejets), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="rejets-{job.id}.csv"'})


# ------------------------------------------------------------------------------------------------ pages


def page(request: Request, status: int = 200, *, job: Job | None = None, erreur: str = "") -> Response:
    """The import page: the form (no job), or a job's progress, summary and rejects."""
    from web.router import render

    settings = get_settings(request)
    title = f"Import {job.id} — Boussole" if job else "Importer des délibérations — Boussole"
    return render(request, "import.html", status, title=title, job=job.as_dict() if job else None,
                  rejets=job.rejets[:200] if job else [], erreur=erreur[:300],
                  max_mo=settings.max_import_bytes // 1_000_000)


@router.get("/import", include_in_schema=False)
async def import_form(request: Request, erreur: str = "") -> Response:
    if get_settings(request).writable and _writer_name(request) is None:
        return RedirectResponse("/connexion?retour=/import", 303)
    return page(request, erreur=erreur)


@router.post("/import", include_in_schema=False)
async def import_upload(request: Request) -> Response:
    from api.errors import status_of

    try:
        job = await start(request)
    except BoussoleError as exc:
        return page(request, status_of(exc)[0], erreur=str(exc))
    return RedirectResponse(f"/import/{job.id}", 303)


@router.get("/import/{job_id}", include_in_schema=False)
async def import_progress(job_id: str, request: Request) -> Response:
    if _writer_name(request) is None:
        return RedirectResponse("/connexion?retour=/import", 303)
    job = jobs_of(request).jobs.get(job_id)
    if job is None:
        return page(request, 404, erreur=f"Aucun import « {job_id} » : seuls les {JOBS_KEPT} derniers sont gardés.")
    return page(request, job=job)


# ------------------------------------------------------------------------------------------------ build


@router.post("/build", tags=["écritures"], summary="Remplacer les graphes construits par boussole build",
             openapi_extra={"requestBody": {"required": True, "content": {"application/n-quads": {
                 "schema": {"type": "string"}}}}})
async def apply_build(request: Request) -> Response:
    """Make each named graph ``graph`` (repeated query parameter) equal to its quads in the N-Quads body, by
    writing only the difference, in one turn of the single writer (``boussole build`` while the server runs)."""
    _check_writer(request)
    backend = embedded_backend(request)
    names = request.query_params.getlist("graph")
    if not names:
        raise InvalidRequest("donnez les graphes à remplacer : ?graph=<IRI>&graph=<IRI>…")
    try:
        graphs = [ox.NamedNode(g) for g in names]
    except ValueError as exc:
        raise InvalidRequest(f"IRI de graphe invalide : {exc}") from exc
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BUILD_BYTES:
            raise PayloadTooLarge(f"graphes trop volumineux : plus de {MAX_BUILD_BYTES} octets")

    def parse() -> ox.Store:
        staged = ox.Store()   # ox.parse keeps blank node labels (Store.load renames them): a rebuild stays a no-op
        staged.extend(ox.parse(bytes(body), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
        return staged

    try:
        staged = await asyncio.to_thread(parse)
    except SyntaxError as exc:
        raise InvalidRequest(f"N-Quads invalides : {exc}") from exc

    def replace(store: ox.Store) -> tuple[int, int]:
        from ingest.pipeline import forget
        from kg.build import replace_graphs

        counts = replace_graphs(store, staged, graphs)
        forget(store)   # the ingester's vocabulary is read again from the new référentiel
        return counts

    added, removed = await backend.write(replace)
    return JSONResponse({"added": added, "removed": removed})
