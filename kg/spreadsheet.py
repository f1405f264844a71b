"""CSV meant for spreadsheets: cells that a spreadsheet would run as a formula are neutralised.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return followed by one) is a formula to Excel
and LibreOffice (CSV injection, OWASP). Such a cell gets a leading apostrophe, which spreadsheets show as text.
Numbers keep their sign: ``-12.5`` stays a number.
"""

from __future__ import annotations

import csv
import io
import re

_FORMULA = re.compile(r"^[\t\r]*[=+\-@]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def neutralise(cell: str | None) -> str:
    if not cell:
        return cell or ""
    if _FORMULA.match(cell) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def neutralise_csv(data: bytes) -> bytes:
    """The same CSV document (UTF-8, CRLF as SPARQL results CSV) with every formula cell neutralised."""
    rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return out.getvalue().encode("utf-8")
