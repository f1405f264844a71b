"""The Boussole web service: SPARQL 1.1 Protocol, Graph Store Protocol, linked data, query UI.

``create_app(settings)`` assembles the ASGI application: the backend, the middlewares, the error handlers
(:mod:`api.errors`) and one router per area (:mod:`api.routes`); :func:`api.server.serve` runs it with uvicorn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

import web
from api import errors, service_description
from api.backends import EmbeddedBackend, make_backend
from api.metrics import Metrics, MetricsMiddleware
from api.routes import coherence, deliberations, dumps, graph_store, imports, linked_data, service, sparql
from api.settings import Settings
from kg import iris

HERE = Path(__file__).resolve().parent


def create_app(settings: Settings) -> FastAPI:
    iris.configure(settings.base_iri)
    backend = make_backend(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await backend.start()
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
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Content-Type", "Location", "Content-Disposition"],
            max_age=3600,
        )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(coherence.router)
    app.include_router(deliberations.router)
    app.include_router(imports.router)
    if isinstance(backend, EmbeddedBackend):  # the pages read a pyoxigraph store; before "/", so they own it
        web.mount(app, store_provider=backend.current_store, write_token=lambda: settings.write_token,
                  writer=backend.write, query_page="/ui", sources_dir=settings.sources_dir)
    for area in (sparql, graph_store, dumps, linked_data, service):
        app.include_router(area.router)
    return app
