"""The ``boussole`` command line: one entry point, one subcommand per job, every error on one line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg.errors import BoussoleError
from kg.store import DEFAULT_STORE, held_locks, release_locks

app = typer.Typer(help="Boussole: knowledge graph and SPARQL service of the Projet de Territoire 2024-2044.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
out = Console()
err = Console(stderr=True)

StoreOption = Annotated[Path, typer.Option("--store", help="On-disk pyoxigraph store.")]


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a BoussoleError into one red line and exit code 1 instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before = held_locks()
        try:
            return func(*args, **kwargs)
        except BoussoleError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        finally:
            release_locks(keep=before)  # the store this command wrote is free again (in-process callers: tests)

    return wrapper


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=err, transient=True)


@app.command()
@friendly
def build(
    store: StoreOption = DEFAULT_STORE,
    reason: Annotated[
        bool, typer.Option("--reason", help="Check consistency with HermiT and store inferred triples.")
    ] = False,
) -> None:
    """(Re)build the graph from the versioned sources: ontology, référentiel, territory, contracts.

    While `boussole serve` serves the store, the checked graphs are applied by the server's single writer."""
    from boussole.through_server import server_for
    from kg.build import build as run_build

    server = server_for(store)
    apply = None
    if server is not None:
        import pyoxigraph as ox

        err.print(f"écriture à travers {server}")

        def apply(staged, graphs):
            quads = (q for g in graphs for q in staged.quads_for_pattern(None, None, None, g))
            return server.build(ox.serialize(quads, format=ox.RdfFormat.N_QUADS), [g.value for g in graphs])

    with progress_bar() as bar:
        task = bar.add_task("building", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        report = run_build(store, reason=reason, progress=progress, apply=apply)
    table = Table(title=f"graph built in {store}", show_edge=False)
    table.add_column("named graph")
    table.add_column("triples", justify="right")
    for name, count in report.graphs.items():
        table.add_row(name, str(count))
    out.print(table)
    classes = Table(show_edge=False)
    classes.add_column("class (bsl:)")
    classes.add_column("resources", justify="right")
    for name, count in report.classes.items():
        classes.add_row(name, str(count))
    out.print(classes)
    timing = ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items())
    out.print(f"{report.added} quads added, {report.removed} removed ({timing})")


def _documented_text(query_or_file: str, params: list[str] | None) -> str | None:
    """The text of a .rq file that has a question header, its parameters bound (defaults, or --param)."""
    from queries import catalogue

    path = Path(query_or_file)
    if path.suffix != ".rq" or not path.is_file() or not path.read_text(encoding="utf-8").startswith("# id:"):
        if params:
            raise BoussoleError(
                f"--param applies to a documented .rq file (with a '# id:' header), not to {query_or_file}"
            )
        return None
    return catalogue.load_file(path).sparql(catalogue.parse_assignments(params))


@app.command()
@friendly
def query(
    query_or_file: Annotated[str, typer.Argument(metavar="QUERY_OR_FILE.rq", help="A SPARQL query or a .rq file.")],
    store: StoreOption = DEFAULT_STORE,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, tsv, json or xml (CONSTRUCT: turtle).")
    ] = "table",
    param: Annotated[
        Optional[list[str]], typer.Option("--param", "-p", help="NAME=VALUE for a documented .rq (repeatable).")
    ] = None,
) -> None:
    """Run a SPARQL query on the store (default graph = union of all graphs; usual prefixes predeclared).

    A .rq file with a documented header (the questions of queries/) gets its parameters bound as RDF terms: their
    defaults, or the values given with --param."""
    import pyoxigraph as ox

    from kg.querying import RESULT_FORMATS, empty_result_hints, read_query, run, term_text
    from kg.store import open_store

    if format not in {"table", *RESULT_FORMATS}:
        raise BoussoleError(f"--format {format}: choose table, csv, tsv, json or xml")
    text, name = read_query(query_or_file)
    text = _documented_text(query_or_file, param) or text
    results = run(open_store(store, read_only=True), text, name)
    if isinstance(results, ox.QueryTriples):
        sys.stdout.write(results.serialize(format=ox.RdfFormat.TURTLE).decode())
        return
    if format != "table":
        sys.stdout.write(results.serialize(format=RESULT_FORMATS[format]).decode())
        return
    if isinstance(results, ox.QueryBoolean):
        out.print("true" if bool(results) else "false")
        return
    variables = [v.value for v in results.variables]
    table = Table(show_lines=False)
    for v in variables:
        table.add_column(v, overflow="fold")
    rows = 0
    for solution in results:
        table.add_row(*(term_text(solution[v]) for v in variables))
        rows += 1
    out.print(table)
    err.print(f"{rows} row(s)")
    for hint in empty_result_hints(text) if rows == 0 else ():
        err.print(f"indice : {hint}", highlight=False, soft_wrap=True)


@app.command()
@friendly
def serve(
    store: Annotated[
        Optional[Path], typer.Option("--store", help=f"On-disk pyoxigraph store (default: {DEFAULT_STORE}).")
    ] = None,
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on (default: 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="TCP port (default: 8000).")] = None,
    timeout: Annotated[
        Optional[float], typer.Option(help="Seconds after which a query is stopped (503) (default: 30).")
    ] = None,
    workers: Annotated[
        Optional[int], typer.Option(help="Query worker processes (default: CPU count, at most 4).")
    ] = None,
    remote: Annotated[
        Optional[str],
        typer.Option(help="Serve a remote SPARQL 1.1 store (base URL, e.g. an Oxigraph server) instead of --store."),
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option(help="TOML settings file (write token, CORS, federation allow-list, result cap, base IRI)."),
    ] = None,
    max_result_bytes: Annotated[
        Optional[int], typer.Option(help="Cap of anonymous query results in bytes (0 = none).")
    ] = None,
    federation_allow: Annotated[
        Optional[list[str]], typer.Option(help="A SERVICE/LOAD target allowed (repeatable).")
    ] = None,
    public_url: Annotated[Optional[str], typer.Option(help="Public root URL when behind a proxy.")] = None,
    review_threshold: Annotated[
        Optional[float],
        typer.Option(help="Review queue: model confidence below which a proposal waits for a person (default: 0.5)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the store over HTTP: SPARQL 1.1 endpoint, linked data, pages. Read-only unless a write token is set.

    Settings: defaults < the TOML file (--config or BOUSSOLE_CONFIG) < the environment < these options."""
    from api.server import serve as run_server
    from api.settings import Settings

    settings = Settings.load(
        config,
        need_store=False,
        store_path=store,
        host=host,
        port=port,
        timeout=timeout,
        workers=workers,
        remote=remote,
        max_result_bytes=max_result_bytes,
        federation_allow_list=federation_allow,
        public_url=public_url,
        review_threshold=review_threshold,
    )
    if not settings.is_remote and settings.store_path is None:
        settings = settings.with_(store_path=DEFAULT_STORE)
    run_server(settings, log_level=log_level)


@app.command()
@friendly
def ingest(
    inputs: Annotated[
        list[str], typer.Argument(metavar="INPUT…", help="SCDL CSV files, .txt/.pdf/.docx files or folders.")
    ],
    store: StoreOption = DEFAULT_STORE,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    rejects: Annotated[
        Optional[Path],
        typer.Option(
            "--rejects",
            help="CSV of the rejected inputs (fichier, ligne, raison); "
            "default: rejets/ingest-<UTC time>.csv next to the store.",
        ),
    ] = None,
) -> None:
    """Ingest deliberations: read, extract entities, link them to the graph, tag them; re-running changes nothing.

    While `boussole serve` serves the store, the files go through the server's single writer (BOUSSOLE_WRITE_TOKEN)."""
    from boussole.through_server import ingest_command as through
    from boussole.through_server import server_for
    from ingest.cli import ingest_command

    server = server_for(store)
    if server:
        raise typer.Exit(through(server, inputs, quiet))
    raise typer.Exit(ingest_command(inputs, store, quiet=quiet, rejects=rejects))


@app.command()
def tag(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT…", help="SCDL CSV files, documents or folders.")],
    format: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
    store: Annotated[
        Optional[Path],
        typer.Option(
            "--store", help="Read the référentiel from this store (default: var/store if built, else kg/data)."
        ),
    ] = None,
) -> None:
    """Print the proposed engagements and champs of each deliberation (id,engagements,champs,score,evidence);
    writes nothing."""
    from ingest.cli import tag_command

    if store is None and (DEFAULT_STORE / "CURRENT").exists():
        store = DEFAULT_STORE
    raise typer.Exit(tag_command(inputs, format, store))


@app.command("eval-tagging")
def eval_tagging(
    labelled: Annotated[
        Path,
        typer.Argument(
            metavar="LABELLED.csv",
            help="CSV with id,objet,engagements,champs (or a corpus labels.csv beside its items.csv).",
        ),
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    split: Annotated[
        Optional[str], typer.Option("--split", help="Only the rows of this split (corpus: dev or blind).")
    ] = None,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Evaluate the rules without the learned model.")
    ] = False,
) -> None:
    """Strict and lenient accuracy of the primary engagement and champ, precision of none, by source; P/R/F1 per
    engagement, confusion matrix; with the keyword baseline."""
    from ingest.cli import eval_command

    raise typer.Exit(eval_command(labelled, format, split=split, rules_only=rules_only))


@app.callback()
def configure() -> None:
    """Boussole: knowledge graph and SPARQL service of the Projet de Territoire 2024-2044."""
    import ingest
    from api.settings import Settings
    from kg import iris

    try:
        settings = Settings.load(need_store=False)
        iris.configure(settings.base_iri)
        ingest.configure_model(settings.model_path)
    except BoussoleError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _mount_subcommands() -> None:
    from ingest.train_cli import app as train_app
    from queries.cli import app as coherence_app

    app.add_typer(coherence_app, name="coherence")
    app.add_typer(train_app, name="train")
    from barometre.cli import register as register_barometre
    from boussole.review_cli import app as review_app

    app.add_typer(review_app, name="review")

    register_barometre(app)


_mount_subcommands()


def main() -> None:  # pragma: no cover - console entry point
    app()
