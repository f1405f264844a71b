"""``GET /coherence``, ``GET /coherence/{id}`` and ``GET /validate``: the coherence questions of ``queries/`` and the
SHACL report, over whichever backend serves the store. Parameters are validated and bound as RDF terms by
``queries.catalogue``; nothing from the request is pasted into query text."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api import conneg, in_workers
from api.answers import requested_max_age
from api.deps import embedded_backend, get_backend, get_settings
from api.limits import client_key
from api.rendering import page
from kg.errors import BoussoleError, InvalidRequest, NotAcceptable, NotFound, PayloadTooLarge, StoreError
from kg.iris import compact
from kg.querying import empty_result_hints
from kg.sources import SHAPES_FILE
from queries import catalogue
from web import exports
from web.context import label_index

RESERVED = {"format"}
MAX_HINT_QUERY = 100_000
FORMATS = {"json": "application/json", "csv": "text/csv", "html": "text/html", "csv-fr": "text/csv",
           "xlsx": exports.FORMATS["xlsx"][0]}


def _format(request: Request) -> str:
    asked = request.query_params.get("format")
    if asked:
        if asked not in FORMATS:
            raise InvalidRequest(f"format={asked} : choisissez json, csv, csv-fr, xlsx ou html")
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
        return page(request, "coherence_list.html", title="Questions de cohérence — Boussole", questions=questions,
                    ariane=[("Questions de cohérence", None)])
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
    table_columns = [exports.Column(c, c, exports.kind_of([row.get(c) for row in rows])) for c in columns]
    table = exports.Table(question.id, question.title_fr, table_columns, values)
    if fmt == "json":  # numbers as JSON numbers
        typed = [dict(zip(columns, line, strict=True)) for line in exports.typed_rows(table)]
        return JSONResponse({"question": question.as_dict(), "params": params, "columns": columns, "rows": typed})
    if fmt in ("csv", "csv-fr", "xlsx"):
        return exports.response(table, fmt)
    base = get_settings(request).base_iri
    iris = {v for row in values for v in row.values() if v and v.startswith(base)}
    index = await run_in_threadpool(label_index, request) if iris else None  # the pages' labels, once per generation
    labels = {iri: index.of(iri) for iri in iris} if index else {}
    return page(request, "coherence.html", title=f"{question.title_fr} — Boussole", q=question.as_dict(),
                columns=columns, rows=values, values=params, base=base, labels=labels, query_string=urlencode(raw),
                names={iri: compact(iri, base) for iri in iris},  # the name that pastes back into a query
                exports={f: f"/coherence/{question.id}?" + urlencode({**raw, "format": f}) for f in exports.FORMATS},
                ariane=[("Questions de cohérence", "/coherence"), (question.title_fr, None)])


@router.get("/validate")
async def validate(request: Request) -> Response:
    """The SHACL report of the current graph (embedded store)."""
    backend = embedded_backend(request)
    # in a query worker: the endpoint's timeout stops it, and its CPU is not the main process's; an anonymous
    # caller may get the report computed before for the same store (api.answers), with its Age
    age = None
    if in_workers.may_reuse(request):
        violations, age = await backend.reusable_call("kg.validate:validate", (SHAPES_FILE,), client_key(request),
                                                      SHAPES_FILE.name, requested_max_age(request.headers))
    else:
        violations = await backend.call("kg.validate:validate", (SHAPES_FILE,), client_key(request))
    return JSONResponse({"conforms": not violations, "shapes": "ontology/shapes.ttl",
                         "violations": [{"focus": v.focus, "path": v.path, "message": v.message,
                                         "severity": v.severity} for v in violations]},
                        headers={"Age": str(int(age))} if age is not None else None)
