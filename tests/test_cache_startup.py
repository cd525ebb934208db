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
    engine = jdb.open_ledger(db_path)
    import_file(engine, SAMPLES / "wheel_2025_U7654321.xml")
    engine.dispose()
    code = (
        "import json, sys\n"
        "from journal.cli import main\n"
        "try:\n"
        f"    main(['--db', {db_path!r}, *{args!r}, '--format', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} "
        f"or m in {HEAVY!r})), file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, text=True,
                           capture_output=True, check=True) for _ in range(2)]
    cold, warm = (json.loads(r.stderr.strip().splitlines()[-1]) for r in runs)
    assert "journal.readmodel" in cold  # the first run computes (and stores) the result
    assert warm == [], f"a cache hit imported {warm}"
    assert runs[1].stdout == runs[0].stdout
