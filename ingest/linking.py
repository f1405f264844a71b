"""What the graph knows, read once by SPARQL: surface forms of linkable resources (communes, QPV, bassins,
organisations, contracts, dispositifs, projets emblématiques, champs, engagements), the référentiel text of each
champ, and which resources serve which engagement or champ. The NLP rules and the tagger are generated from it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import yaml

from ingest.text import fold
from kg.iris import base_iri, prefix_block

DATA = Path(__file__).parent / "data"

# class local name → mention category
CATEGORIES = {
    "Commune": "COMMUNE", "EPCI": "ORG", "Collectivite": "ORG", "OrganisationPartenaire": "ORG",
    "QuartierPrioritaire": "QPV", "BassinDeVie": "TERRITOIRE",
    "Contrat": "CONTRAT", "CRTE": "CONTRAT", "ContratDeVille": "CONTRAT", "PCAET": "CONTRAT", "PAT": "CONTRAT",
    "ContratLocalSante": "CONTRAT", "StrategieSectorielle": "CONTRAT", "ProgrammeRenouvellement": "PROGRAMME",
    "Dispositif": "PROGRAMME", "ProjetEmblematique": "PROJET", "ChampIntervention": "CHAMP", "Engagement": "ENGAGEMENT",
}
PRIORITY = ["COMMUNE", "ORG", "QPV", "TERRITOIRE", "PROJET", "CONTRAT", "PROGRAMME", "CHAMP", "ENGAGEMENT"]
# single words that are labels of some resource but mostly common nouns in deliberations
GENERIC = {
    "centre", "departement", "region", "gare", "cite", "quartier", "ville", "commune", "agglomeration", "etat local",
    "mission territoriale", "label", "formation", "emploi", "plan de relance", "fonds de concours",
}


@dataclass(frozen=True)
class Surface:
    text: str
    path: str             # relative IRI path of the resource (commune/59172)
    category: str
    confidence: float
    case_sensitive: bool


@dataclass
class GraphVocabulary:
    surfaces: list[Surface] = field(default_factory=list)
    classes: dict[str, set[str]] = field(default_factory=dict)          # path → class local names
    labels: dict[str, str] = field(default_factory=dict)                # path → prefLabel (fr)
    champ_text: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # "1-2" → [(resource path, text)]
    serves: dict[str, dict[str, float]] = field(default_factory=dict)   # path → {"champ/1-2"|"engagement/1": weight}
    collectivites: dict[str, str] = field(default_factory=dict)         # SIREN → path
    has_referentiel: bool = False
    fingerprint: str = ""

    def label(self, path: str) -> str:
        return self.labels.get(path, path)


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _rel(iri: str) -> str | None:
    base = base_iri()
    return iri[len(base):] if iri.startswith(base) else None


def _variants(label: str) -> list[tuple[str, float]]:
    """The label and its usual written variants, with a confidence factor."""
    label = unicodedata.normalize("NFC", label).replace("\u2019", "'").strip()
    label = re.sub(r"\s+", " ", label)
    out = [(label, 1.0)]
    bare = re.sub(r"^(l'|la |le |les )", "", label, flags=re.I)
    if bare != label and len(bare) > 2:
        out.append((bare, 0.95))
    for text, f in list(out):
        ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        if ascii_ != text:
            out.append((ascii_, f * 0.9))
        if "-" in text:
            out.append((text.replace("-", " "), f * 0.9))
        if re.search(r"\bSaint\b", text):
            out.append((re.sub(r"\bSaint\b", "St", text), f * 0.85))
        if "'" in text:
            out.append((text.replace("'", "\u2019"), f))
    seen, uniq = set(), []
    for t, f in out:
        if t not in seen:
            seen.add(t)
            uniq.append((t, f))
    return uniq


def _q(store: ox.Store, body: str):
    return store.query(prefix_block() + body, use_default_graph_as_union=True)


def build_vocabulary(store: ox.Store) -> GraphVocabulary:
    """Read the linkable vocabulary from the store (any graph)."""
    gv = GraphVocabulary()
    values = " ".join(f"bsl:{c}" for c in CATEGORIES)
    rows = _q(store, f"""
        SELECT ?r ?type ?p ?label WHERE {{
          VALUES ?type {{ {values} }}
          ?r a ?type ; ?p ?label .
          VALUES ?p {{ skos:prefLabel skos:altLabel skos:hiddenLabel }}
          FILTER(isLiteral(?label) && (LANG(?label) = "" || LANGMATCHES(LANG(?label), "fr")))
        }}""")
    raw: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        path = _rel(row["r"].value)
        if path is None:
            continue
        cls = _local(row["type"].value)
        gv.classes.setdefault(path, set()).add(cls)
        pred = _local(row["p"].value)
        label = row["label"].value
        if pred == "prefLabel" and (path not in gv.labels or label < gv.labels[path]):
            gv.labels[path] = label
        raw.setdefault(path, []).append((cls, pred, label))

    best: dict[tuple[str, bool], Surface] = {}
    for path in sorted(raw):
        cats = {CATEGORIES[c] for c, _, _ in raw[path]}
        category = min(cats, key=PRIORITY.index)
        for _, pred, label in sorted(set(raw[path])):
            if len(label) < 3 or len(label) > 120 or label.isdigit():
                continue
            if label.isupper() and len(label.split()) > 3:
                continue  # capitalised headings repeat the prefLabel
            base_conf = {"prefLabel": 0.95, "altLabel": 0.9, "hiddenLabel": 0.85}[pred]
            for text, f in _variants(label):
                folded = fold(text)
                if folded in GENERIC and not text[:1].isupper():
                    continue
                if folded in GENERIC and category not in ("ORG",):
                    continue
                single = len(re.findall(r"\w+", text)) == 1 or (text.isupper() and len(text) <= 8)
                conf = round(base_conf * f * (0.85 if single and text.isupper() else 1.0), 3)
                if single and category == "QPV":
                    conf = min(conf, 0.5)   # « Arenberg », « Gambetta »: a one-word QPV name is mostly something else
                key = (text if single else folded, single)
                s = Surface(text=text, path=path, category=category, confidence=conf, case_sensitive=single)
                prev = best.get(key)
                if prev is None:
                    best[key] = s
                elif prev.path != path:
                    # the same words name two resources: keep the higher-priority category, lower the confidence
                    keep = min((prev, s), key=lambda x: (PRIORITY.index(x.category), -x.confidence, x.path))
                    cap = 0.75 if prev.category != s.category else 0.6
                    best[key] = Surface(keep.text, keep.path, keep.category, min(cap, keep.confidence),
                                        keep.case_sensitive)
                elif conf > prev.confidence:
                    best[key] = s
    gv.surfaces = sorted(best.values(), key=lambda s: (s.path, s.text))

    # référentiel text of each champ: its labels, orientations, actions (anything whose IRI is under champ/E-C/)
    rows = _q(store, """
        SELECT ?c ?x ?text WHERE {
          ?c a bsl:ChampIntervention .
          { BIND(?c AS ?x) } UNION { ?x bsl:champ ?c } UNION { ?x a ?t . FILTER(STRSTARTS(STR(?x), CONCAT(STR(?c),
          "/"))) }
          ?x a ?kind . VALUES ?kind { bsl:ChampIntervention bsl:Orientation bsl:Action }
          ?x skos:prefLabel|skos:altLabel|skos:definition|bsl:intitule|dcterms:description ?text .
        }""")
    seen_text: set[tuple[str, str]] = set()
    for row in rows:
        path = _rel(row["c"].value)
        if not path or not path.startswith("champ/"):
            continue
        key = path.split("/", 1)[1]
        t = row["text"].value
        if (key, fold(t)) in seen_text:
            continue
        seen_text.add((key, fold(t)))
        gv.champ_text.setdefault(key, []).append((_rel(row["x"].value) or path, t))
    for k in gv.champ_text:
        gv.champ_text[k].sort()
    gv.has_referentiel = bool(gv.champ_text)

    # what serves what: projets emblématiques → engagement, bsl:sert, contribution links
    rows = _q(store, """
        SELECT ?x ?t ?w WHERE {
          { ?x a bsl:ProjetEmblematique ; bsl:engagement ?t . BIND(1.0 AS ?w) }
          UNION { ?x bsl:sert ?t . BIND(0.8 AS ?w) }
          UNION { ?c a bsl:Contribution ; bsl:contributeur ?x ; bsl:cible ?t . BIND(0.8 AS ?w) }
        }""")
    for row in rows:
        x, t = _rel(row["x"].value), _rel(row["t"].value)
        if not x or not t or not re.match(r"^(champ/\d-\d+|engagement/\d)$", t):
            continue
        w = float(row["w"].value)
        cur = gv.serves.setdefault(x, {})
        cur[t] = max(cur.get(t, 0.0), w)

    for row in _q(store, "SELECT ?x ?s WHERE { ?x bsl:siren ?s }"):
        p = _rel(row["x"].value)
        if p:
            gv.collectivites[row["s"].value] = p

    h = hashlib.sha256()
    for s in gv.surfaces:
        h.update(f"{s.text}\t{s.path}\t{s.category}\t{s.confidence}\n".encode())
    for k in sorted(gv.champ_text):
        h.update(repr(gv.champ_text[k]).encode())
    for k in sorted(gv.serves):
        h.update(repr(sorted(gv.serves[k].items())).encode())
    gv.fingerprint = h.hexdigest()[:16]
    return gv


@lru_cache(maxsize=1)
def vocabulary_yaml() -> dict:
    with open(DATA / "vocabulaire.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=1)
def actes_yaml() -> dict:
    with open(DATA / "actes.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["matieres"]


def collectivite_path(gv: GraphVocabulary, siren: str | None) -> str | None:
    if not siren:
        return None
    return gv.collectivites.get(siren) or f"collectivite/{siren}"

