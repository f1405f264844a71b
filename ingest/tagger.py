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

from ingest import TAGGER_NAME, TAGGER_VERSION
from ingest.linking import GraphVocabulary, actes_yaml, vocabulary_yaml
from ingest.nlp import Mention
from ingest.text import (
    PhraseIndex, content_tokens, fold, sentences, strip_boilerplate_lines, tokens, tokens_with_offsets,
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
    preuve: str
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
    def evidence(self) -> str:
        if self.aucun:
            return self.aucun.preuve
        return " | ".join(f"{t.target}: {t.preuve}" for t in self.champs)

    @property
    def annotations(self) -> list[Tag]:
        return [self.aucun] if self.aucun else self.engagements + self.champs


def _squash(raw: float) -> float:
    return round(1.0 - math.exp(-max(raw, 0.0) / SCALE), 3)


class Tagger:
    name = TAGGER_NAME
    version = TAGGER_VERSION

    def __init__(self, gv: GraphVocabulary):
        self.gv = gv
        voc = vocabulary_yaml()
        w = voc["weights"]
        self.cues = PhraseIndex()
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
    def tag(self, objet: str, texte: str = "", matiere_code: str | None = None,
            mentions: list[Mention] | None = None) -> TagResult:
        body = strip_boilerplate_lines(texte) if texte else ""
        raw: dict[str, float] = defaultdict(float)
        hits: dict[str, list[tuple[float, int, int, str]]] = defaultdict(list)   # champ → (weight, start, end, where)
        inst_raw: dict[str, float] = defaultdict(float)
        inst_hits: dict[str, list[str]] = defaultdict(list)
        seen: dict[tuple, int] = Counter()

        def scan(text: str, where: str, boost: float) -> None:
            toks = tokens_with_offsets(text)
            stems = [t[0] for t in toks]
            for i, j, payloads in self.cues.find(stems):
                start, end = toks[i][1], toks[j - 1][2]
                surface = text[start:end]
                for kind, key, weight in payloads:
                    k = (kind, key, " ".join(stems[i:j]))
                    seen[k] += 1
                    # first occurrence counts fully (boosted in the object), repeats add a little
                    add = weight * boost if seen[k] == 1 else (0.1 * weight if seen[k] <= 4 else 0.0)
                    if kind == "champ":
                        raw[key] += add
                        hits[key].append((weight * boost, start, end, where, surface))
                    else:
                        inst_raw[key] += add
                        if surface not in inst_hits[key]:
                            inst_hits[key].append(surface)

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

        return self._decide(objet, body, raw, hits, inst_raw, inst_hits, vec, res_evidence, eng_extra)

    def _quote(self, text: str, start: int, end: int) -> str:
        for s, e in sentences(text):
            if s <= start < e:
                q = " ".join(text[s:e].split())
                if len(q) > 220:
                    rel = start - s
                    q = ("…" if rel > 100 else "") + " ".join(text[max(s, start - 100):min(e, end + 100)].split()) + "…"
                return q
        return " ".join(text[start:end].split())

    def _decide(self, objet, body, raw, hits, inst_raw, inst_hits, vec, res_evidence, eng_extra) -> TagResult:
        result = TagResult()
        ranked = sorted(CHAMPS, key=lambda k: (-raw.get(k, 0.0), k))
        best = ranked[0]
        best_raw = raw.get(best, 0.0)
        result.primary = best if best_raw > 0 else None
        inst_total = sum(inst_raw.values())

        if inst_total >= 1.5 and inst_total >= best_raw:
            reason_key = max((k for k in inst_raw if k != "matiere"), key=lambda k: (inst_raw[k], k), default=None)
            reason = self.inst_reasons.get(reason_key, "Fonctionnement institutionnel (matière ACTES)")
            words = inst_hits.get(reason_key, [])[:4] if reason_key else []
            preuve = ("mots : " + ", ".join(f"« {w} »" for w in words)) if words else "matière ACTES institutionnelle"
            score = _squash(inst_total - 0.5 * best_raw)
            result.aucun = Tag("aucun", max(score, 0.3), preuve, [], justification=f"{reason}.")
            return result

        chosen = [k for k in ranked[:MAX_CHAMPS] if _squash(raw.get(k, 0.0)) >= THRESHOLD and raw[k] >= 0.5 * best_raw]
        if not chosen and _squash(best_raw) >= LOW:
            chosen = [best]
        if not chosen:
            if inst_total > 0:
                reason_key = max((k for k in inst_raw if k != "matiere"), key=lambda k: (inst_raw[k], k), default=None)
                reason = self.inst_reasons.get(reason_key, "Fonctionnement institutionnel (matière ACTES)")
                words = inst_hits.get(reason_key, [])[:4] if reason_key else []
                preuve = ("mots : " + ", ".join(f"« {w} »" for w in words)) if words else "matière ACTES institutionnelle"
                result.aucun = Tag("aucun", max(0.3, _squash(inst_total) * 0.8), preuve, [], justification=f"{reason}.")
            else:
                result.aucun = Tag("aucun", 0.3, "aucun indice thématique dans le texte", [],
                                   justification="Aucun indice d'un champ d'intervention : à vérifier.")
            return result

        eng_best: dict[str, Tag] = {}
        for key in chosen:
            score = _squash(raw[key])
            words, quote = [], ""
            for weight, start, end, where, surface in sorted(hits.get(key, []), key=lambda h: (-h[0], h[1])):
                if surface.lower() not in [w.lower() for w in words]:
                    words.append(surface)
                if not quote:
                    quote = self._quote(objet if where == "objet" else body, start, end)
            ressources = [f"champ/{key}"]
            best_unit, best_sim = None, 0.2
            acc: dict[int, float] = defaultdict(float)
            index = self.unit_index.get(key, {})
            for t, x in vec.items():
                for ui, w in index.get(t, ()):
                    acc[ui] += x * w
            for ui in sorted(acc):
                if acc[ui] > best_sim:
                    best_unit, best_sim = self.units_by_champ[key][ui][0], acc[ui]
            parts = []
            if words:
                parts.append("mots : " + ", ".join(f"« {w} »" for w in words[:5]))
            if quote:
                parts.append(f"phrase : « {quote} »")
            if best_unit:
                ressources.append(best_unit)
                label = next((t for p, t in self.gv.champ_text.get(key, []) if p == best_unit), "")
                parts.append(f"proche de : « {' '.join(label.split())[:160]} »")
            for p in res_evidence.get(key, []):
                ressources.append(p)
            if res_evidence.get(key):
                parts.append("ressources liées : " + ", ".join(self.gv.label(p) for p in res_evidence[key][:3]))
            preuve = " ; ".join(parts) or f"proche du champ « {self.labels[key]} »"
            tag = Tag(f"champ/{key}", score, preuve, ressources)
            result.champs.append(tag)
            e = key.split("-")[0]
            if e not in eng_best or tag.score > eng_best[e].score:
                eng_best[e] = tag
        for e in sorted(eng_best):
            src = eng_best[e]
            extra = eng_extra.get(e, 0.0)
            score = _squash(raw[src.target.split("/")[1]] + extra)
            res = [src.target] + [p for p in res_evidence.get("e" + e, [])]
            preuve = f"par le champ {src.target.split('/')[1]} « {self.labels[src.target.split('/')[1]]} » : {src.preuve}"
            result.engagements.append(Tag(f"engagement/{e}", score, preuve, res))
        return result


@lru_cache(maxsize=4)
def _baseline_words() -> dict[str, set[str]]:
    voc = vocabulary_yaml()
    return {k: set(content_tokens(spec["label"])) - {"developpement", "qualite", "territoire", "enjeux", "notre"}
            for k, spec in voc["champs"].items()}


def keyword_baseline(objet: str, texte: str = "") -> list[str]:
    """The simple baseline: a champ is proposed when a content word of its label appears in the text."""
    toks = set(tokens(objet + "\n" + strip_boilerplate_lines(texte)))
    return sorted(k for k, words in _baseline_words().items() if words & toks)
