"""The service's pages (query UI, ontology, DCAT, sources, coherence questions), rendered in the one layout of
:mod:`web.rendering`, and RDF documents of small graphs."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api import conneg, service_description
from api.settings import Settings
from kg.iris import prefixes
from web import rendering

RDF_OFFERS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]

def page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """``web/templates/<name>`` in the layout (header, breadcrumb ``ariane``, footer)."""
    return rendering.page(request, name, status_code, headers={"Vary": "Accept"}, **ctx)


def rdf_response(settings: Settings, triples: list[ox.Triple], media: str, head: bool = False) -> Response:
    """``triples`` serialised in the negotiated ``media``, with the service's prefixes."""
    fmt = conneg.GRAPH_FORMATS[media]
    known = {**prefixes(settings.base_iri), "sd": service_description.SD, "void": service_description.VOID,
             "dcat": service_description.DCAT, "formats": service_description.FORMATS}
    body = b"" if head else ox.serialize(triples, format=fmt, prefixes=known)
    return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})
