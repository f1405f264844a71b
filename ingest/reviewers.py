"""Reviewers under stable pseudonyms: the store never holds a reviewer's name.

A human decision is attributed to ``id:relecteur/<pseudonym>`` (a ``prov:Person`` labelled « Relecteur
<pseudonym> »). The pseudonym is an HMAC of the name's slug with a random key, so the same person always gets
the same pseudonym (inter-reviewer analyses work on the store as it is) and it cannot be recomputed from a guessed
name without the key. The key and the pseudonym → name table (the *directory*) live beside the store in a small
SQLite file (``<store>.relecteurs.sqlite``, mode 600) that only the service and the commands that write the store
read; the writer records the name there in the same operation as the decision, before the decision is written
(a pseudonym in the store always has its name). Whatever reads the store (SPARQL, Graph Store, dumps, linked
data, a remote store's own endpoint) therefore reads pseudonyms, by construction; the decision log gives names to
token holders and to the logged-in staff (:func:`with_names`).

Stores written before hold ``id:personne/<slug>`` with the name in ``skos:prefLabel`` / ``foaf:name``:
:func:`ingest.review.pseudonymise` rewrites them once, in one transaction (the service does it at start).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.records import slug
from kg.iris import base_iri

PATH = "relecteur/"
LABEL = "Relecteur "


def directory_beside(store: Path) -> Path:
    """The directory file of the on-disk store ``store``."""
    store = Path(store).resolve()
    return store.parent / f"{store.name}.relecteurs.sqlite"


def directory_of(store: Path, path: Path | None = None) -> Reviewers:
    """The directory of the on-disk store ``store`` (at ``path``, else beside the store); its key is the one of
    the former public dumps' pseudonyms (``<store>.pseudonymes.key``) when there is one."""
    store = Path(store).resolve()
    return Reviewers(path or directory_beside(store), legacy_key=store.parent / f"{store.name}.pseudonymes.key")


class Reviewers:
    """The key and the pseudonym → name table; ``path`` None keeps them in memory (in-memory stores, tests)."""

    def __init__(self, path: Path | None = None, legacy_key: Path | None = None):
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # names: the owner only
            except FileExistsError:
                pass
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, timeout=30,
                                   isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
            self._db.execute("CREATE TABLE IF NOT EXISTS cle (cle BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS relecteurs (pseudonyme TEXT PRIMARY KEY, nom TEXT NOT NULL)")
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT cle FROM cle").fetchone()
            if row is None:
                row = (_legacy(legacy_key) or secrets.token_bytes(32),)
                self._db.execute("INSERT INTO cle VALUES (?)", row)
            self._db.execute("COMMIT")
        self.key: bytes = row[0]

    def remember(self, name: str) -> tuple[str, str]:
        """Record ``name`` and return the path and label of its reviewer node (« relecteur/3f9a0c51d2 »,
        « Relecteur 3f9a0c51d2 »)."""
        return self.keep(slug(name.strip()) or "anonyme", name)

    def keep(self, name_slug: str, name: str) -> tuple[str, str]:
        """Record ``name`` under the pseudonym of ``name_slug``; the path and label of its reviewer node."""
        p = pseudonym_of_slug(self.key, name_slug)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO relecteurs VALUES (?, ?)", (p, " ".join(name.split())))
        return PATH + p, LABEL + p

    def name_of(self, iri: str) -> str | None:
        """The name behind a reviewer's IRI (None for another IRI, or a pseudonym the directory does not know)."""
        prefix = base_iri() + PATH
        if not iri.startswith(prefix):
            return None
        with self._lock:
            row = self._db.execute("SELECT nom FROM relecteurs WHERE pseudonyme = ?", (iri[len(prefix):],)).fetchone()
        return row[0] if row else None


def _legacy(path: Path | None) -> bytes | None:
    """The key of the pseudonyms of former public dumps (``<store>.pseudonymes.key``), kept so that they stay."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip()) if path else None
    except (OSError, ValueError):
        return None


def pseudonym_of_slug(key: bytes, name_slug: str) -> str:
    return hmac.new(key, name_slug.encode(), hashlib.sha256).hexdigest()[:10]


def with_names(rows: Iterable[dict[str, Any]], reviewers: Reviewers) -> list[dict[str, Any]]:
    """Decision log rows (:func:`ingest.review.decision_log`) with the reviewers' names in ``auteur``."""
    return [dict(r, auteur=reviewers.name_of(r["relecteur"]) or r["auteur"]) for r in rows]
