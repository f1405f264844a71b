"""``boussole coherence list`` and ``boussole coherence run ID [--param k=v] [--format table|csv|json]``.

Plain functions (``print_catalogue``, ``print_answer``) plus a ready Typer sub-application ``app`` that the main CLI
mounts with ``app.add_typer(queries.cli.app, name="coherence")``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, TextIO

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.table import Table

from kg.errors import BoussoleError
from kg.iris import base_iri
from queries import catalogue

FORMATS = ("table", "csv", "json")


def print_catalogue(console: Console | None = None) -> int:
    """The questions with their titles, parameters (with defaults) and the question they answer; returns the count."""
    console = console or Console()
    questions = catalogue.load()
    table = Table(title=f"{len(questions)} coherence questions (queries/*.rq)", show_lines=True)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("question")
    table.add_column("parameters (default)")
    for q in questions:
        params = "\n".join(f"{p.name}={p.default} ({p.type})" for p in q.params) or "—"
        table.add_row(q.id, f"[bold]{q.title_fr}[/]\n{q.question}", params)
    console.print(table)
    return len(questions)


def answer(store: ox.Store, question_id: str, params: list[str] | tuple[str, ...] | None = None
           ) -> tuple[catalogue.Question, dict[str, str], list[str], list[list[str]]]:
    """Run a question; returns the question, the parameter values used, the column names and the rows as text."""
    q = catalogue.get(question_id)
    raw = catalogue.parse_assignments(params)
    used = {v.value: t.value for v, t in q.bindings(raw).items()}
    names, rows = catalogue.table(catalogue.run(store, q, raw))
    return q, used, names, rows


def print_answer(store: ox.Store, question_id: str, params: list[str] | tuple[str, ...] | None = None,
                 fmt: str = "table", console: Console | None = None, err: Console | None = None,
                 stream: TextIO | None = None) -> int:
    """Print the answer to a question as a rich table, SPARQL CSV or SPARQL JSON results; returns the row count."""
    if fmt not in FORMATS:
        raise BoussoleError(f"--format {fmt}: choose {', '.join(FORMATS)}")
    stream = stream or sys.stdout
    if fmt in ("csv", "json"):
        q = catalogue.get(question_id)
        raw = catalogue.parse_assignments(params)
        results = catalogue.run(store, q, raw)
        format_ = ox.QueryResultsFormat.CSV if fmt == "csv" else ox.QueryResultsFormat.JSON
        text = results.serialize(format=format_).decode("utf-8")
        stream.write(text if text.endswith("\n") or fmt == "csv" else text + "\n")
        if fmt == "json":
            return len(json.loads(text)["results"]["bindings"])
        return max(text.count("\r\n") - 1, 0)
    console = console or Console()
    err = err or Console(stderr=True)
    q, used, names, rows = answer(store, question_id, params)
    shown = [n for n in names if n not in used]  # parameters are echoed in every row: show them once, above
    title = q.title_fr + (
        " — " + ", ".join(f"{k}={v.removeprefix(base_iri())}" for k, v in used.items()) if used else ""
    )
    table = Table(title=title, caption=q.question, show_lines=False)
    for n in shown:
        table.add_column(n, overflow="fold")
    for row in rows:
        table.add_row(*(row[names.index(n)] for n in shown))
    console.print(table)
    err.print(f"{len(rows)} row(s). How to read it: {q.read}", highlight=False, soft_wrap=True)
    return len(rows)


# --- Typer sub-application ----------------------------------------------------------------------------------

app = typer.Typer(
    help="The coherence questions: documented SPARQL queries answered on the graph.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_err = Console(stderr=True)


def _fail(exc: BoussoleError) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@app.command("list")
def list_command() -> None:
    """List the coherence questions with their parameters."""
    try:
        print_catalogue()
    except BoussoleError as exc:
        raise _fail(exc) from None


@app.command("run")
def run_command(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="Question id (see `boussole coherence list`).")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter NAME=VALUE (repeatable).")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    store: Annotated[Path, typer.Option("--store", help="On-disk pyoxigraph store.")] = Path("var/store"),
) -> None:
    """Answer one coherence question on the store."""
    from kg.store import open_store

    try:
        if format not in FORMATS:
            raise BoussoleError(f"--format {format}: choose {', '.join(FORMATS)}")
        catalogue.get(question_id)  # unknown ids fail before the store is opened
        print_answer(open_store(store, read_only=True), question_id, param or [], format)
    except BoussoleError as exc:
        raise _fail(exc) from None


__all__ = ["app", "answer", "print_answer", "print_catalogue"]
