"""The whole dataset: ``/dump.nq``, ``/dump.trig`` (streamed) and its DCAT description at ``/dataset``."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api import conneg, service_description
from api.deps import get_backend, get_settings, public_root
from api.rendering import RDF_OFFERS, page, rdf_response
from kg.errors import NotAcceptable, Unavailable
from kg.iris import prefixes

router = APIRouter()

async def dump_response(request: Request, media: str | None) -> Response:
    """The dataset in ``media`` (negotiated when None), as an attachment."""
    if media is None:
        media = conneg.negotiate(request.headers.get("accept"), list(conneg.DATASET_FORMATS))
        if media is None:
            raise NotAcceptable("les exports sont offerts en application/n-quads ou application/trig")
    fmt = conneg.DATASET_FORMATS[media]
    name = "boussole." + fmt.file_extension
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if request.method == "HEAD":
        return Response(b"", media_type=conneg.content_type(media), headers=headers)
    backend = get_backend(request)
    if not backend.dump_slots_free():
        raise Unavailable("trop d'exports sont en cours de téléchargement ; réessayez dans une minute")
    # the store holds reviewers under pseudonyms only (api/pseudonyms.py): the dump is the same for everyone
    return StreamingResponse(backend.dump(fmt), media_type=conneg.content_type(media), headers=headers)


@router.get("/dump.nq")
async def dump_nq(request: Request) -> Response:
    return await dump_response(request, "application/n-quads")


@router.get("/dump.trig")
async def dump_trig(request: Request) -> Response:
    return await dump_response(request, "application/trig")


@router.get("/dataset")
async def dataset(request: Request) -> Response:
    settings = get_settings(request)
    accept = conneg.accept_from_format(request.query_params.get("format"), request.headers.get("accept"))
    media = conneg.negotiate(accept, RDF_OFFERS + ["text/html"])
    if media is None:
        raise NotAcceptable("formats offerts : " + ", ".join(RDF_OFFERS))
    triples = service_description.dcat_description(settings, public_root(request), await request.app.state.stats.get())
    if media == "text/html":
        ttl = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={
            **prefixes(settings.base_iri), "dcat": service_description.DCAT, "void": service_description.VOID})
        return page(request, "dataset.html", title="Jeu de données — Boussole", ttl=(ttl or b"").decode(),
                    ariane=[("Données ouvertes", None)])
    return rdf_response(settings, triples, media)
