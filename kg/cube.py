"""The barometer cube: values that the data files already state on areas, published as ``qb:Observation``.

An indicator that says ``bsl:publieDepuis bsl:population`` (and ``bsl:publiePour`` a class of areas) gets one
observation per area of that class that has a ``bsl:population`` and a ``bsl:anneeReference`` (the QPV table of the Contrat Quartiers 2030): the figure stays
written once, on the area, and the cube reads it with the area's own source lines.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.iris import BSL, PROV, QB, RDF, XSD, base_iri, minted

STARTING_POINT = "jeu/situation-de-depart"
_DECIMAL = ox.NamedNode(XSD + "decimal")
_GYEAR = ox.NamedNode(XSD + "gYear")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def zone_key(zone: ox.NamedNode) -> str:
    """The short code of an area in observation IRIs: INSEE code, SIREN or QPV code, else its path with ``-``."""
    path = zone.value[len(base_iri()):] if zone.value.startswith(base_iri()) else zone.value.rsplit("/", 1)[-1]
    kind, _, rest = path.partition("/")
    if kind in ("commune", "epci", "qpv") and rest:
        return rest
    return path.replace("/", "-")


def indicator_id(indicator: ox.NamedNode) -> str:
    return indicator.value.rsplit("/", 1)[-1]


def observation_iri(indicator: ox.NamedNode, zone: ox.NamedNode, period: str) -> ox.NamedNode:
    return minted(f"observation/{indicator_id(indicator)}/{zone_key(zone)}/{period}")


def _is_a(staged: ox.Store, zone: ox.NamedNode, classes: set) -> bool:
    return not classes or any(q.object in classes for q in staged.quads_for_pattern(zone, _n(RDF + "type"), None, None))


def published_quads(staged: ox.Store) -> list[ox.Quad]:
    """One ``qb:Observation`` per (indicator with bsl:publieDepuis, dated area value)."""
    out: list[ox.Quad] = []
    year_p, unit_p, derived = _n(BSL + "anneeReference"), _n(BSL + "unite"), _n(PROV + "wasDerivedFrom")
    for decl in staged.quads_for_pattern(None, _n(BSL + "publieDepuis"), None, None):
        indicator, prop, g = decl.subject, decl.object, decl.graph_name
        units = [q.object for q in staged.quads_for_pattern(indicator, unit_p, None, None)]
        classes = {q.object for q in staged.quads_for_pattern(indicator, _n(BSL + "publiePour"), None, None)}
        for fact in staged.quads_for_pattern(None, prop, None, None):
            zone = fact.subject
            years = [q.object.value for q in staged.quads_for_pattern(zone, year_p, None, None)]
            if not years or not isinstance(zone, ox.NamedNode) or not _is_a(staged, zone, classes):
                continue
            obs = observation_iri(indicator, zone, years[0])
            out += [
                ox.Quad(obs, _n(RDF + "type"), _n(QB + "Observation"), g),
                ox.Quad(obs, _n(QB + "dataSet"), minted(STARTING_POINT), g),
                ox.Quad(obs, _n(BSL + "indicateur"), indicator, g),
                ox.Quad(obs, _n(BSL + "zone"), zone, g),
                ox.Quad(obs, _n(BSL + "periodeObservation"), ox.Literal(years[0], datatype=_GYEAR), g),
                ox.Quad(obs, _n(BSL + "valeurNumerique"), ox.Literal(str(fact.object.value), datatype=_DECIMAL), g),
            ]
            out += [ox.Quad(obs, unit_p, u, g) for u in units[:1]]
            out += [ox.Quad(obs, derived, q.object, g) for q in staged.quads_for_pattern(zone, derived, None, None)]
    return out
