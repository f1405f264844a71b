"""CRTE du Valenciennois 2021-2026 (seed 004): hierarchy, projects, funding, crosswalk and findings.

Parses the helper-owned Turtle files with the ontology into an in-memory pyoxigraph store and checks them
against the seed text itself (labels and amounts at their provenance lines)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://boussole.agglo-porteduhainaut.fr/id/"
FILES = [
    "kg/data/contrats/crte.ttl",
    "kg/data/contrats/crte-projets.ttl",
    "kg/data/contrats/npnru-caph.ttl",
    "kg/data/contrats/crte-organisations.ttl",
    "kg/data/contrats/dispositifs.ttl",
    "kg/data/crosswalk/crte.ttl",
    "kg/data/constats/crte.ttl",
]
C = BASE + "contrat/crte-valenciennois"
PFX = """PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@pytest.fixture(scope="module")
def store() -> ox.Store:
    st = ox.Store()
    st.load(path=str(ROOT / "ontology/boussole.ttl"), format=ox.RdfFormat.TURTLE)
    for f in FILES:
        st.load(path=str(ROOT / f), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return st


@pytest.fixture(scope="module")
def seed() -> list[str]:
    path = next((ROOT / "kg/sources").glob("004_*.txt"))
    return path.read_text(encoding="utf-8").split("\n")


def q(store, query):
    res = store.query(PFX + query)
    if isinstance(res, ox.QueryBoolean):
        return bool(res)
    return list(res)


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\xa0", " ")).strip()


def in_seed(seed, text, ranges) -> bool:
    """Text occurs (whitespace-normalised; PDF line-end hyphenation undone or kept) in one of the line ranges."""
    n = _norm(text)
    for a, b in ranges:
        raw = "\n".join(seed[a - 1:b]).replace("\xa0", " ")
        for v in (re.sub(r"-[ \t]*\n\s*", "", raw), re.sub(r"-[ \t]*\n\s*", "-", raw), raw):
            if n in _norm(v):
                return True
    return False


def ranges_of(store, iri):
    out = []
    for r in q(store, f"SELECT ?p WHERE {{ <{iri}> prov:wasDerivedFrom ?p }}"):
        m = re.search(r"source/004#L(\d+)-L(\d+)$", r["p"].value)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


AMOUNT = re.compile(r"(\d[\d \u202f\xa0]*(?:[.,]\d+)?)\s*(M€|Mds? ?€|milliards? d.euros|millions? d.euros|€|euros)")


def parse_amount(text: str) -> Decimal:
    m = AMOUNT.search(text)
    assert m, f"no amount in {text!r}"
    num = Decimal(re.sub(r"[ \u202f\xa0]", "", m.group(1)).replace(",", "."))
    unit = m.group(2)
    if unit.startswith("M€") or unit.startswith("million"):
        num *= 1_000_000
    elif unit.startswith("Md") or unit.startswith("milliard"):
        num *= 1_000_000_000
    return num


# ----------------------------------------------------------------------------- hierarchy

def test_three_volets_thirteen_orientations_five_fiches(store):
    volets = q(store, f"SELECT ?v WHERE {{ ?v a bsl:Volet ; bsl:contrat <{C}> }}")
    assert len(volets) == 3
    per_volet = {r["v"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in q(store, f"""
        SELECT ?v (COUNT(?o) AS ?n) WHERE {{ ?o a bsl:OrientationContrat ; bsl:contrat <{C}> ; skos:broader ?v . ?v a bsl:Volet }}
        GROUP BY ?v""")}
    assert per_volet == {"1": 5, "2": 5, "3": 3}
    fiches = q(store, f"SELECT ?f ?n ?x WHERE {{ ?f a bsl:FicheAction ; bsl:contrat <{C}> ; bsl:numero ?n ; skos:notation ?x }}")
    assert sorted(r["n"].value for r in fiches) == [f"2021-{i}" for i in range(1, 6)]
    assert sorted(r["x"].value for r in fiches if r["x"].value.startswith("2.1.")) == [f"2.1.{i}" for i in range(1, 6)]


def test_objectifs_per_orientation(store):
    rows = q(store, f"""SELECT ?o (COUNT(?j) AS ?n) WHERE {{ ?j a bsl:ObjectifContrat ; skos:broader ?o . ?o a bsl:OrientationContrat ; bsl:contrat <{C}> }} GROUP BY ?o""")
    counts = {r["o"].value.rsplit("/", 1)[1]: int(r["n"].value) for r in rows}
    assert counts == {"1-1": 3, "1-2": 4, "1-3": 3, "1-4": 2, "1-5": 3, "2-1": 3, "2-3": 1, "2-5": 2, "3-1": 3, "3-2": 4, "3-3": 4}
    assert sum(counts.values()) == 32


def test_contract_signatories_period_perimeter(store):
    sig = {r["o"].value for r in q(store, f"SELECT ?o WHERE {{ <{C}> bsl:signataire ?o }}")}
    assert sig == {BASE + "organisation/etat", BASE + "organisation/valenciennes-metropole", BASE + "epci/200042190"}
    parts = q(store, f"""SELECT ?o WHERE {{ <{C}> bsl:participation ?p . ?p bsl:organisation ?o ; bsl:role <{BASE}role/signataire> }}""")
    assert {r["o"].value for r in parts} == sig
    r = q(store, f"SELECT ?d ?f ?s WHERE {{ <{C}> bsl:debutPeriode ?d ; bsl:finPeriode ?f ; bsl:dateAdoption ?s }}")[0]
    assert (r["d"].value, r["f"].value, r["s"].value) == ("2021-01-01", "2026-12-31", "2021-10-22")
    inc = {r["x"].value for r in q(store, f"SELECT ?x WHERE {{ <{C}> bsl:perimetre ?t . ?t bsl:inclut ?x }}")}
    assert inc == {BASE + "epci/200042190", BASE + "organisation/valenciennes-metropole"}
    assert len(q(store, f"SELECT ?i WHERE {{ <{C}> bsl:instance ?i . ?i a bsl:InstanceGouvernance }}")) == 2


# ----------------------------------------------------------------------------- verbatim labels

def test_labels_verbatim_at_their_lines(store, seed):
    rows = q(store, """SELECT ?x ?l WHERE {
        VALUES ?c { bsl:Volet bsl:OrientationContrat bsl:ObjectifContrat bsl:FicheAction bsl:ProjetContrat bsl:Dispositif bsl:InstanceGouvernance }
        ?x a ?c ; skos:prefLabel ?l }""")
    assert len(rows) >= 150
    bad = [(r["x"].value, r["l"].value) for r in rows if not in_seed(seed, r["l"].value, ranges_of(store, r["x"].value))]
    assert not bad, bad[:5]


def test_sample_of_labels(store):
    sample = {
        "volet/1": "UN TERRITOIRE DÉMONSTRATEUR DES TRANSITIONS CLIMATIQUE, ÉNERGÉTIQUE ET ÉCOLOGIQUE",
        "orientation/1-2": "Agir pour une mobilité durable",
        "orientation/2-4": "Maintenir une activité agricole dynamique, respectueuse de l’environnement et connectée aux consommateurs locaux",
        "orientation/3-3": "Mener des politiques d’inclusion et d’émancipation citoyenne au service des habitants",
        "orientation/1-5/objectif/2": "Améliorer la qualité de l’air",
        "orientation/3-2/objectif/4": "Développer l’économie sociale et solidaire",
        "orientation/2-1/objectif/1/point/b": "la filière numérique",
        "fiche/2021-3": "Accentuer la coopération franco-belge dans l’arrondissement de Valenciennes",
        "fiche/2021-5": "Développer l’accès aux outils numériques pour réduire les inégalités sociales",
        "instance/comite-de-pilotage": "Le comité de pilotage",
    }
    for path, label in sample.items():
        got = q(store, f"SELECT ?l WHERE {{ <{C}/{path}> skos:prefLabel ?l }}")
        assert [r["l"].value for r in got] == [label], path


# ----------------------------------------------------------------------------- amounts

def test_funding_amounts_match_the_seed(store, seed):
    rows = q(store, """SELECT ?f ?m ?c WHERE { ?p a bsl:ProjetContrat ; bsl:financement ?f . ?f bsl:montant ?m ; bsl:citation ?c }""")
    assert len(rows) >= 8
    for r in rows:
        f = r["f"].value
        assert in_seed(seed, r["c"].value, ranges_of(store, f)), (f, r["c"].value)
        assert parse_amount(r["c"].value) == Decimal(r["m"].value), (f, r["c"].value, r["m"].value)
    # every funding amount carries its printed form
    naked = q(store, "SELECT ?f WHERE { ?f bsl:montant ?m FILTER NOT EXISTS { ?f bsl:citation ?c } }")
    assert not naked


def test_costs_match_the_seed(store, seed):
    rows = q(store, """SELECT ?p ?v ?n WHERE { ?p a bsl:ProjetContrat ; bsl:cout ?v ; skos:note ?n FILTER(STRSTARTS(?n, "Coût tel qu")) }""")
    assert len(rows) >= 5
    for r in rows:
        printed = re.search(r"« (.*) »", r["n"].value).group(1)
        assert in_seed(seed, printed, ranges_of(store, r["p"].value))
        assert parse_amount(printed) == Decimal(r["v"].value), r["p"].value
    assert len(q(store, "SELECT ?p WHERE { ?p bsl:cout ?v }")) == len(rows)


def test_spot_amounts(store):
    spot = {
        "projet/boucle-vallee-de-l-aunelle/financement/1": "283000.0",
        "projet/toiture-chateau-de-la-princesse/financement/1": "188146.0",
        "projet/ilot-badin-sarrazin/financement/1": "418000.0",
        "projet/friche-equipart/financement/1": "531400.0",
        "projet/arenberg-creative-mine/financement/1": "1300000.0",
        "projet/internat-d-excellence-chasse-royale/financement/1": "1600000.0",
        "projet/atlas-de-la-biodiversite/financement/1": "61397.0",
        "projet/credits-politique-de-la-ville-emploi/financement/2": "327848.0",
    }
    for path, amount in spot.items():
        got = q(store, f"SELECT ?m WHERE {{ <{C}/{path}> bsl:montant ?m }}")
        assert [Decimal(r["m"].value) for r in got] == [Decimal(amount)], path


def test_stated_sums_hold(store):
    # a cost and the funders' shares the text says it includes (« dont ») : shares never exceed the cost
    rows = q(store, """SELECT ?p ?c (SUM(?m) AS ?s) WHERE { ?p a bsl:ProjetContrat ; bsl:cout ?c ; bsl:financement ?f . ?f bsl:montant ?m } GROUP BY ?p ?c""")
    assert rows
    for r in rows:
        assert Decimal(r["s"].value) <= Decimal(r["c"].value), r["p"].value
    npnru = q(store, f"SELECT ?c (SUM(?m) AS ?s) WHERE {{ <{C}/projet/npnru-investissement> bsl:cout ?c ; bsl:financement ?f . ?f bsl:montant ?m }} GROUP BY ?c")[0]
    assert Decimal(npnru["c"].value) == Decimal("397000000") and Decimal(npnru["s"].value) == Decimal("135000000")
    # the CAPH's « 14,2 M€ » funds the CAPH's NPNRU (issue 12), which the 397 M€ statement is related to: 149,2 M€ named
    caph = q(store, f"""SELECT ?m WHERE {{ <{C}/projet/npnru-investissement> skos:related ?n . ?n bsl:financement ?f .
                         ?f bsl:financeur <https://boussole.agglo-porteduhainaut.fr/id/epci/200042190> ; bsl:montant ?m }}""")
    assert [Decimal(r["m"].value) for r in caph] == [Decimal("14200000")]
    # stated totals whose parts are listed (counts or euros): bsl:Observation with components
    tot = q(store, """SELECT ?o ?v (SUM(?pv) AS ?s) WHERE { ?o a bsl:Observation ; bsl:valeurNumerique ?v .
                     ?p bsl:composante ?o ; bsl:valeurNumerique ?pv } GROUP BY ?o ?v""")
    assert len(tot) >= 4
    for r in tot:
        assert Decimal(r["s"].value) == Decimal(r["v"].value), r["o"].value


# ----------------------------------------------------------------------------- provenance and crosswalk

def test_every_element_has_provenance_and_a_link(store):
    rows = q(store, f"""SELECT ?x WHERE {{
        VALUES ?c {{ bsl:Volet bsl:OrientationContrat bsl:ObjectifContrat bsl:FicheAction bsl:ProjetContrat bsl:Dispositif }}
        ?x a ?c ; bsl:contrat <{C}> }}""")
    assert len(rows) >= 60
    for r in rows:
        x = r["x"].value
        assert ranges_of(store, x), x
        linked = q(store, f"""ASK {{ {{ ?k a bsl:Contribution ; bsl:contributeur <{x}> ; bsl:cible ?t ; bsl:fondement ?f }}
                                  UNION {{ <{x}> bsl:neSertAucunEngagement ?why }} }}""")
        assert linked, x


def test_contributions_well_formed(store, seed):
    rows = q(store, """SELECT ?k ?f ?t WHERE { ?k a bsl:Contribution ; bsl:contributeur ?x ; bsl:cible ?t ; bsl:fondement ?f }""")
    assert len(rows) >= 200
    for r in rows:
        t = r["t"].value[len(BASE):]
        assert re.fullmatch(r"engagement/[123]|champ/(1-[1-5]|2-[1-7]|3-[1-5])", t), t
        k = r["k"].value
        if r["f"].value.endswith("#explicite"):
            cits = q(store, f"SELECT ?c WHERE {{ <{k}> bsl:citation ?c }}")
            assert cits and all(in_seed(seed, c["c"].value, ranges_of(store, k)) for c in cits), k
        else:
            assert q(store, f"ASK {{ <{k}> bsl:justification ?j }}"), k
    # each champ link comes with the engagement link
    missing = q(store, """SELECT ?x ?t WHERE { ?k bsl:contributeur ?x ; bsl:cible ?t .
        FILTER(CONTAINS(STR(?t), "/champ/"))
        BIND(IRI(CONCAT(REPLACE(STR(?t), "champ/([123])-[0-9]+$", "engagement/$1"))) AS ?e)
        FILTER NOT EXISTS { ?k2 bsl:contributeur ?x ; bsl:cible ?e } }""")
    assert not missing


def test_constats_cite_the_seed(store, seed):
    rows = q(store, "SELECT ?k ?c WHERE { ?k a bsl:Constat ; bsl:citation ?c FILTER(STRSTARTS(STR(?k), '" + BASE + "constat/crte-')) }")
    assert len({r["k"].value for r in rows}) >= 15
    for r in rows:
        assert in_seed(seed, r["c"].value, ranges_of(store, r["k"].value)), (r["k"].value, r["c"].value)
    about = q(store, "SELECT ?k ?a WHERE { ?k a bsl:Constat ; bsl:porteSur ?a FILTER(STRSTARTS(STR(?k), '" + BASE + "constat/crte-')) FILTER NOT EXISTS { ?a ?p ?o } }")
    assert not about, [(r["k"].value, r["a"].value) for r in about][:5]
    assert q(store, f"ASK {{ <{BASE}constat/crte-transition-energetique> bsl:typeConstat <{BASE}type-constat/nommage> }}")


def test_caph_projects_use_caph_communes(store):
    csv = (ROOT / "kg/sources/communes-caph.csv").read_text(encoding="utf-8").splitlines()[1:]
    codes = {line.split(",")[0] for line in csv}
    rows = q(store, "SELECT ?c WHERE { ?p a bsl:ProjetContrat ; bsl:commune ?c }")
    assert rows
    assert all(r["c"].value.rsplit("/", 1)[1] in codes for r in rows)
    por = q(store, "SELECT ?o WHERE { ?p a bsl:ProjetContrat ; bsl:porteur ?o FILTER(CONTAINS(STR(?o), '/commune/')) }")
    assert all(r["o"].value.rsplit("/", 1)[1] in codes for r in por)


# ----------------------------------------------------------------------------- articles and second-pass items

PROCEDURE = "Article de procédure (gouvernance, durée, suivi)"


def test_six_articles_under_the_contract(store, seed):
    rows = q(store, f"""SELECT ?a ?n ?r ?l WHERE {{ ?a a bsl:ObjectifContrat ; bsl:contrat <{C}> ; bsl:numero ?n ; bsl:rang ?r ;
        skos:prefLabel ?l FILTER(CONTAINS(STR(?a), "/article/")) FILTER NOT EXISTS {{ ?a skos:broader ?p }} }}""")
    assert sorted(r["n"].value for r in rows) == ["1", "2", "3", "4", "5", "6"]
    assert all(r["a"].value == f"{C}/article/{r['n'].value}" and int(r["r"].value) == int(r["n"].value) for r in rows)
    # each heading printed « Article N • <title> » at the first line of its range
    starts = {"1": 198, "2": 228, "3": 403, "4": 439, "5": 484, "6": 498}
    for r in rows:
        n, label = r["n"].value, r["l"].value
        head = _norm(" ".join(seed[starts[n] - 1:starts[n] + 1]).replace("\xa0", " "))
        assert re.search(rf"Article\.? {n} • ", head) and _norm(label)[:20] in head, (n, label)
        assert min(a for a, _ in ranges_of(store, r["a"].value)) == starts[n]
    # definitions are verbatim
    for r in q(store, f"SELECT ?a ?d WHERE {{ ?a bsl:contrat <{C}> ; skos:definition ?d FILTER(CONTAINS(STR(?a), '/article/')) }}"):
        assert in_seed(seed, r["d"].value, ranges_of(store, r["a"].value)), r["a"].value


def test_articles_crosswalk(store):
    for n in ("4", "5", "6"):
        why = q(store, f"SELECT ?w WHERE {{ <{C}/article/{n}> bsl:neSertAucunEngagement ?w }}")
        assert [r["w"].value for r in why] == [PROCEDURE], n
    assert q(store, f"ASK {{ <{C}/article/2> bsl:neSertAucunEngagement ?w }}")
    for n in ("1", "3"):
        eng = q(store, f"""SELECT ?t WHERE {{ ?k bsl:contributeur <{C}/article/{n}> ; bsl:cible ?t ; bsl:fondement bsl:propose ;
            bsl:justification ?j }}""")
        assert sorted(r["t"].value[len(BASE):] for r in eng) == ["engagement/1", "engagement/2", "engagement/3"], n
        assert not q(store, f"ASK {{ <{C}/article/{n}> bsl:neSertAucunEngagement ?w }}")


def test_second_pass_items_verbatim_at_their_lines(store, seed):
    items = {  # slug: (first line where the label starts, words on that line, parent)
        "projets-en-cours-d-instruction-decarbonation": (761, "Plusieurs projets sont encore en cours d’instruction", "orientation/1-1/objectif/1"),
        "royal-hainaut-spa-et-resort-hotel": (1770, "Royal Hainaut Spa et Resort Hôtel", "orientation/2-5/objectif/1/point/b"),
        "friches-ademe-caph-volet-travaux": (1493, "Deux autres dossiers sont en cours d’instruction", "orientation/2-1/objectif/2/point/a"),
        "prototypages-centres-sociaux-connectes-communes-rurales": (2334, "Des prototypages dans les communes rurales", "orientation/3-3/objectif/1"),
        "cpts-grand-denain": (2413, "un projet de CPTS est en émergence dans le Grand De", "orientation/3-3/objectif/2"),
        "colos-apprenantes": (2486, "soutenir cinq structures", "orientation/3-3/objectif/3"),
    }
    for slug, (line, words, parent) in items.items():
        iri = f"{C}/projet/{slug}"
        label = q(store, f"SELECT ?l WHERE {{ <{iri}> a bsl:ProjetContrat ; bsl:contrat <{C}> ; skos:prefLabel ?l }}")
        assert len(label) == 1, slug
        assert label[0]["l"].value.startswith(words) and words in seed[line - 1], slug
        assert in_seed(seed, label[0]["l"].value, ranges_of(store, iri)), slug
        assert q(store, f"ASK {{ <{iri}> skos:broader <{C}/{parent}> }}"), slug
        assert q(store, f"ASK {{ ?k bsl:contributeur <{iri}> ; bsl:fondement bsl:propose ; bsl:justification ?j }}"), slug
    # never duplicated: one project per label
    dup = q(store, f"""SELECT ?l (COUNT(?p) AS ?n) WHERE {{ ?p a bsl:ProjetContrat ; bsl:contrat <{C}> ; skos:prefLabel ?l }}
        GROUP BY ?l HAVING (COUNT(?p) > 1)""")
    assert not dup, [r["l"].value for r in dup]


def test_land_take_targets(store, seed):
    rows = q(store, """SELECT ?o ?i ?v ?max ?y ?c WHERE { ?o a bsl:Observation ; bsl:indicateur ?i ; bsl:citation ?c ;
        bsl:zone ?z FILTER(CONTAINS(STR(?i), "artificialisation"))
        OPTIONAL { ?o bsl:valeurNumerique ?v } OPTIONAL { ?o bsl:valeurMax ?max } OPTIONAL { ?o bsl:anneeReference ?y } }""")
    got = {}
    for r in rows:
        assert in_seed(seed, r["c"].value, ranges_of(store, r["o"].value)), r["o"].value
        value = r["v"] or r["max"]
        got[r["o"].value[len(BASE):]] = (Decimal(value.value), int(r["y"].value) if r["y"] else None)
    assert got == {
        "observation/crte-valenciennois-artificialisation-2021-2031": (Decimal("0.5"), 2031),
        "observation/crte-valenciennois-division-rythme-artificialisation-enaf/2030": (Decimal(3), 2030),
        "observation/crte-valenciennois-division-rythme-artificialisation-enaf/2040": (Decimal(4), 2040),
        "observation/crte-valenciennois-division-rythme-artificialisation-enaf/2050": (Decimal(6), 2050),
        "observation/crte-valenciennois-zero-artificialisation-nette": (Decimal(0), None),
    }
    assert "SRADDET" in seed[1013] and "diviser par 3 d’ici 2030" in seed[1013]
    zones = {r["z"].value for r in q(store, """SELECT ?z WHERE { ?o bsl:indicateur ?i ; bsl:zone ?z FILTER(CONTAINS(STR(?i), "artificialisation")) }""")}
    assert zones == {BASE + "territoire/valenciennois"}
