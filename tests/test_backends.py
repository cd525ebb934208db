"""The ledger on both backends: SQLite always, PostgreSQL when JOURNAL_TEST_PG_URL is set.

`.ci/run` starts a throwaway PostgreSQL cluster and sets JOURNAL_TEST_PG_URL, so in CI
every test here runs twice. Each PostgreSQL test gets a database of its own, dropped
afterwards. The helpers at the top are shared with test_concurrency, test_crash and
test_db_commands.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from journal import db as jdb
from journal import models, queries
from journal.imports import import_file

from conftest import SAMPLES

PG_URL = os.environ.get("JOURNAL_TEST_PG_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not PG_URL, reason="JOURNAL_TEST_PG_URL not set (.ci/run sets it)"),
    ]),
]
MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


#### shared helpers ####


@contextmanager
def pg_database():
    """A brand-new PostgreSQL database on the test server; yields its URL, then drops it."""
    base = make_url(PG_URL)
    name = f"jt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """(backend name, --db target) for a fresh, empty ledger."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "ledger.db")
    else:
        with pg_database() as url:
            yield "postgresql", url


def snapshot(target) -> tuple[dict, str]:
    """Row counts of every ledger table and one hash over all their contents, so "exactly
    as before" can be checked after a crash or a refused file."""
    engine = jdb.make_engine(target)
    counts, h = {}, hashlib.sha256()
    try:
        with engine.connect() as conn:
            existing = set(conn.dialect.get_table_names(conn))
            for table in models.metadata.sorted_tables:
                if table.name not in existing:
                    counts[table.name] = None
                    continue
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                counts[table.name] = len(rows)
                h.update(table.name.encode())
                for row in rows:
                    h.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return counts, h.hexdigest()


_TRADE_TEMPLATE = (
    '<Trade accountId="{acct}" acctAlias="" model="" currency="USD" fxRateToBase="1" '
    'assetCategory="OPT" subCategory="P" symbol="SPY   260220P00{strike}000" '
    'description="SPY 20FEB26 {strike} P" conid="{conid}" securityID="" securityIDType="" '
    'cusip="" isin="" listingExchange="CBOE" underlyingConid="756733" underlyingSymbol="SPY" '
    'underlyingSecurityID="US78462F1030" underlyingListingExchange="ARCA" issuer="" '
    'multiplier="100" strike="{strike}" expiry="20260220" tradeID="{trade_id}" putCall="P" '
    'reportDate="{day}" principalAdjustFactor="" dateTime="{day};{hms}" tradeDate="{day}" '
    'settleDateTarget="{day}" transactionType="ExchTrade" exchange="CBOE" quantity="{qty}" '
    'tradePrice="{price}" tradeMoney="{money}" proceeds="{proceeds}" taxes="0" '
    'ibCommission="-1.05" ibCommissionCurrency="USD" netCash="{net}" closePrice="5.02" '
    'openCloseIndicator="O" notes="" cost="0" fifoPnlRealized="0" fxPnl="0" mtmPnl="0" '
    'origTradePrice="0" origTradeDate="" origTradeID="" origOrderID="0" clearingFirmID="" '
    'transactionID="{txid}" buySell="{side}" ibOrderID="{order_id}" ibExecID="x.{txid}.01" '
    'brokerageOrderID="" orderReference="" volatilityOrderLink="" exchOrderId="N/A" '
    'extExecID="N/A" orderTime="" openDateTime="" holdingPeriodDateTime="" whenRealized="" '
    'whenReopened="" levelOfDetail="EXECUTION" changeInPrice="0" changeInQuantity="0" '
    'orderType="LMT" traderID="" isAPIOrder="N" accruedInt="0" serialNumber="" '
    'deliveryType="" commodityType="" fineness="0.0" weight="0.0" positionActionID="" '
    'origTransactionID="0" relatedTradeID="" relatedTransactionID="" />'
)


def write_statement(path: Path, tx_range: range, account: str = "U9000001") -> Path:
    """A synthetic Flex statement with one ExchTrade per number in ``tx_range``; the
    number is the transactionID, so two ranges that overlap share exactly those trades."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<FlexQueryResponse queryName="generated" type="AF">\n'
                 '  <FlexStatements count="1">\n'
                 f'    <FlexStatement accountId="{account}" fromDate="20250102" '
                 'toDate="20251231" period="" whenGenerated="20260102;080000">\n'
                 '      <Trades>\n')
        for n in tx_range:
            qty = -1 - n % 3
            price = Decimal(100 + n % 400) / 100
            money = qty * price * 100
            day = f"2025{1 + n % 12:02d}{1 + n % 28:02d}"
            hms = f"{9 + n % 7:02d}{n % 60:02d}{(n // 60) % 60:02d}"
            strike = 400 + n % 50
            fh.write("        " + _TRADE_TEMPLATE.format(
                acct=account, strike=strike, conid=800000000 + strike, trade_id=7000000000 + n,
                day=day, hms=hms, qty=qty, price=price, money=money, proceeds=-money,
                net=-money - Decimal("1.05"), txid=3000000000 + n, side="SELL",
                order_id=5000000000 + n) + "\n")
        fh.write("      </Trades>\n    </FlexStatement>\n  </FlexStatements>\n"
                 "</FlexQueryResponse>\n")
    return path


def cli_json(run, *args, db):
    res = run(*args, "--format", "json", db=db)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


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
