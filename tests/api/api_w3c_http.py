"""Replaying the W3C SPARQL 1.1 Protocol / Graph Store Protocol manifests (HTTP requests described in RDF).

The manifests are read as RDF (no expectation is copied by hand). Each test is a list of ``ht:Request``s run
in order; each carries its expected response (status class or code, boolean, result kind, headers, body).
Adaptations, all generic: the ``/sparql/`` and ``/gsp`` paths are mapped to this server's ``/sparql`` and
``/store``; writes carry the server's ``Authorization: Bearer`` token (the service is read-only otherwise);
the store is emptied and the test's ``ut:graphData`` loaded (through the Graph Store Protocol) before each test.
"""

from __future__ import annotations

import http
import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph as ox

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
HT = "http://www.w3.org/2011/http#"
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = "http://www.w3.org/2011/content#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DAWGT = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


class Manifest:
    def __init__(self, path: Path, base: str):
        self.path = path
        self.base = base
        self.store = ox.Store()
        self.store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base)

    def one(self, s, p):
        for q in self.store.quads_for_pattern(s, n(p), None, None):
            return q.object
        return None

    def all(self, s, p):
        return [q.object for q in self.store.quads_for_pattern(s, n(p), None, None)]

    def list(self, head) -> list:
        out = []
        while head is not None and head != n(RDF + "nil"):
            out.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return out

    def entries(self) -> list:
        root = n(self.base)
        out = []
        for lst in self.all(root, MF + "entries"):
            out += self.list(lst)
        return out

    def includes(self) -> list[str]:
        out = []
        for lst in self.all(n(self.base), MF + "include"):
            out += [x.value for x in self.list(lst)]
        return out


@dataclass
class Expected:
    statuses: list[str] = field(default_factory=list)  # "2xx" or "201"
    boolean: bool | None = None
    format: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    location_var: str | None = None


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class HttpTest:
    iri: str
    name: str
    kind: str
    requests: list[HttpRequest]
    graph_data: list[tuple[str, Path]]  # (graph name, local file)
    approval: str | None


def status_code_of(iri: str) -> str:
    local = iri.rsplit("#", 1)[1]
    m = re.fullmatch(r"StatusCode(\d)xx", local)
    if m:
        return f"{m.group(1)}xx"
    for s in http.HTTPStatus:
        if s.phrase.replace(" ", "").replace("-", "") == local:
            return str(s.value)
    raise ValueError(f"unknown status {iri}")


def _headers(m: Manifest, node, ) -> dict[str, str]:
    out = {}
    for lst in m.all(node, HT + "headers"):
        for h in m.list(lst):
            out[m.one(h, HT + "fieldName").value.lower()] = m.one(h, HT + "fieldValue").value
    return out


def local_file(iri: str, root: Path) -> Path:
    rel = iri.split("rdf-tests/sparql/sparql11/", 1)[1]
    return root / rel


def load_http_tests(path: Path, root: Path) -> list[HttpTest]:
    base = "https://w3c.github.io/rdf-tests/sparql/sparql11/" + str(path.relative_to(root))
    m = Manifest(path, base)
    tests = []
    for t in m.entries():
        name = m.one(t, MF + "name").value
        kind = m.one(t, RDF + "type").value.rsplit("#", 1)[1]
        approval = m.one(t, DAWGT + "approval")
        action = m.one(t, MF + "action")
        requests = []
        for lst in m.all(action, HT + "requests"):
            for r in m.list(lst):
                resp = m.one(r, HT + "resp")
                exp = Expected(
                    statuses=[status_code_of(s.value) for s in m.all(resp, MF + "expectedStatus")],
                    headers=_headers(m, resp),
                )
                b = m.one(resp, MF + "expectedBoolean")
                exp.boolean = None if b is None else b.value == "true"
                f = m.one(resp, MF + "expectedFormat")
                exp.format = f.value if f is not None else None
                body = m.one(resp, HT + "body")
                if body is not None:
                    exp.body = m.one(body, CNT + "chars").value
                loc = m.one(resp, MF + "expectedLocation")
                exp.location_var = loc.value if loc is not None else None
                req_body = m.one(r, HT + "body")
                data = None
                if req_body is not None:
                    chars = m.one(req_body, CNT + "chars").value
                    enc = m.one(req_body, CNT + "characterEncoding")
                    data = chars.encode(enc.value if enc is not None else "utf-8")
                requests.append(
                    HttpRequest(
                        m.one(r, HT + "methodName").value,
                        m.one(r, HT + "absolutePath").value,
                        _headers(m, r),
                        data,
                        exp,
                    )
                )
        graph_data = []
        for gd in m.all(t, UT + "graphData"):
            graph_data.append((m.one(gd, RDFS + "label").value, local_file(m.one(gd, UT + "graph").value, root)))
        tests.append(
            HttpTest(t.value, name, kind, requests, graph_data, approval.value.rsplit("#", 1)[1] if approval else None)
        )
    return tests


def map_path(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp") :]
    return path


def _media(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


def isomorphic(a: list[ox.Triple], b: list[ox.Triple]) -> bool:
    def canon(triples):
        d = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in triples])
        d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return {str(q) for q in d}

    return canon(a) == canon(b)


def reset(client: httpx.Client, auth: dict, graph_data: list[tuple[str, Path]]) -> None:
    r = client.post("/sparql", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update", **auth})
    assert r.status_code in (200, 204), r.text
    for graph, file in graph_data:
        fmt = ox.RdfFormat.from_extension(file.suffix[1:])
        r = client.put(
            "/store",
            params={"graph": graph},
            content=file.read_bytes(),
            headers={"Content-Type": fmt.media_type, **auth},
        )
        assert r.status_code in (200, 201, 204), r.text


def run_http_test(test: HttpTest, client: httpx.Client, auth: dict) -> None:
    """Raises AssertionError with the reason when the server does not answer as the manifest expects."""
    reset(client, auth, test.graph_data)
    variables: dict[str, str] = {}
    for k, req in enumerate(test.requests, 1):
        path, body = req.path, req.body
        for var, value in variables.items():
            path = path.replace(var, value)
            if body is not None:
                body = body.replace(var.encode(), value.encode())
        url = map_path(path)
        headers = {**req.headers, **auth}
        r = client.request(req.method, url, content=body, headers=headers)
        where = f"request {k} ({req.method} {url})"
        exp = req.expected
        ok = any((s.endswith("xx") and str(r.status_code)[0] == s[0]) or s == str(r.status_code) for s in exp.statuses)
        assert ok, f"{where}: status {r.status_code}, expected {exp.statuses}: {r.text[:300]}"
        ctype = _media(r.headers.get("content-type"))
        if exp.format is not None or exp.boolean is not None:
            if exp.format in ("boolean", "tabular") or exp.boolean is not None:
                fmt = ox.QueryResultsFormat.from_media_type(ctype)
                results = ox.parse_query_results(r.content, format=fmt)
                if exp.format == "boolean" or exp.boolean is not None:
                    assert isinstance(results, ox.QueryBoolean), f"{where}: expected a boolean result"
                if exp.format == "tabular":
                    assert isinstance(results, ox.QuerySolutions), f"{where}: expected tabular results"
                    list(results)
                if exp.boolean is not None:
                    assert bool(results) == exp.boolean, f"{where}: boolean {bool(results)}, expected {exp.boolean}"
            elif exp.format == "RDF":
                fmt = ox.RdfFormat.from_media_type(ctype)
                assert fmt is not None, f"{where}: {ctype} is not an RDF format"
                list(ox.parse(r.content, format=fmt))
        for name, value in exp.headers.items():
            if name == "content-type":
                assert ctype == _media(value), f"{where}: content-type {ctype}, expected {_media(value)}"
            else:
                assert r.headers.get(name) == value, f"{where}: header {name}"
        if exp.body is not None and req.method != "HEAD":
            expected = [
                q.triple
                for q in ox.parse(
                    exp.body.encode(),
                    format=ox.RdfFormat.from_media_type(_media(exp.headers.get("content-type", "text/turtle"))),
                )
            ]
            got = [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.from_media_type(ctype))]
            assert isomorphic(expected, got), f"{where}: the graph returned is not the expected one:\n{r.text}"
        if exp.location_var:
            assert "location" in r.headers, f"{where}: no Location header"
            variables[exp.location_var] = r.headers["location"]
