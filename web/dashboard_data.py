"""The numbers of the dashboard: deliberations and amounts per engagement and year, the share attached, the
coverage of the champs by the contracts, the effort per commune under engagement 1."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from web.charts import idh_text
from web.deliberations import AUCUN, current_tags
from web.exports import Column, Table
from web.graph import Graph, fiche_url, local_name, num, select, val
from web.labels import labels
from web.territoire import tree


@dataclass(frozen=True)
class Filtre:
    """The dashboard's filters: a period (years, inclusive) and a commune (deliberations that concern it)."""

    du: int | None = None
    au: int | None = None
    commune: str | None = None

    def keeps(self, annee: int | None, communes: set[str]) -> bool:
        if (self.du is not None or self.au is not None) and annee is None:
            return False
        if self.du is not None and annee < self.du:
            return False
        if self.au is not None and annee > self.au:
            return False
        return self.commune is None or self.commune in communes

    @property
    def active(self) -> bool:
        return self != Filtre()


def dashboard(source: ox.Store | Graph, filtre: Filtre = Filtre()) -> dict:
    idx = labels(source)
    roots = tree(source)
    engs = roots.get("Engagement", [])
    concerne: dict[str, set[str]] = defaultdict(set)
    for r in select(source, "deliberation_communes"):
        concerne[r["d"].value].add(r["commune"].value)
    all_rows = current_tags(source)
    all_years = sorted({r["annee"] for r in all_rows if r["annee"] is not None})
    rows = [r for r in all_rows if filtre.keeps(r["annee"], concerne.get(r["d"], set()))]

    # 1. deliberations and amounts per engagement and per year (a deliberation counts once per engagement)
    per_eng: dict[str | None, set] = defaultdict(set)
    amount: dict[str, set[tuple[str, float]]] = defaultdict(set)  # (deliberation, amount): each amount it cites once
    per_eng_year: dict[tuple, set] = defaultdict(set)
    years: set[int] = set()
    dated: dict[int, set[str]] = defaultdict(set)
    attached: dict[int, set[str]] = defaultdict(set)
    for r in rows:
        if r["annee"] is not None:
            dated[r["annee"]].add(r["d"])
            if r["corps"] is not None and r["corps"] != AUCUN:
                attached[r["annee"]].add(r["d"])
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
    bars = [{"key": e["iri"], "label": f"Engagement {e['numero'] or ''}".strip(), "title": e["label"],
             "href": e["href"], "n": len(per_eng.get(e["iri"], ())),
             "montant": sum(m for _, m in amount.get(e["iri"], ()))} for e in engs]
    bars.append({"key": "aucun", "label": "Aucun engagement", "title": "Délibérations qui ne servent aucun engagement",
                 "href": None, "n": len(per_eng.get("aucun", ())),
                 "montant": sum(m for _, m in amount.get("aucun", ()))})
    years_sorted = sorted(years)
    by_year = [{"annee": y, "series": [{"key": b["key"], "label": b["label"],
                                        "n": len(per_eng_year.get((b["key"], y), ()))} for b in bars]}
               for y in years_sorted]

    # 2. share attached per year (the rule of share_by_year.rq: a current tag other than « aucun engagement »)
    share = [{"annee": y, "total": len(dated[y]), "rattachees": len(attached[y]),
              "part": round(100 * len(attached[y]) / len(dated[y])) if dated[y] else 0} for y in sorted(dated)]

    # 3. coverage matrix champs × contracts (the filters do not apply: contracts are not dated deliberations)
    contracts = [{"iri": r["contrat"].value, "label": val(r["label"]) or idx.of(r["contrat"].value),
                  "href": fiche_url(r["contrat"].value)} for r in select(source, "contracts")]
    cov: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"explicite": 0, "propose": 0})
    for r in select(source, "coverage"):
        kind = local_name(r["fondement"].value)
        cov[(r["cible"].value, r["contrat"].value)][kind] = int(r["n"].value)
    matrix = []
    for e in engs:
        targets = [e, *[c for c in e["children"] if c["type"] == "ChampIntervention"]]
        for t in targets:
            cells = []
            for c in contracts:
                v = cov.get((t["iri"], c["iri"]), {"explicite": 0, "propose": 0})
                cells.append({"contrat": c["iri"], "contrat_label": c["label"], **v})
            matrix.append({"iri": t["iri"], "href": t["href"], "numero": t["numero"], "label": t["label"],
                           "niveau": "engagement" if t is e else "champ", "cells": cells,
                           "total": sum(x["explicite"] + x["propose"] for x in cells)})

    # 4. per-commune effort under engagement 1 vs QPV / poches / IDH
    communes = []
    eng1 = next((e for e in engs if e["numero"] == "1"), None)
    if eng1 is not None:
        effort: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            if r["engagement"] == eng1["iri"]:
                for c in concerne.get(r["d"], ()):
                    effort[c].add(r["d"])
        for r in select(source, "communes_effort", engagement=ox.NamedNode(eng1["iri"])):
            c = r["commune"].value
            if any(x["iri"] == c for x in communes):
                continue
            communes.append({"iri": c, "href": fiche_url(c), "label": r["label"].value,
                             "deliberations": len(effort.get(c, ())),
                             "qpv": int(r["qpv"].value) if r["qpv"] is not None else 0,
                             "poches": int(r["poches"].value) if r["poches"] is not None else 0,
                             "idh": num(r["idh"]), "idh_min": num(r["idh_min"]), "idh_max": num(r["idh_max"])})
    communes.sort(key=lambda c: (-c["deliberations"], -(c["qpv"] + c["poches"]), c["label"]))
    total_delibs = len({r["d"] for r in rows})
    return {"bars": bars, "by_year": by_year, "years": years_sorted, "all_years": all_years, "share": share,
            "contracts": contracts, "matrix": matrix, "communes": communes, "engagement1": eng1, "total": total_delibs}


def dashboard_tables(data: dict) -> dict[str, Table]:
    """Every chart and table of the dashboard as an exportable table, with the numbers the charts show."""
    bars = [{"engagement": b["label"], "intitule": b["title"], "deliberations": b["n"], "montant": b["montant"]}
            for b in data["bars"]]
    annees = [{"annee": y["annee"], **{s["label"]: s["n"] for s in y["series"]}} for y in data["by_year"]]
    series = [b["label"] for b in data["bars"]]
    couverture = [{"numero": r["numero"], "cible": r["label"], "niveau": r["niveau"], "contrat": c["contrat_label"],
                   "explicite": c["explicite"], "propose": c["propose"]}
                  for r in data["matrix"] for c in r["cells"]]
    communes = [{"commune": c["label"], "deliberations": c["deliberations"], "qpv": c["qpv"], "poches": c["poches"],
                 "idh": c["idh"], "idh_min": c["idh_min"], "idh_max": c["idh_max"], "idh_texte": idh_text(c)}
                for c in data["communes"]]
    return {
        "engagements": Table("engagements", "Délibérations et montants par engagement", [
            Column("engagement", "Engagement"), Column("intitule", "Intitulé"),
            Column("deliberations", "Délibérations", "int"), Column("montant", "Montant (€)", "money")], bars),
        "annees": Table("annees", "Délibérations par engagement et par année",
                        [Column("annee", "Année", "int")] + [Column(s, s, "int") for s in series], annees),
        "part": Table("part", "Part des délibérations rattachées", [
            Column("annee", "Année", "int"), Column("total", "Délibérations", "int"),
            Column("rattachees", "Rattachées à un engagement", "int"), Column("part", "Part (%)", "int")],
            data["share"]),
        "couverture": Table("couverture", "Couverture des champs par les contrats", [
            Column("numero", "Numéro"), Column("cible", "Engagement ou champ"), Column("niveau", "Niveau"),
            Column("contrat", "Contrat"), Column("explicite", "Liens explicites", "int"),
            Column("propose", "Liens proposés", "int")], couverture),
        "communes": Table("communes", "Effort par commune au titre de l'engagement 1", [
            Column("commune", "Commune"), Column("deliberations", "Délibérations (engagement 1)", "int"),
            Column("qpv", "QPV", "int"), Column("poches", "Poches de pauvreté", "int"), Column("idh", "IDH", "number"),
            Column("idh_min", "IDH min.", "number"), Column("idh_max", "IDH max.", "number"),
            Column("idh_texte", "IDH (texte)")], communes),
    }
