"""The dependencies of the routes: the settings, the backend, who is asking, and the one writer check.

Each is a plain function of the request, usable as ``Depends(...)`` or called where the check depends on the
method (the Graph Store Protocol reads anonymously and writes with the token).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from api.backends import Backend, EmbeddedBackend
from api.settings import Settings
from api.sparql_protocol import bearer_ok
from kg.errors import Forbidden, NotSupported, Unauthorized


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_backend(request: Request) -> Backend:
    return request.app.state.backend


def is_authenticated(request: Request) -> bool:
    """True when the request carries the configured write token as a bearer token."""
    return bearer_ok(request, get_settings(request).write_token)


def require_writer(request: Request) -> None:
    """Refuse a write unless a token is configured (else 403) and the request carries it (else 401)."""
    if not get_settings(request).writable:
        raise Forbidden("ce service est en lecture seule (aucun jeton d'écriture n'est configuré)")
    if not is_authenticated(request):
        raise Unauthorized("les écritures demandent l'en-tête « Authorization: Bearer <jeton> »")


def embedded_backend(request: Request) -> EmbeddedBackend:
    """The backend, when it is the embedded store (the deliberation and review routes write through it)."""
    backend = get_backend(request)
    if not isinstance(backend, EmbeddedBackend):
        raise NotSupported("cette opération demande le magasin embarqué ; lancez-la là où sont les données")
    return backend


def public_root(request: Request) -> str:
    """The service's public root URL (``public_url`` behind a proxy, else the request's own)."""
    settings = get_settings(request)
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


SettingsDep = Annotated[Settings, Depends(get_settings)]
BackendDep = Annotated[Backend, Depends(get_backend)]
Writer = Depends(require_writer)
