"""Deliberations through the API: ``POST /deliberations`` (JSON records, analysed in a process of their own like
an import, :mod:`api.import_analysis`, then written like ``boussole ingest``) and the review routes (the queue,
accept, correct, undo, the decision log). Writes need the write token and go through the embedded backend's
read-write store, one writer at a time."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.backends import EmbeddedBackend
from api.deps import embedded_backend, get_settings, is_authenticated, require_writer
from api.limits import client_key
from api.pseudonyms import reviewers_of
from ingest.reviewers import with_names
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


class Undo(BaseModel):
    author: str = Field(min_length=1, max_length=200)


class DeliberationRecord(BaseModel):
    """One deliberation: SCDL columns (``COLL_SIRET``, ``DELIB_ID``, ``DELIB_DATE``, ``DELIB_OBJET``…) or their
    snake_case names, plus an optional full ``texte``; unknown keys are ignored."""

    model_config = {"extra": "allow"}
    COLL_NOM: str | None = None
    COLL_SIRET: str | None = Field(default=None, description="SIRET de la collectivité (14 chiffres ; espaces tolérés)")
    DELIB_ID: str | None = Field(default=None, description="identifiant local de la délibération")
    DELIB_DATE: str | None = Field(default=None, description="date de la séance (AAAA-MM-JJ)")
    DELIB_MATIERE_CODE: str | None = Field(default=None, description="code de matière ACTES (ex. 7.5)")
    DELIB_MATIERE_NOM: str | None = None
    DELIB_OBJET: str | None = Field(default=None, description="objet (obligatoire sans texte)")
    texte: str | None = Field(default=None, description="texte intégral, s'il est connu")


class IngestResult(BaseModel):
    """The summary of one ingest run (the same as ``boussole ingest``)."""

    model_config = {"extra": "allow"}
    read: int
    stored: int
    updated: int
    unchanged: int
    tagged: int
    skipped: list[dict[str, str]] = Field(description="enregistrements rejetés : {where, reason}")
    deliberations: list[str] = Field(description="IRI des délibérations lues")


RECORD_SCHEMA = DeliberationRecord.model_json_schema()
RECORD_EXAMPLES = {
    "une délibération SCDL": {"value": {
        "COLL_NOM": "CA de la Porte du Hainaut", "COLL_SIRET": "20004219000013", "DELIB_ID": "2025-031",
        "DELIB_DATE": "2025-03-17", "DELIB_MATIERE_CODE": "7.5", "DELIB_OBJET": "Fonds de concours à la commune "
        "de Lourches pour la rénovation de l'école Jules Ferry", "texte": "Le conseil communautaire, …"}},
    "un objet seul": {"value": [{"objet": "Aménagement d'une piste cyclable entre Denain et Lourches"}]},
}


def writable_backend(request: Request) -> EmbeddedBackend:
    """The embedded backend, once the request has shown the write token."""
    backend = embedded_backend(request)
    require_writer(request)
    return backend


WritableBackend = Annotated[EmbeddedBackend, Depends(writable_backend)]
router = APIRouter()


@router.post("/deliberations", tags=["écritures"], summary="Ingérer des délibérations (JSON)",
             response_model=IngestResult, status_code=201,
             responses={200: {"model": IngestResult, "description": "rien de nouveau (déjà présentes à l'identique)"},
                        400: {"description": "corps qui n'est pas du JSON, ou liste vide"},
                        401: {"description": "jeton absent ou incorrect"},
                        403: {"description": "service en lecture seule"},
                        413: {"description": f"plus de {MAX_RECORDS} enregistrements"}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"oneOf": [RECORD_SCHEMA, {"type": "array", "items": RECORD_SCHEMA}]},
                 "examples": RECORD_EXAMPLES}}}})
async def post_deliberations(request: Request, backend: WritableBackend) -> Response:
    """Ingest one JSON record or a list of them (SCDL field names, plus optional ``texte``), tagged like
    ``boussole ingest``; the answer is the run's summary, rejected records with their reason."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidRequest(f"le corps n'est pas du JSON : {exc}") from exc
    records = body if isinstance(body, list) else [body]
    if not records or not all(isinstance(r, dict) for r in records):
        raise InvalidRequest("envoyez un objet JSON ou une liste non vide d'objets")
    if len(records) > MAX_RECORDS:
        raise PayloadTooLarge(f"au plus {MAX_RECORDS} enregistrements par requête")
    from api.import_analysis import WarmAnalysis
    from ingest.pipeline import IngestInterrupted, ingester_for, records_from_json

    items = await asyncio.to_thread(lambda: list(records_from_json(records)))
    # analysed in the analysis process (niced, import_memory_mb) as an import's records are; then written in one
    # turn of the single writer: an analysis that fails (memory) writes nothing
    if not hasattr(request.app.state, "deliberations_analysis"):
        request.app.state.deliberations_analysis = WarmAnalysis()
    analysed = await request.app.state.deliberations_analysis.analyse(backend, [it.record for it in items if it.ok])
    try:
        summary = await backend.write(lambda store: ingester_for(store).ingest(items, analysed=analysed))
    except IngestInterrupted as exc:   # a problem (RFC 9457) that says exactly what was written before the error
        return JSONResponse({"type": "about:blank", "title": "Ingestion interrompue", "status": 500,
                             "detail": str(exc), **exc.summary.as_dict()},
                            status_code=500, media_type="application/problem+json")
    status = 201 if summary.stored else 200
    return JSONResponse(summary.as_dict(), status_code=status)


@router.get("/deliberations/a-revoir", tags=["revue"], summary="La file de revue")
async def to_review(request: Request, seuil: float | None = None) -> Response:
    """The review queue (``queries/file-de-revue.rq``): deliberations no person has decided whose model confidence
    is below ``seuil`` (default: the service's ``review_threshold``); the same list as ``boussole review list`` and
    the page ``/review``. ``X-Total-Count`` gives its length."""
    backend = embedded_backend(request)
    threshold = seuil if seuil is not None else get_settings(request).review_threshold
    items = await backend.call("queries.review_queue:pending", (threshold,), client_key(request))
    return JSONResponse(items, headers={"X-Total-Count": str(len(items))})


@router.get("/deliberations/decisions", tags=["revue"], summary="Journal des décisions de revue")
async def decisions(request: Request, deliberation: str | None = None, limite: int = 50) -> Response:
    """The latest review decisions (who, when, action, before → after), newest first. ``auteur``: the reviewer's
    name for token holders (from the directory beside the store), its stable pseudonym (the store's) otherwise;
    ``relecteur``: the reviewer's IRI."""
    backend = embedded_backend(request)
    rows = await backend.call("ingest.review:decision_log", (deliberation, max(1, min(limite, 500))),
                              client_key(request))
    if is_authenticated(request):
        rows = await asyncio.to_thread(with_names, rows, reviewers_of(get_settings(request)))
    return JSONResponse(rows)


@router.post("/deliberations/{ref:path}/accepter", tags=["revue"], summary="Accepter la proposition du modèle")
async def accept(ref: str, decision: Acceptance, backend: WritableBackend) -> Response:
    from ingest.review import accept as record_acceptance

    names = reviewers_of(backend.settings)
    current = await backend.write(lambda store: record_acceptance(store, ref, decision.author, decision.reason,
                                                                  reviewers=names))
    return JSONResponse(current.as_dict())


@router.post("/deliberations/{ref:path}/corriger", tags=["revue"], summary="Corriger les étiquettes")
async def correct(ref: str, decision: Correction, backend: WritableBackend) -> Response:
    from ingest.review import correct as record_correction

    names = reviewers_of(backend.settings)
    current = await backend.write(lambda store: record_correction(
        store, ref, engagements=decision.engagements, champs=decision.champs, reason=decision.reason,
        author=decision.author, reviewers=names))
    return JSONResponse(current.as_dict())


@router.post("/deliberations/{ref:path}/annuler", tags=["revue"], summary="Annuler la dernière décision")
async def undo(ref: str, decision: Undo, backend: WritableBackend) -> Response:
    """Undo the latest human decision on the deliberation (logged; the earlier state is current again)."""
    from ingest.review import undo as record_undo

    names = reviewers_of(backend.settings)
    current = await backend.write(lambda store: record_undo(store, ref, decision.author, reviewers=names))
    return JSONResponse(current.as_dict())
