"""Human review of tags: what to review, accept, correct. Human decisions are new annotations (statut « accepte » or
« corrige », author = a prov:Person under a pseudonym, :mod:`ingest.reviewers`, time, reason); nothing human is
ever modified or deleted. The current tag of a
deliberation is its latest human decision, else the model's proposals not superseded: the rule is the SPARQL
fragment ``queries/fragments/etiquette-en-vigueur.rq``, which :func:`annotations_of` runs (no Python version of it)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox

from ingest.evidence import CUES_QUERY, Cue, cues_by_annotation, doubts, relative
from ingest.reviewers import Reviewers
from ingest.tagger import Tag
from ingest.to_rdf import annotation_quads
from kg.errors import BoussoleError
from kg.iris import BSL, DCTERMS, ELI, FOAF, OA, PROV, RDF, RDFS, SKOS, XSD, base_iri, graph, minted
from kg.querying import data_block, run, solutions
from queries.fragments import select as fragment_query

NEAR_TIE = 0.15
# the current annotations of every deliberation, by the one rule
IN_FORCE = fragment_query("etiquette-en-vigueur", "?a")
# the links from an annotation to the nodes the rule and the evidence read too (its agent, its evidence nodes)
_LINKED = (ox.NamedNode(PROV + "wasAttributedTo"), ox.NamedNode(BSL + "indice"))


@dataclass
class Annotation:
    iri: str
    body: str                 # relative path (engagement/1, champ/1-2) or "aucun"
    score: float | None
    statut: str
    agent: str
    human: bool
    time: str
    preuve: str = ""          # the French evidence string of stores written before the evidence nodes (shown as is)
    justification: str = ""
    cues: list[Cue] = field(default_factory=list)
    current: bool = False     # part of the deliberation's current tag (the fragment etiquette-en-vigueur says)


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
        return {"deliberation": self.deliberation, "source": self.source,
                "engagements": self.engagements or (["none"] if self.aucun else []),
                "champs": self.champs, "annotations": [asdict(a) for a in self.annotations]}


def _rel(iri: str) -> str:
    return relative(iri)


def resolve(store: ox.Store, ref: str) -> str:
    """A deliberation IRI from its IRI, its path (deliberation/…), its local id (DELIB_ID) or a file stem."""
    ref = ref.strip()
    g = graph("deliberations")
    cands = [ref] if ref.startswith("http") else [base_iri() + ref, base_iri() + "deliberation/" + ref]
    for c in cands:
        if any(True for _ in store.quads_for_pattern(ox.NamedNode(c), None, None, g)):
            return c
    lit = ox.Literal(ref)
    hits = sorted({q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(ELI + "id_local"), lit, g)})
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise BoussoleError(f"« {ref} » désigne {len(hits)} délibérations ({', '.join(hits[:3])}…) : donnez l'IRI")
    deliberation = ox.NamedNode(BSL + "Deliberation")
    derived = store.quads_for_pattern(None, ox.NamedNode(PROV + "wasDerivedFrom"), None, g)
    src = sorted({q.subject.value for q in derived
                  # a deliberation (not a version or a finding) derived from a source of that name
                  if next(store.quads_for_pattern(q.subject, ox.NamedNode(RDF + "type"), deliberation, g), None)
                  and any(t.object.value in (ref, f"{ref}.txt", f"{ref}.pdf", f"{ref}.docx")
                          for t in store.quads_for_pattern(q.object, ox.NamedNode(DCTERMS + "title"), None, g))})
    if len(src) == 1:
        return src[0]
    raise BoussoleError(f"aucune délibération « {ref} » dans le graphe")


def _own_annotations(store: ox.Store, delib: str) -> ox.Store:
    """An in-memory store holding what the rule reads about ``delib`` (the fragment's header says so): every quad
    about its annotations, about their agents and about their evidence nodes, in their graphs. The rule and the
    readers below then run on it unbound: pyoxigraph plans a query before a variable is bound, so with ``?d`` only
    substituted it starts from the most selective-looking pattern (``?agent a prov:Person``, ``?a a oa:Annotation``)
    and walks every annotation of the store (docs/queries-performance.md)."""
    copy = ox.Store()
    for hit in store.quads_for_pattern(None, ox.NamedNode(OA + "hasTarget"), ox.NamedNode(delib), None):
        about = list(store.quads_for_pattern(hit.subject, None, None, None))
        copy.extend(about)
        for q in about:
            if q.predicate in _LINKED and isinstance(q.object, (ox.NamedNode, ox.BlankNode)):
                copy.extend(store.quads_for_pattern(q.object, None, None, None))
    return copy


def in_force(store: ox.Store, delib: str | None = None) -> set[str]:
    """The annotations that make the current tags (of ``delib`` only, read on its own annotations, when given). The
    rule reads the annotations graph, where the annotations and their agents are written (ingest/to_rdf.py) and the
    readers below look: cheaper than the union of every graph."""
    source = _own_annotations(store, delib) if delib else store
    return {r["a"].value for r in solutions(source, IN_FORCE, default_graph=graph("annotations"))
            if isinstance(r["a"], ox.NamedNode)}


def annotations_of(store: ox.Store, delib: str | None = None, *, evidence: bool = True) -> dict[str, list[Annotation]]:
    """The tags of every deliberation (of ``delib`` when given), oldest first, each marked ``current`` or not;
    ``evidence=False`` leaves their cues unread (callers that need the tags only: training, counts)."""
    return _annotations(_own_annotations(store, delib) if delib else store, evidence)


def _values(store: ox.Store, predicate: str) -> dict[str, str]:
    """subject IRI → value of ``predicate`` in the annotations graph, read from the store's index: for the optional
    properties of annotations this is cheaper than an OPTIONAL per row (docs/queries-performance.md)."""
    g, p = graph("annotations"), ox.NamedNode(predicate)
    return {q.subject.value: q.object.value for q in store.quads_for_pattern(None, p, None, g)}


def _agents(store: ox.Store, kind: str) -> set[ox.Term]:
    """The agents typed ``kind`` (prov:Person, prov:SoftwareAgent) in the annotations graph."""
    g, a = graph("annotations"), ox.NamedNode(RDF + "type")
    return {q.subject for q in store.quads_for_pattern(None, a, ox.NamedNode(kind), g)}


def _annotations(store: ox.Store, evidence: bool = True) -> dict[str, list[Annotation]]:
    res = solutions(store, f"""
        SELECT ?a ?d ?body ?statut ?agent ?time WHERE {{
          GRAPH <{graph('annotations').value}> {{
            # what the rule calls an annotation: no rdf:type pattern (the rule has none), one index walk less
            ?a <{OA}hasTarget> ?d ; <{OA}hasBody> ?body ; <{BSL}statutRevue> ?statut ;
               <{PROV}wasAttributedTo> ?agent ; <{PROV}generatedAtTime> ?time .
          }} }}""")
    people, software = _agents(store, PROV + "Person"), _agents(store, PROV + "SoftwareAgent")
    scores, preuves, justifications = (_values(store, BSL + p) for p in ("score", "preuve", "justification"))
    current = in_force(store)
    bodies: dict[ox.Term, str] = {}   # a few dozen engagements and champs: each made relative once
    out: dict[str, list[Annotation]] = {}
    for a, d, body, statut, agent, when in res:
        human = agent in people
        if not human and agent not in software:
            continue
        iri, score = a.value, scores.get(a.value)
        if body not in bodies:
            bodies[body] = _rel(body.value)
        out.setdefault(d.value, []).append(Annotation(
            iri=iri, body=bodies[body], score=float(score) if score is not None else None, statut=statut.value,
            agent=agent.value, human=human, time=when.value, preuve=preuves.get(iri, ""),
            justification=justifications.get(iri, ""), current=iri in current))
    # a store written before the evidence nodes has none to read
    has_cues = evidence and next(store.quads_for_pattern(None, ox.NamedNode(BSL + "indice"), None, None), None)
    cues = cues_by_annotation(run(store, CUES_QUERY, "ingest/evidence.py")) if has_cues else {}
    for v in out.values():
        for ann in v:
            ann.cues = cues.get(ann.iri, [])
        v.sort(key=lambda ann: (ann.time, ann.iri))
    return out


def current_from(delib: str, anns: list[Annotation]) -> Current:
    """The current tag of ``delib`` from its annotations as :func:`annotations_of` read them (marked by the rule)."""
    now = [a for a in anns if a.current]
    return Current(delib, "humain" if any(a.human for a in now) else "modele" if now else "aucune", now)


def current(store: ox.Store, ref: str) -> Current:
    d = resolve(store, ref)
    return current_from(d, annotations_of(store, d).get(d, []))


def deliberations(store: ox.Store) -> dict[str, tuple[str, str]]:
    """IRI → (local id or path, title)."""
    res = store.query(f"""SELECT ?d ?t ?id WHERE {{ GRAPH <{graph('deliberations').value}> {{
        ?d a <{BSL}Deliberation> ; <{ELI}title> ?t . OPTIONAL {{ ?d <{ELI}id_local> ?id }} }} }}""")
    return {r["d"].value: (r["id"].value if r["id"] else _rel(r["d"].value), r["t"].value) for r in res}


def notes(cur: Current, anns: list[Annotation]) -> list[str]:
    """Why a person should look at a deliberation's model tags (shown beside the queue; the queue itself is
    ``queries/file-de-revue.rq``): no proposal, doubtful evidence, close competitors, model versions that disagree."""
    if cur.source == "aucune":
        return ["non étiquetée"]
    out = []
    if cur.aucun and any(a.justification.startswith("Aucun indice") for a in cur.annotations):
        out.append("non étiquetée (aucun indice thématique)")
    # the tagger's doubts among its cues: one weak/medium cue only, institutional and thematic evidence in
    # competition, a low probability (docs/tagging.md § 4)
    for a in cur.annotations:
        said = ", ".join(doubts(a.cues)) if not a.human else ""
        if said and f"indice douteux : {said}" not in out:
            out.append(f"indice douteux : {said}")
    eng = sorted((a.score or 0 for a in cur.annotations if a.body.startswith("engagement/")), reverse=True)
    if len(eng) >= 2 and eng[0] - eng[1] < NEAR_TIE:
        out.append("désaccord : engagements concurrents de scores proches")
    older = [a for a in anns if not a.human and a.statut == "remplace"]
    if older:
        prev = {a.body for a in older if a.body.startswith("engagement/") or a.body == "aucun"}
        now = {a.body for a in cur.annotations if a.body.startswith("engagement/") or a.body == "aucun"}
        if prev != now:
            out.append("désaccord entre versions du modèle")
    return out


def describe(store: ox.Store, rows: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """The queue rows (``deliberation``, ``titre``, ``date``, ``confiance``) with what a reviewer needs: local id,
    current engagements and champs, and the reasons to look."""
    anns = annotations_of(store)
    idents = deliberations(store)
    out = []
    for row in rows:
        d = row["deliberation"]
        cur = current_from(d, anns.get(d, []))
        confidence = row.get("confiance")
        reasons = [] if confidence is None else [f"confiance {confidence:.2f} < seuil {threshold:.2f}"]
        reasons += notes(cur, anns.get(d, []))
        out.append({"deliberation": d, "id": idents.get(d, (_rel(d), ""))[0], "titre": row.get("titre") or "",
                    "date": row.get("date"), "raisons": reasons,
                    "engagements": cur.engagements or (["none"] if cur.aucun else []), "champs": cur.champs,
                    "score": confidence})
    return out


def _now() -> str:
    """UTC time to the microsecond: two decisions in the same second stay two decisions."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _summary(cur: Current) -> str:
    """« engagements 1 ; champs 1-2 (modèle) », the one-line state shown in the decision log."""
    if cur.source == "aucune":
        return "aucune étiquette"
    engs = ("aucun engagement" if cur.aucun and not cur.engagements
            else "engagements " + (", ".join(cur.engagements) or "—"))
    champs = f" ; champs {', '.join(cur.champs)}" if cur.champs else ""
    return f"{engs}{champs} ({'humain' if cur.source == 'humain' else 'modèle'})"


def _decision_quads(d: str, action: str, author: tuple[str, str], when: str, generated: list[str],
                    invalidated: list[str], before: Current, after: Current,
                    undoes: str | None = None) -> list[ox.Quad]:
    """The log entry of one decision: a prov:Activity by a person (``author``: the path and label of its
    pseudonymous node), at a time, on a deliberation, with what stopped being current (prov:invalidated) and what
    it wrote (prov:generated), « avant → après » in words (rdfs:comment); the action (accepte, corrige, annule) is
    its dcterms:type."""
    g = graph("annotations")
    path = f"decision/{uuid.uuid4().hex[:20]}"
    act, person = minted(path), minted(author[0])
    q = [ox.Quad(act, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Activity"), g),
         ox.Quad(act, ox.NamedNode(DCTERMS + "type"), ox.Literal(action), g),
         ox.Quad(act, ox.NamedNode(PROV + "used"), ox.NamedNode(d), g),
         ox.Quad(act, ox.NamedNode(PROV + "wasAssociatedWith"), person, g),
         ox.Quad(act, ox.NamedNode(PROV + "endedAtTime"), ox.Literal(when, datatype=ox.NamedNode(XSD + "dateTime")), g),
         ox.Quad(person, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Person"), g),
         ox.Quad(person, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(author[1]), g)]
    q += [ox.Quad(act, ox.NamedNode(PROV + "generated"), minted(a), g) for a in generated]
    q += [ox.Quad(act, ox.NamedNode(PROV + "invalidated"), minted(a), g) for a in invalidated]
    change = ox.Literal(f"{_summary(before)} → {_summary(after)}", language="fr")
    q.append(ox.Quad(act, ox.NamedNode(RDFS + "comment"), change, g))
    if undoes:
        q.append(ox.Quad(act, ox.NamedNode(PROV + "wasInformedBy"), ox.NamedNode(undoes), g))
    return q


def _record(store: ox.Store, d: str, action: str, author: str, when: str, targets: list[Tag], derived: list[str],
            before: Current, reviewers: Reviewers) -> Current:
    """Write one decision (its annotations and its log entry) in one transaction; the author's name goes to the
    directory first, the store gets its pseudonym."""
    if not author or not author.strip():
        raise BoussoleError("une décision doit donner son auteur (--author)")
    person = reviewers.remember(author)
    decision = uuid.uuid4().hex
    quads, generated = [], []
    for tag in targets:
        path, q = annotation_quads(_rel(d), tag, agent=person[0], agent_kind="personne",
                                   agent_label=person[1], when=when, statut=action, source=None,
                                   extra=decision, derived_from=derived)
        generated.append(path)
        quads.extend(q)
    after = _current_once(store, d, [], quads)
    log = _decision_quads(d, action, person, when, generated, [_rel(a.iri) for a in before.annotations], before, after)
    store.extend(quads + log)
    return current(store, d)


def accept(store: ox.Store, ref: str, author: str, reason: str | None = None, now: str | None = None, *,
           reviewers: Reviewers) -> Current:
    """The person confirms the model's current proposal: copies with statut « accepte »."""
    d = resolve(store, ref)
    cur = current_from(d, annotations_of(store, d).get(d, []))
    if cur.source == "aucune":
        raise BoussoleError(f"{_rel(d)} : aucune étiquette à accepter ; utilisez « correct »")
    tags = [Tag(a.body, a.score if a.score is not None else 1.0, a.cues, [],
                justification=reason or a.justification or None)
            for a in cur.annotations]
    return _record(store, d, "accepte", author, now or _now(), tags, [_rel(a.iri) for a in cur.annotations], cur,
                   reviewers)


def correct(store: ox.Store, ref: str, *, engagements: list[str], champs: list[str], reason: str, author: str,
            now: str | None = None, reviewers: Reviewers) -> Current:
    """The person sets the tags: engagements (["1","3"] or ["none"]) and champs (["1-2"]), with a reason.

    « none » with an engagement or a champ is refused (never silently dropped); a champ brings its engagement."""
    if not reason or not reason.strip():
        raise BoussoleError("une correction doit donner sa raison (--reason)")
    if not author or not author.strip():
        raise BoussoleError("une correction doit donner son auteur (--author)")
    d = resolve(store, ref)
    engs = [e.strip() for e in engagements if e.strip()]
    champs = [c.strip() for c in champs if c.strip()]
    none = any(e.lower() in ("none", "aucun", "0") for e in engs)
    for c in champs:
        if not re.fullmatch(r"[123]-\d{1,2}", c):
            raise BoussoleError(f"champ « {c} » : attendu E-C, par ex. 2-4")
    for e in engs:
        if e.lower() not in ("none", "aucun", "0") and e not in ("1", "2", "3"):
            raise BoussoleError(f"engagement « {e} » : attendu 1, 2, 3 ou none")
    if none and (champs or len(engs) > 1):
        raise BoussoleError("« aucun engagement » exclut tout engagement et tout champ : décochez l'un ou l'autre")
    if not none:
        engs = sorted(set(engs) | {c.split("-")[0] for c in champs})
    if not engs:
        raise BoussoleError("donnez au moins --engagement N (ou none) ou --champ E-C")
    before = current(store, d)
    targets = ["aucun"] if none else [f"engagement/{e}" for e in engs] + [f"champ/{c}" for c in champs]
    tags = [Tag(t, 1.0, "", [], justification=reason.strip()) for t in targets]
    return _record(store, d, "corrige", author, now or _now(), tags, [_rel(a.iri) for a in before.annotations], before,
                   reviewers)


def _current_once(store: ox.Store, d: str, removed: list[ox.Quad], added: list[ox.Quad]) -> Current:
    """The current tag of ``d`` once ``removed`` / ``added`` are written, by the same rule, on an in-memory copy of
    its annotations: a decision writes its log entry (« avant → après ») in the same transaction as its change."""
    copy = _own_annotations(store, d)
    for q in removed:
        copy.remove(q)
    copy.extend(added)
    return current_from(d, _annotations(copy).get(d, []))


def undo(store: ox.Store, ref: str, author: str, now: str | None = None, *, reviewers: Reviewers) -> Current:
    """Undo the latest human decision on a deliberation: its annotations get the statut « remplace » (they stop
    being current; the earlier decision, or the model's proposal, is current again) and the undo is logged."""
    if not author or not author.strip():
        raise BoussoleError("une annulation doit donner son auteur (--author)")
    d = resolve(store, ref)
    before = current(store, d)
    if before.source != "humain":
        raise BoussoleError(f"{_rel(d)} : aucune décision humaine à annuler")
    g = graph("annotations")
    undone = [a.iri for a in before.annotations]
    decisions = sorted({q.subject.value for a in undone
                        for q in store.quads_for_pattern(None, ox.NamedNode(PROV + "generated"), ox.NamedNode(a), g)})
    prop = ox.NamedNode(BSL + "statutRevue")
    old = [ox.Quad(ox.NamedNode(a.iri), prop, ox.Literal(a.statut), g) for a in before.annotations]
    after = _current_once(store, d, old, [ox.Quad(ox.NamedNode(a), prop, ox.Literal("remplace"), g) for a in undone])
    log = _decision_quads(d, "annule", reviewers.remember(author), now or _now(), [], [_rel(a) for a in undone],
                          before, after, undoes=decisions[0] if decisions else None)
    new = [ox.Quad(ox.NamedNode(a), prop, ox.Literal("remplace"), g) for a in undone] + log
    store.update(f"DELETE DATA {{ {data_block(old)} }} ;\nINSERT DATA {{ {data_block(new)} }}")   # one transaction
    return after


def decision_log(store: ox.Store, ref: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest decisions (who, when, action, before → after), newest first; of one deliberation if ``ref``.
    ``auteur`` is the reviewer's label as the store has it (a pseudonym; :func:`ingest.reviewers.with_names` puts
    the names), ``relecteur`` its IRI."""
    d = resolve(store, ref) if ref else None
    res = store.query(f"""
        SELECT ?act ?d ?action ?p ?who ?when ?comment WHERE {{
          GRAPH <{graph('annotations').value}> {{
            ?act a <{PROV}Activity> ; <{DCTERMS}type> ?action ; <{PROV}used> ?d ; <{PROV}wasAssociatedWith> ?p ;
                 <{PROV}endedAtTime> ?when .
            OPTIONAL {{ ?p <{SKOS}prefLabel> ?who }}
            OPTIONAL {{ ?act <{RDFS}comment> ?comment }} }} }}
        ORDER BY DESC(?when) LIMIT {int(limit)}""", substitutions={ox.Variable("d"): ox.NamedNode(d)} if d else None)
    return [{"decision": r["act"].value, "deliberation": r["d"].value, "action": r["action"].value,
             "auteur": r["who"].value if r["who"] else "", "relecteur": r["p"].value, "quand": r["when"].value,
             "avant_apres": r["comment"].value if r["comment"] else ""} for r in res]


def pseudonymise(store: Any, reviewers: Reviewers) -> int:
    """Rewrite the reviewers of a store written before pseudonyms (``id:personne/<slug>`` typed ``prov:Person`` in
    the annotations graph, named in ``skos:prefLabel`` / ``foaf:name``) as ``id:relecteur/<pseudonym>``, their
    names moved to the directory, in one transaction. Returns how many reviewers were rewritten: 0 when there are
    none, so a second run changes nothing. ``store``: a pyoxigraph store or :class:`api.remote_store.RemoteStore`."""
    g = graph("annotations")
    people = base_iri() + "personne/"
    named = sorted({q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                                                     ox.NamedNode(PROV + "Person"), g)
                    if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(people)})
    removed: list[ox.Quad] = []
    added: list[ox.Quad] = []
    for iri in named:
        person = ox.NamedNode(iri)
        names = [q.object.value for p in (SKOS + "prefLabel", FOAF + "name")
                 for q in store.quads_for_pattern(person, ox.NamedNode(p), None, g)]
        path, label = reviewers.keep(iri[len(people):], names[0] if names else iri[len(people):])
        node = minted(path)
        for q in list(store.quads_for_pattern(person, None, None, g)):
            removed.append(q)
            if q.predicate.value == SKOS + "prefLabel":
                added.append(ox.Quad(node, q.predicate, ox.Literal(label), g))
            elif q.predicate.value != FOAF + "name":
                added.append(ox.Quad(node, q.predicate, q.object, g))
        for q in list(store.quads_for_pattern(None, None, person, g)):
            removed.append(q)
            added.append(ox.Quad(q.subject, q.predicate, node, g))
    if removed:
        kept = list(dict.fromkeys(added))
        store.update(f"DELETE DATA {{ {data_block(removed)} }} ;\nINSERT DATA {{ {data_block(kept)} }}")
    return len(named)
