"""Triples the build derives from the data files, so that the files state each fact once.

- Source excerpts: every ``prov:wasDerivedFrom <source/NNN#Lstart-Lend>`` gets its ``bsl:ExtraitSource``
  description (document, first and last line), checked against the length of the file it points into.
- Crosswalk: every ``bsl:Contribution`` yields the shortcut ``contributeur bsl:sert cible``.
- Labels: every ``skos:prefLabel``, ``skos:altLabel`` and ``bsl:intitule`` of a data resource gets its normalised
  form ``bsl:libelleNormalise`` (lower case, no accents, straight quotes: :mod:`kg.labels`), for matching.
- Barometer cube: dated values stated on areas are published as ``qb:Observation`` (see :mod:`kg.cube`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.cube import published_quads
from kg.errors import BoussoleError
from kg.iris import BSL, PROV, RDF, SKOS, XSD, base_iri, graph
from kg.labels import normalise_label
from kg.sources import source_lines

EXCERPT = re.compile(r"^source/([\w-]+)#L(\d+)-L(\d+)$")
_INT = ox.NamedNode(XSD + "integer")


def _p(term: str) -> ox.NamedNode:
    return ox.NamedNode(term)


def excerpt_quads(staged: ox.Store, sources_dir: Path) -> list[ox.Quad]:
    """Describe every source excerpt cited in ``staged``; fail on a range outside its document."""
    base = base_iri()
    files = {
        str(q.subject.value): str(q.object.value)
        for q in staged.quads_for_pattern(None, _p(BSL + "nomFichier"), None, None)
    }
    line_counts: dict[str, int] = {}
    target = graph("sources")
    out: list[ox.Quad] = []
    seen: set[str] = set()
    for q in staged.quads_for_pattern(None, _p(PROV + "wasDerivedFrom"), None, None):
        iri = q.object
        if not isinstance(iri, ox.NamedNode) or iri.value in seen or not iri.value.startswith(base):
            continue
        seen.add(iri.value)
        match = EXCERPT.match(iri.value[len(base):])
        if not match:
            continue
        doc_id, start, end = match.group(1), int(match.group(2)), int(match.group(3))
        document = base + f"source/{doc_id}"
        where = f"{_name(q.subject)} cites <{iri.value}>"
        if document not in files:
            raise BoussoleError(f"{where}: unknown source document source/{doc_id} (declare it in kg/data/sources/)")
        if document not in line_counts:
            path = sources_dir / files[document]
            if not path.exists():
                raise BoussoleError(f"{where}: source file {path} is missing")
            line_counts[document] = len(source_lines(path))
        if not 1 <= start <= end <= line_counts[document]:
            raise BoussoleError(
                f"{where}: line range L{start}-L{end} is outside {files[document]} (1-{line_counts[document]})"
            )
        out += [
            ox.Quad(iri, _p(RDF + "type"), _p(BSL + "ExtraitSource"), target),
            ox.Quad(iri, _p(BSL + "document"), _p(document), target),
            ox.Quad(iri, _p(BSL + "ligneDebut"), ox.Literal(str(start), datatype=_INT), target),
            ox.Quad(iri, _p(BSL + "ligneFin"), ox.Literal(str(end), datatype=_INT), target),
        ]
    return out


def serves_quads(staged: ox.Store) -> list[ox.Quad]:
    """``X bsl:sert Y`` for every contribution link ``X → Y`` of the crosswalk."""
    out: list[ox.Quad] = []
    contributor, target_p = _p(BSL + "contributeur"), _p(BSL + "cible")
    for q in staged.quads_for_pattern(None, _p(RDF + "type"), _p(BSL + "Contribution"), None):
        link = q.subject
        sources = [c.object for c in staged.quads_for_pattern(link, contributor, None, None)]
        targets = [c.object for c in staged.quads_for_pattern(link, target_p, None, None)]
        out += [ox.Quad(s, _p(BSL + "sert"), t, q.graph_name) for s in sources for t in targets]
    return out


LABELS = (SKOS + "prefLabel", SKOS + "altLabel", BSL + "intitule")


def label_quads(staged: ox.Store) -> list[ox.Quad]:
    """``X bsl:libelleNormalise "…"`` for every label of a resource under the base (same graph as the label)."""
    base = base_iri()
    out: dict[tuple, ox.Quad] = {}
    normalised = _p(BSL + "libelleNormalise")
    for predicate in LABELS:
        for q in staged.quads_for_pattern(None, _p(predicate), None, None):
            if isinstance(q.object, ox.Literal) and q.subject.value.startswith(base):
                quad = ox.Quad(q.subject, normalised, ox.Literal(normalise_label(q.object.value)), q.graph_name)
                out[(quad.subject, quad.object, quad.graph_name)] = quad
    return list(out.values())


def _name(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    value = term.value
    base = base_iri()
    return f"<{value[len(base):]}>" if value.startswith(base) else f"<{value}>"


def derive(staged: ox.Store, sources_dir: Path) -> Iterable[ox.Quad]:
    return excerpt_quads(staged, sources_dir) + serves_quads(staged) + label_quads(staged) + published_quads(staged)
