"""The référentiel of the Projet de Territoire 2024-2044 (seeds 000 and 001), its territory figures and findings.

Loads the data files owned by the référentiel into an in-memory pyoxigraph Store and checks counts, structure,
provenance, and that labels are verbatim in the seed lines their provenance points to.
(`load` is a small local helper; the lead's kg.build can replace it.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://boussole.agglo-porteduhainaut.fr/id/"
FILES = sorted((ROOT / "kg/data/referentiel").glob("*.ttl")) + [
    ROOT / "kg/data/territoire/bassins-indicateurs.ttl",
    ROOT / "kg/data/constats/projet-de-territoire.ttl",
]
PREFIXES = """
PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def load(files=FILES) -> ox.Store:
    store = ox.Store()
    for f in files:
        store.load(path=str(f), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return store


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load()


def q(store: ox.Store, query: str):
    """SELECT → list of solutions; ASK → bool."""
    result = store.query(PREFIXES + query)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return list(result)


def count(store: ox.Store, query: str) -> int:
    return int(q(store, query)[0][0].value)


def iri(s: str) -> str:
    return BASE + s


# --- seed text, normalised the same way the labels were extracted -----------------------------------------------

_SEEDS: dict[str, list[str]] = {}


def seed_lines(n: str) -> list[str]:
    if n not in _SEEDS:
        path = next((ROOT / "kg/sources").glob(f"{n}_*.txt"))
        _SEEDS[n] = path.read_text(encoding="utf-8").split("\n")
    return _SEEDS[n]


def norm(s: str) -> str:
    """Whitespace-normalise; a PDF line break right after a letter+hyphen (or slash) is glued back
    (« bien-\\nêtre »)."""
    s = re.sub(r"(\w[-/])[ \t]*\n\s*", r"\1", s)
    return re.sub(r"\s+", " ", s).strip()


def excerpt(src_iri: str) -> str:
    m = re.fullmatch(re.escape(BASE) + r"source/(\d{3})#L(\d+)-L(\d+)", src_iri)
    assert m, src_iri
    n, a, b = m.group(1), int(m.group(2)), int(m.group(3))
    lines = seed_lines(n)
    assert 1 <= a <= b <= len(lines), src_iri
    return norm("\n".join(lines[a - 1 : b]))


def provenance(store: ox.Store, s: str) -> list[str]:
    return [r[0].value for r in q(store, f"SELECT ?p WHERE {{ <{s}> prov:wasDerivedFrom ?p }}")]


# --- counts -------------------------------------------------------------------------------------------------------


def test_files_parse_with_relative_iris():
    for f in FILES:
        text = f.read_text(encoding="utf-8")
        assert "https://boussole.agglo-porteduhainaut.fr/id/" not in text, f"{f} writes the absolute base"
        assert len(list(ox.parse(path=str(f), base_iri=BASE))) > 0


def test_top_counts(store):
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:Valeur }") == 6
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:Finalite }") == 1
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:Ambition }") == 2
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:Engagement }") == 3
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:ChampIntervention }") == 17
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:ProjetEmblematique }") == 9
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:ProjetDeTerritoire }") == 1


def test_champs_per_engagement(store):
    rows = q(store, "SELECT ?e (COUNT(?c) AS ?n) { ?c a bsl:ChampIntervention ; bsl:engagement ?e } GROUP BY ?e")
    got = {r[0].value: int(r[1].value) for r in rows}
    assert got == {iri("engagement/1"): 5, iri("engagement/2"): 7, iri("engagement/3"): 5}
    for e, n in ((1, 5), (2, 7), (3, 5)):
        for c in range(1, n + 1):
            assert q(store, f"ASK {{ <{iri(f'champ/{e}-{c}')}> a bsl:ChampIntervention ; bsl:rang {c} ; "
                            f"skos:broader <{iri(f'engagement/{e}')}> }}")


def test_every_champ_has_exactly_one_engagement(store):
    rows = q(store, "SELECT ?c (COUNT(DISTINCT ?e) AS ?n) "
                    "{ ?c a bsl:ChampIntervention OPTIONAL { ?c bsl:engagement ?e } } GROUP BY ?c")
    assert len(rows) == 17
    assert all(int(r[1].value) == 1 for r in rows)


def test_orientation_and_action_counts(store):
    # orientations printed under each champ in the body of 000 (2-6: « air. sols. » counted as two)
    expected = {"1-1": 4, "1-2": 3, "1-3": 3, "1-4": 6, "1-5": 4, "2-1": 3, "2-2": 5, "2-3": 2, "2-4": 4, "2-5": 4,
                "2-6": 3, "2-7": 2, "3-1": 6, "3-2": 2, "3-3": 3, "3-4": 3, "3-5": 4}
    rows = q(store, "SELECT ?c (COUNT(?o) AS ?n) { ?o a bsl:Orientation ; bsl:champ ?c } GROUP BY ?c")
    assert {r[0].value.removeprefix(BASE + "champ/"): int(r[1].value) for r in rows} == expected
    # every action hangs under an orientation of the same champ
    assert count(store, "SELECT (COUNT(?a) AS ?n) { ?a a bsl:Action }") == 94
    assert not q(store,
                 "ASK { ?a a bsl:Action ; skos:broader ?o ; bsl:champ ?c . FILTER NOT EXISTS { ?o bsl:champ ?c } }")
    # 23 actions, split on « ; », under « Réduire la consommation d’énergie… » (11) and « Atteindre 50%… » (7) etc.
    assert count(store, f"SELECT (COUNT(?a) AS ?n) {{ ?a skos:broader <{iri('champ/2-3/orientation/1')}> }}") == 11
    assert count(store, f"SELECT (COUNT(?a) AS ?n) {{ ?a skos:broader <{iri('champ/2-3/orientation/2')}> }}") == 7
    for parent, n in (("ambition/1", 6), ("ambition/2", 8), ("engagement/1", 3), ("engagement/2", 6),
                      ("engagement/3", 9)):
        assert count(store, f"SELECT (COUNT(?x) AS ?n) {{ ?x a bsl:Orientation ; skos:broader <{iri(parent)}> }}") == n
    for e, n in ((1, 5), (2, 2), (3, 4)):
        engagement = iri(f"engagement/{e}")
        assert count(store, f"SELECT (COUNT(?x) AS ?n) {{ ?x a bsl:ConditionMiseEnOeuvre ; "
                            f"skos:broader <{engagement}> }}") == n


def test_projets_emblematiques_numberings(store):
    # each project serves its engagement through a bsl:Contribution link (kg/data/crosswalk/projets-emblematiques.ttl)
    links = load(FILES + [ROOT / "kg/data/crosswalk/projets-emblematiques.ttl"])
    rows = q(links, """SELECT ?p ?l ?c ?e { ?p a bsl:ProjetEmblematique ; bsl:numeroListe ?l ; bsl:numeroCorps ?c ;
                                              bsl:engagement ?e . ?link bsl:contributeur ?p ; bsl:cible ?e }""")
    got = {r[0].value.removeprefix(BASE + "projet/"): (int(r[1].value), int(r[2].value), r[3].value[-1]) for r in rows}
    assert got == {
        "pole-de-reference-du-rail": (1, 3, "1"),
        "reconstruire-la-ville": (2, 1, "1"),
        "fabrique-des-savoirs-et-de-la-citoyennete": (3, 2, "1"),
        "reseau-des-restaurations-scolaires-et-collectives": (4, 6, "2"),
        "pole-de-reference-du-velo": (5, 4, "2"),
        "espaces-de-nature-et-de-loisirs": (6, 5, "2"),
        "station-thermale": (7, 7, "3"),
        "zones-d-activites-premium": (8, 8, "3"),
        "ouverture-du-site-minier-arenberg": (9, 9, "3"),
    }
    rows = q(store, "SELECT ?e (COUNT(?p) AS ?n) { ?p a bsl:ProjetEmblematique ; bsl:engagement ?e } GROUP BY ?e")
    assert sorted(int(r[1].value) for r in rows) == [3, 3, 3]
    # the list number follows the synthesis grid: one column of three per engagement
    assert not q(store, "ASK { ?p bsl:numeroListe ?l ; bsl:engagement ?e . "
                        "FILTER(STR(CEIL(?l / 3)) != REPLACE(STR(?e), '^.*/', '')) }")
    # communes named by the description of the nature spaces project
    nature = iri("projet/espaces-de-nature-et-de-loisirs")
    assert count(store, f"SELECT (COUNT(?c) AS ?n) {{ <{nature}> bsl:concerne ?c }}") == 9


def test_pilotage(store):
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:MesurePilotage }") == 4
    assert q(store, f"""ASK {{ <{iri('pilotage/rattachement-des-deliberations')}> a bsl:MesurePilotage ;
        skos:prefLabel ?l .
        FILTER(STRSTARTS(?l, "Rattacher chaque décision communautaire à un engagement du Projet")) }}""")
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:InstanceGouvernance }") == 5
    labels = {r[0].value for r in q(store, "SELECT ?l { ?x a bsl:PrincipeEvaluation ; skos:prefLabel ?l }")}
    assert {"principe de l’effectivité", "principe de l’efficacité", "principe de l’utilité",
            "principe de l’efficience"} <= labels
    assert count(store, "SELECT (COUNT(?x) AS ?n) { ?x a bsl:TypeIndicateur }") == 5
    assert not q(store, "ASK { ?x a bsl:InstrumentPilotage . FILTER NOT EXISTS { ?x skos:inScheme ?s } }")


def test_idh_observations(store):
    rows = q(store, f"""SELECT ?z ?v {{ ?o bsl:indicateur <{iri('indicateur/idh')}> ; bsl:zone ?z ;
        bsl:valeurNumerique ?v }}""")
    got = {r[0].value: float(r[1].value) for r in rows}
    assert got == {iri("epci/200042190"): 0.39, iri("organisation/region-hauts-de-france"): 0.51}
    rows = q(store, f"""SELECT ?z ?a ?b {{ ?o bsl:indicateur <{iri('indicateur/idh')}> ; bsl:zone ?z ;
        bsl:valeurMin ?a ; bsl:valeurMax ?b }}""")
    assert {r[0].value for r in rows} == {iri(f"commune/{c}") for c in ("59361", "59172", "59205", "59418", "59207")}
    assert all((float(r[1].value), float(r[2].value)) == (0.18, 0.28) for r in rows)


def test_findings(store):
    assert q(store, f"ASK {{ <{iri('constat/projets-emblematiques-double-numerotation')}> a bsl:Constat ; "
                    f"bsl:typeConstat <{iri('type-constat/numerotation')}> }}")
    assert q(store, f"ASK {{ ?c a bsl:Constat ; bsl:typeConstat <{iri('type-constat/date')}> ; "
                    f"bsl:porteSur <{iri('projet-de-territoire')}> ; "
                    "bsl:citation ?t . FILTER(CONTAINS(?t, '2023/2043')) }")
    assert q(store, f"ASK {{ ?c a bsl:Constat ; bsl:porteSur <{iri('valeur/2')}> }}")
    assert q(store, f"ASK {{ ?c a bsl:Constat ; bsl:typeConstat <{iri('type-constat/denombrement')}> ; "
                    f"bsl:porteSur <{iri('champ/1-2')}> }}")
    assert not q(store, "ASK { ?c a bsl:Constat . "
                        "FILTER NOT EXISTS { ?c skos:definition ?d ; bsl:citation ?t ; prov:wasDerivedFrom ?p } }")


# --- labels and provenance ------------------------------------------------------------------------------------------


def described(store):
    return [r[0].value for r in q(store, "SELECT DISTINCT ?s { ?s a ?t . FILTER(isIRI(?s)) }")]


def test_every_resource_has_one_french_preflabel_and_a_source(store):
    subjects = described(store)
    assert len(subjects) > 300
    for s in subjects:
        labels = q(store, f"SELECT ?l {{ <{s}> skos:prefLabel ?l }}")
        assert len(labels) == 1 and labels[0][0].language == "fr", s
        assert provenance(store, s), s
        for p in provenance(store, s):
            excerpt(p)  # a well-formed, in-range excerpt of an existing seed


def test_every_element_is_in_the_scheme(store):
    assert not q(store, """ASK { ?x a ?t . VALUES ?t { bsl:Valeur bsl:Finalite bsl:Ambition bsl:Engagement
        bsl:ChampIntervention bsl:Orientation bsl:Action bsl:ConditionMiseEnOeuvre bsl:ProjetEmblematique
        bsl:InstanceGouvernance bsl:MesurePilotage bsl:PrincipeEvaluation bsl:TypeIndicateur }
        FILTER NOT EXISTS { ?x skos:inScheme <%s> } }""" % iri("projet-de-territoire"))
    tops = {r[0].value for r in q(store, "SELECT ?x { ?x skos:topConceptOf <%s> }" % iri("projet-de-territoire"))}
    assert len(tops) == 1 + 6 + 2 + 3


SAMPLE = {
    "valeur/2": "L’égalité « femme-homme »",
    "valeur/5": "Le bien-être et le bien vivre dans un environnement agréable, où la nature est préservée",
    "finalite": "Investir dans la santé, le bien-être et l’épanouissement des populations "
                "au service du développement humain",
    "ambition/1": "Consolider notre capacité à vivre ensemble et à faire communauté",
    "engagement/1": "Rattraper les retards de développement et agir là où un accompagnement équitable est nécessaire",
    "engagement/2": "Faire face collectivement aux enjeux globaux",
    "champ/1-1": "EQUITÉ DE DÉVELOPPEMENT DES BASSINS DE VIE",
    "champ/2-3": "RÉDUCTION DE LA CONSOMMATION ET PRODUCTION D’ÉNERGIES",
    "champ/3-3": "SENSIBILISATION - EDUCATION - FORMATIONS ADAPTÉES AUX ENJEUX CONTEMPORAINS",
    "champ/2-3/orientation/2": "Atteindre 50% d’autonomie énergétique et développer un mix énergétique",
    "champ/3-1/orientation/5": "Lutter contre les îlots de chaleur",
    "champ/2-7/orientation/1/action/3": "Adapter le label « Ici je mange local » à toute la restauration collective "
                                        "et 70% de la restauration issue de la production locale",
    "champ/3-2/orientation/1/action/3": "Forêt citoyenne (1 naissance / 1 arbre)",
    "projet/zones-d-activites-premium": "Zones d’activités premium",
    "projet/ouverture-du-site-minier-arenberg": "Ouverture du Site Minier Arenberg Porte du Hainaut",
    "pilotage/codes-fonctionnels": "Suivre de façon analytique l’allocation des ressources dédiées au Projet de "
                                   "Territoire en créant des codes fonctionnels dans les outils comptables",
}


@pytest.mark.parametrize("path,label", sorted(SAMPLE.items()))
def test_sample_labels_are_verbatim_in_their_source_lines(store, path, label):
    rows = q(store, f"SELECT ?l {{ <{iri(path)}> skos:prefLabel ?l }}")
    assert [r[0].value for r in rows] == [label]
    assert any(norm(label) in excerpt(p) for p in provenance(store, iri(path))), path


def test_all_referentiel_labels_are_verbatim(store):
    """Every prefLabel of a référentiel element occurs (case-insensitively) in one of its source excerpts."""
    rows = q(store, """SELECT ?s ?l { ?s a ?t ; skos:prefLabel ?l . VALUES ?t { bsl:Valeur bsl:Finalite bsl:Ambition
        bsl:Engagement bsl:ChampIntervention bsl:Orientation bsl:Action bsl:ConditionMiseEnOeuvre bsl:ProjetEmblematique
        bsl:InstanceGouvernance bsl:MesurePilotage bsl:PrincipeEvaluation bsl:TypeIndicateur bsl:Jalon
        bsl:BassinDeVie } }""")
    assert len(rows) > 250
    bad = []
    for s, label in ((r[0].value, r[1].value) for r in rows):
        texts = [excerpt(p).casefold() for p in provenance(store, s)]
        if not any(norm(label).casefold() in t for t in texts):
            bad.append((s, label))
    assert not bad, bad[:10]


def test_alt_labels_of_champs_from_the_synthesis(store):
    alts = {r[0].value for r in q(store, f"SELECT ?a {{ <{iri('champ/2-1')}> skos:altLabel ?a }}")}
    assert "AMÉNAGEMENT PORTEURS DE TRANSITION" in alts
    assert q(store, f"ASK {{ <{iri('champ/1-2/orientation/3/action/1')}> "
                    "skos:altLabel 'Réduction des logements vacants'@fr }")
    # every champ carries a provenance in seed 001 (the schéma de synthèse)
    for e, n in ((1, 5), (2, 7), (3, 5)):
        for c in range(1, n + 1):
            assert any("/source/001#" in p for p in provenance(store, iri(f"champ/{e}-{c}"))), (e, c)
