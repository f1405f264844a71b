"""The `boussole` command as a user runs it: real process, real store, one-line errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOUSSOLE = [sys.executable, "-c", "from boussole.cli import app; app()"]


def boussole(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*BOUSSOLE, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_query_a_documented_file_binds_its_default_parameters(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "--format", "csv", "queries/engagement-champs-projets.rq")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["engagement"].rsplit("/", 1)[-1] for r in rows} == {"2"}
    assert sum(r["type"] == "champ d'intervention" for r in rows) == 7
    assert all(r["sources"] for r in rows)  # every row says where the document writes it


def test_query_with_a_parameter_and_a_bad_one(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "-f", "csv", "-p", "engagement=engagement/3",
                    "queries/engagement-champs-projets.rq")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["engagement"].rsplit("/", 1)[-1] for r in rows} == {"3"}
    bad = boussole("query", "--store", str(store_path), "-p", "engagement=../x", "queries/engagement-champs-projets.rq")
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error: question engagement-champs-projets: parameter engagement")
    assert "Traceback" not in bad.stderr


def test_invalid_sparql_is_one_line_naming_the_query(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "SELECT ?x WHERE { ?x a }")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "query: SPARQL invalide, ligne 1, colonne" in done.stderr


def test_missing_store_tells_to_build(tmp_path: Path) -> None:
    done = boussole("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert done.returncode == 1 and "run `boussole build" in done.stderr
