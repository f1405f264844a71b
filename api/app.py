"""The Boussole web service: SPARQL 1.1 Protocol, Graph Store Protocol, linked data, query UI.

``create_app(settings)`` assembles the ASGI application: the backend, the middlewares, the error handlers
(:mod:`api.errors`) and one router per area (:mod:`api.routes`); :func:`api.server.serve` runs it with uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

import ingest
import web
from api import errors, in_workers, pseudonyms, service_description
from api.backends import EmbeddedBackend, make_backend
from api.limits import Attempts, BodyLimitMiddleware
from api.metrics import Metrics, MetricsMiddleware
from api.routes import coherence, deliberations, dumps, graph_store, imports, linked_data, service, sparql, tagging
from api.settings import Settings
from kg import iris
from web.graph import BackendGraph


def create_app(settings: Settings) -> FastAPI:
    iris.configure(settings.base_iri)
    ingest.configure_model(settings.model_path)
    backend = make_backend(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await backend.start()
        await pseudonyms.pseudonymise_at_start(backend, settings)  # a store written with reviewers' names, once
        try:
            yield
        finally:
            await backend.close()

    app = FastAPI(title="Boussole", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.backend = backend
    app.state.stats = service_description.Stats(backend)
    app.state.metrics = Metrics()
    errors.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type", "Cache-Control"],  # Cache-Control: no-cache, a fresh answer
            expose_headers=["Content-Type", "Location", "Content-Disposition", "Boussole-Indices", "Age"],
            max_age=3600,
        )
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.state.token_guesses = Attempts(settings.login_attempts_per_minute)
    app.include_router(coherence.router)
    app.include_router(deliberations.router)
    app.include_router(imports.router)
    app.include_router(tagging.router)
    # the pages read the embedded store, a remote one through the port
    embedded = backend if isinstance(backend, EmbeddedBackend) else None
    web.mount(app, store_provider=embedded.current_store if embedded else (lambda: BackendGraph(backend)),
              write_token=lambda: settings.write_token, writer=backend.write, query_page="/ui",
              sources_dir=settings.sources_dir, generation=lambda: backend.generation,
              reviewers=lambda: pseudonyms.reviewers_of(settings))
    if embedded:
        in_workers.install(app)  # the pages whose work grows with the store: in the query workers, under the timeout
    for area in (sparql, graph_store, dumps, linked_data, service):
        app.include_router(area.router)
    return app
