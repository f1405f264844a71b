"""Errors as each client reads them: a French HTML page in the layout for browsers, ``application/problem+json``
(RFC 9457) for programs. The choice follows ``Accept``: a client that prefers ``text/html`` gets the page.
"""

from __future__ import annotations

import json
import logging

import mimeparse
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("boussole.web")

TITLES = {
    400: "Requête invalide", 401: "Authentification requise", 403: "Accès refusé", 404: "Page introuvable",
    405: "Méthode non autorisée", 406: "Format non disponible", 409: "Conflit", 413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge", 422: "Paramètres invalides", 429: "Trop de requêtes",
    500: "Erreur interne", 501: "Fonction non disponible", 502: "Store distant en erreur",
    503: "Service momentanément indisponible", 504: "Délai dépassé",
}
HINTS = {
    404: "L'adresse a peut-être changé : utilisez la recherche en haut de page ou revenez à l'accueil.",
    500: "L'incident est consigné dans le journal du service. Réessayez ; s'il persiste, signalez-le.",
    503: "Réessayez dans quelques secondes.",
}


def wants_html(request: Request) -> bool:
    """A browser: its Accept header prefers ``text/html`` (python-mimeparse; ``*/*`` alone means a program)."""
    accept = request.headers.get("accept") or "*/*"
    try:
        best = mimeparse.best_match(["text/html", "application/json", "application/problem+json"], accept)
    except ValueError:
        return False
    return best == "text/html"


def error_response(request: Request, status: int, message: str, headers: dict | None = None,
                   titre: str | None = None) -> Response:
    """The error ``status`` with ``message``, as a page or as problem+json."""
    titre = titre or TITLES.get(status, "Erreur")
    if wants_html(request):
        from web.rendering import render_text

        html = render_text(request, "error.html", title=f"{titre} — Boussole", titre=titre, message=message,
                           status=status, conseil=HINTS.get(status, ""), ariane=[(titre, None)])
        return Response(html, status_code=status, headers=headers, media_type="text/html; charset=utf-8")
    body = {"type": "about:blank", "title": titre, "status": status, "detail": message,
            "instance": request.url.path}
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, headers=headers,
                    media_type="application/problem+json")


def error_page(request: Request, status: int, message: str, titre: str | None = None) -> Response:
    return error_response(request, status, message, titre=titre)


def hook(request: Request, status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
    """The body maker :mod:`api.errors` calls (``app.state.error_response``): a page for browsers."""
    return error_response(request, status, detail, headers or None, titre=title)


def install(app: FastAPI) -> None:
    """Errors of the pages' app. Under the service, :mod:`api.errors` owns the table from errors to statuses and
    calls ``app.state.error_response``: the pages only replace that body maker. Mounted alone (tests, other apps),
    the framework's own errors (unknown path, wrong method, invalid parameters) are routed here too."""
    if hasattr(app.state, "error_response"):
        app.state.error_response = hook
        return

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else {
            404: "Aucune page ni ressource à cette adresse.", 405: "Cette adresse n'accepte pas cette méthode HTTP.",
        }.get(exc.status_code, TITLES.get(exc.status_code, "Erreur"))
        return error_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        names = sorted({str(e.get("loc", ["", "?"])[-1]) for e in exc.errors()})
        return error_response(request, 422, "Paramètre(s) invalide(s) : " + ", ".join(names) + ".")
