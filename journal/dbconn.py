"""Connections for the commands that only read the ledger (and keep the derived-state cache).

Importing SQLAlchemy costs a process about 0.3 s of CPU, which a report read from the cache
pays twice over, and the read path does not need it: the read model runs plain SQL and
converts the driver's values itself. So an SQLite ledger at this code's schema is opened
as a :class:`Ledger`: reads and cache writes go to ``sqlite3`` directly, and the
SQLAlchemy engine is made only when something asks for it (the writer, Alembic).
PostgreSQL, and any engine a caller made itself, stays on SQLAlchemy.

The SQL is written once, as plain text with ``:name`` parameters, which both ``sqlite3``
and SQLAlchemy's ``text()`` take, so a query never has two copies. :func:`connect`,
:func:`snapshot` and :func:`short_writer` hand out a :class:`Conn` for either kind of
source, set up the way the engine sets up its own connections (``journal.db``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_MS = 60_000

Params = dict | Sequence | None


def configure_sqlite(dbapi_conn: sqlite3.Connection, *, read_only: bool) -> None:
    """What every connection to an SQLite ledger runs first (the engine's and the direct
    ones alike)."""
    # BEGIN is issued explicitly (journal.db's "begin" hook, snapshot() below): pysqlite's
    # implicit transactions start too late for a writer to hold its lock across reads.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if read_only:
        cur.execute("PRAGMA query_only=ON")
    else:
        # A new file only (it is fixed once the database has tables or is in WAL
        # mode): an execution row with its raw attributes is ~2 KB, two of which do
        # not fit a 4 KB page, so 4 KB pages left the ledger half empty (and imports
        # wrote twice the data).
        cur.execute("PRAGMA page_size=16384")
        set_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
    # 16 MB page cache (a ceiling, not an allocation): index upkeep during a large
    # import stays in memory instead of re-reading pages.
    cur.execute("PRAGMA cache_size=-16384")
    cur.close()


def set_wal(cur: sqlite3.Cursor) -> None:
    # Switching a database into WAL mode needs an exclusive lock, and SQLite returns
    # "database is locked" at once instead of calling the busy handler (seen when two
    # imports race to create a new ledger), so wait here up to the same busy timeout.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class Ledger:
    """An SQLite ledger opened by :func:`journal.db.open_reader`: its own small pool of
    ``sqlite3`` connections for reading (and keeping the cache), and the SQLAlchemy
    engine, made on first use of :attr:`engine`, for everything else."""

    __slots__ = ("__weakref__", "_busy", "_engine", "_idle", "path", "read_only", "url")

    def __init__(self, url: str, path: Path, read_only: bool) -> None:
        self.url, self.path, self.read_only = url, path, read_only
        self._engine: Engine | None = None
        self._idle: list[sqlite3.Connection] = []
        self._busy = 0

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the same ledger (read-only when this is)."""
        if self._engine is None:
            from journal.db import make_engine

            self._engine = make_engine(self.url, read_only=self.read_only)
        return self._engine

    def _open(self) -> sqlite3.Connection:
        from journal.db import _read_only_uri

        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        if self.read_only:
            raw = sqlite3.connect(_read_only_uri(self.path), uri=True, timeout=timeout,
                                  check_same_thread=False)
        else:
            raw = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        configure_sqlite(raw, read_only=self.read_only)
        return raw

    @contextmanager
    def checkout(self) -> Iterator[sqlite3.Connection]:
        """A connection of the pool (a new one when all are in use), returned after."""
        raw = self._idle.pop() if self._idle else self._open()
        self._busy += 1
        try:
            yield raw
        finally:
            self._busy -= 1
            if raw.in_transaction:  # an error left it open
                raw.rollback()
            self._idle.append(raw)

    def alone(self) -> bool:
        """Whether the next connection handed out is the only one there is (none in use,
        at most one idle): a setting made on it then holds for the next read."""
        return self._busy == 0 and len(self._idle) <= 1

    def dispose(self) -> None:
        while self._idle:
            self._idle.pop().close()
        if self._engine is not None:
            self._engine.dispose()


Source = Union[Ledger, "Engine"]


def engine_of(source: Source) -> Engine:
    """The SQLAlchemy engine behind ``source`` (made now for a :class:`Ledger`)."""
    return source.engine if isinstance(source, Ledger) else source


def backend(source: Source) -> str:
    """``sqlite`` or ``postgresql``."""
    return "sqlite" if isinstance(source, Ledger) else source.dialect.name


def errors(source: Source) -> tuple[type[Exception], ...]:
    """The database errors a caller that tolerates them (the cache) catches."""
    if isinstance(source, Ledger):
        return (sqlite3.Error,)
    from sqlalchemy.exc import SQLAlchemyError

    return (SQLAlchemyError, sqlite3.Error)


class Conn:
    """A connection as the readers use it: plain SQL text with ``:name`` parameters."""

    backend = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)  # what a failed statement raises

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def _run(self, sql: str, params: Params) -> Any:
        return self.raw.execute(sql, params or ())

    def rows(self, sql: str, params: Params = None) -> list:
        return self._run(sql, params).fetchall()

    def first(self, sql: str, params: Params = None) -> Any:
        return self._run(sql, params).fetchone()

    def scalar(self, sql: str, params: Params = None) -> Any:
        row = self.first(sql, params)
        return None if row is None else row[0]

    def run(self, sql: str, params: Params = None) -> None:
        self._run(sql, params)

    def run_many(self, sql: str, rows: list[dict]) -> None:
        self.raw.executemany(sql, rows)

    def chunks(self, sql: str, params: Params, size: int) -> Iterator[list]:
        """The rows ``size`` at a time (all at once would leave the heap they took
        fragmented under what is made of them)."""
        cursor = self._run(sql, params)
        while chunk := cursor.fetchmany(size):
            yield chunk


class _AlchemyConn(Conn):
    """The same calls on an SQLAlchemy connection (PostgreSQL, or an engine a caller
    made): the text goes through ``text()``, the rows come back as the driver's values."""

    def __init__(self, raw: Connection) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        super().__init__(raw)
        self.backend = raw.dialect.name
        self.errors = (SQLAlchemyError,)

    def _run(self, sql: str, params: Params) -> Any:
        from sqlalchemy import text

        return self.raw.execute(text(sql), params or {})

    def run_many(self, sql: str, rows: list[dict]) -> None:
        from sqlalchemy import text

        self.raw.execute(text(sql), rows)

    def chunks(self, sql: str, params: Params, size: int) -> Iterator[list]:
        from sqlalchemy import text

        # a server-side cursor on PostgreSQL: the rows come as they are read
        cursor = self.raw.execution_options(stream_results=True).execute(
            text(sql), params or {})
        while chunk := cursor.fetchmany(size):
            yield chunk


@contextmanager
def connect(source: Source) -> Iterator[Conn]:
    """A connection outside any transaction (each statement commits by itself)."""
    if isinstance(source, Ledger):
        with source.checkout() as raw:
            yield Conn(raw)
    else:
        with source.connect() as conn:
            yield _AlchemyConn(conn)


@contextmanager
def snapshot(source: Source) -> Iterator[Conn]:
    """A read-only connection whose every query sees one state of the ledger
    (:func:`journal.db.snapshot`: one SQLite read transaction, which in WAL mode is a
    snapshot, or one PostgreSQL REPEATABLE READ transaction)."""
    if isinstance(source, Ledger):
        with source.checkout() as raw:
            raw.execute("BEGIN")
            yield Conn(raw)
            raw.execute("COMMIT")
    else:
        from journal.db import snapshot as engine_snapshot

        with engine_snapshot(source) as conn:
            yield _AlchemyConn(conn)


@contextmanager
def short_writer(source: Source, wait_ms: int) -> Iterator[Conn]:
    """A write transaction that waits at most ``wait_ms`` for the ledger's write lock
    (SQLite: BEGIN IMMEDIATE under a short busy timeout; PostgreSQL: lock_timeout)."""
    if isinstance(source, Ledger):
        with source.checkout() as raw:
            raw.execute(f"PRAGMA busy_timeout={wait_ms}")
            try:
                raw.execute("BEGIN IMMEDIATE")
                yield Conn(raw)
                raw.execute("COMMIT")
            finally:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return
    with source.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            dbapi: Any = conn.connection.dbapi_connection
            dbapi.execute(f"PRAGMA busy_timeout={wait_ms}")
            conn = conn.execution_options(writer=True)  # BEGIN IMMEDIATE (journal.db)
        try:
            with conn.begin():
                wrapped = _AlchemyConn(conn)
                if not sqlite:
                    wrapped.run(f"SET LOCAL lock_timeout = '{wait_ms}ms'")
                yield wrapped
        finally:
            if sqlite:
                dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
