"""Configuration of the service: defaults < config file (TOML) < environment < explicit arguments.

Config file: ``BOUSSOLE_CONFIG=path/to/boussole.toml`` (or ``serve(config=...)``), table ``[serve]``::

    [serve]
    write_token = "…"            # or write_token_file = "/run/secrets/boussole-token"
    timeout = 30
    workers = 2
    max_result_bytes = 20000000   # cap for anonymous query results (0 = no cap)
    cors_origins = ["*"]          # [] turns CORS off
    federation_allow_list = []    # e.g. ["https://query.wikidata.org/sparql"]; empty = SERVICE/LOAD refused
    public_url = "https://boussole.example.org"   # when behind a proxy
    contact_email = "donnees@example.org"          # contact point of the DCAT description (/dataset)
    max_import_bytes = 512000000  # largest import upload (413 beyond)
    remote_query = "http://127.0.0.1:7878/query"  # remote SPARQL store instead of the embedded one
    remote_update = "http://127.0.0.1:7878/update"
    remote_store = "http://127.0.0.1:7878/store"
    # limits and timeouts (docs/reliability.md): max_body_bytes, max_write_body_bytes, max_query_bytes,
    # max_query_depth, query_memory_mb, per_client_workers, share_answers_s, answer_max_age_s,
    # answer_revalidate_after_s, answer_stale_if_error_s, answers_memory_mb, max_dumps, header_timeout,
    # keep_alive_timeout, login_attempts_per_minute, import_memory_mb
    review_threshold = 0.5        # bsl:score (a calibrated probability) under which a proposal is reviewed
    reviewers_file = "/var/lib/boussole/relecteurs.sqlite"  # reviewers' names (default: beside the store)

    base_iri = "https://boussole.example.org/id/"  # base of every minted IRI (build, ingest, service)
    model_path = "var/model/boussole-tagger.joblib"  # the tagger model (ingest, tag, train, eval, the service)

Environment: ``BOUSSOLE_CONFIG``, ``BOUSSOLE_WRITE_TOKEN``, ``BOUSSOLE_BASE_IRI``, ``BOUSSOLE_MODEL``. This is the
only module that reads the environment: the entry points (``boussole …``, ``python -m api.server``) build one
``Settings`` with :meth:`Settings.load` and pass it down; :func:`kg.iris.configure` receives its ``base_iri``,
:func:`ingest.configure_model` its ``model_path``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ingest import DEFAULT_MODEL_PATH
from kg.errors import BoussoleError
from kg.iris import DEFAULT_BASE_IRI, REPO_ROOT, normalise_base


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    store_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    timeout: float = 30.0
    workers: int = field(default_factory=_default_workers)
    write_token: str | None = None
    max_result_bytes: int = 20_000_000
    stream_threshold: int = 1_000_000
    cors_origins: tuple[str, ...] = ("*",)
    federation_allow_list: tuple[str, ...] = ()
    public_url: str | None = None
    remote_query: str | None = None
    remote_update: str | None = None
    remote_store: str | None = None
    remote_union_default_graph: bool = True
    queries_dir: Path = REPO_ROOT / "queries"
    ontology_file: Path = REPO_ROOT / "ontology" / "boussole.ttl"
    sources_dir: Path = REPO_ROOT / "kg" / "sources"
    base_iri: str = DEFAULT_BASE_IRI
    model_path: Path = DEFAULT_MODEL_PATH  # the tagger model file (ingest, tag, train, eval, retraining by the service)
    # limits (docs/reliability.md): every one is answered with a clear 4xx
    max_body_bytes: int = 2_000_000  # request body of anonymous requests (413 beyond)
    max_write_body_bytes: int = 200_000_000  # request body with the write token (Graph Store uploads)
    max_query_bytes: int = 1_000_000  # SPARQL query or update text (413 beyond)
    max_query_depth: int = 100  # nesting of braces, parentheses, brackets and '!' (400 beyond)
    query_memory_mb: int = 2048  # address space of a query worker (422 for a query that needs more; 0 = none)
    per_client_workers: int = 0  # workers one client may hold while others are active (0 = workers - 1, >= 1)
    share_answers_s: float = 5.0  # an anonymous query joins the same query's evaluation started this recently (0 = off)
    answer_max_age_s: float = 30.0  # an anonymous answer is served again after a write for this long (0 = no reuse)
    answer_revalidate_after_s: float = 10.0  # a kept answer younger than this is served after a write without
    # starting a revalidation (bounds the cost of heavy queries under a stream of writes; <= answer_max_age_s)
    answer_stale_if_error_s: float = 300.0  # past answer_max_age_s, the kept answer is still served up to this age
    # while no new one can be had (revalidation running or failed: busy, timeout), rather than a wait or an error
    answers_memory_mb: int = 64  # memory of the answers kept for reuse (least recently used dropped first)
    max_dumps: int = 2  # dumps streamed at once (503 beyond)
    header_timeout: float = 10.0  # seconds to receive a request's headers (slow clients are disconnected)
    keep_alive_timeout: int = 5  # whole seconds an idle keep-alive connection is kept (uvicorn takes an int)
    login_attempts_per_minute: int = 10  # wrong tokens per client and minute before 429
    contact_email: str | None = None  # the contact point of the DCAT description (/dataset), if the CAPH gives one
    review_threshold: float = 0.5     # a model proposal whose probability (bsl:score) is below goes to review
    max_import_bytes: int = 512_000_000      # largest upload of the import page / POST /imports (413 beyond)
    import_memory_mb: int = 4096  # address space of an import's analysis process (spaCy, tagger); 0 = none
    reviewers_file: Path | None = None  # reviewers' names (api/pseudonyms.py); default: <store>.relecteurs.sqlite

    @property
    def writable(self) -> bool:
        return bool(self.write_token)

    @property
    def is_remote(self) -> bool:
        return bool(self.remote_query)

    @classmethod
    def load(cls, config: Path | str | None = None, *, need_store: bool = True, **overrides) -> "Settings":
        """Defaults < the TOML file (``config`` or ``BOUSSOLE_CONFIG``) < the environment < ``overrides`` (the
        explicit arguments of the command line; None means not given). ``need_store=False`` for the commands
        that do not serve a store (build, ingest)."""
        values: dict = {}
        path = config or os.environ.get("BOUSSOLE_CONFIG")
        if path:
            path = Path(path)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise BoussoleError(f"{path}: cannot read the configuration: {exc}") from exc
            values.update(data.get("serve", data))
            token_file = values.pop("write_token_file", None)
            if token_file and not values.get("write_token"):
                try:
                    values["write_token"] = Path(token_file).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise BoussoleError(f"{token_file}: cannot read the write token: {exc}") from exc
        if os.environ.get("BOUSSOLE_WRITE_TOKEN"):
            values["write_token"] = os.environ["BOUSSOLE_WRITE_TOKEN"]
        if os.environ.get("BOUSSOLE_BASE_IRI"):
            values["base_iri"] = os.environ["BOUSSOLE_BASE_IRI"]
        if os.environ.get("BOUSSOLE_MODEL"):
            values["model_path"] = os.environ["BOUSSOLE_MODEL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        remote = values.pop("remote", None)
        if remote:
            root = str(remote).rstrip("/")
            values.setdefault("remote_query", root + "/query")
            values.setdefault("remote_update", root + "/update")
            values.setdefault("remote_store", root + "/store")
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise BoussoleError(f"unknown serve setting(s): {', '.join(sorted(unknown))}")
        for name in ("store_path", "queries_dir", "ontology_file", "sources_dir", "model_path", "reviewers_file"):
            if values.get(name) is not None:
                values[name] = Path(values[name])
        for name in ("cors_origins", "federation_allow_list"):
            if name in values and values[name] is not None:
                v = values[name]
                values[name] = tuple([v] if isinstance(v, str) else v)
        if values.get("base_iri") is not None:
            values["base_iri"] = normalise_base(str(values["base_iri"]))
        settings = cls(**values)
        if settings.write_token is not None and len(settings.write_token) < 8:
            raise BoussoleError("the write token must have at least 8 characters")
        if not 0 <= settings.review_threshold <= 1:
            raise BoussoleError(f"review_threshold {settings.review_threshold}: a probability between 0 and 1")
        if need_store and not settings.is_remote and settings.store_path is None:
            raise BoussoleError("no store: give --store PATH (or a remote SPARQL endpoint)")
        return settings

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
