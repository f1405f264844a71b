"""The dependencies of the routes: the settings, the backend, who is asking, and the one writer check.

Each is a plain function of the request, usable as ``Depends(...)`` or called where the check depends on the
method (the Graph Store Protocol reads anonymously and writes with the token).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from api.backends import Backend, EmbeddedBackend
from api.limits import client_key
from api.settings import Settings
from api.sparql_protocol import bearer_ok
from kg.errors import Forbidden, NotSupported, TooManyRequests, Unauthorized


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
    guesses, client = request.app.state.token_guesses, client_key(request)
    wait = guesses.blocked(client)
    if wait:
        raise TooManyRequests("trop de jetons erronés depuis votre adresse ; réessayez plus tard", int(wait) + 1)
    if not is_authenticated(request):
        guesses.failed(client)
        raise Unauthorized("les écritures demandent l'en-tête « Authorization: Bearer <jeton> »")


def embedded_backend(request: Request) -> EmbeddedBackend:
    """The backend, when it is the embedded store (the deliberation and review routes write through it)."""
    backend = get_backend(request)
    if not isinstance(backend, EmbeddedBackend):
        raise NotSupported("cette opération demande le magasin embarqué ; lancez-la là où sont les données")
    return backend


def public_root(request: Request) -> str:
    """The service's public root URL: ``public_url`` behind a proxy, else the address it is bound to (never the
    ``Host`` header a client sends, which anyone can forge)."""
    settings = get_settings(request)
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


SettingsDep = Annotated[Settings, Depends(get_settings)]
BackendDep = Annotated[Backend, Depends(get_backend)]
Writer = Depends(require_writer)
