"""The reading pages: home, search, resource pages (rendered for ``/id/…``), dashboard, index pages with their
filters, exports of every table, and the legal and accessibility pages.

Handlers are plain functions: FastAPI runs them in a worker thread, where they read the graph (an embedded store,
or the service's ``Backend``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from web import charts, exports
from web.context import config, graph, label_index, search_index
from web.dashboard_data import Filtre, dashboard, dashboard_tables
from web.deliberations import commune_deliberations, decision_parts, highlight, review_items
from web.errors import error_page
from web.exports import Column, Table
from web.fiches import paginate, resource
from web.graph import fiche_url, local_name, node_for_path, num, path_of, query_names, query_text, select, val
from web.rendering import page
from web.territoire import engagements, find_node, tree

router = APIRouter()

PER_PAGE = 25
STATUTS = {"a-revoir": "À revoir", "revue": "Revue", "sans-etiquette": "Sans étiquette"}


def _fmt(request: Request) -> str | None:
    fmt = request.query_params.get("format")
    return fmt if fmt in exports.FORMATS else None


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


def _links(request: Request, table: str | None = None) -> dict[str, str]:
    """The export links of the current page (same filters, every format)."""
    params = {k: v for k, v in request.query_params.items() if k not in ("format", "page")}
    path = request.url.path if table is None else f"/dashboard/export/{table}"
    return {fmt: path + "?" + urlencode({**params, "format": fmt}) for fmt in exports.FORMATS}


def _pager(request: Request, page_no: int, pages: int) -> dict:
    params = {k: v for k, v in request.query_params.items() if k != "page"}
    base = request.url.path + "?" + urlencode(params) + ("&" if params else "")
    return {"page": page_no, "pages": pages, "base": base}


# ------------------------------------------------------------------------------------------------ home, search


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/accueil", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    roots = config(request).cached("tree", lambda: tree(graph(request)))
    return page(request, "home.html", title="Boussole — Projet de Territoire 2024-2044", roots=roots)


@router.get("/recherche", response_class=HTMLResponse, include_in_schema=False)
def search(request: Request, q: str = "") -> HTMLResponse:
    q = " ".join(q.split())[:200]
    results = search_index(request).search(q, _page_number(request)) if q else None
    return page(request, "search.html", title=f"Recherche « {q} » — Boussole" if q else "Recherche — Boussole",
                q=q, results=results, ariane=[("Recherche", None)],
                pager=_pager(request, results.page, results.pages) if results else None)


# ------------------------------------------------------------------------------------------------ resources


@router.get("/fiche/{path:path}", include_in_schema=False)
def old_fiche(path: str) -> Response:
    """The former address of a resource's page: its page is now its IRI, ``/id/…``."""
    return RedirectResponse("/id/" + path, 301)


def fiche_page(request: Request, path: str) -> Response:
    """The page of the resource ``/id/<path>``, for people (one rendering per resource)."""
    cfg = config(request)
    node = node_for_path(path)
    if node is None:
        return error_page(request, 404, "Cette adresse n'est pas celle d'une ressource de Boussole.")
    source = graph(request)
    idx = label_index(request)
    item = resource(source, node, cfg.sources_dir, idx)
    if item is None:
        return error_page(request, 404, f"Le graphe ne dit rien de « {path} ».", titre="Ressource inconnue")
    ctx: dict = {}
    types = set(item["types"])
    voir, page_no = request.query_params.get("voir", ""), _page_number(request)
    for group in item["incoming"] + item["properties"]:
        if group["cle"] == voir:
            group["page"] = paginate(group["values"], page_no)
    ctx["contributions_page"] = paginate(item["contributions"], page_no if voir == "contributions" else 1)
    if item.get("deliberation"):
        d = item["deliberation"]
        parts = decision_parts(d["texte"])
        d["decision_pieces"] = highlight(parts["decision"] or d["titre"], d["evidence"])
        d["visas_pieces"] = highlight(parts["visas"], d["evidence"])
        d["pieces"] = d["decision_pieces"]
        ctx["engagements"] = cfg.cached("engagements", lambda: engagements(source))
        ctx["historique"] = sorted(d["tags"], key=lambda t: t["quand"] or "", reverse=True)
    if "ChampIntervention" in types or "Engagement" in types:
        node_tree = find_node(cfg.cached("tree", lambda: tree(source)), item["iri"])
        ctx["enfants"] = node_tree["children"] if node_tree else []
        if item.get("deliberations") is not None:
            ctx["deliberations_page"] = paginate(item["deliberations"], page_no if voir == "deliberations" else 1)
    if "Commune" in types:
        ctx["commune"] = _commune(request, item["iri"], page_no if voir == "deliberations" else 1)
    if (fmt := _fmt(request)) and (table := _fiche_table(item, request.query_params.get("tableau", ""))):
        return exports.response(table, fmt)
    title = f"{item['label']} — Boussole"
    kind = item["type_labels"][0] if item["type_labels"] else "Ressource"
    exports_links = {name: {f: f"/id/{path}?" + urlencode({"tableau": name, "format": f}) for f in exports.FORMATS}
                     for name in ("contributions", "deliberations")}
    return page(request, "fiche.html", title=title, item=item, voir=voir, exports=exports_links,
                ariane=[(kind, None), (item["label"], None)],
                headers={"Link": f'</id/{path}.jsonld>; rel="alternate"; type="application/ld+json"', "Vary": "Accept"},
                **ctx)


def _fiche_table(item: dict, name: str) -> Table | None:
    """A table of a resource's page, for export: its contributions or the deliberations attached to it."""
    slug = (item["path"] or "ressource").replace("/", "-")
    if name == "contributions" and item["contributions"]:
        rows = [{"contributeur": c["contributeur"]["text"], "cible": c["cible"]["text"], "sens": c["sens"],
                 "fondement": c["fondement"], "citation": c["citation"] or c["justification"],
                 "adresse": c["contributeur"]["iri"] if c["sens"] == "servi par" else c["cible"]["iri"]}
                for c in item["contributions"]]
        return Table(f"{slug}-contributions", f"Contributions — {item['label']}", [
            Column("contributeur", "Contributeur"), Column("cible", "Sert"), Column("sens", "Sens"),
            Column("fondement", "Fondement"), Column("citation", "Citation ou justification"),
            Column("adresse", "Adresse de l'autre extrémité (IRI)", "url")], rows)
    if name == "deliberations" and item.get("deliberations"):
        rows = [{"titre": d["text"], "annee": d["annee"], "montant": d["montant"], "via": ", ".join(d["via"]),
                 "revue": "validée" if d["revue"] else "proposée par le modèle", "href": d["href"]}
                for d in item["deliberations"]]
        return Table(f"{slug}-deliberations", f"Délibérations rattachées — {item['label']}", [
            Column("titre", "Délibération"), Column("annee", "Année", "int"), Column("montant", "Montant (€)", "money"),
            Column("via", "Par le champ"), Column("revue", "Revue")], rows)
    return None


def _commune(request: Request, iri: str, page_no: int) -> dict:
    source = graph(request)
    idx = label_index(request)
    delibs = commune_deliberations(source, node_for_path(path_of(iri)))
    items = [it for it in review_items_of(request) if it["iri"] in delibs]
    indicateurs = [{"obs": fiche_url(r["obs"].value), "indicateur": idx.link(r["indicateur"]),
                    "label": val(r["label"]) or idx.of(r["indicateur"].value), "valeur": num(r["valeur"]),
                    "min": num(r["min"]), "max": num(r["max"]), "annee": val(r["annee"])}
                   for r in select(source, "commune_indicateurs", commune=node_for_path(path_of(iri)))]
    effort = next((c for c in _dashboard(request, Filtre())["communes"] if c["iri"] == iri), None)
    return {"deliberations": paginate(items, page_no), "indicateurs": indicateurs, "effort": effort,
            "idh": charts.idh_text(effort) if effort else "—"}


def review_items_of(request: Request) -> list[dict]:
    """Every deliberation with its tags and review status (computed once per store generation)."""
    return config(request).cached("review_items", lambda: review_items(graph(request), idx=label_index(request)))


def _dashboard(request: Request, filtre: Filtre) -> dict:
    return config(request).cached(f"dashboard:{filtre}", lambda: dashboard(graph(request), filtre))


# ------------------------------------------------------------------------------------------------ dashboard


def _filtre(request: Request) -> Filtre:
    def year(name: str) -> int | None:
        raw = request.query_params.get(name, "")
        return int(raw) if re.fullmatch(r"(19|20)\d\d", raw) else None

    commune = request.query_params.get("commune", "")
    node = node_for_path(commune) if re.fullmatch(r"commune/\d[0-9AB]\d{3}", commune) else None
    return Filtre(du=year("du"), au=year("au"), commune=node.value if node else None)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(request: Request) -> HTMLResponse:
    filtre = _filtre(request)
    data = _dashboard(request, filtre)
    counts = [(b["label"], b["n"], b["href"], b["title"]) for b in data["bars"]]
    amounts = [(b["label"], b["montant"], b["href"], b["title"]) for b in data["bars"]]
    svg = {
        "engagements": charts.bar_chart("chart-engagements", counts, unit="délibérations",
                                        title="Délibérations par engagement"),
        "montants": charts.bar_chart("chart-montants", amounts, unit="€", title="Montants par engagement", money=True),
        "annees": charts.grouped_chart("chart-annees", data["by_year"],
                                       title="Délibérations par engagement et par année"),
        "part": charts.share_chart("chart-part", data["share"],
                                   title="Part des délibérations rattachées à un engagement"),
        "communes": charts.communes_chart("chart-communes", data["communes"],
                                          title="Effort par commune au titre de l'engagement 1"),
    }
    communes = sorted(((path_of(c["iri"]), c["label"]) for c in _dashboard(request, Filtre())["communes"]),
                      key=lambda c: c[1])
    exports_links = {name: _links(request, name) for name in dashboard_tables(data)}
    return page(request, "dashboard.html", title="Tableau de bord — Boussole", data=data, svg=svg,
                coherence=_coherence_links(), filtre=filtre, communes=communes, exports=exports_links,
                years=_dashboard(request, Filtre())["all_years"], ariane=[("Tableau de bord", None)],
                filtre_commune=path_of(filtre.commune) if filtre.commune else "")


@router.get("/dashboard/export/{name}", include_in_schema=False)
def dashboard_export(request: Request, name: str) -> Response:
    tables = dashboard_tables(_dashboard(request, _filtre(request)))
    fmt = _fmt(request)
    if name not in tables or fmt is None:
        return error_page(request, 404, "Ce tableau ou ce format d'export n'existe pas (formats : "
                          + ", ".join(exports.FORMATS) + ").")
    return exports.response(tables[name], fmt)


def _coherence_links() -> dict[str, str]:
    """Chart → id of the matching question of the coherence catalogue, when the catalogue has it."""
    wanted = {
        "engagements": ("repartition-par-engagement",),
        "annees": ("repartition-par-annee",),
        "part": ("deliberations-sans-engagement",),
        "couverture": ("champs-sans-contrat", "liens-explicites-proposes"),
        "communes": ("equite-engagement-1-par-commune", "communes-prioritaires-sans-engagement-1"),
    }
    from queries import catalogue

    ids = {q.id for q in catalogue.load()}
    return {chart: next(i for i in options if i in ids)
            for chart, options in wanted.items() if any(i in ids for i in options)}


@router.get("/dashboard/requete/{name}", response_class=HTMLResponse, include_in_schema=False)
def chart_query(request: Request, name: str) -> Response:
    if name.endswith(".rq"):
        name = name[:-3]
        if name not in query_names():
            return error_page(request, 404, "Cette requête n'existe pas.")
        return PlainTextResponse(query_text(name), media_type="application/sparql-query; charset=utf-8")
    if name not in query_names():
        return error_page(request, 404, "Cette requête n'existe pas.")
    return page(request, "query.html", title=f"Requête {name} — Boussole", name=name, text=query_text(name),
                ariane=[("Tableau de bord", "/dashboard"), (f"Requête {name}", None)])


# ------------------------------------------------------------------------------------------------ index pages


def _index(request: Request, template: str, table: Table, title: str, **ctx) -> Response:
    """An index page: the whole filtered table as a file when ``format`` is asked, else one page of it."""
    fmt = _fmt(request)
    if fmt:
        return exports.response(table, fmt)
    shown = paginate(table.rows, _page_number(request), PER_PAGE)
    return page(request, template, title=f"{title} — Boussole", table=table, shown=shown, exports=_links(request),
                pager=_pager(request, shown["page"], shown["pages"]), ariane=[(title, None)], **ctx)


@router.get("/deliberations", include_in_schema=False)
def deliberations_index(request: Request, annee: str = "", engagement: str = "", champ: str = "", commune: str = "",
                        statut: str = "") -> Response:
    source = graph(request)
    engs = config(request).cached("engagements", lambda: engagements(source))
    items = review_items_of(request)
    champs = {c["path"]: c for e in engs for c in e["champs"]}
    eng_paths = {e["path"]: e for e in engs}
    eng_of = {e["iri"]: e["iri"] for e in engs} | {c["iri"]: e["iri"] for e in engs for c in e["champs"]}
    commune_node = node_for_path(commune) if re.fullmatch(r"commune/\d[0-9AB]\d{3}", commune) else None
    in_commune = commune_deliberations(source, commune_node) if commune_node else None
    rows = []
    for it in items:
        year = (it["date"] or "")[:4]
        bodies = {t["corps_iri"] for t in it["current"]}
        engs_of = {eng_of.get(b) for b in bodies}
        if annee and year != annee:
            continue
        if engagement in eng_paths and eng_paths[engagement]["iri"] not in engs_of:
            continue
        if champ in champs and champs[champ]["iri"] not in bodies:
            continue
        if in_commune is not None and it["iri"] not in in_commune:
            continue
        if statut in STATUTS and it["status"] != statut:
            continue
        rows.append({"numero": it["numero"], "titre": it["titre"], "date": it["date"], "href": it["href"],
                     "montant": it["montant"], "statut": STATUTS[it["status"]],
                     "rattachement": ", ".join(" ".join(filter(None, (t["corps"].get("numero"), t["corps"]["text"])))
                                               for t in it["current"]),
                     "score": it["score"], "adresse": it["iri"]})
    table = Table("deliberations", "Délibérations", [
        Column("numero", "Numéro"), Column("date", "Date"), Column("titre", "Objet", link=True),
        Column("rattachement", "Rattachement courant"), Column("statut", "Revue"), Column("score", "Score", "number"),
        Column("montant", "Montant (€)", "money"), Column("adresse", "Adresse (IRI)", "url")], rows)
    years = sorted({(it["date"] or "")[:4] for it in items if it["date"]}, reverse=True)
    communes = config(request).cached("communes_list", lambda: _communes_list(request))
    return _index(request, "index_deliberations.html", table, "Délibérations", engagements=engs, years=years,
                  communes=communes, statuts=STATUTS,
                  params={"annee": annee, "engagement": engagement, "champ": champ, "commune": commune,
                          "statut": statut})


def _communes_list(request: Request) -> list[tuple[str, str]]:
    idx = label_index(request)
    return sorted(((p, lab) for iri, lab in idx.label.items()
                   if "Commune" in idx.types.get(iri, ()) and (p := path_of(iri))), key=lambda c: c[1])


@router.get("/contrats", include_in_schema=False)
def contracts_index(request: Request, contrat: str = "", type: str = "") -> Response:
    source = graph(request)
    idx = label_index(request)
    elements = config(request).cached("contract_elements", lambda: select(source, "contract_elements"))
    contrats: dict[str, dict] = {}
    for r in select(source, "contracts"):
        c = r["contrat"].value
        contrats[c] = {"iri": c, "path": path_of(c), "href": fiche_url(c), "label": val(r["label"]) or idx.of(c),
                       "types": Counter(), "total": 0}
    rows, kinds = [], set()
    for r in elements:
        c, t = r["contrat"].value, r["type"].value
        kind = idx.of(t) if t in idx.label else local_name(t)
        entry = contrats.get(c)
        if entry is None:
            continue
        entry["types"][kind] += 1
        entry["total"] += 1
        kinds.add(kind)
        if (contrat and entry["path"] != contrat) or (type and kind != type):
            continue
        rows.append({"contrat": entry["label"], "type": kind, "numero": val(r["numero"]),
                     "libelle": val(r["label"]) or idx.of(r["element"].value), "href": fiche_url(r["element"].value),
                     "adresse": r["element"].value})
    rows.sort(key=lambda x: (x["contrat"], x["type"], x["numero"] or "", x["libelle"]))
    table = Table("contrats-elements", "Éléments des contrats", [
        Column("contrat", "Contrat"), Column("type", "Type d'élément"), Column("numero", "Numéro"),
        Column("libelle", "Libellé", link=True), Column("adresse", "Adresse (IRI)", "url")], rows)
    return _index(request, "index_contrats.html", table, "Contrats",
                  contrats=sorted(contrats.values(), key=lambda c: c["label"]), kinds=sorted(kinds),
                  params={"contrat": contrat, "type": type})


@router.get("/communes", include_in_schema=False)
def communes_index(request: Request) -> Response:
    source = graph(request)
    counts: dict[str, int] = defaultdict(int)
    for r in config(request).cached("deliberation_communes", lambda: select(source, "deliberation_communes")):
        counts[r["commune"].value] += 1
    rows = [{"commune": c["label"], "href": c["href"], "deliberations": counts.get(c["iri"], 0),
             "engagement1": c["deliberations"], "qpv": c["qpv"], "poches": c["poches"], "idh": charts.idh_text(c),
             "insee": (path_of(c["iri"]) or "").rsplit("/", 1)[-1], "adresse": c["iri"]}
            for c in sorted(_dashboard(request, Filtre())["communes"], key=lambda c: c["label"])]
    table = Table("communes", "Communes", [
        Column("commune", "Commune", link=True), Column("insee", "Code INSEE"),
        Column("deliberations", "Délibérations", "int"), Column("engagement1", "Délibérations (engagement 1)", "int"),
        Column("qpv", "QPV", "int"), Column("poches", "Poches de pauvreté", "int"), Column("idh", "IDH"),
        Column("adresse", "Adresse (IRI)", "url")], rows)
    return _index(request, "index_communes.html", table, "Communes")


@router.get("/constats", include_in_schema=False)
def findings_index(request: Request, type: str = "") -> Response:
    source = graph(request)
    idx = label_index(request)
    found: dict[str, dict] = {}
    for r in select(source, "constats"):
        c = r["constat"].value
        entry = found.setdefault(c, {"libelle": val(r["label"]) or idx.of(c), "href": fiche_url(c),
                                     "type": idx.of(r["type"].value) if r["type"] is not None else "",
                                     "definition": val(r["definition"]) or "", "porte": [], "adresse": c})
        if r["porteSur"] is not None and idx.of(r["porteSur"].value) not in entry["porte"]:
            entry["porte"].append(idx.of(r["porteSur"].value))
    kinds = sorted({e["type"] for e in found.values() if e["type"]})
    rows = [{**e, "porte_sur": ", ".join(sorted(e.pop("porte")))}
            for e in found.values() if not type or e["type"] == type]
    rows.sort(key=lambda e: (e["type"], e["libelle"]))
    table = Table("constats", "Constats", [
        Column("type", "Type"), Column("libelle", "Constat", link=True), Column("porte_sur", "Porte sur"),
        Column("definition", "Détail"), Column("adresse", "Adresse (IRI)", "url")], rows)
    return _index(request, "index_constats.html", table, "Constats", kinds=kinds, params={"type": type})


# ------------------------------------------------------------------------------------------------ legal


@router.get("/mentions-legales", response_class=HTMLResponse, include_in_schema=False)
def legal(request: Request) -> HTMLResponse:
    return page(request, "mentions_legales.html", title="Mentions légales — Boussole",
                ariane=[("Mentions légales", None)])


@router.get("/accessibilite", response_class=HTMLResponse, include_in_schema=False)
def accessibility(request: Request) -> HTMLResponse:
    return page(request, "accessibilite.html", title="Accessibilité — Boussole",
                ariane=[("Déclaration d'accessibilité", None)])
