"""uvicorn's h11 protocol with a deadline on request headers, so that slow clients (slowloris) are disconnected.

uvicorn times out idle keep-alive connections only while no byte arrives; a client that sends one byte every few
seconds keeps a connection forever. Here each connection must deliver a request's headers within
``header_timeout`` seconds of being opened or of the previous response.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow, self.cycle)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self, cycle_when_armed) -> None:
        if self.cycle is cycle_when_armed and not self.transport.is_closing():  # no new request since
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)
