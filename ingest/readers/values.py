"""Lenient reading of SCDL values: each function returns the value Boussole keeps and the findings on the way.

The SCDL schema stays the reference (ISO dates, 14-digit SIRET, ACTES codes, whole vote counts); what departs from
it is read when its meaning is clear (17/03/2025, a SIRET with spaces), dropped when it is not, and always recorded
as a `Finding` (bsl:AnomalieDonnee) so that staff can correct the source. Codes are listed in docs/conventions.md.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from ingest.records import CAPH_SIREN, Finding, slug
from ingest.text import fold

ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# 2025-03-17T00:00:00(.000)(Z|+01:00), 2025-03-17 00:00, 2025/03/17
ISO_LIKE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
                         r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
# 17/03/2025, 17-03-2025, 17.03.2025, 17/03/25, 17/3/2025 (day first: the French order)
FRENCH_DATE_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:\s+\d{1,2}[:h]\d{2}(?::\d{2})?)?$")
MATIERE_CODE_RE = re.compile(r"^[1-9]\d?(\.[1-9]\d?){0,3}$")



def _date_or_none(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def read_date(raw: str, column: str) -> tuple[str | None, list[Finding]]:
    """An ISO date from the usual written forms; a finding whenever the form was not the schema's."""
    raw = (raw or "").strip()
    if not raw:
        return None, []
    if ISO_DATE_RE.match(raw):
        iso = _date_or_none(int(raw[:4]), int(raw[5:7]), int(raw[8:10]))
        if iso:
            return iso, []
        return None, [Finding("date-illisible", column, raw,
                              f"{column} « {raw} » n'est pas une date du calendrier : date laissée vide")]
    iso = None
    m = ISO_LIKE_RE.match(raw)
    if re.fullmatch(r"[2-7]\d{4}(?:[.,]0+)?", raw):   # a spreadsheet's serial day number (1899-12-30 + n)
        serial = int(re.split(r"[.,]", raw)[0])
        iso = (dt.date(1899, 12, 30) + dt.timedelta(days=serial)).isoformat()
    elif m:
        iso = _date_or_none(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    else:
        m = FRENCH_DATE_RE.match(raw)
        if m:
            year = int(m.group(3))
            if len(m.group(3)) == 2:
                year += 2000 if year < 70 else 1900
            iso = _date_or_none(year, int(m.group(2)), int(m.group(1)))
        else:
            from ingest.readers.documents import ANY_DATE_RE, french_date

            w = ANY_DATE_RE.fullmatch(raw)
            if w:
                iso = french_date(*w.groups())
    if iso:
        return iso, [Finding("date-reformatee", column, raw,
                             f"{column} « {raw} » n'est pas au format AAAA-MM-JJ du schéma SCDL : lue comme {iso}")]
    return None, [Finding("date-illisible", column, raw,
                          f"{column} « {raw} » n'est pas une date lisible : date laissée vide")]


@lru_cache(maxsize=1)
def _known_collectivites() -> dict[str, str]:
    """slug(name) → SIREN of the collectivités Boussole knows by name (the CAPH and its communes)."""
    from ingest.readers.documents import commune_sirens

    out = {slug(f"commune de {k}"): v for k, v in commune_sirens().items()}
    out.update({slug(f"ville de {k}"): v for k, v in commune_sirens().items()})
    out.update(commune_sirens())
    for name in ("Communauté d'Agglomération de La Porte du Hainaut", "Porte du Hainaut", "CAPH",
                 "Communauté d'agglomération La Porte du Hainaut"):
        out[slug(name)] = CAPH_SIREN
    return out


def read_siret(raw: str, coll_nom: str) -> tuple[str | None, list[Finding]]:
    """The SIREN (9 digits) of the collectivité: from COLL_SIRET (spaces, dots removed), else from a known COLL_NOM."""
    raw = (raw or "").strip()
    digits = re.sub(r"[\s.\u00a0\u202f-]", "", raw)
    if digits and digits.isdigit():
        findings = []
        if digits != raw:
            findings.append(Finding("siret-normalise", "COLL_SIRET", raw,
                                    f"COLL_SIRET « {raw} » contenait des séparateurs : lu comme {digits}"))
        if len(digits) == 14:
            return digits[:9], findings
        if len(digits) >= 9:
            findings.append(Finding("siret-invalide", "COLL_SIRET", raw,
                                    f"COLL_SIRET « {raw} » compte {len(digits)} chiffres au lieu de 14 : "
                                    f"SIREN lu sur les 9 premiers ({digits[:9]})"))
            return digits[:9], findings
    known = _known_collectivites().get(slug(coll_nom or ""))
    if known:
        what = "vide" if not raw else f"« {raw} » illisible"
        return known, [Finding("siret-deduit", "COLL_SIRET", raw,
                               f"COLL_SIRET {what} : SIREN {known} déduit de COLL_NOM « {coll_nom} »")]
    return None, []


@lru_cache(maxsize=1)
def _actes() -> tuple[dict[str, dict], list[tuple[str, re.Pattern]]]:
    import yaml

    from ingest.linking import DATA

    with open(DATA / "actes.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return data["matieres"], [(i["code"], re.compile(i["pattern"])) for i in data.get("indices", [])]


def read_matiere(code: str, nom: str, objet: str) -> tuple[str | None, str | None, list[Finding]]:
    """(code, name, findings): a missing or invalid code is derived from the name, else from the objet; a missing
    name from the ACTES nomenclature."""
    code, nom = (code or "").strip(), (nom or "").strip()
    matieres, indices = _actes()
    findings: list[Finding] = []
    if code and not MATIERE_CODE_RE.match(code):
        findings.append(Finding("matiere-invalide", "DELIB_MATIERE_CODE", code,
                                f"DELIB_MATIERE_CODE « {code} » n'est pas un code de la nomenclature ACTES (ex. 7.5)"))
        bad, code = code, ""
    else:
        bad = ""
    if not code:
        by_label = {fold(v["label"]): k for k, v in matieres.items()}
        derived = by_label.get(fold(nom)) if nom else None
        how = f"DELIB_MATIERE_NOM « {nom} »"
        if derived is None:
            folded = fold(objet or "")
            derived = next((c for c, rx in indices if rx.search(folded)), None)
            how = "l'objet"
        if derived:
            code = derived
            findings.append(Finding("matiere-deduite", "DELIB_MATIERE_CODE", bad,
                                    f"DELIB_MATIERE_CODE {'vide' if not bad else 'invalide'} : "
                                    f"code {derived} déduit de {how}"))
        elif not bad:
            findings.append(Finding("matiere-absente", "DELIB_MATIERE_CODE", "",
                                    "DELIB_MATIERE_CODE vide et impossible à déduire de l'objet : matière inconnue"))
    if code and not nom:
        nom = (matieres.get(code) or matieres.get(code.split(".")[0]) or {}).get("label") or ""
        findings.append(Finding("matiere-nom-deduit", "DELIB_MATIERE_NOM", "",
                                f"DELIB_MATIERE_NOM vide : « {nom} » pris dans la nomenclature ACTES" if nom
                                else "DELIB_MATIERE_NOM vide"))
    return code or None, nom or None, findings


def read_count(raw: str, column: str) -> tuple[int | None, list[Finding]]:
    raw = (raw or "").strip()
    if raw == "":
        return None, []
    compact = raw.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d+", compact):
        return int(compact), []
    if re.fullmatch(r"\d+[.,]0+", compact):
        return int(re.split(r"[.,]", compact)[0]), []
    return None, [Finding("vote-illisible", column, raw,
                          f"{column} « {raw} » n'est pas un nombre entier : valeur ignorée")]


def check_votes(votes: dict[str, int | None]) -> list[Finding]:
    """Vote counts that do not add up: kept as read, flagged."""
    eff, reel = votes.get("VOTE_EFFECTIF"), votes.get("VOTE_REEL")
    cast = [votes.get(k) for k in ("VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION")]
    total = sum(v for v in cast if v is not None)
    raw = ", ".join(f"{k}={v}" for k, v in votes.items() if v is not None)
    out = []
    if eff is not None and reel is not None and reel > eff:
        out.append(Finding("votes-incoherents", "VOTE_REEL", raw, f"VOTE_REEL ({reel}) dépasse VOTE_EFFECTIF ({eff})"))
    if reel is not None and all(v is not None for v in cast) and total > reel:
        out.append(Finding("votes-incoherents", "VOTE_POUR", raw,
                           f"VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION ({total}) dépasse VOTE_REEL ({reel})"))
    elif eff is not None and total > eff:
        out.append(Finding("votes-incoherents", "VOTE_POUR", raw,
                           f"VOTE_POUR + VOTE_CONTRE + VOTE_ABSTENTION ({total}) dépasse VOTE_EFFECTIF ({eff})"))
    return out


def formula_findings(values: dict[str, str]) -> list[Finding]:
    """Cells that a spreadsheet would run as a formula: kept as text, flagged."""
    return [Finding("formule", col, v,
                    f"{col} commence par « {v[:1]} » (formule de tableur ?) : gardé tel quel, comme du texte")
            for col, v in values.items()
            if v[:1] in ("=", "@") or (v[:1] in ("+", "-") and not re.fullmatch(r"[+-]?[\d\s.,]+", v))]
