"""Engine creation and schema management (Alembic, run programmatically).

Every command opens the ledger through :func:`open_ledger`, which brings a new database
to the latest revision, backs up and upgrades an older SQLite database, and refuses one
that is newer than this code.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, NoSuchModuleError

from journal.config import database_url
from journal.errors import ConfigError, SchemaError

SQLITE_BUSY_TIMEOUT_MS = 60_000


def migrations_dir() -> Path:
    import journal.migrations as pkg  # mapped onto the top-level migrations/ folder

    return Path(list(pkg.__path__)[0])


def make_engine(target=None) -> Engine:
    url_text = database_url(target)
    try:
        url = make_url(url_text)
    except ArgumentError as exc:
        raise ConfigError(f"not a database path or URL: {url_text}") from exc
    if url.get_backend_name() == "sqlite":
        db_path = url.database
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise ConfigError(f"unsupported database URL {url.render_as_string()}") from exc
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"the driver for {url.drivername} is not installed "
            "(for PostgreSQL: pip install 'csp-journal[postgres]')"
        ) from exc


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection whose every query sees one state of the ledger.

    Readers run several SELECTs; under PostgreSQL's default READ COMMITTED an import
    committing between two of them would give, say, the old gains with the new flags. A
    REPEATABLE READ transaction reads one snapshot. On SQLite the ``begin`` hook below
    opens one transaction for the whole block, which in WAL mode is a snapshot too.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself: pysqlite's implicit
        # transactions start too late for a writer to hold its lock across reads.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _set_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        # 16 MB page cache (a ceiling, not an allocation): index upkeep during a large
        # import stays in memory instead of re-reading pages.
        cur.execute("PRAGMA cache_size=-16384")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front (IMMEDIATE) so two imports queue on the
        # busy timeout instead of failing with "database is locked" on lock upgrade.
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN"
        conn.exec_driver_sql(mode)


def _set_wal(cur) -> None:
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


def _alembic_config(connection=None):
    from alembic.config import Config  # alembic is slow to import; only when needed

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def schema_status(engine: Engine) -> tuple[str | None, tuple[str, ...]]:
    """Return (current revision of the database, heads known to this code)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, tuple(script.get_heads())


def backup_sqlite(engine: Engine, suffix: str | None = None) -> Path | None:
    """Copy an SQLite ledger with the online backup API; returns the backup path."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    src_path = Path(url.database)
    if not src_path.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    dst = src_path.with_name(f"{src_path.name}.bak-{suffix or 'manual'}-{stamp}")
    n = 1
    while dst.exists():  # two backups within one second must not overwrite each other
        n += 1
        dst = src_path.with_name(f"{src_path.name}.bak-{suffix or 'manual'}-{stamp}-{n}")
    src = sqlite3.connect(str(src_path))
    try:
        out = sqlite3.connect(str(dst))
        with out:
            src.backup(out)
        out.close()
    finally:
        src.close()
    return dst


def known_revision(revision: str) -> bool:
    """True if this code's migrations contain ``revision`` (False: a newer program wrote it)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return revision in {r.revision for r in script.walk_revisions()}


def _refuse_unknown(current: str | None, script, heads) -> None:
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise SchemaError(
            f"the database is at schema revision {current}, which this version of journal "
            f"does not know (latest here: {', '.join(heads)}); it was written by a newer "
            "csp-journal: upgrade the program (pip install -U csp-journal)"
        )


def upgrade(engine: Engine, *, backup: bool = True) -> Path | None:
    """Bring the database to the latest revision. Returns the backup path, if one was made.

    Safe against a second process opening the same new or old database at the same time:
    the migration runs under the writer lock and the revision is read again inside it.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    heads = tuple(script.get_heads())
    current, _ = schema_status(engine)
    _refuse_unknown(current, script, heads)
    if current in heads:
        return None  # the common case: no lock taken, readers never wait here
    backup_path = None
    with writer(engine) as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        _refuse_unknown(current, script, heads)
        if current in heads:
            return None  # another process migrated it while we waited for the lock
        if backup and current is not None:
            backup_path = backup_sqlite(engine, suffix=current)
        command.upgrade(_alembic_config(conn), "head")
    return backup_path


_checked: set[str] = set()


def open_ledger(target=None, *, migrate: bool = True) -> Engine:
    """Open (and if needed create or upgrade) the ledger database."""
    engine = make_engine(target)
    key = engine.url.render_as_string(hide_password=False)
    if migrate and key not in _checked:
        try:
            upgrade(engine)
        except OperationalError as exc:
            raise ConfigError(f"cannot open database {engine.url!r}: {exc.orig}") from exc
        _checked.add(key)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every ledger table (used by tests and `journal db check`)."""
    from sqlalchemy import text

    names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.connect() as conn:
        return {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


WRITER_LOCK_KEY = 0x6A6F75726E616C  # "journal": one advisory lock per PostgreSQL database


@contextmanager
def writer(engine: Engine):
    """A write transaction that holds the ledger's single writer lock until it ends.

    SQLite: BEGIN IMMEDIATE (the busy timeout queues the second writer). PostgreSQL: a
    transaction-scoped advisory lock. ON CONFLICT DO NOTHING alone would keep rows unique,
    but two imports inserting overlapping keys (and instruments) in different orders can
    deadlock, and the cancellation pass reads before it writes; one writer at a time
    rules out both, and an import is a batch job that can afford to wait.
    """
    with engine.connect().execution_options(writer=True) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")
            yield conn
