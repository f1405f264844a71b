"""``/sparql``: the SPARQL 1.1 Protocol (queries, updates with the token, the service description)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api import conneg, service_description
from api.deps import get_backend, get_settings, is_authenticated, require_writer
from api.query_runner import QueryRequest
from api.rendering import RDF_OFFERS, rdf_response
from api.routes.service import ui_page
from api.sparql_protocol import read_operation
from api.sparql_scan import check_remote_access
from kg.errors import NotAcceptable
from kg.iris import query_prefixes

router = APIRouter()
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
            raise NotAcceptable("aucun format acceptable pour la description du service ; formats offerts : " + ", ".join(RDF_OFFERS))
        if media == "text/html":
            return ui_page(settings)
        data = await request.app.state.stats.get()
        endpoint = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else str(request.url).split("?")[0]
        triples = service_description.service_description(settings, endpoint, data)
        return rdf_response(settings, triples, media, request.method == "HEAD")
    if op.kind == "update":
        require_writer(request)
        check_remote_access(op.text, settings.federation_allow_list)
        await backend.update(op.text, op.using, op.using_named, settings.base_iri)
        return Response(status_code=204)
    check_remote_access(op.text, settings.federation_allow_list)
    req = QueryRequest(
        query=op.text,
        accept=accept,
        base_iri=settings.base_iri,
        prefixes=query_prefixes(settings.base_iri),
        default_graph=op.default_graph,
        named_graphs=op.named_graphs,
        cap_bytes=None if is_authenticated(request) or not settings.max_result_bytes else settings.max_result_bytes,
        stream_threshold=settings.stream_threshold,
    )
    result = await backend.query(req, settings.timeout)
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    ctype = conneg.content_type(result.media_type)
    if result.body is not None:
        return Response(b"" if request.method == "HEAD" else result.body, media_type=ctype, headers=headers)
    return StreamingResponse(result.chunks, media_type=ctype, headers=headers)
