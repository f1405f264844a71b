"""Running the service: :func:`serve` runs the app built from one :class:`~api.settings.Settings` with uvicorn.

``boussole serve`` builds the settings from its options; ``python -m api.server ARGS`` is the same command.
"""

from __future__ import annotations

import sys

from api.settings import Settings


def serve(settings: Settings, log_level: str = "info") -> None:
    """Serve the SPARQL endpoint, the Graph Store, linked data and the pages until interrupted."""
    import uvicorn

    from api.app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                timeout_graceful_shutdown=5)


def main(argv: list[str] | None = None) -> None:
    from boussole.cli import app

    app(["serve", *(sys.argv[1:] if argv is None else argv)], prog_name="python -m api.server")


if __name__ == "__main__":
    main()
