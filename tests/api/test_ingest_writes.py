"""Writes of ``POST /deliberations`` on a real server: a batch holding a text longer than spaCy's max_length is
ingested whole (issue #15, defects 2 and 8), a request writes exactly what its summary says, nothing later, and
its analysis runs in a process of its own (never spaCy in the service process; a memory cap that fails it cleanly)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from api_testlib import TOKEN, Server, start_server, stop_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
COUNT = ("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a bsl:Deliberation ; eli:id_local ?id "
         "FILTER(STRSTARTS(?id, \"LOT-\")) }")


def record(i: int, **extra) -> dict:
    return {"COLL_NOM": "Communauté d'Agglomération de La Porte du Hainaut", "COLL_SIRET": "20004219000019",
            "DELIB_ID": f"LOT-{i}", "DELIB_DATE": "2025-03-17", "DELIB_MATIERE_CODE": "8.3",
            "DELIB_MATIERE_NOM": "Voirie",
            "DELIB_OBJET": f"Réfection de la voirie communale, tranche {i}", **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp: Path = tmp_path_factory.mktemp("ingest-writes")
    srv = start_server(tmp, store=tmp / "store", token=TOKEN, timeout=60)
    yield srv
    stop_server(srv)


def stored(server: Server) -> int:
    r = httpx.get(server.url + "/sparql", params={"query": COUNT},  # no-cache: what is stored now, not a kept answer
                  headers={"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"})
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_a_text_longer_than_spacy_max_length_does_not_fail_the_batch_nor_leave_phantom_writes(server: Server) -> None:
    # 1 000 035 characters: over spaCy's max_length (1 000 000); long words keep the NER cheap for the test
    long_text = "Objet : réfection de la voirie à Denain\n" + ("x" * 999 + " ") * 1000
    batch = [record(i) for i in range(64)]
    batch[1]["texte"] = long_text
    first = httpx.post(server.url + "/deliberations", json=batch, headers=AUTH, timeout=300)
    assert first.status_code == 201, first.text[:500]
    assert first.json()["stored"] == 64 and first.json()["skipped"] == []
    assert stored(server) == 64
    # the next request writes what it says, and only that (before: 62 rows of the failed batch came with it)
    second = httpx.post(server.url + "/deliberations", json=[record(100)], headers=AUTH, timeout=120)
    assert second.status_code == 201 and second.json()["stored"] == 1
    assert stored(server) == 65
    again = httpx.post(server.url + "/deliberations", json=batch, headers=AUTH, timeout=300)
    assert again.status_code == 200 and again.json()["unchanged"] == 64 and stored(server) == 65


def test_a_messy_record_is_kept_with_its_findings_and_a_changed_one_is_a_new_version(server: Server) -> None:
    messy = {"COLL_NOM": "Communauté d'Agglomération de La Porte du Hainaut", "COLL_SIRET": "200 042 190 00019",
             "DELIB_ID": "LOT-2025/7", "DELIB_DATE": "17/03/2025",
             "DELIB_OBJET": "=Subvention au club de judo de Denain"}
    first = httpx.post(server.url + "/deliberations", json=messy, headers=AUTH, timeout=120)
    assert first.status_code == 201 and first.json()["findings"] >= 3, first.text
    iri = first.json()["deliberations"][0]
    assert iri.endswith("/deliberation/200042190/LOT-2025~2F7")
    found = httpx.get(server.url + "/coherence/anomalies-donnees", params={"format": "json"}).json()["rows"]
    codes = {r["code"] for r in found if r["deliberation"].endswith("LOT-2025~2F7")}
    assert {"siret-normalise", "date-reformatee", "formule", "matiere-deduite"} <= codes
    changed = httpx.post(server.url + "/deliberations", json={**messy, "DELIB_OBJET": "Subvention au club de judo"},
                         headers=AUTH, timeout=120)
    assert changed.status_code == 200 and changed.json()["versioned"] == 1
    assert "judo de Denain" in changed.json()["conflicts"][0]["differences"]
    history = httpx.get(server.url + "/coherence/historique-versions", params={"format": "json"}).json()["rows"]
    previous_titles = [r["titre_precedent"] for r in history if r["deliberation"] == iri]
    assert previous_titles == ["=Subvention au club de judo de Denain"]


def mapped_files(pid: int) -> set[str]:
    with open(f"/proc/{pid}/maps", encoding="utf-8") as fh:
        return {line.split()[-1] for line in fh if "/" in line}


def test_the_service_process_never_loads_the_spacy_pipeline_to_answer_post_deliberations(server: Server) -> None:
    # issue #15: the analysis ran in the service process, on the writer's thread (spaCy loaded there for good).
    # Loading the French pipeline maps spaCy's multitask extension, which importing the ingester does not.
    answered = httpx.post(server.url + "/deliberations", json=[record(200), record(201)], headers=AUTH, timeout=300)
    assert answered.status_code == 201 and answered.json()["stored"] == 2 and answered.json()["tagged"] == 2
    spacy_pipeline = [f for f in mapped_files(server.process.pid) if "spacy/pipeline/multitask" in f]
    assert spacy_pipeline == []


def test_an_analysis_over_its_memory_cap_is_a_clear_422_writes_nothing_and_others_are_served(
        tmp_path: Path) -> None:
    srv = start_server(tmp_path, store=tmp_path / "store", token=TOKEN, timeout=60,
                       config={"import_memory_mb": 100})
    try:
        before = stored(srv)
        with ThreadPoolExecutor(1) as pool:
            refused = pool.submit(httpx.post, srv.url + "/deliberations", json=[record(300), record(301)],
                                  headers=AUTH, timeout=300)
            while not refused.done():   # other clients are served while the analysis runs and dies
                assert httpx.get(srv.url + "/sparql", params={"query": "ASK {}"}, timeout=10,
                                 headers={"Cache-Control": "no-cache"}).status_code == 200  # evaluated, not kept
                time.sleep(0.2)
        r = refused.result()
        assert r.status_code == 422, r.text
        assert "import_memory_mb" in r.json()["detail"] and "100 Mio" in r.json()["detail"]
        assert stored(srv) == before   # nothing written
        again = httpx.post(srv.url + "/deliberations", json=[record(302)], headers=AUTH, timeout=300)
        assert again.status_code == 422 and "import_memory_mb" in again.json()["detail"]   # a new process, not hung
        assert httpx.get(srv.url + "/health", timeout=30).json()["status"] == "ok"
    finally:
        stop_server(srv)
