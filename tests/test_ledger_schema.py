"""A new SQLite ledger made from journal/ledger_schema_sqlite.py is the one the migrations
make: same schema entries, same rows, same page size and journal mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from journal import db as jdb
from journal import ledger_schema, ledger_schema_sqlite


def _norm(sql: str | None):
    """A schema statement with its table constraints in a fixed order: Alembic's batch mode
    writes them in set order, which changes from run to run and means nothing to SQLite."""
    if sql is None:
        return None
    lines = [line.strip().rstrip(",").rstrip() for line in sql.split("\n")]
    constraints = sorted(line for line in lines if line.startswith("CONSTRAINT"))
    return tuple(line for line in lines if not line.startswith("CONSTRAINT")), tuple(constraints)


def _contents(path: Path) -> dict:
    con = sqlite3.connect(path)
    try:
        master = sorted((t, n, tbl, _norm(sql)) for t, n, tbl, sql in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"))
        tables = [r[1] for r in master if r[0] == "table"]
        rows = {t: sorted(con.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}
        pragmas = {p: con.execute(f"PRAGMA {p}").fetchone()[0]
                   for p in ("page_size", "journal_mode", "user_version", "application_id",
                             "auto_vacuum", "encoding")}
    finally:
        con.close()
    return {"master": master, "rows": rows, "pragmas": pragmas}


def _by_alembic(path: Path) -> None:
    engine = jdb.engine_for(f"sqlite:///{path}", create=True)
    jdb.upgrade(engine, backup=False)
    engine.dispose()


def _no_alembic(monkeypatch):
    def refuse(*_a, **_k):
        raise AssertionError("a new SQLite ledger went through Alembic")

    monkeypatch.setattr(jdb, "upgrade", refuse)


def test_new_ledger_equals_the_migrations(tmp_path, monkeypatch):
    _by_alembic(tmp_path / "alembic.db")
    _no_alembic(monkeypatch)
    engine = jdb.open_ledger(tmp_path / "fast.db")
    assert jdb.schema_status(engine)[0] == ledger_schema_sqlite.REVISION
    engine.dispose()
    made, expected = _contents(tmp_path / "fast.db"), _contents(tmp_path / "alembic.db")
    assert made["pragmas"] == expected["pragmas"]
    assert made["rows"] == expected["rows"]
    assert made["master"] == expected["master"]


def test_the_statements_are_this_codes_migrations():
    # fails when a migration was added or changed without regenerating the statements
    head, stmts = ledger_schema.generate()
    stale = "journal/ledger_schema_sqlite.py is stale: run python -m journal.ledger_schema"
    assert head == ledger_schema_sqlite.REVISION, stale
    assert list(map(_norm, stmts)) == list(map(_norm, ledger_schema_sqlite.STATEMENTS)), stale


def test_statements_at_another_revision_are_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(ledger_schema_sqlite, "REVISION", "0005_corporate_actions")
    calls = []
    real = jdb.upgrade
    monkeypatch.setattr(jdb, "upgrade", lambda e, **kw: calls.append(e) or real(e, **kw))
    engine = jdb.open_ledger(tmp_path / "l.db")
    assert calls and jdb.schema_status(engine)[0] in jdb.script_heads()
    engine.dispose()


def test_a_file_holding_something_goes_through_alembic(tmp_path, monkeypatch):
    path = tmp_path / "l.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE note (x)")
    con.close()
    engine = jdb.engine_for(f"sqlite:///{path}", create=True)
    assert ledger_schema.create(engine, jdb.script_heads()) is False
    assert _contents(path)["master"][0][1] == "note"
    engine.dispose()


def test_postgresql_goes_through_alembic(backend):
    kind, target = backend
    engine = jdb.make_engine(target)
    assert ledger_schema.create(engine, jdb.script_heads()) is (kind == "sqlite")
    engine.dispose()
