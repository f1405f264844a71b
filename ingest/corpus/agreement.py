"""Agreement between the corpus's two labellers, and the adjudicated labels.

    python ingest/corpus/agreement.py            # report agreement, write disagreements.csv
    python ingest/corpus/agreement.py --final    # also write labels.csv (needs adjudication.csv for every disagreement)

Labeller A (`labels-a.csv`, the corpus writer) and labeller B (`labels-b.csv`, who saw only the guide and the items)
labelled apart. Two labels *agree* when they give the same engagements (as a set) and the same primary champ.
Agreed items keep A's label with the alternatives of both; every disagreement is decided by an adjudicator in
`adjudication.csv` (same columns as the labels), who saw both labels and the guide.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ["id", "engagements", "primary_champ", "confidence", "alternatives", "rationale"]
Label = dict[str, str]


def read(path: Path) -> dict[str, Label]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def engagements(label: Label) -> frozenset[str]:
    return frozenset(x.strip() for x in label["engagements"].split(";") if x.strip())


def primary(label: Label) -> str:
    return label["engagements"].split(";")[0].strip()


def agree(a: Label, b: Label) -> bool:
    return engagements(a) == engagements(b) and a["primary_champ"] == b["primary_champ"]


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two labellers' categorical answers."""
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(ca[k] * cb[k] for k in ca.keys() | cb.keys()) / (n * n)
    return (observed - expected) / (1 - expected)


def merged_alternatives(*labels: Label) -> str:
    seen: list[str] = []
    for label in labels:
        for alt in (label.get("alternatives") or "").split("|"):
            if alt.strip() and alt.strip() not in seen:
                seen.append(alt.strip())
    return "|".join(seen)


def report(a: dict[str, Label], b: dict[str, Label]) -> list[str]:
    ids = sorted(a.keys() & b.keys())
    lines = [f"items labelled by both: {len(ids)} (A {len(a)}, B {len(b)})"]
    measures = {
        "primary engagement": [(primary(a[i]), primary(b[i])) for i in ids],
        "engagement set": [("+".join(sorted(engagements(a[i]))), "+".join(sorted(engagements(b[i])))) for i in ids],
        "primary champ": [(a[i]["primary_champ"], b[i]["primary_champ"]) for i in ids],
    }
    for name, pairs in measures.items():
        raw = sum(x == y for x, y in pairs) / len(pairs)
        lines.append(f"{name}: raw agreement {raw:.3f}, Cohen's kappa {kappa(pairs):.3f}")
    lenient = sum(
        agree(a[i], b[i])
        or f"{primary(b[i])}:{b[i]['primary_champ']}" in merged_alternatives(a[i]).split("|")
        or f"{primary(a[i])}:{a[i]['primary_champ']}" in merged_alternatives(b[i]).split("|")
        for i in ids
    ) / len(ids)
    lines.append(f"full label (engagements + primary champ): strict {sum(agree(a[i], b[i]) for i in ids) / len(ids):.3f}"
                 f", lenient (one's answer among the other's alternatives) {lenient:.3f}")
    return lines


def write(path: Path, rows: list[Label], columns: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--final", action="store_true", help="write labels.csv from agreements and adjudication.csv")
    args = parser.parse_args()
    a, b = read(HERE / "labels-a.csv"), read(HERE / "labels-b.csv")
    items = read(HERE / "items.csv")
    print("\n".join(report(a, b)))
    ids = [i for i in items if i in a and i in b]
    disagreements = [i for i in ids if not agree(a[i], b[i])]
    rows = []
    for i in disagreements:
        row = {"id": i, "source": items[i]["source"], "objet": items[i]["objet"], "file": items[i]["file"]}
        for who, label in (("a", a[i]), ("b", b[i])):
            row |= {f"{k}_{who}": label[k] for k in COLUMNS[1:]}
        rows.append(row)
    write(HERE / "disagreements.csv", rows,
          ["id", "source", "objet", "file"] + [f"{k}_{w}" for w in "ab" for k in COLUMNS[1:]])
    print(f"disagreements: {len(disagreements)} written to disagreements.csv")
    if not args.final:
        return
    decided = read(HERE / "adjudication.csv")
    if decided and not set(COLUMNS) <= set(next(iter(decided.values()))):
        raise SystemExit(f"adjudication.csv: the columns must be {','.join(COLUMNS)}")
    missing = [i for i in disagreements if i not in decided]
    if missing:
        raise SystemExit(f"adjudication.csv: {len(missing)} disagreements undecided, e.g. {missing[:5]}")
    final = []
    for i in ids:
        if i in decided:
            final.append({k: decided[i][k] for k in COLUMNS} | {"rationale": "arbitrage : " + decided[i]["rationale"]})
        else:
            final.append(a[i] | {"alternatives": merged_alternatives(a[i], b[i])})
    write(HERE / "labels.csv", final, COLUMNS)
    print(f"labels.csv: {len(final)} labels ({len(final) - len(decided)} agreed, {len(decided)} adjudicated)")


if __name__ == "__main__":
    main()
