"""Reading the CSV files staff export (spreadsheets: UTF-8 with or without BOM, or Windows-1252; semicolon, comma,
tab or '|'), with errors that name the file, and French decimal numbers."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.errors import BoussoleError
from kg.spreadsheet import guess_delimiter

_SPACES = re.compile(r"[\s\u00a0\u202f]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BoussoleError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BoussoleError(f"{path}: neither UTF-8 nor Windows-1252 text")


def read_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each non-empty row; the header must hold ``columns`` (any order, any case)."""
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=guess_delimiter(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise BoussoleError(f"{path}:1: en-tête incomplet : colonne(s) manquante(s) {', '.join(missing)} "
                            f"(attendu : {','.join(columns)})")
    index = {c: header.index(c) for c in columns}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        yield reader.line_num, {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}


def parse_number(raw: str) -> Decimal | None:
    """« 1 234,5 », « 1234.5 », « -20 » → Decimal; anything else → None."""
    text = _SPACES.sub("", raw)
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def decimal_lexical(value: Decimal) -> str:
    """The canonical-ish xsd:decimal form (« 42.0 », « 0.39 », « -20.0 »)."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"
