"""The general rules of the tagger (docs/tagging.md § 4): act first, role of words, homonyms, co-tagging, second
champs, doubts sent to review. Objects written for these tests, in the wording of any French collectivité."""

from __future__ import annotations

import pytest

from ingest.acts import rules
from ingest.evidence import ACT, ONE_CUE, THEME_COMPETES, describe


def tag(ingester, objet, texte=""):
    """The rules' proposal alone (the learned model reads it as features, tests/ingest/test_model.py)."""
    from ingest.pipeline import Deliberation

    [(_, _, result)] = list(ingester.analyse([Deliberation(objet=objet, texte=texte)], rules_only=True))
    return result


# --- 1. the act first ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("objet,act", [
    ("Fixation des tarifs de l'ALSH", "tarifs"),
    ("Instauration de la taxe d'aménagement", "taxes"),
    ("Dénomination du nouveau gymnase", "denomination"),
    ("Avenant n°2 au marché de travaux de la médiathèque", "commande"),
    ("Cession de la parcelle cadastrée section B n°12", "patrimoine"),
    ("Création d'un poste d'adjoint technique", "personnel"),
    ("Rapport annuel sur le prix et la qualité du service de l'eau", "rapports"),
    ("Création d'un marché hebdomadaire place de la Mairie", None),       # a market, not procurement
    ("Aménagement d'une piste cyclable", None),
])
def test_the_act_is_read_at_the_head_of_the_object(objet, act):
    found = rules().find_act(objet)
    assert (found.type.key if found else None) == act


@pytest.mark.parametrize("objet", [
    "Fixation des tarifs de location des salles municipales",
    "Instauration de la taxe de séjour au réel",
    "Dénomination du complexe sportif",
    "Cession d'une parcelle cadastrée section AC n°77 sise rue de l'École à un particulier",
    "Création d'un poste d'adjoint administratif",
    "Rapport d'activité 2024 de la communauté d'agglomération",
    "Adhésion au contrat d'assurance statutaire du centre de gestion",
])
def test_institutional_acts_without_a_thematic_object_serve_no_engagement(session_ingester, objet):
    r = tag(session_ingester, objet)
    assert r.engagement_numbers == [] and r.aucun is not None
    assert r.aucun.cues[0].nature == ACT and r.aucun.cues[0].regle and r.aucun.justification
    assert describe(r.aucun.cues).startswith(f"acte : {r.aucun.cues[0].regle}")


@pytest.mark.parametrize("objet,champ", [
    # the CAPH's guide: « label the theme, not the form » (tariffs, contributions, reports, statutes, posts)
    ("Fixation des tarifs de l'ALSH", "1-3"),
    ("Fixation des tarifs de la piscine communautaire pour la saison 2025", "3-5"),
    ("Contribution financière 2025 au syndicat mixte des transports", "2-4"),
    ("Recrutement d'un animateur périscolaire contractuel", "1-3"),
    ("Modification des statuts – transfert de la compétence eau potable", "2-6"),
    ("Rapport annuel sur le prix et la qualité du service public d'eau potable", "2-6"),
])
def test_an_act_with_a_thematic_object_takes_its_theme(session_ingester, objet, champ):
    r = tag(session_ingester, objet)
    assert r.aucun is None and r.champ_keys[0] == champ


@pytest.mark.parametrize("objet,champ", [
    ("Mise en place d'une tarification sociale de la cantine selon le quotient familial", "1-4"),
    ("Instauration de la taxe d'enlèvement des ordures ménagères incitative", "2-6"),
    ("Cession d'une parcelle cadastrée au bailleur social en vue de la construction de logements sociaux", "1-2"),
    ("Recrutement de deux conseillers numériques – convention de financement avec l'État", "1-4"),
])
def test_a_policy_marker_lifts_the_act_rule(session_ingester, objet, champ):
    r = tag(session_ingester, objet)
    assert r.aucun is None and champ in r.champ_keys


def test_procurement_takes_the_champ_of_its_object(session_ingester):
    r = tag(session_ingester, "Avenant n°2 au marché de travaux de la médiathèque")
    assert r.engagement_numbers == ["1"] and r.champ_keys[0] == "1-5"
    r = tag(session_ingester, "Marché de nettoyage des locaux administratifs – attribution")
    assert r.engagement_numbers == [] and r.aucun is not None


def test_membership_follows_the_body(session_ingester):
    assert tag(session_ingester, "Adhésion au Conservatoire d'espaces naturels").champ_keys == ["3-2"]
    assert tag(session_ingester, "Adhésion à la centrale d'achat régionale").aucun is not None


def test_staff_context_is_internal(session_ingester):
    r = tag(session_ingester, "Adhésion au Comité National d'Action Sociale pour le personnel communal")
    assert r.aucun is not None and "1-4" not in r.champ_keys


# --- 2. roles, street names -----------------------------------------------------------------------------------------

def test_places_and_beneficiaries_in_a_complement_do_not_add_a_champ(session_ingester):
    r = tag(session_ingester, "Rénovation énergétique de la toiture du groupe scolaire Louise Michel")
    assert r.champ_keys == ["2-3"]
    r = tag(session_ingester, "Création d'un groupe scolaire de douze classes")   # the school is the object
    assert r.champ_keys[0] == "1-3"


def test_street_names_are_not_evidence(session_ingester):
    assert rules().blank_places("Cession rue de la Gare à Arras").strip().startswith("Cession")
    assert "Gare" not in rules().blank_places("Cession rue de la Gare à Arras")
    assert "Cité" in rules().blank_places("Mise en place de la Cité éducative")


# --- 3. homonyms --------------------------------------------------------------------------------------------------

def test_longest_match_wins_and_polysemous_words_need_their_context(session_ingester):
    r = tag(session_ingester, "Restauration de l'église Saint-Martin")
    assert "2-7" not in r.champ_keys and r.champ_keys[:1] == ["3-5"]
    assert "2-7" in tag(session_ingester, "Restauration scolaire : nouveau marché de fourniture de repas").champ_keys
    assert "1-5" not in tag(session_ingester, "Convention avec le conservatoire d'espaces naturels").champ_keys
    r = tag(session_ingester, "Règlement du service public d'assainissement non collectif")
    assert r.champ_keys == ["2-6"]
    r = tag(session_ingester, "Audit de sécurité des systèmes d'information de la commune")
    assert r.champ_keys[0] == "2-5" and "1-4" not in r.champ_keys and "3-1" not in r.champ_keys


# --- 4 & 5. second champs, co-tagging -------------------------------------------------------------------------------

@pytest.mark.parametrize("objet,champs", [
    ("Subvention à l'épicerie solidaire du centre social", {"1-4", "2-7"}),
    ("Aide aux propriétaires occupants pour la rénovation énergétique – abondement MaPrimeRénov'", {"1-2", "2-3"}),
    ("Convention du programme d'actions de prévention des inondations de la Scarpe", {"3-1", "2-1"}),
])
def test_co_tagging_rules_of_the_guide(session_ingester, objet, champs):
    assert champs <= set(tag(session_ingester, objet).champ_keys)


def test_a_single_medium_cue_does_not_add_a_second_engagement(session_ingester):
    # « scolaires » (a medium 1-3 cue) alone must not add engagement 1 to an energy decision
    r = tag(session_ingester, "Plan pluriannuel de rénovation énergétique des bâtiments scolaires de la ville")
    assert r.engagement_numbers == ["2"] and r.champ_keys == ["2-3"]
    # two distinct cues are enough
    r = tag(session_ingester, "Schéma cyclable : communication et valorisation")
    assert r.champ_keys == ["2-4", "3-5"]


# --- 6. vocabulary ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("objet,champ", [
    ("Révision générale du PLU – débat sur le PADD", "2-1"),
    ("Élaboration de la carte communale", "2-1"),
    ("Subvention à l'AS Saint-Pol football pour la saison 2025-2026", "3-5"),
    ("Subvention au comité de jumelage", "3-5"),
    ("Adhésion au CSIRT régional", "2-5"),
])
def test_general_vocabulary(session_ingester, objet, champ):
    assert tag(session_ingester, objet).champ_keys[:1] == [champ]


# --- 7. doubts -------------------------------------------------------------------------------------------------------

def test_doubtful_proposals_say_so_in_their_evidence(session_ingester):
    r = tag(session_ingester, "Instauration de la taxe de séjour intercommunale")
    assert r.aucun is not None                                          # thematic evidence competes with the act
    [competing] = [c for c in r.aucun.cues if c.nature == THEME_COMPETES]
    assert competing.ressource.startswith("champ/") and competing.poids >= 1.5     # the champ and its raw score
    assert "à vérifier : indices thématiques concurrents (champ " in describe(r.aucun.cues)
    r = tag(session_ingester, "Convention relative à la circulation des poids lourds")
    assert r.champs and ONE_CUE in {c.nature for c in r.champs[0].cues if c.doubt}      # one medium cue only
    assert "à vérifier : un seul indice moyen ou faible" in describe(r.champs[0].cues)


def test_review_lists_the_doubts(ingester):
    """The queue (threshold 1: every undecided deliberation) says why each doubtful proposal deserves a look."""
    from ingest.pipeline import records_from_json
    from queries.review_queue import pending

    ingester.ingest(records_from_json([
        {"objet": "Instauration de la taxe de séjour intercommunale"},
        {"objet": "Convention relative à la circulation des poids lourds"},
        {"objet": "Aménagement d'une piste cyclable et d'une voie verte entre deux communes"},
    ]))
    listed = {i["titre"]: i["raisons"] for i in pending(ingester.store, 1.0)}
    assert any(r.startswith("indice douteux : indices thématiques concurrents") for r in listed[
        "Instauration de la taxe de séjour intercommunale"])
    assert any("un seul indice" in r for r in listed["Convention relative à la circulation des poids lourds"])
    assert not any(r.startswith("indice douteux") for r in listed[
        "Aménagement d'une piste cyclable et d'une voie verte entre deux communes"])
