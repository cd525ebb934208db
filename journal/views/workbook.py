"""The sheets of the journal workbook (``journal export --xlsx``): the same views the
terminal and the HTML report show, complete, one table per sheet.

Sheets are produced one at a time (a generator) and the long ones stream their rows, so
the exporter holds one sheet's rows at most, never the whole workbook.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import partial
from typing import TYPE_CHECKING, Any

from journal.views.filters import ALL, Accounts
from journal.views.table import Column, Table, table

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult
    from journal.views.report import Review
    from journal.views.source import Source


@dataclass(frozen=True)
class Sheet:
    title: str
    table: Table  # columns and notes (and the rows, unless ``values`` streams them)
    values: Iterable[Sequence[Any]] | None = None  # each row's values in column order
    rendered: Any = None  # or the rows written already (exporters.ledger_sheet.Rendered)


def coverage(data: LedgerData, accounts: Accounts = ALL) -> Table:
    """The statements' span and gaps per account."""
    from journal.views import ledger

    # not through readmodel_accounts.AccountOverview: importing it brings in SQLModel
    return ledger.coverage((a.account, tuple((f, t) for acc, f, t in data.periods
                                             if acc == a.account and f and t))
                           for a in data.accounts if accounts.keep(a.account))


def cached(engine, settings, accounts: Accounts = ALL
           ) -> tuple[list[str], Review, RuleResult]:
    """The ledger's account ids, the review (the report's, from the derived-state cache)
    and the rules' result (cached too, its fields decoded as the sheets need them), all
    of one state of the ledger: a warm export reads no ledger rows but the Ledger sheet's.
    """
    known, review, result, _ = cached_at(engine, settings, accounts)
    return known, review, result


def cached_at(engine, settings, accounts: Accounts = ALL
              ) -> tuple[list[str], Review, RuleResult, int | None]:
    """:func:`cached` and the ledger version all three come from (None: not known)."""
    from journal.cache import ledger_version, rules_result
    from journal.views import report
    from journal.views.source import load

    for _ in range(TRIES):
        version = ledger_version(engine)
        made: list[RuleResult] = []
        known, review = report.cached(engine, settings, accounts, built=partial(_took, made))
        result = rules_result(engine)
        if ledger_version(engine) == version:  # no import in between: one state
            return known, review, _joined(made[0], result) if made else result, version
    src = load(engine)  # imports keep landing: both from one read
    return src.account_ids, report.build(src, settings, accounts), src.result, None


def _took(made: list, src: Source) -> None:
    made.append(src.result)


def _joined(computed: RuleResult, kept: RuleResult) -> RuleResult:
    """The result a cold review was just built from, with the flags it let go (to build
    the review in their memory) read back from the cache: decoding the realized events
    and option positions again as well would cost about 0.4 s on the 46.5k ledger."""
    from journal.rules.types import RuleResult

    parts = {f.name: getattr(computed, f.name) for f in fields(RuleResult) if f.name != "flags"}
    return RuleResult(flags=kept.flags, **parts)


TRIES = 3
LEDGER = "Ledger"


def journal_sheets(engine, result: RuleResult, review: Review,
                   accounts: Accounts = ALL, *,
                   ledger_made: Callable[[], Any] | None = None) -> Iterator[Sheet]:
    """Every sheet after the Overview, in workbook order, each made when it is written
    (the Ledger's rows read from the ledger as they are, unless ``ledger_made()`` gives
    them written already: :mod:`journal.exporters.ledger_sheet`)."""
    from journal.readmodel_trades import trade_rows
    from journal.views import flags, ledger, report, results

    yield Sheet("Monthly", review.monthly)
    yield Sheet("Yearly", review.yearly)
    yield Sheet("Open positions", review.positions)
    yield Sheet("Per underlying", review.underlying)
    yield Sheet("Cycles", review.cycle)
    yield Sheet("Puts sold", review.grades)
    # the long listings of records: each row's values read off the record in column order
    yield _attributes("Realized", results.REALIZED_COLUMNS, accounts.rows(result.realized))
    yield Sheet("Lots", results.lots(result, accounts=accounts, show_all=True))
    positions, rows = report.option_positions(result, accounts)
    yield Sheet("Option positions", positions, values=rows)
    del rows
    # the trades listing's columns, in the order the read gives each row's values:
    # streamed as they are read, no record or dict made per row
    made = ledger_made() if ledger_made is not None else None
    if made is not None:
        yield Sheet(LEDGER, ledger.trades(()), rendered=made)
    else:
        yield Sheet(LEDGER, ledger.trades(()),
                    values=trade_rows(engine, accounts=accounts.sorted))
    selected = flags.select(result.flags, accounts=accounts)
    yield Sheet("Flags by code", flags.groups(selected))
    yield _attributes("Flags", flags.DETAIL_COLUMNS, selected)
    yield Sheet("Coverage", review.coverage)


def _attributes(title: str, columns: Sequence[Column], records: Iterable) -> Sheet:
    """A sheet of a view whose column keys are its records' own attributes (``realized``,
    ``flags --detail``): tens of thousands of rows, one tuple each instead of a dict."""
    return Sheet(title, table(columns, ()),
                 values=map(operator.attrgetter(*(c.key for c in columns)), records))
