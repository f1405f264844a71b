"""The deliberation record every reader produces, and its stable identifier."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

CAPH_SIREN = "200042190"


def normalise_text(text: str) -> str:
    """Unicode NFC, unified apostrophes and quotes, collapsed whitespace: the text an identifier is computed on."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip()


def encode_local_id(raw: str) -> str:
    """An injective IRI segment for a raw local id: ``[A-Za-z0-9._-]`` kept as is (so ``2024-012`` keeps its IRI),
    every other character as ``~`` and the hex of its UTF-8 bytes (``2024/012`` → ``2024~2F012``, ``2024 012`` →
    ``2024~20012``, ``~`` → ``~7E``). ``~`` is unreserved: servers do not decode it, so the IRI survives HTTP."""
    return "".join(c if re.fullmatch(r"[A-Za-z0-9._-]", c) else "".join(f"~{b:02X}" for b in c.encode("utf-8"))
                   for c in raw)


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class Finding:
    """A data-quality finding on an input that was kept (bsl:AnomalieDonnee): what was wrong and what was done."""

    code: str        # stable code, e.g. "date-reformatee" (docs/conventions.md lists them)
    field: str       # the input field (SCDL column name), e.g. "DELIB_DATE"
    raw: str         # the value as read ("" when the field was empty)
    message: str     # a French sentence for staff: the defect and what Boussole did with it


@dataclass
class Deliberation:
    """One deliberation, whatever its origin (SCDL row, document, JSON record)."""

    objet: str
    texte: str = ""
    delib_id: str | None = None          # DELIB_ID / number printed on the document
    siren: str | None = None             # SIREN of the collectivité (first 9 digits of COLL_SIRET)
    coll_nom: str | None = None
    date: str | None = None              # ISO yyyy-mm-dd
    matiere_code: str | None = None      # ACTES code, e.g. "7.5"
    matiere_nom: str | None = None
    budget_annee: int | None = None
    budget_nom: str | None = None
    pref_id: str | None = None
    pref_date: str | None = None
    vote_effectif: int | None = None
    vote_reel: int | None = None
    vote_pour: int | None = None
    vote_contre: int | None = None
    vote_abstention: int | None = None
    url: str | None = None
    source: str = ""                     # where it was read: "file.csv#L12", "dossier/x.pdf", "api"
    source_hash: str = ""                # sha256 (hex16) of the input file or record, for provenance
    label_id: str = ""                   # the id shown to users (`boussole tag`): DELIB_ID or file stem
    findings: list[Finding] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """What the input is: "ligne" (an SCDL CSV row or a JSON record: metadata) or "document" (a file's text)."""
        return source_kind(self.source)

    @property
    def full_text(self) -> str:
        """What the NLP reads: the object, then the body when there is one."""
        objet = normalise_text(self.objet)
        if self.texte and objet and objet in normalise_text(self.texte)[:2000]:
            return self.texte
        return f"{self.objet}\n\n{self.texte}" if self.texte else self.objet

    def content_hash(self) -> str:
        return hashlib.sha256(normalise_text(self.full_text).encode("utf-8")).hexdigest()[:16]

    def iri_path(self) -> str:
        """deliberation/<SIREN>/<DELIB_ID> when both are known, else deliberation/sha256-<hex16 of the text>."""
        if self.siren and self.delib_id and self.delib_id.strip():
            return f"deliberation/{self.siren}/{encode_local_id(self.delib_id.strip())}"
        return f"deliberation/sha256-{self.content_hash()}"

    def display_id(self) -> str:
        return self.label_id or self.delib_id or self.iri_path().rsplit("/", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_kind(source: str) -> str:
    """ "ligne" for an SCDL row (``file.csv#L12``) or an API record (``api[3]``), else "document"."""
    return "ligne" if ("#L" in source or source.startswith("api[") or not source) else "document"


JSON_FIELDS = {
    # JSON record keys accepted by the API (SCDL names or snake_case), mapped to the dataclass fields.
    "DELIB_OBJET": "objet", "objet": "objet", "title": "objet",
    "texte": "texte", "text": "texte",
    "DELIB_ID": "delib_id", "id": "delib_id", "delib_id": "delib_id",
    "COLL_SIRET": "siret", "siret": "siret", "siren": "siren",
    "COLL_NOM": "coll_nom", "coll_nom": "coll_nom",
    "DELIB_DATE": "date", "date": "date",
    "DELIB_MATIERE_CODE": "matiere_code", "matiere_code": "matiere_code",
    "DELIB_MATIERE_NOM": "matiere_nom", "matiere_nom": "matiere_nom",
    "BUDGET_ANNEE": "budget_annee", "BUDGET_NOM": "budget_nom",
    "PREF_ID": "pref_id", "PREF_DATE": "pref_date",
    "VOTE_EFFECTIF": "vote_effectif", "VOTE_REEL": "vote_reel", "VOTE_POUR": "vote_pour",
    "VOTE_CONTRE": "vote_contre", "VOTE_ABSTENTION": "vote_abstention",
    "DELIB_URL": "url", "url": "url",
}
