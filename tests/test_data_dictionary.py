"""docs/ontology.md documents every predicate and class of the data: those of the graph `boussole build` makes
(generated, a test keeps the page current) and those the ingest of deliberations and the review add. This test
builds, ingests the sample with the real CLI, corrects one tag as a person, and fails on any undocumented term."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from kg.ontology_doc import DATA_HEADING, DOC_FILE, data_terms

REPO = Path(__file__).resolve().parent.parent
SAMPLE = ["tests/data/deliberations/scdl-sample.csv", "tests/data/deliberations/textes"]


def documented() -> set[str]:
    text = DOC_FILE.read_text(encoding="utf-8")
    section = text[text.index(DATA_HEADING):]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.M))


def boussole(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from boussole.cli import app; app()", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_every_predicate_and_class_of_an_ingested_and_reviewed_store_is_documented(built, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(built[0], store)
    ingested = boussole("ingest", "--store", str(store), *SAMPLE)
    assert ingested.returncode in (0, 1), ingested.stderr
    listed = boussole("review", "list", "--store", str(store), "--format", "json", "--threshold", "1")
    first = re.search(r'"id":\s*"([^"]+)"', listed.stdout) if listed.returncode == 0 else None
    assert first, listed.stderr
    if first:
        boussole("review", "correct", first.group(1), "--engagement", "2", "--champ", "2-4", "--reason", "essai",
                 "--author", "Relecteur Test", "--store", str(store))
    predicates, classes = data_terms(ox.Store.read_only(str(store)))
    assert "eli:title" in predicates and "oa:Annotation" in classes and "prov:Person" in classes
    missing = sorted((set(predicates) | set(classes)) - documented())
    assert not missing, (
        f"undocumented in docs/ontology.md: {missing}: describe them in ontology/boussole.ttl "
        "(bsl:) or kg/dictionary.yaml, list ingest-only ones there, then run python -m kg.ontology_doc"
    )


def test_the_issue_examples_are_documented_with_a_count() -> None:
    text = DOC_FILE.read_text(encoding="utf-8")
    section = text[text.index(DATA_HEADING) :]
    for term in (
        "skos:broader",
        "org:memberOf",
        "skos:notation",
        "prov:wasDerivedFrom",
        "dcterms:title",
        "bsl:libelleNormalise",
    ):
        row = re.search(rf"^\| `{re.escape(term)}` \| ([^|]+) \| (\d+) \|", section, re.M)
        assert row and int(row.group(2)) > 0, term
