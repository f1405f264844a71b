"""Build time of the graph: `boussole build` (and with --reason) against a named baseline,
rdflib parsing the same Turtle files (the parse an rdflib-based builder would do before any check)."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import rdflib

from kg.build import build
from kg.sources import data_files

RUNS = 5


def _median(func, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rdflib_parse() -> None:
    graph = rdflib.Graph()
    for source in data_files():
        graph.parse(source.path, format="turtle", publicID="https://boussole.agglo-porteduhainaut.fr/id/")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        counter = iter(range(1000))
        def fresh() -> None:  # each run builds a new store
            build(workdir / f"s{next(counter)}")

        baseline = _median(rdflib_parse)
        full = _median(fresh)
        rebuild_store = workdir / "rebuild"
        build(rebuild_store)
        rebuild = _median(lambda: build(rebuild_store))
        reasoned = _median(lambda: build(workdir / f"r{next(counter)}", reason=True), runs=3)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("| step | median (s) | ratio to rdflib parse |")
    print("| --- | --- | --- |")
    print(f"| baseline: rdflib parse of the same files | {baseline:.2f} | 1.00 |")
    print(f"| `boussole build` (new store) | {full:.2f} | {full / baseline:.2f} |")
    print(f"| `boussole build` (unchanged rebuild) | {rebuild:.2f} | {rebuild / baseline:.2f} |")
    print(f"| `boussole build --reason` | {reasoned:.2f} | {reasoned / baseline:.2f} |")


if __name__ == "__main__":
    main()
