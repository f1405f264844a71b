"""Reading the versioned data files of the graph, with errors that name the file and the line."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BoussoleError
from kg.iris import REPO_ROOT, base_iri, graph

ONTOLOGY_FILE = REPO_ROOT / "ontology" / "boussole.ttl"
SHAPES_FILE = REPO_ROOT / "ontology" / "shapes.ttl"
DATA_DIR = REPO_ROOT / "kg" / "data"
SOURCES_DIR = REPO_ROOT / "kg" / "sources"

FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".trig": ox.RdfFormat.TRIG}


@dataclass(frozen=True)
class DataFile:
    """One data file and the named graph its triples go into."""

    path: Path
    graph_name: str

    @property
    def label(self) -> str:
        try:
            return str(self.path.relative_to(REPO_ROOT))
        except ValueError:
            return str(self.path)


def data_files(data_dir: Path = DATA_DIR, ontology_file: Path = ONTOLOGY_FILE) -> list[DataFile]:
    """The ontology, then every data file under ``data_dir/<graph>/``, in a stable order."""
    files = [DataFile(ontology_file, "ontology")]
    for folder in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.rglob("*")):
            if path.suffix in FORMATS:
                files.append(DataFile(path, folder.name))
    return files


def read_quads(source: DataFile) -> list[ox.Quad]:
    """Parse one file into quads of its named graph.

    Blank nodes get labels derived from the file path and their order of appearance, so that two builds
    of the same files give the very same dataset.
    """
    target = graph(source.graph_name)
    salt = hashlib.sha256(source.label.encode()).hexdigest()[:12]
    renamed: dict[str, ox.BlankNode] = {}

    def stable(term):
        if isinstance(term, ox.BlankNode):
            if term.value not in renamed:
                renamed[term.value] = ox.BlankNode(f"{salt}x{len(renamed)}")
            return renamed[term.value]
        return term

    try:
        parsed = list(ox.parse(path=source.path, format=FORMATS[source.path.suffix], base_iri=base_iri()))
    except SyntaxError as exc:
        raise BoussoleError(f"{source.label}:{_line_of(exc)}: {exc.args[0] if exc.args else exc}") from exc
    except OSError as exc:
        raise BoussoleError(f"{source.label}: cannot read: {exc}") from exc
    return [ox.Quad(stable(q.subject), q.predicate, stable(q.object), target) for q in parsed]


def _line_of(exc: SyntaxError) -> str:
    if exc.lineno:
        return str(exc.lineno)
    return "?"


@lru_cache(maxsize=16)
def source_lines(path: Path | str) -> tuple[str, ...]:
    """The lines of a source document (read once; provenance line numbers are 1-based indexes into them)."""
    return tuple(Path(path).read_text(encoding="utf-8").splitlines())


def excerpt_lines(path: Path | str, start: int, end: int, cap: int) -> tuple[list[tuple[int, str]], int]:
    """Lines ``start``..``end`` of a source document as (number, text), at most ``cap`` of them, and how many were
    left out; an unreadable document gives no lines."""
    try:
        lines = source_lines(path)
    except OSError:
        return [], 0
    chosen = [(n, lines[n - 1]) for n in range(max(1, start), min(end, len(lines)) + 1)]
    return chosen[:cap], max(0, len(chosen) - cap)


def iter_all(files: list[DataFile]) -> Iterator[tuple[DataFile, list[ox.Quad]]]:
    for source in files:
        yield source, read_quads(source)
