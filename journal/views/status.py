"""``journal status``: the first screen a wheel trader wants, as of one day.

This month and the year to date (premium, realized, annualized return on collateral, win
rate, capital in use), the open short options with their marks, the open lots with tax
and economic basis, what expires in the next 7 days, the flags by code, and how far the
statements reach. Everything is measured at ``as_of`` (default: today), never at the
wall clock inside a view, so the same ledger and day always give the same screen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from journal.views import flags as flag_views
from journal.views import positions as position_views
from journal.views.filters import ALL, Accounts
from journal.views.table import Column, Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult
    from journal.views.market import Marks

EXPIRY_WINDOW = 7
CENT = Decimal("0.01")

PERIOD_COLUMNS = (
    col("period", "Period", Kind.TEXT),
    col("premium_net", "Net premium", Kind.MONEY),
    extra("puts_sold_contracts", "Puts sold", Kind.COUNT),
    extra("calls_sold_contracts", "Calls sold", Kind.COUNT),
    col("realized_gain", "Realized", Kind.MONEY),
    col("return_on_collateral_annualized", "Annualized %", Kind.PERCENT),
    col("win_rate", "Win rate", Kind.PERCENT),
    col("capital_in_use", "Capital in use", Kind.MONEY),
)

OPTION_KEYS = ("account", "description", "quantity", "dte", "collateral", "breakeven", "mark",
               "unrealized", "otm_pct", "itm")
LOT_COLUMNS = (
    col("lot_id", "Lot", Kind.ID),
    col("symbol", "Symbol", Kind.TEXT),
    col("remaining", "Shares", Kind.QUANTITY),
    col("acquired", "Acquired", Kind.DATE),
    col("tax_basis", "Tax basis", Kind.MONEY),
    col("economic_basis", "Economic basis", Kind.MONEY),
    col("mark", "Mark", Kind.PRICE),
    col("unrealized", "Unrealized", Kind.MONEY),
)
EXPIRY_KEYS = ("account", "description", "expiry", "dte", "mark", "otm_pct", "itm")
STATEMENT_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("statements_to", "Last statement day", Kind.DATE),
    col("days_behind", "Days since", Kind.COUNT),
    col("gaps", "Gaps (no statement)", Kind.TEXT),
)


def _periods(data: LedgerData, result: RuleResult, as_of: date,
             accounts: Accounts) -> Table:
    from journal import review

    # what the ledger held on as_of: later rows would leak into "this month"
    execs = [e for e in accounts.rows(data.executions) if e.trade_date <= as_of]
    res = replace(result, realized=tuple(r for r in result.realized if r.date_sold <= as_of))
    rows = []
    for period, name in (("month", f"This month ({as_of:%Y-%m})"),
                         ("year", f"Year to date ({as_of.year})")):
        summary = review.summary(execs, res, period=period, accounts=accounts, as_of=as_of)
        key = f"{as_of:%Y-%m}" if period == "month" else as_of.year
        row = next((r for r in summary if r[period] == key), None)
        if row is None:
            rows.append({"period": name})
            continue
        values: dict[str, Any] = {c.key: row.get(c.key) for c in PERIOD_COLUMNS[1:]}
        rows.append({"period": name, **values})
    return table(PERIOD_COLUMNS, rows, title="This month and the year to date")


def _open_options(result: RuleResult, as_of: date, marks: Marks | None,
                  accounts: Accounts) -> list[dict]:
    rows = [position_views.option_row(p, as_of, marks)
            for p in position_views.open_options(result, accounts) if p.contracts < 0]
    rows.sort(key=lambda r: (r["expiry"] or date.max, r["account"], r["description"]))
    return rows


def _lots(result: RuleResult, marks: Marks | None, accounts: Accounts) -> Table:
    rows = []
    for lot in position_views.open_lots(result, accounts):
        share = lot.remaining / lot.quantity if lot.quantity else Decimal(1)
        tax = (lot.tax_basis * share).quantize(CENT)
        mark = marks.price(lot.symbol)[0] if marks is not None else None
        rows.append({"lot_id": lot.lot_id, "symbol": lot.symbol, "remaining": lot.remaining,
                     "acquired": lot.acquired, "tax_basis": tax,
                     "economic_basis": (lot.economic_basis * share).quantize(CENT),
                     "mark": mark,
                     "unrealized": mark * lot.remaining - tax if mark is not None else None})
    return table(LOT_COLUMNS, rows, title="Open lots (basis of the shares still held)")


def _statements(data: LedgerData, as_of: date, accounts: Accounts) -> Table:
    from journal import coverage
    from journal.views.ledger import gap_text

    rows = []
    for a in data.accounts:
        if not accounts.keep(a.account):
            continue
        periods = [(f, t) for acc, f, t in data.periods if acc == a.account and f and t]
        spans = coverage.merge(periods)
        last = spans[-1][1] if spans else None
        behind = max(0, (as_of - last).days) if last else None
        rows.append({"account": a.account, "statements_to": last, "days_behind": behind,
                     "gaps": gap_text(periods)})
    return table(STATEMENT_COLUMNS, rows, title="Statements")


def _position_columns(keys) -> list[Column]:
    """The positions listing's columns, all shown here."""
    pick = {c.key: c for c in position_views.POSITION_COLUMNS}
    return [Column(k, pick[k].title, pick[k].kind) for k in keys]


def flag_groups(result: RuleResult, accounts: Accounts = ALL) -> Table:
    """The status's flags section: the flags to review, counted by code."""
    return replace(flag_views.groups(flag_views.select(result.flags, accounts=accounts)),
                   title="Flags to review")


def status(data: LedgerData, result: RuleResult, as_of: date, *,
           marks: Marks | None = None, accounts: Accounts = ALL,
           periods: bool = True, flagged: Table | None = None) -> list[tuple[str, Table]]:
    """The status screen's sections: [(key, table)] in screen order (without the
    "period" one when ``periods`` is False: the report has its own yearly table).
    ``flagged``: :func:`flag_groups` made beforehand (the flags then need not be held)."""
    options = _open_options(result, as_of, marks, accounts)
    lots = _lots(result, marks, accounts)
    note = marks.note() if marks is not None and (options or lots.rows) else None
    open_table = table(_position_columns(OPTION_KEYS), options, title="Open short options",
                       notes=(note,) if note else ())
    soon = [r for r in options
            if r["expiry"] and as_of <= r["expiry"] <= as_of + timedelta(days=EXPIRY_WINDOW)]
    expiring = table(_position_columns(EXPIRY_KEYS), soon,
                     title=f"Expiring in the next {EXPIRY_WINDOW} days")
    if flagged is None:
        flagged = flag_groups(result, accounts)
    return [
        *([("period", _periods(data, result, as_of, accounts))] if periods else []),
        ("open_options", open_table),
        ("open_lots", lots),
        ("expiring", expiring),
        ("flags", flagged),
        ("statements", _statements(data, as_of, accounts)),
    ]
