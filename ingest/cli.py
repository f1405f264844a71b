"""Functions the `boussole` CLI calls (ingest, tag, eval-tagging). Each takes explicit arguments, prints
with rich and returns an exit code (0 ok, 1 some input skipped / nothing to do, 2 usage or store error)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg.errors import BoussoleError
from kg.store import DEFAULT_STORE, open_store

console = Console()
err = Console(stderr=True)


def ingest_command(inputs: list[str], store_path: str | Path = DEFAULT_STORE, quiet: bool = False) -> int:
    """`boussole ingest [--store PATH] INPUT…`"""
    from ingest.pipeline import Ingester
    from ingest.readers import count_inputs, iter_inputs

    if not inputs:
        err.print("[red]boussole ingest : donnez au moins un fichier ou dossier[/red]")
        return 2
    try:
        store = open_store(store_path)
    except BoussoleError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    total = count_inputs(inputs)
    ing = Ingester(store)
    with Progress(TextColumn("[bold]Ingestion"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=quiet) as bar:
        task = bar.add_task("", total=total or None)
        summary = ing.ingest(iter_inputs(inputs), progress=lambda n, where: bar.update(task, completed=n, description=str(where)[-50:]))
    store.flush()
    t = Table(title="Résumé de l'ingestion")
    t.add_column("lues", justify="right"); t.add_column("enregistrées", justify="right")
    t.add_column("mises à jour", justify="right"); t.add_column("inchangées", justify="right"); t.add_column("ignorées", justify="right")
    t.add_row(str(summary.read), str(summary.stored), str(summary.updated), str(summary.unchanged), str(len(summary.skipped)))
    console.print(t)
    for where, reason in summary.skipped:
        console.print(f"[yellow]ignorée[/yellow] {where} : {reason}")
    return 1 if summary.skipped else 0


def tag_command(inputs: list[str] | str, fmt: str = "csv", store_path: str | Path | None = None) -> int:
    """`boussole tag INPUT --format csv|json`: one row per deliberation, nothing written."""
    from ingest.pipeline import Ingester, reference_store
    from ingest.readers import iter_inputs

    if isinstance(inputs, (str, Path)):
        inputs = [str(inputs)]
    if fmt not in ("csv", "json"):
        err.print("[red]--format : csv ou json[/red]")
        return 2
    vstore = None
    if store_path and (Path(store_path) / "CURRENT").exists():
        vstore = open_store(store_path, read_only=True)
    ing = Ingester(vstore if vstore is not None else reference_store())
    skipped = []

    def recs():
        for it in iter_inputs(inputs):
            if it.ok:
                yield it.record
            else:
                skipped.append((it.where, it.reason))

    rows = []
    for rec, _, result in ing.analyse(recs()):
        rows.append({"id": rec.display_id(), "engagements": ";".join(result.engagement_numbers) or "none",
                     "champs": ";".join(result.champ_keys), "score": f"{result.score:.3f}",
                     "evidence": (result.aucun.justification + " " + result.aucun.preuve) if result.aucun else result.evidence})
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["id", "engagements", "champs", "score", "evidence"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    for where, reason in skipped:
        err.print(f"[yellow]ignorée[/yellow] {where} : {reason}")
    return 1 if skipped else 0


def eval_command(labelled: str | Path, fmt: str = "table") -> int:
    """`boussole eval-tagging LABELLED.csv`"""
    from ingest.evaluate import evaluate, print_report

    path = Path(labelled)
    if not path.exists():
        err.print(f"[red]{path} : fichier introuvable[/red]")
        return 2
    try:
        report = evaluate(path)
    except (KeyError, ValueError, OSError) as exc:
        err.print(f"[red]{path} : CSV étiqueté invalide ({exc}) ; colonnes id,objet,engagements,champs,rationale[/red]")
        return 2
    if fmt == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report, console)
    return 0
