"""Every coherence question answered on the fixture graph, whose answers are known in advance (see fixture/*.ttl)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from queries import catalogue

DEFAULT_PERIOD = {"debut": "2024-01-01", "fin": "2044-12-31"}


def answer(store: ox.Store, qid: str, **params: str) -> list[dict[str, str]]:
    names, rows = catalogue.table(catalogue.run(store, qid, params))
    assert names == catalogue.get(qid).column_names
    return [dict(zip(names, r)) for r in rows]


def col(rows: list[dict[str, str]], name: str) -> list[str]:
    return [r[name] for r in rows]


def split(value: str) -> set[str]:
    return {v.strip() for v in value.split(";") if v.strip()}


# --- Structure ------------------------------------------------------------------------------------------------

def test_tree_in_reading_order_with_parents_and_source_lines(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "arbre-projet-de-territoire")
    assert col(rows, "element") == [
        "id:finalite", "valeur:1", "ambition:1",
        "engagement:1", "champ:1-1", "champ:1-2", "projet:projet-a",
        "engagement:2", "champ:2-1", "champ:2-1\\/orientation\\/1", "champ:2-1\\/orientation\\/1\\/action\\/1",
        "champ:2-2", "projet:projet-b",
        "engagement:3", "champ:3-1"]
    action = rows[10]
    assert (action["profondeur"], action["niveau"], action["parent"], action["sources"]) == (
        "3", "Action", "champ:2-1\\/orientation\\/1", "000 L26-L26")
    assert rows[6]["parent"] == "engagement:1"  # a projet emblématique hangs under its engagement


def test_champs_and_projects_of_an_engagement(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "engagement-champs-projets")
    assert [(r["type"], r["element"], r["sources"]) for r in rows] == [
        ("champ d'intervention", "champ:2-1", "000 L22-L22"),
        ("champ d'intervention", "champ:2-2", "000 L23-L24"),
        ("projet emblématique", "projet:projet-b", "000 L27-L28")]
    assert col(answer(fixture_store, "engagement-champs-projets", engagement="engagement/1"), "element") == [
        "champ:1-1", "champ:1-2", "projet:projet-a"]


# --- Coverage -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "expected"), [
    (DEFAULT_PERIOD, ["champ:1-1", "champ:2-2", "champ:3-1"]),
    ({"debut": "2025-01-01", "fin": "2025-12-31"},
     ["engagement:1", "champ:1-1", "champ:1-2", "champ:2-1", "champ:2-2", "champ:3-1"]),
    # a tag on champ 2-1 also serves engagement 2
    ({"debut": "2027-01-01", "fin": "2027-12-31"},
     ["engagement:1", "engagement:3", "champ:1-1", "champ:1-2", "champ:2-2", "champ:3-1"]),
])
def test_referentiel_without_deliberation(fixture_store: ox.Store, period: dict[str, str], expected: list[str]) -> None:
    rows = answer(fixture_store, "referentiel-sans-deliberation", **period)
    assert col(rows, "element") == expected
    assert {(r["debut"], r["fin"]) for r in rows} == {(period["debut"], period["fin"])}


@pytest.mark.parametrize(("fondement", "expected"), [
    ("tous", ["engagement:3", "champ:1-2", "champ:2-2", "champ:3-1"]),
    ("explicite", ["engagement:2", "engagement:3", "champ:1-2", "champ:2-1", "champ:2-2", "champ:3-1"]),
    ("propose", ["engagement:3", "champ:1-2", "champ:2-2", "champ:3-1"]),
])
def test_referentiel_without_contract_element(fixture_store: ox.Store, fondement: str, expected: list[str]) -> None:
    assert col(answer(fixture_store, "referentiel-sans-element-contrat", fondement=fondement), "element") == expected


def test_referentiel_without_project(fixture_store: ox.Store) -> None:
    assert col(answer(fixture_store, "referentiel-sans-projet"), "element") == [
        "engagement:3", "champ:1-2", "champ:2-1", "champ:3-1"]


def test_projets_emblematiques_without_deliberation(fixture_store: ox.Store) -> None:
    assert col(answer(fixture_store, "projets-emblematiques-sans-deliberation"), "projet") == ["projet:projet-a"]
    later = answer(fixture_store, "projets-emblematiques-sans-deliberation", debut="2026-01-01", fin="2044-12-31")
    assert col(later, "projet") == ["projet:projet-a", "projet:projet-b"]


# --- Attachment -----------------------------------------------------------------------------------------------

def test_deliberations_attached_to_no_engagement(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "deliberations-sans-engagement")
    assert [(r["deliberation"], r["situation"], r["justification"]) for r in rows] == [
        ("deliberation:200042190\\/D5", "sans étiquette", ""),
        ("deliberation:200042190\\/D6", "aucun engagement", "Élection du bureau.")]


@pytest.mark.parametrize(("seuil", "expected"), [
    ("0.5", ["deliberation:200042190\\/D3"]),
    ("0.65", ["deliberation:200042190\\/D3", "deliberation:200042190\\/D8"]),
    ("0.3", []),
])
def test_model_only_tags_below_a_score(fixture_store: ox.Store, seuil: str, expected: list[str]) -> None:
    """Human-reviewed deliberations (D2, D7, D9) never appear; the superseded model tag of D1 (0.99) is ignored."""
    rows = answer(fixture_store, "etiquettes-modele-score-faible", seuil=seuil)
    assert col(rows, "deliberation") == expected


def test_model_versus_human_disagreements(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "desaccords-modele-humain")
    assert {(r["deliberation"][-2:], r["etiquette"], r["ecart"], r["score"], r["relecteur"]) for r in rows} == {
        ("D2", "champ:2-1", "proposé par le modèle, écarté", "0.8", "personne:alice"),
        ("D2", "engagement:1", "ajouté par la revue humaine", "", "personne:alice"),
        ("D2", "champ:1-2", "ajouté par la revue humaine", "", "personne:alice"),
        # D9: Alice accepted engagement 2, then Bob (later) corrected to engagement 3: Bob's decision is current
        ("D9", "engagement:2", "proposé par le modèle, écarté", "0.55", "personne:bob"),
        ("D9", "engagement:3", "ajouté par la revue humaine", "", "personne:bob"),
    }  # D7: the person accepted the model's engagement 3, no disagreement


# --- Allocation -----------------------------------------------------------------------------------------------

def test_allocation_by_engagement(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "repartition-par-engagement")
    # D2 cites 5000 and 2000: its largest amount counts; D9 has no amount
    assert [(r["engagement"], r["deliberations"], r["montant_total"], r["montants_connus"]) for r in rows] == [
        ("engagement:1", "2", "15000", "2"), ("engagement:2", "2", "9000", "2"),
        ("engagement:3", "2", "1000", "1")]


def test_allocation_by_champ(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "repartition-par-champ")
    assert [(r["champ"], r["deliberations"], r["montant_total"]) for r in rows] == [
        ("champ:1-1", "0", "0"), ("champ:1-2", "1", "5000"), ("champ:2-1", "1", "7000"),
        ("champ:2-2", "0", "0"), ("champ:3-1", "0", "0")]


def test_allocation_by_year(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "repartition-par-annee")
    assert [(r["annee"], r["engagement"], r["deliberations"], r["montant_total"]) for r in rows] == [
        ("2024", "engagement:1", "2", "15000"), ("2024", "engagement:3", "1", "0"),
        ("2025", "engagement:2", "1", "2000"), ("2025", "engagement:3", "1", "1000"),
        ("2027", "engagement:2", "1", "7000")]


def test_allocation_by_commune(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "repartition-par-commune")
    assert [(r["nom"], r["engagement"], r["deliberations"], r["montant_total"]) for r in rows] == [
        ("Aville", "engagement:1", "1", "10000"), ("Bville", "engagement:1", "1", "5000"),
        ("Bville", "engagement:2", "1", "7000"), ("Cville", "engagement:2", "1", "2000"),
        ("Cville", "engagement:3", "1", "0"), ("Dville", "engagement:3", "1", "1000")]
    # D4 (2023, Aville) falls outside the default period; with 2023 included it counts
    wider = answer(fixture_store, "repartition-par-commune", debut="2023-01-01", fin="2044-12-31")
    assert wider[0]["deliberations"] == "2"


# --- Equity ---------------------------------------------------------------------------------------------------

def test_equity_of_engagement_1_by_commune(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "equite-engagement-1-par-commune")
    keys = ("nom", "population", "qpv", "population_qpv", "poches", "veille_active", "idh", "deliberations",
            "montant_total", "deliberations_pour_1000_hab")
    assert [tuple(r[k] for k in keys) for r in rows] == [
        ("Aville", "1000", "1", "400", "0", "true", "", "1", "10000", "1"),
        ("Cville", "3000", "1", "900", "0", "false", "", "0", "0", "0"),
        ("Dville", "500", "0", "0", "1", "false", "", "0", "0", "0"),
        ("Bville", "2000", "0", "0", "0", "true", "0.62", "1", "5000", "0.5")]
    e3 = answer(fixture_store, "equite-engagement-1-par-commune", engagement="engagement/3")
    assert {r["nom"]: r["deliberations"] for r in e3} == {"Aville": "0", "Bville": "0", "Cville": "1", "Dville": "1"}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [("Cville", {"QPV"}), ("Dville", {"poche de pauvreté"})]),
    ({"perimetre": "qpv"}, [("Cville", {"QPV"})]),
    ({"debut": "2025-01-01", "fin": "2025-12-31"},
     [("Aville", {"QPV"}), ("Cville", {"QPV"}), ("Dville", {"poche de pauvreté"})]),
    ({"perimetre": "qpv-poches-veille", "debut": "2025-01-01", "fin": "2025-12-31"},
     [("Aville", {"QPV", "veille active"}), ("Bville", {"veille active"}), ("Cville", {"QPV"}),
      ("Dville", {"poche de pauvreté"})]),
])
def test_priority_communes_without_engagement_1(fixture_store: ox.Store, params: dict[str, str],
                                                 expected: list[tuple[str, set[str]]]) -> None:
    rows = answer(fixture_store, "communes-prioritaires-sans-engagement-1", **params)
    assert [(r["nom"], split(r["geographies"])) for r in rows] == expected


# --- Contracts ------------------------------------------------------------------------------------------------

def test_contract_elements_serving_no_engagement(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "elements-contrat-sans-engagement")
    assert [(r["element"], r["raison"]) for r in rows] == [
        ("contrat:crte-valenciennois\\/orientation\\/1-2", "Fonctionnement du contrat."),
        ("contrat:crte-valenciennois\\/projet\\/p2", "Projet de Valenciennes Métropole."),
        ("contrat:pcaet\\/axe\\/2", "")]
    with_instruments = answer(fixture_store, "elements-contrat-sans-engagement", dispositifs="true")
    assert "dispositif:dsil" in col(with_instruments, "element") and len(with_instruments) == 4


def test_champs_no_contract_covers(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "champs-sans-contrat")
    assert [(r["champ"], split(r["contrats_engagement"])) for r in rows] == [
        ("champ:1-2", {"Contrat Quartiers 2030"}), ("champ:2-2", {"CRTE", "PCAET"}), ("champ:3-1", set())]
    explicit = answer(fixture_store, "champs-sans-contrat", fondement="explicite")
    assert [(r["champ"], r["contrats_engagement"]) for r in explicit] == [
        ("champ:1-2", "Contrat Quartiers 2030"), ("champ:2-1", ""), ("champ:2-2", ""), ("champ:3-1", "")]


def test_explicit_and_proposed_links(fixture_store: ox.Store) -> None:
    assert len(answer(fixture_store, "liens-explicites-proposes")) == 8
    explicit = answer(fixture_store, "liens-explicites-proposes", fondement="explicite")
    assert [(r["cible"], r["base"], r["preuve"], r["sources"]) for r in explicit] == [
        ("champ:1-1", "explicite", "C4", "003 L32-L32"), ("engagement:1", "explicite", "C3", "003 L30-L31")]
    proposed = answer(fixture_store, "liens-explicites-proposes", fondement="propose")
    assert len(proposed) == 6 and {r["base"] for r in proposed} == {"propose"}
    assert {r["preuve"] for r in proposed} == {"J1", "J2", "J5", "J6", "J7", "J8"}


def test_links_summary_per_contract(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "synthese-liens-par-contrat")
    assert [(r["contrat"], r["elements"], r["elements_relies"], r["liens_explicites"], r["liens_proposes"],
             r["elements_sans_lien"]) for r in rows] == [
        ("contrat:crte-valenciennois", "6", "4", "0", "4", "2"),
        ("contrat:contrat-quartiers-2030", "1", "1", "2", "0", "0"),
        ("contrat:pcaet", "3", "2", "0", "2", "1")]


def test_caph_projects_of_the_crte_with_funders_and_amounts(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "projets-caph-crte-financeurs")
    assert [(r["projet"][-2:], r["porteur"], r["communes"], r["cout"], r["financeur"], r["dispositif"], r["montant"])
            for r in rows] == [
        ("p1", "epci:200042190", "Aville", "100000", "organisation:etat", "dispositif:dsil", "30000"),
        ("p1", "epci:200042190", "Aville", "100000", "organisation:region-hauts-de-france", "", "20000"),
        ("p3", "la commune de Cville", "", "", "organisation:ademe", "", "")]
    cavm = answer(fixture_store, "projets-caph-crte-financeurs", agglomeration="organisation/valenciennes-metropole")
    assert [(r["projet"][-2:], r["montant"]) for r in cavm] == [("p2", "50000")]


def test_funders_of_the_caph_projects_of_the_crte(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "financeurs-projets-crte")
    assert [(r["nom"], r["projets"], r["financements_chiffres"], r["montant_total"]) for r in rows] == [
        ("Etat", "1", "1", "30000"), ("Région", "1", "1", "20000"), ("ADEME", "1", "0", "0")]


def test_overlaps_between_contracts(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "chevauchements-contrats")
    assert [(r["cible"], r["nombre_contrats"], split(r["contrats"])) for r in rows] == [
        ("champ:1-1", "2", {"contrat:crte-valenciennois", "contrat:contrat-quartiers-2030"}),
        ("champ:2-1", "2", {"contrat:crte-valenciennois", "contrat:pcaet"}),
        ("engagement:2", "2", {"contrat:crte-valenciennois", "contrat:pcaet"})]
    assert answer(fixture_store, "chevauchements-contrats", fondement="explicite") == []


def test_orientations_and_programmes_serving_each_engagement(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "engagements-orientations-contrats")
    assert [(r["engagement"], r["element"], r["cible"], r["base"]) for r in rows] == [
        ("engagement:1", "contrat:contrat-quartiers-2030\\/orientation\\/1", "champ:1-1", "explicite"),
        ("engagement:1", "contrat:contrat-quartiers-2030\\/orientation\\/1", "engagement:1", "explicite"),
        ("engagement:2", "contrat:crte-valenciennois\\/orientation\\/1-1", "champ:2-1", "propose"),
        ("engagement:2", "contrat:pcaet\\/programme\\/1-1", "champ:2-1", "propose")]
    assert len(answer(fixture_store, "engagements-orientations-contrats", fondement="explicite")) == 2


# --- Time -----------------------------------------------------------------------------------------------------

def test_deliberations_outside_the_period_of_the_contract_they_cite(fixture_store: ox.Store) -> None:
    """D1 and D3 cite contracts within their periods; D8 cites the CRTE through one of its orientations."""
    rows = answer(fixture_store, "deliberations-hors-periode-contrat")
    assert [(r["deliberation"][-2:], r["contrat"], r["ecart"]) for r in rows] == [
        ("D4", "contrat:contrat-quartiers-2030", "avant le début"),
        ("D8", "contrat:crte-valenciennois", "après la fin")]


def test_periods_side_by_side(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "periodes-contrats")
    assert [(r["ressource"], r["debut"], r["fin"], r["annees_communes"]) for r in rows] == [
        ("contrat:crte-valenciennois", "2021-01-01", "2026-12-31", "3"),
        ("contrat:pcaet", "2023-01-01", "2028-12-31", "5"),
        ("contrat:contrat-quartiers-2030", "2024-01-01", "2030-12-31", "7"),
        ("id:projet-de-territoire", "2024-01-01", "2044-12-31", "21")]


# --- Data quality ---------------------------------------------------------------------------------------------

def test_recorded_findings(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "constats")
    assert col(rows, "constat") == ["constat:qpv-lacune", "constat:numeros-projets"]
    numbering = answer(fixture_store, "constats", type="numerotation")
    assert len(numbering) == 1
    assert split(numbering[0]["porte_sur"]) == {"projet:projet-a", "projet:projet-b"}
    assert split(numbering[0]["sources"]) == {"000 L14-L15", "000 L27-L28"}


def test_resources_without_provenance(fixture_store: ox.Store) -> None:
    rows = answer(fixture_store, "ressources-sans-provenance")
    assert col(rows, "ressource") == ["organisation:sans-source"]


# --- The empty case: everything covered -----------------------------------------------------------------------

@pytest.mark.parametrize(("qid", "params"), [
    ("referentiel-sans-deliberation", {}),
    ("referentiel-sans-element-contrat", {"fondement": "explicite"}),
    ("referentiel-sans-projet", {}),
    ("champs-sans-contrat", {"fondement": "explicite"}),
    ("projets-emblematiques-sans-deliberation", {}),
    ("deliberations-sans-engagement", {}),
    ("communes-prioritaires-sans-engagement-1", {"perimetre": "qpv-poches-veille"}),
])
def test_nothing_to_report_when_everything_is_covered(complete_store: ox.Store, qid: str, params: dict[str, str]) -> None:
    assert answer(complete_store, qid, **params) == []


def test_a_contract_that_serves_a_champ_itself_covers_it(fixture_store: ox.Store) -> None:
    """A crosswalk link whose contributor is the contract itself (not one of its elements) covers the champ."""
    before = {r["champ"] for r in answer(fixture_store, "champs-sans-contrat", fondement="explicite")}
    assert "champ:3-1" in before
    contract = next(iter(fixture_store.query(
        "SELECT ?c WHERE { ?c a ?k . ?k rdfs:subClassOf* bsl:Contrat } LIMIT 1",
        prefixes={"bsl": "https://boussole.agglo-porteduhainaut.fr/def#",
                  "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, use_default_graph_as_union=True)))["c"]
    base = "https://boussole.agglo-porteduhainaut.fr/id/"
    bsl = "https://boussole.agglo-porteduhainaut.fr/def#"
    link, extra = ox.NamedNode(base + "contribution/test-contrat--champ-3-1"), ox.NamedNode(base + "graph/test")
    added = [ox.Quad(link, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(bsl + "Contribution"), extra),
             ox.Quad(link, ox.NamedNode(bsl + "contributeur"), contract, extra),
             ox.Quad(link, ox.NamedNode(bsl + "cible"), ox.NamedNode(base + "champ/3-1"), extra),
             ox.Quad(link, ox.NamedNode(bsl + "fondement"), ox.NamedNode(bsl + "explicite"), extra)]
    fixture_store.extend(added)
    try:
        after = {r["champ"] for r in answer(fixture_store, "champs-sans-contrat", fondement="explicite")}
    finally:
        for quad in added:
            fixture_store.remove(quad)
    assert after == before - {"champ:3-1"}


def test_equity_shows_the_idh_range_the_source_gives(graph_store: ox.Store) -> None:
    """Seed 000 gives one IDH range (0.18-0.28) for five communes; the real graph answers it for Denain."""
    rows = {r["nom"]: r["idh"] for r in answer(graph_store, "equite-engagement-1-par-commune")}
    assert rows["Denain"] == "0.18–0.28" and rows["Abscon"] == ""
