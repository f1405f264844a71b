"""``/sparql``: the SPARQL 1.1 Protocol (queries, updates with the token, the service description)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api import conneg, hints, service_description
from api.answers import requested_max_age
from api.deps import get_backend, get_settings, is_authenticated, public_root, require_writer
from api.limits import client_key, vet_operation
from api.query_runner import QueryRequest
from api.rendering import RDF_OFFERS, rdf_response
from api.routes.service import ui_page
from api.sparql_protocol import read_operation
from kg.errors import NotAcceptable
from kg.iris import query_prefixes
from kg.spreadsheet import neutralise_csv

router = APIRouter()
def from_browser(request: Request) -> bool:
    """A browser's request (its downloads end up in spreadsheets), not a program's."""
    return "sec-fetch-mode" in request.headers or "mozilla" in request.headers.get("user-agent", "").lower()


METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]


@router.api_route("/sparql", methods=METHODS)
@router.api_route("/sparql/", methods=METHODS, include_in_schema=False)
async def sparql(request: Request) -> Response:
    settings, backend = get_settings(request), get_backend(request)
    op = await read_operation(request)
    accept = conneg.accept_from_format(op.format, request.headers.get("accept"))
    if op.kind == "description":
        media = conneg.negotiate(accept, RDF_OFFERS + ["text/html"])
        if media is None:
            raise NotAcceptable(
                "aucun format acceptable pour la description du service ; formats offerts : " + ", ".join(RDF_OFFERS)
            )
        if media == "text/html":
            return ui_page(request)
        data = await request.app.state.stats.get()
        endpoint = public_root(request) + "/sparql"
        triples = service_description.service_description(settings, endpoint, data)
        return rdf_response(settings, triples, media, request.method == "HEAD")
    text = op.text or ""  # read_operation gives a text to every query and update
    if op.kind == "update":
        require_writer(request)
        await vet_operation(text, settings, update=True)
        await backend.update(text, op.using, op.using_named, settings.base_iri, client_key(request))
        return Response(status_code=204)
    own_dataset = await vet_operation(text, settings)
    req = QueryRequest(
        query=text,
        accept=accept,
        base_iri=settings.base_iri,
        prefixes=query_prefixes(settings.base_iri),
        default_graph=op.default_graph,
        named_graphs=op.named_graphs,
        union_default_graph=not own_dataset,
        cap_bytes=None if is_authenticated(request) or not settings.max_result_bytes else settings.max_result_bytes,
        stream_threshold=settings.stream_threshold,
    )
    result = await backend.query(req, settings.timeout, client_key(request), requested_max_age(request.headers))
    headers = {"Vary": "Accept", "Cache-Control": "no-cache", **result.headers}  # Age: an answer kept before
    ctype = conneg.content_type(result.media_type)
    if result.body is not None:
        headers.update(hints.hint_headers(text, result.media_type, result.kind, result.body))
        body = result.body
        if result.media_type == "text/csv" and from_browser(request):  # bound for a spreadsheet
            body = await asyncio.to_thread(neutralise_csv, body)
        return Response(b"" if request.method == "HEAD" else body, media_type=ctype, headers=headers)
    assert result.chunks is not None  # a result without a body is streamed
    return StreamingResponse(result.chunks, media_type=ctype, headers=headers)
