"""``boussole indicateurs import FILE.csv``: values of defined indicators → ``qb:Observation`` of <jeu/barometre>.

Columns ``indicateur,territoire,periode,valeur,unite,source``. Each value is keyed by (indicator, territory,
period): re-importing changes nothing, a different value for the same key is a correction that keeps the former
value as a version. Rows with an unknown indicator or territory, a bad period or a non-number are reported with
their line and reason; the other rows are imported.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from barometre.referentiel import Indicator, indicators, territories
from barometre.tables import decimal_lexical, parse_number, read_rows
from barometre.writing import Changes, Report, apply, import_activity, now_literal, record_activity, revise
from kg.cube import observation_iri
from kg.iris import BSL, PROV, QB, RDF, XSD, graph, minted

COLUMNS = ("indicateur", "territoire", "periode", "valeur", "unite", "source")
GRAPH = "observations"
DATASET = "jeu/barometre"
_YEAR = re.compile(r"^\d{4}$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_FR_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


def _p(term: str) -> ox.NamedNode:
    return ox.NamedNode(term)


def parse_period(raw: str) -> ox.Literal | None:
    """« 2022 » → xsd:gYear; « 2022-06-30 » or « 30/06/2022 » → xsd:date; else None."""
    text = raw.strip()
    if _YEAR.match(text):
        return ox.Literal(text, datatype=_p(XSD + "gYear"))
    match = _DATE.match(text) or _FR_DATE.match(text)
    if not match:
        return None
    y, m, d = (match.groups() if _DATE.match(text) else (match.group(3), match.group(2), match.group(1)))
    try:
        return ox.Literal(date(int(y), int(m), int(d)).isoformat(), datatype=_p(XSD + "date"))
    except ValueError:
        return None


def import_file(store: ox.Store, path: Path | str) -> Report:
    path = Path(path)
    report = Report()
    known = indicators(store)
    places = territories(store)
    activity = import_activity(path)
    target = graph(GRAPH)
    stamp = now_literal()
    changes = Changes()
    seen: dict[ox.NamedNode, tuple[int, object]] = {}
    for line, row in read_rows(path, COLUMNS):
        report.read += 1
        where = f"{path.name}:{line}"
        problems = []
        indicator = known.get(row["indicateur"])
        if indicator is None:
            problems.append(f"indicateur inconnu « {row['indicateur']} » (voir `boussole indicateurs list`)")
        zone = places.get(row["territoire"].upper())
        if zone is None:
            problems.append(f"territoire inconnu « {row['territoire']} » : attendu le code INSEE d'une commune de "
                            "la CAPH, le SIREN de la CAPH (200042190) ou un code de quartier prioritaire (QN…)")
        period = parse_period(row["periode"])
        if period is None:
            problems.append(f"période invalide « {row['periode']} » : "
                            "attendu une année (2024) ou une date (2024-06-30)")
        value = parse_number(row["valeur"])
        if value is None:
            problems.append(f"valeur non numérique « {row['valeur']} »")
        if problems:
            report.rejected.append(f"{where} : " + " ; ".join(problems))
            continue
        obs = observation_iri(indicator.iri, zone, period.value)
        if obs in seen:
            if seen[obs][1] != value:
                first = seen[obs][0]
                report.rejected.append(f"{where} : même indicateur, territoire et période que la ligne {first} "
                                       f"avec une autre valeur ; la ligne {first} est gardée")
            continue
        seen[obs] = (line, value)
        unit = row["unite"] or indicator.unit
        if indicator.unit and row["unite"] and row["unite"] != indicator.unit:
            report.warnings.append(f"{where} : unité « {row['unite']} » différente de celle de l'indicateur "
                                   f"« {indicator.unit} » ; valeur gardée avec son unité")
        state = _observation(obs, indicator, zone, period, value, unit, row["source"], activity, stamp, target)
        outcome = revise(store, obs, target, state, _COMPARED, changes, stamp)
        report.outcomes[outcome] += 1
    record_activity(changes, activity, path, stamp, target)
    apply(store, changes, str(path))
    return report


_COMPARED = (_p(BSL + "valeurNumerique"), _p(BSL + "unite"), _p(BSL + "sourceDonnees"))


def _observation(obs: ox.NamedNode, indicator: Indicator, zone: ox.NamedNode, period: ox.Literal, value, unit: str,
                 source: str, activity: ox.NamedNode, stamp: ox.Literal, g: ox.NamedNode) -> list[ox.Quad]:
    quads = [
        (_p(RDF + "type"), _p(QB + "Observation")),
        (_p(QB + "dataSet"), minted(DATASET)),
        (_p(BSL + "indicateur"), indicator.iri),
        (_p(BSL + "zone"), zone),
        (_p(BSL + "periodeObservation"), period),
        (_p(BSL + "valeurNumerique"), ox.Literal(decimal_lexical(value), datatype=_p(XSD + "decimal"))),
        (_p(PROV + "wasGeneratedBy"), activity),
        (_p(PROV + "generatedAtTime"), stamp),
    ]
    if unit:
        quads.append((_p(BSL + "unite"), ox.Literal(unit)))
    if source:
        quads.append((_p(BSL + "sourceDonnees"), ox.Literal(source)))
    return [ox.Quad(obs, p, o, g) for p, o in quads]
