"""SPARQL Service Description (with VoID statistics) and the DCAT description of the dataset."""

from __future__ import annotations

import asyncio
import time

import pyoxigraph as ox

from api.backends import Backend
from api.settings import Settings
from kg.iris import SH, query_prefixes

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"

# what each named graph holds (docs/conventions.md)
GRAPH_DESCRIPTIONS = {
    "ontology": "L'ontologie Boussole (ontology/boussole.ttl)",
    "referentiel": "Le Projet de Territoire 2024-2044 : finalité, valeurs, ambitions, engagements, champs d'intervention, projets",
    "territoire": "EPCI, communes, bassins de vie, QPV, poches de pauvreté, indicateurs",
    "contrats": "Les contrats (CRTE, Contrat Quartiers 2030, PCAET, PAT…) et leur arborescence",
    "crosswalk": "Les liens de contribution des contrats et projets aux engagements et champs",
    "constats": "Les constats d'incohérence relevés dans les documents",
    "sources": "Les documents sources et leurs extraits (lignes)",
    "inferred": "Les triplets inférés par le raisonneur (HermiT)",
    "deliberations": "Les délibérations ingérées et leurs mentions",
    "annotations": "Les étiquettes (modèle et relecture humaine)",
}

RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads"]
INPUT_FORMATS = ["Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads"]


class Stats:
    """VoID statistics, computed once per store generation (in a thread, off the event loop)."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self._cache: tuple[int, float, dict] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> dict:
        async with self._lock:
            gen = self.backend.generation
            if self._cache and self._cache[0] == gen and (self.backend.kind == "embedded" or time.time() - self._cache[1] < 60):
                return self._cache[2]
            stats = await self._compute()
            self._cache = (gen, time.time(), stats)
            return stats

    async def _compute(self) -> dict:
        b = self.backend
        graphs = await b.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
        classes = await b.select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n)")
        props = await b.select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n)")
        per_graph = await b.select(
            "SELECT ?g ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?g ?c ORDER BY ?g DESC(?n)"
        )
        subjects = await b.select("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
        total = await b.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        g_classes: dict[str, list] = {}
        for r in per_graph:
            g_classes.setdefault(r["g"].value, []).append((r["c"].value, int(r["n"].value)))
        return {
            "triples": int(total[0]["n"].value) if total else 0,
            "distinct_subjects": int(subjects[0]["n"].value) if subjects else 0,
            "graphs": [(r["g"].value, int(r["n"].value)) for r in graphs if isinstance(r["g"], ox.NamedNode)],
            "classes": [(r["c"].value, int(r["n"].value)) for r in classes if isinstance(r["c"], ox.NamedNode)],
            "properties": [(r["p"].value, int(r["n"].value)) for r in props],
            "graph_classes": g_classes,
        }


def _lit(value, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))
    return ox.Literal(str(value))


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _graph_description(settings: Settings, iri: str) -> str | None:
    prefix = settings.base_iri + "graph/"
    return GRAPH_DESCRIPTIONS.get(iri[len(prefix):]) if iri.startswith(prefix) else None


def service_description(settings: Settings, endpoint: str, stats: dict) -> list[ox.Triple]:
    t: list[ox.Triple] = []

    def add(s, p, o):
        t.append(ox.Triple(s, _n(p) if isinstance(p, str) else p, o))

    svc = _n(endpoint)
    root = endpoint.rsplit("/sparql", 1)[0]
    add(svc, RDF_TYPE, _n(SD + "Service"))
    add(svc, SD + "endpoint", svc)
    add(svc, SD + "supportedLanguage", _n(SD + "SPARQL11Query"))
    if settings.writable:
        add(svc, SD + "supportedLanguage", _n(SD + "SPARQL11Update"))
    for f in RESULT_FORMATS:
        add(svc, SD + "resultFormat", _n(FORMATS + f))
    if settings.writable:
        for f in INPUT_FORMATS:
            add(svc, SD + "inputFormat", _n(FORMATS + f))
    add(svc, SD + "feature", _n(SD + "UnionDefaultGraph"))
    add(svc, SD + "feature", _n(SD + "EmptyGraphs"))
    if settings.federation_allow_list:
        add(svc, SD + "feature", _n(SD + "BasicFederatedQuery"))
    add(svc, SD + "defaultEntailmentRegime", _n("http://www.w3.org/ns/entailment/Simple"))
    add(svc, DCT + "title", _lit("Boussole — point d'accès SPARQL du Projet de Territoire 2024-2044", lang="fr"))
    # the prefixes every query may use without declaring them (SHACL prefix declarations)
    for name, namespace in query_prefixes(settings.base_iri).items():
        declaration = ox.BlankNode(f"prefix-{name}")
        add(svc, SH + "declare", declaration)
        add(declaration, RDF_TYPE, _n(SH + "PrefixDeclaration"))
        add(declaration, SH + "prefix", _lit(name))
        add(declaration, SH + "namespace", _lit(namespace, "anyURI"))

    ds = _n(root + "/dataset")
    add(svc, SD + "defaultDataset", ds)
    add(ds, RDF_TYPE, _n(SD + "Dataset"))
    add(ds, RDF_TYPE, _n(VOID + "Dataset"))
    add(ds, VOID + "sparqlEndpoint", svc)
    add(ds, VOID + "dataDump", _n(root + "/dump.nq"))
    add(ds, VOID + "dataDump", _n(root + "/dump.trig"))
    add(ds, VOID + "uriSpace", _lit(settings.base_iri))
    add(ds, VOID + "triples", _lit(stats["triples"], "integer"))
    add(ds, VOID + "distinctSubjects", _lit(stats["distinct_subjects"], "integer"))
    add(ds, VOID + "classes", _lit(len(stats["classes"]), "integer"))
    add(ds, VOID + "properties", _lit(len(stats["properties"]), "integer"))

    dg = ox.BlankNode("defaultGraph")
    add(ds, SD + "defaultGraph", dg)
    add(dg, RDF_TYPE, _n(SD + "Graph"))
    add(dg, RDF_TYPE, _n(VOID + "Dataset"))
    add(dg, DCT + "description", _lit("Le graphe par défaut est l'union de tous les graphes nommés", lang="fr"))
    add(dg, VOID + "triples", _lit(stats["triples"], "integer"))
    for k, (c, n) in enumerate(stats["classes"]):
        part = ox.BlankNode(f"class{k}")
        add(dg, VOID + "classPartition", part)
        add(part, VOID + "class", _n(c))
        add(part, VOID + "entities", _lit(n, "integer"))
    for k, (p, n) in enumerate(stats["properties"]):
        part = ox.BlankNode(f"property{k}")
        add(dg, VOID + "propertyPartition", part)
        add(part, VOID + "property", _n(p))
        add(part, VOID + "triples", _lit(n, "integer"))

    for k, (g, n) in enumerate(stats["graphs"]):
        ng = ox.BlankNode(f"named{k}")
        gr = ox.BlankNode(f"graph{k}")
        add(ds, SD + "namedGraph", ng)
        add(ng, RDF_TYPE, _n(SD + "NamedGraph"))
        add(ng, SD + "name", _n(g))
        add(ng, SD + "graph", gr)
        add(gr, RDF_TYPE, _n(SD + "Graph"))
        add(gr, RDF_TYPE, _n(VOID + "Dataset"))
        add(gr, VOID + "triples", _lit(n, "integer"))
        desc = _graph_description(settings, g)
        if desc:
            add(gr, DCT + "description", _lit(desc, lang="fr"))
        for j, (c, cn) in enumerate(stats["graph_classes"].get(g, [])[:50]):
            part = ox.BlankNode(f"graph{k}class{j}")
            add(gr, VOID + "classPartition", part)
            add(part, VOID + "class", _n(c))
            add(part, VOID + "entities", _lit(cn, "integer"))
    return t


def dcat_description(settings: Settings, root: str, stats: dict) -> list[ox.Triple]:
    t: list[ox.Triple] = []

    def add(s, p, o):
        t.append(ox.Triple(s, _n(p) if isinstance(p, str) else p, o))

    ds = _n(root + "/dataset")
    add(ds, RDF_TYPE, _n(DCAT + "Dataset"))
    add(ds, RDF_TYPE, _n(VOID + "Dataset"))
    add(ds, DCT + "title", _lit("Boussole — graphe de connaissances du Projet de Territoire 2024-2044 de La Porte du Hainaut", lang="fr"))
    add(
        ds,
        DCT + "description",
        _lit(
            "Le référentiel du Projet de Territoire 2024-2044 de la Communauté d'Agglomération de La Porte du Hainaut, "
            "les contrats qui s'y rattachent, le territoire, les constats d'incohérence et les délibérations, "
            "avec la provenance de chaque fait (document source et lignes).",
            lang="fr",
        ),
    )
    add(ds, DCT + "publisher", _n(settings.base_iri + "epci/200042190"))
    add(ds, DCT + "language", _n("http://publications.europa.eu/resource/authority/language/FRA"))
    add(ds, DCAT + "keyword", _lit("projet de territoire", lang="fr"))
    add(ds, DCAT + "keyword", _lit("SPARQL", lang="fr"))
    add(ds, VOID + "uriSpace", _lit(settings.base_iri))
    add(ds, VOID + "triples", _lit(stats["triples"], "integer"))
    add(ds, VOID + "sparqlEndpoint", _n(root + "/sparql"))
    add(ds, DCT + "conformsTo", _n(root + "/def"))
    for name, media, label in (
        ("dump.nq", "application/n-quads", "Export complet (N-Quads)"),
        ("dump.trig", "application/trig", "Export complet (TriG)"),
    ):
        dist = _n(f"{root}/dataset#{name}")
        add(ds, DCAT + "distribution", dist)
        add(dist, RDF_TYPE, _n(DCAT + "Distribution"))
        add(dist, DCT + "title", _lit(label, lang="fr"))
        add(dist, DCAT + "downloadURL", _n(f"{root}/{name}"))
        add(dist, DCAT + "mediaType", _n(f"https://www.iana.org/assignments/media-types/{media}"))
    svc = _n(root + "/sparql")
    add(ds, DCAT + "distribution", _n(f"{root}/dataset#sparql"))
    add(_n(f"{root}/dataset#sparql"), RDF_TYPE, _n(DCAT + "Distribution"))
    add(_n(f"{root}/dataset#sparql"), DCAT + "accessService", svc)
    add(_n(f"{root}/dataset#sparql"), DCAT + "accessURL", svc)
    add(svc, RDF_TYPE, _n(DCAT + "DataService"))
    add(svc, DCT + "title", _lit("Point d'accès SPARQL 1.1", lang="fr"))
    add(svc, DCAT + "endpointURL", svc)
    add(svc, DCAT + "endpointDescription", svc)
    add(svc, DCAT + "servesDataset", ds)
    add(svc, DCT + "conformsTo", _n("https://www.w3.org/TR/sparql11-protocol/"))
    for g, n in stats["graphs"]:
        add(ds, DCT + "hasPart", _n(g))
        add(_n(g), VOID + "triples", _lit(n, "integer"))
        desc = _graph_description(settings, g)
        if desc:
            add(_n(g), DCT + "description", _lit(desc, lang="fr"))
    return t
