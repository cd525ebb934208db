"""A checklist grade for every put sold, in trade order (``journal review --by put``).

Each sale is graded as the seller saw it on the day: the puts then open on the underlying
and the account's collateral after the sale come from the ledger's own history, the
underlying's close and the cash from the statements (or the user's CSVs). Per-share
figures are in the listing currency, like the strike they are compared with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from journal import checklist, vocab, wheel
from journal.views.filters import ALL, Accounts

ZERO = Decimal(0)

GRADE_COLUMNS = [
    "account", "trade_date", "underlying", "contract", "contracts", "strike", "expiry", "dte",
    "premium", "price", "otm_pct", "annualized_pct", "open_after",
    *(f"check_{c}" for c in checklist.CHECKS),
    "score", "grade", "reasons", "transaction_id",
]


# open_close text -> (opens, closes): a handful of distinct texts on ~90k look-ups per
# review, each of which would otherwise parse the text into a set of codes again
_OPEN_CLOSE: dict[str | None, tuple[bool, bool]] = {}


def _open_close(e) -> tuple[bool, bool]:
    text = e.open_close
    found = _OPEN_CLOSE.get(text)
    if found is None:
        codes = vocab.codes(text)
        found = _OPEN_CLOSE[text] = ("O" in codes, "C" in codes)
    return found


def _closes_short(e) -> bool:
    return _open_close(e)[1] and e.quantity > 0


def _sells_to_open(e) -> bool:
    return _open_close(e)[0] and e.quantity < 0


def _sale_groups(execs: Sequence) -> dict[int, tuple]:
    """Fills of one order are one sale: the checklist grades decisions, not fills.
    Returns id(execution) -> the fills of its sale."""
    groups: dict[tuple, list] = {}
    for e in execs:
        key = (e.account, e.ib_order_id or e.transaction_id, e.conid, e.trade_date)
        groups.setdefault(key, []).append(e)
    return {id(e): tuple(g) for g in groups.values() for e in g}


def grades(executions: Sequence, *, accounts: Accounts = ALL,
           settings: checklist.Settings | None = None,
           market: checklist.MarketData | None = None) -> list[dict]:
    """A checklist grade for every put sold to open, in trade order."""
    settings = settings or checklist.Settings()
    market = market or checklist.MarketData()
    puts = [e for e in accounts.rows(executions) if e.is_option and e.put_call == "P"]
    # closes before opens at the same moment: a roll frees its old contract first
    puts.sort(key=lambda e: (e.trade_date, e.date_time or datetime.min,
                             0 if _closes_short(e) else 1, e.seq))
    open_by_und: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    collateral: dict[str, Decimal] = defaultdict(lambda: ZERO)
    sale_of = _sale_groups([e for e in puts if _sells_to_open(e)])
    rows, done = [], set()
    for e in puts:
        q = abs(e.quantity)
        und = (e.account, e.underlying)
        if _closes_short(e):
            open_by_und[und] = max(ZERO, open_by_und[und] - q)
            collateral[e.account] -= wheel.collateral(e.strike, q, e.multiplier)
            continue
        if not _sells_to_open(e):
            continue
        open_by_und[und] += q
        collateral[e.account] += wheel.collateral(e.strike, q, e.multiplier)
        group = sale_of[id(e)]
        if group[-1] is not e or id(group) in done:
            continue  # grade once, after the last fill of the order
        done.add(id(group))
        rows.append(_grade(e, group, open_by_und[und], collateral[e.account], settings,
                           market))
    return rows


def _grade(e, group: tuple, open_after: Decimal, collateral_after: Decimal,
           settings: checklist.Settings, market: checklist.MarketData) -> dict:
    n = sum((abs(x.quantity) for x in group), ZERO)
    # the average price of the fills: per share, in the strike's currency
    premium = (sum((abs(x.quantity) * (x.trade_price or ZERO) for x in group), ZERO) / n
               ).normalize() + ZERO if n else ZERO
    strike = e.strike or ZERO
    dte = (e.expiry - e.trade_date).days if e.expiry else 0
    price = market.price(e.trade_date, e.underlying)
    earnings = None if market.earnings is None else market.earnings.get(
        e.underlying.upper(), [])
    g = checklist.grade_put(
        strike=strike, premium=premium, dte=dte, contracts=n, open_contracts_after=open_after,
        price=price, cash=market.cash_on(e.account, e.trade_date),
        collateral_after=collateral_after, earnings_dates=earnings, sale_date=e.trade_date,
        settings=settings)
    return {
        "account": e.account, "trade_date": e.trade_date, "underlying": e.underlying,
        "contract": e.description or e.symbol, "contracts": n, "strike": strike,
        "expiry": e.expiry, "dte": dte, "premium": premium, "price": price,
        "otm_pct": wheel.pct(wheel.otm_pct(price, strike)),
        "annualized_pct": wheel.pct(wheel.premium_yield_pct(premium, strike, dte)),
        "open_after": open_after,
        **{f"check_{k}": v for k, v in g.checks.items()}, "score": g.score, "grade": g.grade,
        "reasons": "; ".join(g.reasons), "transaction_id": group[0].transaction_id,
    }

