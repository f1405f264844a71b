"""The service's directory of reviewers (:mod:`ingest.reviewers`): where it lives, and the one rewrite of a store
written with reviewers' names.

The store holds pseudonyms only, so every anonymous read (SPARQL, Graph Store, dumps, linked data, a remote
store's own endpoint) is safe without rewriting its output; the names are read from the directory by the decision
log for token holders and logged-in staff. The directory is ``reviewers_file`` if set, else
``<store>.relecteurs.sqlite`` beside the embedded store, else (a remote store) ``var/relecteurs.sqlite``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from api.settings import Settings
from ingest.reviewers import Reviewers, directory_of
from kg.iris import REPO_ROOT

log = logging.getLogger("boussole.reviewers")


@lru_cache(maxsize=8)
def _directory(store: Path | None, path: Path | None) -> Reviewers:
    if store is not None:
        return directory_of(store, path)
    return Reviewers(path or REPO_ROOT / "var" / "relecteurs.sqlite")


def reviewers_of(settings: Settings) -> Reviewers:
    """The directory of the store ``settings`` serve (one per process)."""
    store = settings.store_path if settings.store_path and not settings.is_remote else None
    return _directory(store, settings.reviewers_file)


async def pseudonymise_at_start(backend, settings: Settings) -> None:
    """Rewrite, once and in one transaction, the reviewers of a store written before pseudonyms (names moved to
    the directory), reported in the log; nothing to do on a store without names, or one this service cannot write."""
    from api.backends import EmbeddedBackend
    from ingest.review import pseudonymise

    writable = backend.writable if isinstance(backend, EmbeddedBackend) else bool(settings.writable
                                                                                  and settings.remote_update)
    if not writable:
        return
    reviewers = reviewers_of(settings)
    try:
        count = await backend.write(lambda store: pseudonymise(store, reviewers))
    except Exception as exc:  # noqa: BLE001 - a remote store down at start: said, and retried at the next start
        log.error("the reviewers' names could not be moved out of the store: %s", exc)
        return
    if count:
        log.warning("%d reviewer(s) named in the store now under pseudonyms; names moved to %s", count,
                    reviewers.path)
