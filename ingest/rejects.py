"""The rejects of an ingest run as a CSV for staff: one row per input that could not be kept, with its reason.

Columns ``fichier``, ``ligne`` (empty for a whole file, a document or an API record) and ``raison`` (French). The CLI
writes one per run (``boussole ingest --rejects FILE``, default `default_rejects_path`); other doors (an import page)
can write the same file from a `Summary`'s ``skipped``.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Iterable

COLUMNS = ["fichier", "ligne", "raison"]


def default_rejects_path(store_path: str | Path) -> Path:
    """rejets/ingest-<UTC time>.csv next to the store (var/store → var/rejets/ingest-20250317T101500Z.csv)."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path(store_path).resolve().parent / "rejets" / f"ingest-{stamp}.csv"


def reject_rows(skipped: Iterable[tuple[str, str]]) -> Iterable[list[str]]:
    """``(where, reason)`` → ``[fichier, ligne, raison]``: ``where`` is ``file:line``, a file, or a record name."""
    for where, reason in skipped:
        file, _, line = where.rpartition(":")
        if not (file and line.isdigit()):
            file, line = where, ""
        yield [file, line, reason]


def _cell(text: str) -> str:
    """A spreadsheet opens this file: a cell starting like a formula is written as text (leading apostrophe)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_rejects(path: Path, skipped: Iterable[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        w.writerows([_cell(c) for c in row] for row in reject_rows(skipped))
