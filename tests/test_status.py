"""`journal status` and the mark-based columns of `journal positions` (issue 12 §2), on
the bundled sample whose statement ends 2025-12-31 with Open Positions: the SPY 650 put
still open (mark 2.61) and 100 KO shares (mark 69.91)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"


@pytest.fixture
def ledger(run, tmp_path):
    assert run("import", "-q", MAIN).exit_code == 0
    return run


def _status(run, day, *extra):
    res = run("status", "--as-of", day, "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_status_at_the_statement_end(ledger):
    s = _status(ledger, "2025-12-31")
    assert s["as_of"] == "2025-12-31"
    month, year = s["period"]
    assert month["period"] == "This month (2025-12)" and year["period"] == "Year to date (2025)"
    # December: the SPY 650 put sold (383.95 net), the MSFT wheel closed (+1506.70)
    assert (D(month["premium_net"]), D(month["realized_gain"])) == (D("383.95"), D("1506.70"))
    # open on Dec 31: the SPY put's collateral and the KO shares (6240 + 1 commission)
    assert D(month["capital_in_use"]) == D(year["capital_in_use"]) == D(71241)
    yearly = json.loads(ledger("summary", "--yearly", "--format", "json").stdout)
    y2025 = next(r for r in yearly if r["year"] == 2025)
    assert year["premium_net"] == y2025["premium_net"]
    assert year["win_rate"] == y2025["win_rate"]

    [spy] = s["open_options"]
    assert (spy["description"], spy["dte"], spy["collateral"], spy["breakeven"]) == (
        "SPY 16JAN26 650 P", 16, "65000", "646.1605")
    # mark from Open Positions: closing it would cost 261.00 of the 383.95 received
    assert (spy["mark"], D(spy["unrealized"])) == ("2.61", D("122.95"))
    assert spy["otm_pct"] is None and spy["itm"] is None  # no SPY price in the statement
    [ko] = s["open_lots"]
    assert (ko["symbol"], ko["remaining"], ko["tax_basis"], ko["mark"]) == (
        "KO", "100", "6241.00", "69.91")
    assert D(ko["unrealized"]) == D("750.00")
    assert s["expiring"] == []  # 16 days out
    assert [f["code"] for f in s["flags"]] == ["NON_QCC", "WASH_SALE_OPTION"]
    assert s["statements"] == [{"account": "U7654321", "statements_to": "2025-12-31",
                                "days_behind": 0, "gaps": None}]


def test_status_with_a_prices_csv_and_an_expiry_this_week(ledger, tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text("date,symbol,close\n2026-01-09,SPY,640.00\n")
    assert ledger("config", "set", "checklist.prices_csv", prices).exit_code == 0
    s = _status(ledger, "2026-01-12")
    [spy] = s["open_options"]
    assert spy["dte"] == 4 and spy["mark"] == "2.61"  # the year-end mark, 12 days old
    # 640 < 650: in the money by 10 / 640
    assert (spy["otm_pct"], spy["itm"]) == ("-1.56", True)
    assert [e["description"] for e in s["expiring"]] == ["SPY 16JAN26 650 P"]
    assert s["period"][0]["period"] == "This month (2026-01)"
    assert s["statements"][0]["days_behind"] == 12
    screen = ledger("status", "--as-of", "2026-01-12").stdout
    assert "Expiring in the next 7 days" in screen and "SPY 16JAN26 650 P" in screen
    assert "Marks from 2025-12-31 to 2026-01-09: the latest on or before 2026-01-12" in screen


def test_marks_older_than_a_month_are_not_used(ledger):
    s = _status(ledger, "2026-03-15")
    assert s["open_lots"][0]["mark"] is None  # the 2025-12-31 mark is 74 days old
    assert "No mark from the month before 2026-03-15" in ledger(
        "positions", "--as-of", "2026-03-15").stdout


def test_a_past_day_sees_only_what_the_ledger_held_then(ledger):
    s = _status(ledger, "2025-11-14")
    assert sorted(o["description"] for o in s["open_options"]) == [
        "AMD 21NOV25 145 P", "MSFT 21NOV25 410 P"]
    assert len(s["expiring"]) == 2 and {o["dte"] for o in s["expiring"]} == {7}
    month = s["period"][0]
    assert month["period"] == "This month (2025-11)" and D(month["premium_net"]) == 0
    # the MSFT call written on Nov 24 is not there yet
    assert all("420 C" not in o["description"] for o in s["open_options"])


def test_positions_carry_the_same_mark_columns(ledger):
    rows = json.loads(ledger("positions", "--as-of", "2025-12-31", "--format", "json").stdout)
    spy = next(r for r in rows if r["underlying"] == "SPY")
    ko = next(r for r in rows if r["underlying"] == "KO")
    assert (spy["mark"], spy["mark_date"], D(spy["unrealized"])) == (
        "2.61", "2025-12-31", D("122.95"))
    assert (ko["mark"], D(ko["unrealized"])) == ("69.91", D("750.00"))
    head = ledger("positions", "--as-of", "2025-12-31").stdout.splitlines()[0]
    for title in ("Mark", "Unrealized", "% OTM", "ITM", "DTE", "Collateral", "Breakeven"):
        assert title in head


def test_status_csv_and_table(ledger):
    res = ledger("status", "--as-of", "2025-12-31", "--format", "csv")
    assert res.exit_code == 0 and res.stdout.splitlines()[0].startswith("section,")
    sections = {line.split(",")[0] for line in res.stdout.splitlines()[1:]}
    assert {"period", "open_options", "open_lots", "flags", "statements"} <= sections
    screen = ledger("status", "--as-of", "2025-12-31").stdout
    assert screen.startswith("As of 2025-12-31")
    assert max(len(x) for x in screen.splitlines()) <= 120
