"""What the imports look up in the graph: the defined indicators and the territories, by their identifiers."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.cube import indicator_id
from kg.querying import run

INDICATORS = """
SELECT ?i ?label ?unite ?type ?sens
  (GROUP_CONCAT(DISTINCT STR(?m); separator=" ") AS ?mesures) WHERE {
  ?i a bsl:Indicateur .
  OPTIONAL { ?i skos:prefLabel ?label FILTER(LANG(?label) = "fr") }
  OPTIONAL { ?i bsl:unite ?unite }
  OPTIONAL { ?i bsl:typeIndicateur/skos:prefLabel ?type }
  OPTIONAL { ?i bsl:sensSouhaite ?sens }
  OPTIONAL { ?i bsl:mesure ?m }
} GROUP BY ?i ?label ?unite ?type ?sens ORDER BY ?i
"""

TERRITORIES = """
SELECT ?z ?code WHERE {
  { ?z a bsl:Commune ; bsl:codeInsee ?code }
  UNION { ?z a bsl:EPCI ; bsl:siren ?code }
  UNION { ?z a bsl:QuartierPrioritaire ; bsl:codeQuartier ?code }
}
"""


@dataclass(frozen=True)
class Indicator:
    iri: ox.NamedNode
    label: str
    unit: str
    kind: str
    direction: str
    measures: tuple[str, ...]

    @property
    def id(self) -> str:
        return indicator_id(self.iri)


def indicators(store: ox.Store) -> dict[str, Indicator]:
    """The defined indicators by identifier (the last segment of ``indicateur/<id>``)."""
    out = {}
    for row in run(store, INDICATORS, "indicateurs"):
        ind = Indicator(row["i"], _text(row["label"]), _text(row["unite"]), _text(row["type"]), _text(row["sens"]),
                        tuple(row["mesures"].value.split()) if row["mesures"] else ())
        out[ind.id] = ind
    return out


def territories(store: ox.Store) -> dict[str, ox.NamedNode]:
    """INSEE codes of communes, SIREN of EPCI and QPV codes → their IRIs (codes upper-cased)."""
    return {row["code"].value.strip().upper(): row["z"] for row in run(store, TERRITORIES, "territoires")}


def _text(term: ox.Literal | None) -> str:
    return term.value if term is not None else ""
