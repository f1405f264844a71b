"""Mounting the French pages of Boussole, the reviewers' login and the review queue.

Mount them on the service's app with :func:`mount`; the pages read the graph through ``store_provider`` (a
callable returning a pyoxigraph ``Store``, or a ``web.graph.Graph`` such as the service's ``Backend`` port) and
write review decisions only with the write token (the ``write_token`` setting), checked at the login form and kept
in a signed cookie. The reading pages are in :mod:`web.pages`; every page is rendered by :mod:`web.rendering`.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from itsdangerous import BadSignature
from starlette.concurrency import run_in_threadpool

from api.deps import require_writer
from ingest.reviewers import Reviewers, with_names
from kg.errors import BoussoleError
from web import errors, pages
from web.barometre_routes import router as barometre_router
from web.context import WebConfig, Writer, label_index
from web.context import config as _cfg
from web.context import graph as _store
from web.deliberations import AUCUN, attach_mentions, commune_deliberations, filter_items, highlight
from web.fiches import DEFAULT_SOURCES_DIR
from web.graph import Graph, as_graph, node_for_path, path_of
from web.rendering import ASSETS, page
from web.territoire import engagements as list_engagements

HERE = Path(__file__).resolve().parent
COOKIE = "boussole_revue"
STATIC_PATH = ASSETS

router = APIRouter()


def mount(app: FastAPI, *, store_provider: Callable[[], ox.Store | Graph],
          write_token: str | Callable[[], str | None] | None = None, writer: Writer | None = None,
          query_page: str = "/ui", sources_dir: Path | None = None,
          generation: Callable[[], object] | None = None,
          reviewers: Callable[[], Reviewers] | None = None) -> None:
    """Add the pages to ``app``: the routers of :mod:`web.router` and :mod:`web.pages`, ``web/static`` at
    ``/assets``, and the French error pages.

    ``write_token``: the token a reviewer types to log in (a string, a callable returning it, or None); without a
    token, reviews are read-only.
    ``writer``: runs a write job ``job(store)`` on the read-write store, one writer at a time, and lets readers see
    the change (the API passes its backend's single writer); by default the job runs in a thread on
    ``store_provider()``. ``generation``: a number that changes when the store changes (the backend's), so that
    labels and the search index are recomputed. ``reviewers``: the directory of the reviewers' names
    (:mod:`ingest.reviewers`; by default one in memory, for an in-memory store).
    """
    token_fn: Callable[[], str | None]
    if callable(write_token):
        token_fn = write_token
    else:
        def token_fn() -> str | None:
            return write_token
    app.state.boussole_web = WebConfig(store_provider=store_provider, write_token=token_fn, writer=writer,
                                       query_page=query_page, sources_dir=sources_dir or DEFAULT_SOURCES_DIR,
                                       generation=generation or (lambda: 0), reviewer=reviewer)
    if reviewers is not None:
        app.state.boussole_web.reviewers = reviewers
    app.include_router(router)
    app.include_router(pages.router)
    app.include_router(barometre_router)
    app.mount(STATIC_PATH, StaticFiles(directory=str(HERE / "static")), name="boussole-web-assets")
    errors.install(app)


# ------------------------------------------------------------------------------------------------ auth


SESSION_S = 12 * 3600


def reviewer(request: Request) -> str | None:
    """The logged-in reviewer's name: the cookie carries a signed random session id (itsdangerous) that the server
    knows until logout or restart; it says nothing about the write token."""
    cfg = _cfg(request)
    raw = request.cookies.get(COOKIE)
    if not cfg.write_token() or not raw:
        return None
    try:
        sid = cfg.signer.loads(raw, max_age=SESSION_S)
    except BadSignature:
        return None
    session = cfg.sessions.get(sid) if isinstance(sid, str) else None
    if session is None or time.time() - session[1] > SESSION_S:
        return None
    return session[0]


def _same_origin(request: Request) -> bool:
    """A form POST must come from our own pages: its Origin (or Referer) names this host (CSRF)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # not a browser's cross-site form: browsers send Origin with every cross-site POST
    return urlsplit(source).netloc == request.headers.get("host", "")


def _guesses(request: Request):
    return getattr(request.app.state, "token_guesses", None)


# ------------------------------------------------------------------------------------------------ rendering


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    if template == "login.html":
        ctx.setdefault("ariane", [("Connexion des réviseurs", None)])
    return page(request, template, status, **ctx)


def _safe_back(value: str | None, default: str = "/review") -> str:
    """Only local paths of the review queue, the import page or fiches (no open redirect)."""
    if value and re.fullmatch(r"/(review|import|id/[A-Za-z0-9._~\-/]+)(\?[A-Za-z0-9._~\-=&%+]*)?", value):
        return value
    return default


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
        choix = ["aucun" if b == AUCUN else path_of(b) for b in it["current_bodies"]]
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
    idx = label_index(request)
    engs = _cfg(request).cached("engagements", lambda: list_engagements(store))
    statut = statut if statut in STATUSES else "a-revoir"
    eng_ok = {e["iri"] for e in engs}
    engagement = engagement if engagement in eng_ok else ""
    commune_node = node_for_path(commune) if re.fullmatch(r"commune/\d[0-9AB]\d{3}", commune or "") else None
    commune = commune if commune_node else ""
    items = [dict(it) for it in pages.review_items_of(request)]  # the queue marks its own copies, not the cache
    order = {iri: k for k, iri in enumerate(queue_statuses(store, items, _threshold(request)))}
    champ_eng = {c["iri"]: e["iri"] for e in engs for c in e["champs"]}
    filtered = filter_items(items, statut=statut, engagement=engagement, commune=commune, du=_date(du), au=_date(au),
                            score_min=_float(score_min), score_max=_float(score_max), champ_engagement=champ_eng,
                            commune_delibs=commune_deliberations(store, commune_node) if commune_node else None)
    if statut == "a-revoir":
        filtered.sort(key=lambda it: order.get(it["iri"], len(order)))
    per_page = 20
    page = max(1, page)
    shown = [dict(it, mentions=[]) for it in filtered[(page - 1) * per_page: page * per_page]]  # cached: copy
    attach_mentions(store, shown, idx)
    for it in shown:
        it["pieces"] = highlight(it["texte"] or it["titre"], it["evidence"])
    communes = sorted(((p, lab) for iri, lab in idx.label.items()
                       if "Commune" in idx.types.get(iri, ()) and (p := path_of(iri))), key=lambda c: c[1])
    params = {k: v for k, v in {"statut": statut, "engagement": engagement, "commune": commune, "du": _date(du),
                                "au": _date(au), "score_min": score_min if _float(score_min) is not None else "",
                                "score_max": score_max if _float(score_max) is not None else ""}.items()}
    back = "/review?" + urlencode({"statut": statut} | {k: v for k, v in params.items() if v}  # « Toutes » is statut=
                                  | ({"page": page} if page > 1 else {}))
    counts = {s: sum(1 for it in items if it["status"] == s) for s in ("a-revoir", "revue", "proposee")}
    draft = {"path": brouillon, "raison": raison[:2000], "corps": set(request.query_params.getlist("corps"))} \
        if brouillon else None
    decisions = []
    if _cfg(request).reviewer(request):  # the session is the service process's (pages may render in a worker)
        decisions = with_names(as_graph(store).read(lambda st: _review_module().decision_log(st, limit=10)),
                               _cfg(request).reviewers())
    return render(request, "review.html", title="Revue des délibérations — Boussole", items=shown, total=len(filtered),
                  ariane=[("Revue des délibérations", None)],
                  page=page, pages=max(1, -(-len(filtered) // per_page)), engagements=engs, communes=communes,
                  params=params, statuses=STATUSES, back=back, counts=counts, message=message[:200],
                  erreur=erreur[:300],
                  query_string=urlencode({k: v for k, v in params.items() if v}), draft=draft,
                  undo=annuler if node_for_path(annuler) and annuler.startswith("deliberation/") else "",
                  decisions=decisions)


def _need_writer(request: Request) -> str | Response:
    """The reviewer's name (session cookie), or the program's (``X-Boussole-Reviewer``) when the request carries
    a bearer token: checked by the service's one writer check (``api.deps.require_writer``: 403, 401, 429)."""
    name = reviewer(request)
    if name:
        return name
    if "authorization" in request.headers:
        require_writer(request)
        return request.headers.get("x-boussole-reviewer", "API")
    if not _cfg(request).write_token():
        return errors.error_response(request, 403, "Écriture désactivée : le service n'a pas de jeton d'écriture "
                                     "(BOUSSOLE_WRITE_TOKEN).")
    return RedirectResponse("/connexion?" + urlencode({"retour": "/review"}), 303)


async def _write(request: Request, job: Callable[[ox.Store], Any]) -> Any:
    """Run a decision through the configured single writer (or in a thread on the current store)."""
    cfg = _cfg(request)
    store = _store(request)
    if cfg.writer is None and not isinstance(store, ox.Store):
        raise BoussoleError("Les décisions de revue s'enregistrent dans le store embarqué ; "
                            "ce service lit un store distant.")
    try:
        if cfg.writer is not None:
            return await cfg.writer(job)
        return await run_in_threadpool(job, store)
    finally:
        cfg.writes += 1  # labels, review items and the search index are recomputed


def _redirect(back: str, **extra: str | list[str]) -> RedirectResponse:
    sep = "&" if "?" in back else "?"
    return RedirectResponse(back + (sep + urlencode(extra, doseq=True) if extra else ""), 303)


def _review_module():
    from ingest import review as ir  # the ingester owns the data model of decisions

    return ir


async def _review_form(request: Request) -> tuple[str, Any, str, ox.NamedNode] | Response:
    """The reviewer, the form, where to go back and the deliberation of a review POST, or the response that refuses
    it."""
    if not _same_origin(request):
        return PlainTextResponse("Formulaire refusé : il ne vient pas des pages de Boussole.", 403)
    who = _need_writer(request)
    if isinstance(who, Response):
        return who
    form = await request.form()
    back = _safe_back(form.get("retour"))
    path = str(form.get("deliberation", ""))
    d = node_for_path(path)
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
    return {"brouillon": path, "raison": str(form.get("raison", ""))[:2000],
            "corps": [str(c) for c in form.getlist("corps")]}


async def _one_step(request: Request, action: str, done: str, offer_undo: bool) -> Response:
    """A decision with no form but the deliberation: accept (``ingest.review.accept``) or undo (``undo``)."""
    checked = await _review_form(request)
    if isinstance(checked, Response):
        return checked
    who, _, back, d = checked
    path = (path_of(d.value) or "") if offer_undo else ""
    names = _cfg(request).reviewers()
    return await _decide(request, back, lambda store: getattr(_review_module(), action)(
        store, d.value, who, reviewers=names), done, path)


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
    path = path_of(d.value) or ""
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
    names = _cfg(request).reviewers()
    return await _decide(request, back, lambda store: _review_module().correct(
        store, d.value, engagements=engagements, champs=champs, reason=reason, author=who, reviewers=names),
        "Correction enregistrée.",
        path, draft)


# ------------------------------------------------------------------------------------------------ login


@router.get("/connexion", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request, retour: str = "/review", erreur: str = "") -> HTMLResponse:
    return render(request, "login.html", title="Connexion — Boussole", retour=_safe_back(retour), erreur=erreur[:200])


@router.post("/connexion", include_in_schema=False)
def login(request: Request, nom: str = Form(""), jeton: str = Form(""), retour: str = Form("/review")) -> Response:
    cfg = _cfg(request)
    token = cfg.write_token()
    retour = _safe_back(retour)
    nom = " ".join(nom.split())[:120]
    if not _same_origin(request):
        return PlainTextResponse("Formulaire refusé : il ne vient pas des pages de Boussole.", 403)
    if not token:
        return render(request, "login.html", 403, title="Connexion — Boussole", retour=retour,
                      erreur="Le service n'a pas de jeton d'écriture : la revue est en lecture seule.")
    guesses, client = _guesses(request), request.client.host if request.client else "?"
    wait = guesses.blocked(client) if guesses else 0
    if wait:
        resp = render(request, "login.html", 429, title="Connexion — Boussole", retour=retour,
                      erreur=f"Trop d'essais de jeton : réessayez dans {int(wait) + 1} secondes.")
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    if not nom or not hmac.compare_digest(jeton.encode(), token.encode()):
        if guesses and nom:
            guesses.failed(client)
        return render(request, "login.html", 401, title="Connexion — Boussole", retour=retour,
                      erreur="Nom manquant ou jeton incorrect.")
    sid = secrets.token_urlsafe(24)
    cfg.sessions[sid] = (nom, time.time())
    resp = RedirectResponse(retour, 303)
    resp.set_cookie(COOKIE, cfg.signer.dumps(sid), max_age=SESSION_S, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/deconnexion", include_in_schema=False)
def logout(request: Request) -> Response:
    """End the session on the server too: a copy of the cookie is worthless afterwards."""
    cfg = _cfg(request)
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            cfg.sessions.pop(cfg.signer.loads(raw), None)
        except BadSignature:
            pass
    resp = RedirectResponse("/review", 303)
    resp.delete_cookie(COOKIE)
    return resp
