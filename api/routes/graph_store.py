"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect ``?graph=``/``?default`` and direct IRIs)."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from api import graph_store
from api.deps import get_backend, public_root, require_writer
from api.routes.dumps import dump_response
from kg.errors import InvalidRequest

router = APIRouter()
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def _writes(request: Request) -> bool:
    return request.method not in ("GET", "HEAD")


@router.api_route("/store", methods=METHODS)
async def store(request: Request) -> Response:
    backend = get_backend(request)
    params = request.query_params
    graphs = params.getlist("graph")
    is_default = "default" in params
    if len(graphs) > 1 or (graphs and is_default):
        raise InvalidRequest("donnez soit ?default, soit un seul ?graph=<IRI>")
    if graphs:
        try:
            target = ox.NamedNode(graphs[0]).value
        except ValueError as exc:
            raise InvalidRequest(f"IRI de graphe invalide : {exc}") from exc
        if _writes(request):
            require_writer(request)
        return await graph_store.handle(request, backend, target, can_write=True)
    if is_default:
        if _writes(request):
            require_writer(request)
        return await graph_store.handle(request, backend, None, can_write=True)
    if request.method == "POST":
        require_writer(request)
        return await graph_store.handle(request, backend, None, can_write=True,
                                        new_graph_root=public_root(request) + "/store")
    if request.method in ("GET", "HEAD"):
        return await dump_response(request, None)
    raise InvalidRequest("PUT et DELETE demandent ?default ou ?graph=<IRI>")


@router.api_route("/store/{path:path}", methods=METHODS)
async def store_direct(request: Request, path: str) -> Response:
    target = public_root(request) + request.url.path
    if _writes(request):
        require_writer(request)
    return await graph_store.handle(request, get_backend(request), target, can_write=True)
