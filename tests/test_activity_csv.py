"""Activity Statement CSV importer, and its dedup against Flex XML of the same trades."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from journal import models
from journal.db import open_ledger
from journal.errors import StatementError
from journal.events import CashRow, ClosedLotRow, OptionEAERow, ParseSummary, TradeRow
from journal.importers import activity_csv, identify
from journal.importers.activity_csv import parse, parse_option_symbol

from conftest import FIXTURES, PUBLIC, SAMPLES

WHEEL_XML = SAMPLES / "wheel_2025_U7654321.xml"
WHEEL_CSV = SAMPLES / "wheel_2025_U7654321_activity.csv"
PAIRS = FIXTURES / "activity_csv"


def events(path):
    evs = list(parse(path))
    assert isinstance(evs[-1], ParseSummary)
    return evs


def trades_json(run, *extra):
    res = run("trades", "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def import_ok(run, *paths):
    res = run("import", "--format", "json", *paths)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


# -- identification ------------------------------------------------------------------------

@pytest.mark.parametrize("head,expect", [
    (b"Statement,Header,Field Name,Field Value\r\n", True),
    (b"\xef\xbb\xbfStatement,Header,Field Name,Field Value\n", True),
    (b"Trades,Header,DataDiscriminator,Asset Category\n", True),
    (b"<FlexQueryResponse>", False),
    (b"hello, world\n", False),
    (b"Trades,Data,Trade,Stocks\n", False),
])
def test_identify(head, expect):
    assert activity_csv.identify(head) is expect


def test_import_picks_the_csv_importer(tmp_path):
    assert identify(WHEEL_CSV).name == "activity-csv"
    assert identify(WHEEL_XML).name == "flex-xml"
    other = tmp_path / "x.csv"
    other.write_text("Date,Amount\n2025-01-01,3\n")
    with pytest.raises(StatementError, match="Activity Statement CSV"):
        identify(other)


# -- parsing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("symbol,expect", [
    ("MSFT 21NOV25 410 P", ("MSFT", "2025-11-21", "410", "P")),
    ("CLOV 16JUL21 20.0 C", ("CLOV", "2021-07-16", "20", "C")),
    ("AAPL 28MAR25 222.5 C", ("AAPL", "2025-03-28", "222.5", "C")),
    ("V     200821C00207500", ("V", "2020-08-21", "207.5", "C")),
    ("BRK B 17JAN25 450 P", ("BRK B", "2025-01-17", "450", "P")),
    ("MSFT", None),
    ("MSFT 41NOV25 410 P", None),
])
def test_option_symbols(symbol, expect):
    got = parse_option_symbol(symbol)
    if expect is None:
        assert got is None
    else:
        und, expiry, strike, pc = got
        assert (und, expiry.isoformat(), format(strike, "f"), pc) == expect


def test_wheel_csv_counts_and_fields():
    evs = events(WHEEL_CSV)
    summary = evs[-1]
    assert summary.format == "activity-csv"
    assert summary.warnings == ()
    c = summary.counts
    assert (c["trades"], c["skipped_Order"], c["closed_lots"]) == (17, 16, 7)
    # a ClosedLot names the lot its Trade row relieved by the opening date
    lots = [e for e in evs if isinstance(e, ClosedLotRow)]
    msft_lot = next(x for x in lots if x.symbol == "MSFT")
    assert (msft_lot.open_date_time.date().isoformat(), msft_lot.trade_date.isoformat(),
            msft_lot.quantity, msft_lot.cost, msft_lot.open_transaction_id) == (
        "2025-11-21", "2025-12-19", Decimal(100), Decimal("40791.65"), None)
    assert (c["option_events"], c["cash_transactions"], c["skipped_stray_lines"]) == (6, 4, 1)
    trades = [e for e in evs if isinstance(e, TradeRow)]
    assert all(t.account_id == "U7654321" and t.transaction_id.startswith("csv:") for t in trades)
    assert len({t.transaction_id for t in trades}) == 17
    # quoted thousands on the assigned stock leg, codes split into open/close and notes
    msft = next(t for t in trades if t.symbol == "MSFT" and t.quantity == 100)
    assert (msft.proceeds, msft.cost, msft.notes, msft.open_close, msft.transaction_type) == (
        Decimal("-41000"), Decimal("41000"), "A", "O", "BookTrade")
    put = next(t for t in trades if t.description == "MSFT 21NOV25 410 P" and t.quantity < 0)
    # Financial Instrument Information gives the OCC symbol and the conid, as in Flex
    assert (put.symbol, put.conid, put.multiplier, put.strike, put.put_call) == (
        "MSFT  251121P00410000", "802611847", Decimal(100), Decimal(410), "P")
    assert put.expiry.isoformat() == "2025-11-21" and put.underlying_symbol == "MSFT"
    aapl = [t for t in trades if t.underlying_symbol == "AAPL" and t.quantity == -1]
    assert [t.notes for t in aapl] == ["P", "P"] and [t.raw["Exchange"] for t in aapl] == ["CBOE", "PHLX"]
    cash = {e.type: e.amount for e in evs if isinstance(e, CashRow)}
    assert cash == {"Dividends": Decimal(51), "Withholding Tax": Decimal("-7.65"),
                    "Broker Interest Received": Decimal("42.17"), "Other Fees": Decimal("-1.5")}
    eae = [e.transaction_type for e in evs if isinstance(e, OptionEAERow)]
    assert sorted(eae) == ["Assignment", "Assignment", "Buy", "Expiration", "Expiration", "Sell"]


def test_keys_are_stable_and_identical_rows_get_ordinals(tmp_path):
    text = WHEEL_CSV.read_text(encoding="utf-8-sig")
    fill = next(line for line in text.splitlines() if line.startswith("Trades,Data,Trade,Stocks"))
    doubled = tmp_path / "doubled.csv"
    doubled.write_text(text.replace(fill, fill + "\n" + fill, 1), encoding="utf-8")
    ids = [e.transaction_id for e in events(doubled) if isinstance(e, TradeRow)]
    assert len(ids) == 18 and len(set(ids)) == 18
    first = [e.transaction_id for e in events(WHEEL_CSV) if isinstance(e, TradeRow)]
    assert set(first) < set(ids)


@pytest.mark.parametrize("change,expect", [
    (("Trades,Data,Trade,Stocks,USD,KO,\"2025-02-03, 09:48:21\",NYSE,100,62.4,",
      "Trades,Data,Trade,Stocks,USD,KO,\"2025-02-03, 09:48:21\",NYSE,100,62.4x,"),
     "[Trades] not a number"),
    (("Trades,Data,Trade,Stocks,USD,KO,\"2025-02-03, 09:48:21\"",
      "Trades,Data,Trade,Stocks,USD,KO,\"2025-02-31, 09:48:21\""), "[Trades] not a valid date"),
    (("Dividends,Data,USD,2025-04-01,", "Dividends,Data,USD,2025-04-01,x,"),
     "[Dividends] row has 5 fields"),
])
def test_errors_name_file_line_and_section(tmp_path, change, expect):
    text = WHEEL_CSV.read_text(encoding="utf-8-sig")
    assert change[0] in text
    text = text.replace(change[0], change[1], 1)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if change[1] in l)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(StatementError) as err:
        list(parse(bad))
    msg = str(err.value)
    assert msg.startswith(f"{bad}:{line}: ") and expect in msg and "\n" not in msg


def test_data_row_without_header_is_an_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Statement,Header,Field Name,Field Value\nTrades,Data,Trade,Stocks,USD\n")
    with pytest.raises(StatementError, match=r"bad\.csv:2: \[Trades\] Data row before"):
        list(parse(bad))


def test_cli_import_of_a_broken_csv_leaves_ledger_untouched(run, tmp_path):
    text = WHEEL_CSV.read_text(encoding="utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(text.replace("Fees,Data,Other Fees,USD,2025-12-03",
                                "Fees,Data,Other Fees,USD,2025-13-03"), encoding="utf-8")
    res = run("import", bad)
    assert res.exit_code == 1 and "[Fees]" in res.output
    # the first import stored nothing, so no (empty) ledger is left behind
    assert "no ledger at" in run("trades").stderr


# -- CSV alone equals Flex alone ---------------------------------------------------------------

def _strip_ids(rows):
    return [{k: v for k, v in r.items() if k != "transaction_id"} for r in rows]


def test_csv_alone_gives_the_same_trades_as_flex_alone(run, tmp_path):
    flex_db, csv_db = str(tmp_path / "f.db"), str(tmp_path / "c.db")
    assert run("import", WHEEL_XML, db=flex_db).exit_code == 0
    assert run("import", WHEEL_CSV, db=csv_db).exit_code == 0
    flex = json.loads(run("trades", "--format", "json", db=flex_db).output)
    csv_rows = json.loads(run("trades", "--format", "json", db=csv_db).output)
    assert len(flex) == 17
    assert _strip_ids(csv_rows) == _strip_ids(flex)


# -- dedup across formats -----------------------------------------------------------------------

@pytest.mark.parametrize("order", ["flex-first", "csv-first"])
def test_flex_plus_csv_equals_flex_alone(run, tmp_path, order):
    alone = str(tmp_path / "alone.db")
    assert run("import", WHEEL_XML, db=alone).exit_code == 0
    expected = json.loads(run("trades", "--format", "json", db=alone).output)
    expected_accounts = json.loads(run("accounts", "--format", "json", db=alone).output)

    files = [WHEEL_XML, WHEEL_CSV] if order == "flex-first" else [WHEEL_CSV, WHEEL_XML]
    for f in files:
        import_ok(run, f)
    assert trades_json(run) == expected
    accounts = json.loads(run("accounts", "--format", "json").output)
    for a in accounts + expected_accounts:
        a.pop("imports")
    assert accounts == expected_accounts

    # every CSV fill is still in the ledger, marked as the duplicate of a Flex fill
    dups = [r for r in trades_json(run, "--all") if r["status"] == "duplicate"]
    assert len(dups) == 17 and all(r["transaction_id"].startswith("csv:") for r in dups)


def test_key_prefix_is_shared_with_the_ledger():
    from journal import ledger

    assert activity_csv.KEY_PREFIX == ledger.CSV_KEY_PREFIX


def test_dedup_on_every_backend(run, backend):
    _name, target = backend
    assert run("import", WHEEL_XML, db=target).exit_code == 0
    expected = json.loads(run("trades", "--format", "json", db=target).output)
    assert run("import", WHEEL_CSV, WHEEL_XML, PAIRS / "long_put_exercise.csv",
               db=target).exit_code == 0
    rows = json.loads(run("trades", "--format", "json", db=target).output)
    assert [r for r in rows if r["account"] == "U7654321"] == expected
    assert sum(1 for r in rows if r["account"] == "U7654398") == 4
    all_rows = json.loads(run("trades", "--all", "--format", "json", db=target).output)
    assert sum(1 for r in all_rows if r["status"] == "duplicate") == 17


def test_linking_details_in_the_ledger(run, db_path):
    out = import_ok(run, WHEEL_XML, WHEEL_CSV)
    assert out[1]["new_executions"] == 0 and out[1]["duplicates_skipped"] == 17
    assert out[1]["cash_transactions"] == 0 and out[1]["option_events"] == 0
    engine = open_ledger(db_path)
    ex = models.Execution.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(ex.c.origin, ex.c.status, ex.c.transaction_id,
                                   ex.c.replaced_by)).all()
        n_cash = conn.execute(select(models.CashTransaction.__table__.c.id)).all()
        n_eae = conn.execute(select(models.OptionEvent.__table__.c.id)).all()
    flex = {r.transaction_id for r in rows if r.origin == "flex"}
    csv_rows = [r for r in rows if r.origin == "csv"]
    assert len(flex) == 17 and len(csv_rows) == 17
    assert all(r.status == "duplicate" for r in csv_rows)
    assert {r.replaced_by for r in csv_rows} == flex  # one to one, each to a Flex fill
    assert len(n_cash) == 4 and len(n_eae) == 6


def test_overlapping_csvs_add_nothing(run, tmp_path):
    # A second statement that covers part of the same period (different bytes, same rows).
    text = WHEEL_CSV.read_text(encoding="utf-8-sig")
    part = tmp_path / "q4.csv"
    kept = [line for line in text.splitlines()
            if not line.startswith("Trades,Data,Trade,Stocks,USD,KO")]
    part.write_text("\n".join(kept).replace("January 2, 2025", "October 1, 2025") + "\n",
                    encoding="utf-8")
    first = import_ok(run, WHEEL_CSV)
    assert first[0]["new_executions"] == 17 and first[0]["cash_transactions"] == 4
    second = import_ok(run, part)
    assert second[0]["new_executions"] == 0 and second[0]["duplicates_skipped"] == 16
    assert second[0]["cash_transactions"] == 0
    assert len(trades_json(run)) == 17


def test_identical_fills_pair_one_to_one(run, tmp_path):
    """Two identical fills in the CSV against one in Flex: one CSV row stays active."""
    text = WHEEL_CSV.read_text(encoding="utf-8-sig")
    fill = next(line for line in text.splitlines() if line.startswith("Trades,Data,Trade,Stocks"))
    doubled = tmp_path / "doubled.csv"
    doubled.write_text(text.replace(fill, fill + "\n" + fill, 1), encoding="utf-8")
    import_ok(run, doubled, WHEEL_XML)
    rows = trades_json(run)
    assert len(rows) == 18
    assert sum(1 for r in rows if r["transaction_id"].startswith("csv:")) == 1


# -- synthetic assignment / exercise pairs: CSV and Flex give the same ledger -------------------

COMPARED = ("account_id", "asset_category", "underlying_symbol", "put_call", "strike", "expiry",
            "multiplier", "currency", "fx_rate_to_base", "trade_date", "date_time", "buy_sell",
            "open_close", "quantity", "trade_price", "proceeds", "commission",
            "net_cash", "cost", "fifo_pnl_realized", "close_price", "notes", "transaction_type",
            "status")


def _executions(db):
    engine = open_ledger(db)
    ex = models.Execution.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(*[ex.c[c] for c in COMPARED])
                            .order_by(ex.c.date_time, ex.c.asset_category)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _option_events(db):
    engine = open_ledger(db)
    oe = models.OptionEvent.__table__
    cols = ("account_id", "transaction_type", "event_date", "underlying_symbol", "put_call",
            "strike", "expiry", "quantity", "trade_price", "proceeds", "cost_basis",
            "realized_pnl")
    with engine.connect() as conn:
        rows = conn.execute(select(*[oe.c[c] for c in cols]).order_by(oe.c.event_date,
                                                                     oe.c.transaction_type)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("name,n_trades,notes", [
    ("short_put_assign", 3, {None, "A"}),
    ("long_put_exercise", 4, {None, "Ex"}),
])
def test_assignment_and_exercise_match_flex(run, tmp_path, name, n_trades, notes):
    flex_db, csv_db, both_db = (str(tmp_path / f"{n}.db") for n in ("f", "c", "b"))
    assert run("import", PAIRS / f"{name}.xml", db=flex_db).exit_code == 0
    res = run("import", PAIRS / f"{name}.csv", db=csv_db)
    assert res.exit_code == 0, res.output
    flex, from_csv = _executions(flex_db), _executions(csv_db)
    assert len(flex) == n_trades
    assert from_csv == flex
    assert {r[COMPARED.index("notes")] for r in flex} == notes
    assert _option_events(csv_db) == _option_events(flex_db)
    # and together they are still the Flex ledger
    assert run("import", PAIRS / f"{name}.csv", PAIRS / f"{name}.xml", db=both_db).exit_code == 0
    both = [r for r in _executions(both_db) if r[-1] == "active"]
    assert both == flex
    rules = _compare_rules_if_available(flex_db, csv_db)
    if rules is not None and name == "long_put_exercise":
        # the exercised put's stock sale is a realized event in both
        assert any(e.asset_category == "STK" for e in rules.realized)


def _compare_rules_if_available(flex_db, csv_db):
    """The rules layer (journal.rules.analyze) sees the same lifecycle from either format:
    same realized events (Form 8949 lines) and same stock lots, ids aside."""
    try:
        from journal.rules import analyze
    except ImportError:
        return  # rules layer not present: the executions compared above are the contract
    from dataclasses import asdict

    def strip(items):
        out = []
        for ev in items:
            d = asdict(ev)
            out.append({k: v for k, v in d.items()
                        if not (k.endswith("_id") or k.endswith("_ids") or k == "id")})
        return out

    results = []
    for db in (flex_db, csv_db):
        engine = open_ledger(db)
        try:
            results.append(analyze(engine))
        finally:
            engine.dispose()
    flex, from_csv = results
    assert strip(from_csv.realized) == strip(flex.realized)
    assert strip(from_csv.lots) == strip(flex.lots)
    return flex


# -- compatibility with the public samples --------------------------------------------------------

def _trade_level_rows(path: Path) -> int:
    n = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = None
        for row in csv.reader(fh):
            if len(row) > 2 and row[0] == "Trades" and row[1] == "Header":
                header = row[2:]
            elif len(row) > 2 and row[0] == "Trades" and row[1] == "Data" and header:
                if dict(zip(header, row[2:])).get("DataDiscriminator") == "Trade":
                    n += 1
    return n


PUBLIC_CSVS = sorted(PUBLIC.rglob("*.csv")) if PUBLIC.is_dir() else []


@pytest.mark.skipif(not PUBLIC_CSVS, reason="../shared/sample_statements/public not present")
@pytest.mark.parametrize("path", PUBLIC_CSVS, ids=lambda p: p.name)
def test_public_csv_imports_every_trade_row(run, tmp_path, path):
    expected = _trade_level_rows(path)
    assert expected > 0
    local = tmp_path / path.name  # read in place would also do; a copy keeps names simple
    shutil.copy(path, local)
    out = import_ok(run, local)
    assert out[0]["status"] == "imported" and out[0]["format"] == "activity-csv"
    assert out[0]["new_executions"] == expected
    rows = trades_json(run)
    assert len(rows) == expected
    assert all(r["quantity"] is not None and r["trade_date"] for r in rows)
    # a second import of the same statement adds nothing
    again = run("import", "--force", local)
    assert again.exit_code == 0 and len(trades_json(run)) == expected


@pytest.mark.skipif(not PUBLIC_CSVS, reason="../shared/sample_statements/public not present")
def test_public_assignment_csv_keeps_ib_realized_pnl():
    path = PUBLIC / "ibkr-report-parser" / "data_option_assignment.csv"
    trades = [e for e in events(path) if isinstance(e, TradeRow)]
    arkk = next(t for t in trades if t.symbol == "ARKK")
    assert (arkk.quantity, arkk.trade_price, arkk.fifo_pnl_realized, arkk.notes) == (
        Decimal(-100), Decimal(80), Decimal("4302.62916"), "A")
    call = next(t for t in trades if t.description == "ARKK 19SEP25 80 C" and t.quantity == 1)
    assert (call.fifo_pnl_realized, call.cost, call.transaction_type) == (
        Decimal(0), Decimal("162.94576"), "BookTrade")
