"""What a cold report holds besides its own tables (issue 11: every cold report within
250 MB on the 46.5k-trade ledger): the SQLite page cache a whole-ledger read fills (up to
16 MB per connection, set for imports) is given back before the rules run, and again
after the executions' deferred fields are read for the checklist grades.

SQLite's own count of the memory it holds (``sqlite3_memory_used``, through ctypes from
the library the ``sqlite3`` module uses) shows the cache; the tests skip where that
library cannot be loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest

import journal.readmodel
from journal import db as jdb
from journal.imports import import_file
from journal.views import source

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"


def _sqlite_memory():
    name = ctypes.util.find_library("sqlite3")
    try:
        lib = ctypes.CDLL(name or "libsqlite3.so.0")
        used = lib.sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    used.restype = ctypes.c_int64
    return used


MEMORY_USED = _sqlite_memory()
pytestmark = pytest.mark.skipif(MEMORY_USED is None, reason="libsqlite3 not loadable")


@pytest.fixture
def engine(tmp_path):
    engine = jdb.open_ledger(str(tmp_path / "ledger.db"))
    import_file(engine, MAIN)
    engine.dispose()  # no connection, so no page cache, before each measure
    yield engine
    engine.dispose()


@pytest.fixture
def seen(monkeypatch) -> list[int]:
    """The page cache size of the connection each whole-ledger read runs on."""
    sizes: list[int] = []
    real_load = journal.readmodel.load_ledger

    def load(e):
        sizes.append(_cache_size(e))
        return real_load(e)

    monkeypatch.setattr(journal.readmodel, "load_ledger", load)
    return sizes


def _filled(engine) -> tuple[int, int]:
    """SQLite's memory before and after a plain whole-ledger read (the cache kept)."""
    engine.dispose()
    before = MEMORY_USED()
    journal.readmodel.load_ledger(engine)
    after = MEMORY_USED()
    engine.dispose()
    return before, after


def test_the_page_cache_is_given_back_before_the_rules_run(engine, monkeypatch):
    before, filled = _filled(engine)
    assert filled - before > 100_000, "the read left too little to tell"
    during: list[int] = []
    real_rules = source.rules_for

    def rules(data, as_of=None):
        during.append(MEMORY_USED())
        return real_rules(data, as_of)

    monkeypatch.setattr(source, "rules_for", rules)
    source.load(engine)
    assert during, "the rules did not run"
    assert during[0] - before < (filled - before) / 2


def test_reading_the_details_gives_their_page_cache_back(engine):
    src = source.load(engine)
    engine.dispose()  # the details are read on a new connection, its cache empty
    src.read_details()
    left = MEMORY_USED()
    with engine.connect() as conn:  # what giving the cache back would still free
        conn.exec_driver_sql("PRAGMA shrink_memory")
    assert left - MEMORY_USED() < 50_000
    assert all(e.trade_price is not None for e in src.data.executions
               if e.asset_category == "OPT")


def test_a_source_made_by_hand_reads_its_details_too(engine):
    data = journal.readmodel.load_ledger(engine)
    src = source.Source(data, source.rules_for(data))
    src.read_details()  # no engine: the read, without giving anything back
    assert src.data.executions[0].trade_price is not None


def _cache_size(engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA cache_size").scalar())


def test_the_read_runs_with_a_small_cache_and_the_size_comes_back(engine, seen):
    from journal.cache import READ_CACHE_KB

    usual = _cache_size(engine)
    assert usual < -READ_CACHE_KB  # journal.db's import-sized cache
    src = source.load(engine)
    assert seen == [-READ_CACHE_KB]
    assert _cache_size(engine) == usual
    src.read_details()
    assert _cache_size(engine) == usual


def test_a_pool_with_another_connection_keeps_its_cache_size(engine, seen):
    """Busy (another connection in use): the size is left alone, never set on one
    connection and restored on another."""
    usual = _cache_size(engine)
    with engine.connect():
        source.load(engine)
    assert seen == [usual]
    assert _cache_size(engine) == usual


@pytest.mark.parametrize("year", [None, 2025])
def test_the_rules_alone_read_with_a_small_cache_too(engine, seen, year):
    """journal lots, realized, flags and tax read the ledger inside the rules' compute."""
    from journal.cache import READ_CACHE_KB
    from journal.rules import analyze

    usual = _cache_size(engine)
    assert analyze(engine, tax_year=year).realized
    assert seen == [-READ_CACHE_KB]
    assert _cache_size(engine) == usual
