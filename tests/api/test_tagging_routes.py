"""Retraining the learned tagger on demand through a real uvicorn server: the token, one training at a time, the
staff's decision in the new model's version, the model used for the next deliberation."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_testlib import TOKEN, Server, start_server, stop_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from ingest import model_path
    from ingest.training import model_for

    tmp = tmp_path_factory.mktemp("tagging")
    shutil.copytree(store_path, tmp / "store")
    model_for()                                        # the base model, built once if `make model` did not
    shutil.copy(model_path(), tmp / "model.joblib")
    # the server retrains its own copy: the model_path setting of its TOML file
    srv = start_server(tmp, store=tmp / "store", token=TOKEN, timeout=20,
                       config={"model_path": str(tmp / "model.joblib")})
    yield srv
    stop_server(srv)


def test_retraining_needs_the_token_and_learns_the_staff_decision(server: Server) -> None:
    before = httpx.get(server.url + "/tagging/model", timeout=60).json()
    assert before["modele"] == "boussole-tagger 2.0.0"
    assert before["fichier"] == str(server.log.parent / "model.joblib")  # the setting reached the tagger
    assert httpx.post(server.url + "/tagging/train").status_code == 401
    posted = httpx.post(server.url + "/deliberations", headers=AUTH, timeout=120,
                        json={"objet": "Convention de partenariat avec la ferme pédagogique du Moulin"})
    ref = posted.json()["deliberations"][0].split("/id/", 1)[1]
    done = httpx.post(server.url + f"/deliberations/{ref}/corriger", headers=AUTH,
                      json={"author": "Camille Martin", "reason": "Agriculture", "engagements": ["2"],
                            "champs": ["2-7"]})
    assert done.status_code == 200, done.text
    started = httpx.post(server.url + "/tagging/train", headers=AUTH)
    assert started.status_code == 202
    assert httpx.post(server.url + "/tagging/train", headers=AUTH).status_code == 409    # one at a time
    assert httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30,
                     headers={"Accept": "application/sparql-results+json"}).status_code == 200   # others go on
    deadline = time.monotonic() + 300
    info = {}
    while time.monotonic() < deadline:
        info = httpx.get(server.url + "/tagging/model", timeout=30).json()
        if not info["entrainement"]["en_cours"]:
            break
        time.sleep(1)
    assert info["entrainement"]["statut"] == "termine", info
    assert info["modele"].startswith("boussole-tagger 2.0.0+staff1.") and info["appris_sur"]["staff_decisions"] == 1
    again = httpx.post(server.url + "/deliberations", headers=AUTH, timeout=120,
                       json={"objet": "Convention avec la ferme pédagogique des Saules"})
    iri = again.json()["deliberations"][0]
    agent = httpx.get(server.url + "/sparql", headers={"Accept": "application/sparql-results+json"}, params={"query": (
        f"SELECT ?agent WHERE {{ GRAPH ?g {{ ?a <http://www.w3.org/ns/oa#hasTarget> <{iri}> ; "
        "<http://www.w3.org/ns/prov#wasAttributedTo> ?agent } }")}).json()["results"]["bindings"]
    assert agent and all("boussole-tagger-2.0.0+staff1." in b["agent"]["value"] for b in agent)
