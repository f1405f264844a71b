"""The Boussole web service: SPARQL 1.1 Protocol, Graph Store Protocol, linked data, query UI.

``create_app(settings)`` builds the ASGI application; :func:`api.server.serve` runs it with uvicorn.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path

import pyoxigraph as ox
from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.staticfiles import StaticFiles

import web
from api import (coherence_routes, conneg, deliberation_routes, graph_store, import_routes, linked_data, pseudonyms,
                 service_description)
from api.backends import make_backend
from api.query_runner import QueryError, QueryRequest
from api.settings import Settings
from api.sparql_protocol import ProtocolError, bearer_ok, read_operation
from api.sparql_scan import ScanError, check_remote_access
from kg.iris import prefixes, query_prefixes

HERE = Path(__file__).resolve().parent
RDF_OFFERS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


# ------------------------------------------------------------------------------------------------ metrics


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(LATENCY_BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.started = time.time()

    @staticmethod
    def route(path: str) -> str:
        for prefix in ("/sparql", "/store", "/id/", "/def", "/static", "/ui", "/dump", "/dataset", "/health", "/metrics", "/context"):
            if path.startswith(prefix):
                return prefix.rstrip("/")
        return "/" if path == "/" else "other"

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        route = self.route(path)
        self.requests[(route, method, status)] += 1
        self.sums[route] += seconds
        self.counts[route] += 1
        b = self.buckets[route]
        for k, limit in enumerate(LATENCY_BUCKETS):
            if seconds <= limit:
                b[k] += 1
        b[-1] += 1

    def render(self, extra: dict[str, float]) -> str:
        lines = ["# HELP boussole_requests_total HTTP requests by route, method and status.",
                 "# TYPE boussole_requests_total counter"]
        for (route, method, status), n in sorted(self.requests.items()):
            lines.append(f'boussole_requests_total{{route="{route}",method="{method}",status="{status}"}} {n}')
        lines += ["# HELP boussole_request_errors_total HTTP responses with status >= 400, by route.",
                  "# TYPE boussole_request_errors_total counter"]
        errors: dict[str, int] = defaultdict(int)
        for (route, _, status), n in self.requests.items():
            if status >= 400:
                errors[route] += n
        for route, n in sorted(errors.items()):
            lines.append(f'boussole_request_errors_total{{route="{route}"}} {n}')
        lines += ["# HELP boussole_request_duration_seconds Request latency.", "# TYPE boussole_request_duration_seconds histogram"]
        for route in sorted(self.counts):
            for k, limit in enumerate(LATENCY_BUCKETS):
                lines.append(f'boussole_request_duration_seconds_bucket{{route="{route}",le="{limit}"}} {self.buckets[route][k]}')
            lines.append(f'boussole_request_duration_seconds_bucket{{route="{route}",le="+Inf"}} {self.buckets[route][-1]}')
            lines.append(f'boussole_request_duration_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}')
            lines.append(f'boussole_request_duration_seconds_count{{route="{route}"}} {self.counts[route]}')
        for name, value in extra.items():
            lines += [f"# TYPE boussole_{name} gauge", f"boussole_{name} {value}"]
        lines.append(f"boussole_uptime_seconds {time.time() - self.started:.1f}")
        return "\n".join(lines) + "\n"


class MetricsMiddleware:
    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(scope.get("path", ""), scope.get("method", ""), status[0], time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------ helpers


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers or {})


def read_examples(folder: Path) -> list[dict]:
    """The canned queries of ``queries/`` (read at request time), named by their ``# title_fr:`` header line
    (else their first comment line)."""
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        header = [line for line in text.splitlines() if line.startswith("#")]
        titled = [line.split(":", 1)[1].strip() for line in header if line.startswith("# title_fr:")]
        first = header[0].lstrip("#").strip() if header else path.stem
        name = titled[0] if titled else first
        out.append({"name": name[:80] or path.stem, "file": str(path.relative_to(folder)), "query": text})
    return out


def create_app(settings: Settings) -> FastAPI:
    backend = make_backend(settings)
    stats = service_description.Stats(backend)
    metrics = Metrics()
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))

    @asynccontextmanager
    async def lifespan(app):
        await backend.start()
        try:
            yield
        finally:
            await backend.close()

    app = FastAPI(title="Boussole", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.backend = backend
    app.state.metrics = metrics
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=["Content-Type", "Location", "Content-Disposition"],
            max_age=3600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(coherence_routes.router(env))
    app.include_router(deliberation_routes.router())
    app.include_router(import_routes.router())
    if backend.kind == "embedded":  # the pages read a pyoxigraph store; before the "/" route below, so they own it
        web.mount(app, store_provider=backend.current_store, write_token=lambda: settings.write_token,
                  writer=backend.write, query_page="/ui", sources_dir=settings.sources_dir)

    def root(request: Request) -> str:
        if settings.public_url:
            return settings.public_url.rstrip("/")
        return f"{request.url.scheme}://{request.url.netloc}"

    def page(name: str, **ctx) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), headers={"Vary": "Accept"})

    def rdf_response(triples: list[ox.Triple], media: str, head: bool = False) -> Response:
        fmt = conneg.GRAPH_FORMATS[media]
        known = {**prefixes(settings.base_iri), "sd": service_description.SD, "void": service_description.VOID,
                 "dcat": service_description.DCAT, "formats": service_description.FORMATS}
        body = b"" if head else ox.serialize(triples, format=fmt, prefixes=known)
        return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})

    def check_write(request: Request) -> None:
        if not settings.writable:
            raise QueryError(403, "this endpoint is read-only (no write token is configured)")
        if not bearer_ok(request, settings.write_token):
            raise ProtocolError(401, "writes need 'Authorization: Bearer <token>'", {"WWW-Authenticate": 'Bearer realm="boussole"'})

    @app.exception_handler(ProtocolError)
    async def _protocol_error(request, exc: ProtocolError):
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(QueryError)
    async def _query_error(request, exc: QueryError):
        headers = {"Retry-After": "5"} if exc.status == 503 else {}
        return _error(exc.status, exc.message, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request, exc: Exception):
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    @app.exception_handler(ScanError)
    async def _scan_error(request, exc: ScanError):
        return _error(exc.status, str(exc))

    # -------------------------------------------------------------------------------------- SPARQL protocol

    @app.api_route("/sparql", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
    @app.api_route("/sparql/", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def sparql(request: Request):
        op = await read_operation(request)
        accept = conneg.accept_from_format(op.format, request.headers.get("accept"))
        if op.kind == "description":
            media = conneg.negotiate(accept, RDF_OFFERS + ["text/html"])
            if media is None:
                raise ProtocolError(406, "no acceptable format for the service description; offered: " + ", ".join(RDF_OFFERS))
            if media == "text/html":
                return ui_page(request)
            data = await stats.get()
            endpoint = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else str(request.url).split("?")[0]
            return rdf_response(service_description.service_description(settings, endpoint, data), media, request.method == "HEAD")
        if op.kind == "update":
            check_write(request)
            check_remote_access(op.text, settings.federation_allow_list)
            await backend.update(op.text, op.using, op.using_named, settings.base_iri)
            return Response(status_code=204)
        check_remote_access(op.text, settings.federation_allow_list)
        authenticated = bearer_ok(request, settings.write_token)
        req = QueryRequest(
            query=op.text,
            accept=accept,
            base_iri=settings.base_iri,
            prefixes=query_prefixes(settings.base_iri),
            default_graph=op.default_graph,
            named_graphs=op.named_graphs,
            cap_bytes=None if authenticated or not settings.max_result_bytes else settings.max_result_bytes,
            stream_threshold=settings.stream_threshold,
        )
        result = await backend.query(req, settings.timeout)
        headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
        ctype = conneg.content_type(result.media_type)
        if result.body is not None:
            return Response(b"" if request.method == "HEAD" else result.body, media_type=ctype, headers=headers)
        return StreamingResponse(result.chunks, media_type=ctype, headers=headers)

    # -------------------------------------------------------------------------------------- graph store

    @app.api_route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
    async def store(request: Request):
        params = request.query_params
        graphs = params.getlist("graph")
        is_default = "default" in params
        if len(graphs) > 1 or (graphs and is_default):
            raise ProtocolError(400, "give either ?default or one ?graph=<IRI>")
        if graphs:
            try:
                target = ox.NamedNode(graphs[0]).value
            except ValueError as exc:
                raise ProtocolError(400, f"invalid graph IRI: {exc}") from exc
            if request.method not in ("GET", "HEAD"):
                check_write(request)
            return await graph_store.handle(request, backend, target, can_write=True)
        if is_default:
            if request.method not in ("GET", "HEAD"):
                check_write(request)
            return await graph_store.handle(request, backend, None, can_write=True)
        if request.method == "POST":
            check_write(request)
            return await graph_store.handle(request, backend, None, can_write=True, new_graph_root=root(request) + "/store")
        if request.method in ("GET", "HEAD"):
            return await dump_response(request, None)
        raise ProtocolError(400, "PUT and DELETE need ?default or ?graph=<IRI>")

    @app.api_route("/store/{path:path}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
    async def store_direct(request: Request, path: str):
        target = root(request) + request.url.path
        if request.method not in ("GET", "HEAD"):
            check_write(request)
        return await graph_store.handle(request, backend, target, can_write=True)

    # -------------------------------------------------------------------------------------- dataset

    async def dump_response(request: Request, media: str | None):
        if media is None:
            media = conneg.negotiate(request.headers.get("accept"), list(conneg.DATASET_FORMATS))
            if media is None:
                raise ProtocolError(406, "dumps are offered as application/n-quads or application/trig")
        fmt = conneg.DATASET_FORMATS[media]
        name = "boussole." + fmt.file_extension
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if request.method == "HEAD":
            return Response(b"", media_type=conneg.content_type(media), headers=headers)
        stream = backend.dump(fmt) if bearer_ok(request, settings.write_token) else \
            pseudonyms.public_dump(backend, fmt, settings, prefixes(settings.base_iri))  # reviewers' names: token holders only
        return StreamingResponse(stream, media_type=conneg.content_type(media), headers=headers)

    @app.get("/dump.nq")
    async def dump_nq(request: Request):
        return await dump_response(request, "application/n-quads")

    @app.get("/dump.trig")
    async def dump_trig(request: Request):
        return await dump_response(request, "application/trig")

    @app.get("/dataset")
    async def dataset(request: Request):
        media = conneg.negotiate(request.headers.get("accept"), RDF_OFFERS + ["text/html"])
        if media is None:
            raise ProtocolError(406, "offered: " + ", ".join(RDF_OFFERS))
        triples = service_description.dcat_description(settings, root(request), await stats.get())
        if media == "text/html":
            ttl = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes={
                **prefixes(settings.base_iri), "dcat": service_description.DCAT, "void": service_description.VOID})
            return HTMLResponse(
                env.from_string('{% extends "base.html" %}{% block main %}<h1>Jeu de données</h1>'
                                '<p><a href="/dataset?format=ttl">Turtle</a> · <a href="/dump.nq">N-Quads</a> · '
                                '<a href="/dump.trig">TriG</a></p><pre class="doc">{{ ttl }}</pre>{% endblock %}').render(ttl=ttl.decode()))
        return rdf_response(triples, media)

    # -------------------------------------------------------------------------------------- linked data

    @app.api_route("/id/{path:path}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
    async def resource(request: Request, path: str):
        if request.method in ("PUT", "POST", "DELETE"):
            check_write(request)  # graph store protocol on a graph IRI under the base
            return await graph_store.handle(request, backend, settings.base_iri + path, can_write=True)
        forced = None
        for ext, media in linked_data.EXTENSIONS.items():
            if path.endswith(ext):
                path, forced = path[: -len(ext)], media
                break
        accept = conneg.accept_from_format(request.query_params.get("format"), request.headers.get("accept"))
        media = forced or conneg.negotiate(accept, linked_data.LD_OFFERS)
        if media is None:
            raise ProtocolError(406, "offered: " + ", ".join(linked_data.LD_OFFERS))
        media = {"application/xhtml+xml": "text/html", "application/json": "application/ld+json"}.get(media, media)
        iri = settings.base_iri + path
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise ProtocolError(400, "not a valid IRI path")
        if media == "text/html":
            m = re.fullmatch(r"source/([A-Za-z0-9_-]+)", path)
            if m:
                doc = linked_data.source_document_view(settings, m.group(1))
                if doc is not None:
                    return page("source.html", v=doc, iri=iri, resource=None)
            view = await linked_data.resource_view(backend, settings, iri)
            if view is None:
                return HTMLResponse(env.from_string(
                    '{% extends "base.html" %}{% block main %}<h1>Ressource inconnue</h1><p class="iri">{{ iri }}</p>'
                    '<p>Aucun triplet ne mentionne cette IRI.</p>{% endblock %}').render(iri=iri), status_code=404)
            return page("resource.html", v=view)
        out, incoming, _ = await linked_data.describe_quads(backend, iri)
        if not out and not incoming:
            return _error(404, f"no triple mentions <{iri}>")
        fmt = conneg.GRAPH_FORMATS[media]
        body = b"" if request.method == "HEAD" else linked_data.rdf_document(out, incoming, fmt, settings)
        return Response(body, media_type=conneg.content_type(media), headers={"Vary": "Accept"})

    @app.get("/def")
    @app.get("/def.ttl")
    async def ontology(request: Request):
        forced = "text/turtle" if request.url.path.endswith(".ttl") else None
        media = forced or conneg.negotiate(request.headers.get("accept"), ["text/html"] + RDF_OFFERS)
        if media is None:
            raise ProtocolError(406, "offered: text/html, " + ", ".join(RDF_OFFERS))
        if media == "text/html":
            return page("ontology.html", v=linked_data.ontology_view(settings))
        path = settings.ontology_file
        if not path.is_file():
            return _error(404, "the ontology file is missing")
        if media == "text/turtle":
            return Response(path.read_bytes(), media_type=conneg.content_type(media), headers={"Vary": "Accept"})
        triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
        return rdf_response(triples, media)

    @app.get("/context.jsonld")
    async def context(request: Request):
        return JSONResponse(linked_data.json_ld_context(settings), media_type="application/ld+json")

    # -------------------------------------------------------------------------------------- UI, health

    def ui_page(request: Request):
        return page(
            "yasgui.html",
            prefixes_json=json.dumps(query_prefixes(settings.base_iri)).replace("</", "<\\/"),
        )

    @app.get("/ui")
    async def ui(request: Request):
        return ui_page(request)

    @app.get("/ui/examples.json")
    async def examples(request: Request):
        return JSONResponse(read_examples(settings.queries_dir))

    @app.get("/")
    async def home(request: Request):
        return page("index.html", root=root(request))

    @app.get("/favicon.ico")
    async def favicon():
        return Response(status_code=204)

    @app.get("/health")
    async def health(request: Request):
        info = {"status": "ok", "timeout_s": settings.timeout, "writable": settings.writable, **backend.health()}
        if backend.kind == "embedded" and info.get("workers_alive", 1) == 0:
            info["status"] = "degraded"
        return JSONResponse(info, status_code=200 if info["status"] == "ok" else 503)

    @app.get("/metrics")
    async def metrics_endpoint(request: Request):
        h = backend.health()
        extra = {k: float(v) for k, v in h.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return PlainTextResponse(metrics.render(extra), media_type="text/plain; version=0.0.4")

    return app
