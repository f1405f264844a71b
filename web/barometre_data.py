"""What the baromètre pages read: indicators per engagement and champ with their series, targets and status,
deliberations and money behind each engagement and champ, a commune's values, the panel's grid for a period.

Queries are ``web/queries/barometre_*.rq`` and, for what the coherence questions already answer (targets at risk,
money per engagement), the questions of ``queries/`` themselves: the page shows the same numbers as the question.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count

import pyoxigraph as ox

from kg.iris import base_iri
from queries import catalogue
from web import charts
from web import graph as da
from web.deliberations import commune_deliberations, current_tags
from web.graph import fiche_url, local_name, path_of, select, val
from web.territoire import tree

CAPH = "epci/200042190"
IMPORTED = "/jeu/barometre"


@dataclass
class Series:
    """The values of one indicator on one territory, in period order (an imported value wins at equal period)."""

    zone: str
    zone_label: str
    points: list[tuple[str, float]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def latest(self) -> tuple[str, float] | None:
        return self.points[-1] if self.points else None


def _series(store: ox.Store) -> dict[str, dict[str, Series]]:
    """indicator IRI → zone IRI → its series."""
    raw: dict[tuple[str, str], dict[str, tuple[bool, float, str]]] = defaultdict(dict)
    labels: dict[str, str] = {}
    for r in select(store, "barometre_observations"):
        key = (r["indicateur"].value, r["zone"].value)
        period, imported = r["periode"].value, r["jeu"].value.endswith(IMPORTED)
        labels[r["zone"].value] = val(r["zoneLabel"]) or path_of(r["zone"].value) or r["zone"].value
        known = raw[key].get(period)
        if known is None or (imported and not known[0]):
            raw[key][period] = (imported, float(r["valeur"].value), val(r["sourceDonnees"]) or "")
    out: dict[str, dict[str, Series]] = defaultdict(dict)
    for (ind, zone), by_period in raw.items():
        s = Series(zone, labels[zone])
        for period in sorted(by_period):
            s.points.append((period, by_period[period][1]))
            if by_period[period][2]:
                s.sources.append(by_period[period][2])
        out[ind][zone] = s
    return out


def _answer(store: ox.Store | da.Graph, question: str) -> list[dict[str, ox.NamedNode | ox.Literal | None]]:
    """The rows of a coherence question of ``queries/``, as RDF terms (on the embedded store or the backend)."""
    q = catalogue.get(question)
    return da.as_graph(store).rows(q.sparql(None), f"queries/{q.path.name}", None)


def _targets(store: ox.Store) -> dict[tuple[str, str], dict]:
    """(indicator IRI, zone IRI) → the target row of the question « cibles-a-risque »."""
    out = {}
    for r in _answer(store, "cibles-a-risque"):
        out[(r["indicateur"].value, r["zone"].value)] = {
            "statut": r["statut"].value, "valeur": float(r["valeur_cible"].value), "horizon": int(r["horizon"].value),
            "libelle": da.val(r["libelle"]), "cible": r["cible"].value, "href": da.fiche_url(r["cible"].value),
            "projection": da.num(r["projection"]),
            "fixee_par": [x.strip() for x in (da.val(r["fixee_par"]) or "").split(";") if x.strip()]}
    return out


@dataclass
class Indicator:
    iri: str
    label: str
    kind: str
    unit: str
    direction: str
    measures: set[str] = field(default_factory=set)
    under: set[str] = field(default_factory=set)

    @property
    def href(self) -> str | None:
        return fiche_url(self.iri)


def _indicators(store: ox.Store) -> dict[str, Indicator]:
    out: dict[str, Indicator] = {}
    for r in select(store, "barometre_indicateurs"):
        iri = r["indicateur"].value
        ind = out.setdefault(iri, Indicator(iri, val(r["label"]) or local_name(iri), val(r["type"]) or "",
                                            val(r["unite"]) or "", val(r["sens"]) or ""))
        if r["mesure"] is not None:
            ind.measures.add(r["mesure"].value)
        if r["cible"] is not None:
            ind.under.add(r["cible"].value)
    return out


def _measures(store: ox.Store) -> tuple[dict[str, Indicator], dict[str, dict[str, Series]],
                                        dict[tuple[str, str], dict]]:
    """The indicators, their series per territory and the targets with their status: what every page starts from."""
    return _indicators(store), _series(store), _targets(store)


def _card(ind: Indicator, series: dict[str, Series], targets: dict, chart_id: str, zone: str | None = None) -> dict:
    """One indicator as a page shows it: the territory followed (the CAPH if it has values), its latest value and
    trend, the target and its status, and how many other territories have values."""
    by_zone = series.get(ind.iri, {})
    chosen = by_zone.get(zone) if zone else (by_zone.get(base_iri() + CAPH) or
                                             max(by_zone.values(), key=lambda s: len(s.points), default=None))
    target = targets.get((ind.iri, chosen.zone if chosen else base_iri() + CAPH))
    chart = None
    if chosen and chosen.points:
        chart = charts.trend_chart(chart_id, chosen.points, unit=ind.unit,
                                   title=f"{ind.label} — {chosen.zone_label} : valeurs par période",
                                   target=(target["horizon"], target["valeur"]) if target else None)
    return {"iri": ind.iri, "href": ind.href, "label": ind.label, "kind": ind.kind, "unit": ind.unit,
            "direction": ind.direction, "id": local_name(ind.iri),
            "zone": chosen.zone_label if chosen else None, "zone_href": fiche_url(chosen.zone) if chosen else None,
            "latest": chosen.latest if chosen else None, "count": len(chosen.points) if chosen else 0,
            "sources": sorted(set(chosen.sources)) if chosen else [],
            "other_zones": max(0, len(by_zone) - (1 if chosen else 0)), "chart": chart, "target": target}


def _money(store: ox.Store) -> dict[str, dict]:
    """engagement IRI ('' for none) → budget and deliberations of the latest budget year, from the question."""
    table = _answer(store, "budget-et-deliberations-par-engagement")
    years = sorted({r["exercice"].value for r in table
                    if (da.num(r["budget_prevu"]) or 0) or (da.num(r["budget_realise"]) or 0)})
    if not years:
        return {}
    year = years[-1]
    return {(r["engagement"].value if r["engagement"] is not None else ""): {
        "exercice": year, "prevu": da.num(r["budget_prevu"]) or 0.0, "realise": da.num(r["budget_realise"]) or 0.0,
        "deliberations": int(r["deliberations"].value), "montant": da.num(r["montant_deliberations"]) or 0.0}
        for r in table if r["exercice"].value == year}


def overview(store: ox.Store) -> dict:
    """The /barometre page: for each engagement and champ, its indicators, deliberations and money."""
    roots = tree(store)
    indicators, series, targets = _measures(store)
    tags = current_tags(store)
    delibs: dict[str, set[str]] = defaultdict(set)
    amounts: dict[str, dict[str, float]] = defaultdict(dict)
    for t in tags:
        for key in {t["corps"], t["engagement"]} - {None}:
            delibs[key].add(t["d"])
            if t["montant"] is not None:
                amounts[key][t["d"]] = max(amounts[key].get(t["d"], 0.0), t["montant"])
    money = _money(store)
    counter = count(1)

    def block(node: dict) -> dict:
        # an engagement shows the indicators that measure it directly; a champ, every indicator of its subtree
        # (its orientations and actions): the indicators of its champs appear under each champ
        if node["type"] == "ChampIntervention":
            direct = [i for i in indicators.values() if node["iri"] in i.under]
        else:
            direct = [i for i in indicators.values() if node["iri"] in i.measures]
        direct.sort(key=lambda i: (i.kind, i.label))
        return {"iri": node["iri"], "href": node["href"], "numero": node["numero"], "label": node["label"],
                "indicators": [_card(i, series, targets, f"tendance-{next(counter)}") for i in direct],
                "deliberations": len(delibs.get(node["iri"], ())),
                "montant": sum(amounts.get(node["iri"], {}).values())}

    engagements = []
    for e in roots.get("Engagement", []):
        item = block(e)
        item["budget"] = money.get(e["iri"])
        item["champs"] = [block(c) for c in e["children"] if c["type"] == "ChampIntervention"]
        engagements.append(item)
    criteria = [i for i in indicators.values() if not i.under and i.measures]
    evaluation = [_card(i, series, targets, f"tendance-{next(counter)}")
                  for i in sorted(criteria, key=lambda i: i.label)]
    return {"engagements": engagements, "evaluation": evaluation, "unattached_budget": money.get(""),
            "periods": periods(store), "communes": communes(store),
            "counts": {"indicateurs": len(indicators), "avec_valeur": sum(1 for i in indicators if series.get(i)),
                       "valeurs": sum(len(s.points) for z in series.values() for s in z.values())}}


def periods(store: ox.Store) -> list[dict]:
    return [{"iri": r["periode"].value, "slug": local_name(r["periode"].value), "label": val(r["label"]),
             "debut": r["debut"].value, "fin": r["fin"].value} for r in select(store, "barometre_periodes")]


def communes(store: ox.Store) -> list[dict]:
    out: dict[str, dict] = {}
    for r in select(store, "barometre_communes"):
        c = out.setdefault(r["commune"].value, {"iri": r["commune"].value, "label": r["label"].value,
                                                "code": r["code"].value, "qpv": []})
        if r["qpv"] is not None:
            c["qpv"].append(r["qpv"].value)
    return list(out.values())


def commune(store: ox.Store, code: str) -> dict | None:
    """The values of every indicator on a commune and on its QPV, and the deliberations that concern it."""
    found = next((c for c in communes(store) if c["code"] == code), None)
    if found is None:
        return None
    indicators, series, targets = _measures(store)
    counter = count(1)
    cards = []
    for zone in [found["iri"], *found["qpv"]]:
        for ind in sorted(indicators.values(), key=lambda i: i.label):
            if zone in series.get(ind.iri, {}):
                cards.append(_card(ind, series, targets, f"tendance-{next(counter)}", zone=zone))
    concerned = commune_deliberations(store, ox.NamedNode(found["iri"]))
    per_engagement: dict[str, set[str]] = defaultdict(set)
    for t in current_tags(store):
        if t["d"] in concerned and t["engagement"]:
            per_engagement[t["engagement"]].add(t["d"])
    engs = [{"label": e["label"], "numero": e["numero"], "href": e["href"], "n": len(per_engagement.get(e["iri"], ()))}
            for e in tree(store).get("Engagement", [])]
    cited = [{"label": val(r["label"]) or local_name(r["o"].value), "href": fiche_url(r["o"].value),
              "citation": val(r["citation"])}
             for zone in [found["iri"], *found["qpv"]]
             for r in select(store, "barometre_chiffres_cites", zone=ox.NamedNode(zone))]
    return {**found, "href": fiche_url(found["iri"]), "cards": cards, "deliberations": len(concerned),
            "engagements": engs, "cited": cited}


def grid(store: ox.Store, slug: str) -> dict | None:
    """The panel's positioning grid for the period ``slug`` (« 2024-2026 »), pre-filled with what the graph knows:
    for each criterion, the values of its indicators at the end of the period (T) and before it (T-1), the targets
    it sets; and what a panel session of the period has already written."""
    period = next((p for p in periods(store) if p["slug"] == slug), None)
    if period is None:
        return None
    indicators, series, targets = _measures(store)
    rows: dict[str, dict] = {}
    for r in select(store, "barometre_grille", periode=ox.NamedNode(period["iri"])):
        crit = r["critere"].value
        row = rows.setdefault(crit, {
            "iri": crit, "href": fiche_url(crit), "label": r["label"].value, "volet": r["voletLabel"].value,
            "volet_iri": r["volet"].value, "order": (-int(r["voletRang"].value), int(r["rang"].value)),
            "groupe": val(r["groupe"]), "session": {k: val(r[k]) for k in
                                                      ("situation", "impacts", "acquis", "difficultes", "objectifs")},
            "date": val(r["date"])})
    end, start = period["fin"][:4], period["debut"][:4]

    def situations(element: str) -> list[dict]:
        """The values at T (latest up to the end of the period) and T-1 (latest before it began) of every
        indicator that measures ``element``, on each territory."""
        out = []
        for ind in sorted(indicators.values(), key=lambda i: i.label):
            if element not in ind.measures:
                continue
            for s in series.get(ind.iri, {}).values():
                now = [p for p in s.points if p[0][:4] <= end]
                before = [p for p in s.points if p[0][:4] < start]
                if now or before:
                    out.append({"indicateur": ind.label, "href": ind.href, "unite": ind.unit, "zone": s.zone_label,
                                "t": now[-1] if now else None, "t1": before[-1] if before else None})
        return out

    volets: dict[str, dict] = {}
    for row in sorted(rows.values(), key=lambda r: r["order"]):
        row["situations"] = situations(row["iri"])
        row["cibles"] = [t for t in targets.values() if row["iri"] in t["fixee_par"]]
        volet = volets.setdefault(row["volet_iri"], {"label": row["volet"], "situations": situations(row["volet_iri"]),
                                                     "rows": []})
        volet["rows"].append(row)
    dates = sorted({r["date"] for r in rows.values() if r["date"]})
    return {"period": period, "volets": list(volets.values()), "criteria": len(rows),
            "session_date": dates[-1] if dates else None}
