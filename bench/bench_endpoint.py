"""SPARQL endpoint benchmark: Boussole (embedded store) against Oxigraph server and rdflib-endpoint on the same
synthetic data, with 1 and 4 concurrent clients; medians over repeated runs.

Sizes come from BENCH_SIZES (default "20000,200000" deliberations); rdflib-endpoint is run only up to
BENCH_RDFLIB_MAX (default 20000) deliberations, since it re-parses everything into memory at start.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox

from bench.synthetic import make_store

QUERIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent / "queries").glob("*.rq"))}
REPEATS = int(os.environ.get("BENCH_REPEATS", "11"))
ROUNDS_4 = int(os.environ.get("BENCH_ROUNDS", "10"))
SLOW_CAP = float(os.environ.get("BENCH_SLOW_CAP", "120"))  # seconds; a slower answer is reported as "> cap"
BIN = Path(sys.executable).parent
ACCEPT = {"Accept": "application/sparql-results+json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, args: list[str], url: str, repeats: int = REPEATS, rounds: int = ROUNDS_4):
        self.name, self.args, self.url = name, args, url
        self.repeats, self.rounds = repeats, rounds
        self.process: subprocess.Popen | None = None
        self.started_in = 0.0

    def __enter__(self) -> "Server":
        start = time.perf_counter()
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = start + 900
        while time.perf_counter() < deadline:
            try:
                r = httpx.get(self.url, params={"query": "ASK {}"}, headers=ACCEPT, timeout=5)
                if r.status_code == 200:
                    self.started_in = time.perf_counter() - start
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not answer in time")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def ask(self, client: httpx.Client, query: str) -> float:
        """Seconds to the full answer; ``inf`` past SLOW_CAP (the server is then restarted by the caller)."""
        start = time.perf_counter()
        try:
            r = client.get(self.url, params={"query": query}, headers=ACCEPT, timeout=SLOW_CAP)
        except httpx.TimeoutException:
            return float("inf")
        r.raise_for_status()
        return time.perf_counter() - start


def latency(server: Server) -> dict[str, float]:
    medians = {}
    with httpx.Client() as client:
        for name, q in QUERIES.items():
            if server.ask(client, q) == float("inf"):  # warm-up already past the cap: do not queue more
                medians[name] = float("inf")
                continue
            medians[name] = statistics.median(server.ask(client, q) for _ in range(server.repeats))
    return medians


def throughput(server: Server, clients: int, skip: set[str]) -> float:
    """Queries per second of the mix (minus the queries that exceeded the cap) with ``clients`` concurrent clients."""
    mix = [q for name, q in QUERIES.items() if name not in skip]

    def worker(_: int) -> int:
        with httpx.Client() as client:
            for _ in range(server.rounds):
                for q in mix:
                    server.ask(client, q)
        return server.rounds * len(mix)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = sum(pool.map(worker, range(clients)))
    return done / (time.perf_counter() - start)


def servers(store: Path, ntriples: Path, with_rdflib: bool) -> list[Server]:
    p1, p2, p3 = free_port(), free_port(), free_port()
    oxi_copy = store.parent / f"{store.name}-oxigraph"
    if not oxi_copy.exists():
        shutil.copytree(store, oxi_copy)
    config = store.parent / "bench-serve.toml"  # evaluation speed: no answers kept and served again
    config.write_text("[serve]\nanswer_max_age_s = 0\n", encoding="utf-8")
    found = [
        Server("boussole", [str(BIN / "boussole"), "serve", "--store", str(store), "--port", str(p1),
                            "--config", str(config)], f"http://127.0.0.1:{p1}/sparql"),
        Server("oxigraph server", [str(BIN / "oxigraph"), "serve-read-only", "--location", str(oxi_copy),
                                   "--bind", f"127.0.0.1:{p2}", "--union-default-graph"],
               f"http://127.0.0.1:{p2}/query"),
    ]
    if with_rdflib:
        found.append(Server("rdflib-endpoint", [str(BIN / "rdflib-endpoint"), "serve", str(ntriples),
                                                "--host", "127.0.0.1", "--port", str(p3)],
                            f"http://127.0.0.1:{p3}/",  # rdflib-endpoint 0.6 answers at its root
                            repeats=3, rounds=1))
    return found


def union_ntriples(store: Path, out: Path) -> None:
    source = ox.Store.read_only(str(store))
    with out.open("wb") as f:
        ox.serialize((ox.Triple(q.subject, q.predicate, q.object) for q in source), f, format=ox.RdfFormat.N_TRIPLES)


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "20000,200000").split(",")]
    rdflib_max = int(os.environ.get("BENCH_RDFLIB_MAX", "20000"))
    workdir = Path(tempfile.mkdtemp(prefix="bench-endpoint-"))
    try:
        for n in sizes:
            store = workdir / f"store-{n}"
            make_store(store, n)
            ntriples = workdir / f"union-{n}.nt"
            if n <= rdflib_max:
                union_ntriples(store, ntriples)
            print(f"\n### {n} deliberations ({len(ox.Store.read_only(str(store)))} quads)\n", flush=True)
            results = {}
            for server in servers(store, ntriples, n <= rdflib_max):
                with server:
                    medians = latency(server)
                    slow = {q for q, t in medians.items() if t == float("inf")}
                    results[server.name] = (server.started_in, medians, throughput(server, 1, slow),
                                            throughput(server, 4, slow))
            report(results)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def report(results: dict[str, tuple[float, dict[str, float], float, float]]) -> None:
    names = list(results)
    ref = "oxigraph server"
    print("| query (median ms) | " + " | ".join(names) + " | boussole / oxigraph |")
    print("| --- |" + " --- |" * (len(names) + 1))
    for q in QUERIES:
        cells = [f"{results[n][1][q] * 1000:.1f}" if results[n][1][q] != float("inf") else f"> {SLOW_CAP:.0f} s"
                 for n in names]
        ratio = results["boussole"][1][q] / results[ref][1][q]
        print(f"| {q} | " + " | ".join(cells) + f" | {ratio:.2f}× |")
    print("| throughput, 1 client (q/s) | " + " | ".join(f"{results[n][2]:.1f}" for n in names)
          + f" | {results['boussole'][2] / results[ref][2]:.2f}× |")
    print("| throughput, 4 clients (q/s) | " + " | ".join(f"{results[n][3]:.1f}" for n in names)
          + f" | {results['boussole'][3] / results[ref][3]:.2f}× |")
    print("| start to first answer (s) | " + " | ".join(f"{results[n][0]:.2f}" for n in names) + " | |")
    if "rdflib-endpoint" in results:
        agg = "by-engagement-year"
        ratio = results["rdflib-endpoint"][1][agg] / results["boussole"][1][agg]
        print(f"\nrdflib-endpoint / boussole on {agg}: " + (f"{ratio:.0f}×" if ratio != float("inf") else
                                                             f"more than {SLOW_CAP:.0f} s against "
                                                             f"{results['boussole'][1][agg] * 1000:.0f} ms"))
        print("(rdflib-endpoint: medians of 3 runs and 1 round of throughput, queries past the cap left out of "
              "its throughput)")


if __name__ == "__main__":
    main()
