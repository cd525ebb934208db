"""Rules layer: pure functions from ledger data to tax and journal results.

``run_rules(data, settings)`` is pure: same ledger data in, same :class:`RuleResult` out,
nothing written anywhere. ``analyze(engine)`` loads the ledger read-only and runs it.
The US rules implemented are specified in docs tax_rules.md; the result types are in
:mod:`journal.rules.types`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from journal.rules.types import (  # noqa: F401 - re-exported contract
    Flag,
    OptionPosition,
    RealizedEvent,
    RuleResult,
    StockLot,
    WashSale,
    WheelCycle,
)
from journal.settings import Settings, load_settings

if TYPE_CHECKING:
    from journal.readmodel import LedgerData, load_ledger


def __getattr__(name: str):
    # The read model (and with it SQLModel and the table models) loads only when a caller
    # reads the ledger: a report answered from the cache never does.
    if name in ("LedgerData", "load_ledger"):
        from journal import readmodel

        return getattr(readmodel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_rules(data: LedgerData, settings: Settings | None = None,
              as_of: date | None = None, tax_year: int | None = None) -> RuleResult:
    """``tax_year``: only that year's realized events, wash sales and flags (and flags
    with no tax year) are made; the other fields are whole."""
    from journal.rules.engine import run_rules as run

    return run(data, settings or Settings(), as_of, tax_year)


def analyze(engine, *, settings: Settings | None = None,
            as_of: date | None = None, tax_year: int | None = None) -> RuleResult:
    """Load the ledger behind ``engine`` and run the rules (settings default to the user's
    config.toml). The result comes from the derived-state cache (:mod:`journal.cache`)
    when the ledger, the settings, ``as_of`` and the code are unchanged.

    ``tax_year``: the caller only looks at that year's realized events, wash sales and
    flags (and flags with no tax year); the result holds only those (lots, positions and
    cycles stay whole), which a cached result reads and decodes alone.
    """
    from journal.cache import rules_result

    return rules_result(engine, settings, tax_year=tax_year, as_of=as_of)


def compute(engine, *, settings: Settings | None = None,
            as_of: date | None = None, tax_year: int | None = None) -> RuleResult:
    """:func:`analyze` without the cache."""
    from journal import readmodel

    data = readmodel.load_ledger(engine)
    if settings is None:
        settings = load_settings()
        data = _with_user_prices(data)
    return run_rules(data, settings, as_of, tax_year)


def user_prices_path() -> str:
    """The user's prices CSV (``[checklist] prices_csv``), "" when none: an input of the
    rules beside the ledger."""
    from journal import checklist

    return checklist.load_settings().prices_csv


def _with_user_prices(data: LedgerData) -> LedgerData:
    """Add the closes of the user's prices CSV (``[checklist] prices_csv``, shared with the
    checklist): they let the rules classify covered calls where no statement has a price."""
    from dataclasses import replace

    from journal import checklist
    from journal.readmodel import PriceRecord

    path = user_prices_path()
    if not path:
        return data
    theirs = [PriceRecord(day, sym, close)
              for (day, sym), close in checklist.read_prices(path).items()]
    # the user's own prices win over a statement's on the same day
    return replace(data, prices=data.prices + tuple(theirs))


__all__ = ["LedgerData", "RuleResult", "Settings", "analyze", "compute", "load_ledger",
           "run_rules"]
