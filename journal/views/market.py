"""What the statements (and the user's own CSVs) say about the market: closing prices,
marks of open positions and the cash in each account on each day.

Pure functions over :class:`journal.readmodel.LedgerData`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journal.readmodel import LedgerData

ZERO = Decimal(0)


def statement_prices(data: LedgerData) -> dict[tuple[date, str], Decimal]:
    """Underlying closes the statements carry: an OpenPosition's mark on its report date
    and a stock Trade row's closePrice on its trade date (which wins a tie)."""
    out: dict[tuple[date, str], Decimal] = {}
    for s in data.snapshots:
        if s.asset_category == "STK" and s.symbol and s.mark_price:
            out[(s.report_date, s.symbol.upper())] = s.mark_price
    for p in data.prices:
        out[(p.day, p.symbol.upper())] = p.close
    return out


def statement_cash(data: LedgerData) -> dict[str, list[tuple[date, Decimal]]]:
    """Cash at the start of each day the statements can tell, for the checklist: IB's
    starting cash of a period (CashReport, base currency) plus the net cash of every
    execution and cash row of the days before, and IB's ending cash after the period.
    account -> sorted [(day, cash at the start of that day)].

    Only for accounts whose base currency is USD: the amounts of the read model are in
    USD, and IB's cash of another base currency cannot be compared with them (nor with a
    put's collateral in USD); the cash check then says "unknown"."""
    usd = {a.account for a in data.accounts if (a.base_currency or "USD").upper() == "USD"}
    balances = [b for b in data.cash_balances if b.account in usd]
    if not balances:
        return {}
    flows: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
    for e in data.executions:
        if e.account in usd:
            flows[(e.account, e.trade_date)] += e.net_cash
    for c in data.cash:
        if c.account in usd:
            flows[(c.account, c.day)] += c.amount
    days_of: dict[str, list[date]] = defaultdict(list)
    for acc, day in sorted(flows):
        days_of[acc].append(day)
    points: dict[str, list] = {}
    for b in balances:
        out = points.setdefault(b.account, [])
        if b.starting is not None:
            running = b.starting
            out.append((b.from_date, 1, b.starting))  # IB's own figures win a tie (1 > 0)
            for day in days_of.get(b.account, ()):
                if b.from_date <= day and (b.to_date is None or day <= b.to_date):
                    running += flows[(b.account, day)]
                    out.append((day + timedelta(days=1), 0, running))
        if b.ending is not None and b.to_date is not None:
            out.append((b.to_date + timedelta(days=1), 1, b.ending))
    return {acc: [(d, c) for d, _p, c in sorted(v, key=lambda t: (t[0], t[1]))]
            for acc, v in points.items()}


MAX_AGE = timedelta(days=31)


class Marks:
    """The latest mark on or before ``as_of``: an option's from the OpenPositions rows, an
    underlying's from OpenPositions, stock rows' closes and the user's prices CSV
    (``extra_prices``, which win a tie). A mark older than a month (:data:`MAX_AGE`) is
    not used: an in-the-money call read off a price from last spring misleads. The days
    of the marks handed out are kept in ``used`` so the listing can say how old they are.
    """

    def __init__(self, data: LedgerData, as_of: date,
                 extra_prices: Mapping[tuple[date, str], Decimal] | None = None):
        self.as_of = as_of
        self.used: set[date] = set()
        options: dict[tuple, list] = defaultdict(list)
        for s in data.snapshots:
            if s.put_call and s.report_date <= as_of:
                options[(s.account, s.conid or s.symbol)].append((s.report_date, s.mark_price))
        self._options = {k: sorted(v) for k, v in options.items()}
        prices = statement_prices(data)
        prices.update(extra_prices or {})
        by_symbol: dict[str, list] = defaultdict(list)
        for (day, sym), px in prices.items():
            if day <= as_of:
                by_symbol[sym].append((day, px))
        self._prices = {k: sorted(v) for k, v in by_symbol.items()}

    def _latest(self, points: list, since: date | None = None):
        if not points:
            return None, None
        day, px = points[-1]
        if (since is not None and day < since) or day < self.as_of - MAX_AGE:
            return None, None
        self.used.add(day)
        return px, day

    def note(self) -> str | None:
        """When the marks shown are from, for the line under the table."""
        if not self.used:
            return (f"No mark from the month before {self.as_of} (Open Positions of a "
                    "statement, or the prices CSV [checklist] prices_csv).")
        first, last = min(self.used), max(self.used)
        when = f"of {first}" if first == last else f"from {first} to {last}"
        return f"Marks {when}: the latest on or before {self.as_of}."

    def option(self, account: str, conid: str | None, symbol: str = "",
               since: date | None = None) -> tuple[Decimal | None, date | None]:
        """(mark per share, its day) of an option position opened on ``since``."""
        points = self._options.get((account, conid or symbol), [])
        return self._latest(points, since)

    def price(self, symbol: str) -> tuple[Decimal | None, date | None]:
        return self._latest(self._prices.get(symbol.upper(), []))

    def price_on(self, symbol: str, day: date) -> Decimal | None:
        """The close on ``day`` exactly (the checklist grades a sale on its own day)."""
        points = self._prices.get(symbol.upper(), [])
        i = bisect_right(points, (day, Decimal("Infinity")))
        return points[i - 1][1] if i and points[i - 1][0] == day else None


def user_prices(settings) -> dict[tuple[date, str], Decimal]:
    """The closes of the user's prices CSV (``[checklist] prices_csv``), or {}."""
    from journal import checklist

    return checklist.read_prices(settings.prices_csv) if settings.prices_csv else {}
