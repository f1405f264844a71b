"""``GET /coherence``, ``GET /coherence/{id}`` and ``GET /validate``: the coherence questions of ``queries/`` and the
SHACL report, over whichever backend serves the store. Parameters are validated and bound as RDF terms by
``queries.catalogue``; nothing from the request is pasted into query text."""

from __future__ import annotations

import asyncio
import csv
import io
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment

from api import conneg
from api.query_runner import QueryError
from kg.errors import BoussoleError
from kg.iris import base_iri
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
            raise QueryError(400, f"format={asked}: choose json, csv or html")
        return asked
    chosen = conneg.negotiate(request.headers.get("accept"), list(FORMATS.values()))
    if chosen is None:
        raise QueryError(406, "no acceptable format: this resource is offered as " + ", ".join(FORMATS.values()))
    return next(k for k, v in FORMATS.items() if v == chosen)


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    return None if term is None else term.value


def router(env: Environment) -> APIRouter:
    routes = APIRouter()

    @routes.get("/coherence")
    async def list_questions(request: Request):
        questions = [q.as_dict() for q in catalogue.load()]
        if _format(request) == "html":
            return HTMLResponse(env.get_template("coherence_list.html").render(questions=questions))
        return JSONResponse(questions)

    @routes.get("/coherence/{question_id}/requete")
    async def bound_query(question_id: str, request: Request):
        """The question's SPARQL with the given parameters bound (what YASGUI's question picker loads): the same text
        as the .rq file with the values of its VALUES blocks replaced by validated RDF terms."""
        raw = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        try:
            text = catalogue.get(question_id).sparql(raw)
        except catalogue.UnknownQuestion as exc:
            raise QueryError(404, str(exc)) from exc
        except BoussoleError as exc:
            raise QueryError(400, str(exc)) from exc
        return Response(text, media_type="application/sparql-query; charset=utf-8")

    @routes.post("/coherence/indices")
    async def hints(request: Request):
        """Why a query found nothing, read from its text alone (labels to match on their normalised form, names
        with a « / »): the body is the query; nothing is executed."""
        body = await request.body()
        if len(body) > MAX_HINT_QUERY:
            raise QueryError(413, f"query too long for hints ({len(body)} bytes; at most {MAX_HINT_QUERY})")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError(400, f"the query is not valid UTF-8: {exc}") from exc
        return JSONResponse({"indices": empty_result_hints(text)})

    @routes.get("/coherence/{question_id}")
    async def answer(question_id: str, request: Request):
        fmt = _format(request)
        raw = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        try:
            question = catalogue.get(question_id)
            bindings = question.bindings(raw)
        except catalogue.UnknownQuestion as exc:
            raise QueryError(404, str(exc)) from exc
        except BoussoleError as exc:
            raise QueryError(400, str(exc)) from exc
        backend = request.app.state.backend
        try:
            rows = await backend.select(question.sparql(raw))
        except (SyntaxError, RuntimeError, OSError) as exc:
            raise QueryError(500, f"queries/{question.path.name}: {exc}") from exc
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
        base = base_iri()
        iris = {v for row in values for v in row.values() if v and v.startswith(base)}
        labels = await backend.labels(iris, ["http://www.w3.org/2004/02/skos/core#prefLabel",
                                             "http://data.europa.eu/eli/ontology#title"]) if iris else {}
        return HTMLResponse(env.get_template("coherence.html").render(
            q=question.as_dict(), columns=columns, rows=values, values=params, base=base, labels=labels,
            query_string=urlencode(raw)))

    @routes.get("/validate")
    async def validate(request: Request):
        """The SHACL report of the current graph (embedded store)."""
        from kg.validate import validate as shacl

        backend = request.app.state.backend
        if backend.kind != "embedded":
            raise QueryError(501, "/validate needs the embedded store; run `boussole build` where the data lives")
        violations = await asyncio.to_thread(shacl, backend.current_store(), SHAPES_FILE)
        return JSONResponse({"conforms": not violations, "shapes": "ontology/shapes.ttl",
                             "violations": [{"focus": v.focus, "path": v.path, "message": v.message,
                                             "severity": v.severity} for v in violations]})

    return routes
