"""Cash balances from the statement (CashReport, BASE_SUMMARY) feed the checklist's cash
check: IB's starting cash of the period plus the net cash of every row before the sale."""

from __future__ import annotations

import json
from datetime import date as d
from decimal import Decimal as D

from sqlalchemy import select

from journal import models
from journal.db import open_ledger
from journal.events import CashBalanceRow
from journal.importers.flex import FlexParser
from journal.readmodel import load_ledger
from journal.views.market import statement_cash

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"


def test_only_the_base_currency_summary_is_read():
    rows = [e for e in FlexParser(MAIN).parse() if isinstance(e, CashBalanceRow)]
    assert [(r.account_id, r.from_date, r.to_date, r.starting_cash, r.ending_cash)
            for r in rows] == [("U7654321", d(2025, 1, 2), d(2025, 12, 31), D("100000"),
                                D("96526.3249"))]


def test_cash_on_each_day_adds_up_to_ibs_ending_cash(run, db_path):
    assert run("import", "-q", str(MAIN)).exit_code == 0
    assert run("import", "-q", "--force", str(MAIN)).exit_code == 0  # stored once
    engine = open_ledger(db_path)
    with engine.connect() as conn:
        assert len(conn.execute(select(models.CashBalance.__table__)).all()) == 1
    points = statement_cash(load_ledger(engine))["U7654321"]
    assert points[0] == (d(2025, 1, 2), D("100000"))
    # KO bought on 2025-02-03 for 6241.00 (100 × 62.40 + 1.00 commission)
    on = dict(points)
    assert on[d(2025, 2, 4)] == D("100000") - D("6241.00")
    # the running total of the statement's own rows lands on IB's ending cash
    computed = [c for day, c in points if day <= d(2025, 12, 31)][-1]
    ending = [c for day, c in points if day == d(2026, 1, 1)]
    assert computed == D("96526.3249") and ending == [D("96526.3249")]


def test_checklist_cash_check_uses_the_statement_cash(run):
    assert run("import", "-q", str(MAIN)).exit_code == 0
    rows = json.loads(run("review", "--by", "put", "--format", "json").stdout)
    checks = {(r["underlying"], r["trade_date"]): r["check_cash"] for r in rows}
    assert checks[("MSFT", "2025-10-21")] == "pass"
    # after the MSFT assignment (41,000 of shares) the SPY 650 put is not cash-secured
    spy = next(r for r in rows if r["underlying"] == "SPY")
    assert spy["check_cash"] == "fail" and "< 71500.00" in spy["reasons"]


def test_users_cash_csv_wins_over_the_statement(run, tmp_path):
    assert run("import", "-q", str(MAIN)).exit_code == 0
    csv = tmp_path / "cash.csv"
    csv.write_text("date,account,cash\n2025-01-01,U7654321,1000000\n")
    assert run("config", "set", "checklist.cash_csv", csv).exit_code == 0
    rows = json.loads(run("review", "--by", "put", "--format", "json").stdout)
    assert {r["check_cash"] for r in rows} == {"pass"}


def test_activity_csv_cash_report_gives_the_same_cash_and_meets_the_flex_row(run, tmp_path):
    csv = SAMPLES / "wheel_2025_U7654321_activity.csv"
    csv_db, xml_db, both_db = (str(tmp_path / f"{n}.db") for n in ("csv", "xml", "both"))
    assert run("import", "-q", str(csv), db=csv_db).exit_code == 0
    assert run("import", "-q", str(MAIN), db=xml_db).exit_code == 0
    assert run("import", "-q", str(MAIN), str(csv), db=both_db).exit_code == 0
    from_csv = statement_cash(load_ledger(open_ledger(csv_db)))
    assert from_csv["U7654321"][0] == (d(2025, 1, 2), D("100000"))
    assert from_csv == statement_cash(load_ledger(open_ledger(xml_db)))
    engine = open_ledger(both_db)
    with engine.connect() as conn:  # one balance per account and period, whatever format
        assert len(conn.execute(select(models.CashBalance.__table__)).all()) == 1
    assert statement_cash(load_ledger(engine)) == from_csv
