"""``boussole build``: versioned sources → validated dataset → the store, replacing only the graphs it owns.

Everything is parsed, derived, validated (and reasoned) in memory first; the store on disk is touched only
when all checks pass, so a bad data file leaves the previous store as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.derive import derive
from kg.errors import BoussoleError
from kg.iris import graph
from kg.querying import solutions
from kg.reason import reason as run_reasoner
from kg.sources import DATA_DIR, ONTOLOGY_FILE, SHAPES_FILE, SOURCES_DIR, data_files, read_quads
from kg.store import open_store, release_lock
from kg.validate import Violation, validate

INFERRED = "inferred"
Progress = Callable[[str, int, int], None]
# applies the staged dataset to the store: (staged, graphs it owns) → (quads added, quads removed)
Apply = Callable[[ox.Store, list[ox.NamedNode]], tuple[int, int]]


class ShapesViolated(BoussoleError):
    """The graph breaks the SHACL shapes; ``violations`` lists each one."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations[:50])
        more = f"\n  … and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(
            f"the graph violates {len(violations)} SHACL constraint(s) of ontology/shapes.ttl:\n{lines}{more}"
        )


@dataclass
class BuildReport:
    graphs: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    added: int = 0
    removed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def stage(
    data_dir: Path = DATA_DIR,
    ontology_file: Path = ONTOLOGY_FILE,
    sources_dir: Path = SOURCES_DIR,
    progress: Progress = _no_progress,
) -> tuple[ox.Store, list[str]]:
    """Parse every data file and add the derived triples into a new in-memory store."""
    files = data_files(data_dir, ontology_file)
    staged = ox.Store()
    for i, source in enumerate(files, start=1):
        progress(f"reading {source.label}", i, len(files))
        staged.extend(read_quads(source))
    staged.extend(derive(staged, sources_dir))
    return staged, sorted({f.graph_name for f in files})


def build(store_path: Path | str, *, reason: bool = False, data_dir: Path = DATA_DIR,
          ontology_file: Path = ONTOLOGY_FILE, shapes_file: Path = SHAPES_FILE, sources_dir: Path = SOURCES_DIR,
          progress: Progress = _no_progress, apply: Apply | None = None) -> BuildReport:
    """Stage, check and write. ``apply`` writes the checked dataset elsewhere than by opening ``store_path``
    (``boussole build`` sends it to the running server's single writer)."""
    report = BuildReport()
    clock = time.perf_counter()
    staged, graph_names = stage(data_dir, ontology_file, sources_dir, progress)
    report.seconds["parse"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress("validating SHACL shapes", 0, 1)
    violations = validate(staged, shapes_file)
    if violations:
        raise ShapesViolated(violations)
    report.seconds["shacl"] = time.perf_counter() - clock

    owned = [*graph_names, INFERRED]
    if reason:
        clock = time.perf_counter()
        progress("reasoning with HermiT", 0, 1)
        inferred = run_reasoner(staged).inferred
        staged.extend(ox.Quad(t.subject, t.predicate, t.object, graph(INFERRED)) for t in inferred)
        report.seconds["reason"] = time.perf_counter() - clock

    clock = time.perf_counter()
    progress("writing the store", 0, 1)
    if apply is not None:
        report.added, report.removed = apply(staged, [graph(n) for n in owned])
    else:
        store = open_store(store_path)
        report.added, report.removed = replace_graphs(store, staged, [graph(n) for n in owned])
        store.flush()
        del store   # released now: pySHACL keeps a traceback whose frames would hold the store's lock until a gc
        release_lock(store_path)  # and the flock open_store took (a build run in-process, e.g. by the tests)
    report.seconds["write"] = time.perf_counter() - clock

    report.graphs = {n: _count(staged, graph(n)) for n in owned if _count(staged, graph(n))}
    report.classes = class_counts(staged)
    return report


def _count(store: ox.Store, g: ox.NamedNode) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, g))


def replace_graphs(store: ox.Store, staged: ox.Store, graphs: list[ox.NamedNode]) -> tuple[int, int]:
    """Make ``graphs`` in ``store`` equal to ``staged``; write only the difference (a rebuild with no change writes
    nothing)."""
    wanted = {q for g in graphs for q in staged.quads_for_pattern(None, None, None, g)}
    present = {q for g in graphs for q in store.quads_for_pattern(None, None, None, g)}
    to_add, to_remove = wanted - present, present - wanted
    if to_add:
        store.extend(to_add)  # one transaction
    for quad in to_remove:
        store.remove(quad)
    return len(to_add), len(to_remove)


CLASS_COUNTS = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  GRAPH ?g { ?s a ?class }
  FILTER(!STRENDS(STR(?g), "/graph/ontology") && STRSTARTS(STR(?class), "https://boussole.agglo-porteduhainaut.fr/def#"))
} GROUP BY ?class ORDER BY ?class
"""


def class_counts(store: ox.Store) -> dict[str, int]:
    rows = solutions(store, CLASS_COUNTS)
    return {row["class"].value.split("#")[-1]: int(row["n"].value) for row in rows}
