"""Text normalisation shared by the tagger, the baseline and the linker (deterministic, no model)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Iterable, Iterator

WORD_RE = re.compile(r"[a-z0-9]+")
STOP = frozenset(
    "a au aux avec ce ces cet cette d dans de des du elle en et il ils l la le les leur leurs lui ma mais me meme mes "
    "moi mon n ne nos notre nous on ou par pas pour qu que qui s sa se ses son sur t ta te tes toi ton tu un une vos "
    "votre vous y c j m est sont ete etre avoir ont a afin ainsi alors apres aussi autre autres avant cela celle "
    "celles "
    "celui ceux chaque comme dont donc entre lors plus sans selon sous tout tous toute toutes tres".split()
)
# Words of every deliberation that say nothing of its subject.
BOILERPLATE = frozenset(
    "conseil communautaire municipal deliberation deliberations vu considerant decide article articles approuve "
    "autorise president presidente maire monsieur madame mme m vice code general collectivites territoriales cgct "
    "rapport rapporteur seance membres presents representes votants adopte unanimite pour contre abstention "
    "communaute agglomeration porte hainaut caph commune ville present presente objet annexe annexes ci joint "
    "ledit ladite lesdits document documents dit proposition propose proposer convient relative relatif relatives "
    "relatifs cadre mise oeuvre projet projets dispositions signer signature necessaire necessaires toute toutes "
    "annee annees euros euro montant total ttc ht".split()
)


def fold(text: str) -> str:
    """Lower case, accents removed, ligatures expanded, apostrophes and dashes as spaces."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return text


def stem(word: str) -> str:
    """Plural-insensitive form: drop a final s or x of words longer than 3 letters, -aux → -al."""
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in WORD_RE.findall(fold(text))]


def tokens_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) on the ORIGINAL text (fold keeps lengths for Latin text except ligatures)."""
    out = []
    folded = unicodedata.normalize("NFC", text)
    for m in re.finditer(r"[\w]+", folded):
        w = fold(m.group(0))
        for part in WORD_RE.findall(w):
            out.append((stem(part), m.start(), m.end()))
    return out


def content_tokens(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOP and t not in BOILERPLATE and len(t) > 2 and not t.isdigit()]


class PhraseIndex:
    """Longest-match lookup of many phrases (as stem sequences) in a token stream."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], list]]] = defaultdict(list)
        self._payloads: dict[tuple[str, ...], list] = {}

    def add(self, phrase: str, payload) -> None:
        key = tuple(tokens(phrase))
        if not key:
            return
        if key not in self._payloads:
            self._payloads[key] = []
            self._by_first[key[0]].append((key, self._payloads[key]))
            self._by_first[key[0]].sort(key=lambda kv: -len(kv[0]))
        if payload not in self._payloads[key]:
            self._payloads[key].append(payload)

    def find(self, toks: list[str]) -> Iterator[tuple[int, int, list]]:
        """Yield (start, end, payloads) for non-overlapping longest matches, left to right."""
        i, n = 0, len(toks)
        while i < n:
            cands = self._by_first.get(toks[i])
            hit = None
            if cands:
                # the longest match, plus the shorter matches at the same place that speak of something else
                # (« maison de santé pluriprofessionnelle » must not hide « maison de santé » of another champ)
                for key, payloads in cands:
                    k = len(key)
                    if tuple(toks[i:i + k]) == key:
                        if hit is None:
                            hit = (i, i + k, list(payloads))
                            covered = {p[:2] for p in payloads}
                        else:
                            extra = [p for p in payloads if p[:2] not in covered]
                            hit[2].extend(extra)
                            covered |= {p[:2] for p in extra}
            if hit:
                yield hit
                i = hit[1]
            else:
                i += 1


def sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans (on . ; : ! ? and line breaks) used to quote evidence."""
    spans, start = [], 0
    for m in re.finditer(r"[.;!?]\s+|\n\s*\n|\n(?=[A-ZÉÈ•\-–])", text):
        end = m.start() + 1
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def strip_boilerplate_lines(text: str) -> str:
    """Drop the legal visas (« Vu le code… ») that every deliberation carries and that say nothing of its subject."""
    keep = [ln for ln in text.split("\n") if not re.match(r"^\s*(vu|vus)\b", ln, re.I)]
    return "\n".join(keep)


def iter_ngrams(toks: Iterable[str], n: int = 2) -> Iterator[str]:
    toks = list(toks)
    for i in range(len(toks) - n + 1):
        yield " ".join(toks[i:i + n])
