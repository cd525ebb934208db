"""The workbook's Ledger sheet made by a child process (journal.exporters.ledger_sheet):
the same workbook as written in line, used only when it was read at the ledger version
the rest of the workbook comes from, and the child always reaped."""

from __future__ import annotations

import os
import sys
import zipfile

import pytest

from journal import cache, db, imports
from journal.exporters import ledger_sheet
from journal.views import workbook
from journal.views.filters import ALL

from conftest import SAMPLES

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="the child is forked on Linux only"),
    # The tests fork inside pytest on purpose (the `jobs` fixture sets _alone aside),
    # where other tests' threads may still run: Python 3.12+ warns of that each time.
    pytest.mark.filterwarnings(
        "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"),
]

FILES = [SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml"]


@pytest.fixture
def ledger(backend):
    """The --db target of the samples' ledger, on each backend."""
    engine = db.open_ledger(backend[1])
    for f in FILES:
        imports.import_file(engine, f)
    engine.dispose()
    return backend[1]


@pytest.fixture
def jobs(monkeypatch):
    """Every child started, and what each one's result gave."""
    started: list = []
    real_start, real_result = ledger_sheet.start, ledger_sheet.Job.result

    def start(engine, accounts):
        job = real_start(engine, accounts)
        assert job is not None
        started.append(job)
        return job

    def result(self, version):
        made = real_result(self, version)
        self.made = made
        return made

    # a thread an earlier test left blocked on its socket: nothing the child touches
    monkeypatch.setattr(ledger_sheet, "_alone", lambda: True)
    monkeypatch.setattr(ledger_sheet, "start", start)
    monkeypatch.setattr(ledger_sheet.Job, "result", result)
    return started


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _export(run, ledger, out, *args):
    engine = db.make_engine(str(ledger))
    cache.clear(engine)  # cold: the workbook is made, not read back
    engine.dispose()
    return run("export", "--xlsx", out, *args, db=str(ledger))


def _reaped(job) -> bool:
    try:
        os.waitpid(job.pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_same_workbook_as_written_in_line(run, ledger, tmp_path, jobs, monkeypatch):
    res = _export(run, ledger, tmp_path / "child.xlsx")
    assert res.exit_code == 0, res.output
    assert len(jobs) == 1 and jobs[0].made is not None and jobs[0].made.rows > 0
    assert _reaped(jobs[0]) and jobs[0].out.closed
    monkeypatch.setattr(ledger_sheet, "ENABLED", False)
    monkeypatch.setattr(ledger_sheet, "start", lambda *a: None)
    res2 = _export(run, ledger, tmp_path / "inline.xlsx")
    assert res2.output.replace("inline", "child") == res.output
    assert (tmp_path / "child.xlsx").read_bytes() == (tmp_path / "inline.xlsx").read_bytes()


def test_another_version_is_not_used(run, ledger, tmp_path, jobs, monkeypatch):
    """The rest of the workbook comes from another state of the ledger (an import landed
    in between): the parent reads the rows itself."""
    real = workbook.cached_at

    def moved(*args, **kwargs):
        known, review, result, version = real(*args, **kwargs)
        return known, review, result, version + 1

    monkeypatch.setattr(workbook, "cached_at", moved)
    res = _export(run, ledger, tmp_path / "moved.xlsx")
    assert res.exit_code == 0, res.output
    assert jobs[0].made is None and _reaped(jobs[0])
    monkeypatch.setattr(ledger_sheet, "start", lambda *a: None)
    _export(run, ledger, tmp_path / "inline.xlsx")
    assert _members(tmp_path / "moved.xlsx") == _members(tmp_path / "inline.xlsx")


def test_a_failed_child_is_replaced_by_the_parent(run, ledger, tmp_path, jobs, monkeypatch):
    def broken(*args):
        raise RuntimeError("the child fails")

    monkeypatch.setattr(ledger_sheet, "render", broken)  # the child inherits it
    res = _export(run, ledger, tmp_path / "broken.xlsx")
    assert res.exit_code == 0, res.output
    assert jobs[0].made is None and _reaped(jobs[0])
    monkeypatch.setattr(ledger_sheet, "start", lambda *a: None)
    _export(run, ledger, tmp_path / "inline.xlsx")
    assert _members(tmp_path / "broken.xlsx") == _members(tmp_path / "inline.xlsx")


def test_a_refused_export_reaps_its_child(run, ledger, tmp_path, jobs):
    res = _export(run, ledger, tmp_path / "x.xlsx", "--account", "U0000000")
    assert res.exit_code != 0
    assert not (tmp_path / "x.xlsx").exists()
    assert len(jobs) == 1 and _reaped(jobs[0]) and jobs[0].out.closed


def test_no_child_for_a_database_in_memory():
    engine = db.make_engine("sqlite://")
    assert ledger_sheet.start(engine, ALL) is None


def test_the_child_reads_one_version(ledger, tmp_path):
    """render() names the version its rows were read at, and the rows are those the
    workbook writes."""
    from journal.config import database_url

    with open(tmp_path / "rows.xml", "w+b") as out:
        made = ledger_sheet.render(database_url(ledger), ALL, out)
        out.seek(0)
        text = out.read().decode()
    engine = db.make_engine(str(ledger))
    assert made["version"] == cache.ledger_version(engine)
    engine.dispose()
    assert text.startswith('<row r="2">') and text.count("<row ") == made["rows"]
    assert len(made["widths"]) == 21


def test_no_child_while_another_thread_runs(ledger):
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        engine = db.make_engine(str(ledger))
        assert ledger_sheet.start(engine, ALL) is None
        engine.dispose()
    finally:
        stop.set()
        other.join()


def test_no_child_while_a_thread_outside_threading_runs(ledger):
    """A thread started below the threading module (as a C library starts its own, such
    as numpy's BLAS pool) is one threading.active_count() does not see."""
    import _thread

    release, started = _thread.allocate_lock(), _thread.allocate_lock()
    release.acquire()
    started.acquire()

    def wait():
        started.release()
        release.acquire()

    _thread.start_new_thread(wait, ())
    started.acquire()
    try:
        engine = db.make_engine(str(ledger))
        job = ledger_sheet.start(engine, ALL)
        if job is not None:
            job.cancel()
        engine.dispose()
        assert job is None
    finally:
        release.release()


def test_an_import_between_the_two_reads(run, backend, tmp_path, monkeypatch):
    """The child reads the ledger, then an import commits, then the parent computes the
    review: the child's sheet is of the state before, so the parent writes the sheet from
    the state its other sheets come from (both files' trades)."""
    import select

    engine = db.open_ledger(backend[1])
    imports.import_file(engine, FILES[0])
    real_start = ledger_sheet.start
    started: list = []

    def start_then_import(eng, accounts):
        job = real_start(eng, accounts)
        assert job is not None
        answer = select.poll()
        answer.register(job.meta, select.POLLIN)
        answer.poll(60_000)  # the child's answer: it has read
        imports.import_file(engine, FILES[1])
        started.append(job)
        return job

    real_result = ledger_sheet.Job.result

    def result(self, version):
        self.made = real_result(self, version)
        return self.made

    monkeypatch.setattr(ledger_sheet, "_alone", lambda: True)
    monkeypatch.setattr(ledger_sheet, "start", start_then_import)
    monkeypatch.setattr(ledger_sheet.Job, "result", result)
    res = run("export", "--xlsx", tmp_path / "raced.xlsx", db=backend[1])
    assert res.exit_code == 0, res.output
    assert started[0].made is None and _reaped(started[0])
    monkeypatch.setattr(ledger_sheet, "start", lambda *a: None)
    cache.clear(engine)
    run("export", "--xlsx", tmp_path / "after.xlsx", db=backend[1])
    engine.dispose()
    assert _members(tmp_path / "raced.xlsx") == _members(tmp_path / "after.xlsx")
