"""`journal summary`, `journal review` and `journal config` on the bundled samples."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest

from journal.rules.types import RealizedEvent, RuleResult

from conftest import SAMPLES

MONTH_KEYS = ["month", "puts_sold_contracts", "calls_sold_contracts", "premium_gross",
              "premium_net", "closed_early", "expired", "assigned", "called_away",
              "realized_gain", "win_rate", "collateral_days", "return_on_collateral_annualized",
              "capital_in_use", "cumulative_premium_net", "cumulative_realized_gain"]

# month: (puts, calls, gross, net, closed_early, expired, assigned, called_away), from
# sample_statements/README.md by hand
LEDGER_MONTHS = {
    "2025-09": (2 + 1, 0, "610", "606.8549", 0, 0, 0, 0),  # AMD 240, AAPL 2 × 185
    "2025-10": (3, 0, "730", "726.25", 1, 2, 0, 0),  # KO 95, AMD 425, MSFT 210
    "2025-11": (0, 1, "300", "298.35", 1, 1, 1, 0),  # MSFT call; KO btc; AMD exp; MSFT put
    "2025-12": (1, 0, "385", "383.95", 0, 0, 0, 1),  # SPY 650 P; MSFT call assigned
    "2026-01": (3, 0, "830", "826.85", 1, 2, 1, 0),  # SPY 660, XSP, INTC
}


@pytest.fixture
def ledger(run):
    res = run("import", SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml")
    assert res.exit_code == 0, res.output
    return run


def _json(res):
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_monthly_numbers_of_the_samples(ledger):
    rows = _json(ledger("summary", "--monthly", "--format", "json"))
    assert [list(r) for r in rows] == [MONTH_KEYS] * len(rows)
    months = [r["month"] for r in rows]
    assert months[0] == "2025-02" and months[-1] == "2026-01" and len(months) == 12
    by = {r["month"]: r for r in rows}
    for month, (puts, calls, gross, net, early, exp, ass, away) in LEDGER_MONTHS.items():
        r = by[month]
        assert (D(r["puts_sold_contracts"]), D(r["calls_sold_contracts"])) == (puts, calls), month
        assert (D(r["premium_gross"]), D(r["premium_net"])) == (D(gross), D(net)), month
        assert (D(r["closed_early"]), D(r["expired"]), D(r["assigned"]),
                D(r["called_away"])) == (early, exp, ass, away), month
    quiet = [m for m in months if m not in LEDGER_MONTHS]
    assert all(D(by[m]["premium_gross"]) == 0 for m in quiet)
    assert D(rows[-1]["cumulative_premium_net"]) == D("2842.2549")


def test_premium_gross_equals_proceeds_of_options_sold_to_open(ledger):
    trades = _json(ledger("trades", "--format", "json"))
    sold = sum(D(t["proceeds"]) for t in trades
               if t["asset"] == "OPT" and "O" in t["open_close"].split(";")
               and D(t["quantity"]) < 0)
    for period in ("--monthly", "--yearly"):
        rows = _json(ledger("summary", period, "--format", "json"))
        assert sum(D(r["premium_gross"]) for r in rows) == sold == D("2855")


def test_yearly_and_account_filter(ledger):
    years = {r["year"]: r for r in _json(ledger("summary", "--yearly", "--format", "json"))}
    assert set(years) == {2025, 2026}
    assert D(years[2025]["premium_gross"]) == D("2025") and D(years[2026]["premium_gross"]) == 830
    assert D(years[2025]["expired"]) == 3 and D(years[2026]["assigned"]) == 1
    only = _json(ledger("summary", "--monthly", "--account", "U7654322", "--format", "json"))
    assert [r["month"] for r in only] == ["2026-01"]
    assert D(only[0]["premium_net"]) == D("83.95") and D(only[0]["assigned"]) == 1


def test_csv_and_table(ledger):
    out = ledger("summary", "--yearly", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["year", *MONTH_KEYS[1:]]
    assert rows[1]["year"] == "2026" and D(rows[1]["premium_net"]) == D("826.85")
    table = ledger("summary").output
    assert "2025-10" in table and "726.25" in table


def test_rules_fields_are_wired_through_the_cli(ledger, monkeypatch):
    from journal.views import source

    ev = RealizedEvent(account="U7654321", description="2 AAPL", underlying="AAPL",
                       asset_category="OPT", quantity=D(2), date_acquired=date(2025, 9, 18),
                       date_sold=date(2025, 10, 17), proceeds=D("367.9049"), cost=D(0),
                       adjustment_code="", adjustment_amount=D(0), gain=D("367.9049"),
                       term="ST", tax_year=2025, kind="expired")
    monkeypatch.setattr(source, "rules_for",
                        lambda data, as_of=None: RuleResult(realized=(ev,)))
    by = {r["month"]: r for r in _json(ledger("summary", "--format", "json"))}
    assert by["2025-10"]["realized_gain"] == "367.9049"
    assert by["2025-10"]["win_rate"] == "100.00"
    assert by["2026-01"]["cumulative_realized_gain"] == "367.9049"
    assert by["2025-09"]["win_rate"] is None


def test_realized_by_month_with_the_rules(ledger):
    by = {r["month"]: r for r in _json(ledger("summary", "--format", "json"))}
    # closing trade dates of sample_statements/README.md; sums match IB's fifoPnlRealized
    assert D(by["2025-10"]["realized_gain"]) == D("295.8049")  # AAPL 367.9049, AMD -72.10
    assert D(by["2025-11"]["realized_gain"]) == D("496.85")  # KO 72.90, AMD 423.95
    assert D(by["2025-12"]["realized_gain"]) == D("1506.70")  # the MSFT wheel
    assert D(by["2026-01"]["realized_gain"]) == D("1153.75")
    assert D(by["2026-01"]["cumulative_realized_gain"]) == D("3453.1049")
    # open at the end of 2025: the SPY 650 put and the KO shares (6240 + 1 commission)
    assert D(by["2025-12"]["capital_in_use"]) == D("71241")
    # November: AMD 145 P 14500 × 20 days + KO 67.5 P 6750 × 5 + MSFT 410 P 41000 × 20
    assert D(by["2025-11"]["collateral_days"]) == D("1143750")
    # closed options in October: AAPL ×2 expired (won), AMD bought back at a loss
    assert by["2025-10"]["win_rate"] == "66.67"
    cycles = _json(ledger("review", "--by", "cycle", "--format", "json"))
    msft = next(c for c in cycles if c["underlying"] == "MSFT")
    assert D(msft["realized_gain"]) == D("1506.70") and msft["days_in_stock"] == 28
    assert msft["assigned"] is True


def test_review_sections(ledger):
    rows = _json(ledger("review", "--by", "underlying", "--format", "json"))
    msft = next(r for r in rows if r["underlying"] == "MSFT")
    assert D(msft["premium_net"]) == D("506.70") and msft["assignment_rate"] == "100.00"
    amd = next(r for r in rows if r["underlying"] == "AMD")
    assert D(amd["closed_puts"]) == 2 and amd["assignment_rate"] == "0.00"
    # kept 423.95 (expired) - 72.10 (bought back at a loss) of 662.90 received
    assert amd["premium_captured_pct"] == "53.08"
    assert msft["premium_captured_pct"] is None  # assigned and called away: nothing to keep
    allrows = _json(ledger("review", "--format", "json"))
    assert {r["section"] for r in allrows} >= {"underlying", "put"}
    table = ledger("review").output
    assert "Per underlying" in table and "Checklist grade per put sold" in table


def test_grades_with_user_prices_earnings_and_cash(ledger, tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text("date,symbol,close\n2025-10-21,MSFT,425\n2025-09-08,AMD,151\n")
    earnings = tmp_path / "earnings.csv"
    earnings.write_text("symbol,date\nMSFT,2025-10-28\nAMD,2025-09-16\n")
    cash = tmp_path / "cash.csv"
    cash.write_text("date,account,cash\n2025-10-01,U7654321,50000\n")
    for key, value in (("prices_csv", prices), ("earnings_csv", earnings), ("cash_csv", cash)):
        assert ledger("config", "set", f"checklist.{key}", value).exit_code == 0
    rows = _json(ledger("review", "--by", "put", "--format", "json"))
    assert len(rows) == 9  # 10 put fills, the two AAPL fills are one order
    msft = next(r for r in rows if r["underlying"] == "MSFT")
    assert msft["otm_pct"] == "3.53" and msft["check_otm"] == "pass"
    assert msft["check_earnings"] == "fail"  # 7 days before: inside the default window
    amd = next(r for r in rows if r["underlying"] == "AMD")
    assert amd["check_otm"] == "fail" and amd["otm_pct"] == "0.66"
    assert amd["check_earnings"] == "pass"  # 8 days before: outside the window
    # MSFT sale: open puts AMD 145 + KO 67.5 + MSFT 410 = 62250 × 1.10 > 50000
    assert msft["check_cash"] == "fail"
    aapl = next(r for r in rows if r["underlying"] == "AAPL")
    assert D(aapl["contracts"]) == 2 and aapl["check_size"] == "pass"
    assert aapl["check_otm"] == "unknown"
    intc = next(r for r in rows if r["underlying"] == "INTC")
    assert intc["check_dte"] == "fail" and intc["dte"] == 11


def test_statement_prices_come_from_stock_rows_and_positions(ledger, db_path):
    from journal.db import open_ledger
    from journal.readmodel import load_ledger
    from journal.views.market import statement_prices

    prices = statement_prices(load_ledger(open_ledger(db_path)))
    assert prices[(date(2025, 11, 21), "MSFT")] == D("403.65")
    assert prices[(date(2025, 12, 31), "KO")] == D("69.91")


def test_review_columns_only_in_some_sections(ledger):
    # `account` is not a column of the per-underlying section: that section is left out
    # instead of rendering a table of no columns (which crashed).
    res = ledger("review", "--columns", "account,underlying")
    assert res.exit_code == 0, res.output
    assert "Per wheel cycle" in res.output and "Per underlying" in res.output
    res = ledger("review", "--columns", "cycle_id")
    assert res.exit_code == 0, res.output
    assert "Per wheel cycle" in res.output and "Checklist grade" not in res.output
