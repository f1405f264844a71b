"""``GET /coherence``, ``GET /coherence/{id}`` and ``GET /validate``: the coherence questions of ``queries/`` and the
SHACL report, over whichever backend serves the store. Parameters are validated and bound as RDF terms by
``queries.catalogue``; nothing from the request is pasted into query text."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api import conneg
from api.deps import embedded_backend, get_backend, get_settings
from api.rendering import templates
from kg.errors import BoussoleError, InvalidRequest, NotAcceptable, NotFound, PayloadTooLarge, StoreError
from kg.querying import empty_result_hints
from kg.sources import SHAPES_FILE
from queries import catalogue

RESERVED = {"format"}
MAX_HINT_QUERY = 100_000
FORMATS = {"json": "application/json", "csv": "text/csv", "html": "text/html"}


def _format(request: Request) -> str:
    asked = request.query_params.get("format")
    if asked:
        if asked not in FORMATS:
            raise InvalidRequest(f"format={asked} : choisissez json, csv ou html")
        return asked
    chosen = conneg.negotiate(request.headers.get("accept"), list(FORMATS.values()))
    if chosen is None:
        raise NotAcceptable("aucun format acceptable : cette ressource est offerte en " + ", ".join(FORMATS.values()))
    return next(k for k, v in FORMATS.items() if v == chosen)


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    return None if term is None else term.value


router = APIRouter()
log = logging.getLogger("boussole.api")


@router.get("/coherence")
async def list_questions(request: Request) -> Response:
    questions = [q.as_dict() for q in catalogue.load()]
    if _format(request) == "html":
        return HTMLResponse(templates.get_template("coherence_list.html").render(questions=questions))
    return JSONResponse(questions)


@router.get("/coherence/{question_id}/requete")
async def bound_query(question_id: str, request: Request) -> Response:
    """The question's SPARQL with the given parameters bound (what YASGUI's question picker loads): the same text
    as the .rq file with the values of its VALUES blocks replaced by validated RDF terms."""
    raw = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    try:
        text = catalogue.get(question_id).sparql(raw)
    except catalogue.UnknownQuestion as exc:
        raise NotFound(str(exc)) from exc
    except BoussoleError as exc:
        raise InvalidRequest(str(exc)) from exc
    return Response(text, media_type="application/sparql-query; charset=utf-8")


@router.post("/coherence/indices")
async def hints(request: Request) -> Response:
    """Why a query found nothing, read from its text alone (labels to match on their normalised form, names
    with a « / »): the body is the query; nothing is executed."""
    body = await request.body()
    if len(body) > MAX_HINT_QUERY:
        raise PayloadTooLarge(f"requête trop longue pour les indices ({len(body)} octets ; au plus {MAX_HINT_QUERY})")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"la requête n'est pas de l'UTF-8 valide : {exc}") from exc
    return JSONResponse({"indices": empty_result_hints(text)})


@router.get("/coherence/{question_id}")
async def answer(question_id: str, request: Request) -> Response:
    fmt = _format(request)
    raw = {k: v for k, v in request.query_params.items() if k not in RESERVED}
    try:
        question = catalogue.get(question_id)
        bindings = question.bindings(raw)
    except catalogue.UnknownQuestion as exc:
        raise NotFound(str(exc)) from exc
    except BoussoleError as exc:
        raise InvalidRequest(str(exc)) from exc
    backend = get_backend(request)
    try:
        rows = await backend.select(question.sparql(raw))
    except (SyntaxError, RuntimeError, OSError) as exc:
        log.error("queries/%s failed: %r", question.path.name, exc)
        raise StoreError(f"queries/{question.path.name} a échoué dans le magasin de triplets") from exc
    columns = list(rows[0]) if rows else question.column_names
    values = [{c: _value(row.get(c)) for c in columns} for row in rows]
    params = {str(v)[1:]: t.value for v, t in bindings.items()}
    if fmt == "json":
        return JSONResponse({"question": question.as_dict(), "params": params, "columns": columns, "rows": values})
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({c: (v if v is not None else "") for c, v in row.items()} for row in values)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{question.id}.csv"'})
    base = get_settings(request).base_iri
    iris = {v for row in values for v in row.values() if v and v.startswith(base)}
    labels = await backend.labels(iris, ["http://www.w3.org/2004/02/skos/core#prefLabel",
                                         "http://data.europa.eu/eli/ontology#title"]) if iris else {}
    return HTMLResponse(templates.get_template("coherence.html").render(
        q=question.as_dict(), columns=columns, rows=values, values=params, base=base, labels=labels,
        query_string=urlencode(raw)))


@router.get("/validate")
async def validate(request: Request) -> Response:
    """The SHACL report of the current graph (embedded store)."""
    from kg.validate import validate as shacl

    backend = embedded_backend(request)
    violations = await asyncio.to_thread(shacl, backend.current_store(), SHAPES_FILE)
    return JSONResponse({"conforms": not violations, "shapes": "ontology/shapes.ttl",
                         "violations": [{"focus": v.focus, "path": v.path, "message": v.message,
                                         "severity": v.severity} for v in violations]})
