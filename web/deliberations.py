"""Deliberations and their tags as staff review them: the current tag (the latest human decision, else the
model's proposals), the evidence, the mentions, the review status, and the filters of the queues and indexes."""

from __future__ import annotations

import re

import pyoxigraph as ox

from ingest.evidence import CUES_QUERY, cues_by_annotation, describe, quoted
from kg.iris import BSL, base_iri
from web.graph import Graph, as_graph, fiche_url, local_name, num, path_of, select, val
from web.labels import Labels, labels

AUCUN = BSL + "aucunEngagement"


def current_tags(source: ox.Store | Graph) -> list[dict]:
    """One row per deliberation, current tag body and amount (corps=None for untagged deliberations)."""
    return [{"d": r["d"].value, "corps": val(r["corps"]), "engagement": val(r["engagement"]),
             "humain": r["humain"] is not None and r["humain"].value == "true",
             "annee": int(r["annee"].value) if r["annee"] is not None else None,
             "montant": num(r["montant"])} for r in select(source, "current_tags")]


def review_items(source: ox.Store | Graph, *, idx: Labels | None = None, only: str | None = None) -> list[dict]:
    """The deliberations with their tags (current and past), mentions and review status."""
    idx = idx or labels(source)
    delibs: dict[str, dict] = {}
    for r in select(source, "deliberations"):
        d = r["d"].value
        if only and d != only:
            continue
        if d in delibs:
            continue
        delibs[d] = {
            "iri": d, "path": path_of(d), "href": fiche_url(d), "titre": val(r["titre"]) or idx.of(d),
            "numero": val(r["numero"]),
            "date": val(r["date"]), "auteur": idx.link(r["auteur"]) if r["auteur"] is not None else None,
            "montant": num(r["montant"]), "texte": val(r["texte"]) or "", "tags": [], "mentions": [],
        }
    cues = cues_by_annotation(as_graph(source).rows(CUES_QUERY, "ingest/evidence.py", None))
    for r in select(source, "annotations"):
        d = r["d"].value
        if d not in delibs:
            continue
        mine = cues.get(r["a"].value, [])
        # evidence nodes in French; a store written before them keeps its French strings, shown as they are
        preuves = [describe(mine, lambda p: idx.of(base_iri() + p))] if mine else \
            [p for p in (val(r["preuves"]) or "").split("\u001f") if p]
        agent_type = local_name(r["agentType"].value) if r["agentType"] is not None else None
        statut = val(r["statut"]) or "propose"
        delibs[d]["tags"].append({
            "iri": r["a"].value, "path": path_of(r["a"].value), "corps": idx.link(r["corps"]),
            "corps_iri": r["corps"].value, "statut": statut, "score": num(r["score"]),
            "agent": idx.link(r["agent"]) if r["agent"] is not None else None,
            "humain": agent_type == "Person",
            "quand": val(r["quand"]), "justification": val(r["justification"]), "preuves": preuves,
            "cues": mine,
        })
    if only:
        for r in select(source, "mentions", d=ox.NamedNode(only)):
            delibs[only]["mentions"].append({
                "texte": val(r["texte"]), "categorie": val(r["categorie"]),
                "designe": idx.link(r["designe"]) if r["designe"] is not None else None,
                "debut": int(r["debut"].value) if r["debut"] is not None else None,
                "fin": int(r["fin"].value) if r["fin"] is not None else None,
            })
    for item in delibs.values():
        _finish(item, idx)
    return sorted(delibs.values(), key=lambda i: (i["date"] or "", i["iri"]), reverse=True)


def attach_mentions(source: ox.Store | Graph, items: list[dict], idx: Labels) -> None:
    for item in items:
        for r in select(source, "mentions", d=ox.NamedNode(item["iri"])):
            item["mentions"].append({
                "texte": val(r["texte"]), "categorie": val(r["categorie"]),
                "designe": idx.link(r["designe"]) if r["designe"] is not None else None,
                "debut": int(r["debut"].value) if r["debut"] is not None else None,
                "fin": int(r["fin"].value) if r["fin"] is not None else None,
            })



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
    item["evidence"] = [p for t in item["current"] for p in quoted(t["cues"])]


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


def commune_deliberations(source: ox.Store | Graph, commune: ox.NamedNode) -> set[str]:
    return {r["d"].value for r in select(source, "commune_deliberations", commune=commune)}


# where the operative part of a council deliberation starts, and the formal lines that close it
DECISION_START = re.compile(r"^\s*(D[ÉE]CIDE|D[ÉE]LIB[ÈE]RE|ARR[ÊE]TE|APPROUVE)\b", re.I | re.M)
PREAMBLE_START = re.compile(r"^\s*(Le Conseil communautaire|Vu |Considérant)", re.M)
CLOSING = re.compile(r"^\s*(Fait et délibéré|Pour extrait conforme|Le Président\s*$|La Présidente\s*$)", re.I | re.M)


def decision_parts(text: str) -> dict[str, str]:
    """A deliberation's text without its letterhead: ``visas`` (Vu…, Considérant…) and ``decision`` (from DÉCIDE).

    Texts that do not follow the usual layout are given whole as the decision.
    """
    if not text:
        return {"visas": "", "decision": ""}
    end = CLOSING.search(text)
    body = text[: end.start()] if end else text
    start = PREAMBLE_START.search(body)
    decide = DECISION_START.search(body)
    if decide is None:
        return {"visas": "", "decision": body[start.start():].strip() if start else body.strip()}
    visas = body[start.start(): decide.start()].strip() if start and start.start() < decide.start() else ""
    return {"visas": visas, "decision": body[decide.start():].strip()}
