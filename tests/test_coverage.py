"""Statement coverage: the days no imported statement covers show in `journal accounts`
and become STATEMENT_GAP flags for the tax years they touch."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date as d
from datetime import timedelta

import pytest

from journal.coverage import by_year, gaps, is_trading_day, market_holidays, merge
from journal.rules import LedgerData, run_rules


def test_market_holidays_follow_the_exchange_calendar():
    assert market_holidays(2025) == {
        d(2025, 1, 1), d(2025, 1, 9), d(2025, 1, 20), d(2025, 2, 17), d(2025, 4, 18),
        d(2025, 5, 26), d(2025, 6, 19), d(2025, 7, 4), d(2025, 9, 1), d(2025, 11, 27),
        d(2025, 12, 25)}
    assert d(2026, 7, 3) in market_holidays(2026)  # July 4th on a Saturday: Friday off
    assert d(2027, 12, 24) in market_holidays(2027)
    assert d(2021, 12, 31) not in market_holidays(2021)  # NYSE opens before a Sat Jan 1
    assert not is_trading_day(d(2025, 4, 18)) and is_trading_day(d(2025, 4, 17))


def test_the_written_out_calendar_is_the_packages():
    """journal.market_calendar spares a report the package's import; it must say what the
    installed package says, every year it holds (else paste the text this prints)."""
    import holidays

    from journal import coverage, market_calendar

    for year in range(market_calendar.FIRST, market_calendar.LAST + 1):
        coverage._HOLIDAYS.pop(year, None)
        assert market_holidays(year) == frozenset(
            holidays.financial_holidays("NYSE", years=year)), market_calendar.table_text()
    assert set(market_calendar.NYSE_CLOSED) == set(range(market_calendar.FIRST,
                                                         market_calendar.LAST + 1))
    coverage._HOLIDAYS.pop(1980, None)
    assert d(1980, 12, 25) in market_holidays(1980)  # outside the table: the package


def test_a_trading_day_question_does_not_import_the_holidays_package():
    code = ("import sys\n"
            "from datetime import date\n"
            "from journal.rules.law import previous_business_day, settles_next_year\n"
            "assert previous_business_day(date(2026, 1, 2)) == date(2025, 12, 31)\n"
            "assert settles_next_year(date(2025, 12, 31))\n"
            "print('holidays' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "False\n"


@pytest.mark.parametrize("closed", [
    d(2025, 1, 9),    # national day of mourning, President Carter
    d(2018, 12, 5),   # national day of mourning, President G. H. W. Bush
    d(2012, 10, 29),  # Hurricane Sandy
    d(2012, 10, 30),  # Hurricane Sandy, second day
    d(2007, 1, 2),    # national day of mourning, President Ford
    d(2004, 6, 11),   # national day of mourning, President Reagan
    d(2001, 9, 11),   # closed after the attacks on the World Trade Center
    d(2001, 9, 14),
])
def test_one_off_closures_are_not_trading_days(closed):
    assert closed.weekday() < 5
    assert not is_trading_day(closed)
    assert is_trading_day(closed - timedelta(days=7))  # the same weekday a week before


def test_a_one_off_closure_is_no_coverage_gap():
    # Statements ending Wednesday 2025-01-08 and starting Friday 01-10 leave no gap: the
    # exchange was closed on Thursday 01-09 (the hand-written list once reported one).
    assert gaps([(d(2025, 1, 2), d(2025, 1, 8)), (d(2025, 1, 10), d(2025, 1, 31))]) == []
    # 2012-10-26 (Fri) then 2012-10-31 (Wed): Sandy closed Mon and Tue, so no gap either
    assert gaps([(d(2012, 10, 1), d(2012, 10, 26)), (d(2012, 10, 31), d(2012, 11, 30))]) == []


def test_the_calendar_is_loaded_only_when_a_day_is_asked_for():
    code = ("import sys, journal.coverage, journal.rules; "
            "assert 'journal.market_calendar' not in sys.modules; "
            "journal.coverage.is_trading_day(__import__('datetime').date(2025, 1, 9)); "
            "assert 'journal.market_calendar' in sys.modules; "
            "assert 'holidays' not in sys.modules")  # the written-out table's years
    subprocess.run([sys.executable, "-c", code], check=True)


def test_gaps_ignore_weekends_and_holidays_between_statements():
    monthly = [(d(2025, 1, 1), d(2025, 1, 31)), (d(2025, 2, 1), d(2025, 2, 28)),
               (d(2025, 4, 1), d(2025, 4, 30))]
    assert merge(monthly) == [(d(2025, 1, 1), d(2025, 2, 28)), (d(2025, 4, 1), d(2025, 4, 30))]
    assert gaps(monthly) == [(d(2025, 3, 3), d(2025, 3, 31))]  # trimmed: Mar 1-2 a weekend
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
        ("A", 2024, d(2024, 12, 2)), ("A", 2025, d(2025, 1, 1))]
    assert "2025-01-31" in flags[1].message
    early = run_rules(LedgerData(periods=periods), as_of=d(2024, 6, 30)).flags
    assert not [f for f in early if f.code == "STATEMENT_GAP"]


def test_accounts_and_tax_show_a_missing_month(run, sample_copy):
    later = sample_copy("wheel_2025_multi.xml")
    later.write_text(later.read_text().replace('fromDate="20260102" toDate="20260131"',
                                               'fromDate="20260301" toDate="20260331"')
                     .replace('whenGenerated="20260203;091502"',
                              'whenGenerated="20260402;091502"'))
    assert run("import", "-q", str(sample_copy("wheel_2025_U7654321.xml"))).exit_code == 0
    rows = {r["account"]: r for r in json.loads(run("accounts", "--format", "json").stdout)}
    assert rows["U7654321"]["gaps"] is None
    res = run("import", "-q", str(later))
    assert res.exit_code == 0
    assert "note: account U7654321: no statement covers 2026-01-02..2026-02-27" in res.stderr
    rows = {r["account"]: r for r in json.loads(run("accounts", "--format", "json").stdout)}
    one = rows["U7654321"]
    assert (one["statements_from"], one["statements_to"], one["gaps"]) == (
        "2025-01-02", "2026-03-31", "2026-01-02..2026-02-27")
    assert rows["U7654322"]["gaps"] is None  # one statement: nothing between
    flags = json.loads(run("tax", "2026", "--flags", "--format", "json").stdout)
    assert [f["account"] for f in flags if f["code"] == "STATEMENT_GAP"] == ["U7654321"]


def test_a_statement_generated_before_its_period_ended_covers_only_the_days_before(
        run, sample_copy):
    # Flex adds a day's trades only later (anchors [I14]): a statement run on the last day
    # of its period may lack that day, so the day stays open until a later statement.
    early = sample_copy("wheel_2025_U7654321.xml")
    early.write_text(early.read_text().replace('whenGenerated="2026-01-05;09:15:02"',
                                               'whenGenerated="2025-12-31;15:00:00"'))
    res = run("import", "--format", "json", str(early))
    [report] = json.loads(res.stdout)
    assert any("generated on 2025-12-31, before its period ended (2025-12-31): trades from "
               "2025-12-31 on may be missing" in w for w in report["warnings"])
    nxt = sample_copy("wheel_2025_multi.xml")  # 2026-01-02..01-31, generated 2026-02-03
    assert run("import", "-q", str(nxt)).exit_code == 0
    rows = {r["account"]: r for r in json.loads(run("accounts", "--format", "json").stdout)}
    assert rows["U7654321"]["gaps"] == "2025-12-31..2025-12-31"
    flags = json.loads(run("flags", "--detail", "--code", "STATEMENT_GAP", "--format",
                           "json").stdout)
    assert [(f["account"], f["date"]) for f in flags] == [("U7654321", "2025-12-31")]


def test_report_coverage_table_needs_no_sqlmodel():
    """The report's and workbook's coverage table is made from the read model alone:
    importing readmodel_accounts (SQLModel) cost a cold report about 0.5 s."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from datetime import date\n"
            "from types import SimpleNamespace as NS\n"
            "from journal.views.workbook import coverage\n"
            "data = NS(accounts=[NS(account='U1'), NS(account='U2')], periods=[\n"
            "    ('U1', date(2025, 1, 1), date(2025, 1, 31)),\n"
            "    ('U1', date(2025, 3, 1), date(2025, 3, 31)), ('U2', None, None)])\n"
            "rows = coverage(data).rows\n"
            "assert [r['account'] for r in rows] == ['U1', 'U2'], rows\n"
            "assert rows[0]['statements_from'] == date(2025, 1, 1), rows\n"
            "assert rows[0]['statements_to'] == date(2025, 3, 31), rows\n"
            "assert rows[0]['gaps'] == '2025-02-03..2025-02-28', rows\n"
            "assert rows[1]['statements_from'] is None and rows[1]['gaps'] is None, rows\n"
            "assert 'sqlmodel' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
