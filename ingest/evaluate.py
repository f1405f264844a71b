"""Evaluation of the tagger (and of the keyword baseline) on a labelled CSV.

Two shapes of labelled CSV are read (docs/tagging.md § 7):

- the development sets of tests/data/deliberations: `id, objet` (or `file`, a text relative to the CSV),
  `engagements` (« 1;3 » or « none »), `champs` (« 1-2;2-4 », the first is the primary champ), optional
  `alternatives` and `source`;
- the corpus (ingest/corpus): `labels.csv` with `id, engagements, primary_champ` (« 2.4 » or « none »),
  `alternatives`, joined by `id` with the `items.csv` beside it (`id, source, collectivite, objet, file, split`).

`alternatives` lists other acceptable answers, `E:E.C` (or `E:E-C`, or `none`) separated by `|` or `;`. The strict
scores compare the prediction with the label; the lenient ones also accept an alternative. Figures are given
overall and by `source`.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, Iterable

from ingest.records import Deliberation
from ingest.tagger import keyword_baseline

CLASSES = ["1", "2", "3", "none"]


@dataclass
class Example:
    id: str
    objet: str
    texte: str
    engagements: set[str]
    champs: list[str]                                   # E-C, the first is the primary champ
    alternatives: list[tuple[str, str | None]] = field(default_factory=list)   # (engagement, champ or None)
    source: str = ""
    split: str = ""
    weight: float = 1.0

    @property
    def primary(self) -> str:
        """The primary answer: a champ « E-C », or « none »."""
        return self.champs[0] if self.champs else "none"

    @property
    def primary_engagement(self) -> str:
        return self.champs[0].split("-")[0] if self.champs else sorted(self.engagements)[0]

    def acceptable_engagements(self) -> set[str]:
        return set(self.engagements) | {e for e, _ in self.alternatives}

    def acceptable_primaries(self) -> set[str]:
        return {self.primary} | set(self.champs) | {c or "none" for e, c in self.alternatives if c or e == "none"}


def _split(v: str | None) -> list[str]:
    return [x.strip() for x in (v or "").replace(",", ";").split(";") if x.strip()]


def champ_key(v: str) -> str | None:
    """« 2.4 », « 2-4 », « champ/2-4 » → « 2-4 »; « none » and empty → None."""
    v = (v or "").strip().lower().replace("champ/", "").replace(".", "-")
    return v if v and v not in ("none", "aucun") else None


def parse_alternatives(v: str | None) -> list[tuple[str, str | None]]:
    out = []
    for part in (v or "").replace(";", "|").split("|"):
        part = part.strip().lower()
        if not part:
            continue
        if part in ("none", "aucun"):
            out.append(("none", None))
            continue
        eng, _, champ = part.partition(":")
        c = champ_key(champ) if champ else (champ_key(eng) if "." in eng or "-" in eng else None)
        out.append(((c.split("-")[0] if c else eng.strip()), c))
    return out


def load_labelled(path: Path | str, split: str | None = None) -> list[Example]:
    """The examples of a labelled CSV (either shape); `split` keeps only the rows of that split (corpus)."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    items: dict[str, dict] = {}
    items_csv = path.parent / "items.csv"
    if rows and "objet" not in rows[0] and "file" not in rows[0] and items_csv.exists():
        with open(items_csv, encoding="utf-8", newline="") as fh:
            items = {r["id"]: r for r in csv.DictReader(fh)}
    out = []
    for row in rows:
        item = items.get(row["id"], {})
        merged = {**item, **{k: v for k, v in row.items() if v not in (None, "")}}
        if split and merged.get("split", "") != split:
            continue
        texte = ""
        f = merged.get("file") or merged.get("fichier")
        if f:
            texte = (path.parent / f).read_text(encoding="utf-8")
        engs = {e.lower() for e in _split(merged.get("engagements"))} or {"none"}
        if "primary_champ" in merged or "champs" not in merged:
            p = champ_key(merged.get("primary_champ", ""))
            champs = [p] if p else []
        else:
            champs = [c for c in (champ_key(x) for x in _split(merged.get("champs"))) if c]
        if champs and "none" in engs:
            engs = {champs[0].split("-")[0]}
        out.append(Example(row["id"], merged.get("objet") or "", texte, engs, champs,
                           parse_alternatives(merged.get("alternatives")), merged.get("source", "") or path.stem,
                           merged.get("split", "")))
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def metrics(examples: list[Example], pred: list[set[str]], pred_primary: list[str]) -> dict[str, Any]:
    """pred: predicted engagement sets; pred_primary: predicted primary answer (« E-C » or « none »)."""
    gold = [e.engagements for e in examples]
    per, tps = {}, Counter()
    for c in CLASSES:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if c in g and c in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if c not in g and c in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if c in g and c not in p)
        tps["tp"] += tp
        tps["fp"] += fp
        tps["fn"] += fn
        p, r, f = prf(tp, fp, fn)
        per[c] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    micro = prf(tps["tp"], tps["fp"], tps["fn"])
    macro = [sum(per[c][k] for c in CLASSES) / len(CLASSES) for k in ("precision", "recall", "f1")]
    n = len(examples)
    peng = [p.split("-")[0] if p != "none" else "none" for p in pred_primary]
    strict_eng = sum(1 for e, p in zip(examples, peng, strict=True) if p == e.primary_engagement)
    lenient_eng = sum(1 for e, p in zip(examples, peng, strict=True) if p in e.acceptable_engagements())
    strict_champ = sum(1 for e, p in zip(examples, pred_primary, strict=True) if p == e.primary)
    lenient_champ = sum(1 for e, p in zip(examples, pred_primary, strict=True) if p in e.acceptable_primaries())
    pred_none = [(e, p) for e, p in zip(examples, peng, strict=True) if p == "none"]
    none_prec_strict = sum(1 for e, _ in pred_none if e.primary == "none") / len(pred_none) if pred_none else 0.0
    none_prec_lenient = (sum(1 for e, _ in pred_none if "none" in e.acceptable_engagements()) / len(pred_none)
                         if pred_none else 0.0)
    conf = {g: {p: 0 for p in CLASSES} for g in CLASSES}
    for e, p in zip(examples, peng, strict=True):
        conf[e.primary_engagement][p] += 1
    exact = sum(1 for g, p in zip(gold, pred, strict=True) if g == p) / n if n else 0.0
    def ratio(k: int) -> float:
        return k / n if n else 0.0

    return {"per_engagement": per, "micro": dict(zip(("precision", "recall", "f1"), micro, strict=True)),
            "macro": dict(zip(("precision", "recall", "f1"), macro, strict=True)),
            "primary_engagement": {"strict": ratio(strict_eng), "lenient": ratio(lenient_eng)},
            "primary_champ": {"strict": ratio(strict_champ), "lenient": ratio(lenient_champ)},
            "none_precision": {"strict": none_prec_strict, "lenient": none_prec_lenient, "predicted": len(pred_none)},
            # kept for the reports of earlier versions
            "primary_champ_accuracy": ratio(strict_champ), "primary_champ_support": n,
            "exact_match": exact, "confusion": conf, "n": n}


def by_source(examples: list[Example], pred: list[set[str]], pred_primary: list[str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[e.source or "?"].append(i)
    out = {}
    for src, idx in sorted(groups.items()):
        m = metrics([examples[i] for i in idx], [pred[i] for i in idx], [pred_primary[i] for i in idx])
        out[src] = {"n": m["n"], "primary_engagement": m["primary_engagement"], "primary_champ": m["primary_champ"],
                    "micro_f1": m["micro"]["f1"], "none_precision": m["none_precision"]}
    return out


def predictions(ing, examples: Iterable[Example]) -> tuple[list[set[str]], list[str], list[tuple[float, float]]]:
    """(engagement sets, primary answers, (score of the primary answer, score of the primary engagement)) of the
    ingester's tagger; the scores are the stored bsl:score."""
    recs = [Deliberation(objet=e.objet, texte=e.texte, label_id=e.id) for e in examples]
    pred, prim, score = [], [], []
    for _, _, result in ing.analyse(recs):
        pred.append(set(result.engagement_numbers) or {"none"})
        top = result.champ_keys[0] if result.champ_keys else "none"
        prim.append(top)
        if result.aucun or not result.champs:
            s = result.aucun.score if result.aucun else 0.0
            score.append((s, s))
        else:
            e = next(t.score for t in result.engagements if t.target == f"engagement/{top.split('-')[0]}")
            score.append((result.champs[0].score, e))
    return pred, prim, score


BINS = [0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001]


def reliability(examples: list[Example], pred_primary: list[str], scores: list[tuple[float, float]]) -> dict[str, list]:
    """Score bins against observed accuracy: the primary answer (champ or none) with its score, and the primary
    engagement with its score. A calibrated score has accuracy ≈ mean score in every bin."""
    out: dict[str, list] = {"champ": [], "engagement": []}
    for kind, idx in (("champ", 0), ("engagement", 1)):
        for lo, hi in pairwise(BINS):
            rows = [(e, p, s[idx]) for e, p, s in zip(examples, pred_primary, scores, strict=True)
                    if lo <= s[idx] < hi]
            if not rows:
                continue
            if kind == "champ":
                ok = [p == e.primary for e, p, _ in rows]
            else:
                ok = [(p.split("-")[0] if p != "none" else "none") == e.primary_engagement for e, p, _ in rows]
            out[kind].append({"bin": f"{lo:.2f}–{min(hi, 1.0):.2f}", "n": len(rows),
                              "mean_score": sum(s for _, _, s in rows) / len(rows), "accuracy": sum(ok) / len(rows)})
    return out


def evaluate(path: Path | str, store=None, split: str | None = None, ingester=None) -> dict[str, Any]:
    from ingest.pipeline import Ingester, reference_store

    path = Path(path)
    examples = load_labelled(path, split)
    ing = ingester or Ingester(store if store is not None else reference_store())
    pred, pred_primary, scores = predictions(ing, examples)
    method = metrics(examples, pred, pred_primary)
    bpred, bprim = [], []
    for e in examples:
        champs = keyword_baseline(e.objet, e.texte)
        bpred.append({c.split("-")[0] for c in champs} or {"none"})
        bprim.append(champs[0] if champs else "none")
    baseline = metrics(examples, bpred, bprim)
    errors = [{"id": e.id, "objet": e.objet[:90], "gold": sorted(e.engagements), "pred": sorted(p)}
              for e, p in zip(examples, pred, strict=True) if e.engagements != p]
    return {"file": str(path), "split": split, "tagger": ing.agent_label, "method": method, "baseline": baseline,
            "by_source": by_source(examples, pred, pred_primary),
            "reliability": reliability(examples, pred_primary, scores), "errors": errors}


def print_report(report: dict[str, Any], console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    m, b = report["method"], report["baseline"]
    console.print(f"[bold]Évaluation de l'étiquetage[/bold] — {report['file']}"
                  f"{' (' + report['split'] + ')' if report.get('split') else ''} ({m['n']} délibérations, "
                  f"{report.get('tagger', '')})")
    s = Table(title="Réponse principale : stricte (l'étiquette) et tolérante (l'étiquette ou une alternative admise)")
    for col in ("mesure", "strict", "tolérant", "référence mots-clés (tolérant)"):
        s.add_column(col, justify="right")
    s.add_row("engagement principal", f"{m['primary_engagement']['strict']:.3f}",
              f"{m['primary_engagement']['lenient']:.3f}", f"{b['primary_engagement']['lenient']:.3f}")
    s.add_row("champ principal", f"{m['primary_champ']['strict']:.3f}", f"{m['primary_champ']['lenient']:.3f}",
              f"{b['primary_champ']['lenient']:.3f}")
    s.add_row(f"précision de « none » ({m['none_precision']['predicted']} prédits)",
              f"{m['none_precision']['strict']:.3f}", f"{m['none_precision']['lenient']:.3f}",
              f"{b['none_precision']['lenient']:.3f}")
    console.print(s)
    t = Table(title="Précision / rappel / F1 par engagement (méthode | référence mots-clés)")
    for col in ("engagement", "support", "P", "R", "F1", "P base", "R base", "F1 base"):
        t.add_column(col, justify="right")
    for c in CLASSES:
        pm, pb = m["per_engagement"][c], b["per_engagement"][c]
        t.add_row(c, str(pm["support"]), f"{pm['precision']:.3f}", f"{pm['recall']:.3f}", f"{pm['f1']:.3f}",
                  f"{pb['precision']:.3f}", f"{pb['recall']:.3f}", f"{pb['f1']:.3f}")
    for avg in ("micro", "macro"):
        t.add_row(avg, "", f"{m[avg]['precision']:.3f}", f"{m[avg]['recall']:.3f}", f"{m[avg]['f1']:.3f}",
                  f"{b[avg]['precision']:.3f}", f"{b[avg]['recall']:.3f}", f"{b[avg]['f1']:.3f}")
    console.print(t)
    console.print(f"Ensemble d'engagements exact : {m['exact_match']:.3f} (référence : {b['exact_match']:.3f})")
    if len(report.get("by_source", {})) > 1:
        bs = Table(title="Par source (tolérant)")
        for col in ("source", "n", "engagement principal", "champ principal", "micro F1", "précision none"):
            bs.add_column(col, justify="right")
        for src, v in report["by_source"].items():
            none_precision = f"{v['none_precision']['lenient']:.3f}" if v["none_precision"]["predicted"] else "-"
            bs.add_row(src, str(v["n"]), f"{v['primary_engagement']['lenient']:.3f}",
                       f"{v['primary_champ']['lenient']:.3f}", f"{v['micro_f1']:.3f}", none_precision)
        console.print(bs)
    rt = Table(title="Fiabilité du score (bsl:score) : exactitude observée par tranche de score")
    for col in ("réponse", "tranche", "n", "score moyen", "exactitude"):
        rt.add_column(col, justify="right")
    for kind, label in (("champ", "champ principal"), ("engagement", "engagement principal")):
        for b in report.get("reliability", {}).get(kind, []):
            rt.add_row(label, b["bin"], str(b["n"]), f"{b['mean_score']:.3f}", f"{b['accuracy']:.3f}")
    console.print(rt)
    ct = Table(title="Matrice de confusion (engagement principal : réel en ligne, prédit en colonne)")
    ct.add_column("réel \\ prédit")
    for c in CLASSES:
        ct.add_column(c, justify="right")
    for g in CLASSES:
        ct.add_row(g, *[str(m["confusion"][g][p]) for p in CLASSES])
    console.print(ct)
