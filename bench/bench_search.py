"""Full-text search: the SQLite FTS5 index of web/search_index.py against the former search (a substring scan of
every label, in Python), on the real graph plus 20 000 synthetic deliberations (bench/synthetic.py).

Measured: building the index from the store (what follows a write), and answering a query (median of repeated
runs). The synthetic deliberations have titles but no full texts, so the index here is smaller than with real texts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from bench.synthetic import make_store
from web.labels import labels
from web.search_index import SearchIndex, build, fold

SIZE = 20_000
QUERIES = ("piste cyclable", "vélo", "Denain", "B0012345", "médiathèque")


def former_search(store: ox.Store, q: str) -> list[str]:
    """The search this index replaces: every word of ``q`` inside a label (accents and case ignored)."""
    words = fold(q).split()
    idx = labels(store)
    return [iri for iri, lab in idx.label.items() if all(w in fold(lab) for w in words)]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store"
        make_store(path, SIZE)
        store = ox.Store.read_only(str(path))
        build_s = median_time(lambda: build(store), 3)
        index = SearchIndex()
        index.ensure(1, store)
        print(f"index of {index.documents} resources built in {build_s:.2f} s (median of 3)")
        print("| query | FTS5 index (ms) | former substring scan (ms) | ratio |")
        print("| --- | ---: | ---: | ---: |")
        for q in QUERIES:
            fts = median_time(partial(index.search, q), 20)
            scan = median_time(partial(former_search, store, q), 3)
            print(f"| {q} | {fts * 1000:.1f} | {scan * 1000:.0f} | {scan / fts:.0f}× |")


if __name__ == "__main__":
    main()
