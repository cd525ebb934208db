"""The sheets of the journal workbook (``journal export --xlsx``): the same views the
terminal and the HTML report show, complete, one table per sheet.

Sheets are produced one at a time (a generator) and the long ones stream their rows, so
the exporter holds one sheet's rows at most, never the whole workbook.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from journal.views.filters import ALL, Accounts
from journal.views.table import Table

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.views.report import Review
    from journal.views.source import Source


@dataclass(frozen=True)
class Sheet:
    title: str
    table: Table  # columns and notes (and the rows, unless ``records`` streams them)
    records: Iterable[Any] | None = None  # records whose attributes are the column keys


def coverage(data: LedgerData, accounts: Accounts = ALL) -> Table:
    """The statements' span and gaps per account."""
    from journal.readmodel_accounts import AccountOverview
    from journal.views import ledger

    overviews = [AccountOverview(a.account, a.alias, a.base_currency, 0, None, None, 0, 0, 0,
                                 tuple((f, t) for acc, f, t in data.periods
                                       if acc == a.account and f and t))
                 for a in data.accounts if accounts.keep(a.account)]
    return ledger.coverage(overviews)


def journal_sheets(engine, src: Source, review: Review, settings,
                   accounts: Accounts = ALL) -> Iterator[Sheet]:
    """Every sheet after the Overview, in workbook order."""
    from journal import readmodel
    from journal.views import flags, ledger, market, positions, report, results

    res = src.result
    yield Sheet("Monthly", review.monthly)
    yield Sheet("Yearly", review.yearly)
    marks = market.Marks(src.data, review.as_of, market.user_prices(settings))
    yield Sheet("Open positions",
                positions.positions(res, review.as_of, accounts=accounts, marks=marks))
    yield Sheet("Per underlying", review.underlying)
    yield Sheet("Cycles", review.cycle)
    yield Sheet("Puts sold", review.grades)
    yield Sheet("Realized", results.realized(res, accounts=accounts))
    yield Sheet("Lots", results.lots(res, accounts=accounts, show_all=True))
    yield Sheet("Option positions", report.option_positions(res, accounts))
    trades = readmodel.iter_trades(engine, accounts=accounts.sorted)
    # the trades listing's columns are the records' own attributes: streamed as they are
    yield Sheet("Ledger", ledger.trades(()), records=trades)
    del trades
    selected = flags.select(res.flags, accounts=accounts)
    yield Sheet("Flags by code", flags.groups(selected))
    yield Sheet("Flags", flags.detail(selected))
    yield Sheet("Coverage", coverage(src.data, accounts))
