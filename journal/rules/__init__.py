"""Rules layer: pure functions from ledger data to tax and journal results.

``run_rules(data, settings)`` is pure: same ledger data in, same :class:`RuleResult` out,
nothing written anywhere. ``analyze(engine)`` loads the ledger read-only and runs it.
The US rules implemented are specified in docs tax_rules.md; the result types are in
:mod:`journal.rules.types`.
"""

from __future__ import annotations

from datetime import date

from journal.readmodel import LedgerData, load_ledger
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


def run_rules(data: LedgerData, settings: Settings | None = None,
              as_of: date | None = None) -> RuleResult:
    from journal.rules.engine import run_rules as run

    return run(data, settings or Settings(), as_of)


def analyze(engine, *, settings: Settings | None = None,
            as_of: date | None = None) -> RuleResult:
    """Load the ledger behind ``engine`` and run the rules (settings default to the user's
    config.toml)."""
    data = load_ledger(engine)
    if settings is None:
        settings = load_settings()
        data = _with_user_prices(data)
    return run_rules(data, settings, as_of)


def _with_user_prices(data: LedgerData) -> LedgerData:
    """Add the closes of the user's prices CSV (``[checklist] prices_csv``, shared with the
    checklist): they let the rules classify covered calls where no statement has a price."""
    from dataclasses import replace

    from journal import checklist
    from journal.readmodel import PriceRecord

    path = checklist.load_settings().prices_csv
    if not path:
        return data
    theirs = [PriceRecord(day, sym, close)
              for (day, sym), close in checklist.read_prices(path).items()]
    # the user's own prices win over a statement's on the same day
    return replace(data, prices=data.prices + tuple(theirs))


__all__ = ["LedgerData", "RuleResult", "Settings", "analyze", "load_ledger", "run_rules"]
