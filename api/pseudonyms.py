"""Reviewers under stable pseudonyms in what anonymous callers download.

A reviewer is ``id:personne/<slug of the name>`` with the name in ``skos:prefLabel`` / ``foaf:name``. In the public
dump (``/dump.nq``, ``/dump.trig``, ``GET /store``) and the public decision log, each becomes
``id:relecteur/<pseudonym>`` labelled « Relecteur <pseudonym> »: the same person always gets the same pseudonym,
and the pseudonym cannot be recomputed from a guessed name without the key. The key is random, kept beside the
store (``<store>.pseudonymes.key``, created on first use); over a remote store it derives from the write token.
Token holders get the names.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from api.settings import Settings
from kg.iris import FOAF, RDFS, SKOS

NAME_PREDICATES = {SKOS + "prefLabel", FOAF + "name", RDFS + "label"}


@lru_cache(maxsize=8)
def _key(store_path: str | None, fallback: str) -> bytes:
    if store_path is None:
        return hashlib.sha256(("boussole-pseudonymes\n" + fallback).encode()).digest()
    store = Path(store_path).resolve()
    path = store.parent / f"{store.name}.pseudonymes.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        key = secrets.token_bytes(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex())
        return key


def key_of(settings: Settings) -> bytes:
    return _key(str(settings.store_path) if settings.store_path and not settings.is_remote else None,
                settings.write_token or settings.base_iri)


def pseudonym_of_slug(key: bytes, slug: str) -> str:
    return hmac.new(key, slug.encode(), hashlib.sha256).hexdigest()[:10]


def pseudonym(settings: Settings, name: str) -> str:
    """« Relecteur 3f9a… » for a reviewer's name (the same for the same name)."""
    from ingest.records import slug

    return f"Relecteur {pseudonym_of_slug(key_of(settings), slug(name) or 'anonyme')}"


class Pseudonymiser:
    """Rewrites the quads that name a reviewer; the others pass unchanged."""

    def __init__(self, settings: Settings):
        self.key = key_of(settings)
        self.people = settings.base_iri + "personne/"
        self.marker = self.people.encode()
        self.target = settings.base_iri + "relecteur/"

    def _term(self, term):
        if isinstance(term, ox.NamedNode) and term.value.startswith(self.people):
            return ox.NamedNode(self.target + pseudonym_of_slug(self.key, term.value[len(self.people):]))
        return term

    def quad(self, q: ox.Quad) -> ox.Quad:
        subject, obj = q.subject, q.object
        if (isinstance(subject, ox.NamedNode) and subject.value.startswith(self.people)
                and q.predicate.value in NAME_PREDICATES and isinstance(obj, ox.Literal)):
            obj = ox.Literal("Relecteur " + pseudonym_of_slug(self.key, subject.value[len(self.people):]))
        return ox.Quad(self._term(subject), q.predicate, self._term(obj), q.graph_name)

    def nquads_line(self, line: bytes) -> bytes:
        if self.marker not in line:
            return line
        [q] = list(ox.parse(line, format=ox.RdfFormat.N_QUADS))
        return ox.serialize([self.quad(q)], format=ox.RdfFormat.N_QUADS) or b""


async def public_dump(backend, fmt: ox.RdfFormat, settings: Settings, prefixes: dict[str, str]) -> AsyncIterator[bytes]:
    """The backend's dump with reviewers pseudonymised: read as N-Quads, rewritten line by line, written in ``fmt``."""
    p = Pseudonymiser(settings)
    rest = b""
    async for chunk in backend.dump(ox.RdfFormat.N_QUADS):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        out = b"".join(p.nquads_line(line + b"\n") for line in lines if line.strip())
        if out:
            yield _as_format(out, fmt, prefixes)
    if rest.strip():
        yield _as_format(p.nquads_line(rest + b"\n"), fmt, prefixes)


def _as_format(nquads: bytes, fmt: ox.RdfFormat, prefixes: dict[str, str]) -> bytes:
    if fmt == ox.RdfFormat.N_QUADS:
        return nquads
    return ox.serialize(ox.parse(nquads, format=ox.RdfFormat.N_QUADS), format=fmt, prefixes=prefixes) or b""
