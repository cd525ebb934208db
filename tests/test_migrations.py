"""Only Alembic creates tables, and the migrations describe exactly the models."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from journal import db as jdb
from journal import models
from journal.errors import SchemaError


def test_exactly_one_head():
    script = ScriptDirectory.from_config(jdb._alembic_config())
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(db_path):
    engine = jdb.open_ledger(db_path)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.metadata)
    assert diff == []


def test_new_database_is_brought_to_head(db_path):
    engine = jdb.open_ledger(db_path)
    current, heads = jdb.schema_status(engine)
    assert current in heads
    assert set(jdb.table_counts(engine)) >= {"execution", "account", "import_batch",
                                             "instrument", "option_event", "cash_transaction"}


def test_database_newer_than_code_is_refused(db_path):
    jdb.open_ledger(db_path)
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num='ffffffffffff'")
    con.commit()
    con.close()
    jdb._checked.clear()
    with pytest.raises(SchemaError, match="newer csp-journal"):
        jdb.open_ledger(db_path)


def test_newer_database_gives_a_one_line_cli_error(run, db_path):
    run("db", "upgrade")  # read commands no longer create a ledger
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num='ffffffffffff'")
    con.commit()
    con.close()
    jdb._checked.clear()
    res = run("accounts")
    assert res.exit_code == 1
    assert "ffffffffffff" in res.stderr and len(res.stderr.strip().splitlines()) == 1
