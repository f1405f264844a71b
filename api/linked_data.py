"""Dereferencing minted IRIs for programs: ``/id/<path>`` as Turtle, compact JSON-LD, N-Triples or RDF/XML (people
get the resource's page, :func:`web.pages.fiche_page`), the JSON-LD context and the ontology's page.
"""

from __future__ import annotations

import pyoxigraph as ox

from api.backends import Backend
from api.settings import Settings
from kg.iris import BSL, RDF, RDFS, SKOS, compact, prefixes
from kg.sources import source_lines
from web.fiches import source_file

EXTENSIONS = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples",
              ".rdf": "application/rdf+xml", ".html": "text/html"}
LD_OFFERS = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
             "application/xhtml+xml", "application/json"]
MAX_OUT = 5000
MAX_IN = 500


def curie(iri: str, settings: Settings) -> str:
    if iri.startswith(settings.base_iri):  # the name that pastes back into a query (engagement:1)
        return compact(iri, settings.base_iri)
    for p, ns in prefixes(settings.base_iri).items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{p}:{iri[len(ns):]}"
    return iri


async def describe_quads(backend: Backend, iri: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The quads about ``iri`` (with the blank nodes hanging from it) and the first ``MAX_IN`` that point to it
    (a much-cited resource, an engagement, has tens of thousands: they are not counted, a query does that)."""
    node = ox.NamedNode(iri)
    out = await backend.quads(node, None, None, limit=MAX_OUT)
    # blank-node closure (a few levels): the description of blank nodes hanging from the resource
    frontier = [q.object for q in out if isinstance(q.object, ox.BlankNode)]
    seen = set()
    for _ in range(3):
        nxt = []
        for b in frontier:
            if b in seen:
                continue
            seen.add(b)
            more = await backend.quads(b, None, None, limit=MAX_OUT)
            out += more
            nxt += [q.object for q in more if isinstance(q.object, ox.BlankNode)]
        frontier = nxt
    incoming = await backend.quads(None, None, node, limit=MAX_IN)
    return out, incoming


def rdf_document(out: list[ox.Quad], incoming: list[ox.Quad], fmt: ox.RdfFormat, settings: Settings) -> bytes:
    triples = list(dict.fromkeys([q.triple for q in out] + [q.triple for q in incoming]))
    return ox.serialize(triples, format=fmt, prefixes=prefixes(settings.base_iri)) or b""


def source_document_view(settings: Settings, name: str) -> dict | None:
    path = source_file(settings.sources_dir, name)
    if path is None:
        return None
    return {"name": name, "file": path.name, "lines": list(enumerate(source_lines(path), start=1))}


def json_ld_context(settings: Settings) -> dict:
    """A JSON-LD context: the prefixes, ``@base``, and a short term for each property of the ontology."""
    ctx: dict = {"@base": settings.base_iri, **prefixes(settings.base_iri)}
    path = settings.ontology_file
    if path.is_file():
        try:
            quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
        except (SyntaxError, OSError):
            quads = []
        kinds: dict[str, str] = {}
        ranges: dict[str, str] = {}
        for q in quads:
            s = q.subject.value if isinstance(q.subject, ox.NamedNode) else None
            if not s or not s.startswith(BSL):
                continue
            if q.predicate.value == RDF + "type":
                kinds.setdefault(s, q.object.value)
                if q.object.value == "http://www.w3.org/2002/07/owl#ObjectProperty":
                    kinds[s] = q.object.value
            if q.predicate.value == RDFS + "range" and isinstance(q.object, ox.NamedNode):
                ranges[s] = q.object.value
        for s, kind in sorted(kinds.items()):
            name = s[len(BSL):]
            if not name:
                continue
            if kind == "http://www.w3.org/2002/07/owl#ObjectProperty":
                ctx[name] = {"@id": f"bsl:{name}", "@type": "@id"}
            elif kind == "http://www.w3.org/2002/07/owl#DatatypeProperty":
                rng = ranges.get(s)
                if rng and rng.startswith("http://www.w3.org/2001/XMLSchema#") and not rng.endswith("#string"):
                    ctx[name] = {"@id": f"bsl:{name}", "@type": "xsd:" + rng.rsplit("#", 1)[1]}
                else:
                    ctx[name] = {"@id": f"bsl:{name}"}
            elif kind == "http://www.w3.org/2002/07/owl#Class":
                ctx[name] = f"bsl:{name}"
    ctx.update({
        "type": "@type",
        "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
        "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
        "definition": {"@id": "skos:definition", "@container": "@language"},
        "wasDerivedFrom": {"@id": "prov:wasDerivedFrom", "@type": "@id"},
    })
    for name, spec in READABLE_TERMS.items():  # the ontology's own terms win a name clash
        ctx.setdefault(name, spec)
    return {"@context": ctx}


# readable keys for the properties of the other vocabularies the graph uses (their local names)
READABLE_TERMS: dict[str, dict] = {
    "title": {"@id": "eli:title", "@container": "@language"},
    "dateDocument": {"@id": "eli:date_document", "@type": "xsd:date"},
    "idLocal": {"@id": "eli:id_local"},
    "passedBy": {"@id": "eli:passed_by", "@type": "@id"},
    "isAbout": {"@id": "eli:is_about", "@type": "@id"},
    "typeDocument": {"@id": "eli:type_document", "@type": "@id"},
    "hasTarget": {"@id": "oa:hasTarget", "@type": "@id"},
    "hasBody": {"@id": "oa:hasBody", "@type": "@id"},
    "wasAttributedTo": {"@id": "prov:wasAttributedTo", "@type": "@id"},
    "generatedAtTime": {"@id": "prov:generatedAtTime", "@type": "xsd:dateTime"},
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
    "note": {"@id": "skos:note", "@container": "@language"},
    "dcTitle": {"@id": "dcterms:title"},
    "description": {"@id": "dcterms:description", "@container": "@language"},
    "memberOf": {"@id": "org:memberOf", "@type": "@id"},
    "name": {"@id": "foaf:name"},
    "comment": {"@id": "rdfs:comment", "@container": "@language"},
    "label": {"@id": "rdfs:label", "@container": "@language"},
}


class Compactor:
    """Triples as compact JSON-LD under :func:`json_ld_context`: readable keys, IRIs under the base relative to
    ``@base``, CURIEs for the other vocabularies, and values in the shortest form that expands back to the same
    term (a value object wherever the key's coercion would change the term)."""

    def __init__(self, settings: Settings):
        ctx = json_ld_context(settings)["@context"]
        self.base = settings.base_iri
        self.prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.startswith("http")}
        self.terms: dict[str, tuple[str, dict]] = {}
        self.classes: dict[str, str] = {}
        for name, spec in ctx.items():
            if name.startswith("@") or name in self.prefixes:
                continue
            if isinstance(spec, dict):
                self.terms[self.expand(spec["@id"])] = (name, spec)
            elif isinstance(spec, str) and spec != "@type":
                self.classes[self.expand(spec)] = name

    def expand(self, curie_or_iri: str) -> str:
        prefix, _, local = curie_or_iri.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes and not local.startswith("//") else curie_or_iri

    def curie(self, iri: str) -> str:
        for p, ns in self.prefixes.items():
            if p != "id" and iri.startswith(ns) and len(iri) > len(ns) and "/" not in iri[len(ns):]:
                return f"{p}:{iri[len(ns):]}"
        return iri

    def ref(self, iri: str) -> str:
        """A node reference: relative to ``@base`` under the base, else a CURIE, else the IRI."""
        if iri.startswith(self.base) and len(iri) > len(self.base) and ":" not in iri[len(self.base):].split("/")[0]:
            return iri[len(self.base):]
        return self.curie(iri)

    def value(self, term, spec: dict):
        if isinstance(term, ox.NamedNode):
            return self.ref(term.value) if spec.get("@type") == "@id" else {"@id": self.ref(term.value)}
        if isinstance(term, ox.BlankNode):
            return {"@id": f"_:{term.value}"}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        dt = self.curie(term.datatype.value)
        if spec.get("@type") == dt:
            return term.value
        if dt == "xsd:string" and "@type" not in spec and "@container" not in spec:
            return term.value
        if dt == "xsd:string":
            return {"@value": term.value}
        return {"@value": term.value, "@type": dt}

    def node(self, subject, triples: list[ox.Triple]) -> dict:
        out: dict = {"@id": self.ref(subject.value) if isinstance(subject, ox.NamedNode) else f"_:{subject.value}"}
        for t in triples:
            p = t.predicate.value
            if p == RDF + "type" and isinstance(t.object, ox.NamedNode):
                out.setdefault("type", []).append(self.classes.get(t.object.value) or self.curie(t.object.value))
                continue
            name, spec = self.terms.get(p, (self.curie(p), {}))
            if spec.get("@container") == "@language" and isinstance(t.object, ox.Literal) and t.object.language:
                out.setdefault(name, {}).setdefault(t.object.language, []).append(t.object.value)
                continue
            if spec.get("@container") == "@language":  # a value the language map cannot hold: a full key
                name, spec = p, {}
            out.setdefault(name, []).append(self.value(t.object, spec))
        for key, values in out.items():
            if isinstance(values, list) and len(values) == 1:
                out[key] = values[0]
            elif isinstance(values, dict) and key != "@id":
                out[key] = {lang: v[0] if len(v) == 1 else v for lang, v in values.items()}
        return out


def compact_json_ld(out: list[ox.Quad], incoming: list[ox.Quad], settings: Settings) -> dict:
    """The description of a resource (what ``rdf_document`` serialises) as compact JSON-LD: one node per subject,
    the resource first, under the published context (``/context.jsonld``) given inline, so that any JSON-LD
    processor reads it without fetching anything."""
    triples = list(dict.fromkeys([q.triple for q in out] + [q.triple for q in incoming]))
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
    compactor = Compactor(settings)
    nodes = [compactor.node(s, ts) for s, ts in by_subject.items()]
    return {"@context": json_ld_context(settings)["@context"], "@graph": nodes}


def ontology_view(settings: Settings) -> dict:
    path = settings.ontology_file
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)) if path.is_file() else []
    terms: dict[str, dict] = {}
    for q in quads:
        if not isinstance(q.subject, ox.NamedNode) or not q.subject.value.startswith(BSL):
            continue
        name = q.subject.value[len(BSL):]
        if not name:
            continue
        t = terms.setdefault(name, {"name": name, "kinds": [], "labels": [], "comments": [], "other": []})
        p, o = q.predicate.value, q.object
        if p == RDF + "type":
            t["kinds"].append(curie(o.value, settings))
        elif p in (RDFS + "label", SKOS + "prefLabel"):
            t["labels"].append(o.value)
        elif p in (RDFS + "comment", SKOS + "definition"):
            t["comments"].append(o.value)
        else:
            shown = curie(o.value, settings) if isinstance(o, ox.NamedNode) else o.value
            t["other"].append((curie(p, settings), shown))
    groups: dict[str, list[dict]] = {"Classes": [], "Propriétés": [], "Autres": []}
    for t in sorted(terms.values(), key=lambda t: t["name"].lower()):
        if "owl:Class" in t["kinds"] or "rdfs:Class" in t["kinds"]:
            groups["Classes"].append(t)
        elif any(k.endswith("Property") for k in t["kinds"]):
            groups["Propriétés"].append(t)
        else:
            groups["Autres"].append(t)
    return {"groups": groups, "count": len(terms)}
