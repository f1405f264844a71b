"""The service's limits on what one request may ask: body size, query text size and nesting, guesses of the token.

Each limit answers with a clear 4xx before any expensive work starts; the values are settings (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import deque

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings
from api.sparql_scan import check_nesting, check_remote_access, has_dataset_clause
from kg.errors import PayloadTooLarge


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"le corps de la requête dépasse les {limit} octets acceptés par ce service")


def _bearer(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else None
    return None


class BodyLimitMiddleware:
    """413 for a body over the limit: at once from ``Content-Length``, else as soon as the streamed body passes it.

    Requests with the write token may send up to ``max_write_body_bytes`` (Graph Store uploads).
    """

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings

    def _limit(self, scope: Scope) -> int:
        token = self.settings.write_token
        given = _bearer(scope)
        if token and given is not None and hmac.compare_digest(given, token.encode()):
            return self.settings.max_write_body_bytes
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await PlainTextResponse(BodyTooLarge(limit).detail + "\n", 413)(scope, receive, send)
                return
        received = 0
        complete = False

        async def limited() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive() only waits for the client to disconnect
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.settings.header_timeout * 3)
            except asyncio.TimeoutError:
                raise HTTPException(408, "le corps de la requête arrive trop lentement") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def _vet(text: str, settings: Settings, *, update: bool) -> bool:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.max_query_bytes:
        raise PayloadTooLarge(f"la {'mise à jour' if update else 'requête'} fait {size} octets ; ce service en accepte "
                              f"au plus {settings.max_query_bytes}")
    check_nesting(text, settings.max_query_depth)
    check_remote_access(text, settings.federation_allow_list)
    return False if update else has_dataset_clause(text)


async def vet_operation(text: str, settings: Settings, *, update: bool = False) -> bool:
    """Refuse a text too large (413), too deeply nested (400) or reaching out (403), off the event loop.

    Returns whether a query names its own dataset (``FROM``), so that the union default graph is not forced on it.
    """
    if len(text) > settings.max_query_bytes:  # characters >= bytes / 4: refused without scanning it
        raise PayloadTooLarge(f"le texte dépasse les {settings.max_query_bytes} octets acceptés par ce service")
    return await asyncio.to_thread(_vet, text, settings, update=update)


def client_key(scope_or_request) -> str:
    """Who is asking, for fair shares and rate limits: the peer address."""
    client = getattr(scope_or_request, "client", None)
    return client.host if client else "?"


class Attempts:
    """Failed attempts per client in a sliding minute (token guesses)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.failures: dict[str, deque[float]] = {}

    def blocked(self, client: str) -> float:
        """Seconds to wait before the next attempt (0 when allowed)."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        seen = self.failures.get(client)
        if not seen:
            return 0.0
        while seen and now - seen[0] > 60:
            seen.popleft()
        return 60 - (now - seen[0]) if len(seen) >= self.per_minute else 0.0

    def failed(self, client: str) -> None:
        if len(self.failures) > 10_000:
            self.failures.clear()
        self.failures.setdefault(client, deque()).append(time.monotonic())
