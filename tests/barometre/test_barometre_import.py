"""Importing indicator values, definitions and the budget into a real store: what is kept, reported, versioned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import write
from typer.testing import CliRunner

from barometre import budget, definitions, observations
from boussole.cli import app
from kg.build import build
from kg.errors import BoussoleError
from kg.iris import base_iri, graph
from kg.querying import run

VALUES = """indicateur,territoire,periode,valeur,unite,source
taux-chomage,200042190,2022,"14,5",%,INSEE RP 2022
taux-chomage,59172,2022,"21,3",%,INSEE RP 2022
taux-chomage,qn05950m,2023-06-30,31.2,%,France Travail
inconnu,59172,2022,3,%,x
taux-chomage,99999,2022,3,%,x
taux-chomage,59172,2021,n/a,%,x
taux-chomage,59172,2022-13-01,3,%,x
taux-chomage,59172,2022,99,%,doublon
"""


def values(store: ox.Store, indicator: str = "taux-chomage") -> dict[tuple[str, str], str]:
    result = run(store, f"""
        SELECT ?z ?p ?v WHERE {{ ?o a qb:Observation ; qb:dataSet ?ds ; bsl:indicateur ?i ; bsl:zone ?z ;
            bsl:periodeObservation ?p ; bsl:valeurNumerique ?v . FILTER(STRENDS(STR(?i), "/{indicator}")) }}""")
    return {(s["z"].value[len(base_iri()):], s["p"].value): s["v"].value for s in result}


def count(store: ox.Store, name: str) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, graph(name)))


def test_import_makes_observations_and_reports_each_bad_line(store: ox.Store, tmp_path: Path) -> None:
    report = observations.import_file(store, write(tmp_path / "valeurs.csv", VALUES))
    assert report.outcomes == {"ajoutée": 3, "inchangée": 0, "corrigée": 0}
    assert values(store) == {("epci/200042190", "2022"): "14.5", ("commune/59172", "2022"): "21.3",
                             ("qpv/QN05950M", "2023-06-30"): "31.2"}
    assert [r.split(" : ", 1)[0] for r in report.rejected] == [f"valeurs.csv:{n}" for n in (5, 6, 7, 8, 9)]
    assert "indicateur inconnu « inconnu »" in report.rejected[0]
    assert "territoire inconnu « 99999 »" in report.rejected[1]
    assert "valeur non numérique « n/a »" in report.rejected[2]
    assert "période invalide « 2022-13-01 »" in report.rejected[3]
    assert "ligne 3" in report.rejected[4]  # same key as line 3 with another value: the first one is kept


def test_reimporting_changes_nothing(store: ox.Store, tmp_path: Path) -> None:
    path = write(tmp_path / "valeurs.csv", VALUES)
    observations.import_file(store, path)
    before = set(store.quads_for_pattern(None, None, None, graph("observations")))
    report = observations.import_file(store, path)
    assert report.outcomes["inchangée"] == 3 and report.outcomes["ajoutée"] == 0
    assert set(store.quads_for_pattern(None, None, None, graph("observations"))) == before


def test_a_corrected_value_is_a_new_version_with_the_former_one_kept(store: ox.Store, tmp_path: Path) -> None:
    observations.import_file(store, write(tmp_path / "v1.csv", VALUES))
    fixed = ("indicateur;territoire;periode;valeur;unite;source\n"
             "taux-chomage;59172;2022;20,9;%;INSEE RP 2022 (rectifié)\n")
    report = observations.import_file(store, write(tmp_path / "v2.csv", fixed, encoding="cp1252"))
    assert report.outcomes["corrigée"] == 1
    assert values(store)[("commune/59172", "2022")] == "20.9"
    history = list(run(store, """
        SELECT ?old ?v ?src ?until WHERE { ?o prov:wasRevisionOf ?old . ?old a bsl:VersionObservation ;
          bsl:valeurNumerique ?v ; bsl:sourceDonnees ?src ; prov:invalidatedAtTime ?until .
          FILTER(CONTAINS(STR(?o), "/taux-chomage/59172/2022")) }"""))
    assert [(h["v"].value, h["src"].value) for h in history] == [("21.3", "INSEE RP 2022")]
    assert history[0]["old"].value.endswith("/observation/taux-chomage/59172/2022/version/1")
    # the version is not an observation of the cube: one value per key
    assert len(values(store)) == 3


def test_missing_columns_name_the_file(store: ox.Store, tmp_path: Path) -> None:
    with pytest.raises(BoussoleError, match=r"mauvais.csv:1: en-tête incomplet.*unite, source"):
        observations.import_file(store, write(tmp_path / "mauvais.csv", "indicateur,territoire,periode,valeur\n"))


DEFINITION = """
indicateurs:
  - id: linéaire-cyclable
    libelle: linéaire d'aménagements cyclables
"""

GOOD = """
feuilles_de_route:
  - id: mobilite-2024-2026
    libelle: Feuille de Route mobilité 2024-2026
    service: Direction de la mobilité
    periode: 2024-2026
    actions: [champ/2-4/orientation/1]
    jalons: [{date: 2025-06-30, libelle: schéma cyclable adopté}]
indicateurs:
  - id: lineaire-cyclable
    libelle: linéaire d'aménagements cyclables
    type: realisation
    unite: km
    sens: hausse
    mesure: [champ/2-4/orientation/1]
    source: SIG de l'Agglomération
cibles:
  - indicateur: lineaire-cyclable
    territoire: "200042190"
    valeur: 120
    horizon: 2026
    fixee_par: feuille-de-route/mobilite-2024-2026
"""


def test_definitions_from_yaml_are_validated_then_usable(store: ox.Store, tmp_path: Path) -> None:
    with pytest.raises(BoussoleError, match="identifiant « linéaire-cyclable »"):
        definitions.define(store, write(tmp_path / "d.yaml", DEFINITION))
    bad = GOOD.replace("sens: hausse", "sens: monter")
    with pytest.raises(BoussoleError, match=r"(?s)SHACL.*<indicateur/lineaire-cyclable> bsl:sensSouhaite"):
        definitions.define(store, write(tmp_path / "bad.yaml", bad))
    assert count(store, "indicateurs") == 0  # nothing written
    assert definitions.define(store, write(tmp_path / "good.yaml", GOOD))["ajoutée"] >= 3
    assert definitions.define(store, tmp_path / "good.yaml")["ajoutée"] == 0  # again: unchanged
    report = observations.import_file(store, write(tmp_path / "v.csv",
                                                   "indicateur,territoire,periode,valeur,unite,source\n"
                                                   "lineaire-cyclable,200042190,2024,42,km,SIG\n"))
    assert report.outcomes["ajoutée"] == 1
    assert values(store, "lineaire-cyclable") == {("epci/200042190", "2024"): "42"}


def test_versioned_indicators_cannot_be_redefined_by_import(store: ox.Store, tmp_path: Path) -> None:
    with pytest.raises(BoussoleError, match="<indicateur/idh> est défini par les données versionnées"):
        definitions.define(store, write(tmp_path / "idh.ttl",
                                        '@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> .\n'
                                        '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
                                        '<indicateur/idh> a bsl:Indicateur ; skos:prefLabel "autre"@fr ; '
                                        'bsl:sourceDonnees "x" .\n'))


BUDGET = """exercice,fonction,nature,libelle,montant,type
2024,75,2313,Réseau de chaleur,"1 200 000",prévu
2024,752,2313,Panneaux solaires,"300 000,50",réalisé
2024,8,6247,Transports,350000,realise
2024,0,6411,Personnel,5000000,réalisé
2024,x1,6411,Code inconnu,10,prévu
2024,75,2313,Montant,dix,prévu
2024,75,2313,Type,10,voté
"""


def test_budget_import_and_money_per_engagement(store: ox.Store, tmp_path: Path) -> None:
    from queries import catalogue

    path = write(tmp_path / "budget.csv", BUDGET)
    report = budget.import_file(store, path)
    assert report.outcomes == {"ajoutée": 4, "inchangée": 0, "corrigée": 0}
    assert [r.split(" : ")[0] for r in report.rejected] == ["budget.csv:6", "budget.csv:7", "budget.csv:8"]
    assert budget.import_file(store, path).outcomes["inchangée"] == 4
    names, rows = catalogue.table(catalogue.run(store, "budget-et-deliberations-par-engagement"))
    by = {r[names.index("engagement")]: r for r in rows if r[names.index("exercice")] == "2024"}
    e2 = by["engagement:2"]
    # 75 (énergie → 2-3) and 752 (→ 75) and 8 (transports → 2-4) all serve engagement 2
    assert e2[names.index("budget_prevu")] == "1200000"
    assert float(e2[names.index("budget_realise")]) == pytest.approx(650000.5)
    assert by[""][names.index("budget_realise")] == "5000000"  # function 0 serves no champ


def test_cli_lists_imports_and_a_rebuild_keeps_the_values(store_dir: Path, store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["indicateurs", "list", "--format", "csv", "--store", str(store_dir)])  # read-only
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("indicateur,libelle,type,unite")
    assert any(line.startswith("revenu-median-uc,") for line in lines)
    own = tmp_path / "store"
    shutil.copytree(store_path, own)  # the store `boussole build` makes, built once for the session
    result = runner.invoke(app, ["indicateurs", "import", str(write(tmp_path / "v.csv", VALUES)), "--store", str(own)])
    assert result.exit_code == 1  # some lines rejected, each listed with its reason
    assert "v.csv:5 : indicateur inconnu" in result.output
    kept = count(ox.Store(str(own)), "observations")
    build(own)  # the import owns graph/observations: a rebuild keeps it
    assert count(ox.Store(str(own)), "observations") == kept > 0
