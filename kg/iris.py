"""Namespaces, the configurable base of minted IRIs, and the named graphs of the dataset."""

from __future__ import annotations

import os
from pathlib import Path

from pyoxigraph import NamedNode

DEFAULT_BASE_IRI = "https://boussole.agglo-porteduhainaut.fr/id/"
BSL = "https://boussole.agglo-porteduhainaut.fr/def#"
ONTOLOGY_IRI = "https://boussole.agglo-porteduhainaut.fr/def"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
OA = "http://www.w3.org/ns/oa#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
QB = "http://purl.org/linked-data/cube#"

PREFIXES: dict[str, str] = {
    "bsl": BSL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "prov": PROV,
    "dcterms": DCTERMS,
    "org": ORG,
    "eli": ELI,
    "oa": OA,
    "foaf": FOAF,
    "qb": QB,
}

REPO_ROOT = Path(__file__).resolve().parent.parent


def base_iri() -> str:
    """The base under which Boussole mints IRIs (``BOUSSOLE_BASE_IRI``), always ending with ``/``."""
    base = os.environ.get("BOUSSOLE_BASE_IRI", DEFAULT_BASE_IRI)
    return base if base.endswith("/") else base + "/"


def minted(path: str) -> NamedNode:
    """The IRI of a Boussole resource from its path relative to the base (``engagement/1``)."""
    return NamedNode(base_iri() + path)


def graph(name: str) -> NamedNode:
    """The IRI of one of the dataset's named graphs (``referentiel`` → ``<base>graph/referentiel``)."""
    return minted(f"graph/{name}")


def bsl(term: str) -> NamedNode:
    return NamedNode(BSL + term)


def prefixes(base: str | None = None) -> dict[str, str]:
    """The prefixes every query may use without declaring them: the usual vocabularies and ``id:``, the base of
    minted IRIs (the configured one unless ``base`` is given)."""
    return {**PREFIXES, "id": base or base_iri()}


def prefix_block() -> str:
    """The same prefixes as SPARQL ``PREFIX`` declarations."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes().items())
