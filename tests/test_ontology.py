"""The ontology itself: OWL 2 DL that parses, every term documented, and the generated reference page current."""

from __future__ import annotations

import pyoxigraph as ox

from kg.ontology_doc import DOC_FILE, render
from kg.sources import ONTOLOGY_FILE


def test_reference_page_is_current() -> None:
    assert DOC_FILE.read_text(encoding="utf-8") == render(), "run: python -m kg.ontology_doc"


def test_every_local_term_has_french_and_english_labels_and_comments() -> None:
    store = ox.Store()
    store.load(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE)
    missing = list(store.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?t ?lang WHERE {
          ?t a ?k . VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty }
          FILTER(STRSTARTS(STR(?t), "https://boussole.agglo-porteduhainaut.fr/def#"))
          VALUES ?lang { "fr" "en" }
          FILTER NOT EXISTS { ?t rdfs:label ?l FILTER(LANG(?l) = ?lang) }
        }"""))
    assert missing == []
    uncommented = list(store.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?t WHERE {
          ?t a ?k . VALUES ?k { owl:Class owl:ObjectProperty owl:DatatypeProperty }
          FILTER(STRSTARTS(STR(?t), "https://boussole.agglo-porteduhainaut.fr/def#"))
          FILTER NOT EXISTS { ?t rdfs:comment ?c FILTER(LANG(?c) = "fr") }
        }"""))
    assert uncommented == []


def test_aligned_with_standard_vocabularies() -> None:
    store = ox.Store()
    store.load(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE)
    parents = {(q.subject.value.split("#")[-1], q.object.value) for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"), None, None)
        if isinstance(q.object, ox.NamedNode)}
    assert ("ElementReferentiel", "http://www.w3.org/2004/02/skos/core#Concept") in parents
    assert ("Collectivite", "http://www.w3.org/ns/org#Organization") in parents
    assert ("Deliberation", "http://data.europa.eu/eli/ontology#LegalResource") in parents
    assert ("ExtraitSource", "http://www.w3.org/ns/prov#Entity") in parents


def test_versioned_sources_are_the_shared_seeds() -> None:
    """kg/sources/ holds exact copies of ../shared/seeds (line numbers of the provenance depend on it)."""
    import pytest

    from kg.sources import SOURCES_DIR

    shared = SOURCES_DIR.parents[2] / "shared"
    if not (shared / "seeds").is_dir():
        pytest.skip(f"{shared / 'seeds'} is not beside the repository")
    for seed in sorted((shared / "seeds").glob("*.txt")):
        assert (SOURCES_DIR / seed.name).read_bytes() == seed.read_bytes(), seed.name
    assert (SOURCES_DIR / "communes-caph.csv").read_bytes() == (shared / "reference" / "communes-caph.csv").read_bytes()


def test_the_cue_natures_of_the_tagger_are_the_ontology_and_shape_closed_list() -> None:
    """ingest/evidence.py's natures are the bsl:NatureIndice individuals (doubts: bsl:NatureDoute), and the SHACL
    shape bslsh:Indice accepts exactly them."""
    from ingest.evidence import DOUBTS, NATURES
    from kg.iris import BSL
    from kg.sources import SHAPES_FILE

    store = ox.Store()
    store.load(path=ONTOLOGY_FILE, format=ox.RdfFormat.TURTLE)
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def individuals(cls: str) -> set[str]:
        return {q.subject.value.removeprefix(BSL)
                for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(BSL + cls), None)}

    assert individuals("NatureIndice") | individuals("NatureDoute") == NATURES
    assert individuals("NatureDoute") == DOUBTS
    shapes = ox.Store()
    shapes.load(path=SHAPES_FILE, format=ox.RdfFormat.TURTLE)
    listed = {r["n"].value.removeprefix(BSL) for r in shapes.query("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
        SELECT ?n WHERE { ?shape sh:targetClass bsl:Indice ; sh:property ?p .
                          ?p sh:path bsl:natureIndice ; sh:in/rdf:rest*/rdf:first ?n }""")}
    assert listed == NATURES
