"""A tax-year run (`journal tax YEAR`) makes only that year's realized events, wash sales
and flags: each must equal what the whole run holds for that year, flags raised by
another year's trades included, and the cache must never answer one year with another's."""

from __future__ import annotations

import pytest

import journal.rules
from journal import db as jdb
from journal import readmodel
from journal.cache import results
from journal.imports import import_file
from journal.settings import Settings

from conftest import FIXTURES, SAMPLES

LEDGERS = sorted((FIXTURES / "rules").glob("*.xml")) + sorted(SAMPLES.glob("*.xml"))


def _years(result) -> set:
    return ({r.tax_year for r in result.realized} | {w.tax_year for w in result.wash_sales}
            | {f.tax_year for f in result.flags if f.tax_year is not None})


def _year_fields(result) -> tuple:
    return (result.realized, result.wash_sales, result.flags, result.provisional_years)


@pytest.mark.parametrize("path", LEDGERS, ids=lambda p: p.stem)
def test_a_year_run_is_the_whole_run_filtered(tmp_path, path):
    eng = jdb.open_ledger(str(tmp_path / "l.db"))
    import_file(eng, path)
    data = readmodel.load_ledger(eng)
    for option_wash_scope in ("underlying", "identical"):
        settings = Settings(option_wash_scope=option_wash_scope)
        full = journal.rules.run_rules(data, settings)
        for year in sorted(_years(full)) + [1999]:
            want = results.year_view(full, year)
            got = journal.rules.run_rules(data, settings, tax_year=year)
            assert _year_fields(got) == _year_fields(want), (path.name, year)
            # the same text in every output (Decimal exponents, codes, causes)
            assert repr(_year_fields(got)) == repr(_year_fields(want)), (path.name, year)
            assert got.lots == full.lots and got.cycles == full.cycles
    eng.dispose()


def test_each_year_is_answered_from_its_own_entry(tmp_path):
    eng = jdb.open_ledger(str(tmp_path / "l.db"))
    import_file(eng, SAMPLES / "wheel_2025_U7654321.xml")
    import_file(eng, SAMPLES / "wheel_2025_multi.xml")
    full = journal.rules.compute(eng)
    years = sorted(_years(full))
    assert len(years) > 1  # else the test proves nothing
    for _ in range(2):  # computed, then read from the year's entry
        for year in years + [1999]:
            got = journal.rules.analyze(eng, tax_year=year)
            assert _year_fields(got) == _year_fields(results.year_view(full, year)), year
    assert journal.rules.analyze(eng) == full
    eng.dispose()


def _cross_year_cases():
    """Flags of one year raised by the pieces or dividends of another (§2.2, §246(c)(4))
    with the builders of test_rules_units."""
    from datetime import date as d
    from decimal import Decimal as D

    from test_rules_units import ex

    from journal.readmodel import DividendRecord, LedgerData

    late = dict(pc="C", strike=45, expiry=d(2026, 1, 9))  # 21 days: not a QCC
    qcc = dict(pc="C", strike=55, expiry=d(2026, 1, 16))
    short = dict(pc="C", strike=50, expiry=d(2025, 12, 26))
    shares = ex("A", d(2025, 9, 2), "XYZ", 100, 50)
    return {
        # a non-qualified call written in December 2025: half the shares sold at a loss
        # under it (2025), then the call bought back at a loss in 2026 while the other
        # half is held at the 2026 year end
        "STRADDLE_LOSS_DEFERRAL": LedgerData(executions=(
            shares, ex("A", d(2025, 12, 19), "XYZ", -1, 1, **late),
            ex("A", d(2025, 12, 22), "XYZ", -50, 44),
            ex("A", d(2026, 1, 5), "XYZ", 1, 3, **late))),
        # a 2025 loss on a qualified call, the shares' gain in January 2026
        "QCC_YEAR_END": LedgerData(executions=(
            ex("A", d(2025, 6, 2), "XYZ", 100, 50),
            ex("A", d(2025, 11, 20), "XYZ", -1, 1, **qcc),
            ex("A", d(2025, 12, 29), "XYZ", 1, 4, **qcc),
            ex("A", d(2026, 1, 5), "XYZ", -100, 58))),
        # losses of 2025 with a call bought 30 days before (2024) or after (2026) them
        "WASH_SALE_CALL": LedgerData(executions=(
            ex("A", d(2024, 6, 3), "XYZ", 200, 50),
            ex("A", d(2024, 12, 10), "XYZ", 1, 2, pc="C", strike=60, expiry=d(2025, 3, 21)),
            ex("A", d(2025, 1, 2), "XYZ", -100, 45),
            ex("A", d(2025, 12, 20), "XYZ", -100, 40),
            ex("A", d(2026, 1, 5), "XYZ", 1, 2, pc="C", strike=60, expiry=d(2026, 3, 20)))),
        # dividends under non-qualified calls of 2025: XYZ's paid while it was open,
        # ABC's paid in 2026 after it expired (no flag; ABC's shares are still held),
        # the horizon in 2026
        "DIVIDEND_HOLDING_PERIOD": LedgerData(executions=tuple(
            row for und in ("XYZ", "ABC") for row in (
                ex("A", d(2025, 9, 2), und, 100, 50),
                ex("A", d(2025, 12, 1), und, -1, 1, **short),
                ex("A", d(2025, 12, 26), und, 1, 0, **short, notes=("Ep",)))) + (
            ex("A", d(2026, 2, 2), "XYZ", -100, 60),),
            dividends=(DividendRecord("A", "XYZ", d(2025, 12, 10), D(50)),
                       DividendRecord("A", "ABC", d(2026, 1, 10), D(50)))),
    }


@pytest.mark.parametrize("code", ["STRADDLE_LOSS_DEFERRAL", "QCC_YEAR_END",
                                  "DIVIDEND_HOLDING_PERIOD", "WASH_SALE_CALL"])
def test_a_year_keeps_the_flags_raised_across_the_year_end(code):
    data = _cross_year_cases()[code]
    full = journal.rules.run_rules(data, Settings())
    assert {f.code for f in full.flags} >= {code}  # the case is there to keep
    for year in (2024, 2025, 2026, 2027):
        got = journal.rules.run_rules(data, Settings(), tax_year=year)
        assert _year_fields(got) == _year_fields(results.year_view(full, year)), year
