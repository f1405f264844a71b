"""Evaluation of the tagger (and of the keyword baseline) on a labelled CSV.

CSV columns: id, objet, engagements (« 1;3 » or « none »), champs (« 1-2;2-4 », first = primary), rationale; optional
`file` (a text file relative to the CSV whose content is the deliberation's full text).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.records import Deliberation
from ingest.tagger import keyword_baseline

CLASSES = ["1", "2", "3", "none"]


@dataclass
class Example:
    id: str
    objet: str
    texte: str
    engagements: set[str]
    champs: list[str]


def _split(v: str) -> list[str]:
    return [x.strip() for x in (v or "").replace(",", ";").split(";") if x.strip()]


def load_labelled(path: Path) -> list[Example]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texte = ""
            f = row.get("file") or row.get("fichier")
            if f:
                texte = (path.parent / f).read_text(encoding="utf-8")
            engs = {e.lower() for e in _split(row["engagements"])}
            out.append(Example(row["id"], row.get("objet") or "", texte, engs or {"none"}, _split(row.get("champs", ""))))
    return out


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def metrics(gold: list[set[str]], pred: list[set[str]], gold_primary: list[str | None], pred_primary: list[str | None],
            gold_eng_primary: list[str], pred_eng_primary: list[str]) -> dict[str, Any]:
    per, tps = {}, Counter()
    for c in CLASSES:
        tp = sum(1 for g, p in zip(gold, pred, strict=False) if c in g and c in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=False) if c not in g and c in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=False) if c in g and c not in p)
        tps["tp"] += tp
        tps["fp"] += fp
        tps["fn"] += fn
        p, r, f = prf(tp, fp, fn)
        per[c] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    micro = prf(tps["tp"], tps["fp"], tps["fn"])
    macro = [sum(per[c][k] for c in CLASSES) / len(CLASSES) for k in ("precision", "recall", "f1")]
    scored = [(g, p) for g, p in zip(gold_primary, pred_primary, strict=False) if g]
    acc = sum(1 for g, p in scored if g == p) / len(scored) if scored else 0.0
    conf = {g: {p: 0 for p in CLASSES} for g in CLASSES}
    for g, p in zip(gold_eng_primary, pred_eng_primary, strict=False):
        conf[g][p] += 1
    exact = sum(1 for g, p in zip(gold, pred, strict=False) if g == p) / len(gold) if gold else 0.0
    return {"per_engagement": per, "micro": dict(zip(("precision", "recall", "f1"), micro, strict=False)),
            "macro": dict(zip(("precision", "recall", "f1"), macro, strict=False)), "primary_champ_accuracy": acc,
            "primary_champ_support": len(scored), "exact_match": exact, "confusion": conf, "n": len(gold)}


def evaluate(path: Path | str, store=None) -> dict[str, Any]:
    from ingest.pipeline import Ingester, reference_store

    path = Path(path)
    examples = load_labelled(path)
    ing = Ingester(store if store is not None else reference_store())
    recs = [Deliberation(objet=e.objet, texte=e.texte, label_id=e.id) for e in examples]
    gold = [e.engagements for e in examples]
    gold_primary = [e.champs[0] if e.champs else None for e in examples]
    gold_eng_primary = [(e.champs[0].split("-")[0] if e.champs else sorted(e.engagements)[0]) for e in examples]
    pred, pred_primary, pred_eng_primary = [], [], []
    for _rec, _, result in ing.analyse(recs):
        engs = set(result.engagement_numbers) or {"none"}
        pred.append(engs)
        top = result.champ_keys[0] if result.champ_keys else None
        pred_primary.append(top)
        pred_eng_primary.append(top.split("-")[0] if top else "none")
    method = metrics(gold, pred, gold_primary, pred_primary, gold_eng_primary, pred_eng_primary)
    bpred, bprim, beng = [], [], []
    for e in examples:
        champs = keyword_baseline(e.objet, e.texte)
        bpred.append({c.split("-")[0] for c in champs} or {"none"})
        bprim.append(champs[0] if champs else None)
        beng.append(champs[0].split("-")[0] if champs else "none")
    baseline = metrics(gold, bpred, gold_primary, bprim, gold_eng_primary, beng)
    errors = [{"id": e.id, "objet": e.objet[:90], "gold": sorted(g), "pred": sorted(p)}
              for e, g, p in zip(examples, gold, pred, strict=False) if g != p]
    return {"file": str(path), "method": method, "baseline": baseline, "errors": errors}


def print_report(report: dict[str, Any], console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    m, b = report["method"], report["baseline"]
    console.print(f"[bold]Évaluation de l'étiquetage[/bold] — {report['file']} ({m['n']} délibérations)")
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
    console.print(f"Exactitude du champ principal : {m['primary_champ_accuracy']:.3f} "
                  f"(référence mots-clés : {b['primary_champ_accuracy']:.3f}) sur {m['primary_champ_support']} "
                  "délibérations ; "
                  f"ensemble d'engagements exact : {m['exact_match']:.3f} (référence : {b['exact_match']:.3f})")
    ct = Table(title="Matrice de confusion (engagement principal : réel en ligne, prédit en colonne)")
    ct.add_column("réel \\ prédit")
    for c in CLASSES:
        ct.add_column(c, justify="right")
    for g in CLASSES:
        ct.add_row(g, *[str(m["confusion"][g][p]) for p in CLASSES])
    console.print(ct)
