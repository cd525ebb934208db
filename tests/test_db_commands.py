"""`journal db check|upgrade|backup`, the backup before an upgrade, and a newer schema.

An "older" database needs a newer migration than the ones shipped, so the upgrade tests
run against a copy of migrations/ with one extra revision on top of the real head.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from journal import db as jdb

from conftest import PG_URL, SAMPLES, pg_database

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
EXTRA_REV = "9999_test_extra"


def _newer_migrations(tmp_path: Path, head: str) -> Path:
    """A copy of the shipped migrations with one more revision on top of ``head``."""
    dst = tmp_path / "migrations"
    shutil.copytree(jdb.migrations_dir(), dst, ignore=shutil.ignore_patterns("__pycache__"))
    (dst / "versions" / f"{EXTRA_REV}.py").write_text(
        '"""Test-only revision."""\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {EXTRA_REV!r}\ndown_revision = {head!r}\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n"
        "    op.create_table('zz_test_extra', sa.Column('id', sa.Integer, primary_key=True))\n\n\n"
        "def downgrade():\n    op.drop_table('zz_test_extra')\n")
    return dst


def _ledger_with_samples(run, db_path) -> None:
    res = run("import", MAIN)
    assert res.exit_code == 0, res.output
    jdb._checked.clear()


def _rows(path, table="execution") -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def _revision(path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()


def test_check_reports_missing_empty_and_current(run, db_path):
    res = run("db", "check")
    assert res.exit_code == 1 and "no ledger at" in res.output
    assert not Path(db_path).exists(), "check must not create the ledger"

    sqlite3.connect(db_path).close()  # an empty file: no schema yet
    res = run("db", "check")
    assert res.exit_code == 1
    assert "(empty)" in res.output and "db upgrade" in res.output

    res = run("db", "upgrade")
    assert res.exit_code == 0 and "up to date" in res.output
    assert "backup" not in res.output  # nothing to back up in a new ledger
    _ledger_with_samples(run, db_path)
    res = run("db", "check")
    assert res.exit_code == 0, res.output
    assert re.search(r"^  execution: 17$", res.output, re.M)
    assert res.output.rstrip().endswith("ok")


def test_backup_before_upgrade_and_refusal_of_unknown(run, db_path, tmp_path, monkeypatch):
    """Run in two phases: shipped code creates and fills the ledger; newer code upgrades."""
    _ledger_with_samples(run, db_path)
    old_head = _revision(db_path)

    # Keep a reader open so the import's pages stay in the -wal file: a plain file copy
    # of ledger.db would miss them, the sqlite3 backup API must not.
    keeper = sqlite3.connect(db_path)
    keeper.execute("SELECT COUNT(*) FROM execution").fetchone()
    res = run("import", SAMPLES / "wheel_2025_multi.xml")
    assert res.exit_code == 0
    assert Path(db_path + "-wal").stat().st_size > 0

    # Newer code: one more migration.
    src = jdb.migrations_dir()
    dst = _newer_migrations(tmp_path, old_head)
    monkeypatch.setattr(jdb, "migrations_dir", lambda: dst)
    jdb._checked.clear()

    res = run("db", "check")
    assert res.exit_code == 1 and "older than this program" in res.output

    started = datetime.now().replace(microsecond=0)
    res = run("db", "upgrade")
    keeper.close()
    assert res.exit_code == 0, res.output
    m = re.search(r"backup written to (\S+)", res.output)
    assert m, res.output
    backup = Path(m[1])
    assert backup.parent == Path(db_path).parent
    stamp = re.fullmatch(rf"ledger\.db\.bak-{re.escape(old_head)}-(\d{{8}}-\d{{6}})(-\d+)?",
                         backup.name)
    assert stamp, backup.name
    assert started <= datetime.strptime(stamp[1], "%Y%m%d-%H%M%S") <= datetime.now()

    # The backup is the database as it was: old revision, all 26 executions (17 of them
    # only in the -wal file when it was taken), and sound.
    assert _revision(backup) == old_head
    assert _rows(backup) == 26
    con = sqlite3.connect(backup)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    # The ledger itself moved on.
    assert _revision(db_path) == EXTRA_REV
    assert _rows(db_path, "zz_test_extra") == 0
    assert _rows(db_path) == 26

    res = run("db", "upgrade")
    assert res.exit_code == 0 and "backup" not in res.output  # already current: no backup

    # Back to the shipped code: the ledger is now newer than the program.
    monkeypatch.setattr(jdb, "migrations_dir", lambda: src)
    jdb._checked.clear()
    backups_before = sorted(Path(db_path).parent.glob("ledger.db.bak-*"))
    for args in (("db", "check"), ("db", "upgrade"), ("trades",), ("import", MAIN)):
        res = run(*args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        assert "newer csp-journal" in res.output, (args, res.output)
        assert EXTRA_REV in res.output
    assert _revision(db_path) == EXTRA_REV  # refused, not touched
    assert sorted(Path(db_path).parent.glob("ledger.db.bak-*")) == backups_before


def test_backup_command_copies_consistently_and_never_overwrites(run, db_path):
    _ledger_with_samples(run, db_path)
    paths = []
    for _ in range(3):  # within one second: names must still differ
        res = run("db", "backup")
        assert res.exit_code == 0, res.output
        paths.append(Path(re.search(r"backup written to (\S+)", res.output)[1]))
    assert len(set(paths)) == 3
    for p in paths:
        assert re.fullmatch(r"ledger\.db\.bak-manual-\d{8}-\d{6}(-\d+)?", p.name), p.name
        assert _rows(p) == 17 and _revision(p) == _revision(db_path)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="JOURNAL_TEST_PG_URL not set (.ci/run sets it)")
def test_postgres_check_upgrade_and_backup(run):
    with pg_database() as url:
        res = run("db", "check", db=url)
        assert res.exit_code == 1 and "(empty)" in res.output
        res = run("db", "upgrade", db=url)
        assert res.exit_code == 0 and "up to date" in res.output and "backup" not in res.output
        res = run("db", "check", db=url)
        assert res.exit_code == 0 and res.output.rstrip().endswith("ok")
        res = run("db", "backup", db=url)
        assert res.exit_code == 1 and "pg_dump" in res.output


def test_opening_waits_for_a_lock_held_while_the_database_switches_to_wal(tmp_path):
    # A second process opening a brand-new ledger while the first still writes it in
    # rollback-journal mode must wait: SQLite can answer the switch into WAL mode with
    # "database is locked" without honouring the busy timeout (this once failed the
    # concurrency test).
    import threading

    path = tmp_path / "ledger.db"
    holder = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    engine = jdb.make_engine(str(path))
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    finally:
        release.join()
        engine.dispose()
        holder.close()
    assert mode == "wal"


def test_a_backup_that_fails_leaves_nothing_behind(run, db_path, monkeypatch):
    """Issue 15 item 9: an interrupted backup must never look like a good one."""
    _ledger_with_samples(run, db_path)

    class Full(sqlite3.Connection):
        def backup(self, target, **kw):
            target.execute("CREATE TABLE half (x)")  # something was written already
            raise sqlite3.OperationalError("database or disk is full")

    real_connect = sqlite3.connect
    monkeypatch.setattr(jdb.sqlite3, "connect",
                        lambda *a, **kw: real_connect(*a, factory=Full, **kw))
    res = run("db", "backup")
    assert res.exit_code == 1
    assert re.fullmatch(r"Error: cannot write the backup \S+ledger\.db\.bak-manual-[\d-]+: "
                        r"the disk is full — free some space and run the command again; "
                        r"nothing was changed\n", res.output), res.output
    assert sorted(p.name for p in Path(db_path).parent.iterdir()
                  if ".bak-" in p.name) == []


def test_check_names_the_leftover_of_an_interrupted_backup(run, db_path):
    _ledger_with_samples(run, db_path)
    leftover = Path(db_path + ".bak-manual-20260101-120000.part")
    leftover.write_bytes(b"\0" * 4096)  # as a `kill -9` during a backup leaves it
    res = run("db", "check")
    assert res.exit_code == 0, res.output
    assert f"note: {leftover} is what remains of an interrupted backup; delete it" in res.output
