"""Benchmark of the deliberation ingester (issue 5).

    .venv/bin/python bench/bench_ingest.py [--docs 1000] [--runs 3] [--memory 10000,100000] [--json out.json]

1. Throughput, words per second, on the same one-page deliberations (≈450 words each, written as .txt files):
   - the whole ingest (reading the files, spaCy, linking, tagging, RDF, one transactional write per deliberation
     into an on-disk pyoxigraph store), median of --runs runs, each on a fresh store;
   - the bare `nlp.pipe` of the same model `fr_core_news_md` as loaded by default (all its components), same texts,
     already in memory, median of --runs runs; and, for information, the bare `nlp.pipe` with the components the
     ingester keeps (tok2vec + ner).
   Target: ingest ≥ 0.8 × bare nlp.pipe. The time of the 1000-document ingest is reported (target < 60 s).
2. Peak memory (ru_maxrss of a child process) when ingesting an SCDL CSV of 10 000 and of 100 000 records
   (target: ratio ≤ 1.2). Each size runs in its own subprocess.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "deliberations"


def one_page_texts(n: int) -> list[str]:
    """n distinct one-page deliberations built from the development set's full texts (number and amounts varied)."""
    base = sorted((DATA / "textes").glob("t*.txt"))
    bodies = [p.read_text(encoding="utf-8") for p in base]
    rng = random.Random(42)
    out = []
    for i in range(n):
        a, b = bodies[i % len(bodies)], bodies[(i * 7 + 3) % len(bodies)]
        # the second text's considérants lengthen the page to ≈450 words
        extra = "\n".join(ln for ln in b.splitlines() if ln.startswith("Considérant"))
        text = a.replace("Délibération n° ", f"Délibération n° B{i:05d}-", 1)
        text = text.replace("Entendu l'exposé du rapporteur,", "Entendu l'exposé du rapporteur,\n" + extra, 1)
        text = text.replace("€", f"€ (tranche {rng.randint(1, 9)})", 1)
        out.append(text)
    return out


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def bench_throughput(n: int, runs: int) -> dict:
    import pyoxigraph as ox
    import spacy

    from ingest.nlp import EXCLUDE, MODEL
    from ingest.pipeline import Ingester, reference_store
    from ingest.readers import iter_inputs

    texts = one_page_texts(n)
    nwords = words(texts)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    folder = tmp / "docs"
    folder.mkdir()
    for i, t in enumerate(texts):
        (folder / f"d{i:05d}.txt").write_text(t, encoding="utf-8")
    ref = list(reference_store().quads_for_pattern(None, None, None, None))

    from ingest.nlp import get_nlp

    warm = ox.Store()
    warm.extend(ref)
    get_nlp(Ingester(warm).gv)                    # the ingester's model and rules, loaded once per process
    full = spacy.load(MODEL)
    slim = spacy.load(MODEL, exclude=EXCLUDE)
    list(full.pipe(texts[:20]))  # warm-up
    list(slim.pipe(texts[:20]))
    bare, bare_slim, ingest = [], [], []
    for r in range(runs):
        t0 = time.perf_counter()
        list(full.pipe(texts, batch_size=64))
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        list(slim.pipe(texts, batch_size=64))
        bare_slim.append(time.perf_counter() - t0)
        store_dir = tmp / f"store{r}"
        store = ox.Store(str(store_dir))
        store.extend(ref)
        t0 = time.perf_counter()
        ing = Ingester(store)                      # graph vocabulary + rules (model already loaded once per process)
        summary = ing.ingest(iter_inputs([folder]))
        store.flush()
        ingest.append(time.perf_counter() - t0)
        assert summary.stored == n, summary.as_dict()["skipped"][:3]
        del store
        shutil.rmtree(store_dir, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    res = {
        "documents": n, "words": nwords, "runs": runs,
        "bare_nlp_pipe_s": med(bare), "bare_nlp_pipe_words_per_s": nwords / med(bare),
        "bare_nlp_pipe_tok2vec_ner_s": med(bare_slim), "bare_nlp_pipe_tok2vec_ner_words_per_s": nwords / med(bare_slim),
        "ingest_s": med(ingest), "ingest_words_per_s": nwords / med(ingest),
    }
    res["ratio_vs_bare"] = res["ingest_words_per_s"] / res["bare_nlp_pipe_words_per_s"]
    res["ratio_vs_bare_tok2vec_ner"] = res["ingest_words_per_s"] / res["bare_nlp_pipe_tok2vec_ner_words_per_s"]
    return res


def write_scdl(path: Path, n: int) -> None:
    objets = [row["objet"] for row in csv.DictReader(open(DATA / "objets.csv", encoding="utf-8"))]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM",
                    "DELIB_OBJET", "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL",
                    "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION", "DELIB_URL"])
        for i in range(n):
            w.writerow(["Communauté d'Agglomération de La Porte du Hainaut", "20004219000019", f"M{i:06d}",
                        f"20{20 + i % 5}-0{1 + i % 9}-1{i % 9}", "7.5", "Subventions", objets[i % len(objets)],
                        "", "", "", "", "83", "70", "70", "0", "0", ""])


def child_memory(csv_path: str, store_dir: str) -> None:
    import pyoxigraph as ox

    from ingest.pipeline import Ingester, reference_store
    from ingest.readers import iter_inputs

    store = ox.Store(store_dir)
    store.extend(list(reference_store().quads_for_pattern(None, None, None, None)))
    t0 = time.perf_counter()
    summary = Ingester(store).ingest(iter_inputs([csv_path]))
    store.flush()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"records": summary.read, "stored": summary.stored, "seconds": time.perf_counter() - t0,
                      "peak_rss_mib": peak_kib / 1024}))


def bench_memory(sizes: list[int]) -> dict:
    out = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    for n in sizes:
        csv_path = tmp / f"scdl-{n}.csv"
        write_scdl(csv_path, n)
        proc = subprocess.run([sys.executable, __file__, "--child-memory", str(csv_path), str(tmp / f"store-{n}")],
                              capture_output=True, text=True, check=True)
        out[n] = json.loads(proc.stdout.strip().splitlines()[-1])
        shutil.rmtree(tmp / f"store-{n}", ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if len(sizes) >= 2:
        out["ratio_peak_rss"] = out[sizes[-1]]["peak_rss_mib"] / out[sizes[0]]["peak_rss_mib"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", default="10000,100000", help="comma-separated record counts; empty to skip")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child-memory", nargs=2, metavar=("CSV", "STORE"))
    a = ap.parse_args()
    if a.child_memory:
        child_memory(*a.child_memory)
        return
    report: dict = {"cpu_count": os.cpu_count()}
    if a.docs > 0:   # --docs 0 skips the throughput part
        report["throughput"] = t = bench_throughput(a.docs, a.runs)
        print(f"{t['documents']} one-page deliberations, {t['words']} words, median of {t['runs']} runs")
        print(f"  bare nlp.pipe (fr_core_news_md, all components): {t['bare_nlp_pipe_s']:.1f} s, "
              f"{t['bare_nlp_pipe_words_per_s']:.0f} words/s")
        print(
            f"  bare nlp.pipe (tok2vec + ner only):              {t['bare_nlp_pipe_tok2vec_ner_s']:.1f} s, "
            f"{t['bare_nlp_pipe_tok2vec_ner_words_per_s']:.0f} words/s"
        )
        print(
            f"  full ingest (read, spaCy, link, tag, write):    {t['ingest_s']:.1f} s, {t['ingest_words_per_s']:.0f} "
            "words/s"
        )
        print(
            f"  ratio ingest / bare nlp.pipe: {t['ratio_vs_bare']:.2f} (target ≥ 0.8); vs tok2vec+ner only: "
            f"{t['ratio_vs_bare_tok2vec_ner']:.2f}"
        )
    if a.memory:
        sizes = [int(x) for x in a.memory.split(",") if x]
        report["memory"] = bench_memory(sizes)
        for n in sizes:
            m = report["memory"][n]
            print(f"  SCDL {n} records: peak RSS {m['peak_rss_mib']:.0f} MiB, {m['seconds']:.0f} s")
        if "ratio_peak_rss" in report["memory"]:
            print(
                f"  peak memory ratio {sizes[-1]} / {sizes[0]}: {report['memory']['ratio_peak_rss']:.2f} (target ≤ 1.2)"
            )
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
