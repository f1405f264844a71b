"""The ``boussole indicateurs`` and ``boussole budget`` commands (mounted by :func:`register`)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kg.errors import BoussoleError
from kg.store import DEFAULT_STORE, open_store

out = Console()
err = Console(stderr=True)
StoreOption = Annotated[Path, typer.Option("--store", help="On-disk pyoxigraph store.")]

indicateurs_app = typer.Typer(help="Indicateurs du baromètre : lister, définir, importer des valeurs.",
                              no_args_is_help=True)
budget_app = typer.Typer(help="Budget par fonction M57 : importer (les montants par engagement sont des questions "
                         "de cohérence).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Mount both sub-apps on the ``boussole`` command."""
    app.add_typer(indicateurs_app, name="indicateurs")
    app.add_typer(budget_app, name="budget")


def _fail(exc: BoussoleError) -> typer.Exit:
    err.print(f"[bold red]erreur :[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _print_report(report, title: str) -> int:
    table = Table(title=title)
    table.add_column("lignes lues", justify="right")
    for name in report.outcomes:
        table.add_column(name + "s", justify="right")
    table.add_column("rejetées", justify="right")
    table.add_row(str(report.read), *(str(n) for n in report.outcomes.values()), str(len(report.rejected)))
    out.print(table)
    for line in report.warnings:
        err.print(f"[yellow]avertissement[/yellow] {line}", highlight=False, soft_wrap=True)
    for line in report.rejected:
        err.print(f"[red]rejetée[/red] {line}", highlight=False, soft_wrap=True)
    return 1 if report.rejected else 0


@indicateurs_app.command("list")
def list_indicators(store: StoreOption = DEFAULT_STORE,
                    format: Annotated[str, typer.Option("--format", "-f", help="table or csv.")] = "table") -> None:
    """Les indicateurs définis : identifiant (colonne `indicateur` de l'import), libellé, type, unité, ce qu'ils
        mesurent."""
    import pyoxigraph as ox

    from barometre.referentiel import indicators
    from kg.querying import term_text

    if format not in ("table", "csv"):
        raise _fail(BoussoleError(f"--format {format} : table ou csv"))
    try:
        found = indicators(open_store(store, read_only=True))
    except BoussoleError as exc:
        raise _fail(exc) from None
    rows = [(i.id, i.label, i.kind, i.unit, i.direction, " ".join(term_text(ox.NamedNode(m)) for m in i.measures))
            for i in found.values()]
    header = ("indicateur", "libelle", "type", "unite", "sens", "mesure")
    if format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return
    table = Table(title=f"{len(rows)} indicateurs")
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@indicateurs_app.command("import")
def import_values(file: Annotated[Path, typer.Argument(metavar="FILE.csv",
                                                       help="indicateur,territoire,periode,valeur,unite,source")],
                  store: StoreOption = DEFAULT_STORE) -> None:
    """Importer des valeurs (qb:Observation du jeu « baromètre ») ; ré-importer ne change rien, une valeur corrigée
    garde l'ancienne comme version. Code de sortie 1 si des lignes sont rejetées (elles sont listées)."""
    from barometre.observations import import_file

    try:
        report = import_file(open_store(store), file)
    except BoussoleError as exc:
        raise _fail(exc) from None
    raise typer.Exit(_print_report(report, f"Import des valeurs de {file.name}"))


@indicateurs_app.command("definir")
def define_indicators(file: Annotated[Path, typer.Argument(metavar="FILE.yaml|FILE.ttl",
                                                           help="Indicateurs, cibles, Feuilles de Route.")],
                      store: StoreOption = DEFAULT_STORE) -> None:
    """Définir des indicateurs, des valeurs cibles et des Feuilles de Route (YAML ou Turtle), validés par SHACL avant
        écriture."""
    from barometre.definitions import define

    try:
        counts = define(open_store(store), file)
    except BoussoleError as exc:
        raise _fail(exc) from None
    out.print(", ".join(f"{n} ressource(s) {k}" for k, n in counts.items()))


@budget_app.command("import")
def import_budget(file: Annotated[Path, typer.Argument(metavar="FILE.csv",
                                                       help="exercice,fonction,nature,libelle,montant,type")],
                  store: StoreOption = DEFAULT_STORE) -> None:
    """Importer le budget par code fonctionnel M57 (type prévu ou réalisé) ; code de sortie 1 si des lignes sont
        rejetées."""
    from barometre.budget import import_file

    try:
        report = import_file(open_store(store), file)
    except BoussoleError as exc:
        raise _fail(exc) from None
    raise typer.Exit(_print_report(report, f"Import du budget {file.name}"))
