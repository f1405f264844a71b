"""Running the service: ``serve(store_path, host, port, timeout, ...)`` (called by ``boussole serve``)."""

from __future__ import annotations

import argparse
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from api import discovery
from api.settings import Settings


def serve(
    store_path: Path | str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    timeout: float = 30.0,
    *,
    workers: int | None = None,
    write_token: str | None = None,
    config: Path | str | None = None,
    remote: str | None = None,
    max_result_bytes: int | None = None,
    cors_origins: list[str] | None = None,
    federation_allow_list: list[str] | None = None,
    public_url: str | None = None,
    review_threshold: float | None = None,
    log_level: str = "info",
) -> None:
    """Serve the SPARQL endpoint, the Graph Store, linked data and YASGUI until interrupted.

    ``remote="http://host:7878"`` serves over a remote SPARQL 1.1 store (``/query``, ``/update``, ``/store``)
    instead of the embedded one. Writes need a token (``BOUSSOLE_WRITE_TOKEN``, config file or ``write_token``).
    """
    import uvicorn

    from api.app import create_app

    settings = Settings.load(
        config,
        store_path=Path(store_path) if store_path is not None and not remote else None,
        host=host,
        port=port,
        timeout=timeout,
        workers=workers,
        write_token=write_token,
        remote=remote,
        max_result_bytes=max_result_bytes,
        cors_origins=cors_origins,
        federation_allow_list=federation_allow_list,
        public_url=public_url,
        review_threshold=review_threshold,
    )
    app = create_app(settings)
    if settings.store_path is not None:
        announced(app, settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5)


def announced(app, settings: Settings) -> None:
    """Announce the server beside its store while it runs (``boussole ingest|review|build`` then write through it).

    In the app's lifespan: uvicorn re-raises SIGTERM after its shutdown, so code after ``uvicorn.run`` never runs."""
    serving = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_):
        async with serving(app_) as state:
            discovery.announce(settings.store_path, discovery.local_url(settings.host, settings.port), settings.writable)
            try:
                yield state
            finally:
                discovery.withdraw(settings.store_path)

    app.router.lifespan_context = lifespan


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m api.server", description=serve.__doc__)
    p.add_argument("--store", default="var/store")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--workers", type=int)
    p.add_argument("--config")
    p.add_argument("--remote")
    p.add_argument("--max-result-bytes", type=int)
    p.add_argument("--federation-allow", action="append")
    p.add_argument("--public-url")
    p.add_argument("--log-level", default="warning")
    a = p.parse_args(argv)
    serve(a.store, a.host, a.port, a.timeout, workers=a.workers, config=a.config, remote=a.remote,
          max_result_bytes=a.max_result_bytes, federation_allow_list=a.federation_allow,
          public_url=a.public_url, log_level=a.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
