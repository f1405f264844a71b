"""Batch ingest: read → spaCy (nlp.pipe, batched) → link → tag → RDF → one transactional write per deliberation.

Idempotent: IRIs are stable; a deliberation whose quads are already in the store is left untouched; model tags are
written once per (deliberation, model version) and keep their first generatedAtTime; human decisions (review) are
never modified by an ingest.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from ingest import RULES_VERSION, TAGGER_NAME
from ingest.linking import GraphVocabulary, build_vocabulary
from ingest.model import LearnedTagger, TaggerModel
from ingest.nlp import annotate
from ingest.readers import Item, iter_inputs
from ingest.readers.documents import PREF_ID_RE
from ingest.readers.scdl_csv import validate
from ingest.readers.values import read_date
from ingest.records import JSON_FIELDS, Deliberation, Finding, normalise_text, source_kind
from ingest.tagger import Analysis, Tagger, TagResult
from ingest.to_rdf import agent_path, deliberation_quads, input_entity, model_annotations
from kg.iris import BSL, OA, PROV, RDF, REPO_ROOT, XSD, base_iri, graph, minted
from kg.iris import DCTERMS as DCTERMS_
from kg.iris import ELI as ELI_
from kg.iris import RDFS as RDFS_
from kg.iris import SKOS as SKOS_
from kg.querying import data_block

BATCH = 64
MAX_IRIS = 10_000
SYNC_EVERY = 2_048
Progress = Callable[[int, str], None]   # (records done so far, where) → None
RDF_TYPE = ox.NamedNode(RDF + "type")
# links to the resources a deliberation owns (rewritten with it): its mentions and its data-quality findings
OWNED_LINKS = {BSL + "mention", BSL + "anomalie"}
# the metadata merged from several inputs, and those whose change by an input of the same kind is a new version
MERGED_FIELDS = ["objet", "delib_id", "siren", "coll_nom", "date", "matiere_code", "matiere_nom", "budget_annee",
                 "budget_nom", "pref_id", "pref_date", "vote_effectif", "vote_reel", "vote_pour", "vote_contre",
                 "vote_abstention", "url"]
VERSIONED_FIELDS = ["objet", "date", "matiere_code", "budget_annee", "budget_nom", "pref_id", "pref_date",
                    "vote_effectif", "vote_reel", "vote_pour", "vote_contre", "vote_abstention", "url"]
# what a kept version holds (the deliberation's own statements; mentions and tags are recomputed)
SNAPSHOT_PROPS = {ELI_ + "title", ELI_ + "date_document", ELI_ + "id_local", ELI_ + "is_about", ELI_ + "passed_by",
                  ELI_ + "type_document", BSL + "texte", BSL + "voteEffectif", BSL + "voteReel", BSL + "votePour",
                  BSL + "voteContre", BSL + "voteAbstention", BSL + "budgetAnnee", BSL + "budgetNom", BSL + "prefId",
                  BSL + "prefDate", RDFS_ + "seeAlso", BSL + "montantDecision", BSL + "coutOperation",
                  PROV + "wasDerivedFrom"}


@dataclass
class Summary:
    read: int = 0
    stored: int = 0          # new deliberations written
    updated: int = 0         # deliberations whose content changed (re-written; human tags kept)
    unchanged: int = 0       # already in the store with the same content
    versioned: int = 0       # known deliberations read with a different content: a new version, the old one kept
    tagged: int = 0          # deliberations that received model tags from this model version
    findings: int = 0        # data-quality findings recorded on the deliberations read (bsl:AnomalieDonnee)
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (where, reason): the rejects
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)   # (where, deliberation IRI, what differs)
    iris: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "stored": self.stored, "updated": self.updated, "unchanged": self.unchanged,
                "versioned": self.versioned, "tagged": self.tagged, "findings": self.findings,
                "skipped": [{"where": w, "reason": r} for w, r in self.skipped],
                "conflicts": [{"where": w, "deliberation": d, "differences": r} for w, d, r in self.conflicts],
                "deliberations": self.iris}


class IngestInterrupted(Exception):
    """An ingest stopped by an unexpected error: ``summary`` says exactly what was written before it (nothing
    that was queued and not yet written is written later)."""

    def __init__(self, summary: Summary, cause: BaseException):
        written = summary.stored + summary.updated + summary.versioned
        super().__init__(f"ingestion interrompue ({type(cause).__name__}: {str(cause)[:200]}) ; "
                         f"{written} délibération(s) écrites avant l'erreur")
        self.summary = summary
        self.cause = cause


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def reference_store() -> ox.Store:
    """An in-memory store of the ontology and kg/data/**/*.ttl (each folder in its named graph), for `boussole tag`
    without a built store, and for tests."""
    store = ox.Store()
    base = base_iri()
    onto = REPO_ROOT / "ontology" / "boussole.ttl"
    if onto.exists():
        store.load(path=str(onto), format=ox.RdfFormat.TURTLE, base_iri=base, to_graph=graph("ontology"))
    for f in sorted(glob.glob(str(REPO_ROOT / "kg" / "data" / "**" / "*.ttl"), recursive=True)):
        folder = Path(f).relative_to(REPO_ROOT / "kg" / "data").parts[0]
        try:
            store.load(path=f, format=ox.RdfFormat.TURTLE, base_iri=base, to_graph=graph(folder))
        except (SyntaxError, ValueError, OSError):
            continue  # a data file being written by someone else: the build reports it, the ingester goes on
    return store


class Ingester:
    """Holds the graph vocabulary, the spaCy pipeline and the tagger for one store (built once)."""

    def __init__(self, store: ox.Store, vocabulary_store: ox.Store | None = None, *, learned: bool = True,
                 model_path: Path | str | None = None):
        self.store = store
        self.gv: GraphVocabulary = build_vocabulary(vocabulary_store or store)
        if not self.gv.surfaces and vocabulary_store is None:
            self.gv = build_vocabulary(reference_store())   # empty store: use the référentiel files
        self._pending: list[tuple[str, str, list[ox.Quad]]] = []   # (IRI, where, quads) of new deliberations
        self.rules = Tagger(self.gv)
        self.model_path = model_path
        self.tagger: Tagger | LearnedTagger = self.rules
        if learned:
            from ingest.training import model_for

            self.use_model(model_for(model_path))

    def use_model(self, model: TaggerModel | None) -> None:
        """Tag with this learned model from now on (None: the rules alone, version 1.x)."""
        self.tagger = LearnedTagger(self.rules, model) if model is not None else self.rules
        version = model.version if model is not None else RULES_VERSION
        self.agent = agent_path(TAGGER_NAME, version)
        self.agent_label = f"{TAGGER_NAME} {version}"
        self._failed: list[tuple[str, str]] = []
        self._conflicts: list[tuple[str, str, str]] = []
        # the queued deliberations by number (DELIB_ID, PREF_ID; "" holds every queued IRI), for documents to find
        # the row they complete before it is written
        self._pending_numbers: dict[str, set[str]] = {}
        self._tagged = 0
        self._since_sync = 0

    # --- analysis (no write) ----------------------------------------------------------------------------------
    def analyse(self, records: Iterable[Deliberation], rules_only: bool = False,
                on_error: Callable[[Deliberation, str], None] | None = None
                ) -> Iterator[tuple[Deliberation, list, Any]]:
        """(record, mentions, TagResult) per record: the learned model's proposal, or the rules' (rules_only). A record
        the NLP, the rules or the model cannot process is passed to `on_error` with the reason (or raises, without
        `on_error`) and the others go on."""
        for batch in self.evidence(records, on_error):
            if rules_only or not isinstance(self.tagger, LearnedTagger):
                yield from ((rec, ments, rules) for rec, ments, _, rules in batch)
                continue
            try:
                results = self.tagger.tag_analysed([(a, rules) for _, _, a, rules in batch])
            except Exception as exc:  # one bad record: the batch is tagged one by one to keep the others
                if on_error is None:
                    raise
                results = []
                for rec, _, a, rules in batch:
                    try:
                        results.append(self.tagger.tag_analysed([(a, rules)])[0])
                    except Exception as one:  # noqa: BLE001
                        on_error(rec, f"étiquetage impossible ({type(one).__name__}: {str(one)[:160]})")
                        results.append(None)
                del exc
            tagged = zip(batch, results, strict=True)  # one result (None: reported to on_error) per record
            yield from ((rec, ments, r) for (rec, ments, _, _), r in tagged if r is not None)

    def evidence(self, records: Iterable[Deliberation], on_error: Callable[[Deliberation, str], None] | None = None
                 ) -> Iterator[list[tuple[Deliberation, list, Analysis, TagResult]]]:
        """Batches of (record, mentions, the rules' analysis, the rules' proposal): what the model reads."""
        buf: list[Deliberation] = []
        for rec in records:
            buf.append(rec)
            if len(buf) >= BATCH:
                yield self._evidence_batch(buf, on_error)
                buf = []
        if buf:
            yield self._evidence_batch(buf, on_error)

    def _evidence_batch(self, recs: list[Deliberation], on_error: Callable[[Deliberation, str], None] | None = None
                        ) -> list[tuple[Deliberation, list, Analysis, TagResult]]:
        try:
            # one list of mentions per text, in order
            analysed = list(zip(recs, annotate([r.full_text for r in recs], self.gv, batch_size=BATCH), strict=True))
        except Exception as exc:  # one bad record: analyse them one by one to keep the others
            if on_error is None:
                raise
            if len(recs) > 1:
                return [item for rec in recs for item in self._evidence_batch([rec], on_error)]
            on_error(recs[0], f"analyse du texte impossible ({type(exc).__name__}: {str(exc)[:160]})")
            return []
        out = []
        for rec, ments in analysed:
            try:
                a = self.rules.analyse(rec.objet, rec.texte, rec.matiere_code, ments)
                out.append((rec, ments, a, self.rules.decide(a)))
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(rec, f"étiquetage impossible ({type(exc).__name__}: {str(exc)[:160]})")
        return out

    # --- writing ----------------------------------------------------------------------------------------------
    def _existing(self, d: ox.NamedNode) -> set[ox.Quad]:
        """The quads the deliberation owns: its own, its mentions' and its findings' (rewritten with it)."""
        g = graph("deliberations")
        out = set(self.store.quads_for_pattern(d, None, None, g))
        for q in list(out):
            if q.predicate.value in OWNED_LINKS:
                out.update(self.store.quads_for_pattern(q.object, None, None, g))
        return out

    def _model_annotations(self, d: ox.NamedNode) -> dict[str, list[ox.NamedNode]]:
        """agent IRI → model annotations on this deliberation (any review status)."""
        res = self.store.query(f"""
            SELECT ?a ?agent WHERE {{ GRAPH <{graph('annotations').value}> {{
              ?a <{OA}hasTarget> <{d.value}> ; <{PROV}wasAttributedTo> ?agent .
              ?agent a <{PROV}SoftwareAgent> . }} }}""")
        out: dict[str, list[ox.NamedNode]] = {}
        for row in res:
            out.setdefault(row["agent"].value, []).append(row["a"])
        return out

    def _former_evidence(self, annotations: list[ox.NamedNode]) -> bool:
        """Proposals written before the evidence nodes (a bsl:preuve string): an ingest writes them again."""
        preuve, g = ox.NamedNode(BSL + "preuve"), graph("annotations")
        return any(next(self.store.quads_for_pattern(a, preuve, None, g), None) is not None for a in annotations)

    def _stored_record(self, d: ox.NamedNode, old: set[ox.Quad]) -> Deliberation | None:
        """The deliberation as stored (to merge a second input of the same deliberation: SCDL row + its PDF)."""
        if not old:
            return None
        by: dict[str, list] = {}
        props: dict[ox.Term, dict[str, ox.Term]] = {}
        for q in old:
            if q.subject == d:
                by.setdefault(q.predicate.value, []).append(q.object)
            else:
                props.setdefault(q.subject, {})[q.predicate.value] = q.object

        def one(p: str) -> ox.Term | None:
            return (by.get(p) or [None])[0]

        def val(p: str) -> str | None:
            term = one(p)
            return term.value if term is not None else None

        def num(p: str) -> int | None:
            text = val(p)
            return int(text) if text is not None else None

        rel = d.value[len(base_iri()):].split("/")
        rec = Deliberation(objet=val(ELI_ + "title") or "", texte=val(BSL + "texte") or "",
                           delib_id=val(ELI_ + "id_local"), siren=rel[1] if len(rel) == 3 else None,
                           date=val(ELI_ + "date_document"), vote_effectif=num(BSL + "voteEffectif"),
                           vote_reel=num(BSL + "voteReel"), vote_pour=num(BSL + "votePour"),
                           vote_contre=num(BSL + "voteContre"), vote_abstention=num(BSL + "voteAbstention"),
                           budget_annee=num(BSL + "budgetAnnee"), budget_nom=val(BSL + "budgetNom"),
                           pref_id=val(BSL + "prefId"), pref_date=val(BSL + "prefDate"), url=val(RDFS_ + "seeAlso"))
        about = one(ELI_ + "is_about")
        if about is not None:
            for q in self.store.quads_for_pattern(about, None, None, graph("deliberations")):
                if q.predicate.value == SKOS_ + "notation":
                    rec.matiere_code = q.object.value
                elif q.predicate.value == SKOS_ + "prefLabel":
                    rec.matiere_nom = q.object.value
        coll = one(ELI_ + "passed_by")
        if coll is not None:
            for q in self.store.quads_for_pattern(coll, ox.NamedNode(SKOS_ + "prefLabel"), None, None):
                rec.coll_nom = q.object.value
                break
        inputs = []
        for src in by.get(PROV + "wasDerivedFrom", []):
            title = next((q.object.value for q in old
                          if q.subject == src and q.predicate.value == DCTERMS_ + "title"), "")
            if not title:
                title = next((q.object.value for q in self.store.quads_for_pattern(
                    src, ox.NamedNode(DCTERMS_ + "title"), None, graph("deliberations"))), "")
            inputs.append((src.value, title))
        rec.extra["inputs"] = inputs
        findings = []
        for node in by.get(BSL + "anomalie", []):
            p = props.get(node, {})
            if BSL + "codeAnomalie" in p and PROV + "wasDerivedFrom" in p:
                findings.append((p[PROV + "wasDerivedFrom"].value, Finding(
                    p[BSL + "codeAnomalie"].value, p.get(BSL + "champSource", ox.Literal("")).value,
                    p.get(BSL + "valeurBrute", ox.Literal("")).value, p.get(RDFS_ + "comment", ox.Literal("")).value)))
        rec.extra["findings"] = findings
        rec.extra["versions"] = sorted(v.value for v in by.get(PROV + "wasRevisionOf", []))
        return rec

    @staticmethod
    def _differences(new: Deliberation, old: Deliberation) -> list[str]:
        """What a new input of a known deliberation changes in what an input of the same kind said before (an SCDL
        row or JSON record against another, a document against another): a new version. A row completing a
        document, or a document a row, is not a difference."""
        mine = input_entity(new).value
        same_kind = [iri for iri, title in old.extra.get("inputs", [])
                     if iri != mine and source_kind(title) == new.kind]
        if not same_kind:
            return []
        out = []
        if new.kind == "ligne":
            for f in VERSIONED_FIELDS:
                a, b = getattr(new, f), getattr(old, f)
                if a not in (None, "") and b not in (None, "") and normalise_text(str(a)) != normalise_text(str(b)):
                    out.append(f"{f} : « {str(b)[:80]} » → « {str(a)[:80]} »")
        if new.texte and old.texte and normalise_text(new.texte) != normalise_text(old.texte):
            out.append("texte modifié")
        return out

    @staticmethod
    def _merge(new: Deliberation, old: Deliberation, replaced_kind: str | None = None) -> Deliberation:
        """Same deliberation from another input: SCDL metadata wins over a document's header, a document's text
        over none; both inputs are kept in prov:wasDerivedFrom. The result does not depend on the order. With
        `replaced_kind` (a new version), the old inputs of that kind give way to the new one."""
        inputs = [(i, t) for i, t in old.extra.get("inputs", []) if source_kind(t) != replaced_kind]
        new_scdl = new.kind == "ligne"
        old_scdl = any(source_kind(t) == "ligne" for _, t in inputs)
        first, second = (new, old) if (new_scdl or not old_scdl or replaced_kind) else (old, new)
        merged = Deliberation(objet="")
        for f in MERGED_FIELDS:
            v = getattr(first, f)
            setattr(merged, f, v if v not in (None, "") else getattr(second, f))
        merged.texte = new.texte or old.texte
        merged.source, merged.source_hash, merged.label_id = new.source, new.source_hash, new.label_id
        mine, kept = input_entity(new).value, {i for i, _ in inputs}
        merged.extra["inputs"] = [(i, t) for i, t in inputs if i != mine]
        merged.extra["versions"] = list(old.extra.get("versions", []))
        merged.findings = list(new.findings)
        merged.extra["findings"] = [(i, f) for i, f in old.extra.get("findings", []) if i != mine and i in kept]
        return merged

    @staticmethod
    def _drop_solved_findings(rec: Deliberation) -> None:
        """A document's « no date » finding is no longer true once its SCDL row gave the date (and so on)."""
        solved = {"date-absente": rec.date, "numero-absent": rec.delib_id, "collectivite-absente": rec.siren,
                  "matiere-absente": rec.matiere_code}
        rec.findings = [f for f in rec.findings if not solved.get(f.code)]
        rec.extra["findings"] = [(i, f) for i, f in rec.extra.get("findings", []) if not solved.get(f.code)]

    def _snapshot(self, d: ox.NamedNode, old: set[ox.Quad], when: str) -> tuple[str, list[ox.Quad]]:
        """The stored state of `d`, kept as a version (PROV) before a new version replaces it."""
        g = graph("deliberations")
        data = sorted((q for q in old if q.subject == d and q.predicate.value in SNAPSHOT_PROPS), key=str)
        v = ox.NamedNode(d.value + "/version/" + hashlib.sha256("\n".join(map(str, data)).encode()).hexdigest()[:16])
        quads = [ox.Quad(v, q.predicate, q.object, g) for q in data]
        quads += [ox.Quad(v, RDF_TYPE, ox.NamedNode(BSL + "VersionDeliberation"), g),
                  ox.Quad(v, RDF_TYPE, ox.NamedNode(PROV + "Entity"), g),
                  ox.Quad(v, ox.NamedNode(DCTERMS_ + "isVersionOf"), d, g),
                  ox.Quad(v, ox.NamedNode(PROV + "invalidatedAtTime"),
                          ox.Literal(when, datatype=ox.NamedNode(XSD + "dateTime")), g)]
        return v.value, quads

    def _version_inputs(self, versions: list[str]) -> set[str]:
        g, p = graph("deliberations"), ox.NamedNode(PROV + "wasDerivedFrom")
        return {q.object.value for v in versions for q in self.store.quads_for_pattern(ox.NamedNode(v), p, None, g)}

    def _completed_deliberation(self, rec: Deliberation) -> str | None:
        """The ingested deliberation a document completes: its own IRI when known, else the one whose DELIB_ID or
        PREF_ID is the document's number or a PREF_ID printed in its text (same collectivité; one match only)."""
        g = graph("deliberations")
        own = minted(rec.iri_path())
        if own.value in self._pending_numbers.get("", set()) or \
                next(self.store.quads_for_pattern(own, None, None, g), None) is not None:
            return None
        numbers = {n for n in (rec.delib_id, rec.pref_id) if n} | set(PREF_ID_RE.findall(rec.texte))
        found = set()
        for n in numbers:
            found.update(self._pending_numbers.get(n, ()))
            for p in (ELI_ + "id_local", BSL + "prefId"):
                found.update(q.subject.value
                             for q in self.store.quads_for_pattern(None, ox.NamedNode(p), ox.Literal(n), g))
        if rec.siren:
            found = {iri for iri in found if iri.startswith(minted(f"deliberation/{rec.siren}/").value)}
        return found.pop() if len(found) == 1 else None

    def flush(self) -> list[tuple[str, str]]:
        """Write the pending new deliberations: one transaction for the group (each deliberation is complete in
        it); if the group fails, each deliberation is retried alone so that only a bad one is lost."""
        pending, self._pending = self._pending, []
        self._pending_numbers = {}
        if not pending:
            return []
        try:
            self.store.extend([q for _, _, qs in pending for q in qs])
            return []
        except Exception:  # noqa: BLE001 - any store error: retry each deliberation alone to find the bad one
            failed = []
            for _, where, qs in pending:
                try:
                    self.store.extend(qs)
                except Exception as exc:  # noqa: BLE001
                    failed.append((where, f"écriture impossible : {exc}"))
            return failed

    def write(self, rec: Deliberation, ments, result, when: str | None = None) -> str:
        """Write one deliberation and its model tags; returns stored | updated | versioned | unchanged.

        A new deliberation is queued and written with the next group (flush); anything that reads or updates an
        existing deliberation flushes the queue first."""
        when = when or now_iso()
        if minted(rec.iri_path()).value in self._pending_numbers.get("", set()):
            self._failed.extend(self.flush())
        if rec.kind == "document":
            target = self._completed_deliberation(rec)
            if target is not None:
                if target in self._pending_numbers.get("", set()):
                    self._failed.extend(self.flush())
                rec.siren = target[len(base_iri()):].split("/")[1]
                rec.delib_id = next(self.store.quads_for_pattern(ox.NamedNode(target), ox.NamedNode(ELI_ + "id_local"),
                                                                 None, graph("deliberations"))).object.value
        d = minted(rec.iri_path())
        old = self._existing(d)
        stored = self._stored_record(d, old)
        snapshot: list[ox.Quad] = []
        status = None
        if stored is not None:
            mine = input_entity(rec).value
            current_inputs = {i for i, _ in stored.extra["inputs"]}
            if mine not in current_inputs and mine in self._version_inputs(stored.extra["versions"]):
                return "unchanged"   # an input of an earlier version, read again: the history already holds it
            diffs = self._differences(rec, stored)
            if diffs:
                v, snapshot = self._snapshot(d, old, when)
                stored.extra["versions"] = sorted(set(stored.extra["versions"]) | {v})
                self._conflicts.append((rec.source or rec.display_id(), d.value, "; ".join(diffs)))
                status = "versioned"
            merged = self._merge(rec, stored, rec.kind if diffs else None)
            if merged.full_text != rec.full_text or merged.matiere_code != rec.matiere_code:
                [(_, ments, result)] = list(self.analyse([merged]))
            rec = merged
        self._drop_solved_findings(rec)
        new_all = deliberation_quads(rec, ments, self.gv)
        owned = tuple(d.value + f"/{k}/" for k in ("mention", "anomalie"))
        new = {q for q in new_all if q.subject == d or q.subject.value.startswith(owned)}
        context = [q for q in new_all if q not in new] + snapshot   # matière, input, collectivité, version
        status = status or ("unchanged" if old == new else ("updated" if old else "stored"))
        # the same content from one more input (a re-export): only its provenance is added, the content is unchanged
        provenance_only = status == "updated" and all(
            q.subject == d and q.predicate.value == PROV + "wasDerivedFrom" for q in old ^ new)
        if provenance_only:
            status = "unchanged"
        existing_tags = self._model_annotations(d)
        me = minted(self.agent).value
        write_tags = me not in existing_tags or status in ("updated", "versioned") or self._former_evidence(
            existing_tags[me])
        if status == "unchanged" and not write_tags and not provenance_only:
            return status
        if status != "stored" or existing_tags:
            self._failed.extend(self.flush())
        ann_graph = graph("annotations")
        if write_tags:
            self._tagged += 1
        tag_quads = model_annotations(rec, result, agent=self.agent, agent_label=self.agent_label,
                                      when=when) if write_tags else []
        if status == "stored" and not existing_tags:
            self._pending.append((d.value, rec.source or rec.display_id(), list(new) + context + tag_quads))
            for key in ("", rec.delib_id, rec.pref_id):   # "" → every pending IRI; numbers → their IRIs
                if key is not None:
                    self._pending_numbers.setdefault(key, set()).add(d.value)
            if len(self._pending) >= BATCH:
                self._failed.extend(self.flush())
                self._since_sync += BATCH
                if self._since_sync >= SYNC_EVERY:
                    # persist RocksDB's write buffers: keeps the memory of long ingests flat
                    self.store.flush()
                    self._since_sync = 0
            return status
        # replace in one SPARQL update: old deliberation quads, this model version's old proposals, supersede older
        # versions
        parts = []
        dels = [q for q in old if q not in new] if status in ("updated", "versioned") or provenance_only else []
        if dels:
            parts.append(f"DELETE DATA {{ {data_block(dels)} }}")
        if write_tags:
            for agent_iri, anns in existing_tags.items():
                for a in anns:
                    if agent_iri == me:   # the annotation and its evidence nodes
                        parts.append(f"DELETE WHERE {{ GRAPH {ann_graph} {{ {a} <{BSL}indice> ?c . ?c ?cp ?co }} }} ; "
                                     f"DELETE WHERE {{ GRAPH {ann_graph} {{ {a} ?p ?o }} }}")
                    else:   # an older model version: its proposals are superseded
                        parts.append(f"DELETE DATA {{ GRAPH {ann_graph} {{ {a} <{BSL}statutRevue> \"propose\" }} }} ; "
                                     f"INSERT DATA {{ GRAPH {ann_graph} {{ {a} <{BSL}statutRevue> \"remplace\" }} }}")
        ins = [q for q in new if q not in old] + context + tag_quads
        if ins:
            parts.append(f"INSERT DATA {{ {data_block(ins)} }}")
        if parts:
            self.store.update(" ;\n".join(parts))
        return status

    def ingest(self, items: Iterable[Item | Deliberation], progress: Progress | None = None,
               when: str | None = None, analysed: Callable[..., Iterator[tuple[Deliberation, list, Any]]] | None = None
               ) -> Summary:
        """Read, analyse and write every item. A bad record (rejected by its reader, not analysable, not writable)
        is skipped with its reason and the others go on. An unexpected error stops the run with
        `IngestInterrupted`, whose summary says exactly what was written: nothing queued is written later.

        `analysed(records, on_error=…)`: the analyses of the items' records made elsewhere (the service analyses an
        import in a process of its own, :mod:`api.import_analysis`), instead of `self.analyse`."""
        summary = Summary()
        self._pending, self._failed, self._conflicts, self._tagged = [], [], [], 0
        self._pending_numbers = {}

        def skip(where: str, reason: str) -> None:
            summary.skipped.append((where, reason))
            if progress:
                progress(summary.read + len(summary.skipped), where)

        def records() -> Iterator[Deliberation]:
            for it in items:
                if isinstance(it, Deliberation):
                    summary.read += 1
                    yield it
                elif it.ok:
                    summary.read += 1
                    yield it.record
                else:
                    skip(it.where, it.reason)

        def not_analysed(rec: Deliberation, reason: str) -> None:
            summary.read -= 1
            skip(rec.source or rec.display_id(), reason)

        try:
            for rec, ments, result in (analysed or self.analyse)(records(), on_error=not_analysed):
                try:
                    status = self.write(rec, ments, result, when=when)
                except Exception as exc:  # noqa: BLE001 - a store error on one record must not lose the others
                    skip(rec.source or rec.display_id(), f"écriture impossible : {exc}")
                    continue
                setattr(summary, status, getattr(summary, status) + 1)
                summary.findings += len(rec.findings)
                if len(summary.iris) < MAX_IRIS:   # bounded: a 100 000-row ingest keeps flat memory
                    summary.iris.append(minted(rec.iri_path()).value)
                if progress:
                    progress(summary.read + len(summary.skipped), rec.source or rec.display_id())
            self._failed.extend(self.flush())
        except BaseException as exc:
            # what is queued is not written, now or by a later run: the summary reports what was written
            lost = {iri for iri, _, _ in self._pending}
            summary.stored -= len(self._pending)
            summary.iris = [i for i in summary.iris if i not in lost]
            self._pending, self._pending_numbers = [], {}
            self._settle(summary)
            if isinstance(exc, Exception):
                raise IngestInterrupted(summary, exc) from exc
            raise
        self._settle(summary)
        return summary

    def _settle(self, summary: Summary) -> None:
        summary.tagged, self._tagged = self._tagged, 0
        for where, reason in self._failed:
            summary.skipped.append((where, reason))
            summary.stored -= 1
        summary.conflicts.extend(self._conflicts)
        self._failed, self._conflicts = [], []


def records_from_json(objs: Iterable[dict[str, Any]], source: str = "api") -> Iterator[Item]:
    """JSON records (SCDL keys or snake_case) → Items; read like an SCDL row (leniently) when a SIRET or DELIB_ID
    is given."""
    for i, obj in enumerate(objs, start=1):
        where = f"{source}[{i}]"
        if not isinstance(obj, dict):
            yield Item(where=where, reason="un objet JSON est attendu")
            continue
        mapped: dict[str, Any] = {}
        for k, v in obj.items():
            if k in JSON_FIELDS and v is not None:
                mapped[JSON_FIELDS[k]] = v
        h = hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        if "siret" in mapped or "delib_id" in mapped:
            scdl = {
                "COLL_NOM": mapped.get("coll_nom", ""), "COLL_SIRET": mapped.get("siret", ""),
                "COLL_SIREN": mapped.get("siren", ""),
                "DELIB_ID": mapped.get("delib_id", ""), "DELIB_DATE": mapped.get("date", ""),
                "DELIB_MATIERE_CODE": mapped.get("matiere_code", ""),
                "DELIB_MATIERE_NOM": mapped.get("matiere_nom", ""),
                "DELIB_OBJET": mapped.get("objet", ""), "texte": mapped.get("texte", ""),
            }
            for k in ("BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL", "VOTE_POUR",
                      "VOTE_CONTRE", "VOTE_ABSTENTION"):
                if obj.get(k) is not None:
                    scdl[k] = obj[k]
            if mapped.get("url"):
                scdl["DELIB_URL"] = mapped["url"]
            rec, errors = validate(scdl)
            if rec is None:
                yield Item(where=where, reason="; ".join(errors))
                continue
        else:
            objet = str(mapped.get("objet") or "").strip()
            if not objet and not str(mapped.get("texte") or "").strip():
                yield Item(where=where, reason="objet ou texte obligatoire")
                continue
            rec = Deliberation(objet=objet, texte=str(mapped.get("texte") or ""), siren=mapped.get("siren"),
                               date=mapped.get("date"), matiere_code=mapped.get("matiere_code"),
                               coll_nom=mapped.get("coll_nom"))
            if rec.date:
                rec.date, rec.findings = read_date(str(rec.date), "date")
            if not rec.objet:
                rec.objet = rec.texte.strip().split("\n", 1)[0][:300]
        rec.source = where
        rec.source_hash = h
        rec.label_id = rec.delib_id or ""
        yield Item(record=rec, where=where)


_INGESTERS: dict[int, Ingester] = {}


def ingester_for(store: ox.Store) -> Ingester:
    """One Ingester per store object (the graph vocabulary is read once; call `forget(store)` after a rebuild)."""
    ing = _INGESTERS.get(id(store))
    if ing is None or ing.store is not store:
        ing = _INGESTERS[id(store)] = Ingester(store)
    return ing


def forget(store: ox.Store) -> None:
    _INGESTERS.pop(id(store), None)


def reload_model() -> None:
    """After a retraining: every cached ingester tags with the model file as it is now."""
    from ingest.training import model_for

    for ing in list(_INGESTERS.values()):
        if ing.tagger is not ing.rules:
            ing.use_model(model_for(ing.model_path))


def ingest_paths(store: ox.Store, paths: Iterable[str | Path], progress: Progress | None = None) -> Summary:
    """For `boussole ingest`: SCDL CSV files, documents, folders. Raises `IngestInterrupted` (with what was
    written) on an unexpected error."""
    return Ingester(store).ingest(iter_inputs(paths), progress)
