"""SHACL validation of a dataset against ``ontology/shapes.ttl`` with pySHACL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate

from kg.iris import SH, base_iri


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str
    message: str
    severity: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.focus}{where}: {self.message}"


def _short(term: rdflib.term.Node | None) -> str:
    if term is None:
        return ""
    text = str(term)
    base = base_iri()
    if text.startswith(base):
        return f"<{text[len(base):]}>"
    for prefix, ns in (("bsl:", "https://boussole.agglo-porteduhainaut.fr/def#"),
                       ("skos:", "http://www.w3.org/2004/02/skos/core#"),
                       ("prov:", "http://www.w3.org/ns/prov#"),
                       ("eli:", "http://data.europa.eu/eli/ontology#"),
                       ("oa:", "http://www.w3.org/ns/oa#")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return f"<{text}>" if isinstance(term, rdflib.URIRef) else text


def _rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(store: ox.Store) -> rdflib.Graph:
    """The union of all graphs of ``store`` as one rdflib graph (terms converted directly, no re-parsing)."""
    union = rdflib.Graph()
    cache: dict[object, rdflib.term.Node] = {}

    def convert(term):
        found = cache.get(term)
        if found is None:
            found = cache[term] = _rdflib_term(term)
        return found

    for q in store.quads_for_pattern(None, None, None, None):
        union.add((convert(q.subject), convert(q.predicate), convert(q.object)))
    return union


def _sparql_constraints(shapes: rdflib.Graph, store: ox.Store) -> list[Violation]:
    """Run the SHACL-SPARQL constraints (``sh:sparql``/``sh:select``) of ``shapes`` on ``store`` with pyoxigraph, once
    each with ``$this`` unbound, and take them out of ``shapes``: pySHACL runs such a select once per focus node in
    rdflib, which costs tens of seconds on this graph. Their selects start from the shape's target pattern, so the
    unbound run reports the same focus nodes."""
    sh = rdflib.Namespace(SH)
    found: list[Violation] = []
    for shape, constraint in list(shapes.subject_objects(sh.sparql)):
        select = str(shapes.value(constraint, sh.select))
        message = str(shapes.value(constraint, sh.message) or "SPARQL constraint")
        results = store.query(select.replace("$this", "?this"), use_default_graph_as_union=True)
        has_value = "value" in [v.value for v in results.variables]
        for row in results:
            value = row["value"] if has_value else None
            text = message.replace("{?value}", _short(_rdflib_term(value))) if value is not None else message
            found.append(Violation(focus=_short(_rdflib_term(row["this"])), path="", message=text,
                                   severity="sh:Violation"))
        for triple in list(shapes.triples((constraint, None, None))):
            shapes.remove(triple)
        shapes.remove((shape, sh.sparql, constraint))
    return found


def validate(store: ox.Store, shapes_file: Path) -> list[Violation]:
    """All SHACL violations of the union of ``store``'s graphs, sorted for stable reports."""
    shapes = rdflib.Graph().parse(shapes_file, format="turtle")
    found = _sparql_constraints(shapes, store)
    data = to_rdflib(store)
    conforms, report, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                         allow_warnings=True, inplace=True)
    if conforms:
        return sorted(set(found), key=lambda v: (v.focus, v.path, v.message))
    sh = rdflib.Namespace(SH)
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        message = report.value(result, sh.resultMessage)
        found.append(Violation(
            focus=_short(report.value(result, sh.focusNode)),
            path=_short(report.value(result, sh.resultPath)),
            message=str(message) if message else _short(report.value(result, sh.sourceConstraintComponent)),
            severity=_short(report.value(result, sh.resultSeverity)),
        ))
    return sorted(set(found), key=lambda v: (v.focus, v.path, v.message))
