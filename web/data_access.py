"""What the pages read from the graph: every query is a .rq file of ``web/queries/``.

User input never enters query text: resource IRIs are checked against a strict pattern and bound through
pyoxigraph ``substitutions`` (the bound variables are projected by the queries); the search is done in Python
over a label index loaded by one query; filters of the review queue are applied in Python to query rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg.iris import BSL, DCTERMS, ELI, FOAF, OA, ORG, PROV, RDF, RDFS, SKOS, base_iri
from kg.querying import run
from kg.sources import excerpt_lines

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
DEFAULT_SOURCES_DIR = Path(__file__).resolve().parent.parent / "kg" / "sources"

# a path under the base: letters, digits and the few punctuation marks the IRI patterns use
PATH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~\-/]{0,300}$")
HUMAN_STATUSES = ("accepte", "corrige")
AUCUN = BSL + "aucunEngagement"

# French labels for the properties of external vocabularies (bsl: terms take theirs from the ontology)
PROPERTY_LABELS = {
    RDF + "type": "type",
    SKOS + "prefLabel": "libellé",
    SKOS + "altLabel": "autre libellé",
    SKOS + "hiddenLabel": "libellé caché",
    SKOS + "definition": "définition",
    SKOS + "note": "note",
    SKOS + "scopeNote": "note d'application",
    SKOS + "broader": "fait partie de",
    SKOS + "narrower": "comprend",
    SKOS + "inScheme": "dans le schéma",
    SKOS + "topConceptOf": "élément de tête de",
    SKOS + "notation": "notation",
    SKOS + "exactMatch": "correspondance exacte",
    RDFS + "label": "libellé",
    RDFS + "comment": "commentaire",
    PROV + "wasDerivedFrom": "source",
    PROV + "wasAttributedTo": "attribué à",
    PROV + "generatedAtTime": "produit le",
    DCTERMS + "description": "description",
    DCTERMS + "title": "titre",
    DCTERMS + "creator": "auteur",
    DCTERMS + "identifier": "identifiant",
    DCTERMS + "format": "format",
    ORG + "memberOf": "membre de",
    ORG + "hasMember": "a pour membre",
    ELI + "title": "objet",
    ELI + "date_document": "date",
    ELI + "passed_by": "adoptée par",
    ELI + "is_about": "matière",
    ELI + "id_local": "numéro",
    OA + "hasTarget": "cible",
    OA + "hasBody": "étiquette",
    FOAF + "name": "nom",
}
PROPERTY_LABELS_INVERSE = {
    SKOS + "broader": "comprend",
    BSL + "engagement": "éléments de cet engagement",
    BSL + "champ": "éléments de ce champ",
    BSL + "sert": "servi par",
    BSL + "contributeur": "contribution (comme contributeur)",
    BSL + "cible": "contribution (comme cible)",
    BSL + "contrat": "éléments du contrat",
    BSL + "commune": "situé dans cette commune",
    BSL + "inclut": "inclus dans",
    BSL + "porteSur": "constats",
    BSL + "designe": "mentionné dans",
    ORG + "memberOf": "membres",
    OA + "hasTarget": "étiquettes",
    OA + "hasBody": "étiquetée dans",
    BSL + "zone": "valeurs d'indicateur",
    ELI + "passed_by": "délibérations adoptées",
    BSL + "concerne": "concerné par",
    BSL + "citeLieu": "cité par",
    BSL + "organisation": "participations",
}
HIDDEN_INCOMING = {SKOS + "inScheme", PROV + "wasDerivedFrom"}

TYPE_ORDER = ["Finalite", "Valeur", "Ambition", "Engagement", "ChampIntervention", "Orientation", "Action",
              "ProjetEmblematique", "ConditionMiseEnOeuvre"]


# ------------------------------------------------------------------------------------------------ helpers


@lru_cache(maxsize=None)
def query_text(name: str) -> str:
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"bad query name {name!r}")
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def query_names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))


def select(store: ox.Store, name: str, **bindings: ox.NamedNode | ox.Literal) -> list[dict]:
    """Run ``web/queries/<name>.rq``; ``bindings`` are bound as RDF terms (never pasted)."""
    subs = {ox.Variable(k): v for k, v in bindings.items()} or None
    results = run(store, query_text(name), f"web/queries/{name}.rq", subs)
    names = [v.value for v in results.variables]
    return [{n: row[n] for n in names} for row in results]


def val(term) -> str | None:
    return None if term is None else term.value


def num(term) -> float | None:
    if term is None:
        return None
    try:
        return float(Decimal(term.value))
    except (InvalidOperation, ValueError):
        return None


def path_of(iri: str) -> str | None:
    """The path under the base of a minted IRI (``engagement/1``), or None."""
    base = base_iri()
    if iri.startswith(base):
        rest = iri[len(base):]
        return rest if PATH_RE.match(rest) else None
    return None


def node_for_path(path: str) -> ox.NamedNode | None:
    """The IRI of ``path`` if it is a well-formed path under the base (strict pattern), else None."""
    if not PATH_RE.match(path or "") or ".." in path or "//" in path:
        return None
    return ox.NamedNode(base_iri() + path)


def fiche_url(iri: str) -> str | None:
    p = path_of(iri)
    return f"/fiche/{p}" if p else None


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: what search compares."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.]+", " ", text).strip()


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


# ------------------------------------------------------------------------------------------------ labels


@dataclass
class Labels:
    label: dict[str, str] = field(default_factory=dict)
    alt: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    numero: dict[str, str] = field(default_factory=dict)
    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def of(self, iri: str) -> str:
        if iri in self.label:
            return self.label[iri]
        if iri in PROPERTY_LABELS:
            return PROPERTY_LABELS[iri]
        p = path_of(iri)
        return p or local_name(iri)

    def link(self, term) -> dict:
        """A term as the templates show it: text, and the fiche (or external) URL when it is an IRI."""
        if isinstance(term, ox.NamedNode):
            iri = term.value
            return {"text": self.of(iri), "href": fiche_url(iri), "iri": iri, "numero": self.numero.get(iri)}
        if isinstance(term, ox.Literal):
            dt = term.datatype.value if term.datatype else ""
            return {"text": term.value, "href": None, "iri": None, "lang": term.language,
                    "datatype": local_name(dt) if dt and not dt.endswith(("#string", "#langString")) else None}
        return {"text": "" if term is None else str(term.value), "href": None, "iri": None}


def labels(store: ox.Store) -> Labels:
    out = Labels()
    for row in select(store, "labels"):
        s = row["s"].value
        lab = row["label"]
        # keep the French label when there are several
        if s not in out.label or (isinstance(lab, ox.Literal) and lab.language == "fr"):
            out.label[s] = lab.value
        if row["alt"] is not None:
            out.alt[s].add(row["alt"].value)
        if row["numero"] is not None:
            out.numero[s] = row["numero"].value
        if row["type"] is not None:
            out.types[s].add(local_name(row["type"].value))
    return out


def search(store: ox.Store, q: str, limit: int = 60) -> list[dict]:
    """Resources whose label, other labels or number contain every word of ``q`` (accents and case ignored)."""
    words = fold(q).split()
    if not words:
        return []
    idx = labels(store)
    hits = []
    for iri, lab in idx.label.items():
        href = fiche_url(iri)
        if not href or path_of(iri).startswith(("graph/", "source/")):
            continue
        hay = " ".join([fold(lab), *(fold(a) for a in idx.alt.get(iri, ())), fold(idx.numero.get(iri, ""))])
        if all(w in hay for w in words):
            folded = fold(lab)
            rank = (0 if folded.startswith(words[0]) else 1, len(lab))
            hits.append((rank, {"iri": iri, "href": href, "text": lab, "numero": idx.numero.get(iri),
                                "types": sorted(idx.types.get(iri, ()))}))
    hits.sort(key=lambda h: h[0])
    return [h for _, h in hits[:limit]]


# ------------------------------------------------------------------------------------------------ home tree


def tree(store: ox.Store) -> dict:
    """The Projet de Territoire as nested nodes: finalité, valeurs, ambitions, engagements → champs → …"""
    nodes: dict[str, dict] = {}
    for row in select(store, "tree"):
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


# ------------------------------------------------------------------------------------------------ resources


@lru_cache(maxsize=16)
def source_excerpt(sources_dir: Path, fichier: str | None, debut: int | None, fin: int | None, cap: int = 200) -> dict:
    if not fichier or not re.fullmatch(r"[A-Za-z0-9._-]+", fichier) or debut is None or fin is None:
        return {"lines": [], "truncated": 0}
    lines, truncated = excerpt_lines(Path(sources_dir) / fichier, debut, fin, cap)
    return {"lines": lines, "truncated": truncated}


def _group(rows: list[dict], key: str, other: str, idx: Labels, inverse: bool = False) -> list[dict]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[row[key].value].append(row[other])
    out = []
    for prop, values in groups.items():
        name = (PROPERTY_LABELS_INVERSE.get(prop) or f"{idx.of(prop)} (inverse)") if inverse else idx.of(prop)
        items = [idx.link(v) for v in values]
        items.sort(key=lambda it: (_rank_key(it.get("numero")), it["text"]))
        out.append({"property": prop, "name": name, "values": items})
    out.sort(key=lambda g: (g["property"] != RDF + "type", g["name"]))
    return out


def _rank_key(numero: str | None):
    if not numero:
        return (1, ())
    return (0, tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.\-]", numero)))


def resource(store: ox.Store, node: ox.NamedNode, sources_dir: Path = DEFAULT_SOURCES_DIR) -> dict | None:
    """Everything a fiche shows about ``node``; None when the graph says nothing about it."""
    out_rows = select(store, "outgoing", s=node)
    in_rows = select(store, "incoming", o=node)
    if not out_rows and not in_rows:
        return None
    idx = labels(store)
    iri = node.value
    hidden_out = {PROV + "wasDerivedFrom"}
    props = _group([r for r in out_rows if r["p"].value not in hidden_out], "p", "o", idx)
    incoming = _group([r for r in in_rows if r["p"].value not in HIDDEN_INCOMING], "p", "s", idx, inverse=True)
    types = sorted({local_name(r["o"].value) for r in out_rows if r["p"].value == RDF + "type"})
    type_labels = [idx.of(r["o"].value) for r in out_rows if r["p"].value == RDF + "type"
                   and r["o"].value.startswith(BSL)] or [idx.of(r["o"].value) for r in out_rows if r["p"].value == RDF + "type"]
    sources = []
    for row in select(store, "sources", s=node):
        debut = int(row["debut"].value) if row["debut"] is not None else None
        fin = int(row["fin"].value) if row["fin"] is not None else None
        excerpt = source_excerpt(sources_dir, val(row["fichier"]), debut, fin)
        sources.append({"extrait": row["extrait"].value, "document": val(row["document"]), "titre": val(row["titre"]),
                        "fichier": val(row["fichier"]), "debut": debut, "fin": fin, **excerpt,
                        "document_href": fiche_url(row["document"].value) if row["document"] is not None else None})
    contributions = []
    for row in select(store, "contributions", r=node):
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
        "type_labels": type_labels, "properties": props, "incoming": incoming, "sources": sources,
        "contributions": contributions, "alt": sorted(idx.alt.get(iri, ())),
    }
    if "Deliberation" in types:
        delibs = review_items(store, idx=idx, only=iri)
        item["deliberation"] = delibs[0] if delibs else None
    if {"Engagement", "ChampIntervention"} & set(types):
        item["deliberations"] = attached_deliberations(store, iri, idx)
    return item


def attached_deliberations(store: ox.Store, target: str, idx: Labels) -> list[dict]:
    """Deliberations whose current tag is ``target`` (an engagement also collects the tags of its champs)."""
    found: dict[str, dict] = {}
    for r in current_tags(store):
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


# ------------------------------------------------------------------------------------------------ tags


def current_tags(store: ox.Store) -> list[dict]:
    """One row per deliberation, current tag body and amount (corps=None for untagged deliberations)."""
    return [{"d": r["d"].value, "corps": val(r["corps"]), "engagement": val(r["engagement"]),
             "humain": r["humain"] is not None and r["humain"].value == "true",
             "annee": int(r["annee"].value) if r["annee"] is not None else None,
             "montant": num(r["montant"])} for r in select(store, "current_tags")]


def engagements(store: ox.Store) -> list[dict]:
    """The engagements and their champs, for the filters and the correction form."""
    return [{"iri": e["iri"], "path": path_of(e["iri"]), "label": e["label"], "numero": e["numero"], "href": e["href"],
             "champs": [{"iri": c["iri"], "path": path_of(c["iri"]), "label": c["label"], "numero": c["numero"],
                         "href": c["href"]}
                        for c in e["children"] if c["type"] == "ChampIntervention"]}
            for e in tree(store).get("Engagement", [])]


def review_items(store: ox.Store, *, idx: Labels | None = None, only: str | None = None) -> list[dict]:
    """The deliberations with their tags (current and past), mentions and review status."""
    idx = idx or labels(store)
    delibs: dict[str, dict] = {}
    for r in select(store, "deliberations"):
        d = r["d"].value
        if only and d != only:
            continue
        if d in delibs:
            continue
        delibs[d] = {
            "iri": d, "path": path_of(d), "href": fiche_url(d), "titre": val(r["titre"]) or idx.of(d),
            "date": val(r["date"]), "auteur": idx.link(r["auteur"]) if r["auteur"] is not None else None,
            "montant": num(r["montant"]), "texte": val(r["texte"]) or "", "tags": [], "mentions": [],
        }
    for r in select(store, "annotations"):
        d = r["d"].value
        if d not in delibs:
            continue
        preuves = [p for p in (val(r["preuves"]) or "").split("\u001f") if p]
        agent_type = local_name(r["agentType"].value) if r["agentType"] is not None else None
        statut = val(r["statut"]) or "propose"
        delibs[d]["tags"].append({
            "iri": r["a"].value, "path": path_of(r["a"].value), "corps": idx.link(r["corps"]),
            "corps_iri": r["corps"].value, "statut": statut, "score": num(r["score"]),
            "agent": idx.link(r["agent"]) if r["agent"] is not None else None,
            "humain": agent_type == "Person",
            "quand": val(r["quand"]), "justification": val(r["justification"]), "preuves": preuves,
        })
    if only:
        for r in select(store, "mentions", d=ox.NamedNode(only)):
            delibs[only]["mentions"].append({
                "texte": val(r["texte"]), "categorie": val(r["categorie"]),
                "designe": idx.link(r["designe"]) if r["designe"] is not None else None,
                "debut": int(r["debut"].value) if r["debut"] is not None else None,
                "fin": int(r["fin"].value) if r["fin"] is not None else None,
            })
    for item in delibs.values():
        _finish(item, idx)
    return sorted(delibs.values(), key=lambda i: (i["date"] or "", i["iri"]), reverse=True)


def attach_mentions(store: ox.Store, items: list[dict], idx: Labels) -> None:
    for item in items:
        for r in select(store, "mentions", d=ox.NamedNode(item["iri"])):
            item["mentions"].append({
                "texte": val(r["texte"]), "categorie": val(r["categorie"]),
                "designe": idx.link(r["designe"]) if r["designe"] is not None else None,
                "debut": int(r["debut"].value) if r["debut"] is not None else None,
                "fin": int(r["fin"].value) if r["fin"] is not None else None,
            })



def evidence_phrases(preuve: str) -> list[str]:
    """The words and sentences of the text a tag's evidence quotes.

    The tagger writes ``mots : « a », « b » ; phrase : « … » ; proche de : « … »`` (the last part quotes the
    référentiel, not the text); any other evidence is taken as a phrase of the text.
    """
    if "«" not in preuve:
        return [preuve]
    out = []
    for part in preuve.split(" ; "):
        if part.startswith(("mots", "phrase")):
            out += [q.strip(" …") for q in re.findall(r"«\s*(.+?)\s*»", part)]
    return [q for q in out if q]


def _finish(item: dict, idx: Labels) -> None:
    """Current tags, as ingest.review decides them: the latest human decision, else the model's proposals."""
    tags = item["tags"]
    tags.sort(key=lambda t: (not t["humain"], -(t["score"] or 0), t["corps"]["text"]))
    live = [t for t in tags if t["statut"] != "remplace"]
    human = [t for t in live if t["humain"]]
    if human:
        latest = max(t["quand"] or "" for t in human)
        item["current"] = [t for t in human if (t["quand"] or "") == latest]
    else:
        item["current"] = [t for t in live if not t["humain"]]
    item["reviewed"] = bool(human)
    item["status"] = "revue" if human else ("a-revoir" if item["current"] else "sans-etiquette")
    scores = [t["score"] for t in live if not t["humain"] and t["score"] is not None]
    item["score"] = max(scores) if scores else None
    item["current_bodies"] = {t["corps_iri"] for t in item["current"]}
    item["evidence"] = [p for t in item["current"] for pr in t["preuves"] for p in evidence_phrases(pr)]


def filter_items(items: list[dict], *, statut: str = "", engagement: str = "", commune: str = "",
                 du: str = "", au: str = "", score_min: float | None = None, score_max: float | None = None,
                 champ_engagement: dict[str, str] | None = None, commune_delibs: set[str] | None = None) -> list[dict]:
    champ_engagement = champ_engagement or {}
    out = []
    for it in items:
        if statut and it["status"] != statut:
            continue
        if engagement:
            engs = {t["corps_iri"] if t["corps_iri"] == engagement else champ_engagement.get(t["corps_iri"])
                    for t in it["current"]}
            if engagement not in engs:
                continue
        if commune and commune_delibs is not None and it["iri"] not in commune_delibs:
            continue
        if du and (not it["date"] or it["date"] < du):
            continue
        if au and (not it["date"] or it["date"] > au):
            continue
        if score_min is not None and (it["score"] is None or it["score"] < score_min):
            continue
        if score_max is not None and (it["score"] is None or it["score"] > score_max):
            continue
        out.append(it)
    return out


def highlight(text: str, phrases: list[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (segment, is_evidence) pieces: evidence phrases found in the text (case-insensitive)."""
    spans = []
    low = text.lower()
    for ph in sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True):
        start = 0
        needle = ph.lower()
        while True:
            i = low.find(needle, start)
            if i < 0:
                break
            if not any(a < i + len(needle) and i < b for a, b in spans):
                spans.append((i, i + len(needle)))
            start = i + len(needle)
    spans.sort()
    pieces, pos = [], 0
    for a, b in spans:
        if a > pos:
            pieces.append((text[pos:a], False))
        pieces.append((text[a:b], True))
        pos = b
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


# ------------------------------------------------------------------------------------------------ dashboard


def champ_engagements(store: ox.Store) -> dict[str, str]:
    """champ IRI → engagement IRI."""
    out = {}
    for roots in tree(store).get("Engagement", []):
        for c in roots["children"]:
            if c["type"] == "ChampIntervention":
                out[c["iri"]] = roots["iri"]
    return out


def dashboard(store: ox.Store) -> dict:
    idx = labels(store)
    roots = tree(store)
    engs = roots.get("Engagement", [])
    rows = current_tags(store)

    # 1. deliberations and amounts per engagement and per year (a deliberation counts once per engagement)
    per_eng: dict[str | None, set] = defaultdict(set)
    amount: dict[str, set[tuple[str, float]]] = defaultdict(set)  # (deliberation, its bsl:montantDecision)
    per_eng_year: dict[tuple, set] = defaultdict(set)
    years: set[int] = set()
    for r in rows:
        if r["corps"] is None:
            continue
        key = r["engagement"] or ("aucun" if r["corps"] == AUCUN else None)
        if key is None:
            continue
        per_eng[key].add(r["d"])
        if r["montant"] is not None:
            amount[key].add((r["d"], r["montant"]))
        if r["annee"] is not None:
            years.add(r["annee"])
            per_eng_year[(key, r["annee"])].add(r["d"])
    bars = [{"key": e["iri"], "label": f"Engagement {e['numero'] or ''}".strip(), "title": e["label"], "href": e["href"],
             "n": len(per_eng.get(e["iri"], ())), "montant": sum(m for _, m in amount.get(e["iri"], ()))} for e in engs]
    bars.append({"key": "aucun", "label": "Aucun engagement", "title": "Délibérations qui ne servent aucun engagement",
                 "href": None, "n": len(per_eng.get("aucun", ())), "montant": sum(m for _, m in amount.get("aucun", ()))})
    years_sorted = sorted(years)
    by_year = [{"annee": y, "series": [{"key": b["key"], "label": b["label"], "n": len(per_eng_year.get((b["key"], y), ()))}
                                       for b in bars]} for y in years_sorted]

    # 2. share attached per year
    share = []
    for r in select(store, "share_by_year"):
        total = int(r["total"].value)
        att = int(r["rattachees"].value)
        share.append({"annee": int(r["annee"].value), "total": total, "rattachees": att,
                      "part": round(100 * att / total) if total else 0})

    # 3. coverage matrix champs × contracts
    contracts = [{"iri": r["contrat"].value, "label": val(r["label"]) or idx.of(r["contrat"].value),
                  "href": fiche_url(r["contrat"].value)} for r in select(store, "contracts")]
    cov: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"explicite": 0, "propose": 0})
    for r in select(store, "coverage"):
        kind = local_name(r["fondement"].value)
        cov[(r["cible"].value, r["contrat"].value)][kind] = int(r["n"].value)
    matrix = []
    for e in engs:
        targets = [e, *[c for c in e["children"] if c["type"] == "ChampIntervention"]]
        for t in targets:
            cells = []
            for c in contracts:
                v = cov.get((t["iri"], c["iri"]), {"explicite": 0, "propose": 0})
                cells.append({"contrat": c["iri"], **v})
            matrix.append({"iri": t["iri"], "href": t["href"], "numero": t["numero"], "label": t["label"],
                           "niveau": "engagement" if t is e else "champ", "cells": cells,
                           "total": sum(x["explicite"] + x["propose"] for x in cells)})

    # 4. per-commune effort under engagement 1 vs QPV / poches / IDH
    communes = []
    eng1 = next((e for e in engs if e["numero"] == "1"), None)
    if eng1 is not None:
        for r in select(store, "communes_effort", engagement=ox.NamedNode(eng1["iri"])):
            communes.append({"iri": r["commune"].value, "href": fiche_url(r["commune"].value), "label": r["label"].value,
                             "deliberations": int(r["deliberations"].value),
                             "qpv": int(r["qpv"].value) if r["qpv"] is not None else 0,
                             "poches": int(r["poches"].value) if r["poches"] is not None else 0,
                             "idh": num(r["idh"])})
    communes.sort(key=lambda c: (-c["deliberations"], -(c["qpv"] + c["poches"]), c["label"]))
    total_delibs = len({r["d"] for r in rows})
    return {"bars": bars, "by_year": by_year, "years": years_sorted, "share": share, "contracts": contracts,
            "matrix": matrix, "communes": communes, "engagement1": eng1, "total": total_delibs}


def commune_deliberations(store: ox.Store, commune: ox.NamedNode) -> set[str]:
    return {r["d"].value for r in select(store, "commune_deliberations", commune=commune)}
