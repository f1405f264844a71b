"""The act of a deliberation and the role of its words: general rules of the tagger (docs/tagging.md § 4).

Data: ingest/data/regles.yaml. All functions are deterministic and work on the stems of ingest.text.tokens, so a
phrase of the YAML matches whatever its case, accents or plural.

- find_act: the act named by the head of the object (« Fixation des tarifs… » → tarifs, « Avenant n°2 au marché… »
  → commande), after the nominalised verbs and articles that may precede it;
- has_phrase: whether one of some phrases occurs in a stem sequence (policy markers, land markers, internal context);
- role_factor: places and beneficiaries in a complement (« du groupe scolaire », « dans le quartier ») count less;
- blank_places: street and place names (« rue de la Gare », « place du Marché ») are not evidence;
- polyseme_ok: a polysemous cue counts only in its context (« restauration » of a church is not catering);
- cotags: the labelling guide's co-tagging rules (épicerie solidaire → 1-4 + 2-7…);
- motif_hits: case-sensitive patterns on the original text (a sports club named by its initials → 3-5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from ingest.linking import DATA
from ingest.text import tokens


def _phrases(items) -> list[tuple[str, ...]]:
    out = []
    for p in items or []:
        t = tuple(tokens(str(p)))
        if t and t not in out:
            out.append(t)
    return sorted(out, key=lambda t: -len(t))


@dataclass
class ActType:
    key: str
    heads: list[tuple[str, ...]]
    decision: str                       # institutionnel | objet | organisme | patrimoine
    raison: str                         # reason key of vocabulaire.yaml institutionnel.reasons
    libelle: str
    marqueurs: list[tuple[str, ...]] = field(default_factory=list)
    si: list[tuple[str, ...]] = field(default_factory=list)
    not_followed_by: list[tuple[str, ...]] = field(default_factory=list)
    neutralise: set[tuple[str, ...]] = field(default_factory=set)


@dataclass
class Act:
    type: ActType
    start: int                          # token index of the head in the object
    end: int
    first_clause: bool                  # the act heads the object (not a later clause)


@dataclass
class CoTag:
    nom: str
    tous: list[list[tuple[str, ...]]]
    champs: list[str]


@dataclass
class Motif:
    nom: str
    regex: re.Pattern
    champ: str
    poids: float


class Rules:
    def __init__(self, data: dict):
        self.prefixes = _phrases(data.get("prefixes"))
        self.articles = set(tokens(" ".join(data.get("articles") or [])))
        self.acts: list[ActType] = []
        for key, spec in (data.get("actes") or {}).items():
            self.acts.append(ActType(
                key=key, heads=_phrases(spec.get("heads")), decision=spec["decision"], raison=spec["raison"],
                libelle=spec.get("libelle", key), marqueurs=_phrases(spec.get("marqueurs")),
                si=_phrases(spec.get("si")), not_followed_by=_phrases(spec.get("not_followed_by")),
                neutralise=set(_phrases(spec.get("neutralise")))))
        self.by_key = {a.key: a for a in self.acts}
        interne = data.get("contexte_interne") or {}
        self.interne_act = self.by_key.get(interne.get("acte", ""))
        self.interne = _phrases(interne.get("phrases"))
        self.marqueurs = _phrases(data.get("marqueurs_politique"))
        roles = data.get("roles") or {}
        self.role_factor = float(roles.get("facteur", 1.0))
        self.role_words = set(_phrases(roles.get("mots")))
        self.role_preps = set(tokens(" ".join(roles.get("prepositions") or [])))
        self.role_articles = set(tokens(" ".join(roles.get("articles") or [])))
        voies = "|".join(re.escape(v) for v in data.get("voies") or [])
        name = r"[A-ZÉÈÊÀÂÎÔÛÇ0-9][\w’'\-]*"
        self.voie_re = re.compile(
            rf"(?<![Ee]n )\b(?:{voies})\s+(?:(?:de la|de l['’]|du|des|de|d['’])\s*)?{name}(?:[\s\-]+(?:(?:de la|de "
            rf"l['’]|du|des|de|d['’]|et)\s*)?{name})*",
            re.IGNORECASE if False else 0) if voies else None
        self.polysemes: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
        for spec in data.get("polysemes") or []:
            key = tuple(tokens(spec["cue"]))
            only = set(tokens(" ".join(spec.get("seulement_pres_de") or [])))
            unless = set(tokens(" ".join(spec.get("sauf_pres_de") or [])))
            self.polysemes[key] = (only, unless)
        self.window = int(data.get("fenetre", 4))
        self.cotags = [CoTag(c["nom"], [_phrases(g) for g in c["tous"]], [str(x) for x in c["champs"]])
                       for c in data.get("cotags") or []]
        self.cotag_minimum = float(data.get("cotag_minimum", 1.8))
        self.motifs = [Motif(m["nom"], re.compile(m["regex"]), str(m["champ"]), float(m.get("poids", 1.0)))
                       for m in data.get("motifs") or []]
        sc = data.get("second_champ") or {}
        self.second_fort = float(sc.get("fort", 1.0))
        self.second_distincts = int(sc.get("distincts", 2))
        self.proche_de_min = float(data.get("proche_de_min", 0.3))

    # --- the act -----------------------------------------------------------------------------------------------
    def _skip(self, toks: list[str], i: int) -> int:
        """Past the nominalised verbs, articles and numbers that may precede the act's head word."""
        n = len(toks)
        while i < n:
            if toks[i] in self.articles or toks[i].isdigit():
                i += 1
                continue
            for p in self.prefixes:
                if tuple(toks[i:i + len(p)]) == p:
                    i += len(p)
                    break
            else:
                return i
        return i

    def _head_at(self, toks: list[str], i: int) -> tuple[ActType, int] | None:
        for act in self.acts:
            for h in act.heads:
                if tuple(toks[i:i + len(h)]) == h:
                    rest = toks[i + len(h):]
                    rest_s = self._skip_articles(rest)
                    if any(tuple(rest_s[:len(p)]) == p for p in act.not_followed_by):
                        continue
                    return act, i + len(h)
        return None

    def _skip_articles(self, toks: list[str]) -> list[str]:
        i = 0
        while i < len(toks) and toks[i] in self.articles:
            i += 1
        return toks[i:]

    def find_act(self, objet: str) -> Act | None:
        """The act of the object: at its head, else (for acts decided by their object, like procurement) at the
        head of a later clause (« Médiathèque – avenant n°2 au marché de travaux »)."""
        clauses = [c for c in re.split(r"\s[-–—:]\s|\s*[:;]\s*|\(|\)", objet) if c.strip()]
        offset = 0
        for ci, clause in enumerate(clauses):
            toks = tokens(clause)
            i = self._skip(toks, 0)
            hit = self._head_at(toks, i)
            if hit and (ci == 0 or hit[0].decision == "objet"):
                return Act(hit[0], offset + i, offset + hit[1], ci == 0)
            offset += len(toks)
        return None

    def internal_context(self, stems: list[str]) -> bool:
        return self.interne_act is not None and has_phrase(stems, self.interne)

    def policy_marker(self, stems: list[str], act: ActType | None = None) -> tuple[str, ...] | None:
        return has_phrase(stems, self.marqueurs + (act.marqueurs if act else []))

    # --- roles -------------------------------------------------------------------------------------------------
    def role(self, stems: list[str], i: int, phrase: tuple[str, ...]) -> float:
        """× facteur for a place or beneficiary word in a complement; 1.0 otherwise."""
        if phrase not in self.role_words or i < 2:
            return 1.0
        prev = stems[i - 1]
        if prev in self.role_preps:
            return self.role_factor
        if prev in self.role_articles and stems[i - 2] in self.role_preps:
            return self.role_factor
        return 1.0

    def blank_places(self, text: str) -> str:
        """Street and place names replaced by spaces (same length, so offsets are kept)."""
        if not self.voie_re or not text:
            return text
        return self.voie_re.sub(lambda m: " " * len(m.group(0)), text)

    # --- homonyms ----------------------------------------------------------------------------------------------
    def polyseme_ok(self, stems: list[str], i: int, j: int, phrase: tuple[str, ...]) -> bool:
        rule = self.polysemes.get(phrase)
        if not rule:
            return True
        only, unless = rule
        near = set(stems[max(0, i - self.window):i]) | set(stems[j:j + self.window])
        if only and not (near & only):
            return False
        if unless and near & unless:
            return False
        return True

    # --- co-tagging and patterns -------------------------------------------------------------------------------
    def cotags_found(self, stems: list[str]) -> list[CoTag]:
        joined = " " + " ".join(stems) + " "
        out = []
        for c in self.cotags:
            if all(any(" " + " ".join(p) + " " in joined for p in group) for group in c.tous):
                out.append(c)
        return out

    def motif_hits(self, text: str) -> list[tuple[int, int, Motif]]:
        return [(m.start(), m.end(), mo) for mo in self.motifs for m in mo.regex.finditer(text or "")]


def has_phrase(stems: list[str], phrases: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The first phrase (longest first) that occurs in the stem sequence, or None."""
    if not phrases or not stems:
        return None
    joined = " " + " ".join(stems) + " "
    for p in phrases:
        if " " + " ".join(p) + " " in joined:
            return p
    return None


@lru_cache(maxsize=1)
def rules() -> Rules:
    with open(DATA / "regles.yaml", encoding="utf-8") as fh:
        return Rules(yaml.safe_load(fh))
