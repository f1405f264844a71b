"""The correction form keeps what the reviewer typed when it refuses a combination, and offers only consistent
choices (« aucun engagement » excludes the others); the queue page lists the one queue definition."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
from test_browser import ONCE

D3 = "deliberation/200042190/DEL-2023-011"    # the model proposes « aucun engagement »


def _login(client: httpx.Client, token: str) -> None:
    r = client.post("/connexion", data={"nom": "Paul Durand", "jeton": token, "retour": "/review"})
    assert r.status_code == 303


def test_a_refused_correction_keeps_the_reason_and_the_ticks(server, web_store):
    from ingest import review

    before = review.current(web_store, D3)
    with httpx.Client(base_url=server["url"]) as client:
        _login(client, server["token"])
        reason = "Désignation : relève du fonctionnement, mais le rapport cite le plan climat (à discuter)"
        r = client.post("/review/corriger", data={"deliberation": D3, "retour": "/review?statut=",
                                                  "corps": ["aucun", "engagement/2"], "raison": reason})
        assert r.status_code == 303
        query = parse_qs(urlparse(r.headers["location"]).query)
        assert "exclut" in query["erreur"][0] and query["raison"] == [reason]
        page = client.get(r.headers["location"]).text
    assert review.current(web_store, D3).annotations == before.annotations     # nothing written
    card = page[page.index(f'data-deliberation="{D3}"'):]
    card = card[:card.index("</article>")]
    assert '<details class="corriger" open>' in card
    assert f">{reason}</textarea>" in card
    assert re.search(r'value="engagement/2"\s+checked', card)
    assert re.search(r'value="aucun" class="choix-aucun" checked', card)


@ONCE
def test_aucun_is_ticked_alone_and_excludes_the_other_choices(page, server):
    page.goto("/connexion?retour=/review")
    page.get_by_label("Votre nom").fill("Paul Durand")
    page.get_by_label("Jeton d'écriture").fill(server["token"])
    page.get_by_role("button", name="Se connecter").click()
    page.goto("/review?statut=")
    card = page.locator(f"article.carte[data-deliberation='{D3}']")
    card.locator("details.corriger summary").click()
    form = card.locator("details.corriger")
    aucun = form.get_by_label("Ne sert aucun engagement")
    assert aucun.is_checked()
    assert form.locator("input[type=checkbox]:checked").count() == 1
    form.get_by_label(re.compile(r"^2\.4 ")).check()                  # a champ: its engagement, and not « aucun »
    assert form.get_by_label(re.compile(r"^Engagement 2 — ")).is_checked() and not aucun.is_checked()
    aucun.check()                                                      # « aucun »: nothing else
    assert form.locator("input[type=checkbox]:checked").count() == 1
