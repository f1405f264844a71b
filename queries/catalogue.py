"""The coherence questions: named, documented SPARQL queries in ``queries/*.rq``, listed and run with safe parameters.

Each ``.rq`` file opens with a comment block that is YAML once the leading ``# `` is removed::

    # id: champs-sans-contrat
    # title_fr: Champs d'intervention qu'aucun contrat ne couvre
    # title_en: Fields of intervention no contract covers
    # question: Quels champs … ?
    # params:
    #   - {name: fondement, type: enum, default: tous, values: [tous, explicite, propose], doc: …}
    # columns:
    #   - {name: champ, doc: …}
    # read: how to read the answer

Every ``.rq`` is a complete query on its own: its parameters have their defaults inline, in ``VALUES`` blocks
whose variables are all parameters (``VALUES (?debut ?fin) { ("2024-01-01"^^xsd:date "2044-12-31"^^xsd:date) }``),
one at the top of the query and one inside each sub-query that needs them (SPARQL evaluates sub-queries first).
Pasted as it is into the endpoint, a question gives the answer ``boussole coherence run`` gives with the defaults.

Raw parameter values are never pasted into the query text: each is validated against its declared type and turned
into an RDF term (a pyoxigraph term); the binder then replaces the row of every parameter ``VALUES`` block with
those terms, as pyoxigraph serialises them. Loading a question checks that its blocks cover every parameter and
that their inline rows are the declared defaults. Every parameter is also projected, to echo the values used.

Parameter types: ``date`` (YYYY-MM-DD → xsd:date), ``year`` (→ xsd:integer), ``integer``, ``decimal``,
``boolean`` (true/false → xsd:boolean), ``enum`` (one of ``values`` → plain string literal) and ``iri-path``
(a path under the base of minted IRIs such as ``engagement/1`` → that IRI; ``under`` restricts the first segment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from kg.errors import BoussoleError
from kg.iris import DEFAULT_BASE_IRI, XSD, base_iri, query_prefixes
from kg.querying import run as run_query
from kg.querying import term_text

QUERIES_DIR = Path(__file__).resolve().parent
PARAM_TYPES = ("date", "year", "integer", "decimal", "boolean", "enum", "iri-path")
HEADER_KEYS = ("id", "title_fr", "title_en", "question", "params", "columns", "read")
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# a relative IRI path of the kind Boussole mints: lower-case segments, no dots-only segment, no scheme, no query
IRI_PATH = re.compile(r"^[a-z][a-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
# a PREFIX declaration under the default base of minted IRIs (rewritten to the configured base)
BASE_PREFIX = re.compile(r"(PREFIX\s+[\w.-]*:\s*<)" + re.escape(DEFAULT_BASE_IRI) + r"([^>\s]*>)", re.IGNORECASE)
# a parameter block: VALUES (?a ?b) { ( term term ) } (comments are blanked out before matching)
VALUES_BLOCK = re.compile(r"VALUES\s*\(((?:\s*[?$]\w+)+)\s*\)\s*\{\s*\("
                          r"((?:[^()\"'<]|<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')*)\)\s*\}", re.IGNORECASE)
# a comment, or a string or an IRI in which « # » is not a comment
COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*')


class UnknownQuestion(BoussoleError):
    """No question has this id."""


class BadParameter(BoussoleError):
    """A parameter is unknown or its value does not fit its declared type."""


class QuestionFileError(BoussoleError):
    """A ``.rq`` file has a missing or malformed header."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str
    doc: str = ""
    values: tuple[str, ...] = ()
    under: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default, "doc": self.doc}
        if self.values:
            out["values"] = list(self.values)
        if self.under:
            out["under"] = self.under
        return out

    def term(self, raw: str, question_id: str = "?") -> ox.Literal | ox.NamedNode:
        """The RDF term for ``raw``, or BadParameter naming the question, the parameter and what is expected."""
        value = str(raw).strip()

        def bad(expected: str) -> BadParameter:
            return BadParameter(f"question {question_id}: parameter {self.name}={raw!r} is not {expected}")

        if self.type == "date":
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError
                date.fromisoformat(value)
            except ValueError:
                raise bad("a date YYYY-MM-DD (e.g. 2024-01-01)") from None
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "date"))
        if self.type == "year":
            if not re.fullmatch(r"\d{4}", value):
                raise bad("a year of four digits (e.g. 2024)")
            return ox.Literal(value, datatype=ox.NamedNode(XSD + "integer"))
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", value):
                raise bad("an integer")
            return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
        if self.type == "decimal":
            try:
                if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
                    raise InvalidOperation
                number = Decimal(value)
            except InvalidOperation:
                raise bad("a decimal number (e.g. 0.5)") from None
            text = format(number, "f")
            return ox.Literal(text if "." in text else text + ".0", datatype=ox.NamedNode(XSD + "decimal"))
        if self.type == "boolean":
            lowered = value.lower()
            if lowered in ("true", "1", "yes", "oui"):
                return ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
            if lowered in ("false", "0", "no", "non"):
                return ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))
            raise bad("true or false")
        if self.type == "enum":
            if value not in self.values:
                raise bad("one of " + ", ".join(self.values))
            return ox.Literal(value)
        if self.type == "iri-path":
            base = base_iri()
            if value.startswith(base):
                value = value[len(base):]
            if not IRI_PATH.fullmatch(value) or "/../" in f"/{value}/" or len(value) > 200:
                raise bad("a resource path under the base such as engagement/1 (letters, digits, - . _ and /)")
            if self.under and not value.startswith(self.under.rstrip("/") + "/"):
                raise bad(f"a path under {self.under.rstrip('/')}/ (e.g. {self.default})")
            return ox.NamedNode(base + value)
        raise bad(f"of a known type (declared type {self.type!r})")  # pragma: no cover - checked at load


@dataclass(frozen=True)
class Question:
    id: str
    title_fr: str
    title_en: str
    question: str
    params: tuple[Param, ...]
    columns: tuple[dict[str, str], ...]
    read: str
    path: Path
    text: str = field(repr=False)

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def as_dict(self) -> dict[str, Any]:
        """The catalogue entry as JSON-ready data (for ``GET /coherence``)."""
        return {
            "id": self.id, "title_fr": self.title_fr, "title_en": self.title_en, "question": self.question,
            "params": [p.as_dict() for p in self.params], "columns": [dict(c) for c in self.columns],
            "read": self.read, "file": f"queries/{self.path.name}",
        }

    def sparql(self, raw_params: dict[str, str] | None = None) -> str:
        """The query text with its parameters bound (defaults, or ``raw_params`` validated as RDF terms) and its
        prefixes under the base of minted IRIs pointing at the configured base."""
        text = BASE_PREFIX.sub(lambda m: m.group(1) + base_iri() + m.group(2), self.text)
        terms = {v.value: t for v, t in self.bindings(raw_params).items()}
        if not terms:
            return text
        out, last = [], 0
        for names, start, end in parameter_blocks(text, {p.name for p in self.params}):
            out += [text[last:start], "VALUES (", " ".join(f"?{n}" for n in names), ") { (",
                    " ".join(str(terms[n]) for n in names), ") }"]
            last = end
        return "".join(out) + text[last:]

    def bindings(self, raw_params: dict[str, str] | None = None) -> dict[ox.Variable, ox.Literal | ox.NamedNode]:
        """Validate ``raw_params`` (unknown names rejected, defaults filled in) and turn them into RDF terms."""
        raw_params = dict(raw_params or {})
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw_params) - set(known))
        if unknown:
            expected = ", ".join(known) if known else "none"
            raise BadParameter(f"question {self.id}: unknown parameter {', '.join(unknown)} (parameters: {expected})")
        return {ox.Variable(p.name): p.term(raw_params.get(p.name, p.default), self.id) for p in self.params}


def parse_header(text: str, path: Path) -> dict[str, Any]:
    """The YAML of the leading comment block of a ``.rq`` file."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    if not lines:
        raise QuestionFileError(f"{path.name}: no header (a comment block of YAML at the top of the file)")
    try:
        header = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        raise QuestionFileError(f"{path.name}: header is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(header, dict):
        raise QuestionFileError(f"{path.name}: header must be a YAML mapping")
    return header


def _param(raw: Any, where: str) -> Param:
    if not isinstance(raw, dict):
        raise QuestionFileError(f"{where}: each param is a mapping {{name, type, default, doc}}")
    name, kind, default = raw.get("name"), raw.get("type"), raw.get("default")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise QuestionFileError(f"{where}: param name {name!r} must match {NAME_PATTERN.pattern}")
    if kind not in PARAM_TYPES:
        raise QuestionFileError(f"{where}: param {name} has type {kind!r}; types: {', '.join(PARAM_TYPES)}")
    if default is None or isinstance(default, (dict, list)):
        raise QuestionFileError(f"{where}: param {name} needs a default value")
    if not raw.get("doc"):
        raise QuestionFileError(f"{where}: param {name} needs a doc")
    values = tuple(str(v) for v in raw.get("values") or ())
    if kind == "enum" and not values:
        raise QuestionFileError(f"{where}: enum param {name} needs values")
    default = str(default).lower() if isinstance(default, bool) else str(default)
    param = Param(name=name, type=kind, default=default, doc=str(raw["doc"]), values=values,
                  under=str(raw["under"]) if raw.get("under") else None)
    try:
        param.term(param.default, where)
    except BadParameter as exc:
        raise QuestionFileError(f"{where}: the default of {name} is invalid: {exc}") from None
    return param


def load_file(path: Path) -> Question:
    text = path.read_text(encoding="utf-8")
    header = parse_header(text, path)
    missing = [k for k in HEADER_KEYS if k not in header]
    if missing:
        raise QuestionFileError(f"{path.name}: header lacks {', '.join(missing)}")
    qid = header["id"]
    if not isinstance(qid, str) or not ID_PATTERN.fullmatch(qid) or qid != path.stem:
        raise QuestionFileError(f"{path.name}: id {qid!r} must be lower-case words joined by - and equal the file name")
    for key in ("title_fr", "title_en", "question", "read"):
        if not isinstance(header[key], str) or not header[key].strip():
            raise QuestionFileError(f"{path.name}: {key} must be a non-empty text")
    params = header["params"] or []
    columns = header["columns"]
    if not isinstance(params, list):
        raise QuestionFileError(f"{path.name}: params must be a list (possibly empty: [])")
    if not isinstance(columns, list) or not columns:
        raise QuestionFileError(f"{path.name}: columns must be a non-empty list")
    parsed_params = tuple(_param(p, f"{path.name}") for p in params)
    if len({p.name for p in parsed_params}) != len(parsed_params):
        raise QuestionFileError(f"{path.name}: two params have the same name")
    parsed_columns = []
    for c in columns:
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c.get("doc"):
            raise QuestionFileError(f"{path.name}: each column is a mapping {{name, doc}}")
        parsed_columns.append({"name": c["name"], "doc": str(c["doc"])})
    _check_inline_defaults(text, parsed_params, path)
    return Question(id=qid, title_fr=header["title_fr"].strip(), title_en=header["title_en"].strip(),
                    question=header["question"].strip(), params=parsed_params, columns=tuple(parsed_columns),
                    read=header["read"].strip(), path=path, text=text)


def parameter_blocks(text: str, names: set[str]) -> list[tuple[list[str], int, int]]:
    """The ``VALUES`` blocks of ``text`` whose variables are all parameters: (their variable names, start, end)."""
    blank = COMMENT.sub(lambda m: " " * len(m.group(0)) if m.group(0).startswith("#") else m.group(0), text)
    blocks = []
    for m in VALUES_BLOCK.finditer(blank):
        variables = [v[1:] for v in m.group(1).split()]
        if set(variables) <= names:
            blocks.append((variables, m.start(), m.end()))
    return blocks


def _check_inline_defaults(text: str, params: tuple[Param, ...], path: Path) -> None:
    """Every parameter has an inline VALUES block, and every block's row is the declared defaults."""
    if not params:
        return
    blocks = parameter_blocks(text, {p.name for p in params})
    covered = {n for names, _, _ in blocks for n in names}
    missing = [p.name for p in params if p.name not in covered]
    if missing:
        raise QuestionFileError(f"{path.name}: parameter {', '.join(missing)} has no inline default: write "
                                f"VALUES (?{missing[0]}) {{ (default) }} where the query uses it")
    defaults = {p.name: p.term(p.default, path.stem) for p in params}
    for names, start, end in blocks:
        line = text.count("\n", 0, start) + 1
        try:
            row = next(iter(ox.Store().query("SELECT * WHERE { " + text[start:end] + " }", prefixes=query_prefixes())))
        except (SyntaxError, StopIteration) as exc:
            raise QuestionFileError(f"{path.name}:{line}: the VALUES block of the parameters is invalid: {exc}") from None
        wrong = [n for n in names if row[n] != defaults[n]]
        if wrong:
            raise QuestionFileError(f"{path.name}:{line}: the inline value of {', '.join(wrong)} is not the declared "
                                    f"default ({', '.join(str(defaults[n]) for n in wrong)})")


def load(directory: Path = QUERIES_DIR) -> list[Question]:
    """Every question of ``directory`` (``queries/`` by default), sorted by file name."""
    questions = [load_file(p) for p in sorted(directory.glob("*.rq"))]
    seen: dict[str, Path] = {}
    for q in questions:
        if q.id in seen:
            raise QuestionFileError(f"{q.path.name}: id {q.id} already used by {seen[q.id].name}")
        seen[q.id] = q.path
    return questions


def get(question_id: str, directory: Path = QUERIES_DIR) -> Question:
    """The question ``question_id``, or UnknownQuestion listing the known ids."""
    if ID_PATTERN.fullmatch(question_id or ""):
        path = directory / f"{question_id}.rq"
        if path.is_file():
            return load_file(path)
    known = ", ".join(q.id for q in load(directory))
    raise UnknownQuestion(f"unknown question {question_id!r}; known questions: {known}")


def run(store: ox.Store, question: str | Question, raw_params: dict[str, str] | None = None,
        directory: Path = QUERIES_DIR) -> ox.QuerySolutions:
    """Answer a question on ``store`` (union of its graphs) with validated, bound parameters."""
    q = question if isinstance(question, Question) else get(question, directory)
    return run_query(store, q.sparql(raw_params), f"queries/{q.path.name}")


def table(results: ox.QuerySolutions) -> tuple[list[str], list[list[str]]]:
    """Column names and rows of display text (IRIs under the base shortened to ``id:…``)."""
    names = [v.value for v in results.variables]
    return names, [[term_text(row[n]) for n in names] for row in results]


def records(results: ox.QuerySolutions) -> tuple[list[str], list[dict[str, str | None]]]:
    """Column names and rows as ``{column: lexical value or None}`` (full IRIs)."""
    names = [v.value for v in results.variables]
    return names, [{n: (row[n].value if row[n] is not None else None) for n in names} for row in results]


def parse_assignments(items: list[str] | tuple[str, ...] | None) -> dict[str, str]:
    """``["debut=2024-01-01", …]`` (the CLI's ``--param k=v``) → ``{"debut": "2024-01-01"}``."""
    out: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise BadParameter(f"--param {item!r}: write NAME=VALUE (e.g. --param debut=2024-01-01)")
        out[name.strip()] = value.strip()
    return out

