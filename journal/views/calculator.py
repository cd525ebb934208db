"""The pre-trade calculator run the way ``journal calc`` runs it, for faces that are not
the command line (the dashboard's calculator form): the same inputs, the same ledger
checks with a symbol, the same one-row table and warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from journal.views.table import Table

if TYPE_CHECKING:
    from journal.calc import CalcInput
    from journal.rules.types import RuleResult


@dataclass(frozen=True)
class Request:
    premium: Decimal
    strike: Decimal
    dte: int
    price: Decimal | None = None
    contracts: int = 1
    commission: Decimal = Decimal(0)
    cash: Decimal | None = None
    symbol: str | None = None
    open_contracts: int | None = None  # None: from the ledger with a symbol, else 0
    day: date | None = None  # the day of the sale (default: today)
    call: bool = False
    account: str | None = None  # with call: only this account's shares


def check(req: Request) -> None:
    """Refuse bad input before the ledger is read (JournalError, one line)."""
    from journal import calc

    calc.check(_input(req, req.day or date.today()))


def _input(req: Request, day: date, **more) -> CalcInput:
    from journal import calc

    return calc.CalcInput(premium=req.premium, strike=req.strike, dte=req.dte,
                          price=req.price, contracts=req.contracts,
                          commission=req.commission, cash=req.cash, symbol=req.symbol,
                          sale_date=day, **more)


def run(req: Request, result: RuleResult | None, today: date) -> tuple[Table, tuple]:
    """The calculator's table and the ledger warnings. ``result``: the rules' view of
    the ledger (on ``req.day`` when given), needed only with a symbol."""
    from journal import calc, checklist
    from journal.views import calc as views

    day = req.day or today
    if req.call:
        lots: tuple = ()
        if result is not None and req.symbol:
            lots = tuple(x for x in result.lots if x.symbol.upper() == req.symbol.upper()
                         and (req.account is None or x.account == req.account)
                         and x.quantity > 0)
        inp = calc.CalcInput(premium=req.premium, strike=req.strike, dte=req.dte,
                             price=req.price, contracts=req.contracts,
                             commission=req.commission, symbol=req.symbol, sale_date=day)
        row, warnings = calc.calculate_call(inp, lots)
        return views.call(row), tuple(warnings)
    settings = checklist.load_settings()
    earnings = checklist.read_earnings(settings.earnings_csv) if settings.earnings_csv else None
    ledger_open, warnings = None, ()
    if result is not None and req.symbol:
        from journal.settings import load_settings as load_rule_settings

        ledger_open, warnings = calc.ledger_checks(
            result, req.symbol, day, req.strike, req.price,
            expiry=day + timedelta(days=req.dte),
            scope=load_rule_settings().option_wash_scope)
    open_contracts = req.open_contracts
    if open_contracts is None:
        open_contracts = ledger_open or 0
    row = calc.calculate(_input(req, day, open_contracts=open_contracts,
                                ledger_warnings=warnings, ledger_open_puts=ledger_open),
                         settings, earnings)
    return views.put(row), tuple(warnings)
