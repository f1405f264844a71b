"""Generates docs/ontology.md: every class and property of the ontology with labels, comment, domain and range, then
every predicate and class the data holds (those of the ontology and of standard vocabularies, with how Boussole uses
them, from kg/dictionary.yaml), with their counts in the graph ``boussole build`` makes and a query to see them,
so that an analyst can write SPARQL without reading Turtle."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

import yaml

from kg.errors import BoussoleError
from kg.iris import BSL, PREFIXES, REPO_ROOT, compact, graph
from kg.sources import ONTOLOGY_FILE

DOC_FILE = REPO_ROOT / "docs" / "ontology.md"
DICTIONARY_FILE = REPO_ROOT / "kg" / "dictionary.yaml"
DATA_HEADING = "## Data in the graph"

TERMS = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?term ?kind
  (SAMPLE(?fr) AS ?label_fr) (SAMPLE(?en) AS ?label_en) (SAMPLE(?cfr) AS ?comment_fr) (SAMPLE(?cen) AS ?comment_en)
  (GROUP_CONCAT(DISTINCT STR(?super); separator=" ") AS ?supers)
  (GROUP_CONCAT(DISTINCT STR(?domain); separator=" ") AS ?domains)
  (GROUP_CONCAT(DISTINCT STR(?range); separator=" ") AS ?ranges)
WHERE {
  ?term a ?kind .
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:NamedIndividual }
  FILTER(STRSTARTS(STR(?term), "%s"))
  OPTIONAL { ?term rdfs:label|skos:prefLabel ?fr FILTER(LANG(?fr) = "fr") }
  OPTIONAL { ?term rdfs:label|skos:prefLabel ?en FILTER(LANG(?en) = "en") }
  OPTIONAL { ?term rdfs:comment ?cfr FILTER(LANG(?cfr) = "fr") }
  OPTIONAL { ?term rdfs:comment ?cen FILTER(LANG(?cen) = "en") }
  OPTIONAL { ?term rdfs:subClassOf|rdfs:subPropertyOf ?super FILTER(isIRI(?super)) }
  OPTIONAL { ?term rdfs:domain ?domain }
  OPTIONAL { ?term rdfs:range ?range }
} GROUP BY ?term ?kind ORDER BY ?kind ?term
""" % BSL

SECTIONS = {
    "http://www.w3.org/2002/07/owl#Class": "Classes",
    "http://www.w3.org/2002/07/owl#ObjectProperty": "Object properties (links between resources)",
    "http://www.w3.org/2002/07/owl#DatatypeProperty": "Datatype properties (values)",
    "http://www.w3.org/2002/07/owl#NamedIndividual": "Named individuals",
}


def _curie(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(ontology_file: Path = ONTOLOGY_FILE) -> str:
    store = ox.Store()
    store.load(path=ontology_file, format=ox.RdfFormat.TURTLE)
    lines = [
        "# Ontology reference",
        "",
        "Generated from `ontology/boussole.ttl` by `python -m kg.ontology_doc` (a test checks it is current).",
        f"Namespace `bsl:` = `{BSL}`. Minted resources live under the base described in",
        "[conventions.md](conventions.md). Prefixes: " + ", ".join(f"`{p}:`" for p in PREFIXES) + ".",
        "",
    ]
    rows = list(store.query(TERMS))
    for kind, title in SECTIONS.items():
        section = [r for r in rows if r["kind"].value == kind]
        if not section:
            continue
        lines += [f"## {title}", "", "| term | label (fr / en) | comment | parent | domain | range |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for r in section:
            def val(name: str) -> str:
                return r[name].value if r[name] is not None else ""
            label = " / ".join(x for x in (val("label_fr"), val("label_en")) if x)
            comment = val("comment_en") or val("comment_fr")
            links = [" ".join(_curie(i) for i in val(k).split()) for k in ("supers", "domains", "ranges")]
            lines.append(f"| `{_curie(r['term'].value)}` | {_cell(label)} | {_cell(comment)} | "
                         + " | ".join(_cell(x) for x in links) + " |")
        lines.append("")
    return "\n".join(lines + data_section(store))


def dictionary() -> dict:
    """kg/dictionary.yaml: how the graph uses standard terms, and what only ingest and review write."""
    return yaml.safe_load(DICTIONARY_FILE.read_text(encoding="utf-8"))


def meanings(ontology: ox.Store) -> dict[str, str]:
    """Compact term → one line on what it means: the ontology's English comment, else kg/dictionary.yaml."""
    out = {**dictionary()["predicates"], **dictionary()["classes"]}
    for r in ontology.query(TERMS):
        value = r["comment_en"] or r["comment_fr"]
        if value is not None:
            out[_curie(r["term"].value)] = " ".join(value.value.split())
    return out


def data_terms(store: ox.Store) -> tuple[dict[str, int], dict[str, int]]:
    """Predicates (triples) and classes (resources) of every graph but the ontology's, by compact name."""
    skip = graph("ontology").value
    predicates = {_curie(r["p"].value): int(r["n"].value) for r in store.query(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{skip}>) }} GROUP BY ?p")}
    classes = {_curie(r["c"].value): int(r["n"].value) for r in store.query(
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} FILTER(?g != <{skip}>) }} GROUP BY ?c")}
    return predicates, classes


def _example(store: ox.Store, pattern: str) -> str:
    """One triple of the built graph matching ``pattern``, in the names Boussole prints (the smallest subject)."""
    rows = list(store.query(f"SELECT ?s ?o WHERE {{ {pattern} }} ORDER BY STR(?s) STR(?o) LIMIT 1",
                            use_default_graph_as_union=True, prefixes=PREFIXES))
    if not rows:
        return ""
    o = rows[0]["o"]
    shown = compact(o.value) if isinstance(o, ox.NamedNode) else " ".join(o.value.split())
    return f"`{compact(rows[0]['s'].value)}` → {_cell(shown if len(shown) <= 60 else shown[:57] + '…')}"


def data_section(ontology: ox.Store) -> list[str]:
    """The predicates and classes of the data: meaning, count in the built graph, an example and a query."""
    from kg.build import stage  # the build reads kg/; imported here so that kg.build may import this module

    built, _ = stage()
    predicates, classes = data_terms(built)
    extra = dictionary()
    known = meanings(ontology)
    for term in extra["ingest_predicates"]:
        predicates.setdefault(term, 0)
    for term in extra["ingest_classes"]:
        classes.setdefault(term, 0)
    missing = sorted(t for t in [*predicates, *classes] if t not in known)
    if missing:
        raise BoussoleError("undocumented in the ontology and in kg/dictionary.yaml: " + ", ".join(missing))
    lines = [DATA_HEADING, "",
             "Every predicate and class the data holds: the graph `boussole build` makes from this repository (count",
             "« built », generated), and what the ingest of deliberations and the review of their tags add (« ingest »:",
             "their number depends on what was ingested). Standard terms are described as Boussole uses them",
             "(`kg/dictionary.yaml`); a test ingests the sample and fails on any predicate or class missing here.",
             "Queries run as they are on `/sparql` or with `boussole query` (the prefixes are predeclared).", "",
             "### Predicates", "", "| predicate | meaning | built | example | query |", "| --- | --- | ---: | --- | --- |"]
    for term in sorted(predicates, key=lambda t: (t.split(":")[0] != "bsl", t)):
        n = predicates[term]
        query = f"SELECT ?s ?o WHERE {{ ?s {term} ?o }} LIMIT 10"
        example = _example(built, f"?s {term} ?o") if n else ""
        lines.append(f"| `{term}` | {_cell(known[term])} | {n if n else 'ingest'} | {example} | `{query}` |")
    lines += ["", "### Classes", "", "| class | meaning | built | example | query |", "| --- | --- | ---: | --- | --- |"]
    for term in sorted(classes, key=lambda t: (t.split(":")[0] != "bsl", t)):
        n = classes[term]
        query = f"SELECT ?x WHERE {{ ?x a {term} }} LIMIT 10"
        example = f"`{compact(_example_subject(built, term))}`" if n else ""
        lines.append(f"| `{term}` | {_cell(known[term])} | {n if n else 'ingest'} | {example} | `{query}` |")
    return lines + [""]


def _example_subject(store: ox.Store, cls: str) -> str:
    rows = list(store.query(f"SELECT ?s WHERE {{ ?s a {cls} }} ORDER BY STR(?s) LIMIT 1",
                            use_default_graph_as_union=True, prefixes=PREFIXES))
    return rows[0]["s"].value


if __name__ == "__main__":
    DOC_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_FILE}")
