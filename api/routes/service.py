"""The service itself: home page, query UI (YASGUI) and its examples, health and metrics."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from api.deps import get_backend, get_settings, public_root
from api.rendering import page
from api.settings import Settings
from kg.iris import query_prefixes

router = APIRouter()


def read_examples(folder: Path) -> list[dict]:
    """The canned queries of ``queries/`` (read at request time), named by their ``# title_fr:`` header line
    (else their first comment line)."""
    out: list[dict] = []
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


def ui_page(settings: Settings) -> HTMLResponse:
    return page(
        "yasgui.html",
        prefixes_json=json.dumps(query_prefixes(settings.base_iri)).replace("</", "<\\/"),
    )


@router.get("/ui")
async def ui(request: Request) -> Response:
    return ui_page(get_settings(request))


@router.get("/ui/examples.json")
async def examples(request: Request) -> Response:
    return JSONResponse(read_examples(get_settings(request).queries_dir))


@router.get("/")
async def home(request: Request) -> Response:
    return page("index.html", root=public_root(request))


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=204)


@router.get("/health")
async def health(request: Request) -> Response:
    settings, backend = get_settings(request), get_backend(request)
    info = {"status": "ok", "timeout_s": settings.timeout, "writable": settings.writable, **backend.health()}
    if backend.kind == "embedded" and info.get("workers_alive", 1) == 0:
        info["status"] = "degraded"
    return JSONResponse(info, status_code=200 if info["status"] == "ok" else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    h = get_backend(request).health()
    extra = {k: float(v) for k, v in h.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return PlainTextResponse(request.app.state.metrics.render(extra), media_type="text/plain; version=0.0.4")
