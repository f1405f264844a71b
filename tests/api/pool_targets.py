"""Functions the query workers run in tests/api/test_worker_queue.py (``call("pool_targets:…")``)."""

from __future__ import annotations

import time


def sleep(view: object, seconds: float, tag: str = "") -> float:
    """Hold the worker for ``seconds`` (a query of known duration)."""
    time.sleep(seconds)
    return seconds
