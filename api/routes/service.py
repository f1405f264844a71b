"""The service itself: query UI (YASGUI) and its examples, health and metrics (the home page is the pages')."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.deps import get_backend, get_settings
from api.rendering import page
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


def ui_page(request: Request) -> HTMLResponse:
    return page(
        request, "query_ui.html", title="Requêtes SPARQL — Boussole", ariane=[("Requêtes SPARQL", None)],
        prefixes_json=json.dumps(query_prefixes(get_settings(request).base_iri)).replace("</", "<\\/"),
    )


@router.get("/ui")
async def ui(request: Request) -> Response:
    return ui_page(request)


@router.get("/ui/examples.json")
async def examples(request: Request) -> Response:
    return JSONResponse(read_examples(get_settings(request).queries_dir))


@router.get("/favicon.ico")
async def favicon() -> Response:
    return Response(status_code=204)


HEALTH_TIMEOUT = 5.0


@router.get("/health")
async def health(request: Request) -> Response:
    """200 when a query worker answers, the threads and the writer are free and the store can be written (with a
    token); else 503 with the problems."""
    settings, backend = get_settings(request), get_backend(request)
    problems = await backend.check(HEALTH_TIMEOUT)
    info = {"status": "ok" if not problems else "unwell", "timeout_s": settings.timeout,
            "writable": settings.writable, **backend.health()}
    if problems:
        info["problems"] = problems
    return JSONResponse(info, status_code=200 if not problems else 503, headers={"Cache-Control": "no-store"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    h = get_backend(request).health()
    extra = {k: float(v) for k, v in h.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return Response(request.app.state.metrics.render(extra), media_type=CONTENT_TYPE_LATEST)
