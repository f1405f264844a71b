"""Running a SPARQL query on a store and serialising its results (shared by the CLI and the tools above kg).

Also the two helps an analyst gets from the text of a query: where a syntax error really is (line, column, the
line itself and a caret, or the prefixed name with a « / » that SPARQL refuses), and, when a question compares a
literal to a label and finds nothing, the normalised form to match on (``bsl:libelleNormalise``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.errors import BoussoleError, InvalidQuery
from kg.iris import RESOURCE_TYPES, base_iri, compact, query_prefixes
from kg.labels import normalise_label

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}

# comments, string literals and IRI references: blanked out (same length) before looking for names in a query
_OPAQUE = re.compile(r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>')
# ``id:engagement/1`` or ``champ:1-1/orientation/2``: a Boussole prefix followed by a path with « / »
_SLASHED_NAME = re.compile(r"(?<![\w:?$\\.-])(id|%s):([A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_.\-]+)+)"
                           % "|".join(re.escape(t) for t in RESOURCE_TYPES))
_POSITION = re.compile(r"error at (\d+):(\d+)")
_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)+)"|\'((?:[^\'\\\n]|\\.)+)\'')
_LANG_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Za-z]{2,4})?")
_LABEL_PREDICATE = re.compile(r"\b(?:skos:(?:prefLabel|altLabel|hiddenLabel)|rdfs:label|eli:title|dcterms:title)\b")


def solutions(store: ox.Store, text: str, **options: object) -> ox.QuerySolutions:
    """The solutions of a SELECT: pyoxigraph types ``Store.query`` as any kind of result; this narrows it (and says
    so when the text is not a SELECT)."""
    results = store.query(text, **options)  # type: ignore[arg-type]  # options are Store.query's keywords
    if not isinstance(results, ox.QuerySolutions):
        raise BoussoleError("internal query: a SELECT was expected")
    return results


def data_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of ``INSERT DATA`` / ``DELETE DATA`` (the default graph, or ``GRAPH g { … }``), every term
    serialised by pyoxigraph: no text of a record is ever spliced into the update unescaped."""
    return " ".join(f"{q.subject} {q.predicate} {q.object} ." if isinstance(q.graph_name, ox.DefaultGraph)
                    else f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in quads)


def apply_update(store: ox.Store, text: str, base: str | None, prefixes: dict[str, str]) -> None:
    """``text`` on ``store`` (one transaction); :class:`InvalidQuery`, in French, when it is malformed or its
    evaluation fails: nothing was modified. The disk's errors and memory exhaustion go through as they are."""
    try:
        store.update(text, base_iri=base, prefixes=prefixes)
    except SyntaxError as exc:
        raise InvalidQuery(f"mise à jour mal formée : {exc}") from exc
    except (OSError, MemoryError):
        raise
    except Exception as exc:  # evaluation errors (e.g. CREATE of an existing graph) have no common class
        raise InvalidQuery(f"la mise à jour a échoué, rien n'a été modifié : {exc}") from exc


def read_query(query_or_file: str) -> tuple[str, str]:
    """The query text and a name for error messages: a path to an existing file, or the query itself."""
    path = Path(query_or_file)
    if query_or_file.endswith((".rq", ".sparql")) or (
        len(query_or_file) < 4096 and "\n" not in query_or_file and path.is_file()
    ):
        if not path.is_file():
            raise BoussoleError(f"{query_or_file}: no such query file")
        return path.read_text(encoding="utf-8"), str(path)
    return query_or_file, "query"


def run(store: ox.Store, text: str, name: str = "query", substitutions: dict | None = None):
    """Execute ``text`` over the union of the store's graphs; syntax errors name the query and the position."""
    try:
        return store.query(
            text, use_default_graph_as_union=True, prefixes=query_prefixes(), substitutions=substitutions
        )
    except SyntaxError as exc:
        raise BoussoleError(f"{name}: {syntax_message(text, exc)}") from exc
    except OSError as exc:
        raise BoussoleError(f"{name}: the store failed to answer: {exc}") from exc


def _blank_opaque(text: str) -> str:
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), text)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _excerpt(text: str, line: int, column: int) -> str:
    """The line, on one line of message, cut to about 70 characters around the place, marked with « ⟨ici⟩ »."""
    lines = text.splitlines() or [""]
    shown = lines[min(max(line, 1), len(lines)) - 1]
    cut = max(column - 1, 0)
    before, after = shown[:cut], shown[cut:]
    before = ("…" + before[-40:].lstrip()) if len(before) > 40 else before.lstrip()
    after = (after[:30] + "…") if len(after) > 30 else after
    return f" ; là : « {before}⟨ici⟩{after.rstrip()} »"


def slashed_names(text: str) -> list[tuple[int, int, str, str]]:
    """Names such as ``id:engagement/1`` in ``text`` (outside strings, IRIs and comments): SPARQL reads the « / »
    as a path or a division. Each as (line, column, the name, the name to write instead)."""
    base = base_iri()
    out = []
    for m in _SLASHED_NAME.finditer(_blank_opaque(text)):
        prefix, rest = m.group(1), m.group(2)
        path = rest if prefix == "id" else f"{prefix}/{rest}"
        line, col = _line_col(text, m.start())
        out.append((line, col, m.group(0), compact(base + path)))
    return out


def syntax_message(text: str, exc: SyntaxError) -> str:
    """A SPARQL syntax error as an analyst can act on it: the line and column, the line itself with a caret under
    the place, and, when the query holds a Boussole name with a « / », that name and how to write it."""
    detail = str(exc).splitlines()[0] if str(exc) else "erreur de syntaxe"
    slashed = slashed_names(text)
    if slashed:
        line, col, name, fixed = slashed[0]
        return (
            f"SPARQL invalide, ligne {line}, colonne {col} : « {name} » n'est pas un nom SPARQL (la « / » y est "
            f"lue comme un chemin ou une division) ; écrivez {fixed}{_excerpt(text, line, col)}"
        )
    where = _POSITION.search(detail)
    if not where:
        return f"SPARQL invalide : {detail}"
    line, col = int(where.group(1)), int(where.group(2))
    reason = detail[where.end() :].lstrip(": ")
    if len(reason) > 200:
        reason = reason[:200] + "…"
    return f"SPARQL invalide, ligne {line}, colonne {col} : {reason}{_excerpt(text, line, col)}"


def empty_result_hints(text: str) -> list[str]:
    """Why a query may have found nothing, read from its text alone (cheap): a Boussole name with a « / », or a
    literal compared to a label (labels keep their printed capitals, accents and typographic quotes): then the same
    literal normalised, to match on ``bsl:libelleNormalise``."""
    hints = [
        f"ligne {line}, colonne {col} : « {name} » se lit comme une division ou un chemin ; écrivez {fixed}"
        for line, col, name, fixed in slashed_names(text)
    ]
    if _LABEL_PREDICATE.search(_blank_opaque(text)):
        for m in _LITERAL.finditer(text):
            literal = m.group(1) or m.group(2)
            normalised = normalise_label(literal)
            if normalised and not _LANG_TAG.fullmatch(literal) and not literal.startswith("http"):
                hints.append(
                    f"les libellés gardent leur forme imprimée (capitales, accents, « ’ », « « » ») : pour comparer "
                    f"sans en tenir compte, cherchez {_sparql_string(normalised)} dans bsl:libelleNormalise, par ex. "
                    f"?x bsl:libelleNormalise ?n FILTER(CONTAINS(?n, {_sparql_string(normalised)}))"
                )
    return hints


def _sparql_string(value: str) -> str:
    return str(ox.Literal(value))


def term_text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    """A term as an analyst reads it in a table, and can paste back into a query: IRIs under the base as their
    compact name (``engagement:1``, see :func:`kg.iris.compact`), other IRIs as they are."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value) if term.value.startswith(base_iri()) else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value
