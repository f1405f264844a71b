"""Time every page and export of the service on a large synthetic store (issue 15: a deadline for every route).

    .venv/bin/python -m bench.bench_pages [--sizes 5000 20000] [--baseline DIR] [--timeout 120] [--repeat 3]

For each size, a store with the real graph and that many synthetic deliberations (:mod:`bench.synthetic`) is
served by ``python -m api.server`` (embedded store, 2 workers, no token) from this tree and, with ``--baseline``,
from another checkout of the project (e.g. ``git archive main | tar -x -C /tmp/base``), the two alternating in
the same run. Each route is asked once right after a write-free start (« cold »: the per-generation caches are
empty) and ``--repeat`` more times (« warm », median). The routes are those of the routers that read the graph.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_import import serve  # noqa: E402

COMMUNE = "commune/59172"
ROUTES = [
    "/", "/recherche?q=subvention", "/review", "/review?statut=revue", f"/review?commune={COMMUNE}",
    "/deliberations", "/deliberations?annee=2024", "/deliberations?engagement=engagement/1",
    f"/deliberations?commune={COMMUNE}", "/deliberations?statut=a-revoir", "/deliberations?format=csv",
    "/deliberations?format=xlsx", "/dashboard", "/dashboard?du=2024&au=2025", "/communes", "/communes?format=csv",
    "/contrats", "/constats", "/barometre", "/barometre/commune/59172", "/barometre/grille/2024-2026",
    f"/id/{COMMUNE}", "/id/engagement/1", "/id/champ/1-1", "/id/deliberation/200042190/B0000007",
    f"/id/{COMMUNE}.jsonld", "/coherence/repartition-par-engagement", "/coherence/deliberations-sans-engagement",
    "/validate", "/dataset", "/deliberations/a-revoir", "/deliberations/decisions",
]


def timed(url: str, timeout: float) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        status = httpx.get(url, timeout=timeout, headers={"Accept": "text/html,*/*;q=0.8"}).status_code
    except httpx.TimeoutException:
        status = 0
    return time.perf_counter() - start, status


def measure(tree: Path, store: Path, timeout: float, repeat: int, tmp: Path) -> dict[str, tuple[float, float, int]]:
    """route → (cold seconds, warm median seconds, last status)."""
    port = 18000 + os.getpid() % 1000
    proc = serve(store, port, 2, tmp / f"server-{tree.name}.log", tree=tree, timeout=timeout)
    out = {}
    try:
        for route in ROUTES:
            cold, status = timed(f"http://127.0.0.1:{port}{route}", timeout + 30)
            warm = []
            for _ in range(repeat):
                seconds, status = timed(f"http://127.0.0.1:{port}{route}", timeout + 30)
                warm.append(seconds)
            out[route] = (cold, statistics.median(warm), status)
    finally:
        proc.terminate()
        proc.wait(20)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--baseline", type=Path, help="another checkout of the project, measured alternately")
    parser.add_argument("--timeout", type=float, default=120.0, help="the services' timeout (s)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from bench.synthetic import make_store

    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    try:
        for n in args.sizes:
            store = tmp / f"store-{n}"
            make_store(store, n)
            results = {}
            for name, tree in trees:
                copy = tmp / f"copy-{n}-{tree.name}"
                shutil.copytree(store, copy)
                results[name] = measure(tree, copy, args.timeout, args.repeat, tmp)
                shutil.rmtree(copy, ignore_errors=True)
            print(f"\n{n} deliberations (seconds: cold / warm median of {args.repeat}; HTTP status)")
            print("| route | " + " | ".join(f"{name} cold | {name} warm" for name, _ in trees) + " |")
            print("| --- |" + " --- | --- |" * len(trees))
            for route in ROUTES:
                cells = []
                for name, _ in trees:
                    cold, warm, status = results[name][route]
                    mark = "" if status == 200 else f" ({status})"
                    cells += [f"{cold:.2f}{mark}", f"{warm:.2f}"]
                print(f"| `{route}` | " + " | ".join(cells) + " |")
            shutil.rmtree(store, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
