"""What a report reads: the ledger (read model) and the rules' result computed from that
same read, so the two can never come from different ledger states (an import committing
between two reads would otherwise mix them, issue 15 §2.2).

Commands that need only the rules' result call :func:`journal.rules.analyze`; those that
also need the ledger's rows (summaries, review, positions, status, exports) call
:func:`load`, or :func:`view` for a table that is itself worth keeping. Both go through
the derived-state cache (:mod:`journal.cache`): on an unchanged ledger the rules' result
is read, not recomputed, and a :func:`view` is read without reading the ledger at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult

T = TypeVar("T")

# every part of the rules' result that holds rows (let go before the grades, which read
# only the ledger)
RESULT_ROWS = ("option_positions", "lots", "realized", "wash_sales", "cycles", "flags")


@dataclass
class Source:
    data: LedgerData
    result: RuleResult
    engine: Any = None  # the ledger's (None: made by hand): see read_details

    def let_go(self, *parts: str) -> None:
        """Empty these parts of the rules' result (``"flags"``) once the caller has read
        them: held only here, their memory is then reused by what is built next."""
        emptied: dict = dict.fromkeys(parts, ())
        self.result = replace(self.result, **emptied)

    def read_details(self) -> None:
        """Read the executions' deferred fields now (the trade price and order id the
        checklist grades read: one query over every execution), as a whole-ledger read
        (:func:`journal.cache.whole_ledger_read`: a small SQLite page cache, given back
        after), before the grades are made."""
        from journal.cache import whole_ledger_read

        if not self.data.executions:
            return
        if self.engine is None:
            self.data.executions[0].trade_price  # noqa: B018 (the first read reads them all)
            return
        with whole_ledger_read(self.engine):
            self.data.executions[0].trade_price  # noqa: B018

    @property
    def account_ids(self) -> list[str]:
        return [a.account for a in self.data.accounts]


def rules_for(data: LedgerData, as_of: date | None = None) -> RuleResult:
    """The rules over ``data`` with the user's settings and prices CSV, exactly as
    :func:`journal.rules.analyze` runs them (a seam tests replace with a known result)."""
    from journal import rules
    from journal.settings import load_settings

    return rules.run_rules(rules._with_user_prices(data), load_settings(), as_of)


def load(engine, *, as_of: date | None = None) -> Source:
    """The ledger and the rules' result of one state of it (the result from the cache
    when that state, the settings and the code are the cached ones)."""
    from journal.cache import ledger_and_rules
    from journal.readmodel import load_ledger

    data, result = ledger_and_rules(engine, load_ledger, lambda d: rules_for(d, as_of),
                                    as_of=as_of)
    return Source(data, result, engine)


def view(engine, name: str, build: Callable[[Source], T], *, as_of: date | None = None,
         params: object = None, files: Iterable[str | None] = (),
         unused: Iterable[str] = ()) -> tuple[list[str], T]:
    """The ledger's account ids and ``build(load(engine, as_of=as_of))``, kept in the
    derived-state cache under ``name``.

    ``build`` may depend only on the source and on ``params`` (the period, the account
    filter, the day DTE counts from, a settings dataclass...) and on the content of
    ``files`` (user files it reads besides the rules' inputs, e.g. the earnings CSV).
    The account ids come back for the ``--account`` check.

    ``unused`` names parts of the rules' result ``build`` never reads (``"flags"``):
    they are let go before it runs, so the table is made in the memory they held (a
    cold review's 18k flags are 80 MB) instead of on top of it.
    """
    from journal.cache import derived

    def compute() -> tuple[list[str], T]:
        src = load(engine, as_of=as_of)
        if unused:
            src.let_go(*unused)
        return src.account_ids, build(src)

    return derived(engine, f"view:{name}", compute, params=[as_of, params], files=files)


def files_of(settings) -> tuple[str | None, ...]:
    """The user's CSV files a review reads (``settings``: the [checklist] section): the
    earnings, cash and prices the grades, status and marks use."""
    return (settings.earnings_csv, settings.cash_csv, settings.prices_csv)


def undated(engine) -> date | None:
    """Today when the ledger has no end yet (no active trade, no statement period: a review
    is then measured at the clock, so a kept one must not outlive the day); else None (it
    is measured at the ledger's end, which the ledger version already pins)."""
    from journal.dbconn import snapshot

    with snapshot(engine) as conn:
        dated = conn.scalar(
            "SELECT EXISTS (SELECT 1 FROM execution WHERE status = 'active') "
            "OR EXISTS (SELECT 1 FROM import_batch WHERE period_to IS NOT NULL)")
    return None if dated else date.today()
