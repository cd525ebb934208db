"""What the corporate-action rule tests share: the fixtures' folder, and the realized
lines of a ledger as comparable tuples rounded to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from journal.db import open_ledger
from journal.rules import analyze
from tests.conftest import FIXTURES

CA = FIXTURES / "corporate_actions"
CENT = Decimal("0.01")


def result_of(run, db_path, *files):
    """The rules' result after importing ``files`` (each must import)."""
    for path in files:
        res = run("import", path)
        assert res.exit_code == 0, res.output
    return analyze(open_ledger(db_path))


def cents(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def lines(result, year: int | None = None) -> list[tuple]:
    """(description, acquired, sold, proceeds, cost, code, adjustment, gain, term)."""
    return sorted((e.description, e.date_acquired, e.date_sold, cents(e.proceeds),
                   cents(e.cost), e.adjustment_code, cents(e.adjustment_amount),
                   cents(e.gain), e.term)
                  for e in result.realized if year is None or e.tax_year == year)
