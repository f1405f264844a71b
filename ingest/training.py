"""Training the learned tagger: from the committed labelled data, plus every human decision in a store.

Data (docs/tagging.md § 13):
- the development sets of tests/data/deliberations (relabelled with the CAPH's guide) and the `dev` split of the
  corpus in ingest/corpus (`labels.csv`, else the first labeller's `labels-a.csv`); never its `blind` split;
- the staff's decisions in a store (`boussole review accept / correct`, the review page): the current human tag
  of each deliberation, weighing `staff_weight` times a corpus item (the CAPH's own decisions count more).

`boussole train` writes the model file (atomically); `make model` builds the base model; the server retrains on
`POST /tagging/train`. A model trained with staff decisions is version « 2.0.0+staff<N>.<hash> », so the
ingester's supersession of older model proposals applies to it like to a new release.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ingest import TAGGER_VERSION, model_path
from ingest.evaluate import Example, load_labelled
from ingest.model import LABELS, NONE, TaggerModel, dense_features, fit_temperature, load, model_text, save
from ingest.records import Deliberation
from kg.iris import REPO_ROOT

DEV_SETS = ["objets.csv", "textes.csv", "heldout.csv", "heldout-textes.csv", "heldout2.csv", "heldout2-textes.csv"]
DEV_DIR = REPO_ROOT / "tests" / "data" / "deliberations"
CORPUS_DIR = REPO_ROOT / "ingest" / "corpus"
STAFF_WEIGHT = 3.0
C = 16.0                # inverse regularisation, chosen by cross-validation on the dev data (docs/tagging.md § 13)
DENSE_WEIGHT = 2.0      # scale of the rules' features against the TF-IDF features
VECTOR_WEIGHT = 2.0     # scale of the document vector (md static vectors)
FOLDS = 5
Progress = Callable[[str], None]


def corpus_labels() -> Path | None:
    """The adjudicated labels of the corpus, else the first labeller's, else None."""
    for name in ("labels.csv", "labels-a.csv"):
        if (CORPUS_DIR / name).exists() and (CORPUS_DIR / "items.csv").exists():
            return CORPUS_DIR / name
    return None


def base_examples() -> list[Example]:
    """The committed labelled data a base model learns from (no blind item)."""
    out: list[Example] = []
    for name in DEV_SETS:
        if (DEV_DIR / name).exists():
            out.extend(load_labelled(DEV_DIR / name))
    labels = corpus_labels()
    if labels:
        out.extend(load_labelled(labels, split="dev"))
    return out


def staff_examples(store, weight: float = STAFF_WEIGHT) -> list[Example]:
    """The current human decision of each deliberation of the store (accepted or corrected) as an example."""
    from ingest.review import annotations_of, current_from
    from kg.iris import BSL, ELI, graph

    texts = {r["d"].value: (r["t"].value, r["x"].value if r["x"] else "") for r in store.query(f"""
        SELECT ?d ?t ?x WHERE {{ GRAPH <{graph('deliberations').value}> {{
          ?d a <{BSL}Deliberation> ; <{ELI}title> ?t . OPTIONAL {{ ?d <{BSL}texte> ?x }} }} }}""")}
    out = []
    for d, anns in sorted(annotations_of(store, evidence=False).items()):
        cur = current_from(d, anns)
        if cur.source != "humain" or d not in texts:
            continue
        objet, texte = texts[d]
        champ_anns = sorted((a for a in cur.annotations if a.body.startswith("champ/")),
                            key=lambda a: (-(a.score or 0.0), a.body))
        champs = [a.body.split("/")[1] for a in champ_anns]
        engs = set(cur.engagements) or {"none"}
        out.append(Example(d, objet, "" if texte == objet else texte, engs, champs, source="décisions",
                           weight=weight))
    return out


@dataclass
class Featurised:
    examples: list[Example]
    texts: list[str]
    dense: list[list[float]]
    y: np.ndarray
    w: np.ndarray


def featurise(examples: list[Example], ingester=None, progress: Progress | None = None) -> Featurised:
    """The model's inputs for labelled examples (the rules' analysis of each, through the spaCy pipeline)."""
    from ingest.pipeline import Ingester, reference_store

    ing = ingester or Ingester(reference_store(), learned=False)
    recs = [Deliberation(objet=e.objet, texte=e.texte, label_id=e.id) for e in examples]
    texts, dense, y, kept = [], [], [], []
    done = 0
    for batch in ing.evidence(recs):
        for _, _, a, rules in batch:
            e = examples[done]
            done += 1
            label = e.primary
            if label == "none" and e.engagements != {"none"}:
                # an engagement without a champ (a staff correction): the rules' best champ of that engagement
                eng = sorted(e.engagements)[0]
                label = max((k for k in LABELS[:NONE] if k.startswith(eng + "-")), key=lambda k: a.raw.get(k, 0.0))
            texts.append(model_text(a.objet, a.body))
            dense.append(dense_features(a, rules))
            y.append(LABELS.index(label))
            kept.append(e)
        if progress:
            progress(f"analyse {done}/{len(examples)}")
    return Featurised(kept, texts, dense, np.asarray(y), np.asarray([e.weight for e in kept], dtype=float))


def _vectorisers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w\w+\b", sublinear_tf=True,
                            min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=150_000)
    return words, chars


def _classifier(c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="saga", tol=1e-3, max_iter=300)


def fit(data: Featurised, version: str, c: float = C, calibrate: bool = True, trained_on: dict | None = None,
        progress: Progress | None = None, threads: int = 1) -> TaggerModel:
    """Vectorisers and classifier fitted on all the data; the temperature on out-of-fold logits.

    The fold fits and the final fit are independent: with ``threads`` > 1 they run side by side (the saga solver
    releases the GIL), the same fits as one after another. One thread by default: the service retrains beside its
    clients and must not take every core from them; ``train`` (`boussole train`, `make model`) uses every core.
    """
    from sklearn.exceptions import ConvergenceWarning

    words, chars = _vectorisers()
    words.fit(data.texts)
    chars.fit(data.texts)
    model = TaggerModel(version, words, chars, _classifier(c), dense_weight=DENSE_WEIGHT, vector_weight=VECTOR_WEIGHT,
                        trained_on=trained_on or {})
    x = model.matrix(data.texts, data.dense)
    splits = []
    if calibrate and len(set(data.y.tolist())) > 1:
        from sklearn.model_selection import StratifiedKFold

        counts = np.bincount(data.y, minlength=len(LABELS))
        folds = max(2, min(FOLDS, int(counts[counts > 0].min()) if counts[counts > 0].min() >= 2 else 2))
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
        y_strat = np.where(counts[data.y] >= folds, data.y, -1)     # rare labels pooled for the split only
        splits = list(skf.split(x, y_strat))
    # the warning filter is process-wide: set once here, not in the threads (catch_warnings is not thread-safe)
    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        warnings.simplefilter("ignore", ConvergenceWarning)
        final = pool.submit(model.clf.fit, x, data.y, sample_weight=data.w)
        # each fold's rows are sliced in its thread, when it starts: not every copy at once
        fitted = [pool.submit(lambda tr: _classifier(c).fit(x[tr], data.y[tr], sample_weight=data.w[tr]), tr)
                  for tr, _ in splits]
        if splits:
            logits = np.zeros((len(data.y), len(LABELS)))
            for i, ((_, te), job) in enumerate(zip(splits, fitted, strict=True)):
                clf = job.result()
                if progress:
                    progress(f"calibration {i + 1}/{len(splits)}")
                z = np.full((len(te), len(LABELS)), -30.0)
                z[:, clf.classes_] = clf.decision_function(x[te])
                logits[te] = z
            model.temperature = fit_temperature(logits, data.y)
        if progress:
            progress("apprentissage")
        final.result()
    return model


def staff_version(staff: list[Example]) -> str:
    if not staff:
        return TAGGER_VERSION
    h = hashlib.sha256("\n".join(f"{e.id}|{sorted(e.engagements)}|{e.champs}" for e in staff).encode()).hexdigest()[:6]
    return f"{TAGGER_VERSION}+staff{len(staff)}.{h}"


def prepare(store=None, staff_weight: float = STAFF_WEIGHT, progress: Progress | None = None,
            ingester=None) -> tuple[Featurised, int]:
    """The training data, featurised: committed examples + the store's human decisions (their number)."""
    staff = staff_examples(store, staff_weight) if store is not None else []
    return featurise(base_examples() + staff, ingester, progress), len(staff)


def finish(data: Featurised, n_staff: int, out: Path | str | None = None, staff_weight: float = STAFF_WEIGHT,
           progress: Progress | None = None, threads: int = 1) -> TaggerModel:
    """Fit on featurised data and write the model file atomically."""
    counts: dict[str, int] = {}
    for e in data.examples:
        counts[e.source] = counts.get(e.source, 0) + 1
    trained_on = {"examples": len(data.examples), "staff_decisions": n_staff, "staff_weight": staff_weight,
                  "by_source": counts, "C": C, "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    staff = [e for e in data.examples if e.source == "décisions"]
    model = fit(data, staff_version(staff), trained_on=trained_on, progress=progress, threads=threads)
    save(model, Path(out) if out else model_path())
    _CACHE.clear()
    return model


def train(store=None, out: Path | str | None = None, staff_weight: float = STAFF_WEIGHT,
          progress: Progress | None = None, ingester=None, threads: int = 1) -> TaggerModel:
    """Train on the committed data (+ the store's human decisions) and write the model file. ``threads``: the
    fits side by side; one by default, as a service that builds a missing model (:func:`model_for`) must not take
    every core: ``boussole train`` (and ``make model``) pass every core."""
    data, n_staff = prepare(store, staff_weight, progress, ingester)
    return finish(data, n_staff, out, staff_weight, progress, threads=threads)


_CACHE: dict[tuple[str, float], TaggerModel] = {}
_LOCK = threading.Lock()


def model_for(path: Path | str | None = None) -> TaggerModel:
    """The model at `path` (default: the configured ``ingest.model_path()``), loaded once per file version; built
    from the committed data and saved there when missing (a fresh clone that skipped `make model`)."""
    p = Path(path) if path else model_path()
    with _LOCK:
        key = (str(p), p.stat().st_mtime if p.exists() else 0.0)
        if key in _CACHE:
            return _CACHE[key]
        model = load(p)
        if model is None:
            print(f"boussole: construction du modèle d'étiquetage {TAGGER_VERSION} dans {p} "
                  "(une fois ; « make model » le fait d'avance)", file=sys.stderr)
            model = train(out=p)
        _CACHE[(str(p), p.stat().st_mtime)] = model
        return model


def learning_curve(base: list[Example], pool: list[Example], heldout: list[Example], steps=(0, 50, 200, 1000),
                   staff_weight: float = STAFF_WEIGHT, seed: int = 0, ingester=None) -> list[dict]:
    """Accuracy on `heldout` of a model trained on `base` plus the first N items of `pool` taken as staff
    decisions (weight `staff_weight`), for each N of `steps` (simulated: the pool plays the staff)."""
    from ingest.evaluate import metrics

    rng = random.Random(seed)
    pool = list(pool)
    rng.shuffle(pool)
    fb = featurise(base, ingester)
    fp = featurise(pool, ingester)
    fh = featurise(heldout, ingester)
    out = []
    for n in steps:
        n = min(n, len(pool))
        data = Featurised(fb.examples + fp.examples[:n], fb.texts + fp.texts[:n], fb.dense + fp.dense[:n],
                          np.concatenate([fb.y, fp.y[:n]]),
                          np.concatenate([fb.w, np.full(n, staff_weight)]))
        model = fit(data, TAGGER_VERSION, calibrate=False)
        p = model.proba(fh.texts, fh.dense)
        prim = [LABELS[i] for i in p.argmax(axis=1)]
        pred = [{x.split("-")[0]} if x != "none" else {"none"} for x in prim]
        m = metrics(fh.examples, pred, prim)
        out.append({"decisions": n, "primary_engagement": m["primary_engagement"], "primary_champ": m["primary_champ"],
                    "none_precision": m["none_precision"]})
    return out
