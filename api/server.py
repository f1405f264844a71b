"""Running the service: :func:`serve` runs the app built from one :class:`~api.settings.Settings` with uvicorn.

``boussole serve`` builds the settings from its options; ``python -m api.server ARGS`` is the same command.
"""

from __future__ import annotations

import logging
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from api import discovery
from api.settings import Settings

H11_MAX_HEADERS = 64 * 1024  # request line + headers; a longer GET query is refused (431): POST it instead


def serve(settings: Settings, log_level: str = "info") -> None:
    """Serve the SPARQL endpoint, the Graph Store, linked data and the pages until interrupted."""
    import uvicorn

    from api.app import create_app
    from api.http_protocol import GuardedH11Protocol

    if settings.store_path is not None and not settings.is_remote:
        from kg.errors import BoussoleError
        from kg.store import written_by_a_command

        if why := written_by_a_command(settings.store_path):
            raise BoussoleError(why)  # one French line (boussole serve), not uvicorn's failed startup
    app = create_app(settings)
    GuardedH11Protocol.header_timeout = settings.header_timeout
    if settings.store_path is not None and not settings.is_remote:
        announced(app, settings.store_path, settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5, http=GuardedH11Protocol, timeout_keep_alive=settings.keep_alive_timeout,
                h11_max_incomplete_event_size=H11_MAX_HEADERS)


def announced(app, store_path: Path, settings: Settings) -> None:
    """Announce the server beside its store while it runs (``boussole ingest|review|build`` then write through it).

    In the app's lifespan: uvicorn re-raises SIGTERM after its shutdown, so code after ``uvicorn.run`` never runs."""
    serving = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_):
        async with serving(app_) as state:
            try:
                discovery.announce(store_path, discovery.local_url(settings.host, settings.port),
                                   settings.writable)
            except OSError as exc:  # a read-only store folder: served read-only, the CLI writes directly or not at all
                logging.getLogger("boussole").warning("cannot announce the server beside its store: %s", exc)
            try:
                yield state
            finally:
                try:
                    discovery.withdraw(store_path)
                except OSError:
                    pass

    app.router.lifespan_context = lifespan


def main(argv: list[str] | None = None) -> None:
    from boussole.cli import app

    app(["serve", *(sys.argv[1:] if argv is None else argv)], prog_name="python -m api.server")


if __name__ == "__main__":
    main()
