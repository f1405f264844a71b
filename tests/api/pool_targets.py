"""Functions the query workers run in tests/api/test_worker_queue.py (``call("pool_targets:…")``)."""

from __future__ import annotations

import time


def sleep(view: object, seconds: float, tag: str = "") -> float:
    """Hold the worker for ``seconds`` (a query of known duration)."""
    time.sleep(seconds)
    return seconds


def count_unless(view: object, marker: str) -> int:
    """The number of quads of the view, or a failure once ``marker`` is a subject in it (a revalidation that fails)."""
    import pyoxigraph as ox

    assert isinstance(view, ox.Store)
    if next(view.quads_for_pattern(ox.NamedNode(marker), None, None), None) is not None:
        raise RuntimeError(f"{marker} is in the store")
    return len(view)
