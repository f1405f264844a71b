"""The foundation: `boussole build` on the real sources, into a real on-disk pyoxigraph store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from graphtest import select

from kg.build import ShapesViolated, build
from kg.errors import BoussoleError
from kg.iris import graph
from kg.sources import DATA_DIR


def count(store: ox.Store, cls: str) -> int:
    rows = select(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a bsl:{cls} }}")
    return int(rows[0]["n"])


@pytest.mark.parametrize(("cls", "expected"), [
    ("Finalite", 1), ("Valeur", 6), ("Ambition", 2), ("Engagement", 3), ("ChampIntervention", 17),
    ("ProjetEmblematique", 9), ("Commune", 47), ("QuartierPrioritaire", 13),
])
def test_counts_of_the_referentiel_and_territory(graph_store: ox.Store, cls: str, expected: int) -> None:
    assert count(graph_store, cls) == expected


def test_champs_per_engagement(graph_store: ox.Store) -> None:
    rows = select(graph_store, """
        SELECT ?e (COUNT(?c) AS ?n) WHERE { ?c a bsl:ChampIntervention ; bsl:engagement ?e } GROUP BY ?e ORDER BY ?e""")
    assert [int(r["n"]) for r in rows] == [5, 7, 5]


def test_each_champ_has_exactly_one_engagement(graph_store: ox.Store) -> None:
    rows = select(graph_store, """
        SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE { ?c a bsl:ChampIntervention . OPTIONAL { ?c bsl:engagement ?e } }
        GROUP BY ?c HAVING (COUNT(DISTINCT ?e) != 1)""")
    assert rows == []


def test_every_described_resource_has_provenance_in_an_existing_document(graph_store: ox.Store) -> None:
    missing = select(graph_store, """
        SELECT ?s WHERE {
          ?s a ?c . ?c rdfs:subClassOf* ?top .
          VALUES ?top { bsl:ElementReferentiel bsl:ElementContrat bsl:Contrat bsl:Projet bsl:Collectivite
                        bsl:Territoire bsl:Constat bsl:OrganisationPartenaire }
          FILTER NOT EXISTS { ?s prov:wasDerivedFrom/bsl:document/bsl:nomFichier ?file }
          FILTER(isIRI(?s) && ?s != bsl:aucunEngagement)
        }""")
    assert missing == []


def test_provenance_points_at_the_text_of_the_label(graph_store: ox.Store) -> None:
    """The label of a commune stands on the CSV line its provenance names."""
    rows = select(graph_store, """
        SELECT ?label ?file ?start WHERE {
          id:commune\\/59002 skos:prefLabel ?label ; prov:wasDerivedFrom ?x .
          ?x bsl:document/bsl:nomFichier ?file ; bsl:ligneDebut ?start }""")
    assert rows, "commune 59002 has no provenance"
    line = (Path("kg/sources") / rows[0]["file"]).read_text(encoding="utf-8").splitlines()[int(rows[0]["start"]) - 1]
    assert rows[0]["label"] in line


def test_rebuild_is_idempotent(store_copy) -> None:
    copy, before = store_copy
    report = build(copy)
    assert (report.added, report.removed) == (0, 0)
    assert set(ox.Store.read_only(str(copy))) == before


def _data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    return data


@pytest.fixture
def store_copy(built, tmp_path: Path) -> tuple[Path, set[ox.Quad]]:
    """A copy of the built store, and its quads before the test touches it."""
    copy = tmp_path / "store"
    shutil.copytree(built[0], copy)
    return copy, set(ox.Store.read_only(str(copy)))


def test_malformed_file_names_file_and_line_and_keeps_the_store(store_copy, tmp_path: Path) -> None:
    copy, before = store_copy
    data = _data_copy(tmp_path)
    (data / "referentiel" / "zz-broken.ttl").write_text(
        '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<valeur/1> skos:prefLabel "unterminated ;\n',
        encoding="utf-8")
    with pytest.raises(BoussoleError, match=r"zz-broken\.ttl:2: "):
        build(copy, data_dir=data)
    assert set(ox.Store.read_only(str(copy))) == before


def test_shape_violation_is_reported_and_store_kept(store_copy, tmp_path: Path) -> None:
    copy, before = store_copy
    data = _data_copy(tmp_path)
    (data / "referentiel" / "zz-orphan.ttl").write_text(
        "@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        '<champ/9-9> a bsl:ChampIntervention ; skos:prefLabel "Champ sans engagement"@fr ; bsl:rang 9 ;'
        " prov:wasDerivedFrom <source/000#L1-L2> .\n", encoding="utf-8")
    with pytest.raises(ShapesViolated) as caught:
        build(copy, data_dir=data)
    text = str(caught.value)
    assert "<champ/9-9>" in text and "exactly one engagement" in text
    assert set(ox.Store.read_only(str(copy))) == before


def test_excerpt_outside_its_document_is_refused(tmp_path: Path) -> None:
    data = _data_copy(tmp_path)
    (data / "constats" / "zz-range.ttl").write_text(
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n<valeur/1> prov:wasDerivedFrom <source/001#L1-L999999> .\n",
        encoding="utf-8")
    with pytest.raises(BoussoleError, match=r"L1-L999999 is outside 001_"):
        build(tmp_path / "store", data_dir=data)


def test_build_keeps_graphs_it_does_not_own(store_copy) -> None:
    copy, _ = store_copy
    mine = ox.Quad(ox.NamedNode("http://example.org/d"), ox.NamedNode("http://example.org/p"), ox.Literal("x"),
                   graph("deliberations"))
    store = ox.Store(str(copy))
    store.add(mine)
    del store
    build(copy)
    assert mine in set(ox.Store.read_only(str(copy)))


def test_reasoning_with_hermit_is_consistent_and_stores_inferences(store_copy) -> None:
    copy, _ = store_copy
    report = build(copy, reason=True)
    assert report.graphs.get("inferred", 0) > 0
    store = ox.Store.read_only(str(copy))
    # HermiT entails that a commune is an org:Organization (Commune ⊑ Collectivite ⊑ org:Organization).
    assert ox.Quad(ox.NamedNode("https://boussole.agglo-porteduhainaut.fr/id/commune/59002"),
                   ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                   ox.NamedNode("http://www.w3.org/ns/org#Organization"), graph("inferred")) in set(
        store.quads_for_pattern(None, None, None, graph("inferred")))


def test_inconsistent_data_fails_the_reasoner(built, tmp_path: Path) -> None:
    data = _data_copy(tmp_path)
    (data / "constats" / "zz-inconsistent.ttl").write_text(
        "@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "bsl:explicite owl:sameAs bsl:propose .\n", encoding="utf-8")
    with pytest.raises(BoussoleError, match="inconsistent"):
        build(tmp_path / "store", data_dir=data, reason=True)
