"""The queries that read deliberations' current tags (each carries a copy of queries/fragments/etiquette-en-vigueur.rq)
timed against the same files at a baseline git revision (``BENCH_BASELINE``, default ``main``), in the same process,
interleaved, medians over ``BENCH_REPEATS`` (default 5) runs; rows compared too.

Graph: the real référentiel, contracts and territory plus ``BENCH_DELIBERATIONS`` (default 20 000) synthetic
deliberations (bench.synthetic), to which :func:`add_reviews` adds what the synthetic data lack: human decisions
(corrections, later decisions by another person, undone decisions, « aucun engagement ») and an older model
version's superseded proposals. ``BENCH_STORE``: a folder to keep the graph between runs (built once);
``BENCH_ONLY``: the query stems to run (``python`` for ingest.review's readers).
"""

from __future__ import annotations

import importlib.util
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.synthetic import make_store
from kg.iris import BSL, OA, PROV, RDF, XSD, base_iri, graph
from kg.querying import run
from queries.fragments import carriers

REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
BASELINE = os.environ.get("BENCH_BASELINE", "main")
SIZE = int(os.environ.get("BENCH_DELIBERATIONS", "20000"))
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}   # query stems (and « python »); empty: all
ROOT = Path(__file__).resolve().parent.parent
# values the pages bind (web/queries take them from the request)
BINDINGS = {"communes_effort": {"engagement": "engagement/1"}}


def add_reviews(store: ox.Store, n: int, seed: int = 16) -> int:
    """Human decisions and an older model version on the synthetic deliberations; the number of quads added."""
    rng = random.Random(seed)
    base, g = base_iri(), graph("annotations")
    quads: list[ox.Quad] = []

    def node(path: str) -> ox.NamedNode:
        return ox.NamedNode(base + path)

    def tag(name: str, d: ox.NamedNode, body: ox.NamedNode, agent: str, when: str, statut: str) -> None:
        a = node(f"annotation/{name}")
        for p, o in ((RDF + "type", ox.NamedNode(OA + "Annotation")), (OA + "hasTarget", d), (OA + "hasBody", body),
                     (PROV + "wasAttributedTo", node(agent)), (BSL + "statutRevue", ox.Literal(statut)),
                     (PROV + "generatedAtTime", ox.Literal(when, datatype=ox.NamedNode(XSD + "dateTime"))),
                     (BSL + "score", ox.Literal(f"{rng.random():.3f}", datatype=ox.NamedNode(XSD + "decimal")))):
            quads.append(ox.Quad(a, ox.NamedNode(p), o, g))

    for agent, kind in (("personne/alice", "Person"), ("personne/bob", "Person"),
                        ("agent/tagger-bench", "SoftwareAgent"), ("agent/tagger-old", "SoftwareAgent")):
        quads.append(ox.Quad(node(agent), ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + kind), g))
    for i in range(n):
        d, r = node(f"deliberation/200042190/B{i:07d}"), rng.random()
        engagement = node(f"engagement/{rng.randint(1, 3)}")
        if r < 0.10:     # a person's correction; a third of them decided again later by another, some undone
            tag(f"R{i}-a", d, engagement, "personne/alice", f"2026-02-01T10:00:00.{i % 1000000:06d}Z", "corrige")
            if rng.random() < 0.3:
                tag(f"R{i}-b", d, node(f"engagement/{rng.randint(1, 3)}"), "personne/bob", "2026-02-02T10:00:00Z",
                    "remplace" if rng.random() < 0.2 else "accepte")
        elif r < 0.13:   # a person says « aucun engagement »
            tag(f"R{i}-n", d, ox.NamedNode(BSL + "aucunEngagement"), "personne/bob", "2026-02-03T10:00:00Z", "corrige")
        elif r < 0.15:   # an older model version, superseded
            tag(f"R{i}-o", d, engagement, "agent/tagger-old", "2025-06-01T00:00:00Z", "remplace")
    store.extend(quads)
    return len(quads)


def baseline_text(path: Path) -> str | None:
    """The file at the baseline revision, or None if it did not exist there."""
    done = subprocess.run(["git", "show", f"{BASELINE}:{path.relative_to(ROOT)}"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def clock() -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds: on a shared machine the CPU time moves less with the load."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    now = clock()
    return now[0] - start[0], now[1] - start[1]


def timed(store: ox.Store, text: str, name: str, subs: dict | None) -> tuple[tuple[float, float], list[tuple]]:
    start = clock()
    rows = [tuple(None if t is None else str(t) for t in row) for row in run(store, text, name, subs)]
    return since(start), rows


def medians(before: list[tuple[float, float]], after: list[tuple[float, float]]) -> str:
    """« before | after | ratio | CPU ratio » (wall-clock medians, then the ratio of the CPU-time medians)."""
    (bw, bc), (aw, ac) = ([statistics.median(t[i] for t in runs) for i in (0, 1)] for runs in (before, after))
    return f"{bw:.2f} | {aw:.2f} | {aw / bw:.2f} | {ac / max(bc, 1e-9):.2f}"


def _review_at_baseline(folder: Path):
    """``ingest/review.py`` as it was at the baseline, loaded as a module of its own."""
    text = baseline_text(ROOT / "ingest" / "review.py")
    assert text is not None
    path = folder / "review_baseline.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("review_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def python_readers(store: ox.Store, folder: Path) -> None:
    """ingest.review's current tags, baseline against this version: 50 deliberations one by one (a decision reads
    one), and every deliberation at once (the queue's notes, training)."""
    from ingest import review

    modules = {"before": _review_at_baseline(folder), "after": review}
    sample = [f"{base_iri()}deliberation/200042190/B{i:07d}" for i in range(0, SIZE, max(SIZE // 50, 1))]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    answers: dict[str, dict[str, set[str]]] = {}
    for i in range(REPEATS):
        for label in ("before", "after") if i % 2 == 0 else ("after", "before"):
            m = modules[label]
            start = clock()
            for d in sample:
                m.current_from(d, m.annotations_of(store, d).get(d, []))
            times.setdefault((label, "one"), []).append(since(start))
            start = clock()
            anns = m.annotations_of(store)
            answers[label] = {d: {a.iri for a in m.current_from(d, v).annotations} for d, v in anns.items()}
            times.setdefault((label, "all"), []).append(since(start))
    for kind, what in (("one", f"`ingest.review` current tag of {len(sample)} deliberations, one by one"),
                       ("all", "`ingest.review` current tags of every deliberation at once")):
        print(f"| {what} | {medians(times[('before', kind)], times[('after', kind)])} | | |", flush=True)
    before, after = answers["before"], answers["after"]
    differ = sum(before.get(d) != after.get(d) for d in before.keys() | after.keys())
    print(f"\n{differ} deliberations whose current tags differ between the baseline's Python rule and the fragment")


def main() -> None:
    keep = os.environ.get("BENCH_STORE")
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-current-tag-"))
    path = folder / f"store-{SIZE}"
    if not path.exists():
        make_store(path, SIZE)
        store = ox.Store(str(path))
        print(f"reviews: {add_reviews(store, SIZE)} quads added", flush=True)
        store.flush()
    store = ox.Store.read_only(str(path))
    print(f"{SIZE} deliberations, {len(store)} quads; baseline {BASELINE}; medians of {REPEATS} interleaved runs\n")
    print("| query | before (s) | after (s) | ratio | CPU ratio | rows before / after | same rows |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for file in carriers():
        before_text = baseline_text(file)
        if before_text is None or (ONLY and file.stem not in ONLY):
            continue
        subs = {ox.Variable(k): ox.NamedNode(base_iri() + v) for k, v in BINDINGS.get(file.stem, {}).items()} or None
        after_text = file.read_text(encoding="utf-8")
        times: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        rows: dict[str, list[tuple]] = {}
        for i in range(REPEATS):
            order = (("before", before_text), ("after", after_text))
            for label, text in order if i % 2 == 0 else order[::-1]:
                seconds, rows[label] = timed(store, text, file.name, subs)
                times[label].append(seconds)
        same = "yes" if sorted(rows["before"], key=str) == sorted(rows["after"], key=str) else "no"
        print(f"| `{file.relative_to(ROOT)}` | {medians(times['before'], times['after'])} | "
              f"{len(rows['before'])} / {len(rows['after'])} | {same} |", flush=True)
    if not ONLY or "python" in ONLY:
        python_readers(store, folder)
