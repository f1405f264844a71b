"""Namespaces, the configurable base of minted IRIs, and the named graphs of the dataset."""

from __future__ import annotations

import re
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


_configured = {"base": DEFAULT_BASE_IRI}


def normalise_base(base: str) -> str:
    """A base of minted IRIs always ends with ``/``."""
    return base if base.endswith("/") else base + "/"


def configure(base: str) -> None:
    """Set the base under which this process mints IRIs. Called once, from the settings, by the entry points
    (:func:`api.app.create_app`, the ``boussole`` command line); this module never reads the environment."""
    _configured["base"] = normalise_base(base)


def base_iri() -> str:
    """The base under which Boussole mints IRIs (the configured ``base_iri`` setting), always ending with ``/``."""
    return _configured["base"]


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


# The first path segment of every kind of resource Boussole mints (docs/conventions.md): each is also a prefix,
# ``engagement:`` → ``<base>engagement/``, so that ``engagement:1`` names ``<base>engagement/1``.
RESOURCE_TYPES: tuple[str, ...] = (
    "agent", "ambition", "annotation", "champ", "collectivite", "commune", "constat", "contrat", "contribution", "deliberation",
    "dispositif", "engagement", "epci", "geographie", "graph", "indicateur", "ingestion", "matiere-actes", "observation",
    "organisation", "personne", "pilotage", "poche", "poste", "projet", "projet-de-territoire", "qpv", "role", "source",
    "territoire", "type-constat", "valeur",
)

# SPARQL 1.1 PN_LOCAL: characters a local name may hold as they are, and those it may hold escaped with « \ »
_LOCAL_PLAIN = re.compile(r"[A-Za-z0-9_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF"
                          r"\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]")
_LOCAL_ESCAPABLE = set("_~.-!$&'()*+,;=/?#@%")


def query_prefixes(base: str | None = None) -> dict[str, str]:
    """The prefixes predeclared for queries (endpoint, CLI, YASGUI): the vocabularies, one per resource type
    (``engagement:``, ``champ:``, ``commune:``…) and ``id:``, the base itself."""
    root = base or base_iri()
    return {**PREFIXES, **{t: f"{root}{t}/" for t in RESOURCE_TYPES}, "id": root}


def local_name(text: str) -> str | None:
    """``text`` as a SPARQL 1.1 local name (PN_LOCAL), escaping with « \\ » what must be; None if impossible."""
    out = []
    for i, c in enumerate(text):
        if _LOCAL_PLAIN.fullmatch(c) or (c == "-" and i > 0) or (c == "." and 0 < i < len(text) - 1):
            out.append(c)
        elif c in _LOCAL_ESCAPABLE:
            out.append("\\" + c)
        else:
            return None
    return "".join(out)


def compact(iri: str, base: str | None = None) -> str:
    """The name Boussole prints for an IRI, which pastes back into a query as it is: ``engagement:1``,
    ``champ:1-2\\/orientation\\/1`` (« / » escaped), ``id:finalite``; a vocabulary term as ``skos:prefLabel``;
    anything else as ``<iri>``."""
    root = base or base_iri()
    if iri.startswith(root):
        path = iri[len(root):]
        kind, sep, rest = path.partition("/")
        if sep and rest and kind in RESOURCE_TYPES:
            local = local_name(rest)
            if local is not None:
                return f"{kind}:{local}"
        local = local_name(path)
        return f"id:{local}" if local is not None else f"<{iri}>"
    for name, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            local = local_name(iri[len(ns):])
            if local is not None:
                return f"{name}:{local}"
    return f"<{iri}>"
