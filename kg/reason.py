"""OWL 2 DL reasoning with HermiT through owlready2: consistency check and inferred triples.

HermiT sees a projection of the dataset: literals of datatypes outside the OWL 2 datatype map (xsd:date,
xsd:gYear) are left out, since HermiT rejects them and they carry no axiom the reasoner could use.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass

import owlready2
import pyoxigraph as ox

from kg.errors import BoussoleError
from kg.iris import RDF, XSD

NON_OWL_DATATYPES = {XSD + "date", XSD + "gYear", XSD + "gYearMonth", XSD + "time", XSD + "duration"}


@dataclass(frozen=True)
class Reasoned:
    inferred: list[ox.Triple]


def _projection(store: ox.Store) -> bytes:
    out = io.BytesIO()
    triples = (
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, None)
        if not (isinstance(q.object, ox.Literal) and q.object.datatype.value in NON_OWL_DATATYPES)
    )
    ox.serialize(triples, out, format=ox.RdfFormat.N_TRIPLES)
    return out.getvalue()


def _entailed(world: owlready2.World, individuals: set[str]) -> set[tuple[str, str, str]]:
    """Class memberships and object-property values entailed once HermiT has classified and realised the
    ontology: every named ancestor class of each individual, inverse properties, and super-properties."""
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    out: set[tuple[str, str, str]] = set()
    for iri in sorted(individuals):
        individual = world[iri]
        if not isinstance(individual, owlready2.Thing):
            continue
        for cls in individual.INDIRECT_is_a:
            if isinstance(cls, owlready2.ThingClass) and cls is not owlready2.Thing and cls.iri:
                out.add((individual.iri, rdf_type, cls.iri))
    for prop in world.object_properties():
        inverse = prop.inverse_property
        supers = [p for p in prop.ancestors() if p is not prop and isinstance(p, owlready2.ObjectPropertyClass)
                  and p is not owlready2.ObjectProperty and p.iri]
        for subject, obj in prop.get_relations():
            if not (getattr(subject, "iri", None) and getattr(obj, "iri", None)):
                continue
            if inverse is not None and inverse.iri:
                out.add((obj.iri, inverse.iri, subject.iri))
            out.update((subject.iri, sup.iri, obj.iri) for sup in supers)
    return out


def reason(store: ox.Store) -> Reasoned:
    """Run HermiT on ``store``; raise on inconsistency; return the entailed triples not already asserted."""
    if shutil.which(owlready2.JAVA_EXE) is None:
        raise BoussoleError("--reason needs Java (java not found on PATH); install a JRE 11+ or build without --reason")
    world = owlready2.World()
    ontology = world.get_ontology("http://boussole.invalid/projection")
    ontology.load(fileobj=io.BytesIO(_projection(store)), format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        raise BoussoleError(f"the ontology and data are inconsistent under HermiT: {exc}") from exc
    except owlready2.OwlReadyJavaError as exc:
        lines = str(exc).strip().splitlines()
        raise BoussoleError(f"HermiT failed: {lines[-1] if lines else repr(exc)}") from exc
    inferred = []
    typed = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), None, None)
             if isinstance(q.subject, ox.NamedNode)}
    for s, p, o in _entailed(world, typed):
        triple = ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o))
        if next(store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None), None) is None:
            inferred.append(triple)
    return Reasoned(inferred=sorted(inferred, key=str))
