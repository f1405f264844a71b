"""SPARQL 1.1 Graph Store HTTP Protocol: ``/store?graph=…``, ``/store?default``, direct ``/store/<path>``."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from api import conneg
from api.backends import Backend
from api.sparql_protocol import media_type_of
from kg.errors import Forbidden, InvalidRequest, MethodNotAllowed, NotAcceptable, UnsupportedMediaType

GRAPH_OFFERS = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml", "application/trig", "application/n-quads"]


def _parse(data: bytes, media: str, base: str | None) -> list[ox.Triple]:
    try:
        fmt = ox.RdfFormat.from_media_type(media)
    except ValueError:
        fmt = None
    if fmt is None:
        raise UnsupportedMediaType(f"type de média RDF non pris en charge : {media!r}")
    try:
        quads = list(ox.parse(data, format=fmt, base_iri=base))
    except SyntaxError as exc:
        raise InvalidRequest(f"le corps {media} ne peut pas être lu : {exc}") from exc
    out = []
    for q in quads:
        if not isinstance(q.graph_name, ox.DefaultGraph):
            raise InvalidRequest("le corps contient des quads de graphes nommés ; envoyez les triplets d'un seul graphe")
        out.append(q.triple)
    return out


async def read_triples(request: Request, base: str | None) -> list[ox.Triple]:
    mime, params = media_type_of(request.headers.get("content-type"))
    if not mime:
        raise InvalidRequest("en-tête Content-Type manquant pour le contenu RDF")
    if mime == "multipart/form-data":
        form = await request.form()
        triples: list[ox.Triple] = []
        for _, value in form.multi_items():
            if hasattr(value, "read"):
                part_mime, _ = media_type_of(value.content_type)
                triples += _parse(await value.read(), part_mime or "text/turtle", base)
        return triples
    return _parse(await request.body(), mime, base)


async def handle(request: Request, backend: Backend, graph: str | None, *, can_write: bool, new_graph_root: str | None = None) -> Response:
    """``graph`` is the target graph IRI, ``None`` for the default graph. ``new_graph_root``: POST creates a graph."""
    method = request.method
    if method in ("GET", "HEAD"):
        if not await backend.graph_exists(graph):
            return Response(status_code=404, content=b"" if method == "HEAD" else f"no graph <{graph}>".encode())
        media = conneg.negotiate(request.headers.get("accept"), GRAPH_OFFERS)
        if media is None:
            raise NotAcceptable("aucun format RDF acceptable ; formats offerts : " + ", ".join(GRAPH_OFFERS))
        fmt = conneg.GRAPH_FORMATS[media]
        body = b"" if method == "HEAD" else await backend.get_graph(graph, fmt)
        return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})
    if method not in ("PUT", "POST", "DELETE"):
        raise MethodNotAllowed(f"la méthode {method} n'est pas permise ici", "GET, HEAD, PUT, POST, DELETE")
    if not can_write:
        raise Forbidden("les écritures sont désactivées")
    if method == "DELETE":
        existed = await backend.delete_graph(graph)
        return Response(status_code=204 if existed else 404)
    location = None
    if new_graph_root is not None:
        graph = f"{new_graph_root}/{uuid.uuid4().hex}"
        location = graph
    triples = await read_triples(request, graph or str(request.url).split("?")[0])
    created = await backend.write_graph(graph, triples, replace=(method == "PUT"))
    if location:
        return Response(status_code=201, headers={"Location": location})
    return Response(status_code=201 if created and graph is not None else 204)
