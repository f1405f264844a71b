"""``boussole budget import FILE.csv``: the budget by M57 functional code, into ``graph/budget``.

Columns ``exercice,fonction,nature,libelle,montant,type`` (type prévu or réalisé). Each line is keyed by
(exercice, type, fonction, nature, libellé): re-importing changes nothing, a changed amount keeps the former one as
a version. A functional code is attached to the longest code of the M57 nomenclature (kg/data/barometre) that
prefixes it; a code that no known function prefixes is reported, as are bad years, amounts and types.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import pyoxigraph as ox

from barometre.tables import decimal_lexical, parse_number, read_rows
from barometre.writing import Changes, Report, apply, import_activity, now_literal, record_activity, revise
from ingest.records import slug
from kg.iris import BSL, PROV, RDF, SKOS, XSD, graph, minted
from kg.querying import run

COLUMNS = ("exercice", "fonction", "nature", "libelle", "montant", "type")
GRAPH = "budget"
FUNCTIONS = "SELECT ?f ?code WHERE { ?f a bsl:FonctionComptable ; bsl:codeFonction ?code }"
_CODE = re.compile(r"^\d{1,4}$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
TYPES = {"prevu": "prévu", "realise": "réalisé"}


def _p(term: str) -> ox.NamedNode:
    return ox.NamedNode(term)


def credit_type(raw: str) -> str | None:
    """« prévu », « prevu », « Réalisé », « realise » → the stored form; else None."""
    plain = unicodedata.normalize("NFKD", raw.strip().lower()).encode("ascii", "ignore").decode()
    return TYPES.get(plain)


def function_for(code: str, known: dict[str, ox.NamedNode]) -> ox.NamedNode | None:
    """The known M57 function with the longest code that prefixes ``code``."""
    for n in range(len(code), 0, -1):
        if code[:n] in known:
            return known[code[:n]]
    return None


def import_file(store: ox.Store, path: Path | str) -> Report:
    path = Path(path)
    report = Report()
    known = {row["code"].value: row["f"] for row in run(store, FUNCTIONS, "fonctions M57")}
    activity = import_activity(path)
    target, stamp, changes = graph(GRAPH), now_literal(), Changes()
    seen: dict[ox.NamedNode, int] = {}
    for line, row in read_rows(path, COLUMNS):
        report.read += 1
        where = f"{path.name}:{line}"
        problems = []
        if not _YEAR.match(row["exercice"]):
            problems.append(f"exercice invalide « {row['exercice']} » (attendu une année, ex. 2024)")
        code = row["fonction"].replace(".", "").replace(" ", "")
        function = function_for(code, known) if _CODE.match(code) else None
        if function is None:
            problems.append(f"fonction M57 inconnue « {row['fonction']} » (attendu un code de la nomenclature "
                            "fonctionnelle, ex. 72 ou 812)")
        amount = parse_number(row["montant"])
        if amount is None:
            problems.append(f"montant non numérique « {row['montant']} »")
        kind = credit_type(row["type"])
        if kind is None:
            problems.append(f"type « {row['type']} » : prévu ou réalisé")
        if problems:
            report.rejected.append(f"{where} : " + " ; ".join(problems))
            continue
        key = "/".join([row["exercice"], slug(kind), code, slug(row["nature"]) or "sans-nature",
                        hashlib.sha256(row["libelle"].encode()).hexdigest()[:8]])
        subject = minted(f"budget/{key}")
        if subject in seen:
            report.rejected.append(f"{where} : même exercice, type, fonction, nature et libellé que la ligne "
                                   f"{seen[subject]} ; la ligne {seen[subject]} est gardée")
            continue
        seen[subject] = line
        state = [(RDF + "type", _p(BSL + "LigneBudgetaire")),
                 (BSL + "exercice", ox.Literal(row["exercice"], datatype=_p(XSD + "integer"))),
                 (BSL + "fonctionComptable", function),
                 (BSL + "codeFonction", ox.Literal(code)),
                 (BSL + "natureComptable", ox.Literal(row["nature"])),
                 (SKOS + "prefLabel", ox.Literal(row["libelle"] or code, language="fr")),
                 (BSL + "montant", ox.Literal(decimal_lexical(amount), datatype=_p(XSD + "decimal"))),
                 (BSL + "typeCredit", ox.Literal(kind)),
                 (PROV + "wasGeneratedBy", activity),
                 (PROV + "generatedAtTime", stamp)]
        quads = [ox.Quad(subject, _p(p), o, target) for p, o in state]
        report.outcomes[revise(store, subject, target, quads, (_p(BSL + "montant"),), changes, stamp)] += 1
    record_activity(changes, activity, path, stamp, target)
    apply(store, changes, str(path))
    return report
