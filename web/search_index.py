"""Full-text search over the graph: an SQLite FTS5 index (standard library) of every resource that has a page.

Two columns: ``libelle`` (label, other labels, number, deliberation number) and ``texte`` (full texts of the
deliberations, definitions, descriptions). Words are whole words, accents and case ignored (``unicode61
remove_diacritics 2``), so « vélo » finds « vélo » and « velo », never « développement ». Hits on the label come
first, then hits in the texts, each ranked by BM25.

The index lives in memory and is kept in step with the store by a generation number: the service bumps it after
every write (SPARQL update, ingest, review decision), and the next search rebuilds the index from the graph.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass

import pyoxigraph as ox

from web.graph import Graph, path_of, select
from web.labels import href_of, labels

PER_PAGE = 20
MAX_QUERY_WORDS = 12
HIDDEN_PREFIXES = ("graph/", "source/")
MARK_OPEN, MARK_CLOSE = "\u0002", "\u0003"


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: how the index sees a word."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def fts_query(q: str, prefix: bool = False) -> str | None:
    """The FTS5 query for what a person typed: each word (``2024-150`` included) as a quoted phrase, all required.

    Nothing typed is passed to FTS5 as syntax: words are folded to ``[a-z0-9]`` and quoted.
    """
    phrases = [fold(w) for w in q.split()[:MAX_QUERY_WORDS]]
    phrases = [p for p in phrases if p]
    if not phrases:
        return None
    parts = [f'"{p}"' for p in phrases]
    if prefix:
        parts[-1] += " *"
    return " ".join(parts)


@dataclass
class Hit:
    iri: str
    href: str
    text: str
    numero: str | None
    types: list[str]
    extrait: list[tuple[str, bool]]
    sur_libelle: bool


@dataclass
class Results:
    q: str
    hits: list[Hit]
    total: int
    page: int
    pages: int
    prefix: bool = False


class SearchIndex:
    """One in-memory FTS5 index, rebuilt from the graph when the store's generation changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._generation: object = None
        self.documents = 0

    def ensure(self, generation: object, source: ox.Store | Graph) -> None:
        with self._lock:
            if self._db is not None and generation == self._generation:
                return
            self._db = build(source)
            self._generation = generation
            self.documents = self._db.execute("SELECT COUNT(*) FROM doc").fetchone()[0]

    def search(self, q: str, page: int = 1, per_page: int = PER_PAGE) -> Results:
        page = max(1, page)
        with self._lock:
            db = self._db
            assert db is not None, "ensure() first"
            found = _ranked(db, fts_query(q))
            prefix = False
            if not found and (pq := fts_query(q, prefix=True)):
                found, prefix = _ranked(db, pq), True
            total = len(found)
            shown = found[(page - 1) * per_page: page * per_page]
            hits = [_hit(db, rowid, on_label, query) for rowid, on_label, query in shown]
        return Results(q, hits, total, page, max(1, -(-total // per_page)), prefix)


def _ranked(db: sqlite3.Connection, query: str | None) -> list[tuple[int, bool, str]]:
    """(rowid, matched on the label, query) of every hit: label hits first, then text hits, by BM25."""
    if not query:
        return []
    on_label = {r[0] for r in db.execute("SELECT rowid FROM idx WHERE idx MATCH ?", (f"libelle : ({query})",))}
    rows = db.execute("SELECT rowid, bm25(idx, 10.0, 1.0) FROM idx WHERE idx MATCH ?", (query,)).fetchall()
    rows.sort(key=lambda r: (r[0] not in on_label, r[1], r[0]))
    return [(rowid, rowid in on_label, query) for rowid, _ in rows]


def _hit(db: sqlite3.Connection, rowid: int, on_label: bool, query: str) -> Hit:
    iri, href, text, numero, types = db.execute(
        "SELECT iri, href, text, numero, types FROM doc WHERE rowid = ?", (rowid,)).fetchone()
    extrait: list[tuple[str, bool]] = []
    if not on_label:
        row = db.execute(f"SELECT snippet(idx, 1, '{MARK_OPEN}', '{MARK_CLOSE}', '…', 14) FROM idx "
                         "WHERE idx MATCH ? AND rowid = ?", (query, rowid)).fetchone()
        if row and row[0]:
            for k, piece in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", row[0])):
                if piece:
                    extrait.append((piece, k % 2 == 1))
    return Hit(iri, href, text, numero, types.split() if types else [], extrait, on_label)


def build(source: ox.Store | Graph) -> sqlite3.Connection:
    """A fresh index of the resources of the graph that have a page."""
    idx = labels(source)
    texts: dict[str, list[str]] = {}
    numbers: dict[str, str] = {}
    for row in select(source, "search_texts"):
        s = row["s"].value
        if row["texte"] is not None:
            texts.setdefault(s, []).append(row["texte"].value)
        if row["numero"] is not None:
            numbers[s] = row["numero"].value
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.execute("CREATE TABLE doc (rowid INTEGER PRIMARY KEY, iri TEXT, href TEXT, text TEXT, numero TEXT, types TEXT)")
    db.execute("CREATE VIRTUAL TABLE idx USING fts5(libelle, texte, tokenize='unicode61 remove_diacritics 2')")
    docs, rows = [], []
    for iri in sorted(set(idx.label) | set(texts)):
        path = path_of(iri)
        href = href_of(iri)
        if not path or not href or path.startswith(HIDDEN_PREFIXES) or "/mention/" in path:
            continue
        label = idx.of(iri)
        numero = numbers.get(iri) or idx.numero.get(iri)
        libelle = " ".join([label, *sorted(idx.alt.get(iri, ())), numero or "", idx.numero.get(iri) or ""])
        rowid = len(docs) + 1
        docs.append((rowid, iri, href, label, numero, " ".join(sorted(idx.types.get(iri, ())))))
        rows.append((rowid, libelle, "\n".join(texts.get(iri, ()))))
    db.executemany("INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?)", docs)
    db.executemany("INSERT INTO idx (rowid, libelle, texte) VALUES (?, ?, ?)", rows)
    db.commit()
    return db
