"""Fixtures of the ingester tests: the real spaCy model (loaded once per session) and a real pyoxigraph store holding
the ontology and kg/data (the référentiel, territory, contracts: whatever is present), parsed like the build does."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from ingest.pipeline import Ingester, reference_store

DATA = Path(__file__).resolve().parents[1] / "data" / "deliberations"


@pytest.fixture(scope="session")
def reference_quads() -> list[ox.Quad]:
    return list(reference_store().quads_for_pattern(None, None, None, None))


@pytest.fixture()
def store(reference_quads) -> ox.Store:
    s = ox.Store()
    s.extend(reference_quads)
    return s


@pytest.fixture(scope="session")
def session_ingester(reference_quads) -> Ingester:
    s = ox.Store()
    s.extend(reference_quads)
    return Ingester(s)


@pytest.fixture()
def ingester(store, session_ingester) -> Ingester:
    """An ingester on a fresh store, reusing the session's vocabulary, tagger and model."""
    ing = Ingester.__new__(Ingester)
    ing.__dict__.update(session_ingester.__dict__)
    ing.store = store
    ing._pending, ing._failed, ing._conflicts, ing._pending_numbers = [], [], [], {}
    return ing


@pytest.fixture()
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def raw_model():
    """The bare statistical model (all components), to show what the pipeline fixes."""
    import spacy

    return spacy.load("fr_core_news_md")
