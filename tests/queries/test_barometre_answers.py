"""The baromètre's coherence questions answered on the fixture (base + fixture/barometre), whose answers are known
in advance: see tests/queries/fixture/barometre/barometre/barometre.ttl and the tags of fixture/base."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.queries.conftest import load_fixture
from tests.queries.test_coherence_answers import answer, col


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_fixture("base", "barometre")


def test_indicators_without_a_value_in_the_cube(store: ox.Store) -> None:
    rows = answer(store, "indicateurs-sans-valeur")
    assert col(rows, "indicateur") == ["id:indicateur/i-vide", "id:indicateur/idh"]
    assert col(rows, "chiffres_cites") == ["0", "1"]  # the IDH has a figure stated by a source, outside the cube
    assert rows[0]["mesure"].endswith("/id/champ/3-1")


def test_champs_without_an_indicator_counting_measures_of_their_actions(store: ox.Store) -> None:
    rows = answer(store, "referentiel-sans-indicateur")
    assert col(rows, "element") == ["id:champ/1-1", "id:champ/1-2", "id:champ/2-2"]
    assert {r["type"] for r in rows} == {"champ d'intervention"}


def test_targets_by_status_with_trend_projected_to_the_horizon(store: ox.Store) -> None:
    rows = answer(store, "cibles-a-risque")
    assert [(r["cible"], r["statut"]) for r in rows] == [
        ("id:cible/c-impact-caph", "à risque"),
        ("id:cible/c-impact-aville", "tendance inconnue"),
        ("id:cible/c-vide", "sans valeur"),
        ("id:cible/c-realisation-caph", "en bonne voie"),
        ("id:cible/c-realisation-bville", "atteinte"),
    ]
    at_risk = rows[0]
    assert (at_risk["valeur_precedente"], at_risk["derniere_periode"], at_risk["derniere_valeur"]) == ("30", "2024-06-30", "28")
    assert float(at_risk["projection"]) == pytest.approx(16.0)  # 28 - 2 a year for 6 years
    on_track = rows[3]
    # same period in both data sets: the imported value (20) wins over the starting point (99)
    assert (on_track["periode_precedente"], on_track["derniere_valeur"]) == ("2022", "20")
    assert float(on_track["projection"]) == pytest.approx(50.0)
    assert on_track["fixee_par"].endswith("/id/feuille-de-route/fdr-1")


def test_roadmap_actions_without_a_deliberation_in_their_period(store: ox.Store) -> None:
    rows = answer(store, "actions-feuille-de-route-sans-deliberation")
    # fdr-1 (2024-2026): action 2.1.1.a has no current tag on champ 2-1 in the period (D2's model tag was corrected,
    # D8 is dated 2027); champ 1-2 is served by D2. fdr-2 (2027-2029): D8 serves champ 2-1.
    assert [(r["feuille_de_route"], r["action"], r["champ"]) for r in rows] == [
        ("id:feuille-de-route/fdr-1", "id:champ/2-1/orientation/1/action/1", "id:champ/2-1")]
    assert rows[0]["service"] == "Direction de la mobilité"


def test_money_per_engagement_from_the_budget_and_from_the_deliberations(store: ox.Store) -> None:
    rows = answer(store, "budget-et-deliberations-par-engagement")
    table = {(r["exercice"], r["engagement"]): (r["budget_prevu"], r["budget_realise"], r["deliberations"],
                                                 r["montant_deliberations"]) for r in rows}
    assert table == {
        ("2023", "id:engagement/1"): ("0", "0", "1", "0"),
        # function 0 serves no champ; D5 has no tag and D6 serves no engagement
        ("2024", ""): ("0", "200", "2", "0"),
        ("2024", "id:engagement/1"): ("0", "0", "2", "15000"),
        # function 7 (1 000) serves champs 2-1 and 3-1; function 72 (500 planned, 300 spent) serves 2-1 and 2-2,
        # both of engagement 2: counted once
        ("2024", "id:engagement/2"): ("1500", "300", "0", "0"),
        ("2024", "id:engagement/3"): ("1000", "0", "1", "0"),
        ("2025", "id:engagement/2"): ("0", "0", "1", "2000"),
        ("2025", "id:engagement/3"): ("0", "0", "1", "1000"),
        ("2027", "id:engagement/2"): ("0", "0", "1", "7000"),
    }
