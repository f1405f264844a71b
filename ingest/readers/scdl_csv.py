"""SCDL « Délibérations » CSV reader with the schema's validation rules.

Columns (schema.data.gouv.fr, scdl/deliberations): COLL_NOM, COLL_SIRET, DELIB_ID, DELIB_DATE, DELIB_MATIERE_CODE,
DELIB_MATIERE_NOM, DELIB_OBJET, BUDGET_ANNEE, BUDGET_NOM, PREF_ID, PREF_DATE, VOTE_EFFECTIF, VOTE_REEL, VOTE_POUR,
VOTE_CONTRE, VOTE_ABSTENTION, DELIB_URL. Lenient reading, strict reporting: a row is rejected (with its line and
reason) only when it cannot be identified or has no content; any other defect keeps the row with a finding
(``ingest.readers.values``). Encodings: UTF-8 (with or without BOM) or cp1252; separators ';', ',', tab or '|'
(:func:`kg.spreadsheet.guess_delimiter`); any line end.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

from ingest.readers import Item
from ingest.readers.values import check_votes, formula_findings, read_count, read_date, read_matiere, read_siret
from ingest.records import Deliberation, Finding, normalise_text
from kg.spreadsheet import SAMPLE_CHARS, guess_delimiter

COLUMNS = [
    "COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM", "DELIB_OBJET",
    "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE",
    "VOTE_ABSTENTION", "DELIB_URL",
]
IDENTITY = ["DELIB_ID"]
VOTES = ["VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION"]
TEXT_COLUMNS = ["COLL_NOM", "DELIB_OBJET", "DELIB_MATIERE_NOM", "BUDGET_NOM"]


def validate(row: Mapping[str, Any]) -> tuple[Deliberation | None, list[str]]:
    """Read one SCDL row (or JSON record with SCDL keys) leniently.

    The row is rejected (None and the reasons, in French) only when it cannot be identified (no DELIB_ID, or no
    collectivité: neither a SIRET nor a known COLL_NOM) or has no content (no objet and no text). Every other
    departure from the schema keeps the row and is recorded in ``record.findings``."""
    def get(column: str) -> str:
        value = row.get(column)
        return "" if value is None else str(value).strip()

    objet, texte, delib_id = get("DELIB_OBJET"), get("texte") or get("TEXTE"), get("DELIB_ID")
    if not get("COLL_SIRET") and re.fullmatch(r"\d{9}", get("COLL_SIREN")):   # a JSON record may give the SIREN
        siren, findings = get("COLL_SIREN"), []
    else:
        siren, findings = read_siret(get("COLL_SIRET"), get("COLL_NOM"))
    errors = []
    if not delib_id:
        errors.append("DELIB_ID vide : la délibération ne peut pas être identifiée")
    if siren is None:
        raw = get("COLL_SIRET")
        errors.append(f"COLL_SIRET {'vide' if not raw else f'« {raw} » illisible'} et COLL_NOM « {get('COLL_NOM')} » "
                      "inconnu : la collectivité ne peut pas être identifiée")
    if not objet and not texte:
        errors.append("DELIB_OBJET vide et aucun texte : la délibération n'a pas de contenu")
    if errors:
        return None, errors
    if not objet:
        objet = normalise_text(texte.split("\n", 1)[0])[:300]
        findings.append(Finding("objet-deduit", "DELIB_OBJET", "",
                                f"DELIB_OBJET vide : objet pris au début du texte (« {objet[:60]} »)"))
    findings += formula_findings({c: get(c) for c in TEXT_COLUMNS if get(c)})
    date, f = read_date(get("DELIB_DATE"), "DELIB_DATE")
    findings += f
    if not get("DELIB_DATE"):
        findings.append(Finding("date-absente", "DELIB_DATE", "",
                                "DELIB_DATE vide : la délibération n'est dans aucune période"))
    pref_date, f = read_date(get("PREF_DATE"), "PREF_DATE")
    findings += f
    code, nom, f = read_matiere(get("DELIB_MATIERE_CODE"), get("DELIB_MATIERE_NOM"), objet)
    findings += f
    annee = get("BUDGET_ANNEE")
    budget_annee = None
    if annee:
        if re.fullmatch(r"\d{4}", annee):
            budget_annee = int(annee)
        else:
            findings.append(Finding("annee-budget-invalide", "BUDGET_ANNEE", annee,
                                    f"BUDGET_ANNEE « {annee} » n'est pas une année sur 4 chiffres : valeur ignorée"))
    votes: dict[str, int | None] = {}
    for c in VOTES:
        votes[c], f = read_count(get(c), c)
        findings += f
    findings += check_votes(votes)
    url = get("DELIB_URL")
    if url and not re.match(r"^https?://\S+$", url):
        findings.append(Finding("url-invalide", "DELIB_URL", url,
                                f"DELIB_URL « {url} » n'est pas une URL http(s) : lien ignoré"))
        url = ""
    rec = Deliberation(
        objet=objet, delib_id=delib_id, siren=siren, coll_nom=get("COLL_NOM") or None, date=date,
        matiere_code=code, matiere_nom=nom, budget_annee=budget_annee,
        budget_nom=get("BUDGET_NOM") or None, pref_id=get("PREF_ID") or None, pref_date=pref_date,
        vote_effectif=votes["VOTE_EFFECTIF"], vote_reel=votes["VOTE_REEL"], vote_pour=votes["VOTE_POUR"],
        vote_contre=votes["VOTE_CONTRE"], vote_abstention=votes["VOTE_ABSTENTION"], url=url or None,
        texte=texte, findings=findings,
    )
    rec.label_id = rec.delib_id or ""
    return rec, []


def read_scdl_csv(path: Path) -> Iterator[Item]:
    """Yield one Item per data row of an SCDL CSV (header checked first; the delimiter guessed from the start)."""
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
    delimiter = guess_delimiter(fh.read(SAMPLE_CHARS))
    fh.seek(0)
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        yield from _rows(path, reader, file_hash)
    finally:
        fh.close()


def _rows(path: Path, reader, file_hash: str) -> Iterator[Item]:
    try:
        header = [h.strip().lstrip("\ufeff").strip().upper() for h in next(reader)]
    except StopIteration:
        yield Item(where=str(path), reason="fichier CSV vide")
        return
    except csv.Error as exc:
        yield Item(where=f"{path}:1", reason=f"CSV illisible : {exc}")
        return
    missing = [c for c in ("DELIB_ID", "DELIB_OBJET") if c not in header]
    if "COLL_SIRET" not in header and "COLL_NOM" not in header:
        missing.append("COLL_SIRET (ou COLL_NOM)")
    if missing:
        yield Item(where=f"{path}:1",
                   reason="en-tête SCDL sans les colonnes qui identifient une délibération : " + ", ".join(missing))
        return
    absent = [c for c in COLUMNS if c not in header]
    separator = "(tabulation)" if reader.dialect.delimiter == "\t" else f"« {reader.dialect.delimiter} »"
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
        extra: list[Finding] = []
        if len(values) > len(header):
            if any(v.strip() for v in values[len(header):]):
                yield Item(where=f"{path}:{line}",
                           reason=f"{len(values)} valeurs pour {len(header)} colonnes : un séparateur {separator} "
                                  "non protégé décale les colonnes, la ligne ne peut pas être lue sûrement")
                continue
            values = values[:len(header)]
        elif len(values) < len(header):
            extra.append(Finding("colonnes-manquantes", header[len(values)], "",
                                 f"{len(values)} valeurs pour {len(header)} colonnes : les dernières sont lues vides"))
            values = values + [""] * (len(header) - len(values))
        rec, errors = validate(dict(zip(header, values, strict=True)))
        if rec is None:
            yield Item(where=f"{path}:{line}", reason="; ".join(errors))
            continue
        if absent:
            extra.append(Finding("colonnes-absentes", absent[0], "",
                                 "colonnes absentes de l'en-tête : " + ", ".join(absent)))
        rec.findings[:0] = extra
        rec.source = f"{path.name}#L{line}"
        rec.source_hash = file_hash
        yield Item(record=rec, where=f"{path}:{line}")
