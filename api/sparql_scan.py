"""A small SPARQL lexer used for the safety checks and the protocol's dataset parameters of updates.

It never builds a query from user text: it only *reads* the text to
- find ``SERVICE`` and ``LOAD`` targets (federation and remote loading are refused unless allow-listed),
- find top-level ``USING``/``WITH`` clauses and the ``WHERE`` keywords of update operations, so that the
  ``using-graph-uri``/``using-named-graph-uri`` protocol parameters can be applied by inserting ``USING``
  clauses whose IRIs are validated :class:`pyoxigraph.NamedNode` terms (pyoxigraph has no API for them).

The lexer follows SPARQL 1.1 §19: ``\\uXXXX``/``\\UXXXXXXXX`` escapes are replaced before tokenising (as the
parser does), then comments, string literals and IRI references are skipped, so that keywords inside them are
not mistaken for operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import Forbidden, InvalidQuery, InvalidRequest

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRIREF = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_WORD = re.compile(r"[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\-\u00B7\u00C0-\uFFFF]*")
_PNAME = re.compile(r"[A-Za-z_\u00C0-\uFFFF0-9.\-]*:[^\s{}()<>\"',;\[\]#]*")
_VAR = re.compile(r"[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Token:
    kind: str  # "kw" (bare word), "iri", "pname", "var", "punct", "string"
    value: str
    start: int
    end: int
    depth: int  # brace depth at the token


def unescape_codepoints(text: str) -> str:
    def repl(m: re.Match) -> str:
        return chr(int(m.group(1) or m.group(2), 16))

    return _CODEPOINT.sub(repl, text)


_LEXEME = re.compile(
    r"""(?P<ws>\s+)
    |(?P<comment>\#[^\n]*)
    |(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    |(?P<string>\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)|'''(?:\\.|[^\\])*?(?:'''|\Z)
        |"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)
    |(?P<var>[?$][A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)
    |(?P<pname>(?!_:)[A-Za-z_\u00C0-\uFFFF0-9.\-]*:[^\s{}()<>"',;\[\]\#]*)
    |(?P<kw>[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\-\u00B7\u00C0-\uFFFF]*)
    |(?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[Token]:
    """Tokens of an (already unescaped) SPARQL text. Unknown characters become ``punct`` tokens.

    One compiled regular expression does the lexing (in C), so that a large text costs milliseconds, not seconds
    of the event loop.
    """
    tokens: list[Token] = []
    depth = 0
    for m in _LEXEME.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative of _LEXEME is a named group
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "iri":
            value = value[1:-1]
        elif kind == "kw":
            value = value.upper()
        elif value == "{":
            depth += 1
        elif value == "}":
            tokens.append(Token("punct", value, m.start(), m.end(), depth))
            depth = max(0, depth - 1)
            continue
        tokens.append(Token(kind, value, m.start(), m.end(), depth))
    return tokens


_OPAQUE = re.compile(
    r"""\#[^\n]*|<[^<>"{}|^`\\\x00-\x20]*>|\"\"\"(?:\\.|[^\\])*?(?:\"\"\"|\Z)|'''(?:\\.|[^\\])*?(?:'''|\Z)
    |"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?""",
    re.VERBOSE | re.DOTALL,
)
_NESTING = re.compile(r"[{(\[]|[})\]]|!(?:\s*!)*")


def check_nesting(text: str, limit: int) -> None:
    """Refuse (400) a text nested deeper than ``limit``: braces, parentheses, brackets and runs of ``!``.

    pyoxigraph's parsers are recursive: a few thousand levels overflow the stack of the thread and kill the whole
    process (a segmentation fault, not an exception). So the depth is measured before anything parses the text.
    """
    depth = deepest = 0
    for m in _NESTING.finditer(_OPAQUE.sub(" ", unescape_codepoints(text))):
        c = m.group()
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "})]":
            depth = max(0, depth - 1)
        else:  # a run of negations nests one expression per "!"
            deepest = max(deepest, depth + c.count("!"))
        if deepest > limit:
            raise InvalidQuery(f"le texte est imbriqué sur plus des {limit} niveaux acceptés par ce service "
                               "(accolades, parenthèses, crochets ou « ! ») ; simplifiez-le")


def has_dataset_clause(text: str) -> bool:
    """True when the query names its own dataset (``FROM`` / ``FROM NAMED``, which comes before its first ``{``)."""
    for m in _LEXEME.finditer(unescape_codepoints(text)):
        if m.lastgroup == "kw" and m.group().upper() == "FROM":
            return True
        if m.group() == "{":
            return False
    return False


def _allowed(iri: str, allow_list: tuple[str, ...] | list[str]) -> bool:
    return bool(_ABSOLUTE.match(iri)) and any(iri == a or iri.startswith(a.rstrip("/") + "/") for a in allow_list)


def check_remote_access(text: str, allow_list: tuple[str, ...] | list[str] = ()) -> None:
    """Refuse ``SERVICE`` and ``LOAD`` unless their target is an absolute IRI in ``allow_list``."""
    if not re.search(r"(?i)service|load|\\u|\\U", text):
        return
    tokens = tokenize(unescape_codepoints(text))
    for k, tok in enumerate(tokens):
        if tok.kind != "kw" or tok.value not in ("SERVICE", "LOAD"):
            continue
        j = k + 1
        if j < len(tokens) and tokens[j].kind == "kw" and tokens[j].value == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else None
        what = "SERVICE (federated query)" if tok.value == "SERVICE" else "LOAD"
        if not allow_list:
            raise Forbidden(f"{what} est désactivé sur ce service (fédération désactivée)")
        if target is None or target.kind != "iri" or not _allowed(target.value, allow_list):
            shown = target.value if target is not None else "nothing"
            raise Forbidden(f"la cible {shown!r} de {what} n'est pas dans la liste autorisée de ce service")


def apply_using(update: str, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` to every ``… WHERE`` operation.

    Refuses (400) an update that has its own ``USING`` or ``WITH`` clause (SPARQL 1.1 Protocol §2.2.3).
    The inserted IRIs are validated :class:`pyoxigraph.NamedNode` terms, serialised by pyoxigraph.
    """
    if not using and not using_named:
        return update
    try:
        clause = " ".join(
            [f"USING {ox.NamedNode(g)}" for g in using] + [f"USING NAMED {ox.NamedNode(g)}" for g in using_named]
        )
    except ValueError as exc:
        raise InvalidRequest(f"IRI de graphe invalide dans using-graph-uri/using-named-graph-uri : {exc}") from exc
    text = unescape_codepoints(update)
    tokens = tokenize(text)
    inserts: list[int] = []
    for k, tok in enumerate(tokens):
        if tok.depth != 0 or tok.kind != "kw":
            continue
        if tok.value in ("USING", "WITH"):
            raise InvalidRequest(
                f"the update has its own {tok.value} clause and the request gives using-graph-uri/"
                "using-named-graph-uri: the protocol forbids both"
            )
        if tok.value == "WHERE":
            prev = tokens[k - 1] if k else None
            if prev is not None and prev.kind == "kw" and prev.value == "DELETE":
                continue  # DELETE WHERE: no USING allowed, nothing to apply
            inserts.append(tok.start)
    for pos in reversed(inserts):
        text = text[:pos] + clause + " " + text[pos:]
    return text


_WHERE = re.compile(r"where", re.IGNORECASE)


def reads_the_store(update: str) -> bool:
    """True when an update has a ``WHERE`` (``DELETE``/``INSERT … WHERE``, ``DELETE WHERE``): its cost grows with
    the store, unlike ``INSERT DATA``, ``DELETE DATA`` and the graph operations. The tokenizer runs only when the
    word occurs at all, so that a large ``INSERT DATA`` costs one search in C."""
    if not _WHERE.search(update):
        return False
    return any(tok.kind == "kw" and tok.value == "WHERE" for tok in tokenize(unescape_codepoints(update)))


def query_form(text: str) -> str | None:
    """SELECT / ASK / CONSTRUCT / DESCRIBE, or None (used for the remote backend's negotiation)."""
    for tok in tokenize(unescape_codepoints(text)):
        if tok.kind == "kw" and tok.value in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            return tok.value
    return None
