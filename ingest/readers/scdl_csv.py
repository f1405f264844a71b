"""SCDL « Délibérations » CSV reader with the schema's validation rules.

Columns (schema.data.gouv.fr, scdl/deliberations): COLL_NOM, COLL_SIRET, DELIB_ID, DELIB_DATE, DELIB_MATIERE_CODE,
DELIB_MATIERE_NOM, DELIB_OBJET, BUDGET_ANNEE, BUDGET_NOM, PREF_ID, PREF_DATE, VOTE_EFFECTIF, VOTE_REEL, VOTE_POUR,
VOTE_CONTRE, VOTE_ABSTENTION, DELIB_URL. A row that breaks a rule is reported with its line and reason; the other
rows go in.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from ingest.readers import Item
from ingest.records import Deliberation

COLUMNS = [
    "COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM", "DELIB_OBJET",
    "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE",
    "VOTE_ABSTENTION", "DELIB_URL",
]
REQUIRED = ["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM", "DELIB_OBJET"]
VOTES = ["VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"]
SIRET_RE = re.compile(r"^\d{14}$")
MATIERE_RE = re.compile(r"^[1-9]\d?(\.[1-9]\d?){0,3}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: str, column: str, errors: list[str]) -> str | None:
    if not value:
        return None
    if not DATE_RE.match(value):
        errors.append(f"{column} « {value} » n'est pas une date AAAA-MM-JJ")
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{column} « {value} » n'est pas une date valide")
        return None
    return value


def _int(value: str, column: str, errors: list[str]) -> int | None:
    if value == "":
        return None
    if not re.fullmatch(r"\d+", value):
        errors.append(f"{column} « {value} » n'est pas un entier positif")
        return None
    return int(value)


def validate(row: Mapping[str, Any]) -> tuple[Deliberation | None, list[str]]:
    """Check one SCDL row (or JSON record with SCDL keys) against the schema; return the record or the reasons."""
    def get(c: str) -> str:
        return ("" if row.get(c) is None else str(row.get(c))).strip()

    errors: list[str] = []
    for c in REQUIRED:
        if not get(c):
            errors.append(f"{c} obligatoire et vide")
    siret = get("COLL_SIRET").replace(" ", "")
    if siret and not SIRET_RE.match(siret):
        errors.append(f"COLL_SIRET « {siret} » doit compter 14 chiffres")
    date = _date(get("DELIB_DATE"), "DELIB_DATE", errors)
    pref_date = _date(get("PREF_DATE"), "PREF_DATE", errors)
    code = get("DELIB_MATIERE_CODE")
    if code and not MATIERE_RE.match(code):
        errors.append(f"DELIB_MATIERE_CODE « {code} » n'est pas un code de la nomenclature ACTES (ex. 7.5)")
    annee = get("BUDGET_ANNEE")
    budget_annee = None
    if annee:
        if not re.fullmatch(r"\d{4}", annee):
            errors.append(f"BUDGET_ANNEE « {annee} » doit être une année sur 4 chiffres")
        else:
            budget_annee = int(annee)
    votes = {c: _int(get(c), c, errors) for c in VOTES}
    eff = votes["VOTE_EFFECTIF"]
    if eff is not None:
        cast = sum(v for k, v in votes.items() if k in ("VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION") and v is not None)
        if cast > eff:
            errors.append(f"VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION ({cast}) dépasse VOTE_EFFECTIF ({eff})")
        if votes["VOTE_REEL"] is not None and votes["VOTE_REEL"] > eff:
            errors.append(f"VOTE_REEL ({votes['VOTE_REEL']}) dépasse VOTE_EFFECTIF ({eff})")
    url = get("DELIB_URL")
    if url and not re.match(r"^https?://\S+$", url):
        errors.append(f"DELIB_URL « {url} » n'est pas une URL http(s)")
    if errors:
        return None, errors
    rec = Deliberation(
        objet=get("DELIB_OBJET"), delib_id=get("DELIB_ID"), siren=siret[:9], coll_nom=get("COLL_NOM"), date=date,
        matiere_code=code, matiere_nom=get("DELIB_MATIERE_NOM"), budget_annee=budget_annee,
        budget_nom=get("BUDGET_NOM") or None, pref_id=get("PREF_ID") or None, pref_date=pref_date,
        vote_effectif=eff, vote_reel=votes["VOTE_REEL"], vote_pour=votes["VOTE_POUR"],
        vote_contre=votes["VOTE_CONTRE"], vote_abstention=votes["VOTE_ABSTENTION"], url=url or None,
        texte=get("texte") or get("TEXTE"),
    )
    rec.label_id = rec.delib_id or ""
    return rec, []


def read_scdl_csv(path: Path) -> Iterator[Item]:
    """Yield one Item per data row of an SCDL CSV (header checked first; `;` or `,` separated)."""
    # one streaming pass for the hash and the encoding, then a streaming CSV read: memory stays flat
    try:
        h = hashlib.sha256()
        decoder = codecs.getincrementaldecoder("utf-8")()
        encoding = "utf-8-sig"
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
                if encoding == "utf-8-sig":
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        encoding = "cp1252"
    except OSError as exc:
        yield Item(where=str(path), reason=f"illisible : {exc}")
        return
    file_hash = h.hexdigest()[:16]
    fh = open(path, encoding=encoding, errors="replace", newline="")
    first = fh.readline()
    fh.seek(0)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        yield from _rows(path, reader, file_hash)
    finally:
        fh.close()


def _rows(path: Path, reader, file_hash: str) -> Iterator[Item]:
    try:
        header = [h.strip().upper() for h in next(reader)]
    except StopIteration:
        yield Item(where=str(path), reason="fichier CSV vide")
        return
    except csv.Error as exc:
        yield Item(where=f"{path}:1", reason=f"CSV illisible : {exc}")
        return
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        yield Item(where=f"{path}:1", reason="en-tête SCDL incomplet, colonnes manquantes : " + ", ".join(missing))
        return
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Item(where=f"{path}:{line}", reason=f"ligne CSV mal formée : {exc}")
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            yield Item(where=f"{path}:{line}", reason=f"{len(values)} valeurs pour {len(header)} colonnes")
            continue
        rec, errors = validate(dict(zip(header, values, strict=False)))
        if rec is None:
            yield Item(where=f"{path}:{line}", reason="; ".join(errors))
            continue
        rec.source = f"{path.name}#L{line}"
        rec.source_hash = file_hash
        yield Item(record=rec, where=f"{path}:{line}")
