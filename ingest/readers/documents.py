"""Deliberation documents (.txt, .pdf text layer, .docx): text extraction and header parsing.

The header of a French deliberation gives, in varying layouts: the collectivité, the number
(« Délibération n° 2024-045 »), the session date (« Séance du 12 mars 2024 »), the ACTES matière
(« Matière : 7.5 ») and the object (« Objet : … »). What is not found stays empty; the IRI then falls back to the
hash of the text.
"""

from __future__ import annotations

import csv
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from ingest.readers import Item
from ingest.records import CAPH_SIREN, Deliberation, Finding, normalise_text, slug

MONTHS = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12, "décembre": 12,
}
DATE_WORDS = (r"(\d{1,2})(?:er)?\s+"
              r"(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre)"
              r"\s+(\d{4})")
NUMBER_RE = re.compile(r"d[ée]lib[ée]ration\s*(?:n\s*[°º]|no\.?|n(?=\s)|num[ée]ro)\s*:?\s*"
                       r"([A-Za-z0-9_./-]*\d[A-Za-z0-9_./-]*[A-Za-z0-9])", re.I)
# the acte's number at the prefecture (ACTES): 059-200042190-20240212-2024012-DE
PREF_ID_RE = re.compile(r"\b\d{3}-\d{9}-\d{8}-[A-Za-z0-9_]+-[A-Z]{2}\b")
OBJET_RE = re.compile(r"^\s*objet\s*:\s*(.+)$", re.I | re.M)
MATIERE_RE = re.compile(r"(?:code\s+)?mati[èe]re(?:\s+actes)?\s*:\s*([1-9]\d?(?:\.[1-9]\d?){0,3})"
                        r"(?:\s*[-–]\s*([^\n]+))?", re.I)
SESSION_RE = re.compile(r"(?:s[ée]ance|r[ée]union|conseil[^\n]{0,60}?)\s+du\s+(?:\w+\s+)?" + DATE_WORDS, re.I)
ANY_DATE_RE = re.compile(DATE_WORDS, re.I)
SIREN_RE = re.compile(r"\bSIRE[NT]\s*:?\s*(\d{3}\s?\d{3}\s?\d{3})", re.I)
COMMUNE_RE = re.compile(r"\b(?:commune|ville|conseil municipal)\s+d[e']\s*([A-ZÉÈÂ][\w'’ -]+)", re.I)


def french_date(day: str, month: str, year: str) -> str | None:
    m = MONTHS.get(month.lower())
    if not m:
        return None
    try:
        import datetime as dt
        return dt.date(int(year), m, int(day)).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=1)
def commune_sirens() -> dict[str, str]:
    """slug(commune name) → SIREN of the commune, from kg/sources/communes-caph.csv."""
    from kg.iris import REPO_ROOT

    out: dict[str, str] = {}
    path = REPO_ROOT / "kg" / "sources" / "communes-caph.csv"
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[slug(row["nom"])] = row["siren_commune"]
    return out


def parse_header(text: str, rec: Deliberation) -> None:
    head = text[:4000]
    m = OBJET_RE.search(head)
    if m:
        objet = m.group(1).strip()
        # the object may run on following lines until a blank line
        rest = head[m.end():].split("\n")
        for line in rest[1:4]:
            if not line.strip() or re.match(r"^\s*(vu|le conseil|la commission|rapporteur|considérant)\b", line, re.I):
                break
            objet += " " + line.strip()
        rec.objet = normalise_text(objet)
    m = NUMBER_RE.search(head)
    if m:
        rec.delib_id = m.group(1)
    m = PREF_ID_RE.search(text)
    if m:
        rec.pref_id = m.group(0)
    m = SESSION_RE.search(head) or ANY_DATE_RE.search(head)
    if m:
        g = m.groups()[-3:]
        rec.date = french_date(*g)
    m = MATIERE_RE.search(head)
    if m:
        rec.matiere_code = m.group(1)
        if m.group(2):
            rec.matiere_nom = m.group(2).strip()
    m = SIREN_RE.search(head)
    low = normalise_text(head).lower()
    if m:
        rec.siren = re.sub(r"\s", "", m.group(1))[:9]
    elif "porte du hainaut" in low and ("communaut" in low or "agglom" in low):
        rec.siren = CAPH_SIREN
        rec.coll_nom = "Communauté d'Agglomération de La Porte du Hainaut"
    else:
        m = COMMUNE_RE.search(head)
        if m:
            name = m.group(1).strip().split("\n")[0]
            sirens = commune_sirens()
            words = name.split()
            for k in range(len(words), 0, -1):  # longest prefix that is a known commune
                s = sirens.get(slug(" ".join(words[:k])))
                if s:
                    rec.siren = s
                    rec.coll_nom = " ".join(words[:k])
                    break
    if not rec.objet:
        for line in text.splitlines():
            if len(line.strip()) > 15:
                rec.objet = normalise_text(line)[:300]
                break


def extract_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        data = path.read_bytes()
        for enc in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                continue
        raise ValueError("encodage de texte inconnu")
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path), strict=False)
        pages = [(page.extract_text() or "") for page in reader.pages]
        return "\n".join(pages)
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.append(" | ".join(cell.text for cell in row.cells))
        return "\n".join(parts)
    raise ValueError(f"format non pris en charge : {suffix}")


def read_document(path: Path) -> Item:
    """One Item for one document file; a corrupt, empty or scanned (no text layer) file is a skip with its reason."""
    try:
        data = path.read_bytes()
        text = extract_text(path)
    except Exception as exc:  # noqa: BLE001 - pypdf / python-docx raise many types on corrupt files
        return Item(where=str(path), reason=f"fichier illisible ou corrompu ({type(exc).__name__}: {str(exc)[:120]})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalise_text(text).strip():
        hint = " (PDF sans couche texte ? l'OCR n'est pas fait par Boussole)" if path.suffix.lower() == ".pdf" else ""
        return Item(where=str(path), reason="aucun texte exploitable" + hint)
    rec = Deliberation(objet="", texte=text.strip())
    parse_header(text, rec)
    if not rec.objet and len(normalise_text(text)) <= 300:
        rec.objet = normalise_text(text)   # a bare objet saved as a file (« Cimetière »): it is the objet
    if not rec.delib_id:
        rec.findings.append(Finding("numero-absent", "DELIB_ID", "", "aucun numéro de délibération lu dans l'en-tête : "
                                    "identifiée par l'empreinte de son texte, à rapprocher de sa ligne SCDL"))
    if not rec.date:
        rec.findings.append(Finding("date-absente", "DELIB_DATE", "", "aucune date de séance lue dans l'en-tête : "
                                    "la délibération n'est dans aucune période"))
    if not rec.siren:
        rec.findings.append(Finding("collectivite-absente", "COLL_SIRET", "",
                                    "collectivité non reconnue dans l'en-tête"))
    rec.source = path.name
    rec.source_hash = hashlib.sha256(data).hexdigest()[:16]
    rec.label_id = path.stem
    return Item(record=rec, where=str(path))
