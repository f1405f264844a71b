"""Engagement and champ tagging, deterministic and offline.

Method (docs/tagging.md): for each of the 17 champs d'intervention a score is built from three kinds of evidence,
none of them learnt from the development set:

1. cue phrases of the champ (ingest/data/vocabulaire.yaml: the référentiel's wording plus the usual vocabulary of
   French deliberations), weighted fort/moyen/faible, counted 1.5× in the object of the deliberation;
2. the référentiel text of the champ read from the graph (label, orientations, actions): TF-IDF cosine similarity
   with the deliberation, which also names the closest orientation/action as evidence resource;
3. entities linked to graph resources that serve a champ or an engagement (projets emblématiques, contract
   elements, dispositifs via bsl:sert / bsl:Contribution) and, weakly, the ACTES matière.

score = 1 − exp(−raw / 1.2). Champs scoring ≥ 0.5 (and ≥ half the best) are proposed, at most 3; an engagement is
proposed when one of its champs is. Institutional functioning (elections, delegations, staff, budget documents…)
has its own cue list; when it dominates, the deliberation gets « serves no engagement » with the reason.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

from ingest import RULES_VERSION, TAGGER_NAME
from ingest.acts import Act, rules
from ingest.evidence import (
    ACT,
    COTAG,
    INST_COMPETES,
    INSTITUTION,
    LINKED,
    MATIERE,
    NEAR,
    NO_CUE,
    ONE_CUE,
    REFERENTIEL_ONLY,
    SENTENCE,
    THEME,
    THEME_COMPETES,
    VIA_CHAMP,
    Cue,
)
from ingest.linking import GraphVocabulary, actes_yaml, vocabulary_yaml
from ingest.nlp import Mention
from ingest.text import (
    PhraseIndex,
    content_tokens,
    sentences,
    strip_boilerplate_lines,
    tokens,
    tokens_with_offsets,
)

THRESHOLD = 0.5          # a champ is proposed from this score
LOW = 0.3                # below THRESHOLD but above LOW: the best champ is still proposed, flagged for review
SCALE = 1.2
TITLE_BOOST = 1.5
TFIDF_WEIGHT = 3.0
MAX_CHAMPS = 3
CHAMPS = [f"{e}-{c}" for e, n in ((1, 5), (2, 7), (3, 5)) for c in range(1, n + 1)]


@dataclass
class Tag:
    target: str                   # "champ/1-2", "engagement/1" or "aucun"
    score: float
    cues: list[Cue]               # the evidence (ingest/evidence.py), put into words only for display
    ressources: list[str] = field(default_factory=list)
    justification: str | None = None   # for "aucun"


@dataclass
class TagResult:
    engagements: list[Tag] = field(default_factory=list)
    champs: list[Tag] = field(default_factory=list)
    aucun: Tag | None = None
    primary: str | None = None          # best champ key ("1-2") even when not proposed

    @property
    def engagement_numbers(self) -> list[str]:
        return [t.target.split("/")[1] for t in self.engagements]

    @property
    def champ_keys(self) -> list[str]:
        return [t.target.split("/")[1] for t in self.champs]

    @property
    def score(self) -> float:
        if self.aucun:
            return self.aucun.score
        return max((t.score for t in self.engagements), default=0.0)

    @property
    def annotations(self) -> list[Tag]:
        return [self.aucun] if self.aucun else self.engagements + self.champs


class CueIndex(PhraseIndex):
    """Longest match wins: a shorter cue inside a longer cue never counts (« conservatoire » inside « conservatoire
    d'espaces naturels »). A phrase that serves two champs is listed under both in the vocabulary."""

    def find(self, toks):
        i, n = 0, len(toks)
        while i < n:
            hit = None
            for key, payloads in self._by_first.get(toks[i], ()):   # sorted longest first
                if tuple(toks[i:i + len(key)]) == key:
                    hit = (i, i + len(key), list(payloads))
                    break
            if hit:
                yield hit
                i = hit[1]
            else:
                i += 1


def _squash(raw: float) -> float:
    return round(1.0 - math.exp(-max(raw, 0.0) / SCALE), 3)


class Tagger:
    name = TAGGER_NAME
    version = RULES_VERSION

    def __init__(self, gv: GraphVocabulary):
        self.gv = gv
        voc = vocabulary_yaml()
        w = voc["weights"]
        self.cues = CueIndex()
        self.rules = rules()
        self.labels: dict[str, str] = {}
        for key, spec in voc["champs"].items():
            self.labels[key] = gv.labels.get(f"champ/{key}") or spec["label"]
            for level in ("fort", "moyen", "faible"):
                for phrase in spec.get(level) or []:
                    self.cues.add(str(phrase), ("champ", key, float(w[level])))
        inst = voc["institutionnel"]
        self.inst_reasons = inst["reasons"]
        for level in ("fort", "moyen"):
            for reason, phrases in (inst.get(level) or {}).items():
                for phrase in phrases or []:
                    self.cues.add(str(phrase), ("inst", reason, float(inst["weights"][level])))
        self.class_priors = voc.get("classes", {})
        self.actes = actes_yaml()
        self._build_tfidf()

    # --- référentiel profiles -------------------------------------------------------------------------------
    def _build_tfidf(self) -> None:
        docs: dict[str, Counter] = {}
        self.units: list[tuple[str, str, dict[str, float]]] = []   # (champ, resource path, vector) per sentence
        for key in CHAMPS:
            texts = self.gv.champ_text.get(key, [])
            c = Counter()
            for _, t in texts:
                c.update(content_tokens(t))
            docs[key] = c
        n = len(CHAMPS)
        df = Counter()
        for c in docs.values():
            df.update(set(c))
        self.idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
        self.profiles = {k: self._vector(c) for k, c in docs.items()}
        for key in CHAMPS:
            for path, t in self.gv.champ_text.get(key, []):
                if path == f"champ/{key}":
                    continue
                v = self._vector(Counter(content_tokens(t)))
                if v:
                    self.units.append((key, path, v))
        self.units_by_champ: dict[str, list[tuple[str, dict[str, float]]]] = defaultdict(list)
        for key, path, v in self.units:
            self.units_by_champ[key].append((path, v))
        # inverted index token → (unit number, weight) per champ, to find the closest orientation quickly
        self.unit_index: dict[str, dict[str, list[tuple[int, float]]]] = {}
        for key, units in self.units_by_champ.items():
            idx: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for ui, (_, v) in enumerate(units):
                for t, w in v.items():
                    idx[t].append((ui, w))
            self.unit_index[key] = dict(idx)

    def label(self, path: str) -> str:
        """A resource's name for the evidence in words: its graph label, else its référentiel text, else the path."""
        if path in self.gv.labels:
            return self.gv.labels[path]
        return next((t for key in CHAMPS for p, t in self.gv.champ_text.get(key, []) if p == path), path)

    def _vector(self, counts: Counter) -> dict[str, float]:
        v = {t: (1 + math.log(c)) * self.idf[t] for t, c in counts.items() if t in self.idf}
        norm = math.sqrt(sum(x * x for x in v.values()))
        return {t: x / norm for t, x in v.items()} if norm else {}

    @staticmethod
    def _cos(a: dict[str, float], b: dict[str, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(x * b.get(t, 0.0) for t, x in a.items())

    # --- tagging --------------------------------------------------------------------------------------------
    def analyse(self, objet: str, texte: str = "", matiere_code: str | None = None,
                mentions: list[Mention] | None = None) -> "Analysis":
        """The evidence of every champ (raw scores, cue hits, linked resources, act): what the rules decide from, and
        what the learned model reads as features."""
        R = self.rules
        body = strip_boilerplate_lines(texte) if texte else ""
        raw: dict[str, float] = defaultdict(float)
        # champ → (weight counted, start, end, where, surface, strength) ; strength = base weight × role factor
        hits: dict[str, list[tuple]] = defaultdict(list)
        inst: list[tuple[str, float, str, str, tuple]] = []      # (reason, weight, where, surface, phrase)
        seen: dict[tuple, int] = Counter()
        stems_of: dict[str, list[str]] = {}

        def scan(text: str, where: str, boost: float) -> None:
            toks = tokens_with_offsets(R.blank_places(text))
            stems = [t[0] for t in toks]
            stems_of[where] = stems
            for i, j, payloads in self.cues.find(stems):
                start, end = toks[i][1], toks[j - 1][2]
                surface = text[start:end]
                phrase = tuple(stems[i:j])
                if not R.polyseme_ok(stems, i, j, phrase):
                    continue
                role = R.role(stems, i, phrase)
                for kind, key, weight in payloads:
                    k = (kind, key, phrase)
                    seen[k] += 1
                    w = weight * role
                    # first occurrence counts fully (boosted in the object), repeats add a little
                    add = w * boost if seen[k] == 1 else (0.1 * w if seen[k] <= 4 else 0.0)
                    if kind == "champ":
                        raw[key] += add
                        hits[key].append((w * boost, start, end, where, surface, w, phrase))
                    else:
                        inst.append((key, add, where, surface, phrase))
            for start, end, mo in R.motif_hits(text):
                k = ("motif", mo.champ, mo.nom)
                seen[k] += 1
                if seen[k] == 1:
                    raw[mo.champ] += mo.poids * boost
                    hits[mo.champ].append((mo.poids * boost, start, end, where, text[start:end].strip(),
                                           mo.poids, (mo.nom,)))

        scan(objet, "objet", TITLE_BOOST)
        if body:
            scan(body, "texte", 1.0)

        # référentiel similarity (graph)
        vec = self._vector(Counter(content_tokens(objet) * 2 + content_tokens(body)))
        sims = {k: self._cos(vec, p) for k, p in self.profiles.items() if p}
        for k, s in sims.items():
            raw[k] += TFIDF_WEIGHT * max(0.0, s - 0.05)

        # linked resources
        eng_extra: dict[str, float] = defaultdict(float)
        res_evidence: dict[str, list[str]] = defaultdict(list)
        for m in mentions or []:
            if not m.path:
                continue
            for target, weight in self.gv.serves.get(m.path, {}).items():
                w = weight * (m.confidence or 0.5)
                if target.startswith("champ/"):
                    key = target.split("/")[1]
                    if m.path not in res_evidence[key]:
                        raw[key] += w
                        res_evidence[key].append(m.path)
                else:
                    n = target.split("/")[1]
                    if m.path not in res_evidence["e" + n]:
                        eng_extra[n] += w
                        res_evidence["e" + n].append(m.path)
            if (m.confidence or 0) < 0.7:
                continue   # ambiguous names (a one-word QPV name…) do not vote for a champ
            for cls in sorted(self.gv.classes.get(m.path, ())):
                for key, weight in (self.class_priors.get(cls) or {}).items():
                    if m.path not in res_evidence[key]:
                        raw[key] += weight * (m.confidence or 0.5)
                        res_evidence[key].append(m.path)

        # co-tagging rules of the labelling guide
        all_stems = stems_of.get("objet", []) + ["."] + stems_of.get("texte", [])
        cotag_champs: dict[str, str] = {}
        for rule in R.cotags_found(all_stems):
            for key in rule.champs:
                raw[key] = max(raw[key], R.cotag_minimum)
                cotag_champs.setdefault(key, rule.nom)

        # the act of the object, and the institutional evidence it leaves
        act = R.find_act(objet)
        neutral = set(act.type.neutralise) if act else set()
        thematic_object = any(h[3] == "objet" and h[5] >= 0.5 for hs in hits.values() for h in hs)
        yielded = act is not None and act.first_clause and (
            R.policy_marker(all_stems, act.type) is not None
            or (act.type.decision in ("theme", "organisme") and thematic_object))   # the guide: the theme, not the form
        inst_raw: dict[str, float] = defaultdict(float)
        inst_hits: dict[str, list[Cue]] = defaultdict(list)
        for reason, add, where, surface, phrase in inst:
            if phrase in neutral or (yielded and where == "objet" and reason == act.type.raison):
                continue   # the act's own words, or an act that yields to its policy marker
            inst_raw[reason] += add
            if surface not in [c.mots for c in inst_hits[reason]]:
                inst_hits[reason].append(Cue(INSTITUTION, mots=surface, lieu=where, poids=round(add, 3)))

        # ACTES matière prior
        if matiere_code:
            parts = matiere_code.split(".")
            for code in (".".join(parts[:2]), parts[0]):
                spec = self.actes.get(code)
                if spec and spec.get("prior"):
                    if spec["prior"] == "institutionnel":
                        inst_raw["matiere"] += float(spec.get("weight", 0.3))
                    else:
                        raw[spec["prior"]] += float(spec.get("weight", 0.3))
                    break

        ctx = _Context(act, stems_of.get("objet", []), all_stems, cotag_champs)
        return Analysis(objet, body, raw, hits, inst_raw, inst_hits, vec, res_evidence, eng_extra, ctx)

    def tag(self, objet: str, texte: str = "", matiere_code: str | None = None,
            mentions: list[Mention] | None = None) -> TagResult:
        """The rules' proposal (docs/tagging.md § 4)."""
        return self.decide(self.analyse(objet, texte, matiere_code, mentions))

    def _quote(self, text: str, start: int, end: int) -> str:
        for s, e in sentences(text):
            if s <= start < e:
                q = " ".join(text[s:e].split())
                if len(q) > 220:
                    rel = start - s
                    q = ("…" if rel > 100 else "") + " ".join(text[max(s, start - 100):min(e, end + 100)].split()) + "…"
                return q
        return " ".join(text[start:end].split())

    # --- the act rule ------------------------------------------------------------------------------------------
    def _act_decision(self, ctx: "_Context", hits) -> tuple[str, str, str] | None:
        """(reason key, act label, evidence words) when the act makes the deliberation institutional, else None."""
        R = self.rules
        act = ctx.act
        atype = act.type if act and act.first_clause else None
        if atype is None or atype.decision == "objet":
            internal = ctx.objet_stems and R.internal_context(ctx.objet_stems)
            if internal and not R.policy_marker(ctx.all_stems, R.interne_act):
                return R.interne_act.raison, "Action interne à l'administration (personnel, services)", ""
            return None
        head = " ".join(ctx.objet_stems[act.start:act.end])
        if R.policy_marker(ctx.all_stems, atype):
            return None
        complement_fort = any(h[3] == "objet" and h[5] >= R.second_fort for hs in hits.values() for h in hs)
        if atype.decision == "institutionnel":
            return atype.raison, atype.libelle, head
        if atype.decision in ("theme", "organisme"):
            # the guide: label the theme, not the form — a thematic object is a cue of at least medium weight in
            # the object (a policy field, or a beneficiary or equipment whose activity belongs to a champ)
            thematic = any(h[3] == "objet" and h[5] >= 0.5 for hs in hits.values() for h in hs)
            return None if thematic else (atype.raison, atype.libelle, head)
        if atype.decision == "patrimoine":
            from ingest.acts import has_phrase
            land = not atype.si or has_phrase(ctx.objet_stems, atype.si)
            if land and not complement_fort:
                return atype.raison, atype.libelle, head
        return None

    def _strength(self, key: str, hits, res_evidence, ctx: "_Context") -> bool:
        """Enough evidence for a second champ: one strong cue, a co-tagging rule, a linked resource or two cues."""
        if key in ctx.cotags or res_evidence.get(key):
            return True
        hs = hits.get(key, [])
        if any(h[5] >= self.rules.second_fort for h in hs):
            return True
        return len({h[6] for h in hs}) >= self.rules.second_distincts

    def champ_evidence(self, a: "Analysis", key: str, doubts: Sequence[Cue] = ()) -> tuple[list[Cue], list[str]]:
        """The evidence of one champ (its five strongest cue words, the sentence of the strongest, the co-tagging
        rule, the closest orientation or action, linked resources, then ``doubts``) and the evidence resources; used
        by the rules and by the learned model."""
        objet, body, hits, vec, res_evidence, ctx = a.objet, a.body, a.hits, a.vec, a.res_evidence, a.ctx
        words: list[Cue] = []
        quote: Cue | None = None
        for h in sorted(hits.get(key, []), key=lambda h: (-h[0], h[1])):
            weight, start, end, where, surface = h[:5]
            if surface.lower() not in [(c.mots or "").lower() for c in words]:
                words.append(Cue(THEME, mots=surface, lieu=where, poids=round(weight, 3)))
            if quote is None:
                quote = Cue(SENTENCE, mots=self._quote(objet if where == "objet" else body, start, end), lieu=where)
        ressources = [f"champ/{key}"]
        best_unit, best_sim = None, self.rules.proche_de_min
        acc: dict[int, float] = defaultdict(float)
        index = self.unit_index.get(key, {})
        for t, x in vec.items():
            for ui, w in index.get(t, ()):
                acc[ui] += x * w
        for ui in sorted(acc):
            if acc[ui] > best_sim:
                best_unit, best_sim = self.units_by_champ[key][ui][0], acc[ui]
        cues = words[:5]
        if key in ctx.cotags:
            cues.append(Cue(COTAG, regle=ctx.cotags[key]))
        if quote:
            cues.append(quote)
        if best_unit:
            ressources.append(best_unit)
            cues.append(Cue(NEAR, ressource=best_unit, poids=round(best_sim, 3)))
        for p in res_evidence.get(key, []):
            ressources.append(p)
            cues.append(Cue(LINKED, ressource=p))
        cues += doubts
        return cues or [Cue(NEAR, ressource=f"champ/{key}")], ressources

    def decide(self, a: "Analysis") -> TagResult:
        raw, hits, inst_raw, inst_hits = a.raw, a.hits, a.inst_raw, a.inst_hits
        res_evidence, eng_extra, ctx = a.res_evidence, a.eng_extra, a.ctx
        result = TagResult()
        ranked = sorted(CHAMPS, key=lambda k: (-raw.get(k, 0.0), k))
        best = ranked[0]
        best_raw = raw.get(best, 0.0)
        result.primary = best if best_raw > 0 else None
        inst_total = sum(inst_raw.values())

        def inst_reason(key=None):
            reason_key = key or max((k for k in inst_raw if k != "matiere"), key=lambda k: (inst_raw[k], k),
                                    default=None)
            reason = self.inst_reasons.get(reason_key, "Fonctionnement institutionnel (matière ACTES)")
            words = inst_hits.get(reason_key, [])[:4] if reason_key else []
            return reason, words or [Cue(MATIERE, poids=round(inst_raw.get("matiere", 0.0), 3))]

        competes = Cue(THEME_COMPETES, ressource=f"champ/{best}", poids=round(best_raw, 3))
        competing = [competes] if best_raw >= 1.5 else []

        decision = self._act_decision(ctx, hits)
        if decision:
            reason_key, libelle, head = decision
            reason = self.inst_reasons.get(reason_key, libelle)
            act_cue = Cue(ACT, mots=head or None, lieu="objet" if head else None, regle=libelle)
            score = _squash(max(inst_total, 1.5) + 1.0)
            if competing:
                score = min(score, 0.6)
            result.aucun = Tag("aucun", score, [act_cue] + inst_hits.get(reason_key, [])[:3] + competing, [],
                               justification=f"{reason} — {libelle}.")
            return result

        if inst_total >= 1.5 and inst_total >= best_raw:
            reason, words = inst_reason()
            score = _squash(inst_total - 0.5 * best_raw)
            result.aucun = Tag("aucun", max(score, 0.3), words + competing, [], justification=f"{reason}.")
            return result

        chosen = [k for k in ranked[:MAX_CHAMPS] if _squash(raw.get(k, 0.0)) >= THRESHOLD and raw[k] >= 0.5 * best_raw]
        chosen = [k for i, k in enumerate(chosen) if i == 0 or self._strength(k, hits, res_evidence, ctx)]
        if chosen:   # the co-tagging rules of the guide add their champs whatever their relative score
            chosen += [k for k in sorted(ctx.cotags) if k not in chosen and chosen[0] in ctx.cotags]
            chosen = chosen[:MAX_CHAMPS]
        if not chosen and _squash(best_raw) >= LOW:
            chosen = [best]
        if not chosen:
            act = ctx.act
            if act and act.type.decision == "objet":
                reason = self.inst_reasons.get(act.type.raison, act.type.libelle)
                result.aucun = Tag("aucun", 0.5, [Cue(ACT, regle=act.type.libelle), Cue(NO_CUE)], [],
                                   justification=f"{reason} — {act.type.libelle}.")
            elif inst_total > 0:
                reason, words = inst_reason()
                result.aucun = Tag("aucun", max(0.3, _squash(inst_total) * 0.8), words, [], justification=f"{reason}.")
            else:
                result.aucun = Tag("aucun", 0.3, [Cue(NO_CUE)], [],
                                   justification="Aucun indice d'un champ d'intervention : à vérifier.")
            return result

        # doubtful: the only evidence of the best champ is one medium or weak cue (no linked resource, no rule)
        doubts = []
        bh = hits.get(chosen[0], [])
        if (chosen[0] not in ctx.cotags and not res_evidence.get(chosen[0])
                and len({h[6] for h in bh}) <= 1 and all(h[5] < self.rules.second_fort for h in bh)):
            doubts.append(Cue(ONE_CUE if bh else REFERENTIEL_ONLY))
        if inst_total >= 1.0:
            doubts.append(Cue(INST_COMPETES, poids=round(inst_total, 3)))

        eng_best: dict[str, Tag] = {}
        for key in chosen:
            score = _squash(raw[key])
            cues, ressources = self.champ_evidence(a, key, doubts if key == chosen[0] else [])
            tag = Tag(f"champ/{key}", score, cues, ressources)
            result.champs.append(tag)
            e = key.split("-")[0]
            if e not in eng_best or tag.score > eng_best[e].score:
                eng_best[e] = tag
        for e in sorted(eng_best):
            src = eng_best[e]
            extra = eng_extra.get(e, 0.0)
            score = _squash(raw[src.target.split("/")[1]] + extra)
            res = [src.target] + [p for p in res_evidence.get("e" + e, [])]
            cues = [Cue(VIA_CHAMP, ressource=src.target)] + src.cues
            result.engagements.append(Tag(f"engagement/{e}", score, cues, res))
        return result


@dataclass
class Analysis:
    """Everything the rules found in one deliberation (see Tagger.analyse)."""
    objet: str
    body: str
    raw: dict[str, float]                 # champ → raw score
    # champ → cue hits (weight counted, start, end, where, surface, strength, phrase)
    hits: dict[str, list[tuple]]
    inst_raw: dict[str, float]            # institutional reason → raw score
    inst_hits: dict[str, list[Cue]]       # institutional reason → its cue words (first occurrence each)
    vec: dict[str, float]                 # TF-IDF vector of the deliberation (référentiel vocabulary)
    res_evidence: dict[str, list[str]]    # champ (or "e<N>") → linked resources
    eng_extra: dict[str, float]
    ctx: "_Context"


@dataclass
class _Context:
    act: Act | None
    objet_stems: list[str]
    all_stems: list[str]
    cotags: dict[str, str]          # champ → name of the co-tagging rule that added it


@lru_cache(maxsize=4)
def _baseline_words() -> dict[str, set[str]]:
    voc = vocabulary_yaml()
    return {k: set(content_tokens(spec["label"])) - {"developpement", "qualite", "territoire", "enjeux", "notre"}
            for k, spec in voc["champs"].items()}


def keyword_baseline(objet: str, texte: str = "") -> list[str]:
    """The simple baseline: a champ is proposed when a content word of its label appears in the text."""
    toks = set(tokens(objet + "\n" + strip_boilerplate_lines(texte)))
    return sorted(k for k, words in _baseline_words().items() if words & toks)
