"""Period bucketing and aggregation for the summaries, with pandas.

Every figure is an exact Decimal in an object column: pandas groups, reindexes and sums,
Python's Decimal adds. Weeks run Monday to Sunday and are labelled by ISO week
(``2025-W03``), months ``2025-01``, years ``2025``.

Time-weighted figures (collateral-days, capital in use) come from a level per day: each
interval [start, end) adds its amount from ``start`` and takes it away at ``end``, the
running sum is the level, and a period's collateral-days is the sum of its days' levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

import pandas as pd

ZERO = Decimal(0)
ONE = Decimal(1)
FREQ = {"week": "W-SUN", "month": "M", "year": "Y"}
UNDERLYING_COUNTS = ("puts_sold_contracts", "calls_sold_contracts", "premium_gross",
                     "premium_net", "closed_puts", "assigned", "called_away")
RATE_COUNTS = ("closed_put_positions", "assigned_positions")  # in opening units
CLOSE_KINDS = ("closed_early", "expired", "assigned", "called_away")
COUNT_NAMES = ("puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
               *CLOSE_KINDS)


def label(p: pd.Period, period: str):
    if period == "year":
        return p.year
    if period == "month":
        return f"{p.year:04d}-{p.month:02d}"
    iso = p.start_time.date().isocalendar()
    return f"{iso[0]:04d}-W{iso[1]:02d}"


def _stamps(days: Sequence[date]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(days)))


class Frame:
    """The contiguous periods from ``first`` to ``last`` and sums per period."""

    def __init__(self, first: date, last: date, period: str):
        self.period = period
        self.freq = FREQ[period]
        self.index = pd.period_range(pd.Timestamp(first), pd.Timestamp(last), freq=self.freq)
        self.labels = [label(p, period) for p in self.index]
        self.starts = [p.start_time.date() for p in self.index]
        self.ends = [p.end_time.date() + timedelta(days=1) for p in self.index]  # exclusive

    def _sum(self, days: Sequence[date], columns: dict[str, list]) -> dict[str, list]:
        """Per period, the sum of each column's values (aligned with ``days``)."""
        return self.sum_days(day_sums(zip(days, zip(*columns.values()))), tuple(columns))

    def sum_days(self, per_day: dict[date, list], names: tuple[str, ...]) -> dict[str, list]:
        """Per period, the sum of each of ``names``' values, from their sums per day
        (:func:`day_sums`): pandas groups a row per day."""
        if not per_day:
            return {k: [ZERO] * len(self.index) for k in names}
        df = pd.DataFrame({k: pd.Series([v[i] for v in per_day.values()], dtype=object)
                           for i, k in enumerate(names)})
        df["p"] = _stamps(list(per_day)).to_period(self.freq)
        sums = df.groupby("p").sum().reindex(self.index, fill_value=ZERO)
        return {k: list(sums[k]) for k in names}

    def counts(self, facts: Sequence) -> dict[str, list]:
        """Contracts sold (puts, calls), premium and how short options ended, per period."""
        return self.sum_days(count_days(facts), COUNT_NAMES)

    def realized(self, facts: Sequence[tuple]) -> dict[str, list]:
        """facts: (day, gain, option contracts closed, of them won, option gain)."""
        return self.sum_days(realized_days(facts), REALIZED_NAMES)

    def daily_sum(self, intervals: Iterable[tuple]) -> list[Decimal]:
        """Per period, the sum over its days of the amounts whose [start, end) covers the
        day (collateral × days)."""
        return self.daily_sum_of(*level(intervals))

    def daily_sum_of(self, days: list[date], levels: list[Decimal]) -> list[Decimal]:
        """:meth:`daily_sum` of the intervals' :func:`level`."""
        if not days:
            return [ZERO] * len(self.index)
        level = pd.Series(levels, index=_stamps(days), dtype=object)
        span = pd.date_range(pd.Timestamp(self.starts[0]), pd.Timestamp(self.ends[-1])
                             - pd.Timedelta(days=1), freq="D")
        every = level.reindex(span.union(level.index)).ffill().fillna(ZERO)
        every = every[(every.index >= span[0]) & (every.index <= span[-1])]
        sums = every.groupby(every.index.to_period(self.freq)).sum()
        return list(sums.reindex(self.index, fill_value=ZERO))

    def level_at_end(self, intervals: Iterable[tuple], as_of: date) -> list[Decimal]:
        """The level on each period's last day, or ``as_of`` when that comes first."""
        return self.level_at_end_of(*level(intervals), as_of)

    def level_at_end_of(self, days: list[date], levels: list[Decimal],
                        as_of: date) -> list[Decimal]:
        """:meth:`level_at_end` of the intervals' :func:`level`."""
        if not days:
            return [ZERO] * len(self.index)
        index = pd.DatetimeIndex(_stamps(days))
        lasts = _stamps([min(end - timedelta(days=1), as_of) for end in self.ends])
        at = index.searchsorted(lasts, side="right") - 1
        return [levels[i] if i >= 0 else ZERO for i in at]

    @staticmethod
    def cumulative(values: Sequence[Decimal]) -> list[Decimal]:
        return list(accumulate(values))


REALIZED_NAMES = ("gain", "closed", "won", "option_gain")


def day_sums(rows: Iterable[tuple[date, Sequence]]) -> dict[date, list]:
    """Per day, the sum of each of the rows' values: ``rows`` are (day, values).

    The values are added up per day in plain Python, so pandas groups a row per day
    instead of one per fact (a twentieth of the rows on a large ledger, and the cold
    summary's peak memory), and the rows are taken one at a time, never as columns the
    size of the ledger. Decimal addition is exact here, and a sum's value, exponent and
    sign of zero do not depend on the order of its terms, so the sums are the same digit
    for digit. The same sums per day serve every period length (the monthly and the
    yearly summary add up the same days)."""
    per_day: dict[date, list] = {}
    for d, values in rows:
        acc = per_day.get(d)
        if acc is None:
            per_day[d] = list(values)
        else:
            for i, v in enumerate(values):
                acc[i] = acc[i] + v
    return per_day


def count_days(facts: Iterable) -> dict[date, list]:
    """Per day: contracts sold (puts, calls), premium and how short options ended
    (:data:`COUNT_NAMES`), for :meth:`Frame.sum_days`."""
    def values(f) -> tuple:
        sold, n = f.kind == "sold", f.contracts
        put = sold and f.put_call == "P"
        return (n if put else ZERO, n if sold and not put else ZERO, f.gross, f.net,
                *(n if f.kind == kind else ZERO for kind in CLOSE_KINDS))

    return day_sums((f.day, values(f)) for f in facts)


def realized_days(facts: Iterable[tuple]) -> dict[date, list]:
    """facts: (day, gain, option contracts closed, of them won, option gain); per day,
    their sums (:data:`REALIZED_NAMES`)."""
    return day_sums((f[0], f[1:5]) for f in facts)


def level(intervals: Iterable[tuple]) -> tuple[list[date], list[Decimal]]:
    """Days where the level of the (start, end exclusive or None, amount) intervals
    changes, and the level from each of them on."""
    delta: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for a, b, v in intervals:
        delta[a] += v
        if b is not None:
            delta[b] -= v
    days = sorted(delta)
    return days, list(accumulate(delta[d] for d in days))


def counts_by_underlying(facts: Sequence, units: Units | None = None) -> dict[str, dict]:
    """Per underlying: contracts sold, premium, puts closed and how they ended; and, for
    the assignment rate, the puts closed and assigned in opening units (:class:`Units`).

    Each underlying's values are first added up in plain Python, in the facts' order and
    starting from the first value, which is exactly what pandas' grouped sum of an object
    column does (so the sums are the same digit for digit); pandas then groups a row per
    underlying instead of one per fact: ten columns the size of the ledger were the cold
    review's and report's peak memory."""
    if not facts:
        return {}
    per_underlying: dict[str, list] = {}
    for f in facts:
        sold, put, n = f.kind == "sold", f.put_call == "P", f.contracts
        w = units.closed_by(f.account, f.transaction_id) if units is not None \
            and not sold else ONE
        values = (n if sold and put else ZERO, n if sold and not put else ZERO,
                  f.gross, f.net, n if not sold and put else ZERO,
                  n if f.kind == "assigned" else ZERO, n if f.kind == "called_away" else ZERO,
                  n * w if not sold and put else ZERO, n * w if f.kind == "assigned" else ZERO)
        acc = per_underlying.get(f.underlying)
        if acc is None:
            per_underlying[f.underlying] = list(values)
        else:
            for i, v in enumerate(values):
                acc[i] = acc[i] + v
    names = UNDERLYING_COUNTS + RATE_COUNTS
    df = pd.DataFrame({"underlying": list(per_underlying), **{
        k: pd.Series([v[i] for v in per_underlying.values()], dtype=object)
        for i, k in enumerate(names)}})
    sums = df.groupby("underlying").sum()
    # a column at a time: the same objects as sums.at[u, k], without 3,600 lookups
    columns = [(k, list(sums[k])) for k in names]
    return {u: {k: values[i] for k, values in columns} for i, u in enumerate(sums.index)}


# --- attribution by open or close date -------------------------------------------------------

def _split(fact, pieces: list[tuple[Decimal, date]]):
    """A fact split over position pieces (contracts, day); what no piece takes stays."""
    out, left_q, left_g, left_n = [], fact.contracts, fact.gross, fact.net
    for n, day in pieces:
        n = min(n, left_q)
        if n <= 0:
            break
        if n == left_q:
            g, net = left_g, left_n
        else:
            g, net = fact.gross * n / fact.contracts, fact.net * n / fact.contracts
        out.append(replace(fact, day=day, contracts=n, gross=g, net=net))
        left_q, left_g, left_n = left_q - n, left_g - g, left_n - net
    if left_q > 0:
        out.append(replace(fact, contracts=left_q, gross=left_g, net=left_n))
    return out


def attribute(facts: Sequence, result, by_date: str) -> list:
    """Move each fact to the date it is attributed to: ``close`` puts a sale's premium and
    contracts in the period its position closed (still open: not yet counted); ``open``
    puts a close in the period its position was opened."""
    pieces: dict[tuple, list] = defaultdict(list)
    for p in result.option_positions:
        if p.contracts >= 0:
            continue
        if by_date == "close" and p.open_transaction_id:
            # the sale's contracts are in opening units (1 before a 10:1 split, not 10)
            opened = p.opened_contracts if p.opened_contracts is not None else p.contracts
            pieces[(p.account, p.open_transaction_id)].append((abs(opened), p.closed))
        elif by_date == "open" and p.close_transaction_id:
            pieces[(p.account, p.close_transaction_id)].append((abs(p.contracts), p.opened))
    out = []
    for f in facts:
        moves = (f.kind == "sold") == (by_date == "close")
        found = pieces.get((f.account, f.transaction_id)) if moves else None
        if not found:
            out.append(f)
            continue
        out.extend(x for x in _split(f, sorted(found, key=lambda t: t[1] or date.max))
                   if x.day is not None)
    return out


class Units:
    """Contracts in the units their positions were opened in. An OCC adjustment (a 10:1
    split) turns 1 contract into 10 without a sale; the listing counts what closed (10
    expired), but a position-level rate (win rate, assignment rate) counts the position
    once: each adjusted contract then weighs 1/10 (``OptionPosition.opened_contracts``)."""

    __slots__ = ("by_close", "by_open")

    def __init__(self, result) -> None:
        self.by_open: dict[tuple[str, str | None], Decimal] = {}
        sums: dict[tuple[str, str | None], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for p in result.option_positions if result is not None else ():
            if p.opened_contracts is None or not p.contracts:
                continue
            self.by_open[(p.account, p.open_transaction_id)] = p.opened_contracts / p.contracts
            if p.close_transaction_id:
                both = sums[(p.account, p.close_transaction_id)]
                both[0] += abs(p.opened_contracts)
                both[1] += abs(p.contracts)
        self.by_close = {k: a / b for k, (a, b) in sums.items()}

    def closed_by(self, account: str, transaction_id: str | None) -> Decimal:
        """Opening units per contract closed by this execution (1 when none adjusted)."""
        return self.by_close.get((account, transaction_id), ONE) if self.by_close else ONE

    def of_event(self, r) -> Decimal:
        """Opening units per contract of a realized option line."""
        if not self.by_open:
            return ONE
        if r.lot_id:
            account, _, rest = r.lot_id.partition(":")
            found = self.by_open.get((account, rest.split(".")[0]))
            if found is not None:
                return found
        return self.closed_by(r.account, r.closing_transaction_id)


def realized_facts(result, by_date: str,
                   is_option_event: Callable) -> list[tuple]:
    """(day, gain, option contracts closed, of them won, option gain) per realized event,
    on its sale date or, with ``by_date="open"``, the day the position was opened. The
    contracts are in opening units (:class:`Units`): a rate counts a position once."""
    acquired = {x.lot_id: x.acquired for x in result.lots} if by_date == "open" else {}
    units = Units(result)
    out = []
    for r in result.realized:
        day: date | None = r.date_sold
        if by_date == "open" and r.kind != "mark_to_market":
            if is_option_event(r):
                day = r.date_acquired or r.date_sold
            else:
                day = acquired.get(r.lot_id) or r.date_acquired or r.date_sold
        if is_option_event(r):
            n = r.quantity * units.of_event(r)
            out.append((day, r.gain, n, n if r.proceeds - r.cost > 0 else ZERO, r.gain))
        else:
            out.append((day, r.gain, ZERO, ZERO, ZERO))
    return out
