"""The learned tagger (boussole-tagger 2.x): a multinomial logistic regression beside the rules.

It reads, for each deliberation, the words and character n-grams of its objet (and the start of its text) and the
rules' evidence (the raw score of every champ, the institutional evidence, the act rule, the rules' proposal), and
gives a probability to each of the 18 answers (17 champs d'intervention, « none »). The probabilities are
calibrated by one temperature fitted on out-of-fold predictions, so the stored `bsl:score` is a probability
(docs/tagging.md § 13). The evidence is the rules' (cue words, sentence, closest orientation or action of the chosen
champ) plus the n-grams that weighed most in the model's choice, as cues (ingest/evidence.py).

Weights are built from committed labelled data by `boussole train` (`make model`), or on first use when no model
file exists; nothing is downloaded. The model file is a joblib pickle written by this code only (never load one
from elsewhere).
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ingest import TAGGER_NAME, TAGGER_VERSION, model_path
from ingest.evidence import ACT, LEARNED, LOW_PROBABILITY, NO_CUE, RULES_DISAGREE, VIA_CHAMP, Cue
from ingest.tagger import CHAMPS, Analysis, Tag, Tagger, TagResult, _squash

LABELS = CHAMPS + ["none"]
NONE = len(CHAMPS)
BODY_CHARS = 1500          # the start of the full text read by the model (the considérants state the purpose)
SECOND_MIN = 0.30          # a second engagement: its probability from this…
SECOND_WITH_RULES = 0.15   # …or from this when the rules propose it too
CHAMP_MIN = 0.20           # another champ of a proposed engagement is listed from this probability
MAX_CHAMPS = 3


def model_text(objet: str, body: str = "") -> str:
    """Lower case, no accents, codes split (« B24.118-ECO-Zone_Nord_avenant2 » → « b24 118 eco zone nord avenant 2 »):
    the wording of real exports and of the corpus are read alike."""
    t = f"{objet} . {objet} . {body[:BODY_CHARS]}" if body else f"{objet} . {objet}"
    t = unicodedata.normalize("NFKD", t.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[_/\\.\-–—]+", " ", t)
    t = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", t)
    return re.sub(r"\s+", " ", t).strip()


RULE_FEATURES = 2 * len(CHAMPS) + 5
WORD_RE = re.compile(r"[a-zàâäéèêëîïôöùûüç]{3,}")


@lru_cache(maxsize=1)
def _vectors():
    """The vocabulary (with its static vectors) of the spaCy pipeline the ingester already loaded, else a copy."""
    from ingest import nlp

    loaded = getattr(nlp, "_PIPELINES", {})
    return next(iter(loaded.values())).vocab if loaded else nlp.base_model().vocab


def doc_vector(objet: str, body: str = "") -> np.ndarray:
    """Mean of the static word vectors of fr_core_news_md (unit length): what lets the model place a word the
    vocabulary never listed (« pétanque », « scène nationale ») near the words it has seen."""
    vocab = _vectors()
    words = WORD_RE.findall(f"{objet} {body[:BODY_CHARS]}".lower())
    vs = [vocab.get_vector(w) for w in words if vocab.has_vector(w)]
    if not vs:
        return np.zeros(vocab.vectors_length)
    v = np.mean(vs, axis=0)
    n = float(np.linalg.norm(v))
    return v / n if n else v


def dense_features(a: Analysis, rules: TagResult) -> list[float]:
    """The rules' evidence as numbers (squashed raw score per champ, the rules' proposal, institutional total, act
    decision, text or not, length), then the document vector."""
    inst = sum(a.inst_raw.values())
    proposed = set(rules.champ_keys)
    return ([_squash(a.raw.get(k, 0.0)) for k in CHAMPS]
            + [1.0 if k in proposed else 0.0 for k in CHAMPS]
            + [_squash(inst), 1.0 if rules.aucun is not None else 0.0,
               1.0 if rules.aucun is not None and any(c.nature == ACT for c in rules.aucun.cues) else 0.0,
               1.0 if a.body else 0.0, min(len(a.objet.split()), 30) / 30.0]
            + doc_vector(a.objet, a.body).tolist())


@dataclass
class TaggerModel:
    """The fitted vectorisers and classifier, with the temperature that calibrates its probabilities."""
    version: str
    words: object
    chars: object
    clf: object
    temperature: float = 1.0
    dense_weight: float = 1.0          # scale of the rules' features
    vector_weight: float = 2.0         # scale of the document vector
    trained_on: dict = field(default_factory=dict)     # counts per source, staff decisions, C, date

    def matrix(self, texts: Sequence[str], dense: Sequence[Sequence[float]]):
        from scipy.sparse import csr_matrix, hstack

        d = np.asarray(dense, dtype=np.float64).reshape(len(texts), -1)
        d = csr_matrix(np.hstack([d[:, :RULE_FEATURES] * self.dense_weight, d[:, RULE_FEATURES:] * self.vector_weight]))
        return hstack([self.words.transform(texts), self.chars.transform(texts), d], format="csr")

    def logits(self, texts, dense) -> np.ndarray:
        return self.clf.decision_function(self.matrix(texts, dense))

    def proba(self, texts, dense) -> np.ndarray:
        """Calibrated probabilities over LABELS, one row per deliberation."""
        z = self.logits(texts, dense) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return self._full(p / p.sum(axis=1, keepdims=True))

    def _full(self, p: np.ndarray) -> np.ndarray:
        """Columns in LABELS order even when a label was absent from the training data."""
        out = np.zeros((p.shape[0], len(LABELS)))
        for j, c in enumerate(self.clf.classes_):
            out[:, int(c)] = p[:, j]
        return out

    def cues(self, text: str, label: int, n: int = 4) -> list[Cue]:
        """The words of the text that weigh most for the label (positive contributions), for the evidence."""
        cls = list(self.clf.classes_)
        if label not in cls:
            return []
        row = self.clf.coef_[cls.index(label)]
        x = self.words.transform([text])
        names = self.__dict__.get("_names")
        if names is None:       # built once per loaded model (building it per call cost 30 ms a deliberation)
            names = self.__dict__["_names"] = self.words.get_feature_names_out()
        contrib = [(x.data[k] * row[j], names[j]) for k, j in enumerate(x.indices)]
        strongest = sorted(contrib, reverse=True)[:n]
        return [Cue(LEARNED, mots=w, poids=round(float(c), 3)) for c, w in strongest if c > 0.05]


class LearnedTagger:
    """Rules + learned model: the rules give the evidence and features, the model decides and scores."""

    name = TAGGER_NAME

    def __init__(self, rules: Tagger, model: TaggerModel):
        self.rules = rules
        self.model = model
        self.version = model.version

    def tag(self, objet: str, texte: str = "", matiere_code: str | None = None, mentions=None) -> TagResult:
        a = self.rules.analyse(objet, texte, matiere_code, mentions)
        return self.tag_analysed([(a, self.rules.decide(a))])[0]

    def tag_analysed(self, items: list[tuple[Analysis, TagResult]]) -> list[TagResult]:
        """One batch: the model's probabilities for every deliberation at once, then one TagResult each."""
        if not items:
            return []
        texts = [model_text(a.objet, a.body) for a, _ in items]
        probs = self.model.proba(texts, [dense_features(a, r) for a, r in items])
        return [self._result(a, r, p, t) for (a, r), p, t in zip(items, probs, texts, strict=True)]  # a row a text

    def _result(self, a: Analysis, rules: TagResult, p: np.ndarray, text: str) -> TagResult:
        eng = {e: float(sum(p[i] for i, k in enumerate(CHAMPS) if k.startswith(e + "-"))) for e in "123"}
        top = int(np.argmax(p))
        result = TagResult(primary=LABELS[top] if top != NONE else None)
        learned = self.model.cues(text, top)
        if top == NONE:
            why = rules.aucun
            cues = (list(why.cues) if why else [Cue(NO_CUE)]) + learned
            if p[NONE] < 0.5:
                best = max(CHAMPS, key=lambda k: p[LABELS.index(k)])
                cues.append(Cue(LOW_PROBABILITY, poids=round(float(p[NONE]), 3), ressource=f"champ/{best}"))
            just = (why.justification if why and why.justification
                    else "Fonctionnement institutionnel, sans objet thématique reconnu.")
            result.aucun = Tag("aucun", round(float(p[NONE]), 3), cues, [], justification=just)
            return result
        primary_e = LABELS[top].split("-")[0]
        rule_engs = set(rules.engagement_numbers)
        engs = [primary_e] + [e for e in sorted(eng, key=lambda e: -eng[e]) if e != primary_e and (
            eng[e] >= SECOND_MIN or (e in rule_engs and eng[e] >= SECOND_WITH_RULES))][:1]
        champs = [LABELS[top]]
        for e in engs:
            best = max((k for k in CHAMPS if k.startswith(e + "-") and k not in champs),
                       key=lambda k: p[LABELS.index(k)])
            if e != primary_e or p[LABELS.index(best)] >= CHAMP_MIN:
                champs.append(best)
        champs = list(dict.fromkeys(champs))[:MAX_CHAMPS]
        doubts: list[Cue] = []
        if rules.champ_keys[:1] == [LABELS[top]]:
            doubts += [c for c in rules.champs[0].cues if c.doubt]
        else:
            doubts.append(Cue(RULES_DISAGREE, ressource=rules.champs[0].target if rules.champs else "aucun"))
        if p[top] < 0.5:
            doubts.append(Cue(LOW_PROBABILITY, poids=round(float(p[top]), 3)))
        for k in champs:
            cues, res = self.rules.champ_evidence(a, k)
            if k == LABELS[top]:
                cues += learned + doubts
            result.champs.append(Tag(f"champ/{k}", round(float(p[LABELS.index(k)]), 3), cues, res))
        for e in sorted(engs):
            src = next(t for t in result.champs if t.target.split("/")[1].startswith(e + "-"))
            res = [src.target] + list(a.res_evidence.get("e" + e, []))
            result.engagements.append(Tag(f"engagement/{e}", round(eng[e], 3), [Cue(VIA_CHAMP, ressource=src.target)]
                                          + src.cues, res))
        return result


def save(model: TaggerModel, path: Path) -> Path:
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, path)          # atomic: a server reading the model never sees half a file
    return path


def load(path: Path | None = None) -> TaggerModel | None:
    """The model at `path` (default: the configured ``ingest.model_path()``), or None when there is none or it is
    from another version of the code."""
    import joblib

    path = Path(path) if path else model_path()
    if not path.exists():
        return None
    try:
        model = joblib.load(path)
    except Exception:   # noqa: BLE001 - an unreadable or incompatible file is rebuilt, not fatal
        return None
    if not isinstance(model, TaggerModel) or not model.version.startswith(TAGGER_VERSION):
        return None
    return model


def softmax_t(z: np.ndarray, t: float) -> np.ndarray:
    z = z / t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y_idx: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of out-of-fold predictions (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(t: float) -> float:
        p = softmax_t(logits, t)
        return -float(np.mean(np.log(p[np.arange(len(y_idx)), y_idx] + 1e-12)))

    res = minimize_scalar(nll, bounds=(0.2, 5.0), method="bounded")
    return float(res.x) if math.isfinite(res.x) else 1.0
