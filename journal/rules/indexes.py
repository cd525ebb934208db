"""Read-only indexes the rules pass looks things up in: prices and marks, IB's closed-lot
detail, and the option leg → stock leg links of assignments and exercises."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from journal import vocab
from journal.readmodel import ClosedLotRecord, ExecutionRecord, PriceRecord, SnapshotRecord

_INFINITY = Decimal("Infinity")
_MARK_MAX_AGE = 5  # days: an older close is not "the prior close" of §2.2


def contract_keys(account: str, conid: str | None, underlying: str, put_call: str | None,
                  strike: Decimal | None, expiry: date | None) -> list[tuple]:
    """The keys an option contract's marks are filed under: conid when known, and its
    terms (a snapshot or a trade may lack the conid)."""
    keys: list[tuple] = [(account, "k", underlying, put_call, strike, expiry)]
    if conid:
        keys.insert(0, (account, "c", conid))
    return keys


class Marks:
    """Stock closes (the applicable stock price of §2.2) and option marks (§6.3)."""

    __slots__ = ("days", "option", "stock")

    def __init__(self, snaps: Iterable[SnapshotRecord], prices: Iterable[PriceRecord]) -> None:
        self.stock: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        self.option: dict[tuple, list[tuple[date, Decimal]]] = defaultdict(list)
        closes = {(p.symbol, p.day): p.close for p in prices}
        for s in snaps:
            if s.put_call:
                for key in contract_keys(s.account, s.conid, s.underlying, s.put_call,
                                         s.strike, s.expiry):
                    self.option[key].append((s.report_date, s.mark_price))
            elif vocab.is_stock(s.asset_category) and \
                    (s.symbol.upper(), s.report_date) not in closes:
                self.stock[s.symbol.upper()].append((s.report_date, s.mark_price))
        for (symbol, day), close in closes.items():
            self.stock[symbol].append((day, close))
        for index in (self.stock, self.option):
            for v in index.values():
                v.sort()
        # the days alone, to bisect on dates rather than on (date, price) tuples
        self.days = {symbol: [day for day, _ in marks] for symbol, marks in self.stock.items()}

    def asp(self, symbol: str, d: date) -> Decimal | None:
        """Applicable stock price: the last close before ``d`` (a stock Trade row's
        closePrice, the user's prices CSV, or an OpenPositions mark), at most 5 days old."""
        symbol = symbol.upper()
        days = self.days.get(symbol)
        if not days:
            return None
        i = bisect.bisect_left(days, d) - 1
        if i >= 0 and (d - days[i]).days <= _MARK_MAX_AGE:
            return self.stock[symbol][i][1]
        return None

    def year_end_mark(self, ex: ExecutionRecord, account: str, year: int) -> Decimal | None:
        """The contract's last December mark of ``year`` (§6.3 marks to market there)."""
        for key in contract_keys(account, ex.conid, ex.underlying, ex.put_call, ex.strike,
                                 ex.expiry):
            marks = self.option.get(key)
            if not marks:
                continue
            i = bisect.bisect_right(marks, (date(year, 12, 31), _INFINITY)) - 1
            if i >= 0 and marks[i][0].year == year and marks[i][0].month == 12:
                return marks[i][1]
        return None


ClosedLotIndex = dict[tuple, list[ClosedLotRecord]]


def closed_lot_index(lots: Iterable[ClosedLotRecord]) -> ClosedLotIndex:
    """IB's closed-lot rows by (account, conid or symbol, trade date of the close)."""
    index: ClosedLotIndex = defaultdict(list)
    for c in lots:
        if (c.open_transaction_id or c.open_date) and c.trade_date:
            index[(c.account, c.conid or c.symbol, c.trade_date)].append(c)
    return index


def closed_lots_of(index: ClosedLotIndex, e: ExecutionRecord) -> list[ClosedLotRecord]:
    """IB's closed-lot rows of the closing execution ``e`` (same close time when known)."""
    rows = index.get((e.account, e.conid or e.symbol, e.trade_date)) or \
        index.get((e.account, e.symbol, e.trade_date)) or []
    return [c for c in rows
            if e.date_time is None or c.close_date_time in (None, e.date_time)]


def link_assignments(execs: Sequence[ExecutionRecord],
                     option_seqs: frozenset[int]) -> dict[int, int]:
    """Option leg seq -> stock leg seq. positionActionID first (it is shared by the two
    legs of one assignment), else same account, underlying, date, direction and shares =
    contracts × 100. A contract OCC adjusted (its conid seen under another name, or an
    ``XYZ1`` root) delivers another number of shares: its leg is the one stock row of that
    account, underlying, date and direction that IB marks as an assignment or exercise
    (design §7.8: shares = contracts × the adjusted deliverable)."""
    by_paid: dict[tuple, list[ExecutionRecord]] = defaultdict(list)
    by_day: dict[tuple, list[ExecutionRecord]] = defaultdict(list)
    option_legs = []
    for e in execs:
        if e.seq in option_seqs:
            if e.notes & vocab.ASSIGNMENT_CODES:
                option_legs.append(e)
        elif vocab.is_stock(e.asset_category):
            if e.position_action_id:
                by_paid[(e.account, e.position_action_id)].append(e)
            by_day[(e.account, e.symbol, e.trade_date)].append(e)
    links: dict[int, int] = {}
    used: set[int] = set()
    unmatched = []
    for e in option_legs:
        if e.position_action_id:
            legs = by_paid.get((e.account, e.position_action_id))
            if legs:
                links[e.seq] = legs[0].seq
                used.add(legs[0].seq)
                continue
        want = abs(e.quantity) * e.multiplier
        # a short put assigned / long call exercised delivers shares (+); calls away (−)
        delivers = (e.put_call == "P") == (e.quantity > 0)
        for s in by_day.get((e.account, e.underlying, e.trade_date), ()):
            if s.seq in used or abs(s.quantity) != want or (s.quantity > 0) != delivers:
                continue
            links[e.seq] = s.seq
            used.add(s.seq)
            break
        else:
            unmatched.append(e)
    if unmatched:
        _link_adjusted(execs, option_seqs, unmatched, by_day, links, used)
    return links


def _link_adjusted(execs: Sequence[ExecutionRecord], option_seqs: frozenset[int],
                   unmatched: list[ExecutionRecord], by_day: dict[tuple, list],
                   links: dict[int, int], used: set[int]) -> None:
    """After every exact match is taken: an OCC-adjusted contract's leg is the one stock
    row left of its account, underlying, date and direction that IB marks as an
    assignment or exercise (an ordinary assignment the same day keeps its own leg)."""
    conids = {e.conid for e in unmatched if e.conid}
    names: dict[str, set[str]] = defaultdict(set)
    for x in execs:
        if x.conid and x.conid in conids and x.seq in option_seqs:
            names[x.conid].add(x.symbol)
    for e in unmatched:
        if not _adjusted(e, names):
            continue
        delivers = (e.put_call == "P") == (e.quantity > 0)
        marked = [s for s in by_day.get((e.account, e.underlying, e.trade_date), ())
                  if s.seq not in used and (s.quantity > 0) == delivers
                  and s.notes & vocab.ASSIGNMENT_CODES]
        if len(marked) == 1:
            links[e.seq] = marked[0].seq
            used.add(marked[0].seq)


def _adjusted(e: ExecutionRecord, names: dict[str, set[str]]) -> bool:
    """An OCC-adjusted contract: its conid traded under more than one name, or its root is
    not its underlying's ticker (``KLMN1`` on KLMN)."""
    root = e.symbol.split(" ", 1)[0]
    return len(names.get(e.conid or "", ())) > 1 or \
        (root != e.underlying and root.rstrip("0123456789") == e.underlying)


def option_root(symbol: str) -> str:
    """The option symbol's root (``KLMN1`` of ``KLMN1 250516P00003000``); the same in
    Flex and Activity CSV spellings of one contract."""
    return symbol.split(" ", 1)[0]


def any_adjusted(execs: Iterable[ExecutionRecord], option_seqs: frozenset[int]) -> bool:
    """Whether some contract's strike or root changes under one conid (an OCC adjustment
    IB posted no row for): only then does the pass look at every option row for one."""
    first_of: dict[str, ExecutionRecord] = {}  # conid -> its first option row
    for e in execs:
        if e.conid and e.seq in option_seqs:
            first = first_of.setdefault(e.conid, e)
            if first.symbol != e.symbol and option_root(first.symbol) != option_root(e.symbol) \
                    or first.strike != e.strike:
                return True
    return False
