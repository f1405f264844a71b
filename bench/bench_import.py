"""Benchmark of a year's import through the running service while clients query it (issue 11).

    .venv/bin/python -m bench import            # or: .venv/bin/python bench/bench_import.py [--rows 3000] [--pdfs 300]

A store with the real graph and --base synthetic deliberations (earlier years) is served by ``boussole serve``
(embedded store, --workers query workers, a write token). A generated year of a large EPCI — an SCDL CSV of --rows
rows and --pdfs one-page PDFs, in one ZIP — is uploaded to ``POST /imports`` and followed to its end, while
--clients threads send the benchmark query mix (``bench/queries/*.rq``) to ``/sparql`` back to back.

Reported: the import's total time (upload to « terminé ») and records per second; the p50 and p99 latency of each
query of the mix on the idle service (--idle seconds, before the import) and during the import, and the ratios
during / idle. The baseline is the same service, same queries, same clients, idle, in the same run.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synthetic import make_store  # noqa: E402

QUERIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent / "queries").glob("*.rq"))}
TOKEN = "bench-import-token-0123456789"
ACCEPT = {"Accept": "application/sparql-results+json"}
CAPH = ["Communauté d'Agglomération de La Porte du Hainaut", "20004219000019"]


def _fixture_writer():
    """The minimal PDF writer of the test fixtures (a text layer, no dependency)."""
    path = ROOT / "tests" / "data" / "deliberations" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_pdf


def year_archive(out: Path, rows: int, pdfs: int, seed: int = 11) -> int:
    """A ZIP of one year: ``export-2025.csv`` (SCDL, ';', CRLF) and ``pdf/*.pdf`` one-page full texts."""
    from bench.bench_ingest import one_page_texts

    rng = random.Random(seed)
    with open(ROOT / "tests/data/deliberations/objets.csv", encoding="utf-8") as fh:
        objets = [row["objet"] for row in csv.DictReader(fh)]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM",
                "DELIB_OBJET", "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL",
                "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION", "DELIB_URL"])
    for i in range(rows):
        w.writerow([*CAPH, f"2025-{i:04d}", f"2025-{1 + i % 12:02d}-{1 + rng.randint(0, 27):02d}", "7.5",
                    "Subventions", objets[i % len(objets)] + f" (dossier {i})", "", "", "", "",
                    "83", "70", "70", "0", "0", ""])
    write_pdf = _fixture_writer()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pdf-"))
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("export-2025.csv", buf.getvalue().encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        for k, text in enumerate(one_page_texts(pdfs)):
            ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
            pdf = tmp / f"D{k:04d}.pdf"
            write_pdf(pdf, ascii_text)
            z.write(pdf, f"pdf/D{k:04d}.pdf")
    shutil.rmtree(tmp, ignore_errors=True)
    return rows + pdfs


class Clients:
    """``n`` threads sending the query mix back to back; latencies recorded per query, per phase."""

    def __init__(self, url: str, n: int):
        self.url, self.n = url + "/sparql", n
        self.phase = "idle"
        self.samples: dict[str, dict[str, list[float]]] = {"idle": {}, "import": {}}
        self.errors = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(k,), daemon=True) for k in range(n)]

    def run(self, k: int) -> None:
        names = list(QUERIES)
        with httpx.Client(timeout=120) as client:
            i = k
            while not self.stop.is_set():
                name = names[i % len(names)]
                i += 1
                phase = self.phase
                start = time.perf_counter()
                try:
                    r = client.get(self.url, params={"query": QUERIES[name]}, headers=ACCEPT)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - start
                if not ok:
                    self.errors += 1
                    continue
                if phase == self.phase:   # a query that straddles two phases counts in neither
                    self.samples[phase].setdefault(name, []).append(took)

    def __enter__(self) -> "Clients":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(130)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def serve(store: Path, port: int, workers: int, log: Path, *, tree: Path = ROOT,
          timeout: float = 120.0) -> subprocess.Popen:
    """``python -m api.server`` of ``tree`` (this one, or a baseline checkout) with the write token."""
    env = dict(os.environ, BOUSSOLE_WRITE_TOKEN=TOKEN, PYTHONPATH=str(tree))
    env.pop("BOUSSOLE_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "api.server", "--store", str(store), "--port", str(port),
                             "--workers", str(workers), "--timeout", str(timeout)], cwd=tree, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log.read_text())


def run_once(tree: Path, store: Path, archive: Path, records: int, a: argparse.Namespace, log: Path) -> dict:
    """One server of ``tree`` on ``store``: the idle phase, then the import with the clients querying."""
    port = 18000 + os.getpid() % 1000
    proc = serve(store, port, a.workers, log, tree=tree)
    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with Clients(url, a.clients) as clients:
            time.sleep(a.idle)
            clients.phase = "import"
            start = time.perf_counter()
            with open(archive, "rb") as fh:
                job = httpx.post(url + "/imports", headers=auth, timeout=300,
                                 files={"fichiers": (archive.name, fh, "application/zip")}).json()
            while job["etat"] in ("en attente", "en cours"):
                time.sleep(0.5)
                job = httpx.get(url + f"/imports/{job['id']}", headers=auth, timeout=300).json()
            total = time.perf_counter() - start
            clients.phase = "after"
    finally:
        proc.terminate()
        proc.wait(30)
    report = {"tree": str(tree), "rows": a.rows, "pdfs": a.pdfs, "records": records, "base_deliberations": a.base,
              "clients": a.clients, "workers": a.workers, "cpu_count": os.cpu_count(), "job": job["etat"],
              "import_s": round(total, 1), "records_per_s": round(records / total, 1),
              "summary": job["resume"], "query_errors": clients.errors, "queries": {}}
    print(f"{tree}: import of {a.rows} CSV rows + {a.pdfs} PDFs into a store of {a.base} deliberations, "
          f"{a.clients} clients querying, {a.workers} query workers, {os.cpu_count()} CPUs")
    print(f"  job {job['etat']}: {total:.1f} s, {records / total:.1f} records/s; summary {job['resume']}")
    print(f"  {'query':24} {'idle p50':>9} {'idle p99':>9} {'import p50':>11} {'import p99':>11} {'p50 ×':>6} "
          f"{'p99 ×':>6} {'n idle/import':>14}")
    for name in QUERIES:
        idle, busy = clients.samples["idle"].get(name, []), clients.samples["import"].get(name, [])
        row = {"idle_p50_ms": 1000 * pct(idle, .5), "idle_p99_ms": 1000 * pct(idle, .99),
               "import_p50_ms": 1000 * pct(busy, .5), "import_p99_ms": 1000 * pct(busy, .99),
               "n_idle": len(idle), "n_import": len(busy)}
        row["p50_ratio"] = row["import_p50_ms"] / row["idle_p50_ms"]
        row["p99_ratio"] = row["import_p99_ms"] / row["idle_p99_ms"]
        report["queries"][name] = row
        print(f"  {name:24} {row['idle_p50_ms']:9.1f} {row['idle_p99_ms']:9.1f} {row['import_p50_ms']:11.1f} "
              f"{row['import_p99_ms']:11.1f} {row['p50_ratio']:6.2f} {row['p99_ratio']:6.2f} "
              f"{len(idle):>6}/{len(busy):<6}")
    print(f"  query errors: {clients.errors}", flush=True)
    return report


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_IMPORT_ROWS", "3000")))
    ap.add_argument("--pdfs", type=int, default=int(os.environ.get("BENCH_IMPORT_PDFS", "300")))
    ap.add_argument("--base", type=int, default=20_000, help="synthetic deliberations already in the store")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of the idle phase")
    ap.add_argument("--baseline", type=Path, help="another checkout of the project, run alternately with this one")
    ap.add_argument("--rounds", type=int, default=1, help="runs of each tree (medians are reported)")
    ap.add_argument("--json")
    # run as a script: its command line; run by ``python -m bench`` (main() with no argument): the defaults
    a = ap.parse_args(argv if argv is not None else (sys.argv[1:] if __name__ == "__main__" else []))
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    trees = [ROOT] + ([a.baseline.resolve()] if a.baseline else [])
    try:
        store = tmp / "store"
        make_store(store, a.base)
        archive = tmp / "annee-2025.zip"
        records = year_archive(archive, a.rows, a.pdfs)
        runs: dict[str, list[dict]] = {str(t): [] for t in trees}
        for k in range(a.rounds):
            for tree in trees if k % 2 == 0 else trees[::-1]:
                copy = tmp / "copy"
                shutil.copytree(store, copy)
                runs[str(tree)].append(run_once(tree, copy, archive, records, a, tmp / f"server-{k}.log"))
                shutil.rmtree(copy, ignore_errors=True)
        print(f"\nmedians of {a.rounds} run(s) per tree")
        for tree, reports in runs.items():
            ratios = {name: (statistics.median(r["queries"][name]["p50_ratio"] for r in reports),
                             statistics.median(r["queries"][name]["p99_ratio"] for r in reports)) for name in QUERIES}
            print(f"  {tree}: import {statistics.median(r['import_s'] for r in reports):.1f} s; "
                  + "; ".join(f"{n} p50 × {p50:.2f}, p99 × {p99:.2f}" for n, (p50, p99) in ratios.items()))
        report = {"runs": runs}
        if a.json:
            Path(a.json).write_text(json.dumps(report, indent=2))
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
