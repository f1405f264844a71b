"""Done when (#11): a messy real-world export — cp1252, ';', CRLF, French dates, missing codes, a SIRET with
spaces, an ID clash, a formula in an objet — ingested while the server runs leaves every usable row visible
through the running server, and the three queue counts agree. A real uvicorn server, the real CLI."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from api_testlib import TOKEN, start_server, stop_server
from test_import_writes import cli, queue_counts

HEADER = ("COLL_NOM;COLL_SIRET;DELIB_ID;DELIB_DATE;DELIB_MATIERE_CODE;DELIB_MATIERE_NOM;DELIB_OBJET;BUDGET_ANNEE;"
          "BUDGET_NOM;PREF_ID;PREF_DATE;VOTE_EFFECTIF;VOTE_REEL;VOTE_POUR;VOTE_CONTRE;VOTE_ABSTENTION;DELIB_URL")
CAPH = "Communauté d'Agglomération de La Porte du Hainaut"
ROWS = {   # DELIB_ID → the row (None: the row that cannot be used)
    "2025-101": f"{CAPH};20004219000019;2025-101;2025-03-17;7.5;Subventions;Fonds de concours à la commune de "
                "Lourches pour la rénovation énergétique de l'école « Jules Ferry » (coût 450 000 €);;;;;83;71;71;0;0;",
    "2025-102": f"{CAPH};20004219000019;2025-102;17/03/2025;8.7;Transports;Création d'une piste cyclable entre "
                "Denain et Haulchin;;;;;83;71;70;0;1;",
    "2025-103": f"{CAPH};20004219000019;2025-103;2025-03-17;;;Programme local de l'habitat : réhabilitation de "
                "logements sociaux à Escaudain;;;;;83;71;71;0;0;",
    "2025-104": f"{CAPH};200 042 190 00019;2025-104;2025-03-17;1.1;Marchés publics;Plan de sauvegarde "
                "intercommunal : approbation;;;;;83;71;71;0;0;",
    "2025-105": f"{CAPH};20004219000019;2025-105;2025-03-17;7.1;Décisions budgétaires;=HYPERLINK(\"http://x\";"
                "\"Budget annexe des transports – décision modificative n°1\");;;;;83;71;71;0;0;",
    "2025-101-bis": f"{CAPH};20004219000019;2025-101;2025-03-17;7.5;Subventions;Fonds de concours à la commune de "
                    "Lourches pour l'école Jules Ferry – montant modifié;;;;;83;71;71;0;0;",
    "vide": f"{CAPH};20004219000019;2025-199;2025-03-17;5.2;Fonctionnement;;;;;;83;71;71;0;0;",
}
USABLE = ["2025-101", "2025-102", "2025-103", "2025-104", "2025-105"]


def _reads_leniently() -> bool:
    """Whether the SCDL reader keeps a row with a French date and no matière code (issue #11 item 2)."""
    from ingest.readers import iter_inputs

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "essai.csv"
        path.write_text(HEADER + "\n" + ROWS["2025-102"].replace(";8.7;Transports;", ";;;") + "\n", encoding="utf-8")
        return any(item.ok for item in iter_inputs([path]))


@pytest.mark.xfail(not _reads_leniently(), strict=True,
                   reason="needs the lenient SCDL reading of #11 item 2 (the ingestfacts work), not yet on this branch")
def test_a_messy_export_ingested_while_the_server_runs(tmp_path, store_path):
    export = tmp_path / "export-2025.csv"
    # the formula's quoted arguments make the cell a quoted CSV field, as a spreadsheet would write it
    rows = [r.replace('=HYPERLINK("http://x";"Budget', '"=HYPERLINK(""http://x"";""Budget').replace(
        'n°1");', 'n°1"")";') for r in ROWS.values()]
    export.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    store = tmp_path / "store"
    shutil.copytree(store_path, store)  # what `boussole build` makes, built once for the session
    server = start_server(tmp_path, store=store, token=TOKEN, workers=1, config={"review_threshold": 0.99})
    try:
        done = cli("ingest", "--store", str(store), "--quiet", str(export), cwd=tmp_path)
        assert "écriture à travers le serveur" in done.stderr, done.stderr
        assert done.returncode == 1, done.stdout + done.stderr          # one row is rejected, and said so
        found = httpx.get(server.url + "/sparql", headers={"Accept": "application/sparql-results+json"}, params={
            "query": "SELECT ?id ?titre WHERE { ?d a bsl:Deliberation ; eli:id_local ?id ; eli:title ?titre }"}).json()
        ids = {b["id"]["value"] for b in found["results"]["bindings"]}
        assert set(USABLE) <= ids, sorted(ids)                         # every usable row, visible at once
        assert "2025-199" not in ids
        titles = " ".join(b["titre"]["value"] for b in found["results"]["bindings"])
        # cp1252 read right
        assert "rénovation énergétique de l'école « Jules Ferry »" in titles or "montant modifié" in titles
        assert "=HYPERLINK" in titles                                    # a formula is text, stored as it came
        reports = list(tmp_path.glob("rejets*.csv"))
        assert reports and "2025-199" not in "".join(ids) and any(":8" in r.read_text("utf-8-sig") for r in reports)
        cli_n, api_n, page_n = queue_counts(server, store)
        assert cli_n == api_n == page_n
        assert json.loads(cli("review", "list", "--store", str(store), "--format", "json").stdout) == \
            httpx.get(server.url + "/deliberations/a-revoir").json()
    finally:
        stop_server(server)
