"""Which days the imported statements cover, per account, and the holes between them.

A month missing between two imported statements means trades, expiries and assignments
the ledger never saw: lots without their opening, premiums without their close. Nothing
can infer them, so the holes are shown (``journal accounts``) and flagged for the tax
years they touch (STATEMENT_GAP). Pure functions over (from, to) date pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import pairwise

ONE_DAY = timedelta(days=1)


def complete_through(to_date: date | None, generated: datetime | None) -> date | None:
    """The last day a statement can be trusted to hold in full: a statement generated on
    the last day of its period (or before it ended) may lack that day's trades, which
    Flex adds only later, so its coverage ends the day before it was generated."""
    if to_date is None or generated is None:
        return to_date
    made = generated.date() if isinstance(generated, datetime) else generated
    return min(to_date, made - ONE_DAY)


def incomplete_day_warning(to_date: date | None, generated: datetime | None):
    """The import warning for such a statement, or None."""
    through = complete_through(to_date, generated)
    if through is None or through == to_date:
        return None
    return (f"the statement was generated on {generated:%Y-%m-%d}, before its period ended "
            f"({to_date}): trades from {through + ONE_DAY} on may be missing; import a later "
            "statement for those days")


_HOLIDAYS: dict[int, frozenset[date]] = {}


def market_holidays(year: int) -> frozenset[date]:
    """Days the NYSE was (or will be) closed on a weekday in ``year``: its regular holidays
    and the one-off closures (national days of mourning, Hurricane Sandy, 9/11), from the
    maintained calendar of the ``holidays`` package (as :mod:`journal.market_calendar`
    writes it out for the years it holds; the package itself, loaded offline, for others)."""
    if year not in _HOLIDAYS:
        from journal.market_calendar import NYSE_CLOSED

        days = NYSE_CLOSED.get(year)
        if days is None:
            import holidays

            _HOLIDAYS[year] = frozenset(holidays.financial_holidays("NYSE", years=year))
        else:
            _HOLIDAYS[year] = frozenset(date(year, int(md[:2]), int(md[2:]))
                                        for md in days.split())
    return _HOLIDAYS[year]


def is_trading_day(d: date) -> bool:
    return d.weekday() < 5 and d not in market_holidays(d.year)


def _has_trading_day(start: date, end: date) -> bool:
    """True if [start, end] holds a trading day (a day that could have trades)."""
    if (end - start).days >= 6:
        return True
    d = start
    while d <= end:
        if is_trading_day(d):
            return True
        d += ONE_DAY
    return False


def merge(periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Covered spans, merged; spans that only weekends and market holidays separate count
    as one."""
    out: list[list[date]] = []
    for start, end in sorted((s, e) for s, e in periods if s and e and s <= e):
        if out and (start <= out[-1][1] + ONE_DAY
                    or not _has_trading_day(out[-1][1] + ONE_DAY, start - ONE_DAY)):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def gaps(periods: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Days between the first and the last covered day that no statement covers, trimmed
    to trading days (a gap of Dec 31 before a statement from Jan 2 is Dec 31 alone)."""
    spans = merge(periods)
    out = []
    for a, b in pairwise(spans):
        start, end = a[1] + ONE_DAY, b[0] - ONE_DAY
        while not is_trading_day(start):
            start += ONE_DAY
        while not is_trading_day(end):
            end -= ONE_DAY
        out.append((start, end))
    return out


def by_year(start: date, end: date) -> list[tuple[date, date]]:
    """A span cut at year ends (a gap's tax years)."""
    out = []
    while start.year < end.year:
        out.append((start, date(start.year, 12, 31)))
        start = date(start.year + 1, 1, 1)
    out.append((start, end))
    return out
