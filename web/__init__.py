"""French web pages of Boussole (home, fiches, dashboard, review queue): ``web.mount(app, store_provider=...)``."""

from web.router import mount, router

__all__ = ["mount", "router"]
