"""Issue #15 (soak): anonymous answers kept and served again (api.answers), with real query workers on a real store
written by its real owner; the counters of evaluations sent to workers tell what was evaluated, not timing.

- at the same data generation, an identical anonymous query is not evaluated again;
- after a write, the kept answer is served with ``Age`` while one revalidation runs behind the other requests,
  then the new answer;
- ``no-cache`` (``max_age=0``) and token holders get their own evaluation;
- the memory budget evicts the least recently used; an answer larger than its share is not kept;
- a failing revalidation leaves the old answer until its max age, then the caller gets the error; with a
  stale-if-error bound, the old answer is served past its max age while no new one can be had (its revalidation
  failed, or the caller's own evaluation found the service busy), up to that bound.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_testlib import TOKEN, InProcessServer, in_pool

from api.answers import Answer, Answers, requested_max_age
from api.query_runner import QueryRequest, QueryResult, WorkerPool
from api.store_owner import StoreOwner
from kg.errors import StoreError

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CAP = 1_000_000
COUNT_UNLESS = "pool_targets:count_unless"
MARKER = "urn:revalidation-fails"


@pytest.fixture()
def owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StoreOwner]:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))  # spawned workers inherit it: they import pool_targets
    store_owner = StoreOwner(tmp_path / "store", writable=True, grace=30)
    store_owner.open()
    insert(store_owner, "<urn:a> <urn:p> 1")
    yield store_owner
    store_owner.close()


def insert(owner: StoreOwner, triple: str) -> None:
    """A write by the store's owner, and the view the next evaluation reads (as the service makes it)."""
    owner.write(lambda store: store.update(f"INSERT DATA {{ {triple} }}"))
    owner.refresh()


def ask(query: str = COUNT, cap: int | None = CAP) -> QueryRequest:
    return QueryRequest(query=query, accept="application/sparql-results+json", base_iri=None, prefixes={},
                        cap_bytes=cap)


def count(result: QueryResult) -> int:
    assert result.status == 200 and result.body is not None
    return int(json.loads(result.body)["results"]["bindings"][0]["n"]["value"])


def run(owner: StoreOwner, scenario, *, max_age: float = 30, memory: int = 1_000_000, share_s: float = 5,
        revalidate_after: float = 0, stale_if_error: float = 0) -> object:
    return in_pool(owner.view, scenario, share_s=share_s, generations=owner,
                   answers=Answers(max_age, memory, revalidate_after=revalidate_after, stale_if_error=stale_if_error))


async def settled(pool: WorkerPool) -> None:
    """Until no evaluation (a background revalidation) is running."""
    for _ in range(300):
        if not pool.evaluating:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("an evaluation never ended")


def test_the_same_query_at_the_same_generation_is_not_evaluated_again(owner: StoreOwner) -> None:
    async def scenario(pool: WorkerPool):
        first = await pool.run(ask(), 5, client="b")
        again = await pool.run(ask(), 5, client="c")
        return first, again, pool.evaluations, pool.answers

    first, again, evaluations, answers = run(owner, scenario)
    assert evaluations == 1 and answers.reused == 1 and answers.reused_stale == 0
    assert again.body == first.body and "Age" not in first.headers and int(again.headers["Age"]) >= 0


def test_after_a_write_the_old_answer_comes_with_its_age_then_the_new_one(owner: StoreOwner) -> None:
    async def scenario(pool: WorkerPool):
        first = await pool.run(ask(), 5, client="b")
        insert(owner, "<urn:b> <urn:p> 2")
        stale = await pool.run(ask(), 5, client="b")
        revalidations = pool.answers.revalidations
        await settled(pool)
        fresh = await pool.run(ask(), 5, client="b")
        return first, stale, revalidations, fresh, pool.evaluations, pool.answers

    first, stale, revalidations, fresh, evaluations, answers = run(owner, scenario)
    assert count(first) == 1 and count(stale) == 1 and "Age" in stale.headers
    assert revalidations == 1 and answers.reused_stale == 1
    assert count(fresh) == 2  # the revalidation's answer, exact at the new generation
    assert evaluations == 2 and answers.revalidations_failed == 0


def test_under_a_stream_of_writes_a_young_answer_starts_no_revalidation(owner: StoreOwner) -> None:
    """Writes keep coming: an answer younger than ``revalidate_after`` is served stale without a new evaluation;
    once it is older, one revalidation starts (the cost of a heavy query is bounded by that interval)."""
    async def scenario(pool: WorkerPool):
        await pool.run(ask(), 5, client="b")
        young = []
        for i in range(3):
            insert(owner, f"<urn:w{i}> <urn:p> {i}")
            young.append(await pool.run(ask(), 5, client="b"))
        quiet = pool.answers.revalidations, pool.evaluations
        await asyncio.sleep(2.2)
        insert(owner, "<urn:late> <urn:p> 9")
        await pool.run(ask(), 5, client="b")
        await settled(pool)
        return young, quiet, pool.answers.revalidations, pool.evaluations

    young, quiet, revalidations, evaluations = run(owner, scenario, revalidate_after=2.0)  # room for a loaded CI
    assert all(count(r) == 1 and "Age" in r.headers for r in young)
    assert quiet == (0, 1)  # three writes, three stale answers, no evaluation
    assert revalidations == 1 and evaluations == 2


def test_no_cache_and_token_holders_get_their_own_evaluation(owner: StoreOwner) -> None:
    async def scenario(pool: WorkerPool):
        await pool.run(ask(), 5, client="b")
        fresh = await pool.run(ask(), 5, client="b", max_age=0)
        after_no_cache = pool.evaluations
        token = await pool.run(ask(cap=None), 5, client="d")
        return fresh, after_no_cache, token, pool.evaluations, pool.answers.reused

    fresh, after_no_cache, token, evaluations, reused = run(owner, scenario)
    assert after_no_cache == 2 and evaluations == 3 and reused == 0
    assert "Age" not in fresh.headers and "Age" not in token.headers


def test_a_revalidation_waits_behind_the_other_requests(owner: StoreOwner) -> None:
    """The worker is busy; a stale answer starts a revalidation, then B asks another query: B goes first."""
    async def scenario(pool: WorkerPool):
        await pool.run(ask(), 5, client="b")
        insert(owner, "<urn:b> <urn:p> 2")
        order: list[str] = []
        busy = asyncio.ensure_future(pool.call("pool_targets:sleep", (0.5,), 5, client="a"))
        await asyncio.sleep(0.1)
        await pool.run(ask(), 5, client="c")  # stale: served at once, its revalidation queued
        revalidation = pool.evaluating[next(iter(pool.evaluating))].task
        revalidation.add_done_callback(lambda _: order.append("revalidation"))
        other = asyncio.ensure_future(pool.run(ask("ASK { ?s ?p ?o }"), 5, client="b"))
        other.add_done_callback(lambda _: order.append("b"))
        await asyncio.gather(busy, other, revalidation)
        return order

    assert run(owner, scenario) == ["b", "revalidation"]


def test_a_caller_past_the_max_age_joins_the_revalidation_and_hastens_it(owner: StoreOwner) -> None:
    """The worker is busy; a stale answer (1.2 s old) starts a revalidation; 2.1 s later the answer is past its 3 s
    max age, the revalidation (2.1 s old) is not but is older than the 0.9 s of sharing: D waits for it, no third
    evaluation. (Seconds wide enough for a loaded CI.)"""
    async def scenario(pool: WorkerPool):
        await pool.run(ask(), 10, client="b")
        insert(owner, "<urn:b> <urn:p> 2")
        busy = asyncio.ensure_future(pool.call("pool_targets:sleep", (5.0,), 10, client="a"))
        await asyncio.sleep(1.2)
        await pool.run(ask(), 10, client="c")
        await asyncio.sleep(2.1)
        fresh = await pool.run(ask(), 10, client="d")
        await busy
        return count(fresh), pool.shared, pool.evaluations

    assert run(owner, scenario, max_age=3.0, share_s=0.9) == (2, 1, 3)


def test_the_memory_budget_evicts_the_least_recently_used(owner: StoreOwner) -> None:
    """Answers of about 400 bytes (body and query) in a budget of 4 000: the oldest go; one over 500 (1/8) is not
    kept."""
    def literal(k: int, size: int = 150) -> str:
        return f'SELECT ?x WHERE {{ VALUES ?x {{ "{k:03d}{"x" * size}" }} }}'

    async def scenario(pool: WorkerPool):
        for k in range(12):
            await pool.run(ask(literal(k)), 5, client="b")
        kept, evicted, used = len(pool.answers), pool.answers.evicted, pool.answers.bytes
        before = pool.evaluations
        await pool.run(ask(literal(11)), 5, client="b")  # the most recent: still kept
        await pool.run(ask(literal(0)), 5, client="b")  # the first: evicted, evaluated again
        again = pool.evaluations - before
        await pool.run(ask(literal(99, 2000)), 5, client="b")
        big_kept = any(len(str(key)) > 2000 for key in pool.answers._kept)
        return kept, evicted, used, again, big_kept

    kept, evicted, used, again, big_kept = run(owner, scenario, memory=4000)
    assert 0 < kept < 12 and evicted == 12 - kept and used <= 4000
    assert again == 1
    assert not big_kept


def test_a_failing_revalidation_keeps_the_old_answer_until_its_max_age(owner: StoreOwner) -> None:
    async def scenario(pool: WorkerPool):
        first, _ = await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        insert(owner, f"<{MARKER}> <urn:p> 3")
        stale, age = await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        await settled(pool)
        failed = pool.answers.revalidations_failed
        still, _ = await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        await settled(pool)
        await asyncio.sleep(1.6)  # past the 1.5 s max age: the caller evaluates, and gets the failure
        with pytest.raises(StoreError):
            await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        return first, stale, age, failed, still, pool.answers

    first, stale, age, failed, still, answers = run(owner, scenario, max_age=1.5)
    assert first == stale == still == 1 and age is not None
    assert failed == 1 and answers.revalidations == 2 and answers.revalidations_failed == 2


def test_past_its_max_age_a_failing_query_still_gets_the_old_answer_up_to_stale_if_error(
        owner: StoreOwner) -> None:
    """The revalidation fails; past the 1 s max age the caller gets the old answer rather than the error (soak:
    revalidations failing behind runaway queries turned into 503 for every caller once the answer was 30 s old), a
    new revalidation is tried, and past the 2.5 s stale-if-error bound the error comes through."""
    async def scenario(pool: WorkerPool):
        await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        insert(owner, f"<{MARKER}> <urn:p> 3")
        await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        await settled(pool)
        await asyncio.sleep(1.1)
        old, age = await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        await settled(pool)
        tried = pool.answers.revalidations, pool.answers.revalidations_failed
        await asyncio.sleep(1.5)
        with pytest.raises(StoreError):
            await pool.reusable_call(COUNT_UNLESS, (MARKER,), 5, "b", "n")
        return old, age, tried, pool.answers

    old, age, tried, answers = run(owner, scenario, max_age=1.0, stale_if_error=2.5)
    assert old == 1 and age is not None and 1.0 < age < 2.5
    assert answers.served_on_error == 1 and tried == (2, 2)


def test_a_caller_who_finds_every_worker_busy_gets_the_old_answer(owner: StoreOwner) -> None:
    """Past the max age with no revalidation started (nobody asked meanwhile), the caller evaluates; the one worker
    is held by another client past the caller's 0.3 s timeout: the old answer instead of the 503, and the next
    caller gets it at once, without waiting again."""
    async def scenario(pool: WorkerPool):
        await pool.run(ask(), 5, client="b")
        insert(owner, "<urn:b> <urn:p> 2")
        await asyncio.sleep(0.4)
        busy = asyncio.ensure_future(pool.call("pool_targets:sleep", (2.0,), 5, client="a"))
        await asyncio.sleep(0.1)
        old = await pool.run(ask(), 0.3, client="c")
        started = time.monotonic()
        again = await pool.run(ask(), 0.3, client="d")
        waited = time.monotonic() - started
        on_error = pool.answers.served_on_error
        await busy
        await pool.run(ask(), 5, client="e")  # the failure is 0.3 s old: a revalidation is tried again
        await settled(pool)
        fresh = await pool.run(ask(), 5, client="e")
        return old, again, waited, on_error, fresh

    old, again, waited, on_error, fresh = run(owner, scenario, max_age=0.3, revalidate_after=0.3, stale_if_error=10)
    assert count(old) == count(again) == 1 and "Age" in old.headers and "Age" in again.headers
    assert on_error == 2 and waited < 0.3  # served at once, not after its own timeout
    assert count(fresh) == 2  # the revalidation's answer


def test_the_least_recently_used_answer_goes_first() -> None:
    answers = Answers(30, 800)
    for key in "abcdefgh":
        assert answers.put(key, Answer(key, 0, 0.0, 100))
    answers.get("a")  # used: b is now the oldest
    answers.put("i", Answer("i", 0, 0.0, 100))
    assert answers.get("b") is None and answers.get("a") is not None and answers.evicted == 1
    assert not answers.put("j", Answer("j", 0, 0.0, 101))  # over 800 / 8
    assert answers.bytes == 800 and len(answers) == 8


def test_what_a_caller_accepts() -> None:
    assert requested_max_age({}) is None
    assert requested_max_age({"cache-control": "no-cache"}) == 0
    assert requested_max_age({"cache-control": "max-age=0"}) == 0
    assert requested_max_age({"cache-control": "max-age=10, no-transform"}) == 10
    assert requested_max_age({"pragma": "no-cache"}) == 0


# ------------------------------------------------------------------------------------------ through HTTP


@pytest.fixture()
def app(tmp_path: Path, fixture_store: Path) -> Iterator[InProcessServer]:
    from api.app import create_app
    from api.settings import Settings

    store = tmp_path / "store"
    shutil.copytree(fixture_store, store)
    server = InProcessServer(create_app(Settings(store_path=store, write_token=TOKEN, timeout=60, workers=1,
                                                   answer_revalidate_after_s=0)))
    yield server
    server.close()


def test_http_callers_see_age_and_health_counts_reuse(app: InProcessServer) -> None:
    client = app.client()
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
    json_ = {"Accept": "application/sparql-results+json"}
    first = client.get("/sparql", params=query, headers=json_)
    again = client.get("/sparql", params=query, headers=json_)
    assert first.status_code == again.status_code == 200 and "age" not in first.headers
    assert again.content == first.content and "age" in again.headers
    assert "age" not in client.get("/sparql", params=query, headers={**json_, "Cache-Control": "no-cache"}).headers
    auth = {**json_, "Authorization": f"Bearer {TOKEN}"}
    assert "age" not in client.get("/sparql", params=query, headers=auth).headers
    r = client.post("/sparql", content=b"INSERT DATA { <urn:new> <urn:p> 1 }",
                    headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"})
    assert r.status_code == 204
    stale = client.get("/sparql", params=query, headers=json_)
    assert stale.content == first.content and "age" in stale.headers  # the old answer, a revalidation started
    mine = client.get("/sparql", params=query, headers=auth)
    assert mine.content != first.content  # the writer reads its write
    health = client.get("/health").json()
    assert health["answers_reused"] == 2 and health["answers_reused_stale"] == 1
    assert health["answer_revalidations"] == 1
    for _ in range(200):  # the revalidation's answer, once it is done
        if (new := client.get("/sparql", params=query, headers=json_)).content == mine.content:
            break
        time.sleep(0.05)
    assert new.content == mine.content and client.get("/health").json()["answer_revalidations"] == 1
    for path in ("/validate", "/barometre"):
        before = client.get("/health").json()["evaluations"]
        one, two = client.get(path), client.get(path)
        assert one.status_code == two.status_code == 200 and one.content == two.content and "age" in two.headers
        assert client.get("/health").json()["evaluations"] - before == 1
        assert "age" not in client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).headers
