"""How errors reach HTTP clients: one table from :mod:`kg.errors` to statuses and French titles, one handler.

API clients get ``application/problem+json`` (RFC 9457): ``title`` says in French what kind of error it is,
``detail`` is the domain error's own message (which names the query, parameter or resource). An exception that is
not a :class:`~kg.errors.BoussoleError` is logged with its traceback and answered with a generic 500 whose body
never shows its text.

The body is made by one function, ``app.state.error_response(request, status, title, detail, headers)``;
:func:`install` sets it to :func:`problem_response`, and the pages may replace it (e.g. with French HTML pages
for browsers) without touching the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kg import errors as e

log = logging.getLogger("boussole.api")

ErrorResponse = Callable[[Request, int, str, str, dict[str, str]], Response]

# class → (status, title); looked up along the exception's MRO, so a subclass inherits its parent's row
TABLE: dict[type[e.BoussoleError], tuple[int, str]] = {
    e.InvalidQuery: (400, "Requête SPARQL invalide"),
    e.InvalidRequest: (400, "Requête invalide"),
    e.Unauthorized: (401, "Authentification requise"),
    e.Forbidden: (403, "Opération refusée"),
    e.NotFound: (404, "Ressource introuvable"),
    e.MethodNotAllowed: (405, "Méthode non permise"),
    e.NotAcceptable: (406, "Aucun format acceptable"),
    e.PayloadTooLarge: (413, "Requête ou résultat trop volumineux"),
    e.UnsupportedMediaType: (415, "Format de contenu non pris en charge"),
    e.ResourceLimit: (422, "Limite de mémoire dépassée"),
    e.TooManyRequests: (429, "Trop de requêtes"),
    e.DiskFull: (507, "Espace disque insuffisant"),
    e.StoreError: (500, "Erreur du magasin de triplets"),
    e.NotSupported: (501, "Opération non disponible avec cette configuration"),
    e.UpstreamError: (502, "Le magasin distant a répondu par une erreur"),
    e.Timeout: (503, "Délai dépassé"),
    e.Unavailable: (503, "Service momentanément indisponible"),
    e.BoussoleError: (400, "Requête invalide"),
}
GENERIC_TITLES = {404: "Ressource introuvable", 405: "Méthode non permise", 422: "Paramètres invalides",
                  500: "Erreur interne"}


def status_of(exc: e.BoussoleError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in TABLE:
            return TABLE[cls]
    return 400, "Requête invalide"  # pragma: no cover - BoussoleError is in the table


def headers_of(exc: e.BoussoleError) -> dict[str, str]:
    if isinstance(exc, e.Unauthorized):
        return {"WWW-Authenticate": 'Bearer realm="boussole"'}
    if isinstance(exc, e.MethodNotAllowed):
        return {"Allow": exc.allow}
    if isinstance(exc, (e.Timeout, e.Unavailable)):
        return {"Retry-After": "5"}
    if isinstance(exc, e.TooManyRequests):
        return {"Retry-After": str(exc.retry_after)}
    return {}


def problem_response(request: Request, status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def error_response(request: Request, status: int, title: str, detail: str,
                   headers: dict[str, str] | None = None) -> Response:
    """The one place an error body is made: the app's ``error_response`` hook (problem+json by default)."""
    render: ErrorResponse = getattr(request.app.state, "error_response", problem_response)
    return render(request, status, title, detail, headers or {})


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.BoussoleError)
    status, title = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc.message)
    return error_response(request, status, title, exc.message, headers_of(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = GENERIC_TITLES.get(exc.status_code, "Erreur")
    defaults = {404: "aucune ressource ne correspond à cette adresse",
                405: "cette adresse ne répond pas à cette méthode"}
    detail = str(exc.detail) if exc.detail and exc.detail not in ("Not Found", "Method Not Allowed") else None
    detail = detail or defaults.get(exc.status_code, title)
    return error_response(request, exc.status_code, title, detail, dict(exc.headers or {}))


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = "; ".join(f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
                       for err in exc.errors())
    return error_response(request, 422, GENERIC_TITLES[422], f"champs invalides: {fields}")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s: unexpected error", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "Erreur interne",
                          "une erreur inattendue s'est produite; elle est consignée dans le journal du service")


def install(app: FastAPI) -> None:
    """Register the handlers and the default body maker on ``app``."""
    app.state.error_response = problem_response
    app.add_exception_handler(e.BoussoleError, _domain)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unexpected)
