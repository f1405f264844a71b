"""Generates docs/ontology.md: every class and property of the ontology with labels, comment, domain and range,
so that an analyst can write SPARQL without reading Turtle."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.iris import BSL, PREFIXES, REPO_ROOT
from kg.sources import ONTOLOGY_FILE

DOC_FILE = REPO_ROOT / "docs" / "ontology.md"

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
  VALUES ?kind { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:NamedIndividual }
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
    return "\n".join(lines)


if __name__ == "__main__":
    DOC_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC_FILE}")
