"""spaCy pipeline: fr_core_news_md (statistical NER) + rules generated from the graph + a component that merges
them, links each entity to its graph resource with a confidence, and removes the statistical NER's usual errors on
council texts (capitalised verbs tagged PER such as « Rattraper », « État » tagged LOC, headings such as « DÉCIDE »).

The model is loaded once per process, from the installed package (never downloaded at run time). Components the
ingester does not use (parser, morphologizer, lemmatizer, attribute_ruler) are excluded: only tok2vec + ner run.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from ingest.linking import GraphVocabulary
from ingest.readers.documents import DATE_WORDS, french_date
from ingest.text import BOILERPLATE, STOP, fold

MODEL = "fr_core_news_md"
EXCLUDE = ["parser", "morphologizer", "lemmatizer", "attribute_ruler", "senter"]

AMOUNT_RE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[  .\u202f]\d{3})+|\d+)(?:,(\d{1,2}))?\s*(?:(M€|millions? "
    r"d['’]euros|k€|€|euros?\b|EUR\b)|(?:€\s*)?(HT|TTC)\b)",
)
DATE_RE = re.compile(r"\b" + DATE_WORDS + r"\b|\b(\d{2})/(\d{2})/(\d{4})\b", re.I)
ARTICLE_RE = re.compile(
    r"\barticles?\s+(?:[LRD]\.?\s?\d{3,4}(?:-\d+){1,3}|\d+(?:\s+(?:et|à)\s+\d+)?)(?:\s+du\s+code\s+[\w "
    r"]{3,60}?(?=[,.;\n]|$))?",
    re.I,
)
HEADINGS = {"decide", "vu", "considerant", "article", "objet", "deliberation", "conseil", "arrete", "approuve",
            "autorise", "precise", "dit", "abstention", "unanimite", "preambule", "annexe", "rapporteur", "seance"}
CIVILITY = {"m.", "m", "mme", "mme.", "monsieur", "madame", "mr", "mlle"}


@dataclass(frozen=True)
class Mention:
    text: str
    start: int
    end: int
    # COMMUNE, QPV, TERRITOIRE, ORG, PROGRAMME, CONTRAT, PROJET, CHAMP, MONTANT, DATE, ARTICLE, PER, LOC, MISC
    category: str
    path: str | None = None       # linked resource (relative IRI path), when one exists
    confidence: float | None = None
    value: str | None = None      # normalised value for MONTANT (decimal) and DATE (ISO)
    source: str = "regle"         # regle | motif | statistique


def base_model() -> Language:
    """A fresh copy of the statistical model (installed package, never downloaded)."""
    return spacy.load(MODEL, exclude=EXCLUDE)


def _amount(m: re.Match) -> str | None:
    digits = re.sub(r"[ .\u202f\u00a0]", "", m.group(1))
    cents = m.group(2) or "0"
    try:
        value = Decimal(f"{digits}.{cents}")
    except InvalidOperation:
        return None
    unit = (m.group(3) or "").lower()
    if unit.startswith("m") :
        value *= 1_000_000
    elif unit == "k€":
        value *= 1000
    return f"{value:.2f}"


def pattern_spans(doc: Doc) -> list[Span]:
    """Amounts in euros, dates, article references (regular expressions on the text)."""
    out: list[Span] = []
    text = doc.text
    for m in AMOUNT_RE.finditer(text):
        value = _amount(m)
        span = doc.char_span(m.start(), m.end(), label="MONTANT", alignment_mode="expand")
        if span is not None and value is not None:
            span.id_ = "=" + value
            out.append(span)
    for m in DATE_RE.finditer(text):
        if m.group(1):
            iso = french_date(m.group(1), m.group(2), m.group(3))
        else:
            iso = french_date(m.group(4), "", m.group(6)) if False else _num_date(m.group(4), m.group(5), m.group(6))
        span = doc.char_span(m.start(), m.end(), label="DATE", alignment_mode="expand")
        if span is not None and iso:
            span.id_ = "=" + iso
            out.append(span)
    for m in ARTICLE_RE.finditer(text):
        span = doc.char_span(m.start(), m.end(), label="ARTICLE", alignment_mode="expand")
        if span is not None:
            out.append(span)
    return out


def _num_date(d: str, mth: str, y: str) -> str | None:
    import datetime as dt

    try:
        return dt.date(int(y), int(mth), int(d)).isoformat()
    except ValueError:
        return None


def _line_start(tok) -> bool:
    if tok.i == 0:
        return True
    prev = tok.doc[tok.i - 1]
    return prev.is_space or "\n" in prev.whitespace_ or prev.text in (".", ":", ";", "•", "-", "–") or "\n" in prev.text


def _noisy(span: Span) -> bool:
    """Statistical entities that are errors on council texts."""
    words = [fold(t.text) for t in span if not t.is_punct]
    if not words:
        return True
    if all(w in STOP or w in BOILERPLATE or w in HEADINGS for w in words):
        return True
    if span.text.isupper() and (len(span) > 1 or len(span.text) > 6):
        return True   # « DÉCIDE », « CONSIDÉRANT », « RATTRAPER LES RETARDS » (headings)
    if span.label_ == "PER":
        prev = span.doc[span.start - 1].text.lower() if span.start > 0 else ""
        if prev in CIVILITY:
            return False
        # a person is written with at least a first name and a name; a lone capitalised word is a verb or a noun
        # at the start of a heading (« Rattraper les retards… », « Accompagner les conversions… »)
        if len(words) < 2:
            return True
        if any(t.is_lower for t in span if not t.is_punct):
            return True
    if len(span) == 1 and span.label_ in ("LOC", "MISC", "ORG"):
        tok = span[0]
        if _line_start(tok) and tok.text[:1].isupper() and fold(tok.text).endswith(("er", "ir", "re")) and len(tok) > 6:
            return True   # an infinitive opening a heading or a sentence (« Rattraper les retards… »)
    return False


class EntityMerger:
    """Merge rule spans (graph vocabulary), pattern spans and statistical entities into doc.ents."""

    def __call__(self, doc: Doc) -> Doc:
        rules: list[Span] = []
        for key in ("bsl_orth", "bsl_lower"):
            if key in doc.spans:
                rules.extend(doc.spans[key])
        patterns = pattern_spans(doc)
        # longest (in characters) first; patterns (amounts, dates…) win ties over graph rules
        ranked = sorted([(s, 0) for s in patterns] + [(s, 1) for s in rules],
                        key=lambda x: (-(x[0].end_char - x[0].start_char), x[1], x[0].start))
        preferred, taken = [], set()
        for s, _ in ranked:
            toks = set(range(s.start, s.end))
            if toks & taken:
                continue
            preferred.append(s)
            taken |= toks
        stats = [e for e in doc.ents if not (set(range(e.start, e.end)) & taken) and not _noisy(e)]
        doc.ents = sorted(preferred + stats, key=lambda s: s.start)
        return doc


@Language.factory("bsl_entities")
def _make_merger(nlp: Language, name: str) -> EntityMerger:
    return EntityMerger()


PIPELINES_KEPT = 2   # a process uses one graph vocabulary; a second covers a rebuild while the first is in use


_PIPELINES: OrderedDict[str, Language] = OrderedDict()


def _pipeline(gv: GraphVocabulary) -> Language:
    nlp = base_model()
    orth = nlp.add_pipe("span_ruler", name="bsl_orth",
                        config={"spans_key": "bsl_orth", "phrase_matcher_attr": "ORTH"})
    lower = nlp.add_pipe("span_ruler", name="bsl_lower",
                         config={"spans_key": "bsl_lower", "phrase_matcher_attr": "LOWER"})
    orth_patterns, lower_patterns = [], []
    for s in gv.surfaces:
        pid = f"{s.path}|{s.confidence}"
        if s.case_sensitive:
            forms = {s.text, s.text.upper()} | ({s.text[:1].upper() + s.text[1:]} if not s.text.isupper() else set())
            for f in sorted(forms):
                orth_patterns.append({"label": s.category, "pattern": f, "id": pid})
        else:
            lower_patterns.append({"label": s.category, "pattern": s.text, "id": pid})
    with nlp.select_pipes(enable=[]):
        orth.add_patterns(orth_patterns)
        lower.add_patterns(lower_patterns)
    nlp.add_pipe("bsl_entities", last=True)
    return nlp


def get_nlp(gv: GraphVocabulary) -> Language:
    """The pipeline with the rules of this graph vocabulary: one pipeline object per vocabulary, never mutated
    once returned (a caller holding it is not affected when another vocabulary is used)."""
    nlp = _PIPELINES.get(gv.fingerprint)
    if nlp is None:
        nlp = _PIPELINES[gv.fingerprint] = _pipeline(gv)
        while len(_PIPELINES) > PIPELINES_KEPT:
            _PIPELINES.popitem(last=False)
    _PIPELINES.move_to_end(gv.fingerprint)
    return nlp


def mentions(doc: Doc) -> list[Mention]:
    out = []
    for e in doc.ents:
        if e.label_ in ("MONTANT", "DATE", "ARTICLE"):
            value = e.id_[1:] if e.id_.startswith("=") else None
            out.append(Mention(e.text, e.start_char, e.end_char, e.label_, None, None, value, "motif"))
        elif e.id_ and "|" in e.id_:
            path, conf = e.id_.rsplit("|", 1)
            out.append(Mention(e.text, e.start_char, e.end_char, e.label_, path, float(conf), None, "regle"))
        else:
            out.append(Mention(e.text, e.start_char, e.end_char, e.label_, None, None, None, "statistique"))
    return out


CHUNK_CHARS = 100_000   # far under spaCy's max_length (1 000 000): long texts are read in pieces of this size


def split_text(text: str, size: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most `size` characters, cut at a paragraph, line or sentence end when there is
    one in the second half of the piece, so that an entity is rarely cut in two."""
    start, n = 0, len(text)
    while n - start > size:
        window = text[start:start + size]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(". "))
        cut = cut + 1 if cut >= size // 2 else size
        yield start, text[start:start + cut]
        start += cut
    yield start, text[start:]


def annotate(texts: Iterable[str], gv: GraphVocabulary, batch_size: int = 32) -> Iterator[list[Mention]]:
    """The mentions of each text, in order. A text longer than CHUNK_CHARS is read in pieces (offsets are those of
    the whole text), so no text is refused for its length and memory stays bounded."""
    nlp = get_nlp(gv)

    def pieces() -> Iterator[tuple[str, tuple[int, bool]]]:
        for text in texts:
            parts = list(split_text(text))
            for k, (offset, piece) in enumerate(parts):
                yield piece, (offset, k == len(parts) - 1)

    found: list[Mention] = []
    for doc, (offset, last) in nlp.pipe(pieces(), batch_size=batch_size, as_tuples=True):
        if offset:
            found.extend(Mention(m.text, m.start + offset, m.end + offset, m.category, m.path, m.confidence, m.value,
                                 m.source) for m in mentions(doc))
        else:
            found.extend(mentions(doc))
        if last:
            yield found
            found = []
