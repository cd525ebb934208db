"""The cache tables: read an entry inside the caller's snapshot, write one on the side.

An entry is stored only under the ledger version its inputs were read at, and only if
that version is still the current one when the write transaction runs (on SQLite under
the write lock, so nothing can commit in between). A write never waits for an import:
if the ledger is busy the result is simply not cached this time.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from journal import dbconn
from journal.dbconn import Conn, Source

log = logging.getLogger(__name__)

KEEP_PER_NAME = 8  # entries of one name kept for the current version (other settings...)
WRITE_WAIT_MS = 250  # how long a cache write may wait for the ledger's write lock


class NoCache(Exception):
    """The database has no cache tables (an old schema opened without migrating)."""


def read_version(conn: Conn) -> int:
    """The ledger version as ``conn``'s transaction sees it. (On PostgreSQL a failure
    aborts that transaction; callers then leave it and work without the cache.)"""
    try:
        row = conn.first("SELECT version FROM ledger_state WHERE id = 1")
    except conn.errors as exc:
        raise NoCache(str(exc)) from exc
    if row is None:
        raise NoCache("ledger_state has no row")
    return int(row[0])


def find(conn: Conn, name: str, key: str, version: int) -> int | None:
    row = conn.first(
        "SELECT id FROM derived_entry WHERE name = :n AND key = :k AND ledger_version = :v",
        {"n": name, "k": key, "v": version})
    return None if row is None else int(row[0])


def find_first(conn: Conn, entries: list[tuple[str, str]], version: int) -> int | None:
    """The first of ``entries`` (name, key) stored for ``version``, in one query."""
    if len(entries) == 1:
        return find(conn, *entries[0], version)
    where = " OR ".join(f"(name = :n{i} AND key = :k{i})" for i in range(len(entries)))
    params: dict = {"v": version}
    for i, (name, key) in enumerate(entries):
        params.update({f"n{i}": name, f"k{i}": key})
    found = {(r[1], r[2]): int(r[0]) for r in conn.rows(
        f"SELECT id, name, key FROM derived_entry WHERE ledger_version = :v AND ({where})",
        params)}
    return next((found[e] for e in entries if e in found), None)


def read_parts(conn: Conn, entry_id: int,
               parts: Iterable[str] | None = None) -> dict[str, bytes]:
    sql = "SELECT part, payload FROM derived_part WHERE entry_id = :e"
    params: dict = {"e": entry_id}
    if parts is not None:
        names = sorted(set(parts))
        if not names:
            return {}
        sql += " AND part IN (" + ", ".join(f":p{i}" for i in range(len(names))) + ")"
        params.update({f"p{i}": p for i, p in enumerate(names)})
    return {p: bytes(b) for p, b in conn.rows(sql, params)}


@contextmanager
def _cache_writer(source: Source) -> Iterator[Conn]:
    """A short write transaction that gives up instead of queueing behind an import."""
    with dbconn.short_writer(source, WRITE_WAIT_MS) as conn:
        yield conn


def save(engine: Source, name: str, key: str, version: int, parts: dict[str, bytes]) -> bool:
    """Store ``parts`` as entry (name, key) of ledger ``version``; False when not stored
    (the ledger moved on, another process stored it first, the ledger is busy or was
    opened read-only)."""
    if _read_only(engine):
        return False
    caught: tuple[type[Exception], ...] = (*dbconn.errors(engine), NoCache)
    try:
        with _cache_writer(engine) as conn:
            if read_version(conn) != version:
                return False  # computed from a state that is already superseded
            _prune(conn, name, version)
            now = datetime.now(UTC).replace(tzinfo=None)
            # SQLite gets the text SQLAlchemy's DateTime stores: sqlite3's own datetime
            # adapter is deprecated from Python 3.12 (a warning on every cold report).
            params = {"n": name, "k": key, "v": version,
                      "c": dbconn.sqlite_dt(now) if conn.backend == "sqlite" else now}
            row = conn.first(
                "INSERT INTO derived_entry (name, key, ledger_version, created_at) "
                "VALUES (:n, :k, :v, :c) ON CONFLICT (name, key, ledger_version) DO NOTHING "
                "RETURNING id", params)
            if row is None:  # stored already, maybe without some parts: add those
                row = conn.first(
                    "SELECT id FROM derived_entry WHERE name = :n AND key = :k "
                    "AND ledger_version = :v", params)
                if row is None:
                    return False
                have = {r[0] for r in conn.rows(
                    "SELECT part FROM derived_part WHERE entry_id = :e", {"e": row[0]})}
                parts = {p: b for p, b in parts.items() if p not in have}
                if not parts:
                    return False
            conn.run_many("INSERT INTO derived_part (entry_id, part, payload) "
                          "VALUES (:e, :p, :b) ON CONFLICT (entry_id, part) DO NOTHING",
                          [{"e": row[0], "p": p, "b": b} for p, b in parts.items()])
        return True
    except caught as exc:
        log.debug("cache entry %s not stored: %s", name, exc)
        return False


_NO_WRITES: weakref.WeakSet = weakref.WeakSet()


def never_write(engine: Source) -> None:
    """Read the cache through ``engine`` but never write it (``journal serve --read-only``:
    the ledger file stays byte for byte as it was)."""
    _NO_WRITES.add(engine)


def _read_only(engine: Source) -> bool:
    from journal.db import is_read_only

    return engine in _NO_WRITES or is_read_only(engine)


def _prune(conn: Conn, name: str, version: int) -> None:
    """Entries of older ledger versions can never be read again; of the current version,
    keep the newest few of each name."""
    doomed = [r[0] for r in conn.rows(
        "SELECT id FROM derived_entry WHERE ledger_version < :v "
        "OR (name = :n AND id NOT IN (SELECT id FROM derived_entry WHERE name = :n "
        "ORDER BY id DESC LIMIT :keep))", {"v": version, "n": name, "keep": KEEP_PER_NAME - 1})]
    if doomed:
        _delete(conn, doomed)


def _delete(conn: Conn, ids: list[int]) -> None:
    for i in range(0, len(ids), 500):
        chunk = {f"i{j}": v for j, v in enumerate(ids[i:i + 500])}
        marks = ", ".join(f":{k}" for k in chunk)
        conn.run(f"DELETE FROM derived_part WHERE entry_id IN ({marks})", chunk)
        conn.run(f"DELETE FROM derived_entry WHERE id IN ({marks})", chunk)


def forget(engine: Source, entry_id: int | None) -> None:
    """Drop one entry (unreadable bytes), if the ledger is not busy."""
    if entry_id is None or _read_only(engine):
        return
    try:
        with _cache_writer(engine) as conn:
            _delete(conn, [entry_id])
    except dbconn.errors(engine) as exc:
        log.debug("cache entry %s not dropped: %s", entry_id, exc)


def clear(engine: Source) -> int:
    """Drop every cached entry (never needed for correctness); returns how many."""
    with _cache_writer(engine) as conn:
        ids = [r[0] for r in conn.rows("SELECT id FROM derived_entry")]
        _delete(conn, ids)
    return len(ids)
