"""Soak (#15): many clients, a realistic mix plus abusive requests, a writer importing, then ``kill -9`` and a
check that every acknowledged write is in the store. Not a test: ``python -m bench.soak``.

Parameters (environment): ``SOAK_SIZE`` deliberations (200000), ``SOAK_SECONDS`` of load (900), ``SOAK_CLIENTS``
(32), ``SOAK_ABUSIVE`` share of clients that only abuse (0.10), ``SOAK_WORKERS`` (2), ``SOAK_TIMEOUT`` (10 s),
``SOAK_THINK`` seconds between two requests of a client ("1,4": uniform), abusive clients alike;
``SOAK_BUILT`` a directory where the built store is kept and copied from on the next run of the same size (the
build takes minutes; the soak itself always runs on a fresh copy; delete it when ``bench/synthetic`` changes).
Each client has an address of its own (127.0.0.x), as distinct users would. Reports: errors of well-behaved
requests, their p99 under load against the idle p99, memory of the service (main process + workers) at the start
and end of the load, acknowledged writes found after ``kill -9``; and each kind of request's p50 / p99 / slowest
under load, to read where the tail comes from.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pyoxigraph as ox

from bench.bench_endpoint import QUERIES, free_port
from bench.synthetic import make_store

REPO = Path(__file__).resolve().parents[1]
TOKEN = "soak-write-token-0123"
ACCEPT = {"Accept": "application/sparql-results+json"}
MIX = ["point-lookup", "point-lookup", "point-lookup", "commune-year", "by-engagement-year"]  # names in QUERIES
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NESTED = "SELECT * WHERE " + "{" * 5000 + "}" * 5000


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children."""
    out = subprocess.run(["ps", "-o", "rss=", "--pid", str(pid), "--ppid", str(pid)], capture_output=True, text=True)
    return sum(int(x) for x in out.stdout.split()) / 1024


def well_behaved(c: httpx.Client, rng: random.Random) -> tuple[str, str, float]:
    """One request of the mix: its kind, its outcome ("200"; else another status or the exception's name, with the
    request: "503 commune-year") and its latency."""
    t = time.perf_counter()
    kind = "/id/engagement/1" if rng.random() < 0.15 else rng.choice(MIX)
    try:
        if kind.startswith("/id/"):
            r = c.get(kind, headers={"Accept": "text/turtle"})
        else:
            r = c.get("/sparql", params={"query": QUERIES[kind]}, headers=ACCEPT)
        outcome = str(r.status_code)
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    return kind, (outcome if outcome == "200" else f"{outcome} {kind}"), time.perf_counter() - t


def built_store(store: Path, size: int) -> None:
    """The synthetic store of ``size`` deliberations at ``store``: copied from ``SOAK_BUILT`` when it was built
    there before, else built (and kept there when ``SOAK_BUILT`` is set)."""
    keep = os.environ.get("SOAK_BUILT")
    if not keep:
        make_store(store, size)
        return
    template = Path(keep) / f"store-{size}"
    if not template.is_dir():  # built aside, then renamed: an interrupted build is never taken for a built store
        partial = Path(keep) / f"building-{size}"
        shutil.rmtree(partial, ignore_errors=True)
        make_store(partial, size)
        partial.rename(template)
    shutil.copytree(template, store)


def tail(latencies: list[float]) -> str:
    """p50 / p99 / slowest in ms (with 100 samples or fewer the p99 is the slowest)."""
    ms = sorted(t * 1000 for t in latencies)
    p99 = statistics.quantiles(ms, n=100)[98] if len(ms) > 100 else ms[-1]
    return f"{statistics.median(ms):.0f} / {p99:.0f} / {ms[-1]:.0f}"


def abusive(c: httpx.Client, rng: random.Random) -> None:
    kind = rng.choice(("huge", "nested", "runaway", "aborted"))
    try:
        if kind == "huge":
            c.post("/sparql", content=b"#" * 8_000_000, headers={"Content-Type": "application/sparql-query"})
        elif kind == "nested":
            c.post("/sparql", data={"query": NESTED})
        elif kind == "runaway":
            c.post("/sparql", data={"query": RUNAWAY}, headers=ACCEPT)
        else:
            with c.stream("GET", "/dump.nq") as r:
                next(r.iter_raw(1000), None)
    except httpx.HTTPError:
        pass


def main() -> None:
    size = int(os.environ.get("SOAK_SIZE", "200000"))
    seconds = float(os.environ.get("SOAK_SECONDS", "900"))
    clients = int(os.environ.get("SOAK_CLIENTS", "32"))
    abusive_share = float(os.environ.get("SOAK_ABUSIVE", "0.10"))
    workers = os.environ.get("SOAK_WORKERS", "2")
    timeout = os.environ.get("SOAK_TIMEOUT", "10")
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        store = work / "store"
        built_store(store, size)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "api.server", "--store", str(store), "--port", str(port),
                                   "--workers", workers, "--timeout", timeout], cwd=REPO,
                                  env={**os.environ, "BOUSSOLE_WRITE_TOKEN": TOKEN},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/health", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rng = random.Random(15)
        with httpx.Client(base_url=url, timeout=60) as c:
            idle = [well_behaved(c, rng) for _ in range(200)]
        idle_p99 = statistics.quantiles([t for _, _, t in idle], n=100)[98]
        think = [float(x) for x in os.environ.get("SOAK_THINK", "1,4").split(",")]

        stop = threading.Event()
        killing = threading.Event()
        lock = threading.Lock()
        latencies: list[float] = []
        by_kind: dict[str, list[float]] = {}
        outcomes: Counter[str] = Counter()
        abusive_sent = [0]
        acked: list[str] = []
        n_abusive = round(clients * abusive_share)

        def client(k: int) -> None:
            local = random.Random(k)
            transport = httpx.HTTPTransport(local_address=f"127.0.0.{k + 2}")
            with httpx.Client(base_url=url, timeout=120, transport=transport) as c:
                while not stop.is_set():
                    if k < n_abusive:
                        abusive(c, local)
                        with lock:
                            abusive_sent[0] += 1
                    else:
                        kind, outcome, t = well_behaved(c, local)
                        with lock:
                            if not killing.is_set():  # a request cut by the final kill -9 is not the service's error
                                latencies.append(t)
                                by_kind.setdefault(kind, []).append(t)
                                outcomes[outcome] += 1
                    time.sleep(local.uniform(*think))

        def writer() -> None:
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
            with httpx.Client(base_url=url, timeout=120) as c:
                k = 0
                while not stop.is_set():
                    iri = f"https://boussole.agglo-porteduhainaut.fr/id/deliberation/soak/{k}"
                    body = (f"INSERT DATA {{ GRAPH <https://boussole.agglo-porteduhainaut.fr/id/graph/deliberations> "
                            f"{{ <{iri}> <http://data.europa.eu/eli/ontology#title> "
                            f"\"Délibération de charge {k}\"@fr }} }}")
                    try:
                        if c.post("/sparql", content=body.encode(), headers=headers).status_code == 204:
                            acked.append(iri)
                    except httpx.HTTPError:
                        pass
                    k += 1
                    time.sleep(0.2)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        threads.append(threading.Thread(target=writer))
        for t in threads:
            t.start()
        memory: list[float] = []  # sampled every 2 s: growth compares the first and last fifth (medians)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            memory.append(rss_mb(server.pid))
            time.sleep(2)
        fifth = max(1, len(memory) // 5)
        memory_start, memory_end = statistics.median(memory[:fifth]), statistics.median(memory[-fifth:])
        try:  # what the service counted (shed, timeouts, kept answers…), for reading the errors
            counts = httpx.get(url + "/health", timeout=30).json()
        except (httpx.HTTPError, ValueError):
            counts = {}
        killing.set()
        os.kill(server.pid, signal.SIGKILL)  # mid-load, writes in flight
        stop.set()
        for t in threads:
            t.join(180)
        server.wait()
        for child in subprocess.run(["pgrep", "-f", str(store)], capture_output=True, text=True).stdout.split():
            try:
                os.kill(int(child), signal.SIGKILL)  # the killed server's orphaned workers
            except (ProcessLookupError, ValueError):
                pass
        time.sleep(1)
        after = ox.Store(str(store))
        title = ox.NamedNode("http://data.europa.eu/eli/ontology#title")
        found = sum(1 for iri in acked if next(after.quads_for_pattern(ox.NamedNode(iri), title, None), None))
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 100 else float("nan")
        print(f"\n### soak: {size} deliberations, {seconds:.0f} s, {clients} clients ({n_abusive} abusive), "
              f"{workers} workers, timeout {timeout} s\n")
        print("| measure | value |\n| --- | --- |")
        errors = sum(n for o, n in outcomes.items() if o != "200")
        print(f"| well-behaved requests (think time {think[0]:g}–{think[1]:g} s) | {len(latencies)} |")
        abusive_share = abusive_sent[0] / max(1, abusive_sent[0] + len(latencies))
        print(f"| abusive requests | {abusive_sent[0]} ({abusive_share:.0%}) |")
        print(f"| errors of well-behaved requests | {errors} ({errors / max(1, len(latencies)):.2%}): "
              + ", ".join(f"{o} × {n}" for o, n in sorted(outcomes.items()) if o != "200") + " |")
        print(f"| idle p99 (ms) | {idle_p99 * 1000:.0f} |")
        print(f"| p99 under load (ms) | {p99 * 1000:.0f} ({p99 / idle_p99:.1f}× idle) |")
        print(f"| memory (main + workers, median of the first → last fifth, MB) "
              f"| {memory_start:.0f} → {memory_end:.0f} ({(memory_end - memory_start) / memory_start:+.0%}) |")
        print(f"| acknowledged writes found after kill -9 | {found} / {len(acked)} |")
        idle_by_kind: dict[str, list[float]] = {}
        for kind, _, seconds in idle:
            idle_by_kind.setdefault(kind, []).append(seconds)
        print("\n| request | idle: count, p50 / p99 / slowest (ms) | under load: count, p50 / p99 / slowest (ms) |"
              "\n| --- | --- | --- |")
        for kind, times in sorted(by_kind.items()):
            before = idle_by_kind.get(kind, [])
            print(f"| {kind} | {len(before)}, {tail(before) if before else '–'} | {len(times)}, {tail(times)} |")
        numbers = {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}
        print("\nservice counters at the end of the load: " + ", ".join(f"{k} {v}" for k, v in numbers.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
