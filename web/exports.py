"""Every table and chart of the pages as a file: XLSX (openpyxl), French CSV, standard CSV and JSON.

- ``xlsx``: one sheet, typed cells (numbers stay numbers), a bold header row, frozen; opens in any spreadsheet.
- ``csv-fr``: what a French spreadsheet opens cleanly by double-click: « ; » separator, UTF-8 with BOM, decimal
  comma, CRLF.
- ``csv``: RFC 4180 (« , », decimal point, UTF-8 without BOM), for programs.
- ``json``: ``{"titre", "colonnes", "lignes"}`` with numbers as JSON numbers and nothing as ``null``.

Text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return) are neutralised in the spreadsheet-bound exports (XLSX and both CSV) by a leading apostrophe, as OWASP
recommends against CSV injection; JSON keeps the text as it is.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.responses import Response

FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv-fr": ("text/csv; charset=utf-8", "csv"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | number | money | url
    link: bool = False  # on the page, the cell links to the row's ``href``


@dataclass
class Table:
    """A table as exported: a name for the file, a title, typed columns and rows of plain values."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


NUMERIC = {"integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "negativeInteger",
           "nonPositiveInteger", "decimal", "double", "float"}


def kind_of(terms: list) -> str:
    """The column kind of SPARQL result terms: ``int`` or ``number`` when every literal is numeric, else text."""
    kinds = set()
    for t in terms:
        if t is None:
            continue
        dt = getattr(getattr(t, "datatype", None), "value", "") or ""
        name = dt.rsplit("#", 1)[-1] if dt.startswith("http://www.w3.org/2001/XMLSchema#") else ""
        if name not in NUMERIC:
            return "text"
        kinds.add("number" if name in ("decimal", "double", "float") else "int")
    return "number" if "number" in kinds else ("int" if kinds else "text")


def neutralise(value: Any) -> Any:
    """A text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _typed(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind == "int":
        return int(Decimal(str(value)))
    if kind in ("number", "money"):
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)


def typed_rows(table: Table) -> list[list[Any]]:
    return [[_typed(row.get(c.key), c.kind) for c in table.columns] for row in table.rows]


def to_json(table: Table) -> bytes:
    lines = [{c.key: v for c, v in zip(table.columns, values, strict=True)} for values in typed_rows(table)]
    body = {"titre": table.title,
            "colonnes": [{"cle": c.key, "libelle": c.label, "type": c.kind} for c in table.columns],
            "lignes": lines}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def _fr_number(value: float | int) -> str:
    return str(value).replace(".", ",") if isinstance(value, float) else str(value)


def to_csv(table: Table, french: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if french else ",", lineterminator="\r\n")
    writer.writerow([neutralise(c.label) for c in table.columns])
    for values in typed_rows(table):
        cells = []
        for v in values:
            if v is None:
                cells.append("")
            elif isinstance(v, (int, float)):
                cells.append(_fr_number(v) if french else str(v))
            else:
                cells.append(neutralise(v))
        writer.writerow(cells)
    text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8") if french else text.encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31] or "Boussole"
    ws.append([c.label for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in typed_rows(table):
        ws.append([neutralise(v) for v in values])
    for k, c in enumerate(table.columns, start=1):
        letter = ws.cell(row=1, column=k).column_letter
        if c.kind == "money":
            for (cell,) in ws.iter_rows(min_row=2, min_col=k, max_col=k):
                cell.number_format = "#,##0 €"
        width = max([len(c.label)] + [len(str(r[k - 1] or "")) for r in typed_rows(table)[:200]])
        ws.column_dimensions[letter].width = min(60, max(8, width + 2))
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def encode(table: Table, fmt: str) -> bytes:
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "json":
        return to_json(table)
    return to_csv(table, french=fmt == "csv-fr")


def response(table: Table, fmt: str) -> Response:
    """The download of ``table`` in ``fmt`` (one of :data:`FORMATS`)."""
    media, ext = FORMATS[fmt]
    suffix = "-fr" if fmt == "csv-fr" else ""
    name = re.sub(r"[^a-z0-9-]+", "-", table.name.lower()).strip("-") or "export"
    return Response(encode(table, fmt), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="boussole-{name}{suffix}.{ext}"'})
