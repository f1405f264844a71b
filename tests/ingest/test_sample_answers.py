"""The answers `make run` serves after its sample ingest: places and amounts with their roles (issue #11 items 4
and 5). The sample is the Makefile's SAMPLE list, ingested on the real built store like `make ingest-sample`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.iris import base_iri
from queries import catalogue

REPO = Path(__file__).resolve().parents[2]
WALLERS = base_iri() + "commune/59632"


def makefile_sample() -> list[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return [str(REPO / p) for p in re.search(r"^SAMPLE := (.+)$", text, re.M).group(1).split()]


@pytest.fixture(scope="module")
def sample_store(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    from ingest import cli

    path = tmp_path_factory.mktemp("sample") / "store"
    shutil.copytree(store_path, path)
    assert cli.ingest_command(makefile_sample(), path, quiet=True, rejects=path.parent / "rejets.csv") in (0, 1)
    return ox.Store.read_only(str(path))


def rows(store: ox.Store, qid: str) -> list[dict[str, str | None]]:
    return catalogue.records(catalogue.run(store, qid))[1]


def test_the_letterhead_does_not_make_wallers_the_most_concerned_commune(sample_store: ox.Store) -> None:
    effort = {r["commune"]: int(r["deliberations"] or 0) for r in rows(sample_store, "equite-engagement-1-par-commune")}
    top = max(effort.values())
    assert top > 0 and effort[WALLERS] < top and effort[WALLERS] == 0
    # the issuer's places are kept on their mentions, with their role, and are never bsl:concerne
    letterhead = sample_store.query(f"""PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
        SELECT (COUNT(*) AS ?n) WHERE {{ ?d bsl:mention ?m . ?m bsl:designe <{WALLERS}> ;
                                         bsl:roleMention "emetteur" }}""",
                                    use_default_graph_as_union=True)
    assert int(next(iter(letterhead))["n"].value) >= 15


def test_dashboard_and_coherence_question_totals_agree(sample_store: ox.Store) -> None:
    from web.dashboard_data import dashboard

    question = {r["engagement"]: float(r["montant_total"] or 0)
                for r in rows(sample_store, "repartition-par-engagement")}
    bars = {b["key"]: float(b["montant"]) for b in dashboard(sample_store)["bars"] if b["key"] != "aucun"}
    e1 = base_iri() + "engagement/1"
    assert bars[e1] > 0
    assert bars == {k: v for k, v in question.items() if k in bars}
