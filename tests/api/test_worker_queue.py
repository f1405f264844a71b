"""The query workers' queue under overload (#15 soak): waiting does not make a client « heavy », a request that
cannot finish in the time it has left is answered at once, and short requests do not wait behind long ones.

Real worker processes on a real (empty) store; the work is a function that holds the worker for a known time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pyoxigraph as ox
import pytest
from api_testlib import in_pool

from api.query_runner import QueryRequest, WorkerPool
from kg.errors import Timeout, Unavailable

SLEEP = "pool_targets:sleep"


@pytest.fixture()
def view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "view"
    ox.Store(str(path)).flush()
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # spawned workers inherit it: they import pool_targets
    return str(path)


def run(view: str, scenario, share_s: float = 0.0) -> object:
    return in_pool(view, scenario, share_s=share_s)


def test_waiting_in_the_queue_does_not_make_a_client_heavy(view: str) -> None:
    """B waits 1.5 s behind A, then runs 0.5 s into its 2 s deadline: stopped, but B did not run long."""
    async def scenario(pool: WorkerPool):
        a = asyncio.ensure_future(pool.call(SLEEP, (1.5,), 3, client="a"))
        await asyncio.sleep(0.1)
        with pytest.raises(Timeout):
            await pool.call(SLEEP, (1.0,), 2, client="b")
        await a
        return pool.heavy

    heavy = run(view, scenario)
    assert "b" not in heavy


def test_a_query_ran_into_the_timeout_marks_its_client(view: str) -> None:
    async def scenario(pool: WorkerPool):
        with pytest.raises(Timeout):
            await pool.call(SLEEP, (3.0,), 1, client="c")
        return pool.heavy

    assert "c" in run(view, scenario)


def test_a_request_left_too_little_time_is_answered_at_once(view: str) -> None:
    """B's query took 0.8 s before; it gets the worker with 0.5 s left: 503 at once, the worker is not killed."""
    async def scenario(pool: WorkerPool):
        await pool.call(SLEEP, (0.8,), 5, client="b")
        a = asyncio.ensure_future(pool.call(SLEEP, (1.5,), 5, client="a"))
        await asyncio.sleep(0.1)
        with pytest.raises(Unavailable, match="trop chargé"):
            await pool.call(SLEEP, (0.8,), 2, client="b")
        await a
        return pool.restarts, pool.shed

    restarts, shed = run(view, scenario)
    assert (restarts, shed) == (0, 1)


def test_short_requests_go_before_long_ones(view: str) -> None:
    """Both known: the long one (B) queued first, the short one (C) second; C is served first."""
    async def scenario(pool: WorkerPool):
        await pool.call(SLEEP, (0.6,), 5, client="b")
        await pool.call(SLEEP, (0.01,), 5, client="c")
        done: list[str] = []

        async def ask(client: str, seconds: float) -> None:
            await pool.call(SLEEP, (seconds,), 10, client=client)
            done.append(client)

        a = asyncio.ensure_future(pool.call(SLEEP, (0.8,), 10, client="a"))
        await asyncio.sleep(0.1)
        b = asyncio.ensure_future(ask("b", 0.6))
        await asyncio.sleep(0.05)
        c = asyncio.ensure_future(ask("c", 0.01))
        await asyncio.gather(a, b, c)
        return done

    assert run(view, scenario) == ["c", "b"]


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def ask(cap: int | None) -> QueryRequest:
    return QueryRequest(query=COUNT, accept="application/sparql-results+json", base_iri=None, prefixes={},
                        cap_bytes=cap)


def test_anonymous_requests_for_the_same_query_share_one_evaluation(view: str) -> None:
    """While the worker is busy, B asks a query and C the same one: one evaluation, both answered; a token
    holder's request (no cap: its own, streamed) for the same query is evaluated apart."""
    async def scenario(pool: WorkerPool):
        busy = asyncio.ensure_future(pool.call(SLEEP, (0.5,), 5, client="a"))
        await asyncio.sleep(0.1)
        b = asyncio.ensure_future(pool.run(ask(1_000_000), 5, client="b"))
        c = asyncio.ensure_future(pool.run(ask(1_000_000), 5, client="c"))
        token = asyncio.ensure_future(pool.run(ask(None), 5, client="d"))
        results = await asyncio.gather(b, c, token)
        await busy
        return pool.shared, [(r.status, r.body) for r in results]

    shared, answers = run(view, scenario, share_s=5)
    assert shared == 1
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 200


def test_an_evaluation_nobody_waits_for_any_more_is_stopped(view: str) -> None:
    async def scenario(pool: WorkerPool):
        busy = asyncio.ensure_future(pool.call(SLEEP, (0.5,), 5, client="a"))
        await asyncio.sleep(0.1)
        b = asyncio.ensure_future(pool.run(ask(1_000_000), 5, client="b"))
        c = asyncio.ensure_future(pool.run(ask(1_000_000), 5, client="c"))
        await asyncio.sleep(0.1)
        b.cancel()
        await asyncio.sleep(0.05)
        left = len(pool.evaluating)  # C still waits for it
        c.cancel()
        await asyncio.sleep(0.05)
        await busy
        return left, len(pool.evaluating)

    assert run(view, scenario, share_s=5) == (1, 0)
