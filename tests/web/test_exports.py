"""Exports of tables: what each format writes, and spreadsheet formulas neutralised (no browser needed)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from web.exports import Column, Table, encode

TABLE = Table("essai", "Essai d'export", [Column("nom", "Nom"), Column("n", "Nombre", "int"),
                                         Column("part", "Part", "number"), Column("montant", "Montant", "money")],
              [{"nom": "=HYPERLINK(\"http://x\")", "n": "3", "part": 0.25, "montant": 1500000.0},
               {"nom": "Denain", "n": 12, "part": None, "montant": -20.5},
               {"nom": "@SUM(A1)", "n": 0, "part": 1, "montant": None}])


def test_french_csv_has_bom_semicolons_and_decimal_commas():
    body = encode(TABLE, "csv-fr")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nom", "Nombre", "Part", "Montant"]
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "3", "0,25", "1500000"]
    assert rows[2] == ["Denain", "12", "", "-20,5"]  # a negative number stays a number
    assert rows[3][0] == "'@SUM(A1)"


def test_standard_csv_and_typed_json():
    rows = list(csv.reader(io.StringIO(encode(TABLE, "csv").decode("utf-8"))))
    assert rows[1][2:] == ["0.25", "1500000"]
    data = json.loads(encode(TABLE, "json"))
    assert data["lignes"][0] == {"nom": "=HYPERLINK(\"http://x\")", "n": 3, "part": 0.25, "montant": 1500000}
    assert data["lignes"][1]["part"] is None and data["lignes"][2]["part"] == 1


def test_xlsx_keeps_numbers_as_numbers_and_formulas_inert():
    sheet = load_workbook(io.BytesIO(encode(TABLE, "xlsx"))).active
    assert [c.value for c in sheet[1]] == ["Nom", "Nombre", "Part", "Montant"]
    assert [c.value for c in sheet[2]] == ["'=HYPERLINK(\"http://x\")", 3, 0.25, 1500000]
    assert sheet["A2"].data_type == "s" and sheet["B3"].value == 12 and sheet["D3"].value == -20.5
