"""The `boussole` command as a user runs it: real process, real store, one-line errors."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOUSSOLE = [sys.executable, "-c", "from boussole.cli import app; app()"]


def boussole(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*BOUSSOLE, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_query_a_documented_file_binds_its_default_parameters(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "--format", "csv", "queries/engagement-champs-projets.rq")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["engagement"].rsplit("/", 1)[-1] for r in rows} == {"2"}
    assert sum(r["type"] == "champ d'intervention" for r in rows) == 7
    assert all(r["sources"] for r in rows)  # every row says where the document writes it


def test_query_with_a_parameter_and_a_bad_one(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "-f", "csv", "-p", "engagement=engagement/3",
                    "queries/engagement-champs-projets.rq")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert {r["engagement"].rsplit("/", 1)[-1] for r in rows} == {"3"}
    bad = boussole("query", "--store", str(store_path), "-p", "engagement=../x", "queries/engagement-champs-projets.rq")
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error: question engagement-champs-projets: parameter engagement")
    assert "Traceback" not in bad.stderr


def test_invalid_sparql_is_one_line_naming_the_query(store_path: Path) -> None:
    done = boussole("query", "--store", str(store_path), "SELECT ?x WHERE { ?x a }")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "query: SPARQL invalide, ligne 1, colonne" in done.stderr


def test_missing_store_tells_to_build(tmp_path: Path) -> None:
    done = boussole("query", "--store", str(tmp_path / "none"), "ASK {}")
    assert done.returncode == 1 and "run `boussole build" in done.stderr


def _keep_full(path: Path, stop: threading.Event) -> None:
    """Fill the file system of ``path`` and keep it full until ``stop``: big chunks first, then pages."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        chunk = b"\0" * 1_000_000
        while not stop.is_set():
            try:
                os.write(fd, chunk)
            except OSError:
                if len(chunk) > 4096:
                    chunk = chunk[:4096]
                else:
                    stop.wait(0.002)
    finally:
        os.close(fd)


def test_ingest_on_a_full_disk_ends_with_a_french_message_not_a_traceback(store_path: Path, tmp_path: Path) -> None:
    """#15.7: the disk fills up during `boussole ingest`: a French message, what to do, exit code 2."""
    import shutil

    import pytest

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        shutil.copytree(store_path, disk / "store")
        texts = tmp_path / "textes"
        texts.mkdir()
        for source in sorted((REPO / "tests" / "data" / "deliberations" / "textes").glob("*.txt"))[:4]:
            shutil.copy(source, texts)
        start = time.time()
        proc = subprocess.Popen([*BOUSSOLE, "ingest", "--store", str(disk / "store"), str(texts)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while time.time() - start < 60 and proc.poll() is None:  # the store is open (RocksDB wrote its OPTIONS)
            if any(f.stat().st_mtime > start for f in (disk / "store").iterdir() if f.name.startswith("OPTIONS")):
                break
            time.sleep(0.05)
        # then the disk fills up, before the first record is written, and stays full: RocksDB deletes the obsolete
        # files of the copied store in the background after opening it, and the freed room is taken again at once
        stop = threading.Event()
        filler = threading.Thread(target=_keep_full, args=(disk / "filler", stop), daemon=True)
        filler.start()
        try:
            out, errors = proc.communicate(timeout=300)
        finally:
            stop.set()
            filler.join()
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, errors)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())  # rich wraps long lines
    assert "le disque est plein" in said and "relancez la même commande" in said


def test_a_service_started_while_an_ingest_writes_is_refused_in_french(store_path: Path, tmp_path: Path) -> None:
    """#15: `boussole ingest` holds the store's lock while it runs: a (read-only) service started meanwhile is refused
    with a French message instead of reading files the ingest is writing; once the ingest ends, it starts."""
    import shutil

    from kg.store import lock_is_free

    store = tmp_path / "store"
    shutil.copytree(store_path, store)
    texts = REPO / "tests" / "data" / "deliberations" / "heldout-textes"
    start = time.time()
    ingest = subprocess.Popen([*BOUSSOLE, "ingest", "--store", str(store), str(texts)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while lock_is_free(store, exclusive=False) and ingest.poll() is None and time.time() - start < 120:
            time.sleep(0.05)
        assert ingest.poll() is None, ingest.communicate()[1][-2000:]  # the ingest holds the lock while it runs
        serve = subprocess.run([sys.executable, "-m", "api.server", "--store", str(store), "--port", "1"], cwd=REPO,
                               capture_output=True, text=True, timeout=120)
        still_running = ingest.poll() is None
        out, errors = ingest.communicate(timeout=600)
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert still_running  # the service was refused while the ingest ran, not after
    assert serve.returncode == 1, serve.stderr[-2000:]
    said = " ".join(serve.stderr.split())
    assert "une commande boussole (ingest ou build) est en train d'écrire ce magasin" in said
    assert "Traceback" not in serve.stderr
    assert ingest.returncode == 0, errors[-2000:]
    assert lock_is_free(store, exclusive=True)  # released when the command ended
