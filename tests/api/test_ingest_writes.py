"""Writes of ``POST /deliberations`` on a real server: a batch holding a text longer than spaCy's max_length is
ingested whole (issue #15, defects 2 and 8), and a request writes exactly what its summary says, nothing later."""

from __future__ import annotations

from collections.abc import Iterator
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
