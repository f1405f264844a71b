"""``boussole review``: the review queue and its decisions (list, accept, correct, undo, log).

Each command works on the store directly, or through the server that serves it (:mod:`boussole.through_server`):
the same queue (``queries/file-de-revue.rq``) and the same decisions either way.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from api import discovery
from boussole.through_server import TOKEN_ENV, ServerWriter, quoted, server_for
from kg.errors import BoussoleError
from kg.store import DEFAULT_STORE

app = typer.Typer(help="Human review of the proposed tags: the queue, accept, correct, undo, the decision log.",
                  no_args_is_help=True)
out = Console()
err = Console(stderr=True)

StoreOption = Annotated[Path, typer.Option("--store", help="On-disk pyoxigraph store.")]
AuthorOption = Annotated[str, typer.Option("--author", help="Who decides (kept with the decision).")]


def _fail(exc: BoussoleError) -> None:
    err.print(f"[bold red]erreur :[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _server(store: Path, write: bool) -> ServerWriter | None:
    """The server to go through, if one serves ``store``; reads need no token (reviewers then come as pseudonyms)."""
    if write:
        try:
            return server_for(store)
        except BoussoleError as exc:
            _fail(exc)
    info = discovery.find(store)
    return ServerWriter(info["url"], os.environ.get(TOKEN_ENV, ""), info["pid"]) if info else None


def _read(store: Path, server_path: str, params: dict[str, Any], direct) -> Any:
    """Ask the server that serves ``store`` (GET ``server_path``), or run ``direct(read-only store)``."""
    server = _server(store, write=False)
    try:
        if server is not None:
            return server.json("GET", server_path, params=params)
        from kg.store import open_store

        return direct(open_store(store, read_only=True))
    except BoussoleError as exc:
        _fail(exc)


def _table(rows: list[dict[str, Any]], fmt: str, title: str, columns: tuple[str, ...]) -> Table | None:
    """Rows as JSON on stdout (returns None), or an empty table to fill and print."""
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return None
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    return t


def _show(cur: dict[str, Any]) -> None:
    engs = ";".join(cur["engagements"]) or "-"
    out.print(f"[green]{cur['deliberation']}[/green] : étiquette courante ({cur['source']}) — engagements {engs}, "
              f"champs {';'.join(cur['champs']) or '-'}")


def _decide(store: Path, server_path: str, payload: dict[str, Any], direct) -> None:
    """POST ``payload`` to the server that serves ``store``, or run ``direct(store, directory of names)``."""
    server = _server(store, write=True)
    try:
        if server is not None:
            cur = server.json("POST", server_path, json=payload)
        else:
            from ingest.review import pseudonymise
            from ingest.reviewers import directory_of
            from kg.store import open_store

            opened, names = open_store(store), directory_of(store)
            pseudonymise(opened, names)   # a store written with names: rewritten first (the service does it at start)
            cur = direct(opened, names).as_dict()
    except BoussoleError as exc:
        _fail(exc)
    _show(cur)


@app.command("list")
def review_list(store: StoreOption = DEFAULT_STORE,
                format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
                threshold: Annotated[Optional[float], typer.Option(
                    "--threshold", "--seuil", help="Confidence below which a proposal waits for a person "
                    "(default: the service's review_threshold, else queries/file-de-revue.rq's).")] = None) -> None:
    """The review queue: deliberations no person has decided whose model confidence is below the threshold."""
    def direct(s):
        from queries.review_queue import pending

        return pending(s, threshold)

    items = _read(store, "/deliberations/a-revoir", {"seuil": threshold} if threshold is not None else {}, direct)
    t = _table(items, format, f"{len(items)} délibération(s) à revoir",
               ("id", "objet", "engagements", "champs", "confiance", "raisons"))
    if t is None:
        return
    for i in items:
        t.add_row(i["id"], i["titre"][:70], ";".join(i["engagements"]) or "-", ";".join(i["champs"]) or "-",
                  f"{i['score']:.2f}" if i["score"] is not None else "-", "; ".join(i["raisons"]))
    out.print(t)


@app.command("accept")
def review_accept(deliberation: Annotated[str, typer.Argument(help="Deliberation id, path or IRI.")],
                  author: AuthorOption,
                  reason: Annotated[Optional[str], typer.Option("--reason")] = None,
                  store: StoreOption = DEFAULT_STORE) -> None:
    """Accept the model's proposal for a deliberation (logged with author and time; undo with `review undo`)."""
    from ingest.review import accept

    _decide(store, f"/deliberations/{quoted(deliberation)}/accepter", {"author": author, "reason": reason},
            lambda s, names: accept(s, deliberation, author, reason, reviewers=names))


@app.command("correct")
def review_correct(deliberation: Annotated[str, typer.Argument(help="Deliberation id, path or IRI.")],
                   author: AuthorOption,
                   reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")],
                   engagement: Annotated[Optional[list[str]], typer.Option(
                       "--engagement", help="1, 2, 3, '1;3' or none; repeatable.")] = None,
                   champ: Annotated[Optional[list[str]], typer.Option(
                       "--champ", help="E-C, e.g. 2-4; repeatable.")] = None,
                   store: StoreOption = DEFAULT_STORE) -> None:
    """Set the engagements and champs of a deliberation; a human decision is never overwritten by the model."""
    from ingest.review import correct

    def as_list(v: list[str] | None) -> list[str]:
        return [x for s in v or [] for x in str(s).split(";")]

    engs, champs = as_list(engagement), as_list(champ)
    _decide(store, f"/deliberations/{quoted(deliberation)}/corriger",
            {"author": author, "reason": reason, "engagements": engs, "champs": champs},
            lambda s, names: correct(s, deliberation, engagements=engs, champs=champs, reason=reason, author=author,
                                     reviewers=names))


@app.command("undo")
def review_undo(deliberation: Annotated[str, typer.Argument(help="Deliberation id, path or IRI.")],
                author: AuthorOption, store: StoreOption = DEFAULT_STORE) -> None:
    """Undo the latest human decision on a deliberation (logged; the earlier state is current again)."""
    from ingest.review import undo

    _decide(store, f"/deliberations/{quoted(deliberation)}/annuler", {"author": author},
            lambda s, names: undo(s, deliberation, author, reviewers=names))


@app.command("log")
def review_log(deliberation: Annotated[Optional[str], typer.Argument(help="Only this deliberation.")] = None,
               limit: Annotated[int, typer.Option("--limit", help="How many decisions, newest first.")] = 30,
               format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
               store: StoreOption = DEFAULT_STORE) -> None:
    """The decision log: who decided what, when, before → after (names from the directory beside the store, or
    from the server for a token holder; pseudonyms otherwise)."""
    from ingest.review import decision_log
    from ingest.reviewers import directory_of, with_names

    params: dict[str, Any] = {"limite": limit} | ({"deliberation": deliberation} if deliberation else {})
    rows = _read(store, "/deliberations/decisions", params,
                 lambda s: with_names(decision_log(s, deliberation, limit), directory_of(store)))
    t = _table(rows, format, f"{len(rows)} décision(s)", ("quand", "qui", "action", "délibération", "avant → après"))
    if t is None:
        return
    for r in rows:
        t.add_row(r["quand"][:19].replace("T", " "), r["auteur"], r["action"], r["deliberation"].rsplit("/", 2)[-1],
                  r["avant_apres"])
    out.print(t)


@app.command("pseudonymise")
def review_pseudonymise(store: StoreOption = DEFAULT_STORE) -> None:
    """Rewrite the reviewers of a store written before pseudonyms: the store keeps « Relecteur <pseudonym> », the
    names move to the directory beside it (a running service does this itself when it starts)."""
    from ingest.review import pseudonymise
    from ingest.reviewers import directory_of
    from kg.store import open_store

    if discovery.find(store):
        _fail(BoussoleError("un service sert ce magasin : il le fait lui-même à son démarrage"))
    try:
        names = directory_of(store)
        count = pseudonymise(open_store(store, create=False), names)
    except BoussoleError as exc:
        _fail(exc)
    out.print(f"{count} relecteur(s) renommé(s) en pseudonymes ; noms dans {names.path}" if count
              else "aucun nom de relecteur dans le magasin : rien à faire")
