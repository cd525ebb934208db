"""The tables of the journal workbook (``journal export --xlsx``) and the HTML report
(``journal report --html``): the same views the terminal shows, complete."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from journal.views.filters import ALL, Accounts
from journal.views.table import Table, sections_table, untyped

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.views.source import Source


def records(items: Iterable) -> Table:
    """Rule records (positions, lots, cycles) with every field; tuples as text."""
    rows = []
    for x in items:
        d = dataclasses.asdict(x)
        rows.append({k: (", ".join(map(str, v)) if isinstance(v, (tuple, list)) else v)
                     for k, v in d.items()})
    return untyped(rows, list(rows[0]) if rows else ["(no rows)"])


def coverage(data: LedgerData, accounts: Accounts = ALL) -> Table:
    """The statements' span and gaps per account."""
    from journal.readmodel import AccountOverview
    from journal.views import ledger

    overviews = [AccountOverview(a.account, a.alias, a.base_currency, 0, None, None, 0, 0, 0,
                                 tuple((f, t) for acc, f, t in data.periods
                                       if acc == a.account and f and t))
                 for a in data.accounts if accounts.keep(a.account)]
    return ledger.coverage(overviews)


def journal_sheets(engine, src: Source, settings,
                   accounts: Accounts = ALL) -> list[tuple[str, Table]]:
    from journal import readmodel
    from journal.views import flags, ledger, review

    res = src.result
    sections = review.sections(src.data, res, settings, accounts=accounts)
    return [
        ("Ledger", ledger.trades(readmodel.load_trades(engine, accounts=accounts.sorted))),
        ("Positions", records(accounts.rows(res.option_positions))),
        ("Lots", records(accounts.rows(res.lots))),
        ("Cycles", records(accounts.rows(res.cycles))),
        ("Monthly", review.summary(src.data, res, period="month", accounts=accounts)),
        ("Review", sections_table(list(sections.items()))),
        ("Flags", flags.detail(flags.select(res.flags, accounts=accounts))),
        ("Coverage", coverage(src.data, accounts)),
    ]


def report_sections(engine, src: Source, settings, accounts: Accounts = ALL
                    ) -> tuple[Table, list[tuple[str, Table]]]:
    """The report's monthly table and its sections, in page order."""
    from journal.views import flags, review

    res = src.result
    sections = review.sections(src.data, res, settings, accounts=accounts)
    selected = flags.select(res.flags, accounts=accounts)
    return (review.summary(src.data, res, period="month", accounts=accounts),
            [(review.SECTION_LABELS[k], t) for k, t in sections.items()]
            + [("Yearly", review.summary(src.data, res, period="year", accounts=accounts)),
               ("Flags to review", flags.groups(selected)),
               ("Flags in detail", flags.detail(selected)),
               ("Statement coverage", coverage(src.data, accounts))])
