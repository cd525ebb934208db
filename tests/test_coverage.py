"""Statement coverage: the days no imported statement covers show in `journal accounts`
and become STATEMENT_GAP flags for the tax years they touch."""

from __future__ import annotations

import json
from datetime import date as d

from journal.coverage import by_year, gaps, is_trading_day, market_holidays, merge
from journal.rules import LedgerData, run_rules


def test_market_holidays_follow_the_exchange_calendar():
    assert market_holidays(2025) == {
        d(2025, 1, 1), d(2025, 1, 20), d(2025, 2, 17), d(2025, 4, 18), d(2025, 5, 26),
        d(2025, 6, 19), d(2025, 7, 4), d(2025, 9, 1), d(2025, 11, 27), d(2025, 12, 25)}
    assert d(2026, 7, 3) in market_holidays(2026)  # July 4th on a Saturday: Friday off
    assert d(2027, 12, 24) in market_holidays(2027)
    assert d(2021, 12, 31) not in market_holidays(2021)  # NYSE opens before a Sat Jan 1
    assert not is_trading_day(d(2025, 4, 18)) and is_trading_day(d(2025, 4, 17))


def test_gaps_ignore_weekends_and_holidays_between_statements():
    monthly = [(d(2025, 1, 1), d(2025, 1, 31)), (d(2025, 2, 1), d(2025, 2, 28)),
               (d(2025, 4, 1), d(2025, 4, 30))]
    assert merge(monthly) == [(d(2025, 1, 1), d(2025, 2, 28)), (d(2025, 4, 1), d(2025, 4, 30))]
    assert gaps(monthly) == [(d(2025, 3, 1), d(2025, 3, 31))]
    # daily statements: Friday, then Monday (weekend), then Wednesday (Tuesday missing)
    daily = [(d(2025, 11, 21),) * 2, (d(2025, 11, 24),) * 2, (d(2025, 11, 26),) * 2]
    assert gaps(daily) == [(d(2025, 11, 25), d(2025, 11, 25))]
    # IB's yearly periods start on the first trading day: Jan 1 is no gap
    assert gaps([(d(2025, 1, 2), d(2025, 12, 31)), (d(2026, 1, 2), d(2026, 3, 31))]) == []
    assert gaps([(d(2025, 1, 2), d(2025, 4, 17)), (d(2025, 4, 21), d(2025, 6, 30))]) == []
    assert by_year(d(2024, 12, 1), d(2025, 1, 31)) == [(d(2024, 12, 1), d(2024, 12, 31)),
                                                        (d(2025, 1, 1), d(2025, 1, 31))]


def test_rules_flag_each_tax_year_a_gap_touches():
    periods = (("A", d(2024, 1, 2), d(2024, 11, 30)), ("A", d(2025, 2, 1), d(2025, 12, 31)),
               ("B", d(2024, 1, 2), d(2025, 12, 31)))
    flags = [f for f in run_rules(LedgerData(periods=periods)).flags if f.code == "STATEMENT_GAP"]
    assert [(f.account, f.tax_year, f.date) for f in flags] == [
        ("A", 2024, d(2024, 12, 1)), ("A", 2025, d(2025, 1, 1))]
    assert "2025-01-31" in flags[1].message
    early = run_rules(LedgerData(periods=periods), as_of=d(2024, 6, 30)).flags
    assert not [f for f in early if f.code == "STATEMENT_GAP"]


def test_accounts_and_tax_show_a_missing_month(run, sample_copy):
    later = sample_copy("wheel_2025_multi.xml")
    later.write_text(later.read_text().replace('fromDate="20260102" toDate="20260131"',
                                               'fromDate="20260301" toDate="20260331"'))
    assert run("import", "-q", str(sample_copy("wheel_2025_U7654321.xml"))).exit_code == 0
    rows = {r["account"]: r for r in json.loads(run("accounts", "--format", "json").stdout)}
    assert rows["U7654321"]["gaps"] is None
    assert run("import", "-q", str(later)).exit_code == 0
    rows = {r["account"]: r for r in json.loads(run("accounts", "--format", "json").stdout)}
    one = rows["U7654321"]
    assert (one["statements_from"], one["statements_to"], one["gaps"]) == (
        "2025-01-02", "2026-03-31", "2026-01-01..2026-02-28")
    assert rows["U7654322"]["gaps"] is None  # one statement: nothing between
    flags = json.loads(run("tax", "2026", "--flags", "--format", "json").stdout)
    assert [f["account"] for f in flags if f["code"] == "STATEMENT_GAP"] == ["U7654321"]
