"""Reading a SPARQL 1.1 Protocol request (query or update operation) from an HTTP request."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.requests import Request

from kg.errors import InvalidRequest, MethodNotAllowed, UnsupportedMediaType


@dataclass
class Operation:
    kind: str  # "query", "update" or "description"
    text: str | None = None
    default_graph: list[str] | None = None
    named_graphs: list[str] | None = None
    using: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)
    format: str | None = None


def media_type_of(header: str | None) -> tuple[str, dict[str, str]]:
    if not header:
        return "", {}
    parts = [p.strip() for p in header.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def _check_charset(params: dict[str, str]) -> None:
    charset = params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaType(f"jeu de caractères {charset!r} non pris en charge : les requêtes SPARQL doivent être en UTF-8")


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"le corps de la requête n'est pas de l'UTF-8 valide : {exc}") from exc


def _iris(values: list[str], name: str) -> list[str]:
    out = []
    for v in values:
        try:
            out.append(ox.NamedNode(v).value)
        except ValueError as exc:
            raise InvalidRequest(f"{name} : IRI invalide {v!r} : {exc}") from exc
    return out


def _single(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise InvalidRequest(f"plus d'un paramètre {name!r}")
    return values[0] if values else None


def _build(params: list[tuple[str, str]], direct: tuple[str, str] | None = None) -> Operation:
    query = _single(params, "query")
    update = _single(params, "update")
    if direct is not None:
        kind, text = direct
        if query is not None or update is not None:
            raise InvalidRequest("un POST direct porte l'opération dans le corps, pas dans un paramètre")
        query, update = (text, None) if kind == "query" else (None, text)
    if query is not None and update is not None:
        raise InvalidRequest("une requête porte soit une interrogation (query), soit une mise à jour (update), pas les deux")

    def multi(name):
        return [v for k, v in params if k == name]

    fmt = _single(params, "format")
    if query is not None:
        dg = _iris(multi("default-graph-uri"), "default-graph-uri")
        ng = _iris(multi("named-graph-uri"), "named-graph-uri")
        dataset = bool(dg or ng)
        return Operation(
            "query", query, dg if dataset else None, ng if dataset else None, format=fmt
        )
    if update is not None:
        return Operation(
            "update",
            update,
            using=_iris(multi("using-graph-uri"), "using-graph-uri"),
            using_named=_iris(multi("using-named-graph-uri"), "using-named-graph-uri"),
        )
    return Operation("description", format=fmt)


async def read_operation(request: Request) -> Operation:
    url_params = list(request.query_params.multi_items())
    if request.method in ("GET", "HEAD"):
        if any(k == "update" for k, _ in url_params):
            raise InvalidRequest("les mises à jour s'envoient par POST (protocole SPARQL 1.1, § 2.2)")
        return _build(url_params)
    if request.method != "POST":
        raise MethodNotAllowed(f"la méthode {request.method} n'est pas permise ici", "GET, HEAD, POST")
    mime, params = media_type_of(request.headers.get("content-type"))
    body = await request.body()
    if not mime:
        raise InvalidRequest(
            "en-tête Content-Type manquant : utilisez application/x-www-form-urlencoded, "
            "application/sparql-query ou application/sparql-update",
        )
    if mime == "application/x-www-form-urlencoded":
        _check_charset(params)
        try:
            form = parse_qsl(_decode(body), keep_blank_values=True, strict_parsing=False, errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidRequest(f"le formulaire n'est pas de l'UTF-8 valide : {exc}") from exc
        return _build(url_params + form)
    if mime == "application/sparql-query":
        _check_charset(params)
        return _build(url_params, ("query", _decode(body)))
    if mime == "application/sparql-update":
        _check_charset(params)
        return _build(url_params, ("update", _decode(body)))
    raise UnsupportedMediaType(
        f"Content-Type {mime!r} non pris en charge : utilisez application/x-www-form-urlencoded, "
        "application/sparql-query ou application/sparql-update",
    )


def bearer_ok(request: Request, token: str | None) -> bool:
    """True when the request carries ``Authorization: Bearer <token>`` (constant-time comparison)."""
    if not token:
        return False
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
