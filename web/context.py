"""What every page handler needs from the app: the graph to read, the store generation, and what is computed once
per generation (labels, the search index)."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from itsdangerous import URLSafeTimedSerializer
from starlette.requests import Request

from web.fiches import DEFAULT_SOURCES_DIR
from web.graph import Graph
from web.labels import Labels, labels
from web.search_index import SearchIndex

if TYPE_CHECKING:
    from ingest.reviewers import Reviewers

Writer = Callable[[Callable[[ox.Store], Any]], Awaitable[Any]]


def _in_memory_directory() -> Callable[[], Reviewers]:
    """A directory of reviewers' names in memory, made on first use (pages mounted on an in-memory store)."""
    made: list[Reviewers] = []

    def directory() -> Reviewers:
        if not made:
            from ingest.reviewers import Reviewers

            made.append(Reviewers())
        return made[0]

    return directory


@dataclass
class WebConfig:
    store_provider: Callable[[], ox.Store | Graph]
    write_token: Callable[[], str | None]
    writer: Writer | None = None
    query_page: str = "/ui"
    sources_dir: Path = DEFAULT_SOURCES_DIR
    generation: Callable[[], object] = lambda: 0
    reviewer: Callable[[Request], str | None] = lambda request: None
    reviewers: Callable[[], Reviewers] = field(default_factory=lambda: _in_memory_directory())
    writes: int = 0
    sessions: dict[str, tuple[str, float]] = field(default_factory=dict)  # session id -> (reviewer, since)
    signer: URLSafeTimedSerializer = field(
        default_factory=lambda: URLSafeTimedSerializer(secrets.token_bytes(32), salt="boussole-revue"))
    search: SearchIndex = field(default_factory=SearchIndex)
    _cache: dict[str, Any] = field(default_factory=dict)
    _cache_generation: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current_generation(self) -> tuple:
        """Changes whenever the store may have changed: the service's counter, and the writes made by the pages."""
        return (self.generation(), self.writes)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per store generation."""
        gen = self.current_generation()
        with self._lock:
            if gen != self._cache_generation:
                self._cache.clear()
                self._cache_generation = gen
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            if gen == self._cache_generation:
                self._cache[key] = value
        return value


def config(request: Request) -> WebConfig:
    return request.app.state.boussole_web


def graph(request: Request) -> ox.Store | Graph:
    return config(request).store_provider()


def label_index(request: Request) -> Labels:
    source = graph(request)
    return config(request).cached("labels", lambda: labels(source))


def search_index(request: Request) -> SearchIndex:
    cfg = config(request)
    cfg.search.ensure(cfg.current_generation(), graph(request))
    return cfg.search
