"""The role of each place and amount a deliberation mentions, and the one rule that turns amounts into figures.

Places: a commune or QPV named in the issuer's letterhead, address or signature is not a place of the decision;
in a visa it is only cited; elsewhere it is concerned (the beneficiary, the place of the works or the service),
unless the words just before say that it is cited for comparison. Only concerned places are ``bsl:concerne``.

Amounts: the decision's amount (granted, paid, borrowed, guaranteed, a sale's price), the operation's cost, or a
figure only cited (budgets, other years, other funders' shares, aid requested from others). The rule, written here
once: **the amount of a deliberation (``bsl:montantDecision``) is the largest amount whose role is the decision's**;
a deliberation without one has no amount. Every total (dashboard, coherence questions, API) sums it.

The patterns are data (ingest/data/roles.yaml); they are read on the folded text, whose offsets are the text's.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Iterable

import yaml

from ingest.linking import DATA
from ingest.text import fold

PLACE_CATEGORIES = {"COMMUNE", "QPV", "TERRITOIRE"}
ISSUER_ZONES = {"entete", "adresse", "signature"}

# roles written on the mentions (bsl:roleMention): places
CONCERNE, CITE, EMETTEUR = "concerne", "cite", "emetteur"
# amounts
DECISION, COUT = "decision", "cout"


@dataclass(frozen=True)
class Patterns:
    letterhead: re.Pattern
    after_letterhead: re.Pattern
    objet: re.Pattern
    visa: re.Pattern
    dispositif: re.Pattern
    signature: re.Pattern
    address: re.Pattern
    place_cited_before: re.Pattern
    other_funder: re.Pattern
    own_share: re.Pattern
    cited_in_clause: re.Pattern
    decision: re.Pattern
    cost: re.Pattern
    year: re.Pattern


@lru_cache(maxsize=1)
def patterns() -> Patterns:
    with open(DATA / "roles.yaml", encoding="utf-8") as fh:
        d = yaml.safe_load(fh)
    z, p, a = d["zones"], d["places"], d["amounts"]
    def c(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.M)

    return Patterns(c(z["letterhead"]), c(z["after_letterhead"]), c(z["objet"]), c(z["visa"]), c(z["dispositif"]),
                    c(z["signature"]), c(z["address"]), c(p["cited_before"]), c(a["other_funder_just_before"]),
                    c(a["own_share_just_before"]), c(a["cited_in_clause"]), c(a["decision"]), c(a["cost"]),
                    c(a["year_in_clause"]))


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return "'" if ch == "\u2019" else (fold(ch)[:1] or " ")


def _folded(text: str) -> str:
    """The text folded character by character (lower case, no accents; € « – as spaces): offsets are the text's."""
    return "".join(map(_fold_char, text))


def _capitals(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


class TextZones:
    """The zone of every offset of a text: entete, adresse, objet, visa, expose, dispositif, signature."""

    def __init__(self, text: str, objet_prefix: int = 0):
        self.folded = _folded(text)
        p = patterns()
        lines, pos = [], 0
        for line in self.folded.split("\n"):
            lines.append((pos, line))
            pos += len(line) + 1
        # the letterhead: the lines before the first anchor (when it comes early), after a prepended objet
        first = next((i for i, (s, ln) in enumerate(lines[:15])
                      if s >= objet_prefix and p.after_letterhead.search(ln)), None)
        if first is not None and not any(p.letterhead.search(ln) or _capitals(text[s:s + len(ln)])
                                         for s, ln in lines[:first] if s >= objet_prefix):
            first = None
        starts, zones = [], []
        zone = "expose"
        for i, (s, ln) in enumerate(lines):
            if s < objet_prefix:
                z = "objet"
            elif first is not None and i < first and ln.strip():
                z = "entete"
            elif zone == "signature" or p.signature.search(ln):
                zone = z = "signature"
            elif p.objet.search(ln):
                z = "objet"
            elif p.visa.search(ln):
                z = "visa"
            elif p.dispositif.search(ln):
                zone = z = "dispositif"
            else:
                z = zone
            if z not in ("entete", "signature") and len(ln) < 160 and p.address.search(ln) and not p.objet.search(ln):
                z = "adresse"
            starts.append(s)
            zones.append(z)
        self._starts, self._zones = starts, zones

    def at(self, offset: int) -> str:
        return self._zones[max(0, bisect_right(self._starts, offset) - 1)] if self._zones else "expose"

    def clause_before(self, offset: int) -> str:
        """The folded text of the clause that ends at `offset` (since the last ; . or line end, at most 400
        characters back: long texts stay linear)."""
        floor = max(0, offset - 400)
        start = max(self.folded.rfind(c, floor, offset) for c in (";", "\n", ". "))
        return self.folded[max(start + 1, floor):offset]


def place_role(zones: TextZones, start: int) -> str:
    zone = zones.at(start)
    if zone in ISSUER_ZONES:
        return EMETTEUR
    if zone == "visa" or patterns().place_cited_before.search(zones.clause_before(start)):
        return CITE
    return CONCERNE


def amount_role(zones: TextZones, start: int, year: int | None) -> str:
    p = patterns()
    zone = zones.at(start)
    if zone in ISSUER_ZONES or zone == "visa":
        return CITE
    clause = zones.clause_before(start)
    item = clause[max(clause.rfind(","), clause.rfind(":")) + 1:]
    if p.other_funder.search(item):
        return CITE
    if p.own_share.search(item):
        return DECISION
    if p.cited_in_clause.search(clause):
        return CITE
    if year is not None and any(int(m.group(2) + m.group(3)) < year for m in p.year.finditer(clause)):
        return CITE
    last = {role: max((m.end() for m in rx.finditer(clause)), default=-1)
            for role, rx in ((DECISION, p.decision), (COUT, p.cost))}
    if max(last.values()) >= 0:
        return max(last, key=last.get)
    return DECISION if zone == "dispositif" else CITE


def decision_amount(amounts: Iterable[tuple[Decimal, str]]) -> Decimal | None:
    """The rule: the largest amount whose role is the decision's (None when there is none)."""
    return max((v for v, role in amounts if role == DECISION), default=None)


def operation_cost(amounts: Iterable[tuple[Decimal, str]]) -> Decimal | None:
    return max((v for v, role in amounts if role == COUT), default=None)
