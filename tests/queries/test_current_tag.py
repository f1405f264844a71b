"""The current tag (étiquette en vigueur) on tricky cases, read by every reader Boussole has: ``ingest.review`` (one
deliberation, and all at once), the pages (``current_tags``, the review items) and the coherence questions. They all
run the one fragment (queries/fragments/etiquette-en-vigueur.rq); this checks they agree with the documented rule."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ingest import review
from ingest.reviewers import Reviewers
from kg.iris import base_iri, graph
from queries import catalogue
from tests.queries.conftest import load_fixture
from web.deliberations import current_tags, review_items

NAMES = Reviewers()   # the reviewers' names of these in-memory stores

PREFIXES = """@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> . @prefix oa: <http://www.w3.org/ns/oa#> .
@prefix prov: <http://www.w3.org/ns/prov#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix eli: <http://data.europa.eu/eli/ontology#> .
"""
CASES = {
    # two model versions: the newer one marked the older's proposals « remplace »
    "T1": [("v1", "engagement/2", "2025-01-01T00:00:00Z", "remplace"),
           ("v2", "engagement/1", "2025-06-01T00:00:00Z", "propose")],
    # two model versions, neither superseded: every proposal not « remplace » stands (the documented rule; the
    # former Python version kept the latest agent's only — ingest marks the older ones, tests/ingest)
    "T2": [("v1", "engagement/2", "2025-01-01T00:00:00Z", "propose"),
           ("v2", "engagement/3", "2025-06-01T00:00:00Z", "propose")],
    # a decision undone: the model's proposal is current again
    "T3": [("v1", "engagement/1", "2025-01-01T00:00:00Z", "propose"),
           ("alice", "engagement/2", "2025-09-01T10:00:00Z", "remplace")],
    # a later decision undone: the earlier one stands
    "T4": [("v1", "engagement/1", "2025-01-01T00:00:00Z", "propose"),
           ("alice", "engagement/1", "2025-09-01T10:00:00Z", "accepte"),
           ("bob", "engagement/3", "2025-09-02T10:00:00Z", "remplace")],
    # two decisions in the same second: the microseconds decide
    "T5": [("v1", "engagement/1", "2025-01-01T00:00:00Z", "propose"),
           ("alice", "engagement/2", "2025-09-01T10:00:00.100000Z", "corrige"),
           ("bob", "engagement/3", "2025-09-01T10:00:00.200000Z", "corrige")],
    # times compare as instants, not as text: 12:00+02:00 is 10:00Z, before bob's 10:30Z
    "T6": [("alice", "engagement/1", "2025-09-01T12:00:00+02:00", "corrige"),
           ("bob", "engagement/2", "2025-09-01T10:30:00Z", "corrige")],
    # a decision superseded by a later person's: the later one, all of its tags
    "T7": [("v1", "engagement/2", "2025-01-01T00:00:00Z", "propose"),
           ("alice", "engagement/2", "2025-09-01T10:00:00Z", "accepte"),
           ("bob", "engagement/3", "2025-09-02T10:00:00Z", "corrige"),
           ("bob", "champ/3-1", "2025-09-02T10:00:00Z", "corrige")],
    # nothing
    "T8": [],
}
EXPECTED = {
    "T1": ("modele", {"engagement/1"}), "T2": ("modele", {"engagement/2", "engagement/3"}),
    "T3": ("modele", {"engagement/1"}), "T4": ("humain", {"engagement/1"}), "T5": ("humain", {"engagement/3"}),
    "T6": ("humain", {"engagement/2"}), "T7": ("humain", {"engagement/3", "champ/3-1"}), "T8": ("aucune", set()),
}
AGENTS = {"v1": ("agent/modele-v1", "SoftwareAgent"), "v2": ("agent/modele-v2", "SoftwareAgent"),
          "alice": ("personne/alice", "Person"), "bob": ("personne/bob", "Person")}


def _iri(case: str) -> str:
    return f"{base_iri()}deliberation/200042190/{case}"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = load_fixture("base")
    delibs = "".join(f'<deliberation/200042190/{c}> a bsl:Deliberation ; eli:title "Cas {c}"@fr ; '
                     f'eli:date_document "2025-03-0{i + 1}"^^xsd:date .\n' for i, c in enumerate(CASES))
    anns = "".join(f"<{path}> a prov:{kind} .\n" for path, kind in AGENTS.values())
    for case, tags in CASES.items():
        for k, (agent, body, when, statut) in enumerate(tags):
            anns += (f'<annotation/{case}-{k}> a oa:Annotation ; oa:hasTarget <deliberation/200042190/{case}> ; '
                     f'oa:hasBody <{body}> ; prov:wasAttributedTo <{AGENTS[agent][0]}> ; '
                     f'prov:generatedAtTime "{when}"^^xsd:dateTime ; bsl:statutRevue "{statut}" ; bsl:score 0.4 .\n')
    for text, name in ((delibs, "deliberations"), (anns, "annotations")):
        s.extend(ox.Quad(t.subject, t.predicate, t.object, graph(name))
                 for t in ox.parse(PREFIXES + text, format=ox.RdfFormat.TURTLE, base_iri=base_iri()))
    return s


def _rel(iri: str) -> str:
    return iri[len(base_iri()):]


@pytest.mark.parametrize("case", sorted(CASES))
def test_ingest_review_reads_the_rule(store: ox.Store, case: str) -> None:
    cur = review.current(store, _iri(case))
    assert (cur.source, {a.body for a in cur.annotations}) == EXPECTED[case]
    bulk = review.current_from(_iri(case), review.annotations_of(store).get(_iri(case), []))
    assert bulk == cur


def test_one_deliberation_is_read_from_its_own_annotations_with_their_evidence(store: ox.Store) -> None:
    """ingest.review reads one deliberation on a copy of its annotations (the rule's data): their evidence nodes
    (blank nodes) and a reviewer's justification come along, and nothing of another deliberation does."""
    scratch = ox.Store()
    scratch.extend(store)
    ann, cue, g = ox.NamedNode(f"{base_iri()}annotation/T7-2"), ox.BlankNode(), graph("annotations")
    bsl = "https://boussole.agglo-porteduhainaut.fr/def#"
    scratch.extend([ox.Quad(ann, ox.NamedNode(bsl + "indice"), cue, g),
                    ox.Quad(cue, ox.NamedNode(bsl + "natureIndice"), ox.NamedNode(bsl + "indiceThematique"), g),
                    ox.Quad(cue, ox.NamedNode(bsl + "rang"), ox.Literal("0", datatype=ox.NamedNode(
                        "http://www.w3.org/2001/XMLSchema#integer")), g),
                    ox.Quad(cue, ox.NamedNode(bsl + "mots"), ox.Literal("voirie"), g),
                    ox.Quad(ann, ox.NamedNode(bsl + "justification"), ox.Literal("vu en commission"), g)])
    one = review.annotations_of(scratch, _iri("T7"))
    assert list(one) == [_iri("T7")]
    assert one[_iri("T7")] == review.annotations_of(scratch)[_iri("T7")]
    mine = next(a for a in one[_iri("T7")] if a.iri == ann.value)
    assert ([c.mots for c in mine.cues], mine.justification, mine.current) == (["voirie"], "vu en commission", True)


def test_the_pages_read_the_same_rule(store: ox.Store) -> None:
    rows = [r for r in current_tags(store) if r["d"].rsplit("/", 1)[-1] in CASES]
    found: dict[str, tuple[str, set[str]]] = {}
    for r in rows:
        source, bodies = found.get(r["d"].rsplit("/", 1)[-1], ("aucune", set()))
        if r["corps"] is not None:
            source, bodies = ("humain" if r["humain"] else "modele"), bodies | {_rel(r["corps"])}
        found[r["d"].rsplit("/", 1)[-1]] = (source, bodies)
    assert found == EXPECTED
    items = {i["iri"].rsplit("/", 1)[-1]: i for i in review_items(store) if i["iri"].rsplit("/", 1)[-1] in CASES}
    assert {c: ("humain" if i["reviewed"] else "modele" if i["current"] else "aucune",
                {_rel(t["corps_iri"]) for t in i["current"]}) for c, i in items.items()} == EXPECTED


def test_the_questions_read_the_same_rule(store: ox.Store) -> None:
    queue = {r["deliberation"].value for r in catalogue.run(store, "file-de-revue", {"seuil": "1.0"})}
    assert {c for c in CASES if _iri(c) in queue} == {c for c, (source, _) in EXPECTED.items() if source != "humain"}
    low = {r["deliberation"].value for r in catalogue.run(store, "etiquettes-modele-score-faible", {"seuil": "0.5"})}
    assert {c for c in CASES if _iri(c) in low} == {c for c, (source, _) in EXPECTED.items() if source == "modele"}
    untagged = {r["deliberation"].value for r in catalogue.run(store, "deliberations-sans-engagement", {})}
    assert {c for c in CASES if _iri(c) in untagged} == {"T8"}
    by_engagement = {(r["engagement"].value, r["annee"].value): int(r["deliberations"].value)
                     for r in catalogue.run(store, "repartition-par-annee", {"debut": "2025-03-01",
                                                                             "fin": "2025-03-31"})
                     if r["engagement"] is not None}
    counts = {f"engagement/{e}": sum(1 for _, (_, bodies) in EXPECTED.items()
                                     if f"engagement/{e}" in bodies or any(b.startswith(f"champ/{e}-") for b in bodies))
              for e in (1, 2, 3)}
    assert {_rel(e): n for (e, _), n in by_engagement.items()} == {e: n for e, n in counts.items() if n}


def test_an_undo_logs_the_tag_the_rule_gives_after_it(store: ox.Store) -> None:
    """undo writes its log entry (« avant → après ») in its own transaction: the « après » is the rule's answer."""
    scratch = ox.Store()
    scratch.extend(store)
    after = review.undo(scratch, _iri("T7"), "Camille Martin", reviewers=NAMES)
    assert (after.source, {a.body for a in after.annotations}) == ("humain", {"engagement/2"})   # alice's again
    assert review.current(scratch, _iri("T7")) == after
    assert review.decision_log(scratch, _iri("T7"))[0]["avant_apres"] == (
        "engagements 3 ; champs 3-1 (humain) → engagements 2 (humain)")
