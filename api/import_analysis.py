"""The analysis of texts (spaCy, linking, tagging) in a process of its own, at a lower CPU priority.

It used to run inside the service process, on the writer's thread: during a year's import the queries' p99 went
5.8–31.8 × the idle one (docs/import.md). Now an import job starts one :class:`AnalysisProcess`
(:func:`analysis_for`), and ``POST /deliberations`` keeps one between requests (:class:`WarmAnalysis`) (``nice`` +10,
its address space capped at ``import_memory_mb``) which reads the graph vocabulary from the current view of the
store, loads the pipeline and the tagger model once, and returns, for each group of records it is sent, the
mentions and the proposal of each record (or why it could not be analysed). The store's owner still does every
write: the job hands the analyses to :meth:`ingest.pipeline.Ingester.ingest` on the single writer.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pyoxigraph as ox

from kg.errors import BoussoleError, ResourceLimit

NICE = 10
START_S = 300.0  # loading spaCy and the tagger model on a loaded machine
GROUP_S = 900.0  # one group of records (64 one-page texts take seconds)
GROUP = 64  # records sent to the process at once

Analysed = Callable[..., Iterator[tuple[Any, list, Any]]]


def _main(conn, view: str, base_iri: str, memory_mb: int) -> None:
    """The analysis process: build the analyser once, then answer each group it is sent until told to stop."""
    from api.query_runner import _die_with_parent, _limit_memory

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    os.nice(NICE)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core: the queries keep the others
    _limit_memory(memory_mb)
    try:
        from ingest.pipeline import Ingester
        from kg import iris
        from kg.store import read_only_view

        iris.configure(base_iri)
        analyser = Ingester(read_only_view(view))
        analyser.store = ox.Store()  # the vocabulary is read: the view is closed (it may be deleted)
    except MemoryError:
        conn.send(("memory",))
        return
    except Exception as exc:  # noqa: BLE001 - reported to the job
        conn.send(("error", f"{type(exc).__name__} : {exc}"))
        return
    conn.send(("ready",))
    while True:
        try:
            records = conn.recv()
        except (EOFError, OSError):
            return
        if records is None:
            return
        try:
            conn.send(("done", *_analyse(analyser, records)))
        except MemoryError:
            conn.send(("memory",))
            return


def _analyse(analyser, records: list) -> tuple[dict[int, tuple[list, Any]], dict[int, str]]:
    """record index → (mentions, proposal), and record index → why it could not be analysed."""
    index = {id(rec): k for k, rec in enumerate(records)}
    errors: dict[int, str] = {}

    def failed(rec, reason: str) -> None:
        errors[index[id(rec)]] = reason

    done = {index[id(rec)]: (ments, result) for rec, ments, result in analyser.analyse(records, on_error=failed)}
    return done, errors


class AnalysisProcess:
    """One import job's analysis process (blocking calls: run them in a thread)."""

    def __init__(self, view: str, base_iri: str, memory_mb: int):
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe(duplex=True)
        self.memory_mb = memory_mb
        self.process = ctx.Process(target=_main, args=(child, view, base_iri, memory_mb), daemon=True)
        self.process.start()
        child.close()
        self._receive(START_S)

    def _receive(self, timeout: float) -> tuple:
        try:
            if not self.conn.poll(timeout):
                raise BoussoleError(f"l'analyse des textes n'a pas répondu en {timeout:g} s")
            msg = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            if self.memory_mb:  # numpy's OpenBLAS, for one, exits with 1 when it cannot allocate
                raise ResourceLimit(f"l'analyse des textes s'est arrêtée (code {code}) : elle a sans doute manqué "
                                    f"de mémoire ({self.memory_mb} Mio permis, réglage import_memory_mb)") from None
            raise BoussoleError(f"le processus d'analyse des textes s'est arrêté (code {code})") from None
        if msg[0] == "memory":
            raise ResourceLimit(f"l'analyse des textes demandait plus que les {self.memory_mb} Mio permis (réglage "
                                "import_memory_mb) ; découpez l'import")
        if msg[0] == "error":
            raise BoussoleError(f"l'analyse des textes ne peut pas démarrer : {msg[1]}")
        return msg

    def analyse(self, records: list) -> Analysed:
        """The analyses of ``records`` (sent in groups of :data:`GROUP`, each with its own deadline), as the
        ``analysed`` argument of :meth:`Ingester.ingest` for these records."""
        done: dict[int, tuple[list, Any]] = {}
        errors: dict[int, str] = {}
        for start in range(0, len(records), GROUP):
            self.conn.send(records[start:start + GROUP])
            _, part, failed = self._receive(GROUP_S)
            done.update((start + k, v) for k, v in part.items())
            errors.update((start + k, v) for k, v in failed.items())
        return replay(done, errors)

    def close(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(5)
        except OSError:
            pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


@asynccontextmanager
async def analysis_for(backend) -> AsyncIterator[AnalysisProcess]:
    """An analysis process reading the vocabulary of ``backend``'s current view, under its ``import_memory_mb``;
    stopped on leaving. Its blocking calls are for a thread (``asyncio.to_thread(analysis.analyse, records)``)."""
    settings = backend.settings
    analysis = await asyncio.to_thread(AnalysisProcess, backend.owner.view(), settings.base_iri,
                                       settings.import_memory_mb)
    try:
        yield analysis
    finally:
        await asyncio.to_thread(analysis.close)


class WarmAnalysis:
    """The analysis process of ``POST /deliberations``, kept between requests: starting one (spaCy and the tagger
    model) took 13 s per one-record request on the loaded 2-core machine. Started again when the service's
    ingester changes (a rebuilt référentiel, a retrained model: what the analyses depend on) or after a failure
    (memory). One request analyses at a time."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._process: AnalysisProcess | None = None
        self._for: tuple = ()

    async def analyse(self, backend, records: list) -> Analysed:
        """The analyses of ``records`` (the ``analysed`` argument of :meth:`Ingester.ingest`)."""
        from ingest.pipeline import ingester_for

        ingester = await asyncio.to_thread(ingester_for, backend.current_store())
        settings = backend.settings
        async with self._lock:
            if self._process is not None and (self._for != (ingester, ingester.tagger)
                                              or not self._process.process.is_alive()):
                await self._stop()
            if self._process is None:
                self._process = await asyncio.to_thread(AnalysisProcess, backend.owner.view(), settings.base_iri,
                                                        settings.import_memory_mb)
                self._for = (ingester, ingester.tagger)
            try:
                return await asyncio.to_thread(self._process.analyse, records)
            except BaseException:
                await asyncio.shield(self._stop())   # a process that failed is not reused
                raise

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            await asyncio.to_thread(process.close)


def replay(done: dict[int, tuple[list, Any]], errors: dict[int, str]) -> Analysed:
    """What :meth:`Ingester.analyse` would have yielded for the same records, from analyses made elsewhere."""

    def analysed(records: Iterable, on_error: Callable[[Any, str], None]) -> Iterator[tuple[Any, list, Any]]:
        for k, rec in enumerate(records):
            if k in errors:
                on_error(rec, errors[k])
            elif k in done:
                ments, result = done[k]
                yield rec, ments, result

    return analysed
