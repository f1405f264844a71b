"""CSV and spreadsheets: the delimiter of a CSV a spreadsheet exported; formulas neutralised in CSV meant for one.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return followed by one) is a formula to Excel
and LibreOffice (CSV injection, OWASP). Such a cell gets a leading apostrophe, which spreadsheets show as text.
Numbers keep their sign: ``-12.5`` stays a number.
"""

from __future__ import annotations

import csv
import io
import re

DELIMITERS = ";,\t|"  # what spreadsheets and exporting tools write (French Excel: ';')
SAMPLE_CHARS = 1 << 16  # the start of a file read to guess its delimiter
_FORMULA = re.compile(r"^[\t\r]*[=+\-@]")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def guess_delimiter(text: str) -> str:
    """The delimiter of a CSV export (one of ``DELIMITERS``), from its text or the start of it (header first).

    ``csv.Sniffer`` decides, among the delimiters the header holds (a header holding none is one column; holding
    one, that is the delimiter). It is not asked alone: it takes a phrase between apostrophes for a quoted field,
    and in « …;Avenant au marché, 'Entretien des espaces verts', lot 3;… » it saw a ',' delimiter; so it decides
    only between the header's candidates, and apostrophes, which no export quotes with, are not quotes to it
    (tests/ingest/test_ingest_facts.py: ``test_csv_delimiter_quirks``). When the rows are too ragged for it to
    decide (trailing empty cells dropped), the candidate the header holds most wins.
    """
    lines = text[:SAMPLE_CHARS].splitlines()  # any line end (old Mac exports end lines with CR alone)
    if len(text) >= SAMPLE_CHARS and len(lines) > 1:
        lines.pop()  # cut in the middle
    header = lines[0] if lines else ""
    candidates = "".join(d for d in DELIMITERS if d in header)
    if len(candidates) <= 1:
        return candidates or ","
    sample = "\n".join(lines).replace("'", "\u2019")
    try:
        return csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        return max(candidates, key=header.count)


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
