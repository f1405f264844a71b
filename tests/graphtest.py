"""Helpers for tests that query a store."""

from __future__ import annotations

import pyoxigraph as ox


def select(store: ox.Store, query: str, **bindings: ox.NamedNode | ox.Literal) -> list[dict[str, str]]:
    """Run a SELECT over the union graph and return rows of plain values."""
    from kg.querying import run

    results = run(store, query, "test", {ox.Variable(k): v for k, v in bindings.items()} or None)
    names = [v.value for v in results.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in results]
