"""Engine creation, opening the ledger, and schema management (Alembic, run programmatically).

Every command opens the ledger through :func:`open_ledger`. Only the commands that write
statements into it (``import``, ``fetch``, ``db upgrade``) create a new one; the others
refuse a missing ledger in one line instead of leaving an empty file behind a typo'd
``--db``. An older SQLite ledger is backed up and upgraded, a newer one is refused, and an
SQLite ledger whose file or folder is read-only is opened read-only when a command only
reads it.
"""

from __future__ import annotations

import os
import re
import sqlite3
import urllib.parse
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from journal.config import database_url
from journal.dbconn import SQLITE_BUSY_TIMEOUT_MS, Ledger, configure_sqlite
from journal.errors import (
    ConfigError,
    LedgerError,
    NoLedger,
    SchemaError,
    fault_reason,
    quote,
)
from journal.files import PARTIAL_SUFFIX, replacing

if TYPE_CHECKING:  # SQLAlchemy is imported only where an engine is made or used
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.engine.url import URL

SQLITE_HEADER = b"SQLite format 3\x00"
_READ_ONLY: weakref.WeakSet[Engine] = weakref.WeakSet()


def migrations_dir() -> Path:
    import journal.migrations as pkg  # mapped onto the top-level migrations/ folder

    return Path(next(iter(pkg.__path__)))


def _url(target) -> URL:
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import ArgumentError

    url_text = database_url(target)
    try:
        return make_url(url_text)
    except ArgumentError as exc:
        raise ConfigError(f"not a database path or URL: {url_text}") from exc


def sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite URL (None for PostgreSQL and in-memory databases)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def make_engine(target=None, *, read_only: bool = False) -> Engine:
    """An engine for ``target`` (creates nothing by itself). ``read_only`` opens an SQLite
    file with ``mode=ro``, and as immutable when its folder is read-only and holds no
    write-ahead log (SQLite cannot otherwise open a WAL database it may not write to)."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError

    url = _url(target)
    if url.get_backend_name() == "sqlite":
        timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
        path = sqlite_file(url)
        if read_only and path is not None:
            uri = _read_only_uri(path)
            engine = create_engine(url, creator=lambda: sqlite3.connect(
                uri, uri=True, timeout=timeout, check_same_thread=False))
            _READ_ONLY.add(engine)
        else:
            engine = create_engine(url, connect_args={"timeout": timeout})
        _configure_sqlite(engine, read_only=read_only)
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


def _read_only_uri(path: Path) -> str:
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    if os.access(path.parent, os.W_OK):
        return uri
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerError(f"cannot read the ledger {path}: its folder is read-only and it "
                          f"has unfinished writes in {wal.name}; open it once with write "
                          "access to its folder")
    return uri + "&immutable=1"


def is_read_only(source: Engine | Ledger) -> bool:
    """True when :func:`open_ledger` (or :func:`open_reader`) opened the ledger read-only
    (its file or folder is)."""
    if isinstance(source, Ledger):
        return source.read_only
    return source in _READ_ONLY


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


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        configure_sqlite(dbapi_conn, read_only=read_only)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front (IMMEDIATE) so two imports queue on the
        # busy timeout instead of failing with "database is locked" on lock upgrade.
        mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN"
        conn.exec_driver_sql(mode)


def _alembic_config(connection=None):
    from alembic.config import Config  # alembic is slow to import; only when needed

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def schema_status(source: Engine | Ledger) -> tuple[str | None, tuple[str, ...]]:
    """Return (current revision of the database, heads known to this code).

    Every command asks this first, so it avoids Alembic when it can: importing Alembic and
    every migration script (SQLModel with them) costs more than a report read from the
    derived-state cache. The heads come from the scripts' revision lines, the current
    revision from ``alembic_version``; anything unusual goes to Alembic itself. A
    :class:`~journal.dbconn.Ledger` is asked through its own connection (no SQLAlchemy).
    """
    heads = script_heads()
    if isinstance(source, Ledger):
        from journal.dbconn import connect

        with connect(source) as direct:
            if direct.first(_HAS_VERSIONS[source.backend]) is None:
                return None, heads
            found = direct.rows("SELECT version_num FROM alembic_version")
        if len(found) <= 1:
            return (found[0][0] if found else None), heads
        source = source.engine  # several rows: Alembic's own reading
    from sqlalchemy import inspect

    with source.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None, heads
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        if len(rows) <= 1:
            return (rows[0][0] if rows else None), heads
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision(), heads


_HAS_VERSIONS = {  # a row when alembic_version is a table the connection sees
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    "postgresql": "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL"}
_HEADS: dict[Path, tuple[str, ...]] = {}  # per migrations folder (tests swap it)
_REVISION_LINE = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=\s*(.+?)\s*$",
    re.MULTILINE)


def script_heads() -> tuple[str, ...]:
    """The heads of this code's migrations (what Alembic's ``get_heads`` returns)."""
    folder = migrations_dir()
    heads = _HEADS.get(folder)
    if heads is None:
        heads = _heads_from_text(folder)
        if heads is None:
            from alembic.script import ScriptDirectory

            heads = tuple(ScriptDirectory.from_config(_alembic_config()).get_heads())
        _HEADS[folder] = heads
    return heads


def _heads_from_text(folder: Path) -> tuple[str, ...] | None:
    """Heads from the scripts' ``revision = '…'`` and ``down_revision = '…'`` lines; None
    when a script is not that simple (branch labels, dependencies, computed values)."""
    import ast

    revisions, parents = set(), set()
    for path in sorted((folder / "versions").glob("*.py")):
        if path.name.startswith("__"):
            continue
        found = {m[1]: m[2] for m in _REVISION_LINE.finditer(path.read_text())}
        try:
            values = {k: ast.literal_eval(v) for k, v in found.items()}
        except (ValueError, SyntaxError):
            return None
        rev, down = values.get("revision"), values.get("down_revision")
        if not isinstance(rev, str) or "down_revision" not in values \
                or values.get("branch_labels") or values.get("depends_on"):
            return None
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple) and all(isinstance(d, str) for d in down):
            parents.update(down)
        elif down is not None:
            return None
        revisions.add(rev)
    heads = tuple(sorted(revisions - parents))
    return heads or None


def backup_sqlite(engine: Engine, suffix: str | None = None) -> Path | None:
    """Copy an SQLite ledger with the online backup API; returns the backup path.

    The copy is written under a ``.part`` name, flushed to disk and only then renamed, so
    a backup interrupted by a crash, a kill or a full disk never looks like a good one
    (a leftover ``.part`` file is named by ``journal db check``).
    """
    src_path = sqlite_file(engine.url)
    if src_path is None or not src_path.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    dst = src_path.with_name(f"{src_path.name}.bak-{suffix or 'manual'}-{stamp}")
    n = 1
    while dst.exists():  # two backups within one second must not overwrite each other
        n += 1
        dst = src_path.with_name(f"{src_path.name}.bak-{suffix or 'manual'}-{stamp}-{n}")
    if not os.access(src_path.parent, os.W_OK):
        raise LedgerError(f"cannot write the backup {dst}: its folder is read-only; "
                          "nothing was changed")
    source = _read_only_uri(src_path) if is_read_only(engine) else str(src_path)
    try:
        with replacing(dst) as part:
            src = sqlite3.connect(source, uri=source.startswith("file:"),
                                  timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                out = sqlite3.connect(str(part))
                try:
                    src.backup(out)
                finally:
                    out.close()
            finally:
                src.close()
    except (sqlite3.Error, OSError) as exc:
        raise LedgerError(f"cannot write the backup {dst}: {fault_reason(exc)}; "
                          "nothing was changed") from exc
    return dst


def partial_backups(engine: Engine) -> list[Path]:
    """Leftovers of backups that were interrupted (safe to delete)."""
    path = sqlite_file(engine.url)
    if path is None:
        return []
    return sorted(path.parent.glob(f"{path.name}.bak-*{PARTIAL_SUFFIX}*"))  # and its -journal


def integrity_problems(engine: Engine, limit: int = 20) -> list[str]:
    """What SQLite's ``integrity_check`` and ``foreign_key_check`` find wrong in an SQLite
    ledger ([] when sound, and always [] for PostgreSQL, which checks its pages itself)."""
    from sqlalchemy.exc import DatabaseError

    if engine.dialect.name != "sqlite":
        return []
    try:
        with engine.connect() as conn:
            found = [r[0] for r in conn.exec_driver_sql(f"PRAGMA integrity_check({limit})")]
            if found == ["ok"]:
                found = []
            keys = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(limit)
            found += [f"row {rowid} of {table} refers to a missing row of {parent}"
                      for table, rowid, parent, _ in keys]
    except DatabaseError as exc:  # damaged beyond what the checks can walk
        return [quote(exc.orig)]
    return found


def schema_problems(engine: Engine) -> list[str]:
    """Tables or columns of this code's schema that the database lacks."""
    from sqlalchemy import inspect

    from journal import models

    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    out = []
    for table in models.metadata.sorted_tables:
        if table.name not in present:
            out.append(f"table {table.name} is missing")
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        out += [f"column {table.name}.{c.name} is missing"
                for c in table.columns if c.name not in columns]
    return out


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


def open_ledger(target=None, *, create: bool = True, migrate: bool = True) -> Engine:
    """Open the ledger: create it (``create``), upgrade an older one, refuse a newer one.

    Without ``create`` a missing or empty ledger is a LedgerError naming the path; an
    SQLite ledger whose file or folder cannot be written is then opened read-only.
    """
    engine = engine_for(target, create=create)
    url, path, read_only = engine.url, sqlite_file(engine.url), is_read_only(engine)
    key = url.render_as_string(hide_password=False)
    if migrate and key in _checked:
        return engine
    current, heads = schema_status(engine)
    if current is None and not create:
        where = path or url.render_as_string(hide_password=True)
        raise NoLedger(f"no ledger at {where} — run `journal import` first, or pass --db",
                       exists=True)
    if migrate and current not in heads:
        if read_only:
            raise LedgerError(f"the ledger {path} is read-only and its schema is not this "
                              "program's: `journal db upgrade` needs write access to it and "
                              "its folder")
        # A new SQLite ledger gets the migrations' result in one transaction, without
        # loading Alembic (journal.ledger_schema); anything else goes through Alembic.
        if current is not None or not _create_new(engine, heads):
            upgrade(engine)
    if migrate:
        _checked.add(key)
    return engine


def open_reader(target=None) -> Engine | Ledger:
    """:func:`open_ledger` for a command that only reads the ledger (and keeps its cache),
    without creating it: an SQLite file or a PostgreSQL database comes back as a
    :class:`~journal.dbconn.Ledger`, read through ``sqlite3`` or ``psycopg`` with no
    SQLAlchemy loaded (journal.dbconn says why); one to migrate or refuse goes through
    :func:`open_ledger` first; an unusual URL is :func:`open_ledger`'s engine."""
    url = database_url(target)
    path, conninfo = _plain_sqlite_path(url), _plain_psycopg_url(url)
    if path is not None:
        ledger = Ledger(url, path, _check_sqlite_file(path, create=False))
    elif conninfo is not None:
        ledger = Ledger(url, None, conninfo=conninfo)
    else:
        return open_ledger(target, create=False)
    if url in _checked:
        return ledger
    current, heads = schema_status(ledger)
    if current not in heads:  # none (refused there), older, newer: open_ledger decides
        ledger.dispose()
        open_ledger(target, create=False)
    _checked.add(url)
    return ledger


# what libpq takes in a connection URI's query, as SQLAlchemy's psycopg dialect passes it
_LIBPQ_KEYS = frozenset({"host", "hostaddr", "port", "dbname", "user", "password",
                         "connect_timeout", "application_name", "options", "sslmode",
                         "sslcert", "sslkey", "sslrootcert", "target_session_attrs"})


def _plain_psycopg_url(url: str) -> str | None:
    """The libpq connection URI of ``postgresql+psycopg://…`` when its options are all
    libpq's own (what psycopg would be given through SQLAlchemy); else None."""
    import importlib.util

    prefix = "postgresql+psycopg://"
    if not url.startswith(prefix) or importlib.util.find_spec("psycopg") is None:
        return None  # (make_engine words a missing driver)
    rest = url[len(prefix):]
    query = urllib.parse.urlsplit("postgresql://" + rest).query
    if any(k not in _LIBPQ_KEYS for k, _ in urllib.parse.parse_qsl(query)):
        return None
    return "postgresql://" + rest


def _plain_sqlite_path(url: str) -> Path | None:
    """The file of ``sqlite:///PATH`` when nothing in it needs SQLAlchemy's URL parsing
    (query options, escapes, an in-memory database); else None."""
    prefix = "sqlite:///"
    rest = url[len(prefix):] if url.startswith(prefix) else ""
    if not rest or rest == ":memory:" or any(c in rest for c in "?%#"):
        return None
    return Path(rest)


def _create_new(engine: Engine, heads: tuple[str, ...]) -> bool:
    from journal import ledger_schema

    return ledger_schema.create(engine, heads)


def remove_new_ledger(engine: Engine) -> None:
    """Delete the SQLite ledger ``engine`` created moments ago and that holds nothing (an
    import that stored nothing), and forget it was checked, so the next open starts over.
    A ledger holding any import (another process's, started meanwhile) is kept."""
    from sqlalchemy import text

    path = sqlite_file(engine.url)
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM import_batch")).scalar():
            return
    engine.dispose()
    _checked.discard(engine.url.render_as_string(hide_password=False))
    if path is not None:
        for name in (path.name, path.name + "-wal", path.name + "-shm"):
            path.with_name(name).unlink(missing_ok=True)


def engine_for(target=None, *, create: bool) -> Engine:
    """An engine for the ledger at ``target`` after the checks that need no schema: a
    missing SQLite file (created with its folder only when ``create``), a file that is
    not SQLite, a folder; read-only when the file or its folder cannot be written."""
    path = sqlite_file(_url(target))
    read_only = _check_sqlite_file(path, create) if path is not None else False
    return make_engine(target, read_only=read_only)


def _check_sqlite_file(path: Path, create: bool) -> bool:
    """Refuse what cannot be a ledger before SQLite touches it; True: open read-only."""
    if path.is_dir():
        raise LedgerError(f"{path} is a folder, not a ledger file — check --db")
    if not path.exists():
        if not create:
            raise NoLedger(f"no ledger at {path} — run `journal import` first, or pass --db")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(f"cannot create the folder {path.parent} for the ledger: "
                              f"{exc.strerror or exc}") from None
        if not os.access(path.parent, os.W_OK):
            raise LedgerError(f"cannot create the ledger {path}: its folder is read-only")
        return False
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc.strerror or exc}") from None
    if header and header != SQLITE_HEADER:
        raise LedgerError(f"{path} is not a journal ledger (not an SQLite database) — "
                          "check --db")
    if not header and not create:
        raise NoLedger(f"no ledger at {path} (the file is empty) — run `journal import` "
                       "first, or pass --db", exists=True)
    blocked = ("its folder" if not os.access(path.parent, os.W_OK)
               else "the file" if not os.access(path, os.W_OK) else None)
    if blocked is None:
        return False
    if create:
        raise LedgerError(f"the ledger {path} is read-only ({blocked} cannot be written): "
                          "nothing can be imported into it — check its permissions, or "
                          "pass --db")
    return True


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every ledger table (used by tests and `journal db check`)."""
    from sqlalchemy import inspect, text

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
    with engine.connect().execution_options(writer=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")
        yield conn
