"""#16: the pages put a tag's evidence into French words from its bsl:Indice nodes (the one formatter of
ingest/evidence.py), and show the French string of stores written before those nodes as it is."""

from __future__ import annotations

import html
from pathlib import Path

import httpx

D1 = "deliberation/200042190/DEL-2024-001"    # tags with evidence nodes (tests/web/fixture_deliberations.ttl)
D5 = "deliberation/200042190/DEL-2025-003"    # tags with the former evidence string only
FIXTURE = Path(__file__).resolve().parent / "fixture_deliberations.ttl"


def _tags(page: str) -> str:
    """The text of the tags table of a deliberation page."""
    table = page[page.index('<table class="etiquettes">'):]
    return html.unescape(table[:table.index("</table>")])


def test_the_page_words_the_evidence_nodes_and_shows_a_former_string_as_is(server):
    with httpx.Client(base_url=server["url"]) as client:
        structured = client.get(f"/id/{D1}")
        former = client.get(f"/id/{D5}")
    assert structured.status_code == former.status_code == 200
    tags = _tags(structured.text)
    assert ("<q>mots : « logements sociaux » ; phrase : « Le conseil communautaire approuve la participation » ; "
            "proche de : « Expérimenter de nouvelles façons d’habiter regroupant plusieurs fonctions") in tags
    assert "; à vérifier : un seul indice moyen ou faible</q>" in tags
    assert "<q>par le champ 1-2 « CONDITIONS DE VIE ET HABITAT » : mots : « logements sociaux »</q>" in tags
    assert "<q>mots : « festival »</q>" in _tags(former.text)


def test_the_words_the_cues_quote_are_highlighted_and_a_former_string_is_not_parsed() -> None:
    """On the fixture alone (other tests decide D1 on the shared store): the current tags' cue words and sentence are
    the evidence highlighted in the text; a former string gives nothing to highlight."""
    import pyoxigraph as ox

    from kg.iris import base_iri
    from web.deliberations import highlight, review_items

    store = ox.Store()
    store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                 for q in ox.parse(path=str(FIXTURE), base_iri=base_iri()))
    [item] = review_items(store, only=base_iri() + D1)
    assert set(item["evidence"]) == {"logements sociaux", "rayonnement",
                                     "Le conseil communautaire approuve la participation"}
    marked = [seg for seg, on in highlight(item["texte"], item["evidence"]) if on]
    assert "logements sociaux" in marked and "Le conseil communautaire approuve la participation" in marked
    [former] = review_items(store, only=base_iri() + D5)
    assert former["evidence"] == [] and former["tags"][0]["preuves"] == ["mots : « festival »"]
