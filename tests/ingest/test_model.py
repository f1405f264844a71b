"""The learned tagger (docs/tagging.md § 13): the client's convention, short objets, probabilities as scores,
human-readable evidence, strict and lenient evaluation, learning from the staff's decisions."""

from __future__ import annotations

import csv

import pytest

from ingest import TAGGER_VERSION
from ingest.evaluate import Example, evaluate, load_labelled, metrics
from ingest.evidence import THEME, describe
from ingest.model import LearnedTagger
from ingest.pipeline import records_from_json
from ingest.readers.documents import read_document
from ingest.records import Deliberation


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def tag(ingester, objet, texte=""):
    [(_, _, result)] = list(ingester.analyse([Deliberation(objet=objet, texte=texte)]))
    return result


def test_the_ingester_tags_with_the_learned_model(session_ingester):
    assert isinstance(session_ingester.tagger, LearnedTagger)
    assert session_ingester.agent.startswith(f"agent/boussole-tagger-{TAGGER_VERSION}")


@pytest.mark.parametrize("word", ["Cimetière", "Convention CLAS", "B24.118-ECO-Zone_Nord_avenant2"])
def test_a_one_word_objet_saved_as_a_file_gets_a_proposal(tmp_path, session_ingester, word):
    f = tmp_path / "objet.txt"
    f.write_text(word + "\n", encoding="utf-8")
    item = read_document(f)
    assert item.ok, item.reason
    assert item.record.objet == word
    [(_, _, r)] = list(session_ingester.analyse([item.record]))
    assert r.annotations and all(0.0 <= t.score <= 1.0 for t in r.annotations)


def test_an_empty_file_is_still_refused(tmp_path):
    f = tmp_path / "vide.txt"
    f.write_text("  \n\n", encoding="utf-8")
    assert not read_document(f).ok and "aucun texte exploitable" in read_document(f).reason


@pytest.mark.parametrize("objet,champ", [
    # « label the theme, not the form » (the CAPH's guide)
    ("Rapport annuel sur le prix et la qualité du service public d'eau potable 2024", "2-6"),
    ("Fixation des tarifs de la médiathèque intercommunale", "1-5"),
    ("Aménagement d'une piste cyclable entre deux communes", "2-4"),
])
def test_the_guide_convention(session_ingester, objet, champ):
    assert tag(session_ingester, objet).champ_keys[:1] == [champ]


@pytest.mark.parametrize("objet", [
    "Élection du président du conseil communautaire",
    "Budget primitif 2025 – budget principal",
    "Désignation des délégués au syndicat mixte du SAGE",
])
def test_institutional_functioning_serves_no_engagement(session_ingester, objet):
    r = tag(session_ingester, objet)
    assert r.aucun is not None and r.engagements == [] and r.aucun.justification


def test_scores_are_probabilities_and_evidence_is_readable(session_ingester):
    for objet in ["Aménagement d'une piste cyclable et d'une voie verte", "Subvention à l'épicerie solidaire",
                  "Vote des taux de fiscalité 2025", "Convention CLAS"]:
        r = tag(session_ingester, objet)
        total = sum(t.score for t in r.engagements) + (r.aucun.score if r.aucun else 0.0)
        assert 0.0 < total <= 1.001, objet          # engagements and « none » share one distribution
        assert all(0.0 <= t.score <= 1.0 for t in r.annotations)
    r = tag(session_ingester, "Aménagement d'une piste cyclable et d'une voie verte")
    assert r.champ_keys[0] == "2-4" and "champ/2-4" in r.champs[0].ressources
    assert any(c.nature == THEME and c.mots for c in r.champs[0].cues)
    assert describe(r.champs[0].cues).startswith("mots : « ")


def test_strict_and_lenient_scores_and_sources():
    ex = [Example("a", "", "", {"none"}, [], [("2", "2-1")], source="commune"),
          Example("b", "", "", {"1"}, ["1-4"], [], source="commune"),
          Example("c", "", "", {"2"}, ["2-2"], [("2", "2-6")], source="syndicat")]
    m = metrics(ex, [{"2"}, {"1"}, {"2"}], ["2-1", "1-4", "2-6"])
    assert m["primary_engagement"] == {"strict": pytest.approx(2 / 3), "lenient": 1.0}
    assert m["primary_champ"] == {"strict": pytest.approx(1 / 3), "lenient": 1.0}
    m = metrics(ex, [{"none"}, {"none"}, {"2"}], ["none", "none", "2-2"])
    assert m["none_precision"]["strict"] == 0.5 and m["none_precision"]["predicted"] == 2


def test_eval_reads_the_corpus_shape_and_breaks_down_by_source(tmp_path, session_ingester):
    (tmp_path / "textes").mkdir()
    (tmp_path / "textes" / "x3.txt").write_text(
        "Objet : Programme local de l'habitat 2025-2030\n\nLe conseil approuve le PLH.", encoding="utf-8")
    write_csv(tmp_path / "items.csv", ["id", "source", "collectivite", "objet", "file", "split"], [
        ["x1", "commune", "Ville A", "ELECTION DU MAIRE", "", "dev"],
        ["x2", "syndicat", "SIVOM", "Piste cyclable rue X - travaux", "", "dev"],
        ["x3", "epci", "CC B", "Programme local de l'habitat", "textes/x3.txt", "dev"],
        ["x4", "epci", "CC B", "Cimetiere", "", "blind"]])
    label_columns = ["id", "engagements", "primary_champ", "confidence", "alternatives", "rationale"]
    write_csv(tmp_path / "labels.csv", label_columns, [
        ["x1", "none", "none", "high", "", ""], ["x2", "2", "2.4", "high", "", ""], ["x3", "1", "1.2", "high", "", ""],
        ["x4", "none", "none", "low", "1:1.1", ""]])
    dev = load_labelled(tmp_path / "labels.csv", split="dev")
    assert [e.id for e in dev] == ["x1", "x2", "x3"] and dev[1].primary == "2-4" and "PLH" in dev[2].texte
    report = evaluate(tmp_path / "labels.csv", split="dev", ingester=session_ingester)
    assert set(report["by_source"]) == {"commune", "syndicat", "epci"}
    assert report["method"]["n"] == 3 and report["method"]["primary_engagement"]["lenient"] >= 2 / 3


def test_staff_decisions_are_training_data_and_retraining_learns_them(ingester, tmp_path):
    """Corrections of objets the vocabulary cannot know (an invented project name) teach the model."""
    from ingest.review import correct
    from ingest.reviewers import Reviewers
    from ingest.training import model_for, staff_examples, train

    objets = [f"Projet Zorglub – tranche {n}" for n in range(1, 7)]
    summary = ingester.ingest(records_from_json([{"objet": o} for o in objets]))
    before = tag(ingester, "Projet Zorglub – tranche 9")
    for iri in summary.iris:
        correct(ingester.store, iri, engagements=["2"], champs=["2-7"], reason="Projet alimentaire", author="Camille",
                reviewers=Reviewers())
    staff = staff_examples(ingester.store)
    assert len(staff) == 6 and all(e.primary == "2-7" and e.weight > 1 for e in staff)
    path = tmp_path / "model.joblib"
    model = train(ingester.store, path, staff_weight=5.0)
    assert model.version.startswith(TAGGER_VERSION + "+staff6.") and model.trained_on["staff_decisions"] == 6
    ingester.use_model(model_for(path))
    after = tag(ingester, "Projet Zorglub – tranche 9")
    assert after.champ_keys[:1] == ["2-7"] and before.champ_keys[:1] != ["2-7"]
    assert ingester.agent == f"agent/boussole-tagger-{model.version}"
