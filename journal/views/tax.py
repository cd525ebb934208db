"""Tax views: Form 8949 / 6781 rows, the Schedule D summary, the flags of the year and
the reconciliation with IB's realized P/L, as typed tables over :mod:`journal.tax` and
:mod:`journal.reconcile` results."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from journal.views.filters import ALL, Accounts
from journal.views.table import Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.readmodel import LedgerData

ROW_COLUMNS = (
    extra("form", "Form", Kind.TEXT),
    extra("part", "Part", Kind.TEXT),
    col("box", "Box", Kind.TEXT),
    col("line", "Line", Kind.TEXT),
    col("description", "(a) Description", Kind.TEXT),
    col("date_acquired", "(b) Acquired", Kind.DATE),
    col("date_sold", "(c) Sold", Kind.DATE),
    col("proceeds", "(d) Proceeds", Kind.MONEY),
    col("cost_basis", "(e) Cost", Kind.MONEY),
    col("code", "(f) Code", Kind.TEXT),
    col("adjustment", "(g) Adjustment", Kind.MONEY),
    col("gain_loss", "(h) Gain", Kind.MONEY),
    col("term", "Term", Kind.TEXT),
    extra("account", "Account", Kind.ID),
    extra("kind", "Kind", Kind.TEXT),
    extra("transaction_id", "Transaction", Kind.ID),
    extra("wash_sale", "Wash sale (W)", Kind.MONEY),  # the W part of (g)
)

SUMMARY_COLUMNS = (
    col("section", "Section", Kind.TEXT),
    col("proceeds", "Proceeds", Kind.MONEY),
    col("cost_basis", "Cost basis", Kind.MONEY),
    col("adjustments", "Adjustments", Kind.MONEY),
    col("gain_loss", "Gain or loss", Kind.MONEY),
)

RECON_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("trade_date", "Date", Kind.DATE),
    extra("transaction_id", "Transaction", Kind.ID),
    col("description", "Description", Kind.TEXT),
    col("ib_pnl", "IB P/L", Kind.MONEY),
    col("ours", "Ours", Kind.MONEY),
    col("difference", "Difference", Kind.MONEY),
    extra("explained", "Explained", Kind.MONEY),
    extra("unexplained", "Unexplained", Kind.MONEY),
    col("status", "Status", Kind.TEXT),
    col("reasons", "Reasons", Kind.TEXT),
    extra("form8949", "Form 8949 codes", Kind.TEXT),  # the line's codes and their causes
)


def rows(report) -> Table:
    from journal import tax

    return table(ROW_COLUMNS, tax.row_dicts(report))


def summary(report) -> Table:
    from journal import tax

    return table(SUMMARY_COLUMNS, tax.summary_rows(report))


def reconciliation(recon) -> Table:
    from journal import reconcile

    return table(RECON_COLUMNS, reconcile.recon_dicts(recon))


def closing_executions(data: LedgerData, accounts: Accounts = ALL) -> list:
    """What the reconciliation needs of each execution that closes something or carries
    IB's realized P/L, from the read model. IB's figures go in as IB printed them (in the
    trade currency): the reconciliation names a conversion as the CURRENCY reason."""
    from journal.reconcile import ClosingExecution

    zero = Decimal(0)
    out = []
    for e in accounts.rows(data.executions):
        if "C" not in (e.open_close or "") and e.fifo_pnl is None:
            continue
        out.append(ClosingExecution(
            account=e.account, transaction_id=e.transaction_id, trade_date=e.trade_date,
            description=e.description or e.symbol, asset_category=e.asset_category or "",
            underlying=e.underlying, quantity=e.quantity, fifo_pnl=e.as_reported(e.fifo_pnl),
            commission=e.as_reported(e.commission) or zero, cost=e.as_reported(e.cost),
            notes=";".join(sorted(e.notes)), open_close=e.open_close or "",
            put_call=e.put_call, currency=e.trade_currency or e.currency,
            fx_rate_to_base=e.fx_rate_to_base, date_time=e.date_time))
    out.extend(_action_rows(data, accounts))
    return out


# how an action's own line is named, as the rules name the lines it books
_ACTION_WORDS = {"cash_merger": "cash merger", "worthless": "worthless",
                 "stock_merger": "merger boot"}


def _action_rows(data: LedgerData, accounts: Accounts) -> list:
    """The CorporateAction rows that give up shares, with IB's realized P/L on them (the
    cash of a merger, a delisting's loss): the reconciliation compares the lines the
    rules booked from each row with its figure. IB's figure is in USD where the read
    model converts it, as ours are."""
    from journal.corpact import base_symbol
    from journal.reconcile import ClosingExecution
    from journal.rules.money import fmt_qty

    out = []
    for r in accounts.rows(data.corporate_actions):
        if r.quantity >= 0 or r.is_option:
            continue
        symbol = base_symbol(r.symbol)
        words = _ACTION_WORDS.get(r.kind.value, r.kind.value.replace("_", " "))
        out.append(ClosingExecution(
            account=r.account, transaction_id=r.key, trade_date=r.day,
            description=f"{fmt_qty(-r.quantity)} {symbol} ({words})",
            asset_category="STK", underlying=symbol, quantity=r.quantity,
            fifo_pnl=r.fifo_pnl, open_close="C", date_time=r.moment, action=r.kind.value,
            report_date=r.report_date))
    return out


def year_note(realized: Iterable, year: int) -> str:
    years = sorted({r.tax_year for r in realized})
    known = f"it has {', '.join(map(str, years))}" if years else "it has none yet"
    return f"note: the ledger has no realized events in {year} ({known})"
