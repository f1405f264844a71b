"""Work of the main process handed to the query workers, under the service's timeout (killable).

A page or an internal SELECT whose cost grows with the store must not run in the service process: a thread
cannot be stopped, and a page over 10 000 deliberations held the main process for seconds with no deadline. So:

- :func:`install` sends the reading pages (``web``'s routers: review queue, index pages and their exports,
  dashboard, search, baromètre, and the HTML page of each ``/id/…`` resource) to :func:`forward`, which has
  a query worker render the page (:func:`api.worker_calls.page`) and sends back what it rendered. Past the
  timeout the worker is killed and the client gets the 503 French page with ``Retry-After``; other clients keep
  being served.
- :func:`api.worker_calls.select_rows`: the service's internal SELECTs (VoID statistics, coherence questions).

The reviewer's session stays in the service process: :func:`forward` passes the reviewer's name.

The baromètre pages (:data:`REUSED_PAGES`) depend on their address and the store only: for an anonymous caller
(no reviewer, no token) the page rendered before is served again while the store has not changed, or with its
``Age`` for a while after (:mod:`api.answers`), instead of being recomputed over the whole store each time.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors
from api.answers import requested_max_age
from api.deps import is_authenticated
from api.limits import client_key
from kg.errors import BoussoleError, Timeout

# pages that read no more than a bounded part of the graph, or none: they stay in the service process
BOUNDED_PAGES = {"home", "login_form", "old_fiche", "chart_query", "legal", "accessibility"}
REUSED_PAGES = ("/barometre",)  # path prefixes of the pages an anonymous caller may get as rendered before
SCOPE_KEYS = ("type", "http_version", "method", "scheme", "path", "raw_path", "root_path", "query_string",
              "headers", "client", "server")


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
    args, client, age = (request.app.state.settings, scope), client_key(request), None
    try:
        if _reusable(request, scope):
            (status, headers, body), age = await backend.reusable_call(
                "api.worker_calls:page", args, client, (scope["path"], scope["query_string"]),
                requested_max_age(request.headers))
        else:
            status, headers, body = await backend.call("api.worker_calls:page", args, client)
    except Timeout:
        raise Timeout(f"le calcul de cette page a dépassé le délai de {backend.settings.timeout:g} s de ce service "
                      "et a été arrêté ; réessayez dans un moment, ou restreignez-la (filtres par année, commune, "
                      "engagement)") from None
    response = Response(body, status_code=status)
    response.raw_headers = headers if age is None else [*headers, (b"age", str(int(age)).encode())]
    return response


def may_reuse(request: Request) -> bool:
    """Whether the caller may get an answer computed before for someone else (:mod:`api.answers`): neither a
    token holder nor a logged-in reviewer, who read their own writes."""
    from web.router import reviewer

    return reviewer(request) is None and not is_authenticated(request)


def _reusable(request: Request, scope: dict) -> bool:
    """A page the caller may get as rendered before: a baromètre page, for a caller who :func:`may_reuse`."""
    path = scope["path"]
    return any(path == p or path.startswith(p + "/") for p in REUSED_PAGES) and may_reuse(request)
