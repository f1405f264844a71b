"""The learned tagger: model load time, tagging speed after load, and the learning curve from staff decisions.

- load: median of 3 loads of the model file (joblib) in this process, and the first load of a whole Ingester
  (graph vocabulary, spaCy model, rules, model) in a fresh child process;
- speed: 1 000 objets of the corpus's dev split tagged by `Ingester.analyse` after load (spaCy, rules, model),
  median of 3 runs, against the rules alone on the same objets in the same run (the baseline);
- learning curve: a model trained on the team's development sets (tests/data/deliberations) plus N decisions
  simulated with the corpus's dev split (weight 3, like staff decisions), evaluated on a fixed quarter of the dev
  split held out from the decisions, for N = 0, 50, 200, 1 000. The blind split is never read here.

Figures go to docs/tagging.md § 13 (the machine was shared by other jobs: they vary by ±20 %).
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time

from ingest import model_path
from ingest.evaluate import load_labelled
from ingest.model import load
from ingest.pipeline import Ingester, reference_store
from ingest.records import Deliberation
from ingest.training import CORPUS_DIR, DEV_DIR, DEV_SETS, learning_curve, model_for

N_OBJETS = 1000
RUNS = 3


def _median_seconds(fn, runs: int = RUNS) -> float:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    model_for()    # built once if missing
    path = model_path()
    print(f"model file: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"model load (joblib), median of {RUNS}: {_median_seconds(lambda: load(path)):.2f} s")
    child = ("import time; t = time.perf_counter(); from ingest.pipeline import Ingester, reference_store; "
             "Ingester(reference_store()); print(f'{time.perf_counter() - t:.2f}')")
    first = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout.strip()
    print(f"first Ingester in a fresh process (spaCy + graph + rules + model): {first} s")

    dev = load_labelled(CORPUS_DIR / "labels.csv", split="dev")
    objets = [e.objet for e in dev if not e.texte][:N_OBJETS]
    recs = [Deliberation(objet=o) for o in objets]
    ing = Ingester(reference_store())
    list(ing.analyse(recs[:64]))    # warm
    learned = _median_seconds(lambda: list(ing.analyse(recs)))
    rules = _median_seconds(lambda: list(ing.analyse(recs, rules_only=True)))
    print(f"{len(recs)} objets tagged after load, median of {RUNS}: learned model {learned:.2f} s, "
          f"rules alone {rules:.2f} s (ratio {learned / rules:.2f})")

    base = [e for name in DEV_SETS for e in load_labelled(DEV_DIR / name)]
    rng = random.Random(20261203)
    shuffled = list(dev)
    rng.shuffle(shuffled)
    held = shuffled[: len(shuffled) // 4]
    pool = shuffled[len(shuffled) // 4:]
    print(f"learning curve: base {len(base)} team items, pool {len(pool)} corpus dev items, held out {len(held)}")
    print("| decisions | primary engagement (strict / lenient) | primary champ (strict / lenient) "
          "| precision of none |")
    print("| --- | --- | --- | --- |")
    for row in learning_curve(base, pool, held, steps=(0, 50, 200, 1000), ingester=ing):
        pe, pc, pn = row["primary_engagement"], row["primary_champ"], row["none_precision"]
        print(f"| {row['decisions']} | {pe['strict']:.3f} / {pe['lenient']:.3f} | {pc['strict']:.3f} / "
              f"{pc['lenient']:.3f} | {pn['lenient']:.3f} |", flush=True)
