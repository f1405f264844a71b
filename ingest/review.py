"""Human review of tags: what to review, accept, correct. Human decisions are new annotations (statut « accepte » or
« corrige », author = a prov:Person, time, reason); nothing human is ever modified or deleted. The current tag of a
deliberation is its latest human decision, else the latest model version's proposal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ingest.linking import person_path
from ingest.tagger import Tag
from ingest.to_rdf import annotation_quads
from kg.errors import BoussoleError
from kg.iris import BSL, DCTERMS, ELI, OA, PROV, RDF, base_iri, graph

LOW_SCORE = 0.5
NEAR_TIE = 0.15


@dataclass
class Annotation:
    iri: str
    body: str                 # relative path (engagement/1, champ/1-2) or "aucun"
    score: float | None
    statut: str
    agent: str
    human: bool
    time: str
    preuve: str = ""
    justification: str = ""


@dataclass
class Current:
    deliberation: str
    source: str               # "humain" | "modele" | "aucune"
    annotations: list[Annotation] = field(default_factory=list)

    @property
    def engagements(self) -> list[str]:
        return sorted(a.body.split("/")[1] for a in self.annotations if a.body.startswith("engagement/"))

    @property
    def champs(self) -> list[str]:
        return sorted(a.body.split("/")[1] for a in self.annotations if a.body.startswith("champ/"))

    @property
    def aucun(self) -> bool:
        return any(a.body == "aucun" for a in self.annotations)

    def as_dict(self) -> dict[str, Any]:
        return {"deliberation": self.deliberation, "source": self.source, "engagements": self.engagements or (["none"] if self.aucun else []),
                "champs": self.champs, "annotations": [a.__dict__ for a in self.annotations]}


def _rel(iri: str) -> str:
    b = base_iri()
    if iri == BSL + "aucunEngagement":
        return "aucun"
    return iri[len(b):] if iri.startswith(b) else iri


def resolve(store: ox.Store, ref: str) -> str:
    """A deliberation IRI from its IRI, its path (deliberation/…), its local id (DELIB_ID) or a file stem."""
    ref = ref.strip()
    cands = [ref] if ref.startswith("http") else [base_iri() + ref, base_iri() + "deliberation/" + ref]
    for c in cands:
        if any(True for _ in store.quads_for_pattern(ox.NamedNode(c), None, None, graph("deliberations"))):
            return c
    lit = ox.Literal(ref)
    hits = sorted({q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(ELI + "id_local"), lit, graph("deliberations"))})
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise BoussoleError(f"« {ref} » désigne {len(hits)} délibérations ({', '.join(hits[:3])}…) : donnez l'IRI")
    deliberation = ox.NamedNode(BSL + "Deliberation")
    src = sorted({q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(PROV + "wasDerivedFrom"), None, graph("deliberations"))
                  if next(store.quads_for_pattern(q.subject, ox.NamedNode(RDF + "type"), deliberation, graph("deliberations")), None)  # not a version or finding
                  and any(t.object.value in (ref, f"{ref}.txt", f"{ref}.pdf", f"{ref}.docx")
                         for t in store.quads_for_pattern(q.object, ox.NamedNode(DCTERMS + "title"), None, graph("deliberations")))})
    if len(src) == 1:
        return src[0]
    raise BoussoleError(f"aucune délibération « {ref} » dans le graphe")


def annotations_of(store: ox.Store, delib: str | None = None) -> dict[str, list[Annotation]]:
    flt = f"BIND(<{delib}> AS ?d)" if delib else ""
    res = store.query(f"""
        SELECT ?a ?d ?body ?score ?statut ?agent ?kind ?time ?preuve ?just WHERE {{
          {flt}
          GRAPH <{graph('annotations').value}> {{
            ?a a <{OA}Annotation> ; <{OA}hasTarget> ?d ; <{OA}hasBody> ?body ; <{BSL}statutRevue> ?statut ;
               <{PROV}wasAttributedTo> ?agent ; <{PROV}generatedAtTime> ?time .
            ?agent a ?kind . FILTER(?kind IN (<{PROV}SoftwareAgent>, <{PROV}Person>))
            OPTIONAL {{ ?a <{BSL}score> ?score }}
            OPTIONAL {{ ?a <{BSL}preuve> ?preuve }}
            OPTIONAL {{ ?a <{BSL}justification> ?just }}
          }} }}""")
    out: dict[str, list[Annotation]] = {}
    for r in res:
        out.setdefault(r["d"].value, []).append(Annotation(
            iri=r["a"].value, body=_rel(r["body"].value), score=float(r["score"].value) if r["score"] else None,
            statut=r["statut"].value, agent=r["agent"].value, human=r["kind"].value == PROV + "Person",
            time=r["time"].value, preuve=r["preuve"].value if r["preuve"] else "",
            justification=r["just"].value if r["just"] else ""))
    for v in out.values():
        v.sort(key=lambda a: (a.time, a.iri))
    return out


def current_from(delib: str, anns: list[Annotation]) -> Current:
    human = [a for a in anns if a.human]
    if human:
        latest = max(a.time for a in human)
        return Current(delib, "humain", [a for a in human if a.time == latest])
    model = [a for a in anns if not a.human and a.statut == "propose"]
    if model:
        latest_agent = max(model, key=lambda a: (a.time, a.agent)).agent
        return Current(delib, "modele", [a for a in model if a.agent == latest_agent])
    return Current(delib, "aucune", [])


def current(store: ox.Store, ref: str) -> Current:
    d = resolve(store, ref)
    return current_from(d, annotations_of(store, d).get(d, []))


def deliberations(store: ox.Store) -> dict[str, tuple[str, str]]:
    """IRI → (local id or path, title)."""
    res = store.query(f"""SELECT ?d ?t ?id WHERE {{ GRAPH <{graph('deliberations').value}> {{
        ?d a <{BSL}Deliberation> ; <{ELI}title> ?t . OPTIONAL {{ ?d <{ELI}id_local> ?id }} }} }}""")
    return {r["d"].value: (r["id"].value if r["id"] else _rel(r["d"].value), r["t"].value) for r in res}


def to_review(store: ox.Store, low: float = LOW_SCORE) -> list[dict[str, Any]]:
    """Deliberations whose current tag is the model's and needs a person: low score, disagreement, untagged."""
    anns = annotations_of(store)
    out = []
    for d, (ident, title) in sorted(deliberations(store).items()):
        cur = current_from(d, anns.get(d, []))
        if cur.source == "humain":
            continue
        reasons = []
        if cur.source == "aucune":
            reasons.append("non étiquetée")
        else:
            if cur.aucun and any(a.justification.startswith("Aucun indice") for a in cur.annotations):
                reasons.append("non étiquetée (aucun indice thématique)")
            scores = [a.score for a in cur.annotations if a.score is not None and (a.body.startswith("engagement/") or a.body == "aucun")]
            if scores and min(scores) < low:
                reasons.append(f"score faible ({min(scores):.2f})")
            # doubts written by the tagger in its evidence: one weak/medium cue only, institutional and thematic
            # evidence in competition (docs/tagging.md § 4)
            for a in cur.annotations:
                if not a.human and "à vérifier :" in (a.preuve or ""):
                    doubt = a.preuve.split("à vérifier :", 1)[1].split(" ; ")[0].strip()
                    if f"indice douteux : {doubt}" not in reasons:
                        reasons.append(f"indice douteux : {doubt}")
            eng = sorted((a.score or 0 for a in cur.annotations if a.body.startswith("engagement/")), reverse=True)
            if len(eng) >= 2 and eng[0] - eng[1] < NEAR_TIE:
                reasons.append("désaccord : engagements concurrents de scores proches")
            older = [a for a in anns.get(d, []) if not a.human and a.statut == "remplace"]
            if older:
                prev = {a.body for a in older if a.body.startswith("engagement/") or a.body == "aucun"}
                now = {a.body for a in cur.annotations if a.body.startswith("engagement/") or a.body == "aucun"}
                if prev != now:
                    reasons.append("désaccord entre versions du modèle")
        if reasons:
            out.append({"deliberation": d, "id": ident, "titre": title, "raisons": reasons,
                        "engagements": cur.engagements or (["none"] if cur.aucun else []), "champs": cur.champs,
                        "score": min((a.score for a in cur.annotations if a.score is not None), default=None)})
    return out


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def accept(store: ox.Store, ref: str, author: str, reason: str | None = None, now: str | None = None) -> Current:
    """The person confirms the model's current proposal: copies with statut « accepte »."""
    d = resolve(store, ref)
    cur = current_from(d, annotations_of(store, d).get(d, []))
    if cur.source == "aucune":
        raise BoussoleError(f"{_rel(d)} : aucune étiquette à accepter ; utilisez « correct »")
    when = now or _now()
    quads = []
    for a in cur.annotations:
        tag = Tag(a.body, a.score if a.score is not None else 1.0, a.preuve, [], justification=reason or a.justification or None)
        _, q = _human(d, tag, author, when, "accepte", derived=[_rel(a.iri)])
        quads.extend(q)
    store.extend(quads)
    return current(store, d)


def correct(store: ox.Store, ref: str, *, engagements: list[str], champs: list[str], reason: str, author: str,
            now: str | None = None) -> Current:
    """The person sets the tags: engagements (["1","3"] or ["none"]) and champs (["1-2"]), with a reason."""
    if not reason or not reason.strip():
        raise BoussoleError("une correction doit donner sa raison (--reason)")
    if not author or not author.strip():
        raise BoussoleError("une correction doit donner son auteur (--author)")
    d = resolve(store, ref)
    engs = [e.strip() for e in engagements if e.strip()]
    champs = [c.strip() for c in champs if c.strip()]
    none = any(e.lower() in ("none", "aucun", "0") for e in engs)
    import re
    for c in champs:
        if not re.fullmatch(r"[123]-\d", c):
            raise BoussoleError(f"champ « {c} » : attendu E-C, par ex. 2-4")
    for e in engs:
        if not none and e not in ("1", "2", "3"):
            raise BoussoleError(f"engagement « {e} » : attendu 1, 2, 3 ou none")
    if none and champs:
        raise BoussoleError("« none » exclut tout champ")
    if not none:
        engs = sorted(set(engs) | {c.split("-")[0] for c in champs})
    if not engs:
        raise BoussoleError("donnez au moins --engagement N (ou none) ou --champ E-C")
    when = now or _now()
    prior = [_rel(a.iri) for a in current(store, d).annotations]
    quads = []
    targets = ["aucun"] if none else [f"engagement/{e}" for e in engs] + [f"champ/{c}" for c in champs]
    for t in targets:
        tag = Tag(t, 1.0, "", [], justification=reason.strip())
        _, q = _human(d, tag, author, when, "corrige", derived=prior)
        quads.extend(q)
    store.extend(quads)
    return current(store, d)


def _human(d: str, tag: Tag, author: str, when: str, statut: str, derived: list[str]):
    return annotation_quads(_rel(d), tag, agent=person_path(author), agent_kind="personne", agent_label=author.strip(),
                            when=when, statut=statut, source=None, extra=when, derived_from=derived)
