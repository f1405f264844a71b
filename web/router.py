"""The French pages of Boussole: home (tree + search), fiches, dashboard, review queue.

Mount them on the service's app with :func:`mount`; the pages read the store the app gives through
``store_provider`` (a callable returning a pyoxigraph ``Store``) and write review decisions only with the write
token (the ``write_token`` setting), checked at the login form and kept in a signed cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kg.errors import BoussoleError
from web import charts
from web.barometre_routes import router as barometre_router
from web import data_access as da

HERE = Path(__file__).resolve().parent
COOKIE = "boussole_revue"
STATIC_PATH = "/assets"

router = APIRouter()

env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def _fr_number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


def _fr_date(value: str | None) -> str:
    if not value:
        return "—"
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else value


env.filters["nombre"] = _fr_number
env.filters["date_fr"] = _fr_date
env.filters["euros"] = lambda v: "—" if v is None else _fr_number(v) + "\u00a0€"


Writer = Callable[[Callable[[ox.Store], Any]], Awaitable[Any]]


@dataclass
class WebConfig:
    store_provider: Callable[[], ox.Store]
    write_token: Callable[[], str | None]
    writer: Writer | None = None
    query_page: str = "/ui"
    linked_data_prefix: str = "/id/"
    sources_dir: Path = da.DEFAULT_SOURCES_DIR
    coherence_prefix: str = "/coherence/"
    chart_queries: dict[str, str] = field(default_factory=dict)


def mount(app: FastAPI, *, store_provider: Callable[[], ox.Store], write_token: str | Callable[[], str | None] | None = None,
          writer: Writer | None = None, query_page: str = "/ui", sources_dir: Path | None = None) -> None:
    """Add the pages to ``app``: include :data:`router` and serve ``web/static`` at ``/assets``.

    ``write_token``: the token a reviewer types to log in (a string, a callable returning it, or None); without a
    token, reviews are read-only.
    ``writer``: runs a write job ``job(store)`` on the read-write store, one writer at a time, and lets readers see
    the change (the API passes its backend's single writer); by default the job runs in a thread on
    ``store_provider()``.
    """
    token_fn: Callable[[], str | None]
    if callable(write_token):
        token_fn = write_token
    else:
        def token_fn() -> str | None:
            return write_token
    app.state.boussole_web = WebConfig(store_provider=store_provider, write_token=token_fn, writer=writer,
                                       query_page=query_page, sources_dir=sources_dir or da.DEFAULT_SOURCES_DIR)
    app.include_router(router)
    app.include_router(barometre_router)
    app.mount(STATIC_PATH, StaticFiles(directory=str(HERE / "static")), name="boussole-web-assets")


def _cfg(request: Request) -> WebConfig:
    return request.app.state.boussole_web


def _store(request: Request) -> ox.Store:
    return _cfg(request).store_provider()


# ------------------------------------------------------------------------------------------------ auth


def _sign(token: str, name: str, stamp: str) -> str:
    return hmac.new(token.encode(), f"{name}\n{stamp}".encode(), hashlib.sha256).hexdigest()


def reviewer(request: Request) -> str | None:
    """The logged-in reviewer's name, if the cookie is signed with the current write token."""
    token = _cfg(request).write_token()
    raw = request.cookies.get(COOKIE)
    if not token or not raw:
        return None
    try:
        name_b64, stamp, sig = raw.split(".")
        name = base64.urlsafe_b64decode(name_b64.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(sig, _sign(token, name, stamp)):
        return None
    if not stamp.isdigit() or time.time() - int(stamp) > 12 * 3600:
        return None
    return name


def _bearer_ok(request: Request) -> bool:
    token = _cfg(request).write_token()
    auth = request.headers.get("authorization", "")
    return bool(token) and auth.startswith("Bearer ") and hmac.compare_digest(auth[7:].strip(), token)


# ------------------------------------------------------------------------------------------------ rendering


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    cfg = _cfg(request)
    ctx.setdefault("title", "Boussole")
    html = env.get_template(template).render(
        request=request, assets=STATIC_PATH, query_page=cfg.query_page, reviewer=reviewer(request),
        writable=bool(cfg.write_token()), path=request.url.path, id_prefix=cfg.linked_data_prefix, **ctx)
    return HTMLResponse(html, status_code=status)


def _safe_back(value: str | None, default: str = "/review") -> str:
    """Only local paths of the review queue, the import page or fiches (no open redirect)."""
    if value and re.fullmatch(r"/(review|import|fiche/[A-Za-z0-9._~\-/]+)(\?[A-Za-z0-9._~\-=&%+]*)?", value):
        return value
    return default


# ------------------------------------------------------------------------------------------------ pages


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/accueil", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request) -> HTMLResponse:
    store = _store(request)
    roots = da.tree(store)
    return render(request, "home.html", title="Boussole — Projet de Territoire 2024-2044", roots=roots)


@router.get("/recherche", response_class=HTMLResponse, include_in_schema=False)
def search(request: Request, q: str = "") -> HTMLResponse:
    q = q[:200]
    hits = da.search(_store(request), q) if q.strip() else []
    return render(request, "search.html", title=f"Recherche « {q} » — Boussole" if q else "Recherche — Boussole",
                  q=q, hits=hits)


@router.get("/fiche/{path:path}", response_class=HTMLResponse, include_in_schema=False)
def fiche(request: Request, path: str) -> HTMLResponse:
    node = da.node_for_path(path)
    if node is None:
        return render(request, "error.html", 400, title="Adresse invalide", message="Cette adresse n'est pas celle d'une ressource de Boussole.")
    item = da.resource(_store(request), node, _cfg(request).sources_dir)
    if item is None:
        return render(request, "error.html", 404, title="Ressource inconnue",
                      message=f"Le graphe ne dit rien de « {path} ».")
    ctx = {}
    if item.get("deliberation"):
        d = item["deliberation"]
        d["pieces"] = da.highlight(d["texte"] or d["titre"], d["evidence"])
        queue_statuses(_store(request), [d], _threshold(request))
        ctx["engagements"] = da.engagements(_store(request))
    return render(request, "fiche.html", title=f"{item['label']} — Boussole", item=item, **ctx)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard(request: Request) -> HTMLResponse:
    data = da.dashboard(_store(request))
    svg = {
        "engagements": charts.bar_chart("chart-engagements", [(b["label"], b["n"], b["href"], b["title"]) for b in data["bars"]],
                                        unit="délibérations", title="Délibérations par engagement"),
        "montants": charts.bar_chart("chart-montants", [(b["label"], b["montant"], b["href"], b["title"]) for b in data["bars"]],
                                     unit="€", title="Montants par engagement", money=True),
        "annees": charts.grouped_chart("chart-annees", data["by_year"], title="Délibérations par engagement et par année"),
        "part": charts.share_chart("chart-part", data["share"], title="Part des délibérations rattachées à un engagement"),
        "communes": charts.communes_chart("chart-communes", data["communes"],
                                          title="Effort par commune au titre de l'engagement 1"),
    }
    return render(request, "dashboard.html", title="Tableau de bord — Boussole", data=data, svg=svg,
                  coherence=_coherence_links())


def _coherence_links() -> dict[str, str]:
    """Chart → id of the matching question of the coherence catalogue, when the catalogue has it."""
    wanted = {
        "engagements": ("repartition-par-engagement",),
        "annees": ("repartition-par-annee",),
        "part": ("deliberations-sans-engagement",),
        "couverture": ("champs-sans-contrat", "liens-explicites-proposes"),
        "communes": ("equite-engagement-1-par-commune", "communes-prioritaires-sans-engagement-1"),
    }
    try:
        from queries import catalogue

        loaded = catalogue.load()
        ids = set(loaded) if isinstance(loaded, dict) else {getattr(q, "id", None) for q in loaded}
    except Exception:  # noqa: BLE001 - the catalogue is optional
        return {}
    return {chart: next(i for i in options if i in ids) for chart, options in wanted.items() if any(i in ids for i in options)}


@router.get("/dashboard/requete/{name}", response_class=HTMLResponse, include_in_schema=False)
def chart_query(request: Request, name: str) -> Response:
    if name.endswith(".rq"):
        name = name[:-3]
        if name not in da.query_names():
            return PlainTextResponse("requête inconnue", 404)
        return PlainTextResponse(da.query_text(name), media_type="application/sparql-query; charset=utf-8")
    if name not in da.query_names():
        return render(request, "error.html", 404, title="Requête inconnue", message="Cette requête n'existe pas.")
    return render(request, "query.html", title=f"Requête {name} — Boussole", name=name, text=da.query_text(name))


# ------------------------------------------------------------------------------------------------ review


STATUSES = {"a-revoir": "À revoir", "revue": "Revue", "proposee": "Proposition sûre", "": "Toutes"}


def _threshold(request: Request) -> float | None:
    """The service's review threshold (``review_threshold``), or None for the queue question's default."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "review_threshold", None)


def queue_statuses(store: ox.Store, items: list[dict], threshold: float | None) -> list[str]:
    """Set each item's status from the one queue definition (``queries/file-de-revue.rq``); returns the queue's
    order (most doubtful first)."""
    from queries.review_queue import pending_rows

    order = [r["deliberation"] for r in pending_rows(store, threshold)]
    queued = set(order)
    for it in items:
        it["status"] = "a-revoir" if it["iri"] in queued else ("revue" if it["reviewed"] else "proposee")
        # the correction form's ticks: the current tags, « aucun » only when nothing else is current
        choix = ["aucun" if b == da.AUCUN else da.path_of(b) for b in it["current_bodies"]]
        it["choix"] = [c for c in choix if c and (c != "aucun" or len(choix) == 1)]
    return order


def _float(v: str | None) -> float | None:
    try:
        return float(v.replace(",", ".")) if v not in (None, "") else None
    except ValueError:
        return None


def _date(v: str | None) -> str:
    return v if v and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else ""


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def review(request: Request, statut: str = "a-revoir", engagement: str = "", commune: str = "", du: str = "",
           au: str = "", score_min: str = "", score_max: str = "", page: int = 1, message: str = "",
           erreur: str = "", annuler: str = "", brouillon: str = "", raison: str = "") -> HTMLResponse:
    store = _store(request)
    idx = da.labels(store)
    engs = da.engagements(store)
    statut = statut if statut in STATUSES else "a-revoir"
    eng_ok = {e["iri"] for e in engs}
    engagement = engagement if engagement in eng_ok else ""
    commune_node = da.node_for_path(commune) if re.fullmatch(r"commune/\d[0-9AB]\d{3}", commune or "") else None
    commune = commune if commune_node else ""
    items = da.review_items(store, idx=idx)
    order = {iri: k for k, iri in enumerate(queue_statuses(store, items, _threshold(request)))}
    champ_eng = {c["iri"]: e["iri"] for e in engs for c in e["champs"]}
    filtered = da.filter_items(items, statut=statut, engagement=engagement, commune=commune, du=_date(du), au=_date(au),
                               score_min=_float(score_min), score_max=_float(score_max), champ_engagement=champ_eng,
                               commune_delibs=da.commune_deliberations(store, commune_node) if commune_node else None)
    if statut == "a-revoir":
        filtered.sort(key=lambda it: order.get(it["iri"], len(order)))
    per_page = 20
    page = max(1, page)
    shown = filtered[(page - 1) * per_page: page * per_page]
    da.attach_mentions(store, shown, idx)
    for it in shown:
        it["pieces"] = da.highlight(it["texte"] or it["titre"], it["evidence"])
    communes = sorted(((p, lab) for iri, lab in idx.label.items()
                       if "Commune" in idx.types.get(iri, ()) and (p := da.path_of(iri))), key=lambda c: c[1])
    params = {k: v for k, v in {"statut": statut, "engagement": engagement, "commune": commune, "du": _date(du),
                                "au": _date(au), "score_min": score_min if _float(score_min) is not None else "",
                                "score_max": score_max if _float(score_max) is not None else ""}.items()}
    back = "/review?" + urlencode({"statut": statut} | {k: v for k, v in params.items() if v}  # « Toutes » is statut=
                                  | ({"page": page} if page > 1 else {}))
    counts = {s: sum(1 for it in items if it["status"] == s) for s in ("a-revoir", "revue", "proposee")}
    draft = {"path": brouillon, "raison": raison[:2000], "corps": set(request.query_params.getlist("corps"))} \
        if brouillon else None
    decisions = []
    if reviewer(request):
        decisions = _review_module().decision_log(store, limit=10)
    return render(request, "review.html", title="Revue des délibérations — Boussole", items=shown, total=len(filtered),
                  page=page, pages=max(1, -(-len(filtered) // per_page)), engagements=engs, communes=communes,
                  params=params, statuses=STATUSES, back=back, counts=counts, message=message[:200], erreur=erreur[:300],
                  query_string=urlencode({k: v for k, v in params.items() if v}), draft=draft,
                  undo=annuler if da.node_for_path(annuler) and annuler.startswith("deliberation/") else "",
                  decisions=decisions)


def _need_writer(request: Request) -> str | Response:
    name = reviewer(request)
    if name:
        return name
    if _bearer_ok(request):
        return request.headers.get("x-boussole-reviewer", "API")
    if not _cfg(request).write_token():
        return PlainTextResponse("Écriture désactivée : le service n'a pas de jeton d'écriture (BOUSSOLE_WRITE_TOKEN).", 403)
    return RedirectResponse("/connexion?" + urlencode({"retour": "/review"}), 303)


async def _write(request: Request, job: Callable[[ox.Store], Any]) -> Any:
    """Run a decision through the configured single writer (or in a thread on the current store)."""
    writer = _cfg(request).writer
    if writer is not None:
        return await writer(job)
    return await run_in_threadpool(job, _store(request))


def _redirect(back: str, **extra: str | list[str]) -> RedirectResponse:
    sep = "&" if "?" in back else "?"
    return RedirectResponse(back + (sep + urlencode(extra, doseq=True) if extra else ""), 303)


def _review_module():
    from ingest import review as ir  # the ingester owns the data model of decisions

    return ir


async def _review_form(request: Request) -> tuple[str, Any, str, ox.NamedNode] | Response:
    """The reviewer, the form, where to go back and the deliberation of a review POST, or the response that refuses it."""
    who = _need_writer(request)
    if isinstance(who, Response):
        return who
    form = await request.form()
    back = _safe_back(form.get("retour"))
    path = str(form.get("deliberation", ""))
    d = da.node_for_path(path)
    if d is None or not path.startswith("deliberation/"):
        return _redirect(back, erreur="Délibération invalide.")
    return who, form, back, d


async def _decide(request: Request, back: str, job: Callable[[ox.Store], Any], done: str, path: str = "",
                  draft: dict[str, Any] | None = None) -> Response:
    """Run a decision; back to the queue with a message and an undo button, or with the error and the form as the
    reviewer filled it (``draft``: reason and ticked choices are never lost)."""
    try:
        await _write(request, job)
    except BoussoleError as exc:
        return _redirect(back, erreur=str(exc), **(draft or {}))
    return _redirect(back, message=done, **({"annuler": path} if path else {}))


def _draft(path: str, form: Any) -> dict[str, Any]:
    return {"brouillon": path, "raison": str(form.get("raison", ""))[:2000], "corps": [str(c) for c in form.getlist("corps")]}


async def _one_step(request: Request, action: str, done: str, offer_undo: bool) -> Response:
    """A decision with no form but the deliberation: accept (``ingest.review.accept``) or undo (``undo``)."""
    checked = await _review_form(request)
    if isinstance(checked, Response):
        return checked
    who, _, back, d = checked
    path = (da.path_of(d.value) or "") if offer_undo else ""
    return await _decide(request, back, lambda store: getattr(_review_module(), action)(store, d.value, who), done, path)


@router.post("/review/accepter", include_in_schema=False)
async def review_accept(request: Request) -> Response:
    """Accept the model's current proposal for one deliberation; the page then offers to undo it."""
    return await _one_step(request, "accept", "Proposition acceptée.", offer_undo=True)


@router.post("/review/annuler", include_in_schema=False)
async def review_undo(request: Request) -> Response:
    """Undo the latest human decision on one deliberation."""
    return await _one_step(request, "undo", "Décision annulée.", offer_undo=False)


@router.post("/review/corriger", include_in_schema=False)
async def review_correct(request: Request) -> Response:
    """Set the tags of one deliberation (``ingest.review.correct``): engagements, champs or « aucun », with a reason."""
    checked = await _review_form(request)
    if isinstance(checked, Response):
        return checked
    who, form, back, d = checked
    path = da.path_of(d.value) or ""
    draft = _draft(path, form)
    engagements, champs = [], []
    for b in form.getlist("corps"):
        b = str(b)
        if b == "aucun":
            engagements.append("none")
        elif m := re.fullmatch(r"engagement/([1-9])", b):
            engagements.append(m.group(1))
        elif m := re.fullmatch(r"champ/([1-9]-[1-9][0-9]?)", b):
            champs.append(m.group(1))
        else:
            return _redirect(back, erreur="Choix invalide.", **draft)
    if not engagements and not champs:
        return _redirect(back, erreur="Choisissez au moins un engagement, un champ ou « aucun engagement ».", **draft)
    reason = " ".join(str(form.get("raison", "")).split())[:2000]
    if not reason:
        return _redirect(back, erreur="Indiquez la raison de la correction.", **draft)
    return await _decide(request, back, lambda store: _review_module().correct(
        store, d.value, engagements=engagements, champs=champs, reason=reason, author=who), "Correction enregistrée.",
        path, draft)


# ------------------------------------------------------------------------------------------------ login


@router.get("/connexion", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, retour: str = "/review", erreur: str = "") -> HTMLResponse:
    return render(request, "login.html", title="Connexion — Boussole", retour=_safe_back(retour), erreur=erreur[:200])


@router.post("/connexion", include_in_schema=False)
def login(request: Request, nom: str = Form(""), jeton: str = Form(""), retour: str = Form("/review")) -> Response:
    token = _cfg(request).write_token()
    retour = _safe_back(retour)
    nom = " ".join(nom.split())[:120]
    if not token:
        return render(request, "login.html", 403, title="Connexion — Boussole", retour=retour,
                      erreur="Le service n'a pas de jeton d'écriture : la revue est en lecture seule.")
    if not nom or not hmac.compare_digest(jeton.encode(), token.encode()):
        return render(request, "login.html", 401, title="Connexion — Boussole", retour=retour,
                      erreur="Nom manquant ou jeton incorrect.")
    stamp = str(int(time.time()))
    value = ".".join([base64.urlsafe_b64encode(nom.encode()).decode(), stamp, _sign(token, nom, stamp)])
    resp = RedirectResponse(retour, 303)
    resp.set_cookie(COOKIE, value, max_age=12 * 3600, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/deconnexion", include_in_schema=False)
def logout() -> Response:
    resp = RedirectResponse("/review", 303)
    resp.delete_cookie(COOKIE)
    return resp
