"""Linked data: ``/id/…`` (each minted IRI, HTML or RDF by negotiation), the ontology at ``/def`` and the JSON-LD
context. A write to ``/id/…`` is the Graph Store Protocol on that graph IRI."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import conneg, graph_store, in_workers, linked_data
from api.backends import EmbeddedBackend
from api.deps import get_backend, get_settings, require_writer
from api.rendering import RDF_OFFERS, page, rdf_response
from kg.errors import InvalidRequest, NotAcceptable, NotFound
from web.pages import fiche_page

router = APIRouter()


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
    negotiated = forced or conneg.negotiate(accept, linked_data.LD_OFFERS)
    if negotiated is None:
        raise NotAcceptable("formats offerts : " + ", ".join(linked_data.LD_OFFERS))
    aliases = {"application/xhtml+xml": "text/html", "application/json": "application/ld+json"}
    media = aliases.get(negotiated, negotiated)
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
                return page(request, "source.html", title=f"Source {doc['name']} — Boussole", v=doc, iri=iri,
                            ariane=[("Document source", None), (doc["file"], None)])
        if isinstance(backend, EmbeddedBackend):  # rendered by a query worker, under the timeout
            return await in_workers.forward(request, "/id/" + path)
        return await run_in_threadpool(fiche_page, request, path)  # the one page of a resource
    out, incoming = await linked_data.describe_quads(backend, iri)
    if not out and not incoming:
        raise NotFound(f"aucun triplet ne mentionne <{iri}>")
    if media == "application/ld+json":
        doc = linked_data.compact_json_ld(out, incoming, settings)
        body = b"" if request.method == "HEAD" else json.dumps(doc, ensure_ascii=False, indent=1).encode()
        return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})
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
        return page(request, "ontology.html", title="Ontologie Boussole", v=linked_data.ontology_view(settings),
                    ariane=[("Ontologie", None)])
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
