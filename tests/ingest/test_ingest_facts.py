"""Trustworthy facts from deliberations (issue #11 items 2-5, issue #15 defects 2, 8, 9): lenient reading with
findings, identity and versions, documents completing their row, places and amounts with their roles, one bad
record never ruining a run."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

from ingest.pipeline import IngestInterrupted, records_from_json
from ingest.readers import Item, iter_inputs
from ingest.readers.scdl_csv import read_scdl_csv
from ingest.records import Deliberation
from kg.iris import base_iri, prefix_block

B = base_iri()
HEADER = ("COLL_NOM;COLL_SIRET;DELIB_ID;DELIB_DATE;DELIB_MATIERE_CODE;DELIB_MATIERE_NOM;DELIB_OBJET;BUDGET_ANNEE;"
          "BUDGET_NOM;PREF_ID;PREF_DATE;VOTE_EFFECTIF;VOTE_REEL;VOTE_POUR;VOTE_CONTRE;VOTE_ABSTENTION;DELIB_URL")
CAPH = "Communauté d'Agglomération de La Porte du Hainaut"


def rows(store: ox.Store, q: str) -> list:
    return list(store.query(prefix_block() + q, use_default_graph_as_union=True))


def ask(store: ox.Store, q: str) -> bool:
    return bool(store.query(prefix_block() + q, use_default_graph_as_union=True))


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes((newline.join([HEADER, *lines]) + newline).encode(encoding))
    return path


# --- #11.2 lenient reading, strict reporting -----------------------------------------------------------------

def test_messy_real_world_export_keeps_every_usable_row(ingester, tmp_path):
    """cp1252, ';', CRLF, French dates, missing codes, a spaced SIRET, a missing SIRET, a formula in an objet."""
    f = write_csv(tmp_path / "export.csv", [
        f"{CAPH};200 042 190 00019;2025-101;17/03/2025;;;"
        "Attribution d'une subvention à l'association Les Jardins;;;;;83;70;70;0;0;",
        f"{CAPH};;2025-102;17/03/25;8.8;;Plan de gestion des haies bocagères;;;;;83;70;80;0;0;",
        f"{CAPH};20004219000019;2025-103;2025-03-17T00:00:00;7.1;Décisions budgétaires;"
        "=SOMME(A1:A3) budget annexe;;;;;;;;;;",
        f"{CAPH};20004219000019;2025-104;17.03.2025;8.7;Transports;Aire de covoiturage à Trith-Saint-Léger;;;;;;;;;;",
        f"{CAPH};20004219000019;;2025-03-17;8.7;Transports;Une ligne sans numéro;;;;;;;;;;",
        f"{CAPH};20004219000019;2025-105;2025-03-17;8.7;Transports;;;;;;;;;;;",
        "Syndicat inconnu;;2025-106;2025-03-17;8.7;Transports;"
        "Ligne d'une collectivité sans SIRET ni nom connu;;;;;;;;;;",
    ], encoding="cp1252", newline="\r\n")
    items = list(read_scdl_csv(f))
    kept = {it.record.delib_id: it.record for it in items if it.ok}
    rejected = {it.where.rsplit(":", 1)[1]: it.reason for it in items if not it.ok}
    assert set(kept) == {"2025-101", "2025-102", "2025-103", "2025-104"}
    assert set(rejected) == {"6", "7", "8"}
    assert "DELIB_ID" in rejected["6"] and "contenu" in rejected["7"] and "collectivité" in rejected["8"]
    codes = {k: {x.code for x in r.findings} for k, r in kept.items()}
    assert kept["2025-101"].date == "2025-03-17" and kept["2025-101"].siren == "200042190"
    assert {"date-reformatee", "siret-normalise", "matiere-deduite", "matiere-nom-deduit"} <= codes["2025-101"]
    assert kept["2025-101"].matiere_code == "7.5" and kept["2025-101"].matiere_nom == "Subventions"
    assert kept["2025-102"].date == "2025-03-17" and kept["2025-102"].siren == "200042190"
    assert {"siret-deduit", "votes-incoherents", "matiere-nom-deduit"} <= codes["2025-102"]
    assert kept["2025-103"].date == "2025-03-17" and kept["2025-103"].objet.startswith("=SOMME(A1:A3)")
    assert "formule" in codes["2025-103"] and kept["2025-104"].date == "2025-03-17"
    assert "Léger" in kept["2025-104"].objet           # cp1252 decoded
    summary = ingester.ingest(iter_inputs([f]))
    assert summary.stored == 4 and len(summary.skipped) == 3
    found = rows(ingester.store,
                 "SELECT ?code WHERE { ?d bsl:anomalie ?a . ?a a bsl:AnomalieDonnee ; bsl:codeAnomalie ?code }")
    assert len(found) == summary.findings >= 10


def test_utf8_bom_and_comma_separated(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_bytes("\ufeff".encode() + (HEADER.replace(";", ",") + "\n" +
                  f'"{CAPH}",20004219000019,2025-201,2025-01-20,8.9,Culture,'
                  '"Saison culturelle, programmation",,,,,,,,,,\n').encode())
    [it] = list(read_scdl_csv(f))
    assert it.ok and it.record.objet == "Saison culturelle, programmation" and it.record.findings == []


def export(sep: str, *objets: str, end: str = "\n") -> str:
    """An SCDL export separated by `sep`: the header, then one row per objet (the optional cells empty)."""
    rows = [sep.join([CAPH, "20004219000019", f"2025-3{k:02d}", "2025-01-20", "8.9", "Culture", objet] + [""] * 10)
            for k, objet in enumerate(objets)]
    return end.join([HEADER.replace(";", sep), *rows]) + end


ROW = f"{CAPH};20004219000019;2025-301;2025-01-20;8.9;Culture;"
QUIRKS = [  # (case, text, delimiter, what csv.Sniffer says alone when it is wrong: why guess_delimiter combines)
    ("french-excel", export(";", "Travaux de voirie, éclairage", '"Voirie ; éclairage, 2e tranche"'), ";", None),
    ("tabs", export("\t", "Saison culturelle, programmation ; concerts"), "\t", None),
    ("pipes", export("|", "Objet, un ; deux"), "|", None),
    ("apostrophes-between-commas", export(";", "Avenant au marché, 'Entretien des espaces verts', lot 3"), ";", ","),
    ("semicolons-between-apostrophes", export(",", "Convention ; 'Petites villes de demain'; avenant"), ",", ";"),
    ("both-in-the-header", "DELIB_ID;DELIB_OBJET;MONTANT (k€, TTC)\n2025-1;Avenant, 'Entretien', lot 3;12\n"
     "2025-2;Voirie;4\n", ";", ","),
    ("ragged-rows", f"{HEADER}\n{ROW}Objet, virgule\n{ROW}Objet, deux, trois\n", ";", "error"),
    ("ragged-rows-both-in-the-header", "DELIB_ID;DELIB_OBJET;MONTANT (k€, TTC)\n2025-1;Voirie\n"
     "2025-2;Avenant, lot 3;12\n2025-3;Parc\n", ";", "error"),
    ("lone-header", HEADER + "\r\n", ";", None),
    ("cr-line-ends", export(";", "Objet, un", "Objet, deux", end="\r"), ";", None),
    ("one-column", "DELIB_ID\n2025-1\n", ",", None),
]


@pytest.mark.parametrize(("text", "delimiter", "alone"), [q[1:] for q in QUIRKS], ids=[q[0] for q in QUIRKS])
def test_csv_delimiter_quirks(text, delimiter, alone):
    from kg.spreadsheet import DELIMITERS, guess_delimiter

    assert guess_delimiter(text) == delimiter
    if alone == "error":
        with pytest.raises(csv.Error):
            csv.Sniffer().sniff(text, delimiters=DELIMITERS)
    elif alone is not None:
        assert csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter == alone


def test_tab_separated_ragged_and_header_only_exports(tmp_path):
    tabs = tmp_path / "tabs.csv"
    tabs.write_text(export("\t", "Saison culturelle, programmation ; concerts"), encoding="utf-8")
    [it] = list(read_scdl_csv(tabs))
    assert it.ok and it.record.objet == "Saison culturelle, programmation ; concerts"
    ragged = write_csv(tmp_path / "ragged.csv", [ROW + "Objet, virgule", ROW + "Objet, deux, trois"], newline="\r")
    got = list(read_scdl_csv(ragged))
    assert [it.record.objet for it in got] == ["Objet, virgule", "Objet, deux, trois"]
    assert [it.where.rsplit(":", 1)[1] for it in got] == ["2", "3"]
    assert all("colonnes-manquantes" in {f.code for f in it.record.findings} for it in got)
    shifted = write_csv(tmp_path / "shifted.csv", [ROW + "Voirie; éclairage;;;;;;;;;;https://example.org/d"])
    [it] = list(read_scdl_csv(shifted))
    assert not it.ok and "18 valeurs pour 17 colonnes : un séparateur « ; » non protégé" in it.reason
    lone = write_csv(tmp_path / "lone.csv", [])
    assert list(read_scdl_csv(lone)) == []
    long_objet = "Rapport d'activité, " * 4000  # the sample ends inside this row
    big = write_csv(tmp_path / "big.csv", [ROW + f"Objet {k};;;;;;;;;;" for k in range(3)] + [ROW + long_objet + ";;"])
    assert [it.ok for it in read_scdl_csv(big)] == [True] * 4


def test_rejects_csv_names_file_line_and_reason(tmp_path, data_dir, capsys):
    from ingest import cli

    rejects = tmp_path / "rejets.csv"
    code = cli.ingest_command([str(data_dir / "scdl-sample.csv")], tmp_path / "store", quiet=True, rejects=rejects)
    assert code == 1
    with open(rejects, encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [(Path(r["fichier"]).name, r["ligne"]) for r in got] == [("scdl-sample.csv", "9")]
    assert "contenu" in got[0]["raison"]
    assert "rejets.csv" in capsys.readouterr().out


# --- #15.9 and #11.3 identity and versions ------------------------------------------------------------------

def test_ids_that_normalise_alike_stay_distinct_and_reruns_are_idempotent(ingester, tmp_path):
    f = write_csv(tmp_path / "ids.csv", [
        f"{CAPH};20004219000019;2024/012;2024-02-12;8.7;Transports;Objet un;;;;;;;;;;",
        f"{CAPH};20004219000019;2024-012;2024-02-12;8.7;Transports;Objet deux;;;;;;;;;;",
        f"{CAPH};20004219000019;2024 012;2024-02-12;8.7;Transports;Objet trois;;;;;;;;;;",
    ])
    first = ingester.ingest(iter_inputs([f]))
    assert first.stored == 3 and not first.conflicts
    iris = sorted(r["d"].value for r in rows(ingester.store, "SELECT ?d WHERE { ?d a bsl:Deliberation }"))
    assert iris == sorted(B + "deliberation/200042190/" + x for x in ("2024-012", "2024~2F012", "2024~20012"))
    n = len(ingester.store)
    again = ingester.ingest(iter_inputs([f]))
    assert again.unchanged == 3 and len(ingester.store) == n
    # the same rows in a new export (another file): content unchanged, the new input added to the provenance
    export = tmp_path / "export-2.csv"
    export.write_bytes(f.read_bytes() + b"\n")
    reexport = ingester.ingest(iter_inputs([export]))
    assert reexport.unchanged == 3 and reexport.updated == reexport.versioned == 0
    assert ask(ingester.store,
               f"ASK {{ <{B}deliberation/200042190/2024~2F012> prov:wasDerivedFrom ?a, ?b FILTER(?a != ?b) }}")


def test_two_collectivites_same_delib_id_never_merge(ingester):
    items = list(records_from_json([
        {"COLL_SIRET": "20004219000019", "DELIB_ID": "2024-1", "DELIB_OBJET": "Objet de la CAPH"},
        {"COLL_SIRET": "21590172900017", "DELIB_ID": "2024-1", "DELIB_OBJET": "Objet de Denain"},
    ]))
    assert ingester.ingest(items).stored == 2


def test_a_changed_row_is_a_new_version_and_the_old_one_is_kept(ingester, tmp_path):
    row = f"{CAPH};20004219000019;2025-300;2025-03-17;8.7;Transports;Aire de covoiturage à "
    v1 = write_csv(tmp_path / "v1.csv", [row + "Denain;;;;;;;;;;"])
    v2 = write_csv(tmp_path / "v2.csv", [row + "Haulchin;;;;;;;;;;"])
    ingester.ingest(iter_inputs([v1]))
    s2 = ingester.ingest(iter_inputs([v2]))
    d = f"<{B}deliberation/200042190/2025-300>"
    assert s2.versioned == 1 and len(s2.conflicts) == 1
    assert "Denain" in s2.conflicts[0][2] and "Haulchin" in s2.conflicts[0][2]
    assert ask(ingester.store, f"""ASK {{ {d} eli:title ?t ; prov:wasRevisionOf ?v .
        ?v a bsl:VersionDeliberation ; dcterms:isVersionOf {d} ; eli:title ?old ; prov:invalidatedAtTime ?when .
        FILTER(CONTAINS(?t, "Haulchin") && CONTAINS(?old, "Denain")) }}""")
    assert ask(ingester.store, f"ASK {{ {d} bsl:concerne <{B}commune/59288> }}")            # Haulchin, current
    assert not ask(ingester.store, f"ASK {{ {d} bsl:concerne <{B}commune/59172> }}")        # Denain was v1's
    n = len(ingester.store)
    rerun = ingester.ingest(iter_inputs([v1, v2]))                                          # idempotent
    assert rerun.unchanged == 2 and rerun.versioned == 0 and len(ingester.store) == n
    history = rows(ingester.store, (Path(__file__).parents[2] / "queries" / "historique-versions.rq").read_text())
    assert len(history) == 1 and "Denain" in history[0]["titre_precedent"].value


def test_a_document_completes_the_row_it_matches(ingester, data_dir, tmp_path):
    row = write_csv(tmp_path / "row.csv", [
        f"{CAPH};20004219000019;2025-007;2025-02-10;8.7;Transports;Schéma directeur cyclable - Raismes;;;;;;;;;;",
        f"{CAPH};20004219000019;2025-008;2025-02-10;8.8;Environnement;Plan de plantation;;;"
        "059-200042190-20250210-2025008-DE;;;;;;;"])
    s = ingester.ingest(iter_inputs([row, data_dir / "sample.pdf"]))     # the PDF says « Deliberation n 2025-007 »
    assert s.stored == 2 and s.updated == 1
    assert len(rows(ingester.store, "SELECT ?d WHERE { ?d a bsl:Deliberation }")) == 2
    assert ask(ingester.store, f"""ASK {{ <{B}deliberation/200042190/2025-007> bsl:texte ?t ;
        prov:wasDerivedFrom ?a, ?b FILTER(?a != ?b) }}""")
    # by the PREF_ID printed in its text, when the header gives no number
    doc = tmp_path / "sans-numero.txt"
    doc.write_text("COMMUNAUTÉ D'AGGLOMÉRATION DE LA PORTE DU HAINAUT\nSéance du 10 février 2025\n"
                   "Objet : Plan de plantation de haies\nLe Conseil décide de planter 2 km de haies.\n"
                   "Accusé de réception : 059-200042190-20250210-2025008-DE\n", encoding="utf-8")
    s = ingester.ingest(iter_inputs([doc]))
    assert s.updated == 1 and len(rows(ingester.store, "SELECT ?d WHERE { ?d a bsl:Deliberation }")) == 2
    assert ask(ingester.store,
               f"""ASK {{ <{B}deliberation/200042190/2025-008> bsl:texte ?t FILTER(CONTAINS(?t, "haies")) }}""")
    # the document's « no number » finding no longer holds once it completed its row
    assert not ask(ingester.store, 'ASK { ?a bsl:codeAnomalie "numero-absent" }')


# --- #15.2 and #15.8: one bad record, an interrupted run ----------------------------------------------------

def test_a_text_over_spacy_max_length_is_read_in_pieces(ingester, data_dir):
    from ingest.nlp import base_model

    body = (data_dir / "textes" / "t05.txt").read_text(encoding="utf-8")
    long_text = ("x" * 999 + " ") * 1000 + "\n" + body          # the real text in the last piece
    assert len(long_text) > base_model().max_length
    items = [Item(record=Deliberation(objet="Fonds de concours", texte=long_text, delib_id="L-1", siren="200042190",
                                      source="api[1]")),
             Item(record=Deliberation(objet="Plantation de haies", delib_id="L-2", siren="200042190", source="api[2]"))]
    s = ingester.ingest(items)
    assert s.stored == 2 and s.skipped == []
    # the mentions of the last piece were found, at their offsets in the whole text
    assert ask(ingester.store, f"ASK {{ <{B}deliberation/200042190/L-1> bsl:montantDecision 300000.0 }}")
    found = rows(ingester.store, f"""SELECT ?t ?b ?e WHERE {{ <{B}deliberation/200042190/L-1> bsl:mention ?m .
        ?m bsl:texteMention ?t ; bsl:debut ?b ; bsl:fin ?e ; bsl:designe <{B}commune/59361> }}""")
    assert found and all(r["t"].value == "Lourches" and int(r["b"].value) > 1_000_000 for r in found)


def test_a_record_the_nlp_cannot_process_is_skipped_with_its_reason(ingester, monkeypatch):
    import ingest.pipeline as pipeline

    real = pipeline.annotate

    def annotate(texts, gv, batch_size=32):
        if any("POISON" in t for t in texts):
            raise ValueError("texte empoisonné")
        return real(texts, gv, batch_size)

    monkeypatch.setattr(pipeline, "annotate", annotate)
    recs = [Deliberation(objet=f"Objet {i}" + (" POISON" if i == 3 else ""), delib_id=f"P-{i}", siren="200042190",
                         source=f"api[{i}]") for i in range(6)]
    s = ingester.ingest(recs)
    assert s.stored == 5 and [w for w, _ in s.skipped] == ["api[3]"] and "empoisonné" in s.skipped[0][1]


def test_an_interrupted_run_writes_exactly_what_it_reports_and_nothing_later(ingester):
    recs = [Deliberation(objet=f"Travaux de voirie {i}", delib_id=f"I-{i}", siren="200042190", source=f"api[{i}]")
            for i in range(70)]

    def progress(n: int, where: str) -> None:
        if n == 70:
            raise OSError("disque plein")   # after the 70th record is queued, before its group is written

    def count() -> int:
        return len(rows(ingester.store, "SELECT ?d WHERE { ?d a bsl:Deliberation }"))

    with pytest.raises(IngestInterrupted) as info:
        ingester.ingest(recs, progress=progress)
    assert info.value.summary.stored == count() == 64          # one group of 64 written; 6 queued, dropped
    assert len(info.value.summary.iris) == 64
    later = ingester.ingest([Deliberation(objet="Autre", delib_id="J-1", siren="200042190", source="api[1]")])
    assert later.stored == 1 and count() == 65                  # nothing of the interrupted run came with it


# --- #11.4 and #11.5: places and amounts with their roles ----------------------------------------------------

LETTER = """COMMUNAUTÉ D'AGGLOMÉRATION DE LA PORTE DU HAINAUT
Site minier d'Arenberg - Wallers-Arenberg
Rue Michel Rondet - BP 59 - 59135 Wallers-Arenberg

EXTRAIT DU REGISTRE DES DÉLIBÉRATIONS DU CONSEIL COMMUNAUTAIRE
Séance du 17 mars 2025
Délibération n° 2025-050

Objet : Fonds de concours à la commune de Lourches pour la maison de santé

Vu la délibération du conseil municipal de Trith-Saint-Léger du 3 février 2025 ;
Considérant que la commune de Lourches porte la construction d'une maison de santé, pour un coût de 2 100 000 € HT ;
Considérant qu'à l'instar de Raismes, la commune a obtenu une subvention de la Région de 400 000 € ;
Considérant le budget primitif 2025 qui s'équilibre à 186 450 000 € ;

DÉCIDE :
Article 1 : attribue à la commune de Lourches un fonds de concours de 300 000 € ;
Article 2 : sollicite une subvention de 120 000 € auprès de l'État ;
Article 3 : approuve le plan de financement : Région 400 000 €, Communauté 300 000 € ;

Fait à Wallers-Arenberg, le 17 mars 2025
Pour extrait conforme,
Le Président
"""


def test_roles_of_places_and_amounts_in_a_full_text(ingester):
    rec = Deliberation(objet="", texte=LETTER, delib_id="2025-050", siren="200042190", date="2025-03-17",
                       source="lettre.txt")
    s = ingester.ingest([rec])
    assert s.stored == 1
    d = f"<{B}deliberation/200042190/2025-050>"
    roles = {(r["t"].value, r["r"].value) for r in rows(ingester.store, f"""SELECT ?t ?r WHERE {{ {d} bsl:mention ?m .
        ?m bsl:texteMention ?t ; bsl:roleMention ?r }}""")}
    # letterhead, address, signature
    assert ("Wallers", "emetteur") in roles and ("Wallers", "concerne") not in roles
    assert ("Lourches", "concerne") in roles
    assert ("Raismes", "cite") in roles and ("Trith-Saint-Léger", "cite") in roles        # comparison, visa
    amounts = {(r["t"].value, r["r"].value) for r in rows(ingester.store, f"""SELECT ?t ?r WHERE {{ {d} bsl:mention ?m .
        ?m bsl:categorie "MONTANT" ; bsl:texteMention ?t ; bsl:roleMention ?r }}""")}
    assert ("2 100 000 €", "cout") in amounts and ("186 450 000 €", "cite") in amounts
    assert ("120 000 €", "cite") in amounts and ("400 000 €", "cite") in amounts
    assert ("300 000 €", "decision") in amounts
    concerne = {r["c"].value for r in rows(ingester.store, f"SELECT ?c WHERE {{ {d} bsl:concerne ?c }}")}
    cited = {r["c"].value for r in rows(ingester.store, f"SELECT ?c WHERE {{ {d} bsl:citeLieu ?c }}")}
    assert concerne == {B + "commune/59361"}                                                 # Lourches only
    assert B + "commune/59632" not in concerne | cited                                      # Wallers: the issuer
    assert ask(ingester.store, f"ASK {{ {d} bsl:montantDecision 300000.0 ; bsl:coutOperation 2100000.0 }}")


def test_rejects_file_neutralises_formulas(tmp_path):
    from ingest.rejects import write_rejects

    write_rejects(tmp_path / "r.csv", [("=HYPERLINK(\"x\")", "format non pris en charge"),
                                       ("a.csv:3", "DELIB_ID vide")])
    with open(tmp_path / "r.csv", encoding="utf-8", newline="") as fh:
        got = list(csv.reader(fh))
    assert got == [["fichier", "ligne", "raison"], ["'=HYPERLINK(\"x\")", "", "format non pris en charge"],
                   ["a.csv", "3", "DELIB_ID vide"]]


@pytest.mark.parametrize("raw,iso,code", [
    ("2025-03-17", "2025-03-17", None), ("17/03/2025", "2025-03-17", "date-reformatee"),
    ("17/03/25", "2025-03-17", "date-reformatee"), ("2025-03-17T00:00:00", "2025-03-17", "date-reformatee"),
    ("2025-03-17T00:00:00.000+01:00", "2025-03-17", "date-reformatee"), ("17.03.2025", "2025-03-17", "date-reformatee"),
    ("17-03-2025", "2025-03-17", "date-reformatee"), ("2025/03/17", "2025-03-17", "date-reformatee"),
    ("17 mars 2025", "2025-03-17", "date-reformatee"), ("45733", "2025-03-17", "date-reformatee"),
    ("31/02/2025", None, "date-illisible"), ("bientôt", None, "date-illisible"), ("", None, None),
])
def test_common_date_forms(raw, iso, code):
    from ingest.readers.values import read_date

    got, findings = read_date(raw, "DELIB_DATE")
    assert got == iso and [f.code for f in findings] == ([code] if code else [])


def test_a_title_line_before_le_conseil_is_not_a_letterhead():
    from ingest.roles import CONCERNE, EMETTEUR, TextZones, place_role

    text = "Maison de santé de Lourches\nLe Conseil communautaire décide d'attribuer un fonds de concours."
    assert place_role(TextZones(text), text.index("Lourches")) == CONCERNE
    text = "COMMUNAUTÉ D'AGGLOMÉRATION\nSite minier - Wallers-Arenberg\nSéance du 3 mars 2025\nObjet : voirie à Denain"
    z = TextZones(text)
    assert place_role(z, text.index("Wallers")) == EMETTEUR and place_role(z, text.index("Denain")) == CONCERNE


def test_cli_ingest_of_a_folder_with_a_text_over_max_length_keeps_every_file(tmp_path, data_dir, capsys):
    from ingest import cli

    folder = tmp_path / "lot"
    folder.mkdir()
    body = (data_dir / "textes" / "t05.txt").read_text(encoding="utf-8")
    (folder / "long.txt").write_text(body + "\n" + ("x" * 999 + " ") * 1000, encoding="utf-8")
    (folder / "t06.txt").write_text((data_dir / "textes" / "t06.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.ingest_command([str(folder)], tmp_path / "store", quiet=True, rejects=tmp_path / "rejets.csv") == 0
    store = ox.Store.read_only(str(tmp_path / "store"))
    assert len(rows(store, "SELECT ?d WHERE { ?d a bsl:Deliberation }")) == 2
