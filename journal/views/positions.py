"""Open positions: short and long options with the wheel figures (collateral, days to
expiry, breakeven) and, where a mark is known, the mark, unrealized P/L, % out of the
money and whether it is in the money; and the open stock lots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from journal import wheel
from journal.views.filters import ALL, Accounts
from journal.views.table import Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.rules.types import RuleResult
    from journal.views.market import Marks

CENT = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")

POSITION_COLUMNS = (
    col("account", "Account", Kind.ID),
    extra("kind", "Kind", Kind.TEXT),
    extra("underlying", "Underlying", Kind.TEXT),
    col("description", "Position", Kind.TEXT),
    col("quantity", "Qty", Kind.QUANTITY),
    extra("opened", "Opened", Kind.DATE),
    extra("expiry", "Expiry", Kind.DATE),
    col("dte", "DTE", Kind.COUNT),
    extra("strike", "Strike", Kind.PRICE),
    col("premium", "Premium", Kind.MONEY),
    col("collateral", "Collateral", Kind.MONEY),
    col("breakeven", "Breakeven", Kind.PRICE),
    col("tax_basis", "Tax basis", Kind.MONEY),
    extra("cycle_id", "Cycle", Kind.ID),
    col("mark", "Mark", Kind.PRICE),
    extra("mark_date", "Mark date", Kind.DATE),
    col("unrealized", "Unrealized", Kind.MONEY),
    extra("underlying_price", "Underlying price", Kind.PRICE),
    col("otm_pct", "% OTM", Kind.PERCENT),
    col("itm", "ITM", Kind.BOOL),
)


def option_row(p, as_of: date, marks: Marks | None = None) -> dict:
    """One open option position as a row (also the status screen's)."""
    short = p.contracts < 0
    breakeven = wheel.position_breakeven(p.strike, p.premium_net, p.contracts, p.put_call,
                                         p.multiplier, p.deliverable) if short else None
    mark = mark_day = price = None
    if marks is not None:
        mark, mark_day = marks.option(p.account, p.conid, p.description, since=p.opened)
        price, _ = marks.price(p.underlying)
    otm = wheel.otm_pct(price, p.strike, p.put_call)
    return {
        "account": p.account, "kind": "short option" if short else "long option",
        "underlying": p.underlying, "description": p.description, "quantity": p.contracts,
        "opened": p.opened, "expiry": p.expiry,
        "dte": (p.expiry - as_of).days if p.expiry else None, "strike": p.strike,
        "premium": p.premium_net,
        "collateral": wheel.collateral(p.strike, p.contracts, p.multiplier)
        if short and p.put_call == wheel.PUT else None,
        "breakeven": breakeven.quantize(PRICE_PLACES) if breakeven else None,
        "tax_basis": None, "cycle_id": p.cycle_id,
        "mark": mark, "mark_date": mark_day,
        "unrealized": wheel.unrealized(p.premium_net, mark, p.contracts, p.multiplier),
        "underlying_price": price,
        "otm_pct": wheel.pct(otm), "itm": wheel.in_the_money(price, p.strike, p.put_call),
    }


def lot_basis(lot) -> Decimal:
    """The tax basis of the shares still open in a lot, to the cent."""
    basis = lot.tax_basis * lot.remaining / lot.quantity if lot.quantity else lot.tax_basis
    return basis.quantize(CENT)


def lot_row(lot, marks: Marks | None = None) -> dict:
    basis = lot_basis(lot)
    mark = mark_day = None
    if marks is not None:
        mark, mark_day = marks.price(lot.symbol)
    return {
        "account": lot.account, "kind": "stock", "underlying": lot.symbol,
        "description": f"{lot.symbol} lot {lot.acquired}", "quantity": lot.remaining,
        "opened": lot.acquired, "expiry": None, "dte": None, "strike": None,
        "premium": None, "collateral": None, "breakeven": None, "tax_basis": basis,
        "cycle_id": lot.cycle_id, "mark": mark, "mark_date": mark_day,
        "unrealized": mark * lot.remaining - basis if mark is not None else None,
        "underlying_price": mark, "otm_pct": None, "itm": None,
    }


def open_options(result: RuleResult, accounts: Accounts = ALL) -> list:
    return [p for p in accounts.rows(result.option_positions) if p.closed is None]


def open_lots(result: RuleResult, accounts: Accounts = ALL) -> list:
    return [x for x in accounts.rows(result.lots) if x.open]


def positions(result: RuleResult, as_of: date, *, accounts: Accounts = ALL,
              marks: Marks | None = None) -> Table:
    """``journal positions``: open options, then open stock lots, by account and
    underlying."""
    rows = [option_row(p, as_of, marks) for p in open_options(result, accounts)]
    rows += [lot_row(x, marks) for x in open_lots(result, accounts)]
    rows.sort(key=lambda r: (r["account"], r["underlying"], str(r["opened"])))
    note = marks.note() if marks is not None and rows else None
    return table(POSITION_COLUMNS, rows, notes=(note,) if note else ())
