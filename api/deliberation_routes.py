"""Deliberations through the API: ``POST /deliberations`` (JSON records, ingested and tagged like ``boussole
ingest``) and the review routes (list what to review, accept, correct). Writes need the write token and go
through the embedded backend's read-write store, one writer at a time."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.query_runner import QueryError
from api.sparql_protocol import ProtocolError, bearer_ok
from kg.errors import BoussoleError

MAX_RECORDS = 5000


class Correction(BaseModel):
    author: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    engagements: list[str] = []
    champs: list[str] = []


class Acceptance(BaseModel):
    author: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


def _writable_backend(request: Request):
    settings, backend = request.app.state.settings, request.app.state.backend
    if backend.kind != "embedded":
        raise QueryError(501, "deliberations are written through the embedded store")
    if not settings.writable:
        raise QueryError(403, "this endpoint is read-only (no write token is configured)")
    if not bearer_ok(request, settings.write_token):
        raise ProtocolError(401, "writes need 'Authorization: Bearer <token>'", {"WWW-Authenticate": 'Bearer realm="boussole"'})
    return backend


async def _write(request: Request, job) -> Any:
    backend = _writable_backend(request)
    try:
        return await backend.write(job)
    except BoussoleError as exc:
        raise QueryError(400, str(exc)) from exc


def router() -> APIRouter:
    routes = APIRouter()

    @routes.post("/deliberations")
    async def post_deliberations(request: Request):
        """Ingest one JSON record or a list of them (SCDL field names, plus optional ``texte``)."""
        _writable_backend(request)
        try:
            body = await request.json()
        except ValueError as exc:
            raise QueryError(400, f"the body is not JSON: {exc}") from exc
        records = body if isinstance(body, list) else [body]
        if not records or not all(isinstance(r, dict) for r in records):
            raise QueryError(400, "send a JSON object or a non-empty list of objects")
        if len(records) > MAX_RECORDS:
            raise QueryError(413, f"at most {MAX_RECORDS} records per request")
        from ingest.pipeline import IngestInterrupted, ingest_records

        try:
            summary = await _write(request, lambda store: ingest_records(store, records))
        except IngestInterrupted as exc:   # 500 that says exactly what was written before the error
            return JSONResponse({"error": str(exc), **exc.summary.as_dict()}, status_code=500)
        status = 201 if summary.stored else 200
        return JSONResponse(summary.as_dict(), status_code=status)

    @routes.get("/deliberations/a-revoir")
    async def to_review(request: Request, score: float = 0.5):
        """Deliberations whose tags need a person: low score, disagreement, or none."""
        from ingest.review import to_review as pending

        backend = request.app.state.backend
        if backend.kind != "embedded":
            raise QueryError(501, "the review queue reads the embedded store")
        import asyncio

        return JSONResponse(await asyncio.to_thread(pending, backend.current_store(), score))

    @routes.post("/deliberations/{ref:path}/accepter")
    async def accept(ref: str, decision: Acceptance, request: Request):
        from ingest.review import accept as record_acceptance

        current = await _write(request, lambda store: record_acceptance(store, ref, decision.author, decision.reason))
        return JSONResponse(current.as_dict())

    @routes.post("/deliberations/{ref:path}/corriger")
    async def correct(ref: str, decision: Correction, request: Request):
        from ingest.review import correct as record_correction

        current = await _write(request, lambda store: record_correction(
            store, ref, engagements=decision.engagements, champs=decision.champs, reason=decision.reason,
            author=decision.author))
        return JSONResponse(current.as_dict())

    return routes
