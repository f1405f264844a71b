"""Shared SPARQL fragments: one definition of a rule that several queries need, copied into each of them.

A fragment is a ``.rq`` file of this folder: a comment header (what it binds), its ``PREFIX`` lines, then a group
graph pattern. A query that needs it carries a copy between two marker comments, indented as the ``BEGIN`` line::

    # BEGIN etiquette-en-vigueur (copy of queries/fragments/etiquette-en-vigueur.rq: python -m queries.fragments)
    { … } UNION { … }
    # END etiquette-en-vigueur

so that every query file stays complete and pasteable as it is into any SPARQL client. A fragment may itself carry
a copy of another (``etiquette-en-vigueur`` carries ``decision-humaine-en-vigueur``, which a query may also use
alone). :func:`expand` rewrites the copies from the fragment, :func:`stale` names the files whose copy differs (a
test fails on them), and :func:`select` builds a query from a fragment for Python code (its variables are then bound
as RDF terms, never pasted).
This module reads text only (standard library): any layer may use it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

FRAGMENTS_DIR = Path(__file__).resolve().parent
QUERIES_DIR = FRAGMENTS_DIR.parent
# the query folders whose files may carry copies (the coherence questions, the pages' queries, the fragments)
COPY_DIRS = (QUERIES_DIR, QUERIES_DIR.parent / "web" / "queries", FRAGMENTS_DIR)
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PREFIX_LINE = re.compile(r"^PREFIX\s+([\w.-]*):\s*<([^>]*)>\s*$", re.IGNORECASE)
BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN (?P<name>[a-z0-9-]+)\b.*$")
END = re.compile(r"^[ \t]*# END (?P<name>[a-z0-9-]+)\s*$")


class FragmentError(ValueError):
    """A fragment is unknown, or a query's copy markers are malformed (the message names the file and line)."""


_LOADING: set[str] = set()


@lru_cache(maxsize=None)
def _parts(name: str) -> tuple[tuple[tuple[str, str], ...], str]:
    if name in _LOADING:
        raise FragmentError(f"fragment {name!r} includes itself")
    if not NAME.match(name):
        raise FragmentError(f"bad fragment name {name!r}")
    path = FRAGMENTS_DIR / f"{name}.rq"
    if not path.is_file():
        raise FragmentError(f"no fragment {name!r} in {FRAGMENTS_DIR}")
    prefixes: list[tuple[str, str]] = []
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PREFIX_LINE.match(line)
        if body:
            body.append(line)
        elif match:
            prefixes.append((match.group(1), match.group(2)))
        elif line.strip() and not line.startswith("#"):
            body.append(line)
    if not body:
        raise FragmentError(f"{path}: no pattern after the header")
    _LOADING.add(name)
    try:   # the copies a fragment carries are those of the current text of their fragments
        return tuple(prefixes), expand("\n".join(body).rstrip() + "\n", str(path))
    finally:
        _LOADING.discard(name)


def pattern(name: str) -> str:
    """The fragment's group graph pattern (without its header and ``PREFIX`` lines), ending with a newline."""
    return _parts(name)[1]


def prefixes(name: str) -> dict[str, str]:
    """The prefixes the fragment's pattern uses (a query that carries a copy declares them)."""
    return dict(_parts(name)[0])


def select(name: str, projection: str) -> str:
    """A complete query ``SELECT <projection> WHERE { <fragment> }`` with the fragment's prefixes; bind its
    variables (``?d``…) with pyoxigraph ``substitutions``."""
    head = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in _parts(name)[0])
    return f"{head}SELECT {projection} WHERE {{\n{pattern(name)}}}\n"


def expand(text: str, origin: str = "query") -> str:
    """``text`` with every copy between ``# BEGIN name`` and ``# END name`` rewritten from the fragment ``name``,
    indented as its ``BEGIN`` line."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        begin = BEGIN.match(lines[i].rstrip("\n"))
        out.append(lines[i])
        i += 1
        if not begin:
            if END.match(lines[i - 1].rstrip("\n")):
                raise FragmentError(f"{origin}:{i}: « # END » without its « # BEGIN »")
            continue
        name, indent, start = begin.group("name"), begin.group("indent"), i
        while i < len(lines):   # the copy may hold copies of other fragments: its own END closes it
            end, inner = END.match(lines[i].rstrip("\n")), BEGIN.match(lines[i].rstrip("\n"))
            if end and end.group("name") == name:
                break
            if inner and inner.group("name") == name:
                raise FragmentError(f"{origin}:{i + 1}: « # BEGIN {name} » inside its own copy (line {start})")
            i += 1
        if i == len(lines):
            raise FragmentError(f"{origin}:{start}: « # BEGIN {name} » without « # END {name} »")
        try:
            body = pattern(name)
        except FragmentError as exc:
            raise FragmentError(f"{origin}:{start}: {exc}") from exc
        out.extend(indent + line if line.strip() else line for line in body.splitlines(keepends=True))
        out.append(lines[i])
        i += 1
    return "".join(out)


def carriers(dirs: tuple[Path, ...] = COPY_DIRS) -> list[Path]:
    """The query files that carry at least one copy of a fragment."""
    return sorted(p for d in dirs for p in d.glob("*.rq")
                  if any(BEGIN.match(line) for line in p.read_text(encoding="utf-8").splitlines()))


def stale(paths: list[Path] | None = None) -> list[Path]:
    """The files among ``paths`` (default: :func:`carriers`) whose copies differ from their fragments."""
    return [p for p in (carriers() if paths is None else paths)
            if expand(text := p.read_text(encoding="utf-8"), str(p)) != text]


def rewrite(paths: list[Path] | None = None) -> list[Path]:
    """Rewrite the stale copies in place; the files rewritten."""
    changed = stale(paths)
    for p in changed:
        p.write_text(expand(p.read_text(encoding="utf-8"), str(p)), encoding="utf-8")
    return changed
