"""The wheel seller's arithmetic, written once: collateral, premium per share, breakeven,
how far a strike is out of the money, and the annualized return on the capital tied up.

Pure functions on exact Decimals. Percentages are percent numbers (6.23 means 6.23 %),
unrounded: whoever shows them rounds. The calculator, the checklist, the review, the
summaries and the position listings all use these, so a figure means the same everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DAYS_PER_YEAR = Decimal(365)
SHARES_PER_CONTRACT = Decimal(100)
CENT = Decimal("0.01")
PUT, CALL = "P", "C"


def pct(x: Decimal | None) -> Decimal | None:
    """A percentage as the journal reports it: two places, half up."""
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


def collateral(strike: Decimal, contracts: Decimal,
               multiplier: Decimal | None = SHARES_PER_CONTRACT) -> Decimal:
    """Cash that secures short puts: strike × multiplier × contracts (sign ignored)."""
    return strike * (multiplier or SHARES_PER_CONTRACT) * abs(contracts)


def premium_per_share(premium: Decimal, contracts: Decimal,
                      multiplier: Decimal | None = SHARES_PER_CONTRACT) -> Decimal:
    """A position's premium (total money) per share of the underlying."""
    shares = abs(contracts) * (multiplier or SHARES_PER_CONTRACT)
    return premium / shares if shares else ZERO


def breakeven(strike: Decimal, per_share: Decimal, put_call: str) -> Decimal:
    """The underlying price at expiry where a short option neither gains nor loses: a put
    below its strike by the premium, a call above it."""
    return strike + per_share if put_call == CALL else strike - per_share


def position_breakeven(strike: Decimal, premium: Decimal, contracts: Decimal,
                       put_call: str, multiplier: Decimal | None = SHARES_PER_CONTRACT,
                       deliverable: Decimal | None = None) -> Decimal | None:
    """The breakeven per share of a short option position: (strike × multiplier ∓ premium
    per contract) ÷ shares delivered per contract. The multiplier is the cash per point
    and the deliverable the shares one contract delivers; they differ after an OCC
    adjustment (a 1-for-10 reverse split leaves 2 × 3 P at 100 but delivering 10 shares:
    (300.00 − 34.35) ÷ 10 = 26.565). Without an adjustment this is the strike minus (plus,
    for a call) the premium per share."""
    n = abs(contracts)
    m = multiplier or SHARES_PER_CONTRACT
    shares = deliverable or m
    if not n:
        return None
    per_contract = premium / n
    cash = strike * m + per_contract if put_call == CALL else strike * m - per_contract
    return cash / shares


def otm_pct(price: Decimal | None, strike: Decimal,
            put_call: str = PUT) -> Decimal | None:
    """How far the strike is out of the money, in percent of the price (negative: in the
    money)."""
    if not price:
        return None
    diff = strike - price if put_call == CALL else price - strike
    return diff / price * HUNDRED


def in_the_money(price: Decimal | None, strike: Decimal, put_call: str) -> bool | None:
    if price is None:
        return None
    return price > strike if put_call == CALL else price < strike


def annualized_return_pct(gain: Decimal, capital_days: Decimal) -> Decimal | None:
    """gain ÷ (capital × days held) × 365, in percent: the return on the capital tied up,
    as if earned all year. None when nothing was tied up."""
    if not capital_days:
        return None
    return gain * DAYS_PER_YEAR / capital_days * HUNDRED


def premium_yield_pct(premium: Decimal, capital: Decimal, dte: int) -> Decimal | None:
    """The seller's headline figure, premium ÷ capital × 365 ÷ days (per share: capital
    is the strike for a put, the share price for a covered call)."""
    if dte <= 0:
        return None
    return annualized_return_pct(premium, capital * dte)


def unrealized(premium: Decimal, mark: Decimal | None, contracts: Decimal,
               multiplier: Decimal | None = SHARES_PER_CONTRACT) -> Decimal | None:
    """Profit so far of an option position at a mark: premium received (short) or paid
    (long, negative) plus what closing it at the mark would bring."""
    if mark is None:
        return None
    value = mark * (multiplier or SHARES_PER_CONTRACT) * contracts  # short: negative
    return premium + value
