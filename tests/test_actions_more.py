"""Corporate-action cases beyond the first pass of issue 14 (tax_rules.md §10): an option
whose deliverable OCC changed, assigned; a stock merger the user marks taxable; shares
transferred in that replace a loss; a transfer between two accounts of the ledger. Each
fixture's leading comment works its numbers by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from journal.db import open_ledger
from journal.rules import analyze
from tests.conftest import FIXTURES

CA = FIXTURES / "corporate_actions"
D = Decimal
CENT = D("0.01")


def _result(run, db_path, *files):
    for path in files:
        res = run("import", path)
        assert res.exit_code == 0, res.output
    return analyze(open_ledger(db_path))


def _c(x: Decimal | None) -> Decimal | None:
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def _lines(result, year: int | None = None) -> list[tuple]:
    """(description, acquired, sold, proceeds, cost, code, adjustment, gain, term)."""
    return sorted((e.description, e.date_acquired, e.date_sold, _c(e.proceeds), _c(e.cost),
                   e.adjustment_code, _c(e.adjustment_amount), _c(e.gain), e.term)
                  for e in result.realized if year is None or e.tax_year == year)


def _lots(result, symbol: str) -> list[tuple]:
    """(shares, remaining, acquired, held from, tax basis) of every lot of the symbol."""
    return sorted((lot.quantity, lot.remaining, lot.acquired, lot.holding_period_acquired,
                   _c(lot.tax_basis)) for lot in result.lots if lot.symbol == symbol)


def _codes(result) -> set[str]:
    return {f.code for f in result.flags}


# -- 1. an option whose deliverable OCC changed, then assigned (design §7.8) -------------

def test_assignment_with_an_adjusted_deliverable_carries_the_premium(run, db_path):
    r = _result(run, db_path, CA / "put_reverse_split_assigned.xml")
    # 2 KLMN1 puts deliver 20 new shares: basis 600.00 - 68.70 (net premium, §1 / Rev.
    # Rul. 78-182), not 600.00 with the premium lost
    assert _lots(r, "KLMN") == [(D(20), D(20), date(2025, 5, 16), date(2025, 5, 16),
                                 D("531.30"))]
    assert _lines(r) == []  # an assignment is no sale: no 8949 line
    (pos,) = r.option_positions
    assert (pos.contracts, pos.outcome, pos.opened, pos.stock_leg_transaction_id) == (
        D(-2), "assigned", date(2025, 3, 3), "5104000003")
    assert _codes(r) == {"OPTION_ADJUSTED"}
    (flag,) = r.flags
    assert "10 shares a contract" in flag.message and "KLMN1 16MAY25 3 P" in flag.message


def test_adjusted_assignment_links_by_position_action_id(run, db_path, tmp_path):
    text = (CA / "put_reverse_split_assigned.xml").read_text()
    path = tmp_path / "paid.xml"
    path.write_text(text.replace('positionActionID="" />', 'positionActionID="77" />')
                    .replace('positionActionID="77" />', 'positionActionID="" />', 1))
    r = _result(run, db_path, path)
    assert _lots(r, "KLMN") == [(D(20), D(20), date(2025, 5, 16), date(2025, 5, 16),
                                 D("531.30"))]
    assert "MISSING_STOCK_LEG" not in _codes(r)


def test_an_ordinary_buy_the_same_day_is_not_taken_for_the_stock_leg(run, db_path,
                                                                      tmp_path):
    # the assignment's stock row is missing; a market buy of 20 KLMN the same day is not
    # an assignment leg, so the premium stays deferred and flagged
    text = (CA / "put_reverse_split_assigned.xml").read_text()
    lines = text.splitlines(keepends=True)
    i = next(n for n, ln in enumerate(lines) if 'tradeID="4104000003"' in ln)
    lines[i] = (lines[i].replace('transactionType="BookTrade"', 'transactionType="ExchTrade"')
                .replace('notes="A"', 'notes=""'))
    path = tmp_path / "no_leg.xml"
    path.write_text("".join(lines))
    r = _result(run, db_path, path)
    assert "MISSING_STOCK_LEG" in _codes(r)
    assert _lots(r, "KLMN")[0][4] == D("600.00")


def test_explain_of_the_adjusted_assignment_names_the_whole_premium(run, db_path):
    _result(run, db_path, CA / "put_reverse_split_assigned.xml")
    res = run("lots", "--explain", "U9000001:5104000003", "--format", "json")
    rows = [(r["step"], r["amount"]) for r in json.loads(res.output)]
    assert rows[:2] == [("cost", "600.00"), ("assigned put", "-68.70")], rows
