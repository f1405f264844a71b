"""Writing imported resources into their named graph: unchanged resources are left alone, a changed one keeps its
former state as a version (``prov:wasRevisionOf``), and all changes of an import go in one SPARQL update, so a
failed write leaves the store as it was."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BoussoleError
from kg.iris import BSL, PROV, RDF, XSD, minted
from kg.querying import data_block

_DATETIME = ox.NamedNode(XSD + "dateTime")
REVISION_OF = ox.NamedNode(PROV + "wasRevisionOf")
VERSION_CLASS = ox.NamedNode(BSL + "VersionObservation")


def now_literal() -> ox.Literal:
    return ox.Literal(datetime.now(timezone.utc).replace(microsecond=0).isoformat(), datatype=_DATETIME)


@dataclass
class Changes:
    """Quads to add and remove, applied together by :func:`apply`."""

    add: list[ox.Quad] = field(default_factory=list)
    remove: list[ox.Quad] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


@dataclass
class Report:
    """What an import did: counts per outcome, rejected lines and warnings (each « fichier:ligne : raison »)."""

    read: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"ajoutée": 0, "inchangée": 0, "corrigée": 0})
    rejected: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_activity(path: Path) -> ox.NamedNode:
    """``<ingestion/<sha256 of the file, hex16>>``: the same file is the same import."""
    fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "absent"
    return minted(f"ingestion/{fingerprint}")


def record_activity(changes: Changes, activity: ox.NamedNode, path: Path, stamp: ox.Literal,
                    graph: ox.NamedNode) -> None:
    """Describe the import (a bsl:ImportDonnees: file name, time) when it changed something."""
    if changes:
        changes.add += [ox.Quad(activity, ox.NamedNode(RDF + "type"), ox.NamedNode(BSL + "ImportDonnees"), graph),
                        ox.Quad(activity, ox.NamedNode(BSL + "nomFichier"), ox.Literal(path.name), graph),
                        ox.Quad(activity, ox.NamedNode(PROV + "startedAtTime"), stamp, graph)]


def current_state(store: ox.Store, subject: ox.NamedNode, graph: ox.NamedNode) -> list[ox.Quad]:
    return list(store.quads_for_pattern(subject, None, None, graph))


def revise(store: ox.Store, subject: ox.NamedNode, graph: ox.NamedNode, new_state: list[ox.Quad],
           compared: Iterable[ox.NamedNode], changes: Changes, stamp: ox.Literal) -> str:
    """Put ``new_state`` (the quads of ``subject``) in the store: « ajoutée », « inchangée » or « corrigée ».

    Only the ``compared`` predicates decide whether the resource changed (the import that generated it or the time
    do not). A correction moves the former quads to ``<subject>/version/<n>`` (a bsl:VersionObservation with
    prov:invalidatedAtTime) and the new state cites it with prov:wasRevisionOf.
    """
    old = current_state(store, subject, graph)
    if not old:
        changes.add.extend(new_state)
        return "ajoutée"
    compared = set(compared)

    def key(quads: Iterable[ox.Quad]) -> set:
        return {(q.predicate, _canonical(q.object)) for q in quads if q.predicate in compared}

    if key(old) == key(new_state):
        return "inchangée"
    versions = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), VERSION_CLASS, graph)
                if q.subject.value.startswith(subject.value + "/version/")}
    version = ox.NamedNode(f"{subject.value}/version/{len(versions) + 1}")
    changes.remove.extend(old)
    changes.add.extend(ox.Quad(version, q.predicate, q.object, graph) for q in old
                       if q.predicate != ox.NamedNode(RDF + "type"))
    changes.add += [ox.Quad(version, ox.NamedNode(RDF + "type"), VERSION_CLASS, graph),
                    ox.Quad(version, ox.NamedNode(PROV + "invalidatedAtTime"), stamp, graph)]
    changes.add.extend(q for q in new_state if q.predicate != REVISION_OF)
    changes.add.append(ox.Quad(subject, REVISION_OF, version, graph))
    return "corrigée"


def _canonical(term: ox.NamedNode | ox.Literal | ox.BlankNode):
    """Numbers compare by value (« 42 » = « 42.0 »), everything else by term."""
    if isinstance(term, ox.Literal) and term.datatype.value in (XSD + "decimal", XSD + "integer", XSD + "double"):
        from decimal import Decimal

        return ("n", Decimal(term.value))
    return term


def apply(store: ox.Store, changes: Changes, where: str) -> None:
    """Write all changes in one transaction: either every change is written or none.

    Additions alone (a first import) go through ``Store.extend`` (one transaction); with removals (corrections),
    one SPARQL update removes then adds, its terms written in their N-Triples form by pyoxigraph itself (escaped),
    never by pasting raw input."""
    if not changes:
        return
    try:
        if changes.remove:
            store.update(f"DELETE DATA {{ {data_block(changes.remove)} }} ;\n"
                         f"INSERT DATA {{ {data_block(changes.add)} }}")
        else:
            store.extend(changes.add)
        store.flush()
    except (OSError, SyntaxError, RuntimeError) as exc:
        raise BoussoleError(f"{where}: écriture impossible, rien n'a été modifié : {exc}") from exc
