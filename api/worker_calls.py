"""What the query workers run for the service process (called by name: ``"api.worker_calls:…"``).

Kept light at import: a worker imports this module for every call (an internal SELECT must not pay for FastAPI);
the pages' app is built on the first page, after :func:`warm` imported what it needs when the worker started.
In the worker, the pages run in an app of their own (:func:`_app`) on the worker's view of the store, with their
per-generation caches (labels, review items, search index) kept for as long as the worker reads that view.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.settings import Settings


def under_base(store: ox.Store, base_iri: str, target: str, args: tuple) -> Any:
    """``target(store, *args)`` with this worker minting and reading IRIs under the service's base."""
    import importlib

    from kg import iris

    iris.configure(base_iri)
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(store, *args)


def rehearse_update(view: ox.Store, copy: str, update: str, base_iri: str | None,
                    prefixes: dict[str, str]) -> str | None:
    """Run ``update`` on the writable copy of the store at ``copy``
    (:meth:`api.store_owner.StoreOwner.rehearsal_copy`): None when it succeeds, else why it fails, in French.
    ``view`` (the worker's read-only view) is not used: the rehearsal must see the store the owner will update."""
    from kg.errors import InvalidQuery
    from kg.querying import apply_update

    store = ox.Store(copy)
    try:
        apply_update(store, update, base_iri, prefixes)
    except InvalidQuery as exc:
        return exc.message
    finally:
        del store  # closes the copy before the service deletes it
    return None


def select_rows(store: ox.Store, query: str, substitutions: dict | None, prefixes: dict[str, str],
                base_iri: str) -> list[dict[str, Any]]:
    """An internal SELECT over the union default graph: one dict of terms per solution."""
    from kg.querying import solutions

    res = solutions(store, query, use_default_graph_as_union=True, substitutions=substitutions, prefixes=prefixes,
                    base_iri=base_iri)
    names = [v.value for v in res.variables]
    return [{n: sol[n] for n in names} for sol in res]


class _Worker:
    """The pages' app of this worker process and the view it reads."""

    app: FastAPI | None = None
    store: ox.Store = ox.Store()  # until the first page: an empty store
    generation = 0


def _app(settings: Settings) -> FastAPI:
    from fastapi import FastAPI

    import web
    from api import errors, pseudonyms
    from kg import iris
    from web.pages import fiche_page

    iris.configure(settings.base_iri)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    errors.install(app)
    web.mount(app, store_provider=lambda: _Worker.store, write_token=lambda: settings.write_token, writer=None,
              query_page="/ui", sources_dir=settings.sources_dir, generation=lambda: _Worker.generation,
              reviewers=lambda: pseudonyms.reviewers_of(settings))
    app.state.boussole_web.reviewer = lambda request: request.scope.get("boussole.reviewer")
    app.add_api_route("/id/{path:path}", fiche_page, methods=["GET"], include_in_schema=False)
    return app


def warm() -> None:
    """Import what the pages need (FastAPI, the web modules, the templates) when the worker starts: seconds on a
    loaded machine, which the first page would otherwise spend under its deadline."""
    import importlib

    for module in ("web.router", "web.pages", "web.barometre_routes", "api.errors"):
        importlib.import_module(module)
    from web.rendering import env

    for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
        env.get_template(name)  # compiled once, in Jinja's cache


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
