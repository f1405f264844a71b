"""Everything a resource's page shows: its properties and links in words, its sources, its contributions, the
deliberations attached to it, and for some kinds (deliberation, commune, champ) what matters to them first."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg.iris import BSL, PROV, RDF, base_iri
from kg.sources import excerpt_lines
from web.deliberations import current_tags, review_items
from web.graph import Graph, fiche_url, local_name, path_of, select, val
from web.labels import PROPERTY_LABELS_INVERSE, Labels, href_of, labels

DEFAULT_SOURCES_DIR = Path(__file__).resolve().parent.parent / "kg" / "sources"
HIDDEN_INCOMING = {"http://www.w3.org/2004/02/skos/core#inScheme", PROV + "wasDerivedFrom"}


EXCERPT_IRI = re.compile(r"^source/([A-Za-z0-9_-]+)#L(\d+)-L(\d+)$")


def source_file(sources_dir: Path, name: str) -> Path | None:
    """The file of the source document ``name`` (``000`` → ``kg/sources/000_….txt``), if there is one."""
    if not Path(sources_dir).is_dir() or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        return None
    for pattern in (f"{name}_*.txt", f"{name}*.txt", f"{name}*.csv", f"{name}*"):
        found = sorted(Path(sources_dir).glob(pattern))
        if found:
            return found[0]
    return None


def _excerpt_file(sources_dir: Path, iri: str) -> tuple[str, int, int] | None:
    """(file, first line, last line) of an excerpt IRI ``source/<document>#L<a>-L<b>`` whose file is found."""
    m = EXCERPT_IRI.match(iri[len(base_iri()):]) if iri.startswith(base_iri()) else None
    found = source_file(sources_dir, m.group(1)) if m else None
    return (found.name, int(m.group(2)), int(m.group(3))) if found else None


@lru_cache(maxsize=16)
def source_excerpt(sources_dir: Path, fichier: str | None, debut: int | None, fin: int | None, cap: int = 200) -> dict:
    if not fichier or not re.fullmatch(r"[A-Za-z0-9._-]+", fichier) or debut is None or fin is None:
        return {"lines": [], "truncated": 0}
    lines, truncated = excerpt_lines(Path(sources_dir) / fichier, debut, fin, cap)
    return {"lines": lines, "truncated": truncated}


LIST_SHOWN = 12      # values of a link shown on the fiche before « voir les N »
PER_PAGE = 50        # values per page of a long list


def _group(rows: list[dict], key: str, other: str, idx: Labels, inverse: bool = False) -> list[dict]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[row[key].value].append(row[other])
    out = []
    for prop, values in groups.items():
        if inverse:
            name = PROPERTY_LABELS_INVERSE.get(prop) or f"ressources dont c'est « {idx.of(prop)} »"
        else:
            name = idx.of(prop)
        items = [idx.link(v) for v in dict.fromkeys(values)]
        items.sort(key=lambda it: (_rank_key(it.get("numero")), it["text"]))
        cle = ("vers-" if inverse else "") + re.sub(r"[^a-z0-9]+", "-", local_name(prop).lower()).strip("-")
        out.append({"property": prop, "name": name, "values": items, "cle": cle, "total": len(items)})
    out.sort(key=lambda g: (g["property"] != RDF + "type", g["name"]))
    return out


def paginate(items: list, page: int, per_page: int = PER_PAGE) -> dict:
    """One page of a long list: its items, the page number (clamped) and the number of pages."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    return {"items": items[(page - 1) * per_page: page * per_page], "page": page, "pages": pages, "total": len(items)}


def _rank_key(numero: str | None):
    if not numero:
        return (1, ())
    return (0, tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", numero)))


def resource(source: ox.Store | Graph, node: ox.NamedNode, sources_dir: Path = DEFAULT_SOURCES_DIR,
             idx: Labels | None = None) -> dict | None:
    """Everything a fiche shows about ``node``; None when the graph says nothing about it.

    A document whose parts are fragments (``ingestion/<hash>#L11``, the rows of an ingested CSV) has no triple of
    its own: its fiche lists its parts.
    """
    out_rows = select(source, "outgoing", s=node)
    in_rows = select(source, "incoming", o=node)
    parts = [] if out_rows or in_rows else select(source, "fragments", prefix=ox.Literal(node.value + "#"))
    if not out_rows and not in_rows and not parts:
        return None
    idx = idx or labels(source)
    iri = node.value
    hidden_out = {PROV + "wasDerivedFrom"}
    props = _group([r for r in out_rows if r["p"].value not in hidden_out and not isinstance(r["o"], ox.BlankNode)],
                   "p", "o", idx)
    _add_blank_nodes(props, select(source, "blank_nodes", s=node), idx)
    incoming = _group([r for r in in_rows if r["p"].value not in HIDDEN_INCOMING], "p", "s", idx, inverse=True)
    types = sorted({local_name(r["o"].value) for r in out_rows if r["p"].value == RDF + "type"})
    type_links = [{"text": idx.of(r["o"].value), "href": "/def#" + r["o"].value[len(BSL):]} for r in out_rows
                  if r["p"].value == RDF + "type" and r["o"].value.startswith(BSL)]
    type_iris = [r["o"].value for r in out_rows if r["p"].value == RDF + "type"]
    type_labels = [idx.of(t) for t in type_iris if t.startswith(BSL)] or [idx.of(t) for t in type_iris]
    sources = []
    for row in select(source, "sources", s=node):
        debut = int(row["debut"].value) if row["debut"] is not None else None
        fin = int(row["fin"].value) if row["fin"] is not None else None
        fichier = val(row["fichier"])
        if fichier is None and (named := _excerpt_file(sources_dir, row["extrait"].value)):
            fichier, debut, fin = named
        sources.append({"extrait": row["extrait"].value, "document": val(row["document"]), "titre": val(row["titre"]),
                        "fichier": fichier, "debut": debut, "fin": fin,
                        **source_excerpt(sources_dir, fichier, debut, fin), "href": href_of(row["extrait"].value),
                        "document_href": fiche_url(row["document"].value) if row["document"] is not None else None})
    provenance = [idx.link(r["o"]) for r in out_rows if r["p"].value == PROV + "wasDerivedFrom"
                  and not any(s["extrait"] == r["o"].value for s in sources)]
    contributions = []
    for row in select(source, "contributions", r=node):
        contributions.append({
            "href": fiche_url(row["c"].value),
            "contributeur": idx.link(row["contributeur"]), "cible": idx.link(row["cible"]),
            "fondement": local_name(row["fondement"].value) if row["fondement"] is not None else None,
            "citation": val(row["citation"]), "justification": val(row["justification"]),
            "sens": "sert" if row["contributeur"].value == iri else "servi par",
        })
    contributions.sort(key=lambda c: (c["sens"], c["fondement"] or "", c["cible"]["text"], c["contributeur"]["text"]))
    item = {
        "iri": iri, "path": path_of(iri), "label": idx.of(iri), "numero": idx.numero.get(iri), "types": types,
        "type_labels": type_labels, "type_links": type_links, "properties": props, "incoming": incoming,
        "sources": sources,
        "provenance": provenance, "contributions": contributions, "alt": sorted(idx.alt.get(iri, ())),
        "parts": [{"href": href_of(r["s"].value), "id": r["s"].value.split("#", 1)[1], "text": val(r["titre"]) or "",
                   "derived": [idx.link(r["derive"])] if r["derive"] is not None else []} for r in parts],
        "contributions_summary": _contributions_summary(contributions),
    }
    if "Deliberation" in types:
        delibs = review_items(source, idx=idx, only=iri)
        item["deliberation"] = delibs[0] if delibs else None
    if {"Engagement", "ChampIntervention"} & set(types):
        item["deliberations"] = attached_deliberations(source, iri, idx)
    return item


def _add_blank_nodes(props: list[dict], rows: list[dict], idx: Labels) -> None:
    """Blank nodes shown as what they say (their own properties), under the property that holds them."""
    described: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        described[r["p0"].value][r["b"].value].append({"name": idx.of(r["p"].value), "value": idx.link(r["o"])})
    for prop, nodes in described.items():
        group = next((g for g in props if g["property"] == prop), None)
        if group is None:
            group = {"property": prop, "name": idx.of(prop), "values": [], "total": 0,
                     "cle": re.sub(r"[^a-z0-9]+", "-", local_name(prop).lower()).strip("-")}
            props.append(group)
        for lines in nodes.values():
            group["values"].append({"text": "", "href": None, "iri": None, "description": lines})
            group["total"] += 1


def _contributions_summary(contributions: list[dict]) -> list[dict]:
    """How many links « sert » per direction, basis and other end: what a long contributions table says in short."""
    counts: dict[tuple, dict] = {}
    for c in contributions:
        other = c["cible"] if c["sens"] == "sert" else c["contributeur"]
        key = (c["sens"], c["fondement"] or "", other["text"])
        entry = counts.setdefault(key, {"sens": c["sens"], "fondement": c["fondement"], "autre": other, "n": 0})
        entry["n"] += 1
    return sorted(counts.values(), key=lambda e: (e["sens"], -e["n"], e["autre"]["text"]))


def attached_deliberations(source: ox.Store | Graph, target: str, idx: Labels) -> list[dict]:
    """Deliberations whose current tag is ``target`` (an engagement also collects the tags of its champs)."""
    found: dict[str, dict] = {}
    for r in current_tags(source):
        if r["corps"] is None or (r["corps"] != target and r["engagement"] != target):
            continue
        entry = found.setdefault(r["d"], {"href": fiche_url(r["d"]), "text": idx.of(r["d"]), "annee": r["annee"],
                                          "montants": set(), "via": set(), "revue": False})
        entry["via"].add(idx.of(r["corps"]) if r["corps"] != target else "")
        entry["revue"] = entry["revue"] or r["humain"]
        if r["montant"] is not None:
            entry["montants"].add(r["montant"])
    out = []
    for e in found.values():
        e["via"] = sorted(v for v in e["via"] if v)
        e["montant"] = sum(e.pop("montants")) if e["montants"] else None
        out.append(e)
    return sorted(out, key=lambda e: (-(e["annee"] or 0), e["text"]))
