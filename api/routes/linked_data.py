"""Linked data: ``/id/…`` (each minted IRI, HTML or RDF by negotiation), the ontology at ``/def`` and the JSON-LD
context. A write to ``/id/…`` is the Graph Store Protocol on that graph IRI."""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api import conneg, graph_store, linked_data
from api.deps import get_backend, get_settings, require_writer
from api.rendering import RDF_OFFERS, page, rdf_response, templates
from kg.errors import InvalidRequest, NotAcceptable, NotFound

router = APIRouter()

UNKNOWN_PAGE = ('{% extends "base.html" %}{% block main %}<h1>Ressource inconnue</h1><p class="iri">{{ iri }}</p>'
                '<p>Aucun triplet ne mentionne cette IRI.</p>{% endblock %}')


@router.api_route("/id/{path:path}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
async def resource(request: Request, path: str) -> Response:
    settings, backend = get_settings(request), get_backend(request)
    if request.method in ("PUT", "POST", "DELETE"):
        require_writer(request)  # graph store protocol on a graph IRI under the base
        return await graph_store.handle(request, backend, settings.base_iri + path, can_write=True)
    forced = None
    for ext, media in linked_data.EXTENSIONS.items():
        if path.endswith(ext):
            path, forced = path[: -len(ext)], media
            break
    accept = conneg.accept_from_format(request.query_params.get("format"), request.headers.get("accept"))
    media = forced or conneg.negotiate(accept, linked_data.LD_OFFERS)
    if media is None:
        raise NotAcceptable("formats offerts : " + ", ".join(linked_data.LD_OFFERS))
    media = {"application/xhtml+xml": "text/html", "application/json": "application/ld+json"}.get(media, media)
    iri = settings.base_iri + path
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise InvalidRequest("ce chemin ne forme pas une IRI valide") from exc
    if media == "text/html":
        m = re.fullmatch(r"source/([A-Za-z0-9_-]+)", path)
        if m:
            doc = linked_data.source_document_view(settings, m.group(1))
            if doc is not None:
                return page("source.html", v=doc, iri=iri, resource=None)
        view = await linked_data.resource_view(backend, settings, iri)
        if view is None:
            return HTMLResponse(templates.from_string(UNKNOWN_PAGE).render(iri=iri), status_code=404)
        return page("resource.html", v=view)
    out, incoming, _ = await linked_data.describe_quads(backend, iri)
    if not out and not incoming:
        raise NotFound(f"aucun triplet ne mentionne <{iri}>")
    fmt = conneg.GRAPH_FORMATS[media]
    body = b"" if request.method == "HEAD" else linked_data.rdf_document(out, incoming, fmt, settings)
    return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})


@router.get("/def")
@router.get("/def.ttl")
async def ontology(request: Request) -> Response:
    settings = get_settings(request)
    forced = "text/turtle" if request.url.path.endswith(".ttl") else None
    media = forced or conneg.negotiate(request.headers.get("accept"), ["text/html"] + RDF_OFFERS)
    if media is None:
        raise NotAcceptable("formats offerts : text/html, " + ", ".join(RDF_OFFERS))
    if media == "text/html":
        return page("ontology.html", v=linked_data.ontology_view(settings))
    path = settings.ontology_file
    if not path.is_file():
        raise NotFound("le fichier de l'ontologie est absent")
    if media == "text/turtle":
        return Response(path.read_bytes(), media_type=conneg.content_type(media), headers={"Vary": "Accept"})
    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return rdf_response(settings, triples, media)


@router.get("/context.jsonld")
async def context(request: Request) -> Response:
    return JSONResponse(linked_data.json_ld_context(get_settings(request)), media_type="application/ld+json")
