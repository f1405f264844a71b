"""Fixture graphs for the coherence questions: a miniature Projet de Territoire, contracts, deliberations and tags
(tests/queries/fixture/base), and a variant where everything is covered (base + fixture/complet)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.derive import derive
from kg.sources import DATA_DIR, ONTOLOGY_FILE, SOURCES_DIR, DataFile, read_quads

FIXTURE = Path(__file__).resolve().parent / "fixture"


def load_fixture(*variants: str) -> ox.Store:
    """The ontology, the real source-document declarations and the fixture files, each in the named graph of its
    folder, plus the triples the build derives (source excerpts, bsl:sert) — the same path as ``boussole build``."""
    store = ox.Store()
    files = [DataFile(ONTOLOGY_FILE, "ontology"), DataFile(DATA_DIR / "sources" / "documents.ttl", "sources")]
    for variant in variants:
        for path in sorted((FIXTURE / variant).rglob("*.ttl")):
            files.append(DataFile(path, path.parent.name))
    for source in files:
        store.extend(read_quads(source))
    store.extend(derive(store, SOURCES_DIR))
    return store


@pytest.fixture(scope="session")
def fixture_store() -> ox.Store:
    return load_fixture("base")


@pytest.fixture(scope="session")
def complete_store() -> ox.Store:
    return load_fixture("base", "complet")
