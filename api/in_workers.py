"""Work of the main process handed to the query workers, under the service's timeout (killable).

A page or an internal SELECT whose cost grows with the store must not run in the service process: a thread
cannot be stopped, and a page over 50 000 deliberations held the main process for seconds with no deadline. So:

- :func:`install` sends the reading pages (``web``'s routers: review queue, index pages and their exports,
  dashboard, search, baromètre, and the HTML page of each ``/id/…`` resource) to :func:`forward`, which has a
  query worker render the page (:func:`page`) and sends back what it rendered. Past the timeout the worker is
  killed and the client gets the 503 French page with ``Retry-After``; other clients keep being served.
- :func:`select_rows`: the service's internal SELECTs (VoID statistics, coherence questions) in a worker.

In the worker, the pages run in an app of their own (:func:`_app`) on the worker's view of the store, with
their per-generation caches (labels, review items, search index) kept for as long as the worker reads that
view. The reviewer's session stays in the service process: :func:`forward` passes the reviewer's name.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pyoxigraph as ox
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.limits import client_key
from api.settings import Settings
from kg.errors import BoussoleError, Timeout

# pages that read no more than a bounded part of the graph, or none: they stay in the service process
BOUNDED_PAGES = {"home", "login_form", "old_fiche", "chart_query", "legal", "accessibility"}
SCOPE_KEYS = ("type", "http_version", "method", "scheme", "path", "raw_path", "root_path", "query_string",
              "headers", "client", "server")


def under_base(store: ox.Store, base_iri: str, target: str, args: tuple) -> Any:
    """``target(store, *args)`` with this worker minting and reading IRIs under the service's base."""
    import importlib

    from kg import iris

    iris.configure(base_iri)
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(store, *args)


def select_rows(store: ox.Store, query: str, substitutions: dict | None, prefixes: dict[str, str],
                base_iri: str) -> list[dict[str, Any]]:
    """An internal SELECT over the union default graph: one dict of terms per solution."""
    from kg.querying import solutions

    res = solutions(store, query, use_default_graph_as_union=True, substitutions=substitutions, prefixes=prefixes,
                    base_iri=base_iri)
    names = [v.value for v in res.variables]
    return [{n: sol[n] for n in names} for sol in res]


# ------------------------------------------------------------------------------------------------ service side


def install(app: FastAPI) -> None:
    """Have the workers render every reading page of ``web`` whose work grows with the store (the embedded
    backend only)."""
    app.user_middleware.append(Middleware(PagesInWorkers))  # innermost: counted by the metrics, body limits first


class PagesInWorkers:
    """ASGI middleware: a GET of one of ``web``'s reading pages is rendered by a query worker (:func:`forward`)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        from web.barometre_routes import router as barometre
        from web.pages import router as pages
        from web.router import router as review

        self.routes = [r for router in (review, pages, barometre) for r in router.routes
                       if isinstance(r, APIRoute) and "GET" in (r.methods or ())
                       and r.endpoint.__name__ not in BOUNDED_PAGES]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not any(
                r.matches(scope)[0] == Match.FULL for r in self.routes):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await forward(request)
        except BoussoleError as exc:  # past the timeout, workers busy, memory: the error page, as the routes' own
            status, title = errors.status_of(exc)
            response = errors.error_response(request, status, title, exc.message, errors.headers_of(exc))
        await response(scope, receive, send)


async def forward(request: Request, path: str | None = None) -> Response:
    """The page a query worker renders for ``request`` (or for ``path``, with the same query), within the
    service's timeout."""
    from web.router import reviewer

    scope = {k: request.scope[k] for k in SCOPE_KEYS if k in request.scope}
    if path is not None:
        scope["path"], scope["raw_path"] = path, path.encode()
    scope["boussole.reviewer"] = reviewer(request)
    backend = request.app.state.backend
    try:
        status, headers, body = await backend.call("api.in_workers:page", (request.app.state.settings, scope),
                                                   client_key(request))
    except Timeout:
        raise Timeout(f"le calcul de cette page a dépassé le délai de {backend.settings.timeout:g} s de ce service "
                      "et a été arrêté ; réessayez dans un moment, ou restreignez-la (filtres par année, commune, "
                      "engagement)") from None
    response = Response(body, status_code=status)
    response.raw_headers = headers
    return response


# ------------------------------------------------------------------------------------------------ worker side


class _Worker:
    """The pages' app of this worker process and the view it reads."""

    app: FastAPI | None = None
    store: ox.Store = ox.Store()  # until the first page: an empty store
    generation = 0


def _app(settings: Settings) -> FastAPI:
    import web
    from api import errors
    from kg import iris
    from web.pages import fiche_page

    iris.configure(settings.base_iri)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    errors.install(app)
    web.mount(app, store_provider=lambda: _Worker.store, write_token=lambda: settings.write_token, writer=None,
              query_page="/ui", sources_dir=settings.sources_dir, generation=lambda: _Worker.generation)
    app.state.boussole_web.reviewer = lambda request: request.scope.get("boussole.reviewer")
    app.add_api_route("/id/{path:path}", fiche_page, methods=["GET"], include_in_schema=False)
    return app


def page(store: ox.Store, settings: Settings, scope: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Render the page ``scope`` asks for on ``store`` (this worker's view): status, raw headers, body."""
    if _Worker.app is None:
        _Worker.app = _app(settings)
    if store is not _Worker.store:  # a newer view: the pages' caches start again
        _Worker.store = store
        _Worker.generation += 1
    return asyncio.run(_serve(_Worker.app, scope))


async def _serve(app: FastAPI, scope: dict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    start: dict[str, Any] = {}
    body: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(dict(scope), receive, send)
    return start.get("status", 500), list(start.get("headers", [])), b"".join(body)
