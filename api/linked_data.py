"""Dereferencing minted IRIs: ``/id/<path>`` as HTML for people, Turtle / JSON-LD / N-Triples / RDF/XML for programs."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from api.backends import Backend
from api.settings import Settings
from kg.iris import BSL, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, compact, prefixes
from kg.sources import excerpt_lines, source_lines

LABEL_PREDICATES = [SKOS + "prefLabel", RDFS + "label", DCTERMS + "title", FOAF + "name", SKOS + "altLabel"]
EXTENSIONS = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples",
              ".rdf": "application/rdf+xml", ".html": "text/html"}
LD_OFFERS = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
             "application/xhtml+xml", "application/json"]
EXCERPT = re.compile(r"^source/([^#/]+)#L(\d+)-L(\d+)$")
MAX_OUT = 5000
MAX_IN = 500
MAX_EXCERPT_LINES = 40


@dataclass
class Value:
    html: str
    sort: str


@dataclass
class Excerpt:
    iri: str
    href: str
    document: str
    start: int
    end: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    truncated: bool = False


def local_href(iri: str, settings: Settings) -> str | None:
    base = settings.base_iri
    if iri.startswith(base):
        return "/id/" + iri[len(base):]
    if iri.startswith(BSL):
        return "/def#" + iri[len(BSL):]
    if iri == BSL.rstrip("#"):
        return "/def"
    return None


def curie(iri: str, settings: Settings) -> str:
    if iri.startswith(settings.base_iri):  # the name that pastes back into a query (engagement:1)
        return compact(iri, settings.base_iri)
    for p, ns in prefixes(settings.base_iri).items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{p}:{iri[len(ns):]}"
    return iri


def source_file(settings: Settings, name: str) -> Path | None:
    if not settings.sources_dir.is_dir() or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return None
    for pattern in (f"{name}_*.txt", f"{name}*.txt", f"{name}*.csv", f"{name}*"):
        found = sorted(settings.sources_dir.glob(pattern))
        if found:
            return found[0]
    return None


def excerpt(settings: Settings, iri: str) -> Excerpt | None:
    if not iri.startswith(settings.base_iri):
        return None
    m = EXCERPT.match(iri[len(settings.base_iri):])
    if not m:
        return None
    name, start, end = m.group(1), int(m.group(2)), int(m.group(3))
    ex = Excerpt(iri, local_href(iri, settings), name, start, end)
    path = source_file(settings, name)
    if path is not None:
        ex.lines, left_out = excerpt_lines(path, start, end, MAX_EXCERPT_LINES)
        ex.truncated = left_out > 0
        ex.document = path.name
    return ex


class Renderer:
    def __init__(self, settings: Settings, labels: dict[str, str]):
        self.settings = settings
        self.labels = labels

    def term(self, t) -> Value:
        s = self.settings
        if isinstance(t, ox.NamedNode):
            iri = t.value
            label = self.labels.get(iri)
            shown = html.escape(label or curie(iri, s))
            href = local_href(iri, s) or iri
            title = html.escape(iri)
            extra = "" if label is None else f' <span class="curie">{html.escape(curie(iri, s))}</span>'
            return Value(f'<a href="{html.escape(href)}" title="{title}">{shown}</a>{extra}', (label or iri).lower())
        if isinstance(t, ox.BlankNode):
            return Value(f'<span class="bnode">_:{html.escape(t.value)}</span>', "_:" + t.value)
        if isinstance(t, ox.Literal):
            text = html.escape(t.value).replace("\n", "<br>")
            if t.language:
                suffix = f'<span class="lang">@{html.escape(t.language)}</span>'
            elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                suffix = f'<span class="datatype">^^{html.escape(curie(t.datatype.value, s))}</span>'
            else:
                suffix = ""
            return Value(f'<span class="literal">{text}</span>{suffix}', t.value.lower())
        return Value(html.escape(str(t)), str(t))


async def labels_for(backend: Backend, iris: set[str]) -> dict[str, str]:
    return await backend.labels(set(iris), LABEL_PREDICATES)


async def describe_quads(backend: Backend, iri: str) -> tuple[list[ox.Quad], list[ox.Quad], int]:
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
    total_in = len(incoming)
    if total_in >= MAX_IN:
        total_in = await backend.count(None, None, node)
    return out, incoming, total_in


def rdf_document(out: list[ox.Quad], incoming: list[ox.Quad], fmt: ox.RdfFormat, settings: Settings) -> bytes:
    triples = list(dict.fromkeys([q.triple for q in out] + [q.triple for q in incoming]))
    return ox.serialize(triples, format=fmt, prefixes=prefixes(settings.base_iri))


async def resource_view(backend: Backend, settings: Settings, iri: str) -> dict | None:
    out, incoming, total_in = await describe_quads(backend, iri)
    if not out and not incoming:
        return None
    node = ox.NamedNode(iri)
    iris = {iri}
    for q in out:
        iris.add(q.predicate.value)
        if isinstance(q.object, ox.NamedNode):
            iris.add(q.object.value)
    for q in incoming:
        iris.add(q.subject.value if isinstance(q.subject, ox.NamedNode) else "")
        iris.add(q.predicate.value)
    iris.discard("")
    labels = await labels_for(backend, iris)
    r = Renderer(settings, labels)
    main = [q for q in out if q.subject == node]
    types = [r.term(q.object).html for q in main if q.predicate.value == RDF + "type"]
    props: dict[str, dict] = {}
    graphs: set[str] = set()
    for q in main:
        if isinstance(q.graph_name, ox.NamedNode):
            graphs.add(q.graph_name.value)
        p = q.predicate.value
        entry = props.setdefault(p, {"predicate": r.term(q.predicate).html, "values": [], "key": curie(p, settings)})
        v = r.term(q.object)
        if isinstance(q.object, ox.BlankNode):
            inner = [x for x in out if x.subject == q.object]
            rows = "".join(f"<li>{r.term(x.predicate).html} {r.term(x.object).html}</li>" for x in inner)
            v = Value(f'<ul class="bnode-desc">{rows}</ul>' if rows else v.html, v.sort)
        if v.html not in [x.html for x in entry["values"]]:
            entry["values"].append(v)
    for entry in props.values():
        entry["values"].sort(key=lambda v: v.sort)
    order = {SKOS + "prefLabel": 0, RDF + "type": 1, SKOS + "altLabel": 2, SKOS + "definition": 3}
    properties = sorted(props.items(), key=lambda kv: (order.get(kv[0], 10), kv[1]["key"]))
    inc: dict[str, dict] = {}
    for q in incoming:
        p = q.predicate.value
        entry = inc.setdefault(p, {"predicate": r.term(q.predicate).html, "values": []})
        v = r.term(q.subject)
        if v.html not in [x.html for x in entry["values"]]:
            entry["values"].append(v)
    for entry in inc.values():
        entry["values"].sort(key=lambda v: v.sort)
    excerpts = []
    for q in main:
        if q.predicate.value == PROV + "wasDerivedFrom" and isinstance(q.object, ox.NamedNode):
            ex = excerpt(settings, q.object.value)
            if ex:
                excerpts.append(ex)
    excerpts.sort(key=lambda e: (e.document, e.start))
    base = settings.base_iri
    path = iri[len(base):] if iri.startswith(base) else iri
    return {
        "iri": iri,
        "path": path,
        "label": labels.get(iri) or curie(iri, settings),
        "types": types,
        "properties": [v for _, v in properties],
        "incoming": sorted(inc.values(), key=lambda e: e["predicate"]),
        "incoming_total": total_in,
        "incoming_shown": len(incoming),
        "excerpts": excerpts,
        "graphs": sorted(graphs),
        "alternates": [(ext, media) for ext, media in EXTENSIONS.items() if ext != ".html"],
    }


def source_document_view(settings: Settings, name: str) -> dict | None:
    path = source_file(settings, name)
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
    return {"@context": ctx}


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
            t["other"].append((curie(p, settings), curie(o.value, settings) if isinstance(o, ox.NamedNode) else o.value))
    groups = {"Classes": [], "Propriétés": [], "Autres": []}
    for t in sorted(terms.values(), key=lambda t: t["name"].lower()):
        if "owl:Class" in t["kinds"] or "rdfs:Class" in t["kinds"]:
            groups["Classes"].append(t)
        elif any(k.endswith("Property") for k in t["kinds"]):
            groups["Propriétés"].append(t)
        else:
            groups["Autres"].append(t)
    return {"groups": groups, "count": len(terms)}
