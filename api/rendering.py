"""The service's own HTML (query UI, resource and ontology pages) and RDF documents of small graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from api import conneg, service_description
from api.settings import Settings
from kg.iris import prefixes

HERE = Path(__file__).resolve().parent
RDF_OFFERS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]

templates = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))


def page(name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**ctx), status_code=status_code,
                        headers={"Vary": "Accept"})


def rdf_response(settings: Settings, triples: list[ox.Triple], media: str, head: bool = False) -> Response:
    """``triples`` serialised in the negotiated ``media``, with the service's prefixes."""
    fmt = conneg.GRAPH_FORMATS[media]
    known = {**prefixes(settings.base_iri), "sd": service_description.SD, "void": service_description.VOID,
             "dcat": service_description.DCAT, "formats": service_description.FORMATS}
    body = b"" if head else ox.serialize(triples, format=fmt, prefixes=known)
    return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})
