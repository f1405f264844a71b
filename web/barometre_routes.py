"""The baromètre pages: ``/barometre`` (engagements and champs with their indicators, trends, targets,
deliberations and money), ``/barometre/commune/{insee}`` and the panel's printable grid ``/barometre/grille/{période}``.

Mounted by :func:`web.mount` (one ``include_router``); rendering, store and layout are the pages' own.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from web import barometre_data as bd

router = APIRouter()


def _page(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    from web.router import render

    return render(request, template, status, **ctx)


def _store(request: Request):
    return request.app.state.boussole_web.store_provider()


@router.get("/barometre", response_class=HTMLResponse, include_in_schema=False)
async def barometre(request: Request) -> HTMLResponse:
    data = await run_in_threadpool(bd.overview, _store(request))
    return _page(request, "barometre.html", title="Baromètre du Projet de Territoire — Boussole", data=data)


@router.get("/barometre/commune/{code}", response_class=HTMLResponse, include_in_schema=False)
async def barometre_commune(request: Request, code: str) -> HTMLResponse:
    if not re.fullmatch(r"\d[0-9AB]\d{3}", code):
        return _page(request, "error.html", 400, title="Code INSEE invalide",
                     message="Attendu le code INSEE à cinq caractères d'une commune (ex. 59172).")
    data = await run_in_threadpool(bd.commune, _store(request), code)
    if data is None:
        return _page(request, "error.html", 404, title="Commune inconnue",
                     message=f"Aucune commune de La Porte du Hainaut n'a le code INSEE {code}.")
    return _page(request, "barometre_commune.html", title=f"{data['label']} — baromètre — Boussole", data=data)


@router.get("/barometre/grille/{periode}", response_class=HTMLResponse, include_in_schema=False)
async def barometre_grille(request: Request, periode: str) -> HTMLResponse:
    data = None
    if re.fullmatch(r"\d{4}-\d{4}", periode):
        data = await run_in_threadpool(bd.grid, _store(request), periode)
    if data is None:
        return _page(request, "error.html", 404, title="Période inconnue",
                     message="Les périodes du phasage triennal vont de 2024-2026 à 2042-2044 (voir /barometre).")
    return _page(request, "barometre_grille.html",
                 title=f"Grille de positionnement {periode} — baromètre — Boussole", data=data)
