"""One owner of the store (#16.5): point lookup, 4-client throughput, write latency and the first
lookup after a write (which waits for the new view), this tree against a
baseline tree (a git ref, default ``BENCH_BASELINE=a1bf86a``: workers opening the live store read-only) in the
same run, on the same synthetic store; medians over repeated runs.

``BENCH_OWNER_SIZE`` deliberations (default 20000), ``BENCH_REPEATS`` lookups (default 31), ``BENCH_ROUNDS`` rounds
of the 4-client mix (default 5), ``BENCH_WRITES`` single-triple writes (default 15).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.bench_endpoint import QUERIES, free_port
from bench.synthetic import make_store

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-write-token-0123"
ACCEPT = {"Accept": "application/sparql-results+json"}


def tree_of(ref: str, into: Path) -> Path:
    """The source tree of ``ref`` (git archive), to run the baseline beside this tree."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


class Served:
    def __init__(self, source: Path, store: Path):
        self.source, self.store, self.port = source, store, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Served":
        env = {**os.environ, "PYTHONPATH": str(self.source), "BOUSSOLE_WRITE_TOKEN": TOKEN}
        self.process = subprocess.Popen([sys.executable, "-m", "api.server", "--store", str(self.store),
                                         "--port", str(self.port), "--workers", "2"], cwd=self.source, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(self.url + "/sparql", params={"query": "ASK {}"}, headers=ACCEPT, timeout=5)
                if answer.status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server from {self.source} did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def measure(served: Served, repeats: int, rounds: int, writes: int) -> dict[str, float]:
    lookup = QUERIES["point-lookup"]
    with httpx.Client(base_url=served.url, timeout=120) as c:
        c.get("/sparql", params={"query": lookup}, headers=ACCEPT)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            c.get("/sparql", params={"query": lookup}, headers=ACCEPT).raise_for_status()
            times.append(time.perf_counter() - t)
        write_times, read_after = [], []
        for k in range(writes):
            t = time.perf_counter()
            r = c.post("/sparql", content=f"INSERT DATA {{ <urn:bench:{k}> <urn:bench:p> {k} }}".encode(),
                       headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"})
            r.raise_for_status()
            write_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            c.get("/sparql", params={"query": lookup}, headers=ACCEPT).raise_for_status()  # first read after it
            read_after.append(time.perf_counter() - t)

    mix = [QUERIES[name] for name in ("point-lookup", "commune-year", "by-engagement-year")]

    def client(_: int) -> int:
        with httpx.Client(base_url=served.url, timeout=120) as c:
            for _ in range(rounds):
                for q in mix:
                    c.get("/sparql", params={"query": q}, headers=ACCEPT).raise_for_status()
        return rounds * len(mix)

    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        done = sum(pool.map(client, range(4)))
    return {"lookup_ms": statistics.median(times) * 1000, "write_ms": statistics.median(write_times) * 1000,
            "read_after_ms": statistics.median(read_after) * 1000,
            "qps4": done / (time.perf_counter() - start)}


def main() -> None:
    size = int(os.environ.get("BENCH_OWNER_SIZE", "20000"))
    repeats = int(os.environ.get("BENCH_REPEATS", "31"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    writes = int(os.environ.get("BENCH_WRITES", "15"))
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    ref = os.environ.get("BENCH_BASELINE", "a1bf86a")
    work = Path(tempfile.mkdtemp(prefix="bench-owner-"))
    try:
        source = work / "store"
        make_store(source, size)
        trees = {f"baseline ({ref})": tree_of(ref, work / "baseline"), "this tree": REPO}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(runs):  # alternate the two, so that the shared machine's load hits both alike
            for name, tree in trees.items():
                store = work / f"run-{name.split()[0]}"
                shutil.rmtree(store, ignore_errors=True)
                shutil.copytree(source, store)
                with Served(tree, store) as served:
                    results[name].append(measure(served, repeats, rounds, writes))
        print(f"\n### store ownership, {size} deliberations, medians of {runs} runs\n")
        names = list(trees)
        print("| measure | " + " | ".join(names) + " | this / baseline |")
        print("| --- | --- | --- | --- |")
        for key, label in (("lookup_ms", "point lookup (ms)"), ("qps4", "4 clients, mix (q/s)"),
                           ("write_ms", "one-triple write (ms)"),
                           ("read_after_ms", "point lookup just after a write (ms)")):
            values = [statistics.median(r[key] for r in results[n]) for n in names]
            print(f"| {label} | {values[0]:.1f} | {values[1]:.1f} | {values[1] / values[0]:.2f}× |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
