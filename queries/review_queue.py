"""The review queue, defined once: the question ``file-de-revue`` (``queries/file-de-revue.rq``).

Pending = a deliberation no person has decided (or whose decision was undone) and whose model proposals in force
have a confidence below the threshold, or no proposal at all. ``boussole review list``, ``GET
/deliberations/a-revoir`` and the page ``/review`` all call :func:`pending`, so they list the same deliberations.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from queries import catalogue

QUESTION = "file-de-revue"


def default_threshold() -> float:
    """The threshold the question declares as its default (the service's ``review_threshold`` overrides it)."""
    return float(next(p.default for p in catalogue.get(QUESTION).params if p.name == "seuil"))


def pending_rows(source: Any, threshold: float | None = None) -> list[dict[str, Any]]:
    """The queue, most doubtful first: ``deliberation`` (IRI), ``titre``, ``date``, ``confiance`` (None: no proposal).

    ``source`` is a pyoxigraph store, or any object whose ``rows(text, name, substitutions)`` answers a SELECT with
    dicts of terms (the pages' port over the embedded or a remote store)."""
    seuil = default_threshold() if threshold is None else threshold
    if not 0 <= seuil <= 1:
        raise catalogue.BadParameter(f"seuil de revue {seuil} : attendu une probabilité entre 0 et 1")
    params = {"seuil": repr(float(seuil))}
    if isinstance(source, ox.Store):
        rows: list = list(catalogue.run(source, QUESTION, params))
    else:
        question = catalogue.get(QUESTION)
        rows = source.rows(question.sparql(params), f"queries/{question.path.name}", None)
    return [{"deliberation": r["deliberation"].value,
             "titre": r["titre"].value if r["titre"] is not None else "",
             "date": r["date"].value if r["date"] is not None else None,
             "confiance": float(r["confiance"].value) if r["confiance"] is not None else None} for r in rows]


def pending(store: ox.Store, threshold: float | None = None) -> list[dict[str, Any]]:
    """The queue with what a reviewer needs beside each deliberation (local id, current tags, reasons to look)."""
    from ingest.review import describe

    seuil = default_threshold() if threshold is None else threshold
    return describe(store, pending_rows(store, seuil), seuil)
