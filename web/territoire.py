"""The Projet de Territoire as the pages show it: the tree of finalité, valeurs, ambitions, engagements, champs…"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from web.graph import Graph, fiche_url, local_name, path_of, select, val

TYPE_ORDER = ["Finalite", "Valeur", "Ambition", "Engagement", "ChampIntervention", "Orientation", "Action",
              "ProjetEmblematique", "ConditionMiseEnOeuvre"]


def tree(source: ox.Store | Graph) -> dict:
    """The Projet de Territoire as nested nodes: finalité, valeurs, ambitions, engagements → champs → …"""
    nodes: dict[str, dict] = {}
    for row in select(source, "tree"):
        iri = row["s"].value
        t = local_name(row["type"].value)
        node = nodes.get(iri)
        if node is None or TYPE_ORDER.index(t) > TYPE_ORDER.index(node["type"]):
            # the most specific of the listed types wins (a ProjetEmblematique is listed after Engagement…)
            nodes[iri] = node = {
                "iri": iri, "href": fiche_url(iri), "type": t, "label": row["label"].value,
                "numero": val(row["numero"]), "rang": int(row["rang"].value) if row["rang"] is not None else 999,
                "parent": val(row["parent"]), "children": [],
            }
    roots: dict[str, list] = defaultdict(list)
    for node in nodes.values():
        parent = nodes.get(node["parent"]) if node["parent"] else None
        if parent is not None and node["type"] != "ProjetEmblematique":
            parent["children"].append(node)
        elif node["type"] == "ProjetEmblematique" and parent is not None:
            parent.setdefault("projets", []).append(node)
        else:
            roots[node["type"]].append(node)

    def sort(items):
        items.sort(key=lambda n: (TYPE_ORDER.index(n["type"]), n["rang"], n["numero"] or "", n["label"]))
        for n in items:
            sort(n["children"])
            if "projets" in n:
                sort(n["projets"])
        return items

    return {k: sort(v) for k, v in roots.items()}


def engagements(source: ox.Store | Graph) -> list[dict]:
    """The engagements and their champs, for the filters and the correction form."""
    return [{"iri": e["iri"], "path": path_of(e["iri"]), "label": e["label"], "numero": e["numero"], "href": e["href"],
             "champs": [{"iri": c["iri"], "path": path_of(c["iri"]), "label": c["label"], "numero": c["numero"],
                         "href": c["href"]}
                        for c in e["children"] if c["type"] == "ChampIntervention"]}
            for e in tree(source).get("Engagement", [])]


def champ_engagements(source: ox.Store | Graph) -> dict[str, str]:
    """champ IRI → engagement IRI."""
    out = {}
    for roots in tree(source).get("Engagement", []):
        for c in roots["children"]:
            if c["type"] == "ChampIntervention":
                out[c["iri"]] = roots["iri"]
    return out


def find_node(roots: dict, iri: str) -> dict | None:
    """The node of ``iri`` in the tree (with its children), or None."""
    stack = [n for nodes in roots.values() for n in nodes]
    while stack:
        n = stack.pop()
        if n["iri"] == iri:
            return n
        stack += n["children"] + n.get("projets", [])
    return None
