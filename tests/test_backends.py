"""The ledger on both backends: SQLite always, PostgreSQL when JOURNAL_TEST_PG_URL is set.

`.ci/run` starts a throwaway PostgreSQL cluster and sets JOURNAL_TEST_PG_URL, so in CI
every test here runs twice. Each PostgreSQL test gets a database of its own, dropped
afterwards (the `backend` fixture in conftest.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from journal import db as jdb
from journal import models, queries
from journal.imports import import_file

from conftest import SAMPLES
from ledger_helpers import cli_json, snapshot, write_statement

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


#### tests ####


def test_migrations_create_every_model_table_at_head(backend):
    _name, target = backend
    engine = jdb.open_ledger(target)
    try:
        current, heads = jdb.schema_status(engine)
        assert current in heads
        with engine.connect() as conn:
            tables = set(conn.dialect.get_table_names(conn))
        assert {t.name for t in models.metadata.sorted_tables} <= tables
    finally:
        engine.dispose()


def test_import_and_listing_identical_to_sqlite(backend, run, tmp_path):
    """The acceptance check of the PostgreSQL backend: same CLI, same JSON, byte for byte."""
    _name, target = backend
    ref_db = str(tmp_path / "reference.db")
    imported = cli_json(run, "import", SAMPLES, db=target)  # every sample, any format
    assert {f["status"] for f in imported} == {"imported"}
    by_name = {Path(f["file"]).name: f["new_executions"] for f in imported}
    assert by_name["wheel_2025_U7654321.xml"] == 17 and by_name["wheel_2025_multi.xml"] == 9
    reference_import = cli_json(run, "import", SAMPLES, db=ref_db)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "file"} for r in rows]  # noqa: E731
    assert strip(imported) == strip(reference_import)

    for args in (("trades",), ("trades", "--all"), ("accounts",),
                 ("trades", "--symbol", "MSFT", "--from", "2025-10-01", "--to", "2025-12-31")):
        got = run(*args, "--format", "json", db=target)
        want = run(*args, "--format", "json", db=ref_db)
        assert got.exit_code == 0 and want.exit_code == 0, got.output + want.output
        assert got.output == want.output, args
    trades = json.loads(run("trades", "--format", "json", db=target).output)
    assert len(trades) >= 26
    assert sum(Decimal(t["net_cash"]) for t in trades) == sum(
        Decimal(t["net_cash"]) for t in json.loads(
            run("trades", "--format", "json", db=ref_db).output))


def test_values_come_back_typed_and_exact(backend):
    _name, target = backend
    engine = jdb.open_ledger(target)
    try:
        assert import_file(engine, MAIN).status == "imported"
        rows = queries.trades(engine)
        assert all(isinstance(r["trade_date"], date) and not isinstance(r["trade_date"], datetime)
                   for r in rows)
        assert all(isinstance(r["date_time"], datetime) and r["date_time"].tzinfo is None
                   for r in rows)
        msft = [r for r in rows if r["transaction_id"] == "3612409871"]
        assert len(msft) == 1
        assert msft[0]["net_cash"] == Decimal("208.35")
        assert msft[0]["date_time"] == datetime(2025, 10, 21, 10, 31, 7)
        aapl = [r for r in rows if r["transaction_id"] == "3512877104"][0]
        assert str(aapl["commission"]) == "-1.04755"  # exact text, no float on the way
    finally:
        engine.dispose()


def test_reimport_counts_duplicates_not_new_rows(backend, run):
    """The executemany rowcount must report inserted rows only (psycopg 3 and sqlite3)."""
    _name, target = backend
    cli_json(run, "import", MAIN, db=target)
    before = snapshot(target)
    again = cli_json(run, "import", "--force", MAIN, db=target)[0]
    assert again["status"] == "imported"
    assert again["new_executions"] == 0
    assert again["duplicates_skipped"] == 17
    assert again["option_events"] == 0 and again["cash_transactions"] == 0
    after = snapshot(target)
    assert {k: v for k, v in after[0].items() if k != "import_batch"} == \
        {k: v for k, v in before[0].items() if k != "import_batch"}
    assert after[0]["import_batch"] == before[0]["import_batch"] + 1


def test_overlapping_statements_add_only_the_new_rows(backend, tmp_path):
    _name, target = backend
    a = write_statement(tmp_path / "a.xml", range(0, 300))
    b = write_statement(tmp_path / "b.xml", range(200, 450))
    engine = jdb.open_ledger(target)
    try:
        ra, rb = import_file(engine, a), import_file(engine, b)
        assert (ra.result.new_executions, ra.result.duplicate_executions) == (300, 0)
        assert (rb.result.new_executions, rb.result.duplicate_executions) == (150, 100)
        with engine.connect() as conn:
            n, distinct = conn.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT transaction_id) FROM execution")).one()
        assert n == distinct == 450
    finally:
        engine.dispose()


def test_failed_file_leaves_ledger_untouched(backend, tmp_path):
    _name, target = backend
    engine = jdb.open_ledger(target)
    try:
        assert import_file(engine, MULTI).status == "imported"
        before = snapshot(target)
        broken = tmp_path / "broken.xml"
        big = write_statement(tmp_path / "big.xml", range(0, 5000)).read_bytes()
        broken.write_bytes(big[: len(big) * 3 // 4])  # truncated after ~3700 good rows
        fr = import_file(engine, broken)
        assert fr.status == "failed"
        assert "broken.xml" in fr.error and "truncated" in fr.error
        assert snapshot(target) == before
    finally:
        engine.dispose()


def test_newer_schema_refused_on_both_backends(backend, run):
    _name, target = backend
    engine = jdb.open_ledger(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    finally:
        engine.dispose()
    jdb._checked.clear()  # the process-wide "already checked" memo would skip the check
    res = run("trades", db=target)
    assert res.exit_code == 1
    assert "ffff_from_the_future" in res.output and "newer" in res.output
    assert "Traceback" not in res.output
