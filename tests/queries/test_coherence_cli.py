"""``boussole coherence list|run`` through the Typer sub-application the main CLI mounts (queries.cli.app)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from queries import catalogue
from queries.cli import app

runner = CliRunner()


def test_list_shows_every_question() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for q in catalogue.load():
        assert q.id in result.output
    assert "champs-sans-contrat" in result.output and "fondement=tous" in result.output


def test_run_prints_a_table(store_path: Path) -> None:
    result = runner.invoke(app, ["run", "engagement-champs-projets", "--param", "engagement=engagement/2",
                                 "--store", str(store_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "champ:2-1" in result.output and "engagement=engagement/2" in result.output


def test_run_csv_and_json(store_path: Path) -> None:
    result = runner.invoke(app, ["run", "periodes-contrats", "--format", "csv", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and list(rows[0]) == catalogue.get("periodes-contrats").column_names
    result = runner.invoke(app, ["run", "constats", "-p", "type=numerotation", "-f", "json", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["head"]["vars"] == catalogue.get("constats").column_names
    assert all(b["type"]["value"] == "numerotation" for b in data["results"]["bindings"])


def test_errors_are_one_line_and_exit_1(store_path: Path) -> None:
    for args, message in [
        (["run", "pas-une-question"], "unknown question 'pas-une-question'"),
        (["run", "constats", "--param", "type=rien", "--store", str(store_path)], "is not one of tous"),
        (["run", "constats", "--param", "type", "--store", str(store_path)], "write NAME=VALUE"),
        (["run", "constats", "--format", "xml", "--store", str(store_path)], "--format xml: choose table, csv, json"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and "Traceback" not in result.output
