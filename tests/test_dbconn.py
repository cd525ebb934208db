"""The direct connections of the read path (journal.dbconn): set up and transacted as the
SQLAlchemy engine's are, on both backends."""

from __future__ import annotations

import sqlite3
import time

import pytest

from journal import db as jdb
from journal import dbconn
from journal.cache import store


@pytest.fixture
def reader(backend):
    """(a Ledger opened by open_reader, an engine on the same ledger)."""
    name, target = backend
    engine = jdb.open_ledger(target)
    ledger = jdb.open_reader(target)
    assert isinstance(ledger, dbconn.Ledger) and ledger.backend == name
    yield ledger, engine
    ledger.dispose()
    engine.dispose()


def _bump(engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ledger_state SET version = version + 1 WHERE id = 1")


def test_a_snapshot_sees_one_state_of_the_ledger(reader):
    ledger, engine = reader
    with dbconn.snapshot(ledger) as conn:
        before = store.read_version(conn)
        _bump(engine)  # another writer commits meanwhile
        assert store.read_version(conn) == before
    with dbconn.snapshot(ledger) as conn:
        assert store.read_version(conn) == before + 1


def test_a_cache_write_is_stored_once_and_read_back(reader):
    ledger, engine = reader
    with dbconn.snapshot(ledger) as conn:
        version = store.read_version(conn)
    assert store.save(ledger, "t", "k", version, {"a": b"\x00\x01", "b": b"x"})
    assert not store.save(ledger, "t", "k", version, {"a": b"\x00\x01"})  # there already
    with dbconn.snapshot(engine) as conn:  # the same SQL through SQLAlchemy
        entry = store.find(conn, "t", "k", version)
        assert entry is not None
        assert store.read_parts(conn, entry) == {"a": b"\x00\x01", "b": b"x"}
    _bump(engine)
    assert not store.save(ledger, "t", "k2", version, {"a": b""})  # superseded version
    assert store.clear(ledger) == 1


def test_a_cache_write_gives_up_on_a_locked_sqlite_ledger(db_path):
    jdb.open_ledger(db_path).dispose()
    ledger = jdb.open_reader(db_path)
    with dbconn.snapshot(ledger) as conn:
        version = store.read_version(conn)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        assert not store.save(ledger, "t", "k", version, {"a": b"1"})
        assert time.monotonic() - start < 5  # WRITE_WAIT_MS, not the 60 s busy timeout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with dbconn.connect(ledger) as conn:  # the connection waits as long as ever again
        assert conn.scalar("PRAGMA busy_timeout") == dbconn.SQLITE_BUSY_TIMEOUT_MS
    assert store.save(ledger, "t", "k", version, {"a": b"1"})
    ledger.dispose()


def test_a_read_only_sqlite_ledger_is_read_but_never_written(db_path, monkeypatch):
    """What open_reader makes of a ledger whose file or folder cannot be written (as
    make_engine(read_only=True) in tests/test_cache.py: chmod does not bind root)."""
    jdb.open_ledger(db_path).dispose()
    ledger = dbconn.Ledger(f"sqlite:///{db_path}", jdb.Path(db_path), read_only=True)
    assert jdb.is_read_only(ledger)
    with dbconn.snapshot(ledger) as conn:
        version = store.read_version(conn)
        assert conn.scalar("PRAGMA query_only") == 1
    with dbconn.connect(ledger) as conn, pytest.raises(sqlite3.Error, match="readonly"):
        conn.run("DELETE FROM derived_entry")
    writes: list = []
    monkeypatch.setattr(store, "_cache_writer", lambda *a: writes.append(a))
    assert not store.save(ledger, "t", "k", version, {"a": b"1"}) and writes == []
    ledger.dispose()


def test_parameters_for_psycopg():
    assert dbconn.pyformat("SELECT a FROM t WHERE b = :b AND c IN (:c0, :c1) "
                           "AND d::text LIKE 'x%'") == \
        "SELECT a FROM t WHERE b = %(b)s AND c IN (%(c0)s, %(c1)s) AND d::text LIKE 'x%%'"


def test_only_plain_urls_are_read_directly(tmp_path):
    assert jdb._plain_sqlite_path("sqlite:///a/b.db") == jdb.Path("a/b.db")
    assert jdb._plain_sqlite_path("sqlite:////abs/b.db") == jdb.Path("/abs/b.db")
    for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///b.db?mode=ro",
                "sqlite:///a%20b.db", "sqlite+pysqlite:///b.db"):
        assert jdb._plain_sqlite_path(url) is None, url
    assert jdb._plain_psycopg_url("postgresql+psycopg://u:p@h:5/d?host=/tmp/x&port=7") == \
        "postgresql://u:p@h:5/d?host=/tmp/x&port=7"
    for url in ("postgresql+psycopg2://u@h/d", "postgresql+psycopg://u@h/d?client_encoding=x"):
        assert jdb._plain_psycopg_url(url) is None, url
