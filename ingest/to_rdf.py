"""RDF of one deliberation (ELI + ACTES matière + mentions) and of its tags (Web Annotations with PROV)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Quad

from ingest.linking import GraphVocabulary, actes_yaml, collectivite_path
from ingest.nlp import Mention
from ingest.records import Deliberation, Finding
from ingest.roles import (
    CITE,
    CONCERNE,
    PLACE_CATEGORIES,
    TextZones,
    amount_role,
    decision_amount,
    operation_cost,
    place_role,
)
from ingest.tagger import Tag, TagResult
from kg.iris import BSL, DCTERMS, ELI, OA, PROV, RDF, RDFS, SKOS, XSD, graph, minted

A = NamedNode(RDF + "type")
T_DEC = NamedNode("http://publications.europa.eu/resource/authority/resource-type/DEC")
STORED_CATEGORIES = {"COMMUNE", "QPV", "TERRITOIRE", "ORG", "PROGRAMME", "CONTRAT", "PROJET", "CHAMP", "ENGAGEMENT",
                     "MONTANT", "DATE", "ARTICLE", "LOC"}


def bsl(t: str) -> NamedNode:
    return NamedNode(BSL + t)


def fr(text: str) -> Literal:
    return Literal(text, language="fr")


def dec(x: float | str | Decimal) -> Literal:
    """xsd:decimal in the canonical form the store keeps (1260000, 0.95), so re-ingests compare equal."""
    s = format(Decimal(str(x)).normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return Literal(s or "0", datatype=NamedNode(XSD + "decimal"))


def integer(n: int) -> Literal:
    return Literal(str(n), datatype=NamedNode(XSD + "integer"))


def date(iso: str) -> Literal:
    return Literal(iso, datatype=NamedNode(XSD + "date"))


def input_entity(rec: Deliberation) -> NamedNode:
    """The input the deliberation was read from: <ingestion/<sha16 of the file or record>>, #L<n> for a CSV row."""
    frag = ""
    if "#L" in rec.source:
        frag = "#" + rec.source.rsplit("#", 1)[1]
    h = rec.source_hash or rec.content_hash()
    return NamedNode(minted(f"ingestion/{h}").value + frag)


def matiere_path(code: str) -> str:
    return "matiere-actes/" + code.replace(".", "-")


def deliberation_quads(rec: Deliberation, mentions: list[Mention], gv: GraphVocabulary) -> list[Quad]:
    g = graph("deliberations")
    d = minted(rec.iri_path())
    q: list[Quad] = []

    def add(s, p, o) -> None:
        q.append(Quad(s, p, o, g))

    add(d, A, bsl("Deliberation"))
    add(d, NamedNode(ELI + "title"), fr(rec.objet or "(sans objet)"))
    add(d, NamedNode(ELI + "type_document"), T_DEC)
    if rec.date:
        add(d, NamedNode(ELI + "date_document"), date(rec.date))
    if rec.delib_id:
        add(d, NamedNode(ELI + "id_local"), Literal(rec.delib_id))
    coll = collectivite_path(gv, rec.siren)
    if coll:
        c = minted(coll)
        add(d, NamedNode(ELI + "passed_by"), c)
        if coll.startswith("collectivite/"):   # a collectivité the graph does not know yet
            add(c, A, bsl("Collectivite"))
            add(c, NamedNode(SKOS + "prefLabel"), fr(rec.coll_nom or f"SIREN {rec.siren}"))
            add(c, bsl("siren"), Literal(rec.siren))
    if rec.matiere_code:
        actes = actes_yaml()
        parts = rec.matiere_code.split(".")
        m = minted(matiere_path(rec.matiere_code))
        add(d, NamedNode(ELI + "is_about"), m)
        label = rec.matiere_nom or (actes.get(rec.matiere_code) or {}).get("label") or f"Matière {rec.matiere_code}"
        add(m, A, bsl("MatiereActes"))
        add(m, NamedNode(SKOS + "prefLabel"), fr(label))
        add(m, NamedNode(SKOS + "notation"), Literal(rec.matiere_code))
        if len(parts) > 1:
            top = minted(matiere_path(parts[0]))
            add(m, NamedNode(SKOS + "broader"), top)
            add(top, A, bsl("MatiereActes"))
            top_label = (actes.get(parts[0]) or {}).get("label") or f"Matière {parts[0]}"
            add(top, NamedNode(SKOS + "prefLabel"), fr(top_label))
            add(top, NamedNode(SKOS + "notation"), Literal(parts[0]))
    if rec.texte:
        add(d, bsl("texte"), fr(rec.texte))
    for attr, prop in (("vote_effectif", "voteEffectif"), ("vote_reel", "voteReel"), ("vote_pour", "votePour"),
                       ("vote_contre", "voteContre"), ("vote_abstention", "voteAbstention")):
        v = getattr(rec, attr)
        if v is not None:
            add(d, bsl(prop), integer(v))
    if rec.budget_annee is not None:
        add(d, bsl("budgetAnnee"), integer(rec.budget_annee))
    if rec.budget_nom:
        add(d, bsl("budgetNom"), fr(rec.budget_nom))
    if rec.pref_id:
        add(d, bsl("prefId"), Literal(rec.pref_id))
    if rec.pref_date:
        add(d, bsl("prefDate"), date(rec.pref_date))
    if rec.url:
        add(d, NamedNode(RDFS + "seeAlso"), NamedNode(rec.url))
    inputs = {input_entity(rec).value: rec.source or "enregistrement JSON"}
    for iri, title in rec.extra.get("inputs", []):   # other inputs of the same deliberation (merged)
        inputs.setdefault(iri, title)
    for iri, title in sorted(inputs.items()):
        src = NamedNode(iri)
        add(d, NamedNode(PROV + "wasDerivedFrom"), src)
        add(src, A, NamedNode(PROV + "Entity"))
        add(src, NamedNode(DCTERMS + "title"), Literal(title))

    for iri, f in finding_inputs(rec):
        digest = hashlib.sha256(f"{f.code}\n{f.field}\n{f.raw}".encode()).hexdigest()[:12]
        node = NamedNode(d.value + "/anomalie/" + digest)
        add(d, bsl("anomalie"), node)
        add(node, A, bsl("AnomalieDonnee"))
        add(node, bsl("codeAnomalie"), Literal(f.code))
        add(node, bsl("champSource"), Literal(f.field))
        add(node, bsl("valeurBrute"), Literal(f.raw))
        add(node, NamedNode(RDFS + "comment"), fr(f.message))
        add(node, NamedNode(PROV + "wasDerivedFrom"), NamedNode(iri))
    for v in rec.extra.get("versions", []):
        add(d, NamedNode(PROV + "wasRevisionOf"), NamedNode(v))

    text = rec.full_text
    objet_prefix = len(rec.objet) + 2 if rec.texte and text != rec.texte else 0
    zones = TextZones(text, objet_prefix)
    year = int(rec.date[:4]) if rec.date else None
    amounts: list[tuple[Decimal, str]] = []
    concerne, cites = set(), set()
    for m in mentions:
        if m.category not in STORED_CATEGORIES:
            continue
        if m.category == "LOC" and not m.path:
            continue
        mn = NamedNode(d.value + f"/mention/{m.start}-{m.end}")
        add(d, bsl("mention"), mn)
        add(mn, A, bsl("Mention"))
        add(mn, bsl("texteMention"), Literal(text[m.start:m.end]))
        add(mn, bsl("categorie"), Literal(m.category))
        add(mn, bsl("debut"), integer(m.start))
        add(mn, bsl("fin"), integer(m.end))
        role = None
        if m.category in PLACE_CATEGORIES:
            role = place_role(zones, m.start)
        if m.path:
            add(mn, bsl("designe"), minted(m.path))
            add(mn, bsl("confiance"), dec(m.confidence or 0))
            if role == CONCERNE and (m.confidence or 0) >= 0.6:
                concerne.add(m.path)
            elif role == CITE and (m.confidence or 0) >= 0.6:
                cites.add(m.path)
        if m.value and m.category == "MONTANT":
            role = amount_role(zones, m.start, year)
            add(mn, NamedNode(PROV + "value"), dec(m.value))
            amounts.append((Decimal(m.value), role))
        elif m.value and m.category == "DATE":
            add(mn, NamedNode(PROV + "value"), date(m.value))
        if role:
            add(mn, bsl("roleMention"), Literal(role))
    montant, cout = decision_amount(amounts), operation_cost(amounts)
    if montant is not None:
        add(d, bsl("montantDecision"), dec(montant))
    if cout is not None:
        add(d, bsl("coutOperation"), dec(cout))
    for p in sorted(concerne):
        add(d, bsl("concerne"), minted(p))
    for p in sorted(cites - concerne):
        add(d, bsl("citeLieu"), minted(p))
    return q


def finding_inputs(rec: Deliberation) -> list[tuple[str, Finding]]:
    """(input IRI, finding) of this record's findings and of the findings other inputs of it left (merged)."""
    out = {(input_entity(rec).value, f) for f in rec.findings}
    out.update((iri, f) for iri, f in rec.extra.get("findings", []))
    return sorted(out, key=lambda x: (x[0], x[1].code, x[1].field, x[1].raw))


def agent_path(name: str, version: str) -> str:
    return f"agent/{name}-{version}"


def annotation_path(delib_path: str, body: str, agent: str, extra: str = "") -> str:
    h = hashlib.sha256(f"{delib_path}\n{body}\n{agent}\n{extra}".encode()).hexdigest()[:16]
    return f"annotation/{h}"


def body_node(target: str) -> NamedNode:
    return bsl("aucunEngagement") if target == "aucun" else minted(target)


def annotation_quads(delib_path: str, tag: Tag, *, agent: str, agent_kind: str, agent_label: str, when: str,
                     statut: str, source: NamedNode | None, extra: str = "", derived_from: list[str] | None = None
                     ) -> tuple[str, list[Quad]]:
    """One Web Annotation: target the deliberation, body the engagement/champ (or bsl:aucunEngagement)."""
    g = graph("annotations")
    path = annotation_path(delib_path, tag.target, agent, extra)
    a = minted(path)
    ag = minted(agent)
    q: list[Quad] = []

    def add(s, p, o) -> None:
        q.append(Quad(s, p, o, g))

    add(a, A, NamedNode(OA + "Annotation"))
    add(a, NamedNode(OA + "motivatedBy"), NamedNode(OA + "classifying"))
    add(a, NamedNode(OA + "hasTarget"), minted(delib_path))
    add(a, NamedNode(OA + "hasBody"), body_node(tag.target))
    add(a, bsl("score"), dec(round(tag.score, 3)))
    for rank, cue in enumerate(tag.cues, 1):   # one node per cue, under the annotation (docs/tagging.md § Evidence)
        c = NamedNode(f"{a.value}/indice/{rank}")
        add(a, bsl("indice"), c)
        add(c, A, bsl("Indice"))
        add(c, bsl("natureIndice"), bsl(cue.nature))
        add(c, bsl("rang"), integer(rank))
        if cue.mots:
            add(c, bsl("mots"), Literal(cue.mots))
        if cue.lieu:
            add(c, bsl("lieuIndice"), Literal(cue.lieu))
        if cue.poids is not None:
            add(c, bsl("poids"), dec(round(cue.poids, 3)))
        if cue.ressource:
            add(c, bsl("ressourceIndice"), body_node(cue.ressource))
        if cue.regle:
            add(c, bsl("regle"), fr(cue.regle))
    for r in dict.fromkeys(tag.ressources):
        add(a, bsl("ressourcePreuve"), minted(r))
    if tag.justification:
        add(a, bsl("justification"), fr(tag.justification))
    add(a, bsl("statutRevue"), Literal(statut))
    add(a, NamedNode(DCTERMS + "creator"), ag)
    add(a, NamedNode(PROV + "wasAttributedTo"), ag)
    add(a, NamedNode(PROV + "generatedAtTime"), Literal(when, datatype=NamedNode(XSD + "dateTime")))
    if source is not None:
        add(a, NamedNode(PROV + "wasDerivedFrom"), source)
    for p in derived_from or []:
        add(a, NamedNode(PROV + "wasDerivedFrom"), minted(p))
    add(ag, A, NamedNode(PROV + ("SoftwareAgent" if agent_kind == "logiciel" else "Person")))
    add(ag, NamedNode(SKOS + "prefLabel"), Literal(agent_label))   # a person: its pseudonym (ingest/reviewers.py)
    return path, q


def model_annotations(rec: Deliberation, result: TagResult, *, agent: str, agent_label: str, when: str) -> list[Quad]:
    quads: list[Quad] = []
    for tag in result.annotations:
        _, q = annotation_quads(rec.iri_path(), tag, agent=agent, agent_kind="logiciel", agent_label=agent_label,
                                when=when, statut="propose", source=input_entity(rec))
        quads.extend(q)
    return quads
