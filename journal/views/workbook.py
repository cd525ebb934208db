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


def contents(src: Source, settings, accounts: Accounts = ALL) -> tuple[Review, list[Sheet]]:
    """The review and every sheet after the Overview, in workbook order; the Ledger sheet
    without its rows (:func:`streamed` reads them from the ledger as they are written).

    Plain tables, so the pair is kept whole in the derived-state cache (:func:`cached`):
    a warm export reads the tables, not the ledger."""
    from journal.views import flags, ledger, market, positions, report, results

    res = src.result
    review = report.build(src, settings, accounts)
    marks = market.Marks(src.data, review.as_of, market.user_prices(settings))
    selected = flags.select(res.flags, accounts=accounts)
    return review, [
        Sheet("Monthly", review.monthly),
        Sheet("Yearly", review.yearly),
        Sheet("Open positions",
              positions.positions(res, review.as_of, accounts=accounts, marks=marks)),
        Sheet("Per underlying", review.underlying),
        Sheet("Cycles", review.cycle),
        Sheet("Puts sold", review.grades),
        Sheet("Realized", results.realized(res, accounts=accounts)),
        Sheet("Lots", results.lots(res, accounts=accounts, show_all=True)),
        Sheet("Option positions", report.option_positions(res, accounts)),
        # the trades listing's columns are the records' own attributes: streamed as they are
        Sheet(LEDGER, ledger.trades(())),
        Sheet("Flags by code", flags.groups(selected)),
        Sheet("Flags", flags.detail(selected)),
        Sheet("Coverage", review.coverage),
    ]


LEDGER = "Ledger"


def cached(engine, settings, accounts: Accounts = ALL) -> tuple[list[str], Review, list[Sheet]]:
    """The ledger's account ids and :func:`contents`, from the derived-state cache."""
    from journal.views.source import files_of, undated, view

    known, (review, sheets) = view(
        engine, "workbook", lambda src: contents(src, settings, accounts),
        params=(accounts, settings, undated(engine)), files=files_of(settings))
    return known, review, sheets


def streamed(engine, sheets: list[Sheet], accounts: Accounts = ALL) -> Iterator[Sheet]:
    """``sheets`` one at a time, the Ledger's rows read from the ledger as they are
    written; each sheet is dropped from ``sheets`` once handed out, so the tables already
    written are not held while the next ones are."""
    from journal import readmodel

    sheets.reverse()
    while sheets:
        sheet = sheets.pop()
        if sheet.title == LEDGER and sheet.records is None:
            sheet = Sheet(sheet.title, sheet.table,
                          records=readmodel.iter_trades(engine, accounts=accounts.sorted))
        yield sheet
        del sheet
