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
