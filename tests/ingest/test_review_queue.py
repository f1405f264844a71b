"""The review queue (one definition: queries/file-de-revue.rq) and the decisions: logged, undoable, never merged."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ingest import review
from ingest.readers import iter_inputs
from ingest.reviewers import Reviewers, with_names
from kg.errors import BoussoleError
from kg.iris import graph
from queries.review_queue import default_threshold, pending, pending_rows

NAMES = Reviewers()   # the reviewers' names of these in-memory stores


@pytest.fixture()
def sample(ingester, data_dir):
    ingester.ingest(iter_inputs([data_dir / "scdl-sample.csv"]))
    return ingester.store


def _annotations(store: ox.Store) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/ns/oa#hasTarget"), None,
                                                  graph("annotations")))


def _confidence(store: ox.Store) -> dict[str, float | None]:
    """An independent reading of the rule: the lowest score of the model's engagement (or « aucun ») proposals."""
    anns = review.annotations_of(store)
    out = {}
    for d in review.deliberations(store):
        cur = review.current_from(d, anns.get(d, []))
        scores = [a.score for a in cur.annotations if a.body.startswith("engagement/") or a.body == "aucun"]
        out[d] = min(scores) if scores else None
    return out


def test_the_queue_is_the_undecided_proposals_below_the_threshold(sample):
    confidence = _confidence(sample)
    cut = sorted(c for c in confidence.values() if c is not None)[len(confidence) // 2]
    rows = pending_rows(sample, cut)
    assert {r["deliberation"] for r in rows} == {d for d, c in confidence.items() if c is None or c < cut}
    assert 0 < len(rows) < len(confidence)
    confidences = [r["confiance"] for r in rows]
    assert confidences == sorted(confidences)       # most doubtful first
    assert pending_rows(sample, 0.0) == []
    assert 0 < default_threshold() < 1
    with pytest.raises(BoussoleError):
        pending_rows(sample, 1.5)


def test_decide_leaves_the_queue_and_undo_brings_it_back(sample):
    ref = "2024-012"
    d = review.resolve(sample, ref)
    assert d in {i["deliberation"] for i in pending(sample, 1.0)}
    review.accept(sample, ref, "Camille Martin", reviewers=NAMES)
    assert d not in {i["deliberation"] for i in pending(sample, 1.0)}
    after = review.undo(sample, ref, "Camille Martin", reviewers=NAMES)
    assert after.source == "modele"
    assert d in {i["deliberation"] for i in pending(sample, 1.0)}
    with pytest.raises(BoussoleError, match="aucune décision humaine"):
        review.undo(sample, ref, "Camille Martin", reviewers=NAMES)


def test_two_decisions_in_the_same_second_stay_two(sample):
    ref = "2024-015"
    n = _annotations(sample)
    first = review.correct(sample, ref, engagements=["1"], champs=[], reason="premier avis", author="Léa",
                           now="2025-01-10T09:00:00Z", reviewers=NAMES)
    second = review.correct(sample, ref, engagements=["1"], champs=[], reason="même avis, autre décision",
                            author="Léa", now="2025-01-10T09:00:00.5Z", reviewers=NAMES)
    assert _annotations(sample) == n + 2            # two annotations, not one with two statuses
    assert [a.iri for a in first.annotations] != [a.iri for a in second.annotations]
    assert [a.justification for a in review.current(sample, ref).annotations] == ["même avis, autre décision"]
    # undo the second: the first is current again
    assert [a.justification for a in review.undo(sample, ref, "Léa", reviewers=NAMES).annotations] == ["premier avis"]


def test_every_decision_is_logged_with_who_when_before_and_after(sample):
    ref = "2024-078"
    review.accept(sample, ref, "Camille Martin", reviewers=NAMES)
    review.correct(sample, ref, engagements=["3"], champs=["3-1"], reason="plan de sauvegarde", author="Léa Dupont",
                   reviewers=NAMES)
    review.undo(sample, ref, "Léa Dupont", reviewers=NAMES)
    log = review.decision_log(sample, ref)
    assert [e["action"] for e in log] == ["annule", "corrige", "accepte"]
    assert [e["auteur"] for e in with_names(log, NAMES)] == ["Léa Dupont", "Léa Dupont", "Camille Martin"]
    assert log[0]["auteur"] == log[1]["auteur"] != log[2]["auteur"]   # the store: one stable pseudonym per person
    assert all(e["auteur"].startswith("Relecteur ") for e in log)
    assert log[0]["quand"] > log[1]["quand"] > log[2]["quand"]
    assert "(modèle) →" in log[2]["avant_apres"] and log[2]["avant_apres"].endswith("(humain)")
    assert "engagements 3 ; champs 3-1 (humain)" in log[1]["avant_apres"].split("→")[1]
    assert log[0]["avant_apres"].startswith("engagements 3 ; champs 3-1 (humain) →")


def test_a_correction_refuses_none_with_an_engagement(sample):
    with pytest.raises(BoussoleError, match="exclut"):
        review.correct(sample, "2024-012", engagements=["none", "2"], champs=[], reason="x", author="Léa",
                       reviewers=NAMES)
    with pytest.raises(BoussoleError, match="exclut"):
        review.correct(sample, "2024-012", engagements=["none"], champs=["2-4"], reason="x", author="Léa",
                       reviewers=NAMES)
    assert review.current(sample, "2024-012").source == "modele"     # nothing written


def test_the_service_and_the_question_default_to_the_same_threshold():
    from api.settings import Settings

    assert Settings().review_threshold == default_threshold()
