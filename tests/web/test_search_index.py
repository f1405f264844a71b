"""The FTS5 search index on a small in-memory store: whole words, accents, ranking, numbers, odd input."""

from __future__ import annotations

import pyoxigraph as ox

from kg.iris import base_iri
from web.search_index import SearchIndex, fts_query

DATA = """
@prefix bsl: <https://boussole.agglo-porteduhainaut.fr/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix eli: <http://data.europa.eu/eli/ontology#> .
<champ/9-1> a bsl:ChampIntervention ; skos:prefLabel "Développement des usages"@fr ; bsl:numero "9.1" .
<projet/velo> a bsl:ProjetEmblematique ; skos:prefLabel "Pôle de référence du VÉLO"@fr .
<deliberation/1/2024-150> a bsl:Deliberation ; eli:id_local "2024-150" ; eli:title "Aménagement d'une liaison"@fr ;
    bsl:texte "Le conseil approuve une piste pour le vélo entre deux communes."@fr .
<deliberation/1/2024-151> a bsl:Deliberation ; eli:id_local "2024-151" ; eli:title "Budget annexe"@fr .
"""


def index() -> SearchIndex:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE, base_iri=base_iri())
    idx = SearchIndex()
    idx.ensure(1, store)
    return idx


def test_whole_words_accents_ignored_labels_before_texts():
    hits = index().search("velo").hits
    assert [h.href for h in hits] == ["/id/projet/velo", "/id/deliberation/1/2024-150"]
    assert hits[0].sur_libelle and not hits[1].sur_libelle
    assert ("vélo", True) in hits[1].extrait  # the word, highlighted in the text's snippet


def test_deliberation_by_its_number():
    assert [h.href for h in index().search("2024-150").hits] == ["/id/deliberation/1/2024-150"]


def test_prefix_only_when_no_whole_word_matches():
    results = index().search("developp")
    assert results.prefix and [h.href for h in results.hits] == ["/id/champ/9-1"]


def test_typed_text_is_never_fts_syntax():
    assert fts_query('vélo" OR * NEAR(a b) -x') == '"velo" "or" "near a" "b" "x"'
    assert index().search('" OR *').total == 0
    assert fts_query("  ") is None
