"""A tag's evidence as data, and its one rendering in French.

The tagger (ingest/tagger.py, ingest/model.py) gives each tag a list of cues: the cue words it found and where, their
weight, the sentence it quotes, the closest orientation or action, the linked resources, the act rule, the learned
n-grams, and the doubts that send a tag to review (« à vérifier »). They are stored as ``bsl:Indice`` nodes under the
annotation (ingest/to_rdf.py, docs/tagging.md § Evidence) and read back as :class:`Cue` by the review and the pages.
Words are put around them only here, by :func:`describe` (pages, ``boussole tag``) and :func:`doubts` (the review
queue's notes): nothing parses evidence text back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from kg.iris import BSL, base_iri

# the natures of a cue: the local names of the bsl:NatureIndice individuals (ontology/boussole.ttl)
THEME = "indiceThematique"              # a cue phrase of the champ (or a pattern of the rules) found in the text
INSTITUTION = "indiceInstitutionnel"    # a cue of institutional functioning (elections, staff, budget documents…)
ACT = "acteInstitutionnel"              # the act that opens the object (its rule's label, its words)
COTAG = "regleCoEtiquetage"             # a co-tagging rule of the labelling guide
SENTENCE = "phraseTexte"                # the sentence of the text around the strongest cue
NEAR = "procheReferentiel"              # the closest orientation or action of the champ (TF-IDF similarity)
LINKED = "ressourceLiee"                # a graph resource the text names, serving the champ or engagement
MATIERE = "matiereActes"                # the ACTES matière, institutional by the nomenclature
NO_CUE = "aucunIndiceThematique"        # nothing thematic found
LEARNED = "indiceAppris"                # an n-gram that weighed in the learned model's choice
VIA_CHAMP = "parChamp"                  # an engagement's evidence is that of its champ
# doubts: why a person should check the tag
ONE_CUE = "indiceUnique"                # one medium or weak cue only
REFERENTIEL_ONLY = "referentielSeul"    # no cue word, only the proximity of the référentiel
INST_COMPETES = "concurrenceInstitutionnelle"
THEME_COMPETES = "concurrenceThematique"
LOW_PROBABILITY = "probabiliteFaible"   # the model's probability is below one half
RULES_DISAGREE = "desaccordRegles"      # the rules propose another answer than the model

DOUBTS = frozenset({ONE_CUE, REFERENTIEL_ONLY, INST_COMPETES, THEME_COMPETES, LOW_PROBABILITY, RULES_DISAGREE})
NATURES = DOUBTS | {THEME, INSTITUTION, ACT, COTAG, SENTENCE, NEAR, LINKED, MATIERE, NO_CUE, LEARNED, VIA_CHAMP}
NONE = "aucun"                          # the path that stands for bsl:aucunEngagement


@dataclass(frozen=True)
class Cue:
    """One piece of evidence of a tag. ``ressource`` is a path under the base (« champ/2-4 ») or « aucun »."""
    nature: str
    mots: str | None = None
    lieu: str | None = None
    poids: float | None = None
    ressource: str | None = None
    regle: str | None = None

    @property
    def doubt(self) -> bool:
        return self.nature in DOUBTS


Label = Callable[[str], str]

# every cue of the annotations (of one deliberation when ?d is bound), in the order the tagger gave them
CUES_QUERY = """PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX bsl: <https://boussole.agglo-porteduhainaut.fr/def#>
SELECT ?d ?a ?nature ?rang ?mots ?lieu ?poids ?ressource ?regle WHERE {
  ?a oa:hasTarget ?d ; bsl:indice ?c .
  ?c bsl:natureIndice ?nature ; bsl:rang ?rang .
  OPTIONAL { ?c bsl:mots ?mots }
  OPTIONAL { ?c bsl:lieuIndice ?lieu }
  OPTIONAL { ?c bsl:poids ?poids }
  OPTIONAL { ?c bsl:ressourceIndice ?ressource }
  OPTIONAL { ?c bsl:regle ?regle }
}"""


def relative(iri: str) -> str:
    """« champ/2-4 » for the IRI of champ 2-4, « aucun » for bsl:aucunEngagement."""
    if iri == BSL + "aucunEngagement":
        return NONE
    b = base_iri()
    return iri[len(b):] if iri.startswith(b) else iri


def _value(row: Any, name: str) -> str | None:
    """A variable's value in a query solution or a row dict; None when unbound."""
    try:
        term = row[name]
    except KeyError:
        return None
    return term.value if term is not None else None


def cues_by_annotation(rows: Iterable[Any]) -> dict[str, list[Cue]]:
    """The rows of :data:`CUES_QUERY` (query solutions or dicts of terms) as annotation IRI → its cues, in the
    tagger's order."""
    ranked: dict[str, list[tuple[int, Cue]]] = {}
    for r in rows:
        poids, ressource = _value(r, "poids"), _value(r, "ressource")
        cue = Cue(r["nature"].value.removeprefix(BSL), _value(r, "mots"), _value(r, "lieu"),
                  float(poids) if poids is not None else None, relative(ressource) if ressource else None,
                  _value(r, "regle"))
        ranked.setdefault(r["a"].value, []).append((int(r["rang"].value), cue))
    return {a: [c for _, c in sorted(cs, key=lambda rc: rc[0])] for a, cs in ranked.items()}


def _key(path: str | None) -> str:
    """The champ key of « champ/2-4 », « none » for « aucun »."""
    if not path or path == NONE:
        return "none"
    return path.split("/", 1)[1] if path.startswith("champ/") else path


def _quoted(words: Iterable[str | None]) -> str:
    return ", ".join(f"« {w} »" for w in words if w)


def _doubt(c: Cue) -> str:
    if c.nature == ONE_CUE:
        return "un seul indice moyen ou faible"
    if c.nature == REFERENTIEL_ONLY:
        return "aucun mot-clé, seulement la proximité du référentiel"
    if c.nature == INST_COMPETES:
        return "indices institutionnels concurrents"
    if c.nature == THEME_COMPETES:
        return f"indices thématiques concurrents (champ {_key(c.ressource)})"
    if c.nature == LOW_PROBABILITY:
        return f"probabilité {c.poids or 0:.2f}" + (f", sinon champ {_key(c.ressource)}" if c.ressource else "")
    return f"les règles proposent {_key(c.ressource)}"


def _part(nature: str, cues: list[Cue], label: Label) -> str:
    if nature in (THEME, INSTITUTION):
        return "mots : " + _quoted(c.mots for c in cues)
    if nature == ACT:
        return " ; ".join(f"acte : {c.regle}" + (f" (« {c.mots} »)" if c.mots else "") for c in cues)
    if nature == COTAG:
        return "règle : " + ", ".join(c.regle or "" for c in cues)
    if nature == SENTENCE:
        return " ; ".join(f"phrase : « {c.mots} »" for c in cues)
    if nature == NEAR:
        return " ; ".join(f"proche de : « {' '.join(label(c.ressource or '').split())[:160]} »" for c in cues)
    if nature == LINKED:
        return "ressources liées : " + ", ".join(label(c.ressource or "") for c in cues)
    if nature == MATIERE:
        return "matière ACTES institutionnelle"
    if nature == LEARNED:
        return "indices appris : " + _quoted(c.mots for c in cues)
    return "aucun indice thématique"


def describe(cues: Iterable[Cue], label: Label = lambda path: path) -> str:
    """The evidence in French, as staff read it: « mots : « a », « b » ; phrase : « … » ; proche de : « … » ;
    à vérifier : … ». ``label`` names a resource from its path (the graph's label)."""
    groups: dict[str, list[Cue]] = {}
    prefix = ""
    for c in cues:
        if c.nature == VIA_CHAMP:
            prefix = f"par le champ {_key(c.ressource)} « {label(c.ressource or '')} » : "
        else:
            groups.setdefault("doubt" if c.doubt else c.nature, []).append(c)
    parts = [_part(n, cs, label) for n, cs in groups.items() if n != "doubt"]
    if "doubt" in groups:
        parts.append("à vérifier : " + ", ".join(_doubt(c) for c in groups["doubt"]))
    return prefix + " ; ".join(parts)


def doubts(cues: Iterable[Cue]) -> list[str]:
    """The doubts among the cues, in words (« un seul indice moyen ou faible »…)."""
    return [_doubt(c) for c in cues if c.doubt]


def quoted(cues: Iterable[Cue]) -> list[str]:
    """The words and sentences of the deliberation's text the evidence quotes (to highlight them)."""
    return [c.mots.strip(" …") for c in cues if c.nature in (THEME, INSTITUTION, SENTENCE) and c.mots]
