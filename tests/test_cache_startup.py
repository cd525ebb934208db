"""A report answered from the cache starts light: the schema check needs no Alembic, and
nothing on the way imports the table models, SQLModel, Alembic or openpyxl."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from journal import db as jdb
from journal.imports import import_file

from conftest import ROOT, SAMPLES

HEAVY = ("alembic", "sqlmodel", "journal.models", "journal.readmodel", "openpyxl", "pandas")


def test_the_heads_read_from_the_scripts_are_alembics():
    script = ScriptDirectory.from_config(jdb._alembic_config())
    assert jdb._heads_from_text(jdb.migrations_dir()) == tuple(sorted(script.get_heads()))
    assert jdb.script_heads() == tuple(sorted(script.get_heads()))


def test_the_current_revision_is_alembics(backend):
    _name, target = backend
    engine = jdb.make_engine(target)
    assert jdb.schema_status(engine)[0] is None  # empty database
    jdb.open_ledger(target)
    with engine.connect() as conn:
        want = MigrationContext.configure(conn).get_current_revision()
    assert jdb.schema_status(engine) == (want, jdb.script_heads()) and want is not None
    engine.dispose()


@pytest.mark.parametrize("args", [
    ("tax", "2025", "--summary"), ("summary", "--monthly"), ("review",), ("lots",),
    ("status", "--as-of", "2025-12-01")], ids=" ".join)
def test_a_warm_report_imports_nothing_heavy(db_path, args):
    runs, (cold, warm) = _twice(db_path, args, HEAVY)
    assert "journal.readmodel" in cold  # the first run computes (and stores) the result
    assert warm == [], f"a cache hit imported {warm}"
    assert runs[1].stdout == runs[0].stdout


SQLALCHEMY = ("sqlalchemy", "sqlmodel", "alembic")


@pytest.mark.parametrize("args", [
    ("tax", "2025", "--summary"), ("tax", "2025"), ("summary", "--monthly"), ("review",),
    ("lots",), ("positions",), ("realized",), ("flags",), ("cycles",), ("trades",),
    ("actions",), ("transfers",), ("status", "--as-of", "2025-12-01")], ids=" ".join)
def test_a_report_imports_no_sqlalchemy(backend, args):
    """Cold (the cache computed and written) and warm (read from it), a report on a
    ledger at this code's schema reads through sqlite3 or psycopg alone (journal.dbconn)."""
    _name, db_path = backend
    runs, (cold, warm) = _twice(db_path, args, SQLALCHEMY)
    assert cold == [] and warm == [], (cold, warm)
    assert runs[0].stdout and runs[1].stdout == runs[0].stdout


def test_the_direct_schema_check_is_the_engines(backend):
    from journal.dbconn import Ledger
    from journal.errors import NoLedger

    name, target = backend
    engine = jdb.make_engine(target)
    if name == "postgresql":  # an empty database: refused as open_ledger refuses it
        with pytest.raises(NoLedger):
            jdb.open_reader(target)
    jdb.open_ledger(target)
    reader = jdb.open_reader(target)
    assert isinstance(reader, Ledger) and reader.backend == name
    assert jdb.schema_status(reader) == jdb.schema_status(engine)
    assert jdb.schema_status(reader)[0] is not None
    with engine.begin() as conn:  # an empty version table: no revision, as Alembic says
        conn.exec_driver_sql("DELETE FROM alembic_version")
    assert jdb.schema_status(reader) == jdb.schema_status(engine) == (None, jdb.script_heads())
    reader.dispose()
    engine.dispose()


def _twice(db_path, args: tuple, names: tuple) -> tuple[list, tuple[list, list]]:
    """Import a sample into ``db_path``, then run the report ``args`` in two fresh
    processes (cold: computed and kept; warm: read from the cache); returns both runs and
    the modules of ``names`` each one loaded."""
    engine = jdb.open_ledger(db_path)
    import_file(engine, SAMPLES / "wheel_2025_U7654321.xml")
    engine.dispose()
    code = (
        "import json, sys\n"
        "from journal.cli import main\n"
        "try:\n"
        f"    main(['--db', {db_path!r}, *{args!r}, '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {names!r} "
        f"or m in {names!r})), file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                           capture_output=True, check=True) for _ in range(2)]
    cold, warm = (json.loads(r.stderr.strip().splitlines()[-1]) for r in runs)
    return runs, (cold, warm)
