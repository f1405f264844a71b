"""Functions the `boussole` CLI calls (ingest, tag, review, eval-tagging). Each takes explicit arguments, prints
with rich and returns an exit code (0 ok, 1 some input skipped / nothing to do, 2 usage or store error)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.evidence import Label, describe
from kg.errors import BoussoleError
from kg.spreadsheet import neutralise
from kg.store import DEFAULT_STORE, open_store

if TYPE_CHECKING:
    from ingest.tagger import TagResult

console = Console()
err = Console(stderr=True)


def ingest_command(inputs: list[str], store_path: str | Path = DEFAULT_STORE, quiet: bool = False,
                   rejects: str | Path | None = None) -> int:
    """`boussole ingest [--store PATH] [--rejects FILE] INPUT…`: 0 all read, 1 some input rejected (listed in the
    rejects CSV), 2 usage or store error, or a run interrupted (what was written before is reported)."""
    from ingest.pipeline import Ingester, IngestInterrupted, Summary
    from ingest.readers import count_inputs, iter_inputs
    from ingest.rejects import default_rejects_path, write_rejects

    if not inputs:
        err.print("[red]boussole ingest : donnez au moins un fichier ou dossier[/red]")
        return 2
    try:
        store = open_store(store_path)
    except BoussoleError as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    rejects_path = Path(rejects) if rejects else default_rejects_path(store_path)
    total = count_inputs(inputs)
    ing = Ingester(store)
    interrupted: IngestInterrupted | None = None
    disk_error: OSError | None = None
    summary: Summary | None = None
    done = [0]

    def progress(n: int, where) -> None:
        done[0] = n
        bar.update(task, completed=n, description=str(where)[-50:])

    with Progress(TextColumn("[bold]Ingestion"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, disable=quiet) as bar:
        task = bar.add_task("", total=total or None)
        try:
            summary = ing.ingest(iter_inputs(inputs), progress=progress)
        except IngestInterrupted as exc:
            interrupted, summary = exc, exc.summary
            if isinstance(exc.cause, OSError):
                disk_error = exc.cause
        except OSError as exc:  # the disk (full, gone): say so in French, with what was done, no traceback
            disk_error = exc
    if summary is not None:
        try:
            store.flush()
        except OSError as exc:
            disk_error = exc
    if disk_error is not None:
        err.print(f"[red]Écriture impossible dans {store_path} : {_disk_reason(disk_error)}.[/red]")
        if summary is None:
            err.print(f"L'ingestion s'est arrêtée après {done[0]} entrée(s) sur {total}.")
        err.print("Libérez de la place puis relancez la même commande : une ingestion relancée ne duplique rien "
                  "et complète ce qui manque.")
        if summary is None:
            return 2
    t = Table(title="Résumé de l'ingestion")
    for c in ("lues", "enregistrées", "mises à jour", "nouvelles versions", "inchangées", "rejetées", "anomalies"):
        t.add_column(c, justify="right")
    t.add_row(str(summary.read), str(summary.stored), str(summary.updated), str(summary.versioned),
              str(summary.unchanged), str(len(summary.skipped)), str(summary.findings))
    console.print(t)
    for where, reason in summary.skipped:
        console.print(f"[yellow]rejetée[/yellow] {where} : {reason}")
    for where, iri, what in summary.conflicts:
        console.print(f"[cyan]nouvelle version[/cyan] {where} → {iri} : {what}")
    if summary.findings:
        console.print(f"{summary.findings} anomalie(s) de données enregistrées sur les délibérations gardées : "
                      "question de cohérence « anomalies-donnees »")
    try:
        write_rejects(rejects_path, summary.skipped)
        console.print(f"rejets : {rejects_path}")
    except OSError as exc:
        err.print(f"[red]{rejects_path} : impossible d'écrire les rejets ({exc})[/red]")
    if interrupted is not None:
        err.print(f"[red]{interrupted}[/red]")
        return 2
    if disk_error is not None:
        return 2
    return 1 if summary.skipped else 0


def _disk_reason(exc: OSError) -> str:
    text = str(exc)
    if "No space left" in text or getattr(exc, "errno", None) == 28:
        return "le disque est plein"
    if "Read-only" in text or "Permission denied" in text:
        return "le dossier du magasin n'est pas accessible en écriture"
    return f"erreur du disque ({text.splitlines()[0][:200]})"


def tag_evidence(result: TagResult, label: Label) -> str:
    """The evidence column of `boussole tag`: the reason and evidence of « none », else each champ's evidence."""
    if result.aucun:
        return f"{result.aucun.justification} {describe(result.aucun.cues, label)}"
    return " | ".join(f"{t.target}: {describe(t.cues, label)}" for t in result.champs)


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

    def failed(rec, reason: str) -> None:
        skipped.append((rec.source or rec.display_id(), reason))

    rows = []
    for rec, _, result in ing.analyse(recs(), on_error=failed):
        rows.append({"id": rec.display_id(), "engagements": ";".join(result.engagement_numbers) or "none",
                     "champs": ";".join(result.champ_keys), "score": f"{result.score:.3f}",
                     "evidence": tag_evidence(result, ing.rules.label)})
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=["id", "engagements", "champs", "score", "evidence"], lineterminator="\n")
        w.writeheader()
        w.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)  # opened in spreadsheets
        sys.stdout.write(buf.getvalue())
    for where, reason in skipped:
        err.print(f"[yellow]ignorée[/yellow] {where} : {reason}")
    return 1 if skipped else 0


def eval_command(labelled: str | Path, fmt: str = "table", split: str | None = None, rules_only: bool = False) -> int:
    """`boussole eval-tagging LABELLED.csv [--split dev|blind] [--rules-only]`"""
    from ingest.evaluate import evaluate, print_report
    from ingest.pipeline import Ingester, reference_store

    path = Path(labelled)
    if not path.exists():
        err.print(f"[red]{path} : fichier introuvable[/red]")
        return 2
    try:
        report = evaluate(path, split=split, ingester=Ingester(reference_store(), learned=not rules_only))
    except (KeyError, ValueError, OSError) as exc:
        err.print(f"[red]{path} : CSV étiqueté invalide ({exc}) ; colonnes id,objet,engagements,champs,rationale "
                  "(ou labels.csv du corpus à côté de son items.csv)[/red]")
        return 2
    if not report["method"]["n"]:
        err.print(f"[red]{path} : aucune ligne étiquetée{f' dans la partie « {split} »' if split else ''}[/red]")
        return 2
    if fmt == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report, console)
    return 0
