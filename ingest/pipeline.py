"""Batch ingest: read → spaCy (nlp.pipe, batched) → link → tag → RDF → one transactional write per deliberation.

Idempotent: IRIs are stable; a deliberation whose quads are already in the store is left untouched; model tags are
written once per (deliberation, model version) and keep their first generatedAtTime; human decisions (review) are
never modified by an ingest.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyoxigraph as ox

from ingest import RULES_VERSION, TAGGER_NAME
from ingest.linking import GraphVocabulary, build_vocabulary
from ingest.nlp import annotate
from ingest.readers import Item, iter_inputs
from ingest.readers.scdl_csv import validate
from ingest.records import JSON_FIELDS, Deliberation
from ingest.model import LearnedTagger, TaggerModel
from ingest.tagger import Analysis, TagResult, Tagger
from ingest.to_rdf import agent_path, deliberation_quads, input_entity, model_annotations
from kg.iris import BSL, DCTERMS as DCTERMS_, ELI as ELI_, OA, PROV, RDFS as RDFS_, REPO_ROOT, SKOS as SKOS_, base_iri, graph, minted

BATCH = 64
MAX_IRIS = 10_000
SYNC_EVERY = 2_048
Progress = Callable[[int, str], None]   # (records done so far, where) → None


@dataclass
class Summary:
    read: int = 0
    stored: int = 0          # new deliberations written
    updated: int = 0         # deliberations whose content changed (re-written; human tags kept)
    unchanged: int = 0       # already in the store with the same content
    tagged: int = 0          # deliberations that received model tags from this model version
    skipped: list[tuple[str, str]] = field(default_factory=list)   # (where, reason)
    iris: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "stored": self.stored, "updated": self.updated, "unchanged": self.unchanged,
                "tagged": self.tagged, "skipped": [{"where": w, "reason": r} for w, r in self.skipped],
                "deliberations": self.iris}


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
        self._pending: list[tuple[str, list[ox.Quad]]] = []
        self._failed: list[tuple[str, str]] = []
        self._tagged = 0
        self._since_sync = 0

    # --- analysis (no write) ----------------------------------------------------------------------------------
    def analyse(self, records: Iterable[Deliberation], rules_only: bool = False) -> Iterator[tuple[Deliberation, list, Any]]:
        """(record, mentions, TagResult) per record: the learned model's proposal, or the rules' (rules_only)."""
        for batch in self.evidence(records):
            if rules_only or not isinstance(self.tagger, LearnedTagger):
                yield from ((rec, ments, rules) for rec, ments, _, rules in batch)
            else:
                results = self.tagger.tag_analysed([(a, rules) for _, _, a, rules in batch])
                yield from ((rec, ments, r) for (rec, ments, _, _), r in zip(batch, results))

    def evidence(self, records: Iterable[Deliberation]) -> Iterator[list[tuple[Deliberation, list, Analysis, TagResult]]]:
        """Batches of (record, mentions, the rules' analysis, the rules' proposal): what the model reads."""
        buf: list[Deliberation] = []
        for rec in records:
            buf.append(rec)
            if len(buf) >= BATCH:
                yield self._evidence_batch(buf)
                buf = []
        if buf:
            yield self._evidence_batch(buf)

    def _evidence_batch(self, recs: list[Deliberation]):
        texts = [r.full_text for r in recs]
        out = []
        for rec, ments in zip(recs, annotate(texts, self.gv, batch_size=BATCH)):
            a = self.rules.analyse(rec.objet, rec.texte, rec.matiere_code, ments)
            out.append((rec, ments, a, self.rules.decide(a)))
        return out

    # --- writing ----------------------------------------------------------------------------------------------
    def _existing(self, d: ox.NamedNode) -> set[ox.Quad]:
        g = graph("deliberations")
        out = set(self.store.quads_for_pattern(d, None, None, g))
        for q in list(out):
            if q.predicate.value == BSL + "mention":
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

    def _stored_record(self, d: ox.NamedNode, old: set[ox.Quad]) -> Deliberation | None:
        """The deliberation as stored (to merge a second input of the same deliberation: SCDL row + its PDF)."""
        if not old:
            return None
        by: dict[str, list] = {}
        for q in old:
            if q.subject == d:
                by.setdefault(q.predicate.value, []).append(q.object)
        one = lambda p: (by.get(p) or [None])[0]  # noqa: E731
        val = lambda p: one(p).value if one(p) is not None else None  # noqa: E731
        num = lambda p: int(val(p)) if val(p) is not None else None  # noqa: E731
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
            title = next((q.object.value for q in old if q.subject == src and q.predicate.value == DCTERMS_ + "title"), "")
            inputs.append((src.value, title))
        rec.extra["inputs"] = inputs
        return rec

    @staticmethod
    def _merge(new: Deliberation, old: Deliberation) -> Deliberation:
        """Same deliberation from another input: SCDL metadata wins over a document's header, a document's text
        over none; both inputs are kept in prov:wasDerivedFrom. The result does not depend on the order."""
        new_scdl = "#L" in new.source
        old_scdl = any("#L" in iri for iri, _ in old.extra.get("inputs", []))
        meta = ["objet", "delib_id", "siren", "coll_nom", "date", "matiere_code", "matiere_nom", "budget_annee",
                "budget_nom", "pref_id", "pref_date", "vote_effectif", "vote_reel", "vote_pour", "vote_contre",
                "vote_abstention", "url"]
        first, second = (new, old) if (new_scdl or not old_scdl) else (old, new)
        merged = Deliberation(objet="")
        for f in meta:
            v = getattr(first, f)
            setattr(merged, f, v if v not in (None, "") else getattr(second, f))
        merged.texte = new.texte or old.texte
        merged.source, merged.source_hash, merged.label_id = new.source, new.source_hash, new.label_id
        merged.extra["inputs"] = [(i, t) for i, t in old.extra.get("inputs", [])]
        return merged

    def flush(self) -> list[tuple[str, str]]:
        """Write the pending new deliberations: one transaction for the group (each deliberation is complete in
        it); if the group fails, each deliberation is retried alone so that only a bad one is lost."""
        pending, self._pending = self._pending, []
        if not pending:
            return []
        try:
            self.store.extend([q for _, qs in pending for q in qs])
            return []
        except Exception:
            failed = []
            for iri, qs in pending:
                try:
                    self.store.extend(qs)
                except Exception as exc:  # noqa: BLE001
                    failed.append((iri, f"écriture impossible : {exc}"))
            return failed

    def write(self, rec: Deliberation, ments, result, when: str | None = None) -> str:
        """Write one deliberation and its model tags; returns stored | updated | unchanged.

        A new deliberation is queued and written with the next group (flush); anything that reads or updates an
        existing deliberation flushes the queue first."""
        d = minted(rec.iri_path())
        if any(iri == d.value for iri, _ in self._pending):
            self._failed.extend(self.flush())
        old = self._existing(d)
        stored = self._stored_record(d, old)
        if stored is not None and any(iri != input_entity(rec).value for iri, _ in stored.extra["inputs"]):
            merged = self._merge(rec, stored)
            if merged.full_text != rec.full_text or merged.matiere_code != rec.matiere_code:
                [(_, ments, result)] = list(self.analyse([merged]))
            rec = merged
        new_all = deliberation_quads(rec, ments, self.gv)
        mention_prefix = d.value + "/mention/"
        new = {q for q in new_all if q.subject == d or q.subject.value.startswith(mention_prefix)}
        context = [q for q in new_all if q not in new]   # matière, input entity, collectivité: shared, idempotent
        status = "unchanged" if old == new else ("updated" if old else "stored")
        existing_tags = self._model_annotations(d)
        me = minted(self.agent).value
        write_tags = me not in existing_tags or status == "updated"
        if status == "unchanged" and not write_tags:
            return status
        if status != "stored" or existing_tags:
            self._failed.extend(self.flush())
        ann_graph = graph("annotations")
        if write_tags:
            self._tagged += 1
        tag_quads = model_annotations(rec, result, agent=self.agent, agent_label=self.agent_label,
                                      when=when or now_iso()) if write_tags else []
        if status == "stored" and not existing_tags:
            self._pending.append((d.value, list(new) + context + tag_quads))
            if len(self._pending) >= BATCH:
                self.flush()
                self._since_sync += BATCH
                if self._since_sync >= SYNC_EVERY:
                    # persist RocksDB's write buffers: keeps the memory of long ingests flat
                    self.store.flush()
                    self._since_sync = 0
            return status
        # replace in one SPARQL update: old deliberation quads, this model version's old proposals, supersede older versions
        parts = []
        dels = [q for q in old if q not in new] if status == "updated" else []
        if dels:
            parts.append("DELETE DATA { " + " ".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in dels) + " }")
        if write_tags:
            for agent_iri, anns in existing_tags.items():
                for a in anns:
                    if agent_iri == me:
                        parts.append(f"DELETE WHERE {{ GRAPH {ann_graph} {{ {a} ?p ?o }} }}")
                    else:   # an older model version: its proposals are superseded
                        parts.append(f"DELETE DATA {{ GRAPH {ann_graph} {{ {a} <{BSL}statutRevue> \"propose\" }} }} ; "
                                     f"INSERT DATA {{ GRAPH {ann_graph} {{ {a} <{BSL}statutRevue> \"remplace\" }} }}")
        ins = [q for q in new if q not in old] + context + tag_quads
        if ins:
            parts.append("INSERT DATA { " + " ".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}" for q in ins) + " }")
        if parts:
            self.store.update(" ;\n".join(parts))
        return status

    def ingest(self, items: Iterable[Item | Deliberation], progress: Progress | None = None,
               when: str | None = None) -> Summary:
        summary = Summary()

        def records() -> Iterator[Deliberation]:
            for it in items:
                if isinstance(it, Deliberation):
                    summary.read += 1
                    yield it
                    continue
                if it.ok:
                    summary.read += 1
                    yield it.record
                else:
                    summary.skipped.append((it.where, it.reason))
                    if progress:
                        progress(summary.read + len(summary.skipped), it.where)

        for rec, ments, result in self.analyse(records()):
            try:
                status = self.write(rec, ments, result, when=when)
            except Exception as exc:   # a store error on one record must not lose the others
                summary.skipped.append((rec.source or rec.display_id(), f"écriture impossible : {exc}"))
                continue
            if status == "stored":
                summary.stored += 1
            elif status == "updated":
                summary.updated += 1
            else:
                summary.unchanged += 1
            if len(summary.iris) < MAX_IRIS:   # bounded: a 100 000-row ingest keeps flat memory
                summary.iris.append(minted(rec.iri_path()).value)
            if progress:
                progress(summary.read + len(summary.skipped), rec.source or rec.display_id())
        self._failed.extend(self.flush())
        summary.tagged, self._tagged = self._tagged, 0
        for iri, reason in self._failed:
            summary.skipped.append((iri, reason))
            summary.stored -= 1
        self._failed = []
        return summary


def records_from_json(objs: Iterable[dict[str, Any]], source: str = "api") -> Iterator[Item]:
    """JSON records (SCDL keys or snake_case) → Items; SCDL rules apply when a SIRET is given."""
    import hashlib

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
                "DELIB_ID": mapped.get("delib_id", ""), "DELIB_DATE": mapped.get("date", ""),
                "DELIB_MATIERE_CODE": mapped.get("matiere_code", ""), "DELIB_MATIERE_NOM": mapped.get("matiere_nom", ""),
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
                try:
                    dt.date.fromisoformat(str(rec.date))
                except ValueError:
                    yield Item(where=where, reason=f"date « {rec.date} » invalide (AAAA-MM-JJ)")
                    continue
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


def ingest_records(store: ox.Store, records: Iterable[dict[str, Any] | Deliberation], progress: Progress | None = None) -> Summary:
    """For the API (`POST /deliberations`): JSON records (dicts) or Deliberation objects. Not thread-safe: serialise
    calls (one writer at a time)."""
    items: list[Item | Deliberation] = []
    dicts = [r for r in records]
    json_objs = [r for r in dicts if not isinstance(r, Deliberation)]
    items.extend(r for r in dicts if isinstance(r, Deliberation))
    items.extend(records_from_json(json_objs))
    return ingester_for(store).ingest(items, progress)


def ingest_paths(store: ox.Store, paths: Iterable[str | Path], progress: Progress | None = None) -> Summary:
    """For `boussole ingest`: SCDL CSV files, documents, folders."""
    return Ingester(store).ingest(iter_inputs(paths), progress)
