"""`boussole train`: retrain the learned tagger on the committed labelled data and the staff's decisions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from kg.errors import BoussoleError

app = typer.Typer(help="Retrain the learned tagger (committed labelled data + the staff's decisions in the store).")
err = Console(stderr=True)
out = Console()


@app.callback(invoke_without_command=True)
def train(store: Annotated[Optional[Path], typer.Option(
              "--store", help="Store whose human decisions (accept, correct) are training data; "
                              "none: the committed data only.")] = None,
          model: Annotated[Optional[Path], typer.Option(
              "--model", help="Model file written (default: the model_path setting, "
                              "var/model/boussole-tagger.joblib).")] = None,
          staff_weight: Annotated[float, typer.Option(
              "--staff-weight", min=0.0, help="Weight of one staff decision against one corpus item.")] = 3.0) -> None:
    """Train the model, write it atomically and print what it learnt from."""
    from ingest import model_path
    from ingest.training import train as run_train
    from kg.store import open_store

    st = None
    if store is not None:
        if not (store / "CURRENT").exists():
            err.print(f"[red]{store} : aucun store ici (lancez « boussole build » d'abord)[/red]")
            raise typer.Exit(2)
        try:
            st = open_store(store, read_only=True)
        except BoussoleError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
    path = model or model_path()
    with err.status("apprentissage…") as status:
        m = run_train(st, path, staff_weight=staff_weight, progress=lambda s: status.update(f"apprentissage : {s}"),
                      threads=os.cpu_count() or 1)  # a command of its own: every core
    t = m.trained_on
    out.print(f"modèle [bold]boussole-tagger {m.version}[/bold] écrit dans {path} : {t['examples']} exemples "
              f"dont {t['staff_decisions']} décisions du personnel (poids {t['staff_weight']}), "
              f"température de calibration {m.temperature:.2f}")
    for src, n in sorted(t["by_source"].items()):
        out.print(f"  {src} : {n}")
