"""Recent answers kept for anonymous callers, by query key, within a memory budget (HTTP caching semantics).

An answer is labelled with the store's *data generation* (the number of writes in the view it was computed on,
see :class:`api.store_owner.StoreOwner`) and the time its evaluation started. :class:`api.query_runner.WorkerPool`
decides what to serve from it:

- while the store is still at that generation, the answer is exact: it is served again, with no evaluation;
- once the store has changed, it may still be served for ``max_age`` seconds after its evaluation started, with an
  ``Age`` header (RFC 9111 § 5.1), while one revalidation per key runs in the background (stale-while-revalidate,
  RFC 5861) once the answer is ``revalidate_after`` seconds old;
- past ``max_age``, while the store cannot give a new answer (a revalidation still running, or the last evaluation
  of the query failed: workers busy, timeout, a worker lost), the old answer is served up to ``stale_if_error``
  seconds old rather than an error or a wait (stale-if-error, RFC 5861 § 4); the revalidation then no longer waits
  behind other requests, and a failed one is tried again ``revalidate_after`` seconds later;
- a caller's ``Cache-Control: no-cache`` or ``max-age=0`` (:func:`requested_max_age`) forces its own evaluation.

Memory: the answers' bytes (their bodies and query texts) are capped; the least recently used go first, and an
answer larger than a ``LARGEST_SHARE`` of the cap is never kept.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

LARGEST_SHARE = 8  # an answer over 1/8 of the memory budget is not kept (it would evict most of the others)


@dataclass(frozen=True)
class Answer:
    value: Any
    generation: int  # the store's data generation in the view the evaluation read
    started: float  # monotonic time the evaluation was sent to a worker: the answer is at least this recent
    size: int  # bytes counted against the budget


class Answers:
    """The kept answers (LRU, total bytes capped) and the counters ``/health`` reports."""

    def __init__(self, max_age: float, memory_bytes: int, revalidate_after: float = 0.0,
                 stale_if_error: float = 0.0):
        self.max_age = max_age
        self.stale_if_error = max(stale_if_error, max_age)
        # a stale answer younger than this starts no revalidation: under a stream of writes a heavy query is
        # evaluated again at most once in this time, not as soon as each revalidation ends
        self.revalidate_after = min(revalidate_after, max_age)
        self.capacity = memory_bytes
        self.largest = memory_bytes // LARGEST_SHARE
        self._kept: OrderedDict[Hashable, Answer] = OrderedDict()
        self._failed: dict[Hashable, float] = {}  # key of a kept answer -> when its last evaluation failed
        self.bytes = 0
        self.reused = 0  # answers served again without an evaluation (exact or stale)
        self.reused_stale = 0  # of which the store had changed since (served with a revalidation)
        self.revalidations = 0
        self.revalidations_failed = 0
        self.served_on_error = 0  # of the stale ones, served past max_age because no new answer could be had
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: Hashable) -> Answer | None:
        answer = self._kept.get(key)
        if answer is not None:
            self._kept.move_to_end(key)
        return answer

    def put(self, key: Hashable, answer: Answer) -> bool:
        """Keep ``answer`` (replacing the key's older one); False when it is too big to be kept."""
        self.drop(key)
        if answer.size > self.largest:
            return False
        self._kept[key] = answer
        self.bytes += answer.size
        while self.bytes > self.capacity:
            oldest, answer = self._kept.popitem(last=False)
            self.bytes -= answer.size
            self._failed.pop(oldest, None)
            self.evicted += 1
        return True

    def drop(self, key: Hashable) -> None:
        answer = self._kept.pop(key, None)
        self._failed.pop(key, None)
        if answer is not None:
            self.bytes -= answer.size

    def failed(self, key: Hashable, now: float) -> None:
        """The evaluation of ``key`` failed: its kept answer (if any) may be served past ``max_age``."""
        if key in self._kept:
            self._failed[key] = now

    def succeeded(self, key: Hashable) -> None:
        self._failed.pop(key, None)

    def failing(self, key: Hashable) -> bool:
        return key in self._failed

    def retry_due(self, key: Hashable, now: float) -> bool:
        """Whether a new evaluation of ``key`` may start: not within ``revalidate_after`` of a failed one (a query
        that fails under load is not tried back to back)."""
        failed = self._failed.get(key)
        return failed is None or now - failed >= self.revalidate_after


_MAX_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)")


def requested_max_age(headers: Mapping[str, str]) -> float | None:
    """The age a caller accepts, from its request's ``Cache-Control`` (``no-cache`` and ``max-age=0``: none, it
    wants its own evaluation; ``max-age=N``: N seconds) or HTTP/1.0 ``Pragma: no-cache``; None when it says nothing."""
    control = headers.get("cache-control")
    if control is None:
        return 0.0 if "no-cache" in headers.get("pragma", "").lower() else None
    control = control.lower()
    if "no-cache" in control:
        return 0.0
    m = _MAX_AGE.search(control)
    return float(m.group(1)) if m else None
