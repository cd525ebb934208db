"""Connections for the commands that only read the ledger (and keep the derived-state cache).

Importing SQLAlchemy costs a process about 0.3 s of CPU and 26 MB, which a report read from
the cache pays twice over, and the read path does not need it: the read model runs plain
SQL and converts the driver's values itself. So a ledger at this code's schema is opened
as a :class:`Ledger` (:func:`journal.db.open_reader`): reads and cache writes go to
``sqlite3`` or ``psycopg`` directly, and the SQLAlchemy engine is made only when something
asks for it (the writer, Alembic). An engine a caller made itself (the writer, the web
server, the tests) is read through SQLAlchemy, with the same SQL.

The SQL is written once, as plain text with ``:name`` parameters, which ``sqlite3`` and
SQLAlchemy's ``text()`` take as they are and psycopg as ``%(name)s`` (:func:`pyformat`),
so a query never has two copies. :func:`connect`, :func:`snapshot` and
:func:`short_writer` hand out a :class:`Conn` for any source, set up the way the engine
sets up its own connections (``journal.db``).
"""

from __future__ import annotations

import itertools
import re
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


def sqlite_dt(v):
    # the text SQLAlchemy's SQLite DateTime stores ("%Y-%m-%d %H:%M:%S.%f"), made faster
    return None if v is None else v.isoformat(" ", "microseconds")


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
    """A ledger opened by :func:`journal.db.open_reader`: its own small pool of driver
    connections for reading (and keeping the cache), ``sqlite3`` for an SQLite file or
    ``psycopg`` for PostgreSQL (``conninfo``), and the SQLAlchemy engine, made on first
    use of :attr:`engine`, for everything else."""

    __slots__ = ("__weakref__", "_busy", "_engine", "_idle", "backend", "conninfo", "path",
                 "read_only", "url")

    def __init__(self, url: str, path: Path | None, read_only: bool = False, *,
                 conninfo: str | None = None) -> None:
        self.url, self.path, self.read_only, self.conninfo = url, path, read_only, conninfo
        self.backend = "sqlite" if conninfo is None else "postgresql"
        self._engine: Engine | None = None
        self._idle: list[Any] = []
        self._busy = 0

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the same ledger (read-only when this is)."""
        if self._engine is None:
            from journal.db import make_engine

            self._engine = make_engine(self.url, read_only=self.read_only)
        return self._engine

    def _open(self) -> Any:
        if self.conninfo is not None:
            import psycopg

            # transactions are begun explicitly (snapshot, short_writer), as on SQLite
            return psycopg.connect(self.conninfo, autocommit=True)
        from journal.db import _read_only_uri

        assert self.path is not None
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        if self.read_only:
            raw = sqlite3.connect(_read_only_uri(self.path), uri=True, timeout=timeout,
                                  check_same_thread=False)
        else:
            raw = sqlite3.connect(str(self.path), timeout=timeout, check_same_thread=False)
        configure_sqlite(raw, read_only=self.read_only)
        return raw

    def wrap(self, raw: Any) -> Conn:
        return Conn(raw) if self.conninfo is None else _PgConn(raw)

    @contextmanager
    def checkout(self) -> Iterator[Any]:
        """A connection of the pool (a new one when all are in use), returned after."""
        raw = self._idle.pop() if self._idle else self._open()
        self._busy += 1
        try:
            yield raw
        finally:
            self._busy -= 1
            if self._release(raw):
                self._idle.append(raw)

    def _release(self, raw: Any) -> bool:
        """End what an error left open; False: the connection is gone (not kept)."""
        if self.conninfo is None:
            if raw.in_transaction:
                raw.rollback()
            return True
        if raw.closed:
            return False
        if raw.info.transaction_status != 0:  # not IDLE: in (or failed) a transaction
            raw.execute("ROLLBACK")
        return True

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
    return source.backend if isinstance(source, Ledger) else source.dialect.name


def errors(source: Source) -> tuple[type[Exception], ...]:
    """The database errors a caller that tolerates them (the cache) catches."""
    if isinstance(source, Ledger):
        return (sqlite3.Error,) if source.conninfo is None else _PgConn.driver_errors()
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


_NAMED = re.compile(r"(?<![:\w]):(\w+)")
_PYFORMAT: dict[str, str] = {}
_CURSORS = itertools.count()


def pyformat(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (and a literal ``%`` doubled)."""
    done = _PYFORMAT.get(sql)
    if done is None:
        done = _PYFORMAT[sql] = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return done


class _PgConn(Conn):
    """The same calls on a psycopg connection (a PostgreSQL :class:`Ledger`)."""

    backend = "postgresql"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw)
        self.errors = self.driver_errors()

    @staticmethod
    def driver_errors() -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)

    def _run(self, sql: str, params: Params) -> Any:
        # without parameters psycopg reads the text as it is (no %-escapes)
        return self.raw.execute(pyformat(sql), params) if params else self.raw.execute(sql)

    def run_many(self, sql: str, rows: list[dict]) -> None:
        with self.raw.cursor() as cur:
            cur.executemany(pyformat(sql), rows)

    def chunks(self, sql: str, params: Params, size: int) -> Iterator[list]:
        # a server-side cursor (inside the snapshot's transaction): the rows come as they
        # are read, as SQLAlchemy's stream_results gave them
        with self.raw.cursor(name=f"journal_chunks_{next(_CURSORS)}") as cur:
            if params:
                cur.execute(pyformat(sql), params)
            else:
                cur.execute(sql)
            while chunk := cur.fetchmany(size):
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
            yield source.wrap(raw)
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
            raw.execute("BEGIN" if source.conninfo is None else
                        "BEGIN ISOLATION LEVEL REPEATABLE READ")
            yield source.wrap(raw)
            raw.execute("COMMIT")
    else:
        from journal.db import snapshot as engine_snapshot

        with engine_snapshot(source) as conn:
            yield _AlchemyConn(conn)


@contextmanager
def short_writer(source: Source, wait_ms: int) -> Iterator[Conn]:
    """A write transaction that waits at most ``wait_ms`` for the ledger's write lock
    (SQLite: BEGIN IMMEDIATE under a short busy timeout; PostgreSQL: lock_timeout)."""
    if isinstance(source, Ledger) and source.conninfo is not None:
        with source.checkout() as raw:
            raw.execute("BEGIN")
            raw.execute(f"SET LOCAL lock_timeout = '{wait_ms}ms'")
            yield source.wrap(raw)
            raw.execute("COMMIT")
        return
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
