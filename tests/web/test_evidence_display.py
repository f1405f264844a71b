"""#16: the pages put a tag's evidence into French words from its bsl:Indice nodes (the one formatter of
ingest/evidence.py), and show the French string of stores written before those nodes as it is."""

from __future__ import annotations

import html

import httpx

D1 = "deliberation/200042190/DEL-2024-001"    # tags with evidence nodes (tests/web/fixture_deliberations.ttl)
D5 = "deliberation/200042190/DEL-2025-003"    # tags with the former evidence string only


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
    # the words the evidence quotes are highlighted in the text, from the nodes
    assert "<mark>logements sociaux</mark>" in html.unescape(structured.text)
