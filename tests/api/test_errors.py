"""The error model over HTTP, in process (httpx's ASGI transport on the real app and a real store): one table from
the domain errors to statuses, problem+json bodies with a French title, no exception text for clients."""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_testlib import TOKEN, in_process
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.app import create_app
from api.settings import Settings

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.anyio


def _app(tmp: Path, fixture_store: Path, **settings) -> FastAPI:
    store = tmp / "store"
    shutil.copytree(fixture_store, store)
    return create_app(Settings(store_path=store, workers=1, timeout=10, **settings))


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory, fixture_store: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(tmp_path_factory.mktemp("errors"), fixture_store, write_token=TOKEN)

    async def broken(request: Request) -> Response:
        raise RuntimeError("secret internal detail /etc/boussole")

    app.add_api_route("/broken-for-test", broken)
    async with in_process(app) as c:
        yield c


async def test_a_malformed_query_is_a_problem_document(client: httpx.AsyncClient) -> None:
    r = await client.get("/sparql", params={"query": "SELEC * WHERE { ?s ?p ?o }"})
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == 400 and problem["title"] == "Requête SPARQL invalide"
    assert "requête mal formée" in problem["detail"] and "ligne 1, colonne" in problem["detail"]


async def test_an_unexpected_error_is_logged_and_its_text_is_not_sent(client: httpx.AsyncClient,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="boussole.api"):
        r = await client.get("/broken-for-test")
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert r.json()["title"] == "Erreur interne"
    assert "secret internal detail" in caplog.text


async def test_the_writer_check_answers_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    for method, url in [("PUT", "/store?default"), ("POST", "/sparql"), ("DELETE", "/id/graph/x"),
                        ("POST", "/store/some/graph"), ("POST", "/deliberations")]:
        kw = {"data": {"update": "CLEAR DEFAULT"}} if url == "/sparql" else {}
        r = await client.request(method, url, **kw)
        assert r.status_code == 401, (method, url, r.text)
        assert r.headers["www-authenticate"] == 'Bearer realm="boussole"'
        assert r.json()["title"] == "Authentification requise"


async def test_a_read_only_endpoint_refuses_writes_with_403(tmp_path: Path, fixture_store: Path) -> None:
    async with in_process(_app(tmp_path, fixture_store)) as c:
        r = await c.put("/store?default", content=b"", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 403 and "lecture seule" in r.json()["detail"]


async def test_statuses_and_headers_come_from_the_one_table(client: httpx.AsyncClient) -> None:
    r = await client.request("PUT", "/sparql")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"
    r = await client.get("/dataset", headers={"Accept": "image/png"})
    assert r.status_code == 406 and r.json()["title"] == "Aucun format acceptable"
    r = await client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/csv"})
    assert r.status_code == 415
    r = await client.get("/id/nothing/here", headers={"Accept": "text/turtle"})
    assert r.status_code == 404 and r.json()["title"] == "Ressource introuvable"
    r = await client.get("/no-such-route")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    r = await client.get("/deliberations/a-revoir", params={"seuil": "beaucoup"})
    assert r.status_code == 422 and "seuil" in r.json()["detail"]


async def test_the_error_body_has_one_hook(tmp_path: Path, fixture_store: Path) -> None:
    app = _app(tmp_path, fixture_store)

    def as_text(request: Request, status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
        return PlainTextResponse(f"{title} — {detail}", status_code=status, headers=headers)

    app.state.error_response = as_text
    async with in_process(app) as c:
        r = await c.get("/sparql", params={"query": "SELEC"})
        assert r.status_code == 400 and r.text.startswith("Requête SPARQL invalide — requête mal formée")
