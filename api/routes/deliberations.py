"""Deliberations through the API: ``POST /deliberations`` (JSON records, ingested and tagged like ``boussole
ingest``) and the review routes (list what to review, accept, correct). Writes need the write token and go
through the embedded backend's read-write store, one writer at a time."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.backends import EmbeddedBackend
from api.deps import embedded_backend, require_writer
from kg.errors import InvalidRequest, PayloadTooLarge

MAX_RECORDS = 5000


class Correction(BaseModel):
    author: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    engagements: list[str] = []
    champs: list[str] = []


class Acceptance(BaseModel):
    author: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


def writable_backend(request: Request) -> EmbeddedBackend:
    """The embedded backend, once the request has shown the write token."""
    backend = embedded_backend(request)
    require_writer(request)
    return backend


WritableBackend = Annotated[EmbeddedBackend, Depends(writable_backend)]
router = APIRouter()


@router.post("/deliberations")
async def post_deliberations(request: Request, backend: WritableBackend) -> Response:
    """Ingest one JSON record or a list of them (SCDL field names, plus optional ``texte``)."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidRequest(f"le corps n'est pas du JSON : {exc}") from exc
    records = body if isinstance(body, list) else [body]
    if not records or not all(isinstance(r, dict) for r in records):
        raise InvalidRequest("envoyez un objet JSON ou une liste non vide d'objets")
    if len(records) > MAX_RECORDS:
        raise PayloadTooLarge(f"au plus {MAX_RECORDS} enregistrements par requête")
    from ingest.pipeline import ingest_records

    summary = await backend.write(lambda store: ingest_records(store, records))
    status = 201 if summary.stored else 200
    return JSONResponse(summary.as_dict(), status_code=status)


@router.get("/deliberations/a-revoir")
async def to_review(request: Request, score: float = 0.5) -> Response:
    """Deliberations whose tags need a person: low score, disagreement, or none."""
    from ingest.review import to_review as pending

    backend = embedded_backend(request)
    return JSONResponse(await asyncio.to_thread(pending, backend.current_store(), score))


@router.post("/deliberations/{ref:path}/accepter")
async def accept(ref: str, decision: Acceptance, backend: WritableBackend) -> Response:
    from ingest.review import accept as record_acceptance

    current = await backend.write(lambda store: record_acceptance(store, ref, decision.author, decision.reason))
    return JSONResponse(current.as_dict())


@router.post("/deliberations/{ref:path}/corriger")
async def correct(ref: str, decision: Correction, backend: WritableBackend) -> Response:
    from ingest.review import correct as record_correction

    current = await backend.write(lambda store: record_correction(
        store, ref, engagements=decision.engagements, champs=decision.champs, reason=decision.reason,
        author=decision.author))
    return JSONResponse(current.as_dict())
