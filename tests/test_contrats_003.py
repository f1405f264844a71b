"""Seed 003 (Contrat Quartiers 2030 and the frameworks it describes): the encoded data against the seed itself.

The files of the contrats-003 work are loaded with the ontology into an in-memory pyoxigraph store (same base IRI
as the build) and checked with SPARQL: counts of the hierarchies, the QPV table, the geographies, verbatim labels
at their provenance lines, provenance and crosswalk coverage, explicit citations, commune IRIs.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parent.parent
BASE = "https://boussole.agglo-porteduhainaut.fr/id/"
FILES = [
    "kg/data/territoire/organisations.ttl",
    "kg/data/territoire/geographie-prioritaire.ttl",
    "kg/data/contrats/contrat-quartiers-2030.ttl",
    "kg/data/contrats/pcaet.ttl",
    "kg/data/contrats/pat.ttl",
    "kg/data/contrats/autres-cadres-003.ttl",
    "kg/data/crosswalk/contrat-quartiers-2030.ttl",
    "kg/data/crosswalk/pcaet-pat-autres.ttl",
    "kg/data/constats/contrat-quartiers-2030.ttl",
]
PREFIXES = """
PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
CQ = BASE + "contrat/contrat-quartiers-2030"
CONTRACTS_003 = ["contrat-quartiers-2030", "pcaet", "pat-tous-a-table", "cls", "strategie-numerique",
                 "schema-itineraires-doux", "npnru", "erbm", "strategie-jeunesses", "plh-2025-2030"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[str]]:
    out = {}
    for path in (REPO / "kg" / "sources").glob("00*.txt"):
        out[path.name[:3]] = path.read_text(encoding="utf-8").split("\n")
    return out


def excerpt(seeds: dict[str, list[str]], source_iri: str) -> str:
    m = re.search(r"source/(\d{3})#L(\d+)-L(\d+)$", source_iri)
    assert m, source_iri
    lines = seeds[m.group(1)][int(m.group(2)) - 1:int(m.group(3))]
    assert lines, f"empty range {source_iri}"
    return _norm(" ".join(lines))


@pytest.fixture(scope="module")
def store() -> ox.Store:
    st = ox.Store()
    st.load(path=str(REPO / "ontology" / "boussole.ttl"), format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    for f in FILES:
        st.load(path=str(REPO / f), format=ox.RdfFormat.TURTLE, base_iri=BASE, to_graph=ox.DefaultGraph())
    return st


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    res = store.query(PREFIXES + query)
    names = [v.value for v in res.variables]
    return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in res]


def count(store: ox.Store, query: str) -> int:
    return int(rows(store, query)[0]["n"])


def test_contrat_quartiers_2030_has_6_orientations_and_6_principes(store):
    for cls, path in (("bsl:OrientationContrat", "orientation"), ("bsl:PrincipeTransversal", "principe")):
        got = rows(store, f"""SELECT ?x ?num WHERE {{ ?x a {cls} ; bsl:contrat <{CQ}> ; bsl:numero ?num }}
            ORDER BY ?num""")
        assert [r["num"] for r in got] == ["1", "2", "3", "4", "5", "6"]
        assert all(r["x"] == f"{CQ}/{path}/{r['num']}" for r in got)
    # every sub-priority hangs under an orientation or a principle of the same contract
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?o a bsl:ObjectifContrat ; bsl:contrat <{CQ}> .
        FILTER NOT EXISTS {{ ?o skos:broader ?p . ?p bsl:contrat <{CQ}> }} }}""") == 0
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?o a bsl:ObjectifContrat ;
        skos:broader <{CQ}/orientation/4> }}""") == 3


def test_contract_validated_21_march_2024_with_signatories(store):
    got = rows(store, f"""SELECT ?d WHERE {{ <{CQ}> a bsl:ContratDeVille ; bsl:jalon ?j .
        ?j bsl:natureDate "validation" ; bsl:dateAdoption ?d }}""")
    assert [r["d"] for r in got] == ["2024-03-21"]
    sig = {r["o"] for r in rows(store, f"""SELECT ?o WHERE {{ <{CQ}> bsl:participation ?p .
        ?p bsl:role <{BASE}role/signataire> ; bsl:organisation ?o }}""")}
    for org in ("organisation/etat", "organisation/region-hauts-de-france", "organisation/departement-du-nord",
                "epci/200042190", "organisation/caf-du-nord", "organisation/banque-des-territoires"):
        assert BASE + org in sig
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ <{CQ}/dispositif/abattement-tfpb/axe/8> a bsl:Axe ;
        skos:broader <{CQ}/dispositif/abattement-tfpb> }}""") == 1


def test_pcaet_6_axes_24_programmes_adopted_3_july_2023(store):
    pc = BASE + "contrat/pcaet"
    assert count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a a bsl:Axe ; bsl:contrat <{pc}> }}") == 6
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?p a bsl:Programme ; bsl:contrat <{pc}> ;
        skos:broader ?a . ?a a bsl:Axe }}""") == 24
    per_axis = rows(store, """SELECT ?a (COUNT(?p) AS ?n) WHERE { ?p a bsl:Programme ; skos:broader ?a }
        GROUP BY ?a ORDER BY ?a""")
    assert [int(r["n"]) for r in per_axis] == [4, 3, 5, 4, 4, 4]
    assert rows(store, f"SELECT ?d WHERE {{ <{pc}> bsl:dateAdoption ?d }}") == [{"d": "2023-07-03"}]


def test_pat_and_pnr_pat_are_distinct(store):
    pat, pnr = BASE + "contrat/pat-tous-a-table", BASE + "contrat/pat-pnr-scarpe-escaut"
    assert rows(store, f"SELECT ?d WHERE {{ <{pat}> a bsl:PAT ; bsl:dateAdoption ?d }}") == [{"d": "2023-03-02"}]
    alts = {r["l"] for r in rows(store, f"SELECT ?l WHERE {{ <{pat}> skos:altLabel ?l }}")}
    assert {"Projet Alimentaire Territorial", "Projet Alimentaire Territoriale",
            "Projet Alimentaire de Territoire"} <= alts
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ <{pnr}> a bsl:PAT ; prov:wasDerivedFrom ?s
        FILTER(CONTAINS(STR(?s), 'source/004#')) }}""") >= 1


def test_13_qpv_population_32305(store):
    got = rows(store, """SELECT ?q ?code ?pop ?rev WHERE { ?q a bsl:QuartierPrioritaire ; bsl:codeQuartier ?code ;
        bsl:population ?pop ; bsl:revenuMedian ?rev }""")
    assert len(got) == 13
    assert sum(int(r["pop"]) for r in got) == 32305
    assert all(r["q"] == f"{BASE}qpv/{r['code']}" and re.fullmatch(r"QN059\d\dM", r["code"]) for r in got)
    assert count(store, f"""SELECT (COUNT(?q) AS ?n) WHERE {{ <{BASE}geographie/qpv-caph> bsl:inclut ?q .
        ?q a bsl:QuartierPrioritaire }}""") == 13
    assert {r["c"] for r in rows(store, f"SELECT ?c WHERE {{ <{BASE}qpv/QN05958M> bsl:commune ?c }}")} == {
        BASE + "commune/59632", BASE + "commune/59491"}


def test_8_poches_and_13_veille_active_communes(store):
    poches = rows(store, "SELECT ?p ?pop WHERE { ?p a bsl:PocheDePauvrete ; bsl:population ?pop ; bsl:commune ?c }")
    assert len(poches) == 8 and sum(int(r["pop"]) for r in poches) == 7000
    assert count(store, f"""SELECT (COUNT(?p) AS ?n) WHERE {{ <{BASE}geographie/poches-de-pauvrete> bsl:inclut ?p .
        ?p a bsl:PocheDePauvrete }}""") == 8
    communes = rows(store, f"""SELECT ?c WHERE {{ <{BASE}geographie/veille-active> a bsl:GeographieIntervention ;
        bsl:inclut ?c FILTER(STRSTARTS(STR(?c), "{BASE}commune/")) }}""")
    assert len(communes) == 13
    assert BASE + "commune/59526" in {r["c"] for r in communes}   # Saint-Amand-les-Eaux (sub-perimeter only)


def test_verbatim_labels_at_their_provenance_lines(store, seeds):
    got = rows(store, """SELECT ?x ?l (GROUP_CONCAT(STR(?s); separator=" ") AS ?src) WHERE {
        { ?x a bsl:OrientationContrat } UNION { ?x a bsl:PrincipeTransversal } UNION { ?x a bsl:ObjectifContrat }
        UNION { ?x a bsl:Programme } UNION { ?x a bsl:Axe } UNION { ?x a bsl:Dispositif }
        UNION { ?x a bsl:QuartierPrioritaire }
        UNION { ?x a bsl:PocheDePauvrete } UNION { ?x a bsl:EngagementPartenaire } UNION { ?x a bsl:ProjetContrat }
        ?x skos:prefLabel ?l ; prov:wasDerivedFrom ?s } GROUP BY ?x ?l""")
    assert len(got) >= 150
    missing = [r["x"] for r in got if not any(_norm(r["l"]) in excerpt(seeds, s) for s in r["src"].split())]
    assert missing == []
    # a few anchors, character for character (typos and curly apostrophes kept)
    labels = {r["l"] for r in got}
    for label in ("Accompagner vers l’emploi les publics les plus en difficultés",
                  "Garantir la tranquillité publique, prévenir et lutter contre les violences intra familiales",
                  "Organiser une stratégie alimentaire territoriale", "Réaliser le schéma directeur des eaux pluviales",
                  "Le sur-entretien", "Les petits travaux d'amélioration de la qualité de service",
                  "Cité Thiers - Cité Du Rivage – Brunehaut", "Verrerie – Square République",
                  "Encourager l’accès au sport et à la culture", "Lutter contre la Précarité Energétique"):
        assert label in labels, label


def test_every_element_has_provenance_and_a_crosswalk_link_or_reason(store):
    filt = " ".join(f"<{BASE}contrat/{c}>" for c in CONTRACTS_003)
    no_prov = rows(store, f"""SELECT ?x WHERE {{ ?x bsl:contrat ?c VALUES ?c {{ {filt} }}
        FILTER NOT EXISTS {{ ?x prov:wasDerivedFrom ?s }} }}""")
    assert no_prov == []
    elements = rows(store, f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?x WHERE {{ ?x bsl:contrat ?c ; a ?k . ?k rdfs:subClassOf* bsl:ElementContrat
        VALUES ?c {{ {filt} }} }}""")
    assert len({r["x"] for r in elements}) >= 170
    orphans = rows(store, f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?x WHERE {{ ?x bsl:contrat ?c ; a ?k . ?k rdfs:subClassOf* bsl:ElementContrat
        VALUES ?c {{ {filt} }}
        FILTER NOT EXISTS {{ ?l a bsl:Contribution ; bsl:contributeur ?x ; bsl:cible ?t ; bsl:fondement ?f }}
        FILTER NOT EXISTS {{ ?x bsl:neSertAucunEngagement ?why }} }}""")
    assert orphans == []
    bad_targets = rows(store, f"""SELECT ?t WHERE {{ ?l a bsl:Contribution ; bsl:cible ?t
        FILTER(!REGEX(STR(?t),
                      "^{BASE}(engagement/[1-3]|champ/(1-[1-5]|2-[1-7]|3-[1-5])|finalite|projet/[a-z-]+)$")) }}""")
    assert bad_targets == []
    unjustified = rows(store, """SELECT ?l WHERE { ?l a bsl:Contribution ; bsl:fondement bsl:propose
        FILTER NOT EXISTS { ?l bsl:justification ?j } FILTER NOT EXISTS { ?l prov:wasDerivedFrom ?s } }""")
    assert unjustified == []


def test_explicit_links_cite_the_seed_at_their_lines(store, seeds):
    got = rows(store, """SELECT ?l ?c ?s WHERE { ?l a bsl:Contribution ; bsl:fondement bsl:explicite ;
        bsl:citation ?c ; prov:wasDerivedFrom ?s }""")
    assert len(got) >= 10
    wrong = [r["l"] for r in got if _norm(r["c"]) not in excerpt(seeds, r["s"])]
    assert wrong == []
    # the clearest explicit tie of the contract: perimeter 3 and engagement 1
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?l bsl:contributeur <{BASE}geographie/veille-active> ;
        bsl:cible <{BASE}engagement/1> ; bsl:fondement bsl:explicite }}""") == 1


def test_findings_cite_the_seed(store, seeds):
    got = rows(store, """SELECT ?k (GROUP_CONCAT(?c; separator="\\u0001") AS ?cs)
        (GROUP_CONCAT(STR(?s); separator=" ") AS ?src)
        WHERE { ?k a bsl:Constat ; bsl:citation ?c ; prov:wasDerivedFrom ?s ; bsl:typeConstat ?t ; bsl:porteSur ?x }
        GROUP BY ?k""")
    slugs = {r["k"].rsplit("/", 1)[1] for r in got}
    assert {"qpv-12-ou-13", "communes-10-ou-12", "numerique-8-ou-5-orientations",
            "veille-active-population-saint-amand", "pat-trois-noms"} <= slugs
    for r in got:
        text = " ".join(excerpt(seeds, s) for s in set(r["src"].split()))
        for c in r["cs"].split("\u0001"):
            assert _norm(c) in text, (r["k"], c)


def test_commune_iris_exist_in_reference_csv(store):
    with (REPO / "kg" / "sources" / "communes-caph.csv").open(encoding="utf-8") as fh:
        known = {BASE + "commune/" + row["code_insee"] for row in csv.DictReader(fh)}
    used = {r["c"] for r in rows(store, f"""SELECT DISTINCT ?c WHERE {{ {{ ?x ?p ?c }} UNION {{ ?c ?p ?y }}
        FILTER(isIRI(?c) && STRSTARTS(STR(?c), "{BASE}commune/")) }}""")}
    assert used and used <= known, used - known


# --- second pass: sub-items of principes, ATFPB, chapter VIII, partners' commitments, PCAET figure ---------------

def _children(store, parent: str, cls: str = "bsl:ObjectifContrat") -> list[dict[str, str]]:
    return rows(store, f"""SELECT ?x ?l ?r WHERE {{ ?x a {cls} ; skos:broader <{parent}> ; bsl:contrat <{CQ}> ;
        skos:prefLabel ?l ; bsl:rang ?r }} ORDER BY ?r""")


def test_sub_items_of_principes_1_3_4_6(store):
    p = CQ + "/principe"
    assert len(_children(store, f"{p}/1")) == 2 and len(_children(store, f"{p}/1/objectif/2")) == 3
    assert [r["l"] for r in _children(store, f"{p}/3")] == ["Egalité Femmes-Hommes", "Lutte contre les discriminations"]
    assert [r["l"] for r in _children(store, f"{p}/3/objectif/2")] == [
        "A destination des élu.e.s", "A destination des agents de la CAPH et des communes",
        "A destination des porteurs de projets", "A destination des habitants des Quartiers Politique de la Ville"]
    assert [r["l"] for r in _children(store, f"{p}/4")] == [
        "La lutte contre l’illettrisme", "L’appui de dispositifs mobiles",
        "La levée des freins numériques en faveur de l’accès aux droits", "La pair-aidance", "Le porte à porte",
        "La formation des professionnels"]
    assert [r["l"] for r in _children(store, f"{p}/6")] == [
        "L’accès au sport", "L’accès à la culture et aux pratiques artistiques"]
    sport, culture = _children(store, f"{p}/6/objectif/1"), _children(store, f"{p}/6/objectif/2")
    assert len(sport) == 5 and len(culture) == 9
    assert [int(r["r"]) for r in culture] == list(range(1, 10))
    assert sport[0]["l"].startswith("Promouvoir les métiers du sport")
    assert culture[-1]["l"].startswith("La diffusion de productions culturelles issues des Quartiers Prioritaires")


def test_atfpb_enjeux_objectifs_moyens_and_ush_table(store):
    t = CQ + "/dispositif/abattement-tfpb"
    kinds = {k: count(store, f"""SELECT (COUNT(?x) AS ?n) WHERE {{ ?x a bsl:ObjectifContrat ; skos:broader <{t}>
        FILTER(STRSTARTS(STR(?x), "{t}/{k}/")) }}""") for k in ("enjeu", "objectif", "moyen-existant", "moyen-nouveau")}
    assert kinds == {"enjeu": 3, "objectif": 7, "moyen-existant": 3, "moyen-nouveau": 5}
    ush = t + "/cadre-national-ush"
    axes = _children(store, ush, "bsl:Axe")
    assert len(axes) == 8 and axes[2]["l"] == "Sur-entretien"
    per_axis = [len(_children(store, a["x"])) for a in axes]
    assert per_axis == [5, 3, 4, 4, 3, 3, 5, 3] and sum(per_axis) == 30
    # each USH axis points at the convention axis of the same rank
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?u skos:broader <{ush}> ; skos:related ?c ; bsl:rang ?r .
        ?c skos:broader <{t}> ; a bsl:Axe ; bsl:rang ?r }}""") == 8


def test_chapter_viii_evaluation(store):
    ch = CQ + "/chapitre/8"
    assert rows(store, f"SELECT ?l ?n WHERE {{ <{ch}> a bsl:Volet ; skos:prefLabel ?l ; bsl:numero ?n }}") == [
        {"l": "Suivi annuel et évaluation", "n": "VIII"}]
    kids = [r["x"].rsplit("/", 2)[1] for r in _children(store, ch)]
    assert sorted(kids) == ["approche"] * 3 + ["evaluation"] * 3
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ <{ch}/approche/1> skos:related ?i .
        ?i a bsl:Indicateur ; skos:altLabel "BCS"@fr }}""") == 1
    assert count(store, f"""SELECT (COUNT(?o) AS ?n) WHERE {{ <{ch}/evaluation/1> skos:related ?o .
        ?o a bsl:OrientationContrat }}""") == 3


def test_partners_commitments_sub_items(store):
    ep = CQ + "/engagement-partenaire"
    region = _children(store, f"{ep}/region-hauts-de-france")
    assert [r["l"] for r in region] == ["Un enjeu de coordination des démarches en faveur des habitants des quartiers",
                                        "Vers des Quartiers Rev3", "Présentation des priorités régionales",
                                        "Nos Quartiers d’Eté (NQE)"]
    assert len(_children(store, f"{ep}/region-hauts-de-france/partie/2")) == 5
    assert len(_children(store, f"{ep}/region-hauts-de-france/partie/3")) == 2   # the two Priorités
    assert len(_children(store, f"{ep}/region-hauts-de-france/partie/4")) == 4
    assert len(_children(store, f"{ep}/banque-des-territoires")) == 3
    assert len(_children(store, f"{ep}/banque-des-territoires", "bsl:Dispositif")) == 3
    briques = _children(store, f"{ep}/bpifrance/offre/2", "bsl:Dispositif")
    assert len(briques) == 13   # « 15 actions » announced: see constat/entrepreneuriat-15-ou-13-actions
    assert briques[0]["l"] == "Concours Talents des Cités"
    assert briques[-1]["l"] == "Des nouveaux modules d’accompagnement et d’incubation"
    assert count(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ <{BASE}constat/entrepreneuriat-15-ou-13-actions>
        bsl:porteSur <{ep}/bpifrance/offre/2> }}""") == 1


def test_second_pass_items_are_complete(store, seeds):
    """Every element under a principe, the ATFPB, chapter VIII or a partner's commitment has rang, parent, provenance,
    a verbatim label at its lines, and a crosswalk link or a reason."""
    scope = ("/(principe/[1346]/|dispositif/abattement-tfpb/(enjeu|objectif|moyen|cadre)|chapitre/8"
             "|engagement-partenaire/[a-z-]+/)")
    got = rows(store, f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?x ?l ?s ?r ?p WHERE {{ ?x bsl:contrat <{CQ}> ; a ?k ; skos:prefLabel ?l ; prov:wasDerivedFrom ?s .
        ?k rdfs:subClassOf* bsl:ElementContrat .
        OPTIONAL {{ ?x bsl:rang ?r }} OPTIONAL {{ ?x skos:broader ?p }}
        FILTER(REGEX(STR(?x), "{scope}")) }}""")
    items = {r["x"] for r in got}
    # 133 new elements, the two Région priorités now under part 3, the Département « En transversal » cell
    assert len(items) == 133 + 2 + 1
    assert [r["x"] for r in got if r["r"] is None] == []
    assert [r["x"] for r in got if r["p"] is None and not r["x"].endswith("/chapitre/8")] == []
    assert [r["x"] for r in got if _norm(r["l"]) not in excerpt(seeds, r["s"])] == []
    unlinked = [x for x in items if not rows(store, f"""SELECT ?y WHERE {{
        {{ ?c bsl:contributeur <{x}> ; bsl:fondement ?f ; bsl:cible ?y }}
        UNION {{ <{x}> bsl:neSertAucunEngagement ?y }} }} LIMIT 1""")]
    assert unlinked == []
    # a few anchors, character for character, at their lines
    anchors = {CQ + "/principe/6/objectif/2/objectif/8": (
                   "Le renforcement des partenariats entre établissements scolaires et structures culturelles, "
                   "au- delà d’une seule logique de visites scolaires", "L2801-L2803"),
               CQ + "/dispositif/abattement-tfpb/cadre-national-ush/axe/5/action/1": (
                   "Dispositif tranquillité Vidéosurveillance (fonctionnement)", "L4508-L4508"),
               CQ + "/engagement-partenaire/bpifrance/offre/2/brique/11": (
                   "Une équipe Fast Track to Cash", "L3785-L3787")}
    for x, (label, lines) in anchors.items():
        assert {(r["l"], r["s"].rsplit("#", 1)[1]) for r in got if r["x"] == x} == {(label, lines)}


def test_pcaet_more_than_200_actions(store, seeds):
    got = rows(store, f"""SELECT ?min ?z ?s ?c WHERE {{ ?o a bsl:Observation ;
        bsl:indicateur <{BASE}indicateur/nombre-actions> ;
        bsl:valeurMin ?min ; bsl:zone ?z ; prov:wasDerivedFrom ?s ; bsl:citation ?c ;
        <http://purl.org/dc/terms/subject> <{BASE}contrat/pcaet> .
        <{BASE}indicateur/nombre-actions> a bsl:Indicateur FILTER(DATATYPE(?min) = xsd:decimal) }}""")
    assert len(got) == 1 and float(got[0]["min"]) == 200.0 and got[0]["z"] == BASE + "epci/200042190"
    assert "plus de 200 actions" in got[0]["c"] and _norm(got[0]["c"]) in excerpt(seeds, got[0]["s"])


def test_common_law_resources_table(store, seeds):
    got = rows(store, f"""SELECT ?x ?o ?l ?s ?org WHERE {{ ?x a bsl:EngagementPartenaire ; skos:broader ?o ;
        skos:prefLabel ?l ; prov:wasDerivedFrom ?s . ?o a bsl:OrientationContrat ; bsl:contrat <{CQ}>
        OPTIONAL {{ ?x bsl:organisation ?org }} }}""")
    assert len(got) == 31   # 6 orientations x (Région, Département, CAPH, Bailleurs, CAF) + Communes for orientation 3
    assert all(_norm(r["l"]) in excerpt(seeds, r["s"]) for r in got)
    dep = {r["o"].rsplit("/", 1)[1]: r["l"] for r in got if r["org"] == BASE + "organisation/departement-du-nord"}
    assert len(dep) == 6 and dep["4"] == "Projets Territoriaux Structurants Dispositif « Plantation Renaturation »"
    caph = {r["o"].rsplit("/", 1)[1]: r["l"] for r in got if r["org"] == BASE + "epci/200042190"}
    assert caph["2"] == "Contrat Local de Santé" and caph["4"] == "PCAET, PAT"
