"""Tax-law helpers: holding periods, settlement, the covered-call tests and the 60/40 split.

Pure functions of dates and prices, each tied to its rule in tax_rules.md. They know
nothing about lots or ledgers, so the calculator and the checklist use them as well.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from journal import coverage
from journal.rules.money import CENT
from journal.vocab import Term

WASH_DAYS = 30  # §3.1: 30 days before or after a loss sale
T1_STOCK_FROM = date(2024, 5, 28)  # US stock settlement went from T+2 to T+1 (SEC)

ST = Term.SHORT.value
LT = Term.LONG.value
NEEDS_REVIEW = Term.NEEDS_REVIEW.value

# Covered-call classes (§2.2); three of them are also the flag codes raised for them.
QCC_OTM = "QCC_OTM"
QCC_ITM = "QCC_ITM"
NON_QCC = "NON_QCC"
ASP_UNKNOWN = "ASP_UNKNOWN"


_ANNIVERSARY: dict[date, date] = {}  # the pass asks for a few thousand distinct days


def anniversary(d: date) -> date:
    known = _ANNIVERSARY.get(d)
    if known is not None:
        return known
    try:
        known = d.replace(year=d.year + 1)
    except ValueError:  # Feb 29: LT from Mar 1 of the next year (tax_rules.md §0.2)
        known = date(d.year + 1, 2, 28)
    if len(_ANNIVERSARY) < 100_000:
        _ANNIVERSARY[d] = known
    return known


def term_for(hp_acquired: date, sold: date) -> str:
    """§0.2: the holding period starts the day after acquisition; LT = more than 1 year."""
    return LT if sold > anniversary(hp_acquired) else ST


def settles_next_year(d: date, stock: bool = False) -> bool:
    """True if a trade on ``d`` settles in the next calendar year (options settle T+1,
    stock T+2 before 2024-05-28, counted in trading days)."""
    if d.month < 12 or d.day < 20:  # settlement is at most a few trading days away
        return False
    days = 2 if stock and d < T1_STOCK_FROM else 1
    # Weekdays left in the year beside the days Christmas can close the exchange on: with
    # one to spare for an unplanned closure, settlement stays in this year without the
    # exchange calendar (which costs a noticeable import).
    left = sum(1 for day in range(d.day + 1, 32)
               if day not in (24, 25, 26) and date(d.year, 12, day).weekday() < 5)
    if left > days:
        return False
    n = d
    while days:
        n += timedelta(days=1)
        if coverage.is_trading_day(n):
            days -= 1
    return n.year > d.year


def previous_business_day(d: date) -> date:
    """The trading day before ``d``."""
    n = d - timedelta(days=1)
    while not coverage.is_trading_day(n):
        n -= timedelta(days=1)
    return n


def split_1256(gain: Decimal) -> tuple[Decimal, Decimal]:
    """(LT 60 %, ST 40 %), rounded to cents so the two add up to the gain (§6.2)."""
    lt = (gain * Decimal("0.6")).quantize(CENT, rounding=ROUND_HALF_UP)
    return lt, gain - lt


def lowest_qualified_benchmark(asp: Decimal, dte: int, strike: Decimal) -> Decimal:
    """IRC §1092(c)(4)(D) without the listed strike ladder: strikes are assumed on the
    standard grid ($2.50 below $25, $5 to $200, $10 above). FLAGged as an approximation."""
    step = Decimal("2.5") if asp < 25 else Decimal(5) if asp < 200 else Decimal(10)
    first = ((asp / step).to_integral_value(rounding=ROUND_CEILING) - 1) * step
    lqb = first - step if (dte > 90 and strike > 50) else first
    if asp <= 25:
        lqb = max(lqb, asp * Decimal("0.85"))
    if asp <= 150:
        lqb = max(lqb, asp - 10)
    return lqb


def classify_call(asp: Decimal | None, dte: int, strike: Decimal) -> str:
    """§2.2: QCC_OTM, QCC_ITM, NON_QCC, or ASP_UNKNOWN when no prior close is known."""
    if dte <= 30 or dte > 365:
        return NON_QCC
    if asp is None:
        return ASP_UNKNOWN
    if strike >= asp:
        return QCC_OTM
    if strike >= lowest_qualified_benchmark(asp, dte, strike):
        return QCC_ITM
    return NON_QCC
