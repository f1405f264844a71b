"""Readers turn inputs (SCDL CSV, .txt/.pdf/.docx documents, folders, JSON records) into Deliberation records.

Every reader is a generator of ``Item``: a record, or a skip with its place and reason. Readers never raise on bad
input: a bad row or a corrupt file becomes a skip and the others go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ingest.records import Deliberation

DOCUMENT_SUFFIXES = {".txt", ".pdf", ".docx"}
CSV_SUFFIXES = {".csv"}


@dataclass
class Item:
    record: Deliberation | None = None
    where: str = ""          # file, file:line
    reason: str = ""         # why it was skipped (when record is None)

    @property
    def ok(self) -> bool:
        return self.record is not None


def iter_inputs(paths: Iterable[str | Path]) -> Iterator[Item]:
    """Records from files and folders (folders are walked in sorted order; unknown suffixes are reported)."""
    from ingest.readers.documents import read_document
    from ingest.readers.scdl_csv import read_scdl_csv

    for raw in paths:
        path = Path(raw)
        if not path.exists():
            yield Item(where=str(path), reason="fichier introuvable")
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            suffix = f.suffix.lower()
            if suffix in CSV_SUFFIXES:
                yield from read_scdl_csv(f)
            elif suffix in DOCUMENT_SUFFIXES:
                yield read_document(f)
            elif path.is_dir():
                continue  # folders may hold other files (images, notes): ignored silently
            else:
                yield Item(where=str(f), reason=f"format non pris en charge ({suffix or 'sans extension'}) : "
                                                ".csv, .txt, .pdf, .docx attendus")


def count_inputs(paths: Iterable[str | Path]) -> int | None:
    """A cheap estimate of the number of records (CSV rows + documents) for a progress bar."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            s = f.suffix.lower()
            if s in CSV_SUFFIXES:
                try:
                    with open(f, "rb") as fh:
                        total += max(0, sum(1 for _ in fh) - 1)
                except OSError:
                    pass
            elif s in DOCUMENT_SUFFIXES:
                total += 1
    return total
