"""Recording a reviewer's decision on the tags of a deliberation (graph ``graph/annotations``).

The data model (docs/conventions.md, ontology ``oa:Annotation``): a tag is an annotation whose target is the
deliberation and whose body is an engagement, a champ or ``bsl:aucunEngagement``, with ``bsl:statutRevue``
(``propose`` for the model, ``accepte`` / ``corrige`` for a person, ``remplace`` once superseded),
``prov:wasAttributedTo`` and ``prov:generatedAtTime``. A decision never deletes a tag:

* accept a proposed tag → a new human tag with the same body, ``accepte``, derived from the proposal;
* correct (one tag, or the whole deliberation) → the replaced tags become ``remplace``, and one new human tag
  per chosen body, ``corrige``, with the reviewer's reason in ``bsl:justification``.

The current tags of a deliberation are its human tags that are not replaced, or else the model's proposals.
When ``ingest.review`` offers ``accept`` / ``correct`` these functions are the fallback the pages use.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timezone

import pyoxigraph as ox

from kg.iris import BSL, FOAF, OA, PROV, RDF, SKOS, XSD, graph, minted

ANNOTATIONS = "annotations"
ALLOWED_BODY = re.compile(r"^(engagement/[1-9][0-9]?|champ/[1-9][0-9]?-[1-9][0-9]?)$")


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown tag, body outside the référentiel…)."""


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def person_path(name: str) -> str:
    """Same pattern as the ingester (``personne/<slug>``)."""
    try:
        from ingest.linking import person_path as ingest_person_path

        return ingest_person_path(name)
    except Exception:  # noqa: BLE001 - the ingester may be absent or mid-way
        return f"personne/{slug(name) or 'anonyme'}"


def annotation_iri(deliberation: str, body: str, agent: str) -> ox.NamedNode:
    digest = hashlib.sha256(f"{deliberation}\n{body}\n{agent}".encode("utf-8")).hexdigest()[:16]
    return minted(f"annotation/{digest}")


def _now() -> ox.Literal:
    stamp = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return ox.Literal(stamp, datatype=ox.NamedNode(XSD + "dateTime"))


def _one(store: ox.Store, s, p) -> ox.Term | None:
    for q in store.quads_for_pattern(s, p, None, None):
        return q.object
    return None


def _agent(store: ox.Store, name: str, g: ox.NamedNode) -> tuple[ox.NamedNode, list[ox.Quad]]:
    name = " ".join((name or "").split())[:120] or "Anonyme"
    agent = minted(person_path(name))
    quads = [ox.Quad(agent, ox.NamedNode(RDF + "type"), ox.NamedNode(PROV + "Person"), g),
             ox.Quad(agent, ox.NamedNode(FOAF + "name"), ox.Literal(name), g),
             ox.Quad(agent, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(name, language="fr"), g)]
    return agent, quads


def valid_body(iri: str) -> ox.NamedNode:
    """A body a reviewer may choose: an engagement, a champ, or bsl:aucunEngagement."""
    if iri == BSL + "aucunEngagement":
        return ox.NamedNode(iri)
    base = minted("").value
    if iri.startswith(base) and ALLOWED_BODY.match(iri[len(base):]):
        return ox.NamedNode(iri)
    raise ReviewError(f"not an engagement or champ: {iri}")


def _tag_quads(d: ox.NamedNode, body: ox.NamedNode, agent: ox.NamedNode, statut: str, g: ox.NamedNode,
               reason: str | None = None, derived_from: ox.NamedNode | None = None,
               score: ox.Literal | None = None) -> tuple[ox.NamedNode, list[ox.Quad]]:
    a = annotation_iri(d.value, body.value, agent.value)
    quads = [
        ox.Quad(a, ox.NamedNode(RDF + "type"), ox.NamedNode(OA + "Annotation"), g),
        ox.Quad(a, ox.NamedNode(OA + "motivatedBy"), ox.NamedNode(OA + "classifying"), g),
        ox.Quad(a, ox.NamedNode(OA + "hasTarget"), d, g),
        ox.Quad(a, ox.NamedNode(OA + "hasBody"), body, g),
        ox.Quad(a, ox.NamedNode(BSL + "statutRevue"), ox.Literal(statut), g),
        ox.Quad(a, ox.NamedNode(PROV + "wasAttributedTo"), agent, g),
        ox.Quad(a, ox.NamedNode(PROV + "generatedAtTime"), _now(), g),
    ]
    if reason:
        quads.append(ox.Quad(a, ox.NamedNode(BSL + "justification"), ox.Literal(reason[:2000], language="fr"), g))
    if derived_from is not None:
        quads.append(ox.Quad(a, ox.NamedNode(PROV + "wasDerivedFrom"), derived_from, g))
    if score is not None:
        quads.append(ox.Quad(a, ox.NamedNode(BSL + "score"), score, g))
    return a, quads


def _clear(store: ox.Store, a: ox.NamedNode) -> None:
    """Forget an earlier decision of the same person on the same body (its IRI is reused)."""
    for q in list(store.quads_for_pattern(a, None, None, None)):
        store.remove(q)


def _set_status(store: ox.Store, a: ox.NamedNode, statut: str) -> None:
    p = ox.NamedNode(BSL + "statutRevue")
    olds = list(store.quads_for_pattern(a, p, None, None))
    g = olds[0].graph_name if olds else graph(ANNOTATIONS)
    for q in olds:
        store.remove(q)
    store.add(ox.Quad(a, p, ox.Literal(statut), g))


def _target(store: ox.Store, tag: ox.NamedNode) -> ox.NamedNode:
    if _one(store, tag, ox.NamedNode(RDF + "type")) != ox.NamedNode(OA + "Annotation"):
        raise ReviewError(f"no such tag: {tag.value}")
    d = _one(store, tag, ox.NamedNode(OA + "hasTarget"))
    if not isinstance(d, ox.NamedNode):
        raise ReviewError(f"the tag has no target: {tag.value}")
    return d


def accept(store: ox.Store, tag: ox.NamedNode, reviewer: str) -> ox.NamedNode:
    """Accept one proposed tag: a human tag with the same body (``accepte``). Returns the new tag."""
    g = graph(ANNOTATIONS)
    d = _target(store, tag)
    body = _one(store, tag, ox.NamedNode(OA + "hasBody"))
    agent, agent_quads = _agent(store, reviewer, g)
    a, quads = _tag_quads(d, body, agent, "accepte", g, derived_from=tag,
                          score=_one(store, tag, ox.NamedNode(BSL + "score")))
    if a == tag:
        raise ReviewError("a tag cannot accept itself")
    _clear(store, a)
    store.extend(agent_quads + quads)
    return a


def live_tags(store: ox.Store, d: ox.NamedNode) -> list[ox.NamedNode]:
    out = []
    for q in store.quads_for_pattern(None, ox.NamedNode(OA + "hasTarget"), d, None):
        st = _one(store, q.subject, ox.NamedNode(BSL + "statutRevue"))
        if st is None or st.value != "remplace":
            out.append(q.subject)
    return out


def correct(store: ox.Store, deliberation: ox.NamedNode, bodies: list[str], reason: str, reviewer: str,
            replaces: list[ox.NamedNode] | None = None) -> list[ox.NamedNode]:
    """Replace ``replaces`` (default: every live tag of the deliberation) by one human tag per chosen body."""
    if not bodies:
        raise ReviewError("choose at least one engagement, champ or « aucun engagement »")
    chosen = [valid_body(b) for b in dict.fromkeys(bodies)]
    if not reason or not reason.strip():
        raise ReviewError("give the reason of the correction")
    g = graph(ANNOTATIONS)
    if replaces is None:
        replaces = live_tags(store, deliberation)
    for tag in replaces:
        if _target(store, tag) != deliberation:
            raise ReviewError(f"{tag.value} does not tag {deliberation.value}")
    agent, agent_quads = _agent(store, reviewer, g)
    created, quads = [], list(agent_quads)
    kept = {_one(store, t, ox.NamedNode(OA + "hasBody")) for t in live_tags(store, deliberation)
            if t not in replaces and (_one(store, t, ox.NamedNode(BSL + "statutRevue")) or ox.Literal("")).value
            in ("accepte", "corrige")}
    for body in chosen:
        if body in kept:
            continue  # already carried by a human tag the reviewer keeps
        a, qs = _tag_quads(deliberation, body, agent, "corrige", g, reason=reason.strip(),
                           derived_from=replaces[0] if len(replaces) == 1 else None)
        created.append(a)
        quads += qs
    for tag in replaces:
        if tag not in created:
            _set_status(store, tag, "remplace")
    for a in created:
        _clear(store, a)
    store.extend(quads)
    return created
