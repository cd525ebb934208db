"""The rules engine: one chronological pass over the ledger that builds option positions,
stock lots, realized events, wash sales and flags (tax_rules.md, US rules).

Design, and the why behind it:

* **One pass, in trade-date order, over every account.** Wash sales cross accounts
  (§3.7) and the stock leg of an assignment needs its option leg's premium, so options and
  stock are processed together. Within a day, the option legs of assignments and exercises
  go first so their premium is known when the stock leg arrives.
* **Lots carry cash, not prices.** ``open_cash`` is the signed net cash of opening (IB's
  signs: a short put's premium is positive, a purchase negative, commissions included).
  The gain of closing ``n`` units is ``close_cash + open_cash − wash`` for long and short
  alike; Form 8949 presentation (proceeds vs cost) depends only on the side.
* **Exact money.** Pro-rata splits use :func:`part`, which hands the last piece whatever
  is left, so the pieces always add up to the whole (nothing lost, nothing invented);
  intermediate pieces are quantized to 10 decimals, far below a cent.
* **Premium never becomes income on assignment.** The option leg of an assignment or
  exercise creates no realized event: its cash is added to the linked stock leg (basis for
  a put, amount realized for a call, §1–2). Without a stock leg the premium stays deferred
  and a MISSING_STOCK_LEG flag is raised.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Optional

from journal import coverage
from journal.readmodel import ExecutionRecord, LedgerData
from journal.rules.section1256 import INDEX_TRACKERS, TRACKED_BY, is_section_1256
from journal.rules.types import (
    Flag, OptionPosition, RealizedEvent, RuleResult, StockLot, WashSale, WheelCycle,
)
from journal.settings import Settings

ZERO = Decimal(0)
Q = Decimal("1e-10")
CENT = Decimal("0.01")
WASH_DAYS = 30
_DT_MIN = datetime.min


def part(total: Decimal, n: Decimal, of: Decimal) -> Decimal:
    """The share of ``total`` belonging to ``n`` of ``of`` units."""
    if n == of:
        return total
    return (total * n / of).quantize(Q)


def clean(d: Optional[Decimal]) -> Optional[Decimal]:
    """Same value, tidy digits: cents when the amount is whole cents, else no trailing 0s."""
    if d is None:
        return None
    c = d.quantize(CENT) if abs(d) < Decimal("1e16") else d
    return c if c == d else d.normalize()


def anniversary(d: date) -> date:
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # Feb 29: LT from Mar 1 of the next year (tax_rules.md §0.2)
        return date(d.year + 1, 2, 28)


def term_for(hp_acquired: date, sold: date) -> str:
    """§0.2: the holding period starts the day after acquisition; LT = more than 1 year."""
    return "LT" if sold > anniversary(hp_acquired) else "ST"


T1_STOCK_FROM = date(2024, 5, 28)  # US stock settlement went from T+2 to T+1 (SEC)


def settles_next_year(d: date, stock: bool = False) -> bool:
    """True if a trade on ``d`` settles in the next calendar year (options settle T+1,
    stock T+2 before 2024-05-28, counted in trading days)."""
    days = 2 if stock and d < T1_STOCK_FROM else 1
    n = d
    while days:
        n += timedelta(days=1)
        if coverage.is_trading_day(n):
            days -= 1
    return n.year > d.year


def _previous_business_day(d: date) -> date:
    """The trading day before ``d``."""
    n = d - timedelta(days=1)
    while not coverage.is_trading_day(n):
        n -= timedelta(days=1)
    return n


def fmt_qty(q: Decimal) -> str:
    q = abs(q)
    return format(q.normalize(), "f") if q == q.to_integral() else format(q, "f")


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


def classify_call(asp: Optional[Decimal], dte: int, strike: Decimal) -> str:
    if dte <= 30 or dte > 365:
        return "NON_QCC"
    if asp is None:
        return "ASP_UNKNOWN"
    if strike >= asp:
        return "QCC_OTM"
    if strike >= lowest_qualified_benchmark(asp, dte, strike):
        return "QCC_ITM"
    return "NON_QCC"


class _Lot:
    """A working lot: shares, or contracts of one option series, opened by one execution."""

    __slots__ = ("lot_id", "account", "is_option", "symbol", "underlying", "families", "side",
                 "qty", "rem", "open_cash", "prem", "wash", "wash_total", "orig_cost",
                 "acquired", "hp", "tx", "seq", "absorbed", "ex", "needs_review", "qcc",
                 "covered", "suspended", "mtm_year", "is1256", "source", "splits", "closed_on")

    def __init__(self, lot_id, account, ex: Optional[ExecutionRecord], symbol, underlying, side,
                 qty, open_cash, acquired, is_option, is1256=False, source="purchase"):
        self.lot_id = lot_id
        self.account = account
        self.ex = ex
        self.is_option = is_option
        self.symbol = symbol
        self.underlying = underlying
        self.families: tuple = ()
        self.side = side
        self.qty = qty
        self.rem = qty
        self.open_cash = open_cash
        self.prem = open_cash
        self.wash = ZERO
        self.wash_total = ZERO
        self.orig_cost = -open_cash
        self.acquired = acquired
        self.hp = acquired
        self.tx = ex.transaction_id if ex else None
        self.seq = ex.seq if ex else -1
        self.absorbed = False
        self.needs_review = False
        self.qcc = None
        self.covered: list = []
        self.suspended = False
        self.mtm_year = None
        self.is1256 = is1256
        self.source = source
        self.splits = 0
        self.closed_on: Optional[date] = None  # last day units of this lot were closed

    def take(self, n: Decimal) -> tuple[Decimal, Decimal, Decimal]:
        oc = part(self.open_cash, n, self.rem)
        w = part(self.wash, n, self.rem)
        p = part(self.prem, n, self.rem)
        self.open_cash -= oc
        self.wash -= w
        self.prem -= p
        self.rem -= n
        return oc, w, p


class _Piece:
    """A realized event under construction (wash sales may still change it)."""

    __slots__ = ("account", "description", "underlying", "asset_category", "quantity",
                 "date_acquired", "date_sold", "proceeds", "cost", "disallowed", "term", "kind",
                 "section_1256", "tx", "seq", "ib_fifo", "lot_id", "hp", "side",
                 "unmatched_qty", "unmatched_loss", "symbol", "price")

    def __init__(self, **kw):
        self.disallowed = ZERO
        self.unmatched_qty = ZERO
        self.unmatched_loss = ZERO
        self.price = None
        for k, v in kw.items():
            setattr(self, k, v)

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost + self.disallowed


@dataclass
class _ExecInfo:
    opens: list  # option lot open tx ids opened by this execution (with put_call)
    closes: list  # (open tx id, outcome, put_call)
    shares_after: Decimal
    options_after: Decimal


class Engine:
    def __init__(self, data: LedgerData, settings: Settings, as_of: Optional[date]):
        self.settings = settings
        self.as_of = as_of
        execs = [e for e in data.executions if as_of is None or e.trade_date <= as_of]
        self.execs = execs
        snaps = [s for s in data.snapshots if as_of is None or s.report_date <= as_of]
        dates = [e.trade_date for e in execs] + [s.report_date for s in snaps]
        if data.data_through:
            dates.append(data.data_through if as_of is None else min(as_of, data.data_through))
        self.horizon = as_of or (max(dates) if dates else date.today())
        self.data = data
        self.positions: dict = defaultdict(list)  # (account, key) -> open lots in order
        self.family_lots: dict = defaultdict(list)  # wash family -> unabsorbed lots
        self.pending: dict = defaultdict(list)  # wash family -> loss pieces still open
        self.pieces: list[_Piece] = []
        self.option_positions: list[dict] = []
        self.stock_lots: list[_Lot] = []
        self.option_lots: list[_Lot] = []
        self.wash_sales: list[WashSale] = []
        self.flags: list[Flag] = []
        self.extra_cash: dict = defaultdict(lambda: ZERO)  # stock leg seq -> option cash
        self.leg_kind: dict = {}  # stock leg seq -> source/kind
        self.stock_qty: dict = defaultdict(lambda: ZERO)  # (account, symbol) -> shares
        self.opt_open: dict = defaultdict(lambda: ZERO)  # (account, underlying) -> contracts
        self.info: dict[int, _ExecInfo] = {}
        self._puts_written: list = []
        self._calls_written: list = []  # short calls classified against shares (§2.2)
        self._early: list = []  # (option leg, its lot, stock leg seq) of early assignments
        self.day_state: dict = {}
        self._is1256: dict = {}
        self._index_snapshots(snaps, data.prices)
        self._index_closed_lots(data.closed_lots)
        self.links = self._link_assignments(execs)

    # -- indexes --------------------------------------------------------------------------
    def _index_snapshots(self, snaps, prices=()) -> None:
        self.stock_marks: dict = defaultdict(list)  # symbol -> sorted [(date, mark)]
        closes = {(p.symbol, p.day): p.close for p in prices}
        self.option_marks: dict = defaultdict(list)  # contract key -> [(date, mark)]
        for s in snaps:
            if s.put_call:
                for key in self._snap_keys(s.account, s.conid, s.underlying, s.put_call,
                                           s.strike, s.expiry):
                    self.option_marks[key].append((s.report_date, s.mark_price))
            elif s.asset_category in (None, "STK"):
                if (s.symbol.upper(), s.report_date) not in closes:
                    self.stock_marks[s.symbol.upper()].append((s.report_date, s.mark_price))
        for (symbol, day), close in closes.items():
            self.stock_marks[symbol].append((day, close))
        for d in (self.stock_marks, self.option_marks):
            for v in d.values():
                v.sort()

    @staticmethod
    def _snap_keys(account, conid, underlying, pc, strike, expiry):
        keys = [(account, "k", underlying, pc, strike, expiry)]
        if conid:
            keys.insert(0, (account, "c", conid))
        return keys

    def _index_closed_lots(self, lots) -> None:
        self.closed_lots: dict = defaultdict(list)
        for c in lots:
            if (c.open_transaction_id or c.open_date) and c.trade_date:
                self.closed_lots[(c.account, c.conid or c.symbol, c.trade_date)].append(c)

    def _link_assignments(self, execs) -> dict:
        """Option leg seq -> stock leg seq. positionActionID first (it is shared by the two
        legs of one assignment), else same account, underlying, date and shares."""
        by_paid: dict = defaultdict(list)
        by_day: dict = defaultdict(list)
        for e in execs:
            if not e.is_option and e.asset_category in (None, "STK"):
                if e.position_action_id:
                    by_paid[(e.account, e.position_action_id)].append(e)
                by_day[(e.account, e.symbol, e.trade_date)].append(e)
        links: dict = {}
        used: set = set()
        for e in execs:
            if not e.is_option or not (e.notes & {"A", "Ex", "AEx", "MEx"}):
                continue
            if e.position_action_id:
                legs = by_paid.get((e.account, e.position_action_id))
                if legs:
                    links[e.seq] = legs[0].seq
                    used.add(legs[0].seq)
                    continue
            want = abs(e.quantity) * e.multiplier
            # a short put assigned / long call exercised delivers shares (+); calls away (−)
            sign = 1 if (e.put_call == "P") == (e.quantity > 0) else -1
            for s in by_day.get((e.account, e.underlying, e.trade_date), ()):
                if s.seq in used or abs(s.quantity) != want or (s.quantity > 0) != (sign > 0):
                    continue
                links[e.seq] = s.seq
                used.add(s.seq)
                break
        return links

    # -- helpers --------------------------------------------------------------------------
    def flag(self, code, account, message, *, d=None, symbol=None, tx=None, year=None):
        self.flags.append(Flag(code, account, message, d, symbol, tx,
                               year if year is not None else (d.year if d else None)))

    def flag_trade(self, code, e: ExecutionRecord, message) -> None:
        """A flag about one execution, dated on its trade date."""
        self.flag(code, e.account, message, d=e.trade_date, symbol=e.underlying,
                  tx=e.transaction_id)

    def asp(self, symbol: str, d: date) -> Optional[Decimal]:
        """Applicable stock price: the last close before ``d`` (a stock Trade row's
        closePrice, the user's prices CSV, or an OpenPositions mark), at most 5 days old."""
        marks = self.stock_marks.get(symbol.upper())
        if not marks:
            return None
        i = bisect.bisect_left(marks, (d,)) - 1
        if i >= 0 and (d - marks[i][0]).days <= 5:
            return marks[i][1]
        return None

    def year_end_mark(self, lot: _Lot, year: int) -> Optional[Decimal]:
        ex = lot.ex
        for key in self._snap_keys(lot.account, ex.conid, ex.underlying, ex.put_call, ex.strike,
                                   ex.expiry):
            marks = self.option_marks.get(key)
            if not marks:
                continue
            i = bisect.bisect_right(marks, (date(year, 12, 31), Decimal("Infinity"))) - 1
            if i >= 0 and marks[i][0].year == year and marks[i][0].month == 12:
                return marks[i][1]
        return None

    def _families(self, lot: _Lot) -> tuple:
        ex = lot.ex
        if not lot.is_option:
            return (("S", lot.symbol, lot.side),)
        if lot.is1256:
            return ()  # §6: no wash-sale logic on §1256 contracts
        if self.settings.option_wash_scope == "underlying":
            return (("OU", ex.underlying, ex.put_call, lot.side),)
        return (("O", ex.underlying, ex.put_call, ex.strike, ex.expiry, lot.side),)

    def _register(self, lot: _Lot) -> None:
        lot.families = self._families(lot)
        (self.option_lots if lot.is_option else self.stock_lots).append(lot)
        for fam in lot.families:
            self._absorb_pending(fam, lot)
        if not lot.absorbed:
            for fam in lot.families:
                self.family_lots[fam].append(lot)

    def _split(self, lot: _Lot, m: Decimal, key) -> _Lot:
        """Cut ``m`` units off the front of ``lot`` into a new lot (a wash-sale replacement
        carries its own basis and holding period)."""
        lot.splits += 1
        frac_cost = part(lot.orig_cost - (ZERO), m, lot.qty) if lot.qty else ZERO
        oc, w, p = lot.take(m)
        new = _Lot(f"{lot.lot_id}.{lot.splits}", lot.account, lot.ex, lot.symbol,
                   lot.underlying, lot.side, m, oc, lot.acquired, lot.is_option, lot.is1256,
                   lot.source)
        new.prem, new.wash, new.hp, new.qcc = p, w, lot.hp, lot.qcc
        new.needs_review, new.mtm_year = lot.needs_review, lot.mtm_year
        new.orig_cost = -oc + w
        lot.orig_cost -= frac_cost
        lot.qty -= m
        new.families = lot.families
        queue = self.positions[key]
        queue.insert(queue.index(lot) if lot in queue else len(queue), new)
        (self.option_lots if lot.is_option else self.stock_lots).append(new)
        return new

    def _pos_key(self, lot_or_ex) -> tuple:
        e = lot_or_ex.ex if isinstance(lot_or_ex, _Lot) else lot_or_ex
        if e.is_option:
            return (e.account, "O", e.conid or (e.underlying, e.put_call, e.strike, e.expiry,
                                                e.multiplier))
        return (e.account, "S", e.symbol)

    # -- wash sales (§3) ------------------------------------------------------------------
    def _absorb(self, piece: _Piece, lot: _Lot, m: Decimal) -> None:
        target = lot if m == lot.rem else self._split(lot, m, self._pos_key(lot))
        disallowed = part(piece.unmatched_loss, m, piece.unmatched_qty)
        piece.unmatched_loss -= disallowed
        piece.unmatched_qty -= m
        piece.disallowed += disallowed
        target.absorbed = True
        carried = target.account not in self.settings.ira_accounts
        if carried:
            target.wash += disallowed
            target.wash_total += disallowed
            target.orig_cost += disallowed
            if piece.hp is not None:
                # §3.5 tacking: add the days the loss shares were held
                target.hp = target.acquired - timedelta(days=(piece.date_sold - piece.hp).days)
        else:
            self.flag("WASH_SALE_IRA", piece.account,
                      f"loss on {piece.description} sold {piece.date_sold} is disallowed by a "
                      f"replacement in IRA {target.account}: the loss is lost, no basis carried",
                      d=piece.date_sold, symbol=piece.symbol, tx=piece.tx)
        self.wash_sales.append(WashSale(
            piece.account, piece.symbol, piece.tx, piece.date_sold, target.account, target.tx,
            target.acquired, m, disallowed, carried, piece.date_sold.year, target.lot_id))

    def _wash_loss(self, piece: _Piece, families: tuple, exclude: set) -> None:
        piece.unmatched_qty = piece.quantity
        piece.unmatched_loss = piece.cost - piece.proceeds
        start = piece.date_sold - timedelta(days=WASH_DAYS)
        for fam in families:
            lots = self.family_lots.get(fam)
            if lots:
                # keep the list short: drop lots that can no longer be replacements
                lots[:] = [x for x in lots if x.rem > 0 and not x.absorbed]
                for lot in [x for x in lots if start <= x.acquired <= piece.date_sold
                            and id(x) not in exclude]:
                    if piece.unmatched_qty <= 0:
                        break
                    self._absorb(piece, lot, min(piece.unmatched_qty, lot.rem))
                    if lot.absorbed:
                        lots.remove(lot)
            if piece.unmatched_qty > 0:
                self.pending[fam].append(piece)

    def _absorb_pending(self, fam, lot: _Lot) -> None:
        pend = self.pending.get(fam)
        while pend and not lot.absorbed and lot.rem > 0:
            p = pend[0]
            if p.unmatched_qty <= 0 or p.date_sold + timedelta(days=WASH_DAYS) < lot.acquired:
                pend.pop(0)
                continue
            self._absorb(p, lot, min(p.unmatched_qty, lot.rem))
            if p.unmatched_qty <= 0:
                pend.pop(0)

    # -- the pass -------------------------------------------------------------------------
    def run(self) -> None:
        def order(e: ExecutionRecord):
            # Chronological; at the same moment an assignment's option leg goes before its
            # stock leg. (Putting linked legs first in the whole day would run a 16:20
            # assignment before that morning's sale of the very calls it assigns.)
            first = 0 if (e.is_option and e.seq in self.links) else 1
            return (e.trade_date, e.date_time or _DT_MIN, first, e.seq)

        foreign: dict = {}
        for e in sorted(self.execs, key=order):
            if e.currency and e.currency != "USD":
                foreign.setdefault((e.account, e.currency, e.trade_date.year), e)
            info = _ExecInfo([], [], ZERO, ZERO)
            self.info[e.seq] = info
            if e.is_option:
                self._option(e, info)
            elif e.asset_category in (None, "STK"):
                self._stock(e)
            else:
                continue
            info.shares_after = self.stock_qty[(e.account, e.underlying)]
            info.options_after = self.opt_open[(e.account, e.underlying)]
            # the state at the end of a day, in processing order (cycles end on it)
            self.day_state[(e.account, e.underlying, e.trade_date)] = (info.shares_after,
                                                                      info.options_after)
        for (account, currency, year), e in foreign.items():
            self.flag("NON_USD", account,
                      f"trades in {currency} in {year} (first: {e.description or e.symbol} on "
                      f"{e.trade_date}): the account's base currency is not USD, so its "
                      "fxRateToBase cannot convert them; their amounts stay in "
                      f"{currency} although Form 8949 needs USD at each trade date's rate",
                      d=e.trade_date, symbol=e.underlying,
                      tx=e.transaction_id)
        self._finish_open_lots()

    def _outcome(self, e: ExecutionRecord, closing_short: bool, is1256: bool) -> str:
        codes = e.notes
        if "Ep" in codes:
            return "expired"
        if codes & {"A", "Ex", "AEx", "MEx"}:
            if is1256 or "CD" in codes or e.seq not in self.links and is1256:
                return "cash_settled"
            return "assigned" if "A" in codes else "exercised"
        if "CD" in codes:
            return "cash_settled"
        return "bought_to_close" if closing_short else "sold_to_close"

    def _option(self, e: ExecutionRecord, info: _ExecInfo) -> None:
        ck = (e.underlying, e.symbol[:6], e.asset_category)
        is1256 = self._is1256.get(ck)
        if is1256 is None:
            is1256 = self._is1256[ck] = is_section_1256(e.underlying, e.symbol, e.asset_category,
                                                        self.settings.section_1256_extra)
        key = self._pos_key(e)
        queue = self.positions[key]
        side = 1 if e.quantity > 0 else -1
        remaining = abs(e.quantity)
        cash, fifo = e.net_cash, e.fifo_pnl
        total = remaining
        okey = (e.account, e.underlying)
        if queue and queue[0].side != side:
            outcome = self._outcome(e, queue[0].side < 0, is1256)
            while remaining > 0 and queue:
                lot = queue[0]
                n = min(remaining, lot.rem)
                c = part(cash, n, remaining)
                f = part(fifo, n, remaining) if fifo is not None else None
                cash -= c
                if fifo is not None:
                    fifo -= f
                remaining -= n
                self._close_option(e, lot, n, c, f, outcome, info, is1256)
                self.opt_open[okey] -= n
                if lot.rem == 0:
                    queue.pop(0)
            if remaining > 0 and (e.open_close == "C" or "C" in e.notes):
                # a close whose opening trade is not in the ledger: IB's cost is its premium
                opening = part(e.cost or ZERO, remaining, total)
                lot = _Lot(f"{e.account}:{e.transaction_id}:?", e.account, e, e.symbol,
                           e.underlying, -side, remaining, opening, None, True, is1256)
                self.flag_trade("MISSING_OPENING_LOT", e,
                                f"{e.description or e.symbol}: closing trade on {e.trade_date} "
                                "has no opening trade in the ledger; IB's cost used, open date "
                                "unknown")
                outcome = self._outcome(e, side > 0, is1256)
                f = fifo
                self.opt_open[okey] += remaining
                self._close_option(e, lot, remaining, cash, f, outcome, info, is1256)
                self.opt_open[okey] -= remaining
                remaining = ZERO
        if remaining > 0:
            lot = _Lot(f"{e.account}:{e.transaction_id}", e.account, e, e.symbol, e.underlying,
                       side, remaining, cash, e.trade_date, True, is1256)
            queue.append(lot)
            self.opt_open[okey] += remaining
            info.opens.append((e.transaction_id, e.put_call))
            if side < 0 and e.put_call == "C" and not is1256:
                self._covered_call(e, lot)
            if side < 0 and e.put_call == "P" and not is1256:
                self._put_written(e, lot)
            if is1256:
                self._mixed_straddle(e, INDEX_TRACKERS.get(e.underlying.upper(), ()), ())
            self._register(lot)

    def _covered_call(self, e: ExecutionRecord, lot: _Lot) -> None:
        """Classify a call written against shares (§2.2) and attach it to the lots it covers."""
        stock = [s for s in self.positions.get((e.account, "S", e.underlying), ())
                 if s.side > 0 and s.rem > 0]
        held = sum((s.rem for s in stock), ZERO)
        need = lot.rem * e.multiplier
        if held < min(need, e.multiplier):
            return
        covered, left = [], need
        for s in stock:
            if left <= 0:
                break
            covered.append(s)
            left -= s.rem
        dte = (e.expiry - e.trade_date).days if e.expiry else 0
        asp = self.asp(e.underlying, e.trade_date)
        cls = classify_call(asp, dte, e.strike or ZERO)
        lot.qcc, lot.covered = cls, covered
        self._calls_written.append(lot)
        desc = e.description or e.symbol
        if asp is not None and e.strike is not None and \
                e.strike < lowest_qualified_benchmark(asp, dte, e.strike):
            shares = sum((s.qty for s in covered), ZERO)
            basis = sum((s.orig_cost for s in covered), ZERO)
            if shares and basis / shares < asp:
                per_share = (basis / shares).quantize(CENT)
                self.flag_trade("CONSTRUCTIVE_SALE", e,
                                f"{desc} written {e.trade_date} deep in the money (strike "
                                f"{e.strike}, price {asp}) against shares that have gained "
                                f"(basis {per_share} a share): a constructive sale of the shares "
                                "is possible (§1259); not applied")
        if cls == "NON_QCC":
            young = [s for s in covered if term_for(s.hp, e.trade_date) == "ST"]
            for s in young:
                s.needs_review = True
            price = f", ASP {asp}" if asp is not None else ""
            self.flag_trade("NON_QCC", e,
                            f"{desc} written {e.trade_date} ({dte} DTE{price}) is not a "
                            "qualified covered call: straddle rules (§1092) may restart the "
                            "holding period of the shares and defer losses; LT results of those "
                            "shares need review")
        elif cls == "ASP_UNKNOWN":
            self.flag_trade("ASP_UNKNOWN", e,
                            f"{desc} written {e.trade_date} against shares: no prior-close price "
                            "in the statements or the prices CSV ([checklist] prices_csv), so "
                            "in/deep-in-the-money cannot be checked; treated as an "
                            "out-of-the-money qualified covered call")
        elif cls == "QCC_ITM":
            self.flag_trade("QCC_ITM", e,
                            f"{desc} written {e.trade_date} in the money (ASP {asp}): the shares' "
                            "holding period is suspended while it is open and a loss on it is LT "
                            "if the shares are LT (§1092(f)); strike ladder approximated")

    def _mixed_straddle(self, e: ExecutionRecord, etfs, roots) -> None:
        """§6 / §1092(b)(2): index options opened while tracking-ETF shares are held (or the
        shares bought while such options are open), in any account: a possible mixed
        straddle, which changes how losses and the 60/40 split work. Shown, not decided."""
        held = sorted({sym for (_acc, sym), q in self.stock_qty.items() if sym in etfs and q})
        open_roots = sorted({und for (_acc, und), n in self.opt_open.items()
                             if und in roots and n > 0})
        others = held + open_roots
        if not others:
            return
        self.flag_trade("MIXED_STRADDLE", e,
                        f"{e.description or e.symbol} opened {e.trade_date} while "
                        f"{', '.join(others)} positions were open: §1256 index options against "
                        "shares tracking the same index may be a mixed straddle (§1092(b)(2)); "
                        "loss deferral and the 60/40 split need review")

    def _put_written(self, e: ExecutionRecord, lot: _Lot) -> None:
        # RR 85-87: only an in-the-money put is a replacement; checked against loss sales
        # after the pass (see _post_flags), here we just remember the price we know.
        asp = self.asp(e.underlying, e.trade_date)
        self._puts_written.append((e, asp))

    def _close_option(self, e, lot: _Lot, n, c, f, outcome, info: _ExecInfo, is1256) -> None:
        close_date = e.expiry if outcome == "expired" and e.expiry else e.trade_date
        if is1256:
            self._mtm_through(lot, close_date, before=True)
        if lot.qcc == "QCC_ITM" and not lot.suspended and lot.acquired:
            lt_at_close = any(s.rem > 0 and term_for(s.hp, close_date) == "LT"
                              for s in lot.covered)
            days = (close_date - lot.acquired).days
            for s in lot.covered:
                if s.rem > 0:
                    s.hp = s.hp + timedelta(days=days)
            lot.suspended = lt_at_close or "ST"
        oc, w, p = lot.take(n)
        lot.closed_on = close_date
        info.closes.append((lot.tx, outcome, lot.ex.put_call if lot.ex else None))
        self.option_positions.append(dict(lot=lot, contracts=n * lot.side, closed=close_date,
                                          outcome=outcome, premium=p, close_cost=-c,
                                          close_tx=e.transaction_id, stock_tx=None))
        ex = lot.ex
        desc = ex.description or ex.symbol
        if outcome in ("assigned", "exercised"):
            stock_seq = self.links.get(e.seq)
            if e.expiry and e.trade_date < e.expiry and outcome == "assigned":
                self._early.append((e, lot, stock_seq))
            if stock_seq is None:
                self.flag_trade("MISSING_STOCK_LEG", e,
                                f"{desc} {outcome} on {e.trade_date} has no stock leg in the "
                                "ledger; its premium stays deferred (it belongs in the shares' "
                                "basis or proceeds, never in income)")
                return
            self.extra_cash[stock_seq] += oc + c - w
            buy_shares = (ex.put_call == "P") == (lot.side < 0)
            self.leg_kind[stock_seq] = (
                ("put_assignment" if lot.side < 0 else "call_exercise") if buy_shares
                else ("assigned_call_shares" if lot.side < 0 else "exercised"))
            self.option_positions[-1]["stock_tx"] = stock_seq
            return
        if outcome == "cash_settled" and not is1256:
            self.flag("INDEX_ROOT_UNKNOWN", e.account,
                      f"{desc} was settled in cash on {e.trade_date}, so its underlying "
                      f"{ex.underlying} looks like an index that is not in the §1256 list: if "
                      "it is broad-based, add it to [rules] section_1256 (60/40, Form 6781); "
                      "otherwise it stays an equity option on Form 8949",
                      d=e.trade_date, symbol=ex.underlying, tx=e.transaction_id)
        proceeds, cost = (oc, -c + w) if lot.side < 0 else (c, -oc + w)
        if lot.side < 0 and proceeds < cost and settles_next_year(close_date):
            self._year_end_short_loss(e, f"{fmt_qty(n)} {desc}", close_date, proceeds - cost)
        if is1256:
            term = "60/40"
        elif lot.side < 0:
            term = "ST"  # §1234(b): written options are always short-term
            if lot.suspended is True and proceeds - cost < 0:
                term = "LT"  # ITM QCC loss while the shares were LT (§1092(f)(1))
        else:
            term = term_for(lot.hp, close_date) if lot.hp else "NEEDS_REVIEW"
        kind = outcome
        piece = _Piece(account=e.account, description=f"{fmt_qty(n)} {desc}",
                       underlying=ex.underlying, asset_category=ex.asset_category or "OPT",
                       quantity=n, date_acquired=lot.acquired, date_sold=close_date,
                       proceeds=proceeds, cost=cost, term=term, kind=kind, section_1256=is1256,
                       tx=e.transaction_id, seq=e.seq, ib_fifo=f, lot_id=lot.lot_id, hp=lot.hp,
                       side=lot.side, symbol=desc)
        self.pieces.append(piece)
        if piece.proceeds - piece.cost < 0 and not is1256 and lot.families:
            self._wash_loss(piece, lot.families, {id(lot)})

    def _year_end_short_loss(self, e, what: str, d: date, loss: Decimal) -> None:
        self.flag("YEAR_END_SHORT_LOSS", e.account,
                  f"short position {what} closed at a loss of {-loss.quantize(CENT)} on {d}, which "
                  f"settles in {d.year + 1}: the loss is reported in {d.year} (trade date); "
                  "for short stock the loss may belong to the settlement year (RR 2002-44)",
                  d=d, symbol=e.underlying, tx=e.transaction_id)

    def _mtm_through(self, lot: _Lot, upto: date, before: bool) -> None:
        """§1256(a): mark open contracts to market at each year end they live through."""
        if lot.acquired is None:
            return
        year = lot.mtm_year or lot.acquired.year
        while True:
            ye = date(year, 12, 31)
            if (ye >= upto) if before else (ye > upto):
                break
            year += 1
            lot.mtm_year = year
            if lot.rem <= 0:
                continue
            mark = self.year_end_mark(lot, ye.year)
            ex = lot.ex
            desc = ex.description or ex.symbol
            if mark is None:
                self.flag("MTM_MARK_MISSING", lot.account,
                          f"{desc} was open on {ye} but the ledger has no OpenPositions mark "
                          f"for it in December {ye.year}: import the year-end statement; the "
                          "gain is taken when it closes instead", d=ye, symbol=ex.underlying,
                          tx=lot.tx)
                continue
            close_cash = lot.side * mark * ex.multiplier * lot.rem
            oc = lot.open_cash
            proceeds, cost = (oc, -close_cash) if lot.side < 0 else (close_cash, -oc)
            self.pieces.append(_Piece(
                account=lot.account, description=f"{fmt_qty(lot.rem)} {desc}",
                underlying=ex.underlying, asset_category=ex.asset_category or "OPT",
                quantity=lot.rem, date_acquired=lot.acquired, date_sold=ye, proceeds=proceeds,
                cost=cost, term="60/40", kind="mark_to_market", section_1256=True, tx=None,
                seq=None, ib_fifo=None, lot_id=lot.lot_id, hp=lot.hp, side=lot.side,
                symbol=desc))
            lot.open_cash = -close_cash

    # -- stock ----------------------------------------------------------------------------
    def _relief_order(self, e: ExecutionRecord, queue: list) -> list:
        method = self.settings.lot_method_for(e.account)
        if method == "LIFO":
            return list(reversed(queue))
        if method == "HIFO":
            return sorted(queue, key=lambda x: -((x.wash - x.open_cash) / x.rem))
        if method in ("IB", "SPECIFIC"):
            chosen = self.closed_lots.get((e.account, e.conid or e.symbol, e.trade_date)) or \
                self.closed_lots.get((e.account, e.symbol, e.trade_date)) or []
            # Flex names the opening lot by its transaction, the Activity CSV by its date
            want_tx, want_day = set(), set()
            for c in chosen:
                if e.date_time is None or c.close_date_time in (None, e.date_time):
                    if c.open_transaction_id:
                        want_tx.add(c.open_transaction_id)
                    else:
                        want_day.add(c.open_date)
            if not want_tx and not want_day:
                if method == "IB":
                    return list(queue)  # no closed-lot detail: FIFO (tax_rules.md §4)
                self.flag("SPECIFIC_LOT_MISSING", e.account,
                          f"{e.symbol} sale on {e.trade_date}: no IB closed-lot detail; FIFO used",
                          d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
                return list(queue)
            first = [x for x in queue if x.tx in want_tx or x.acquired in want_day]
            return first + [x for x in queue if x not in first]
        return list(queue)

    def _stock(self, e: ExecutionRecord) -> None:
        key = self._pos_key(e)
        queue = self.positions[key]
        side = 1 if e.quantity > 0 else -1
        total = remaining = abs(e.quantity)
        cash = e.net_cash + self.extra_cash.pop(e.seq, ZERO)
        fifo = e.fifo_pnl
        kind = self.leg_kind.get(e.seq)
        self.stock_qty[(e.account, e.symbol)] += e.quantity
        if queue and queue[0].side != side:
            plan, left = [], remaining
            for lot in self._relief_order(e, queue):
                if left <= 0:
                    break
                n = min(left, lot.rem)
                plan.append((lot, n))
                left -= n
            exclude = {id(lot) for lot, _ in plan}
            for lot, n in plan:
                c = part(cash, n, remaining)
                f = part(fifo, n, remaining) if fifo is not None else None
                cash -= c
                if fifo is not None:
                    fifo -= f
                remaining -= n
                self._close_stock(e, lot, n, c, f, kind, exclude)
                if lot.rem == 0:
                    queue.remove(lot)
            if remaining > 0 and side < 0 and (e.open_close == "C" or "C" in e.notes):
                self._sale_without_lot(e, remaining, total, cash, fifo, kind)
                remaining = ZERO
        elif remaining > 0 and side < 0 and (e.open_close == "C" or "C" in e.notes):
            self._sale_without_lot(e, remaining, total, cash, fifo, kind)
            remaining = ZERO
        if remaining > 0:
            source = kind if kind in ("put_assignment", "call_exercise") else "purchase"
            if side < 0:
                source = "short_sale"
            lot = _Lot(f"{e.account}:{e.transaction_id}", e.account, e, e.symbol, e.symbol,
                       side, remaining, cash, e.trade_date, False, source=source)
            queue.append(lot)
            if e.symbol in TRACKED_BY:
                self._mixed_straddle(e, (), TRACKED_BY[e.symbol])
            self._register(lot)

    def _sale_without_lot(self, e, remaining, total, cash, fifo, kind) -> None:
        opening = part(e.cost or ZERO, remaining, total)
        lot = _Lot(f"{e.account}:{e.transaction_id}:?", e.account, e, e.symbol, e.symbol, 1,
                   remaining, opening, None, False)
        self.flag("MISSING_OPENING_LOT", e.account,
                  f"{e.symbol}: {fmt_qty(remaining)} shares sold on {e.trade_date} were not "
                  "bought in the ledger; IB's cost used, acquisition date unknown (VARIOUS)",
                  d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
        self.stock_lots.append(lot)
        self._close_stock(e, lot, remaining, cash, fifo, kind, {id(lot)})

    def _close_stock(self, e, lot: _Lot, n, c, f, kind, exclude) -> None:
        oc, w, _p = lot.take(n)
        lot.closed_on = e.trade_date
        if lot.side > 0:
            proceeds, cost = c, -oc + w
        else:  # covering a short sale
            proceeds, cost = oc, -c + w
        if lot.acquired is None:
            term = "NEEDS_REVIEW"
        else:
            term = term_for(lot.hp, e.trade_date)
            if term == "LT" and lot.needs_review:
                term = "NEEDS_REVIEW"  # a non-qualified covered call may have reset it
        piece = _Piece(account=e.account, description=f"{fmt_qty(n)} {e.symbol}",
                       underlying=e.symbol, asset_category="STK", quantity=n,
                       date_acquired=lot.acquired, date_sold=e.trade_date, proceeds=proceeds,
                       cost=cost, term=term,
                       kind="assigned_call_shares" if kind == "assigned_call_shares"
                       else ("exercised" if kind == "exercised" else "stock_sale"),
                       section_1256=False, tx=e.transaction_id, seq=e.seq, ib_fifo=f,
                       lot_id=lot.lot_id, hp=lot.hp, side=lot.side, symbol=e.symbol)
        piece.price = e.trade_price
        self.pieces.append(piece)
        if lot.side < 0 and proceeds < cost and settles_next_year(e.trade_date, stock=True):
            self._year_end_short_loss(e, f"{fmt_qty(n)} {e.symbol}", e.trade_date,
                                      proceeds - cost)
        if lot.acquired is not None and lot.hp < lot.acquired:
            boundary = anniversary(lot.hp)
            gap = (e.trade_date - boundary).days
            if -WASH_DAYS <= gap <= WASH_DAYS:
                self.flag("WASH_TACKING_LT_EDGE", e.account,
                          f"{fmt_qty(n)} {e.symbol} sold {e.trade_date}, {abs(gap)} days "
                          f"{'after' if gap > 0 else 'before'} the long-term boundary of its "
                          f"wash-sale tacked holding period (from {lot.hp}): a broker that "
                          "keeps the original acquisition date may show another term (§3.5)",
                          d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
        if proceeds - cost < 0 and lot.side > 0:
            self._wash_loss(piece, lot.families or (("S", e.symbol, 1),), exclude)

    def _finish_open_lots(self) -> None:
        for queue in self.positions.values():
            for lot in queue:
                if lot.is_option and lot.is1256:
                    self._mtm_through(lot, self.horizon, before=False)
                ex = lot.ex
                if lot.is_option and ex.expiry and ex.expiry < self.horizon and lot.rem > 0:
                    self.flag("EXPIRED_NO_CLOSE", lot.account,
                              f"{ex.description or ex.symbol} expired {ex.expiry} but the ledger "
                              "has no expiry, assignment or closing row for it",
                              d=ex.expiry, symbol=ex.underlying, tx=lot.tx)

    # -- after the pass -------------------------------------------------------------------
    def _covered_call_flags(self) -> None:
        """Year-end straddle cases of calls written against shares (§2.2), and dividends
        received while an in-the-money or non-qualified call was open. All FLAGs: the
        deferral depends on unrecognized gain (prices) and the law leaves room."""
        if not self._calls_written:
            return
        by_lot, all_lots = self._pieces_by_lot, self._lots_by_id

        def held_until(lot: _Lot) -> Optional[date]:
            """Last day any of the lot (or its splits) was closed; None while some is open.
            (An assigned call leaves no realized piece of its own, so pieces can't tell.)"""
            family = all_lots[lot.lot_id] or [lot]
            if any(x.rem > 0 for x in family):
                return None
            return max((x.closed_on for x in family if x.closed_on), default=None)

        def open_at(last: Optional[date], d: date) -> bool:
            return last is None or last > d

        divs: dict = defaultdict(list)
        for dv in self.data.dividends:
            divs[(dv.account, dv.symbol)].append(dv.paid)
        for call in self._calls_written:
            ex = call.ex
            desc = ex.description or ex.symbol
            written = call.acquired
            call_last = held_until(call)
            call_pieces = [p for p in by_lot[call.lot_id] if p.kind != "mark_to_market"]
            stock_pieces = [p for s in call.covered for p in by_lot[s.lot_id]
                            if p.date_sold >= written]
            stock_last = [held_until(s) for s in call.covered]
            if call.qcc == "NON_QCC":
                for p in call_pieces:
                    ye = date(p.date_sold.year, 12, 31)
                    if p.gain < 0 and any(open_at(x, ye) for x in stock_last):
                        self.flag("STRADDLE_LOSS_DEFERRAL", p.account,
                                  f"loss of {-p.gain.quantize(CENT)} on {p.description} closed "
                                  f"{p.date_sold} while the {ex.underlying} shares it was "
                                  f"written against were still held at {ye}: the loss is "
                                  "deferred to the extent of their unrecognized gain (§1092(a)); "
                                  "not adjusted", d=p.date_sold, symbol=ex.underlying, tx=p.tx)
                for p in stock_pieces:
                    ye = date(p.date_sold.year, 12, 31)
                    if p.gain < 0 and open_at(call_last, p.date_sold) and open_at(call_last, ye):
                        self.flag("STRADDLE_LOSS_DEFERRAL", p.account,
                                  f"loss of {-p.gain.quantize(CENT)} on {p.description} sold "
                                  f"{p.date_sold} while the non-qualified call {desc} was still "
                                  f"open at {ye}: the loss is deferred to the extent of the "
                                  "call's unrecognized gain (§1092(a)); not adjusted",
                                  d=p.date_sold, symbol=ex.underlying, tx=p.tx)
            else:
                # §1092(c)(4)(E): a loss leg closed in one year, the other leg's gain in a
                # later year, and that leg not held 30 more days: the QCC exemption is lost.
                for loss_legs, gain_legs in ((call_pieces, stock_pieces),
                                             (stock_pieces, call_pieces)):
                    for p in loss_legs:
                        if p.gain >= 0:
                            continue
                        for q in gain_legs:
                            if q.gain > 0 and q.date_sold.year > p.date_sold.year and \
                                    0 <= (q.date_sold - p.date_sold).days < WASH_DAYS:
                                self.flag("QCC_YEAR_END", p.account,
                                          f"loss on {p.description} closed {p.date_sold} and "
                                          f"gain on {q.description} closed {q.date_sold}, "
                                          "less than 30 days later in the next year: the "
                                          f"covered call {desc} loses its qualified status "
                                          "(§1092(c)(4)(E)) and the loss may be deferred",
                                          d=p.date_sold, symbol=ex.underlying, tx=p.tx)
                                break
            if call.qcc in ("QCC_ITM", "NON_QCC"):
                end = call_last or self.horizon
                paid = [d for d in divs.get((call.account, ex.underlying), ())
                        if written <= d <= end]
                if paid:
                    self.flag("DIVIDEND_HOLDING_PERIOD", call.account,
                              f"{ex.underlying} dividend paid {paid[0]} while {desc} "
                              f"({'in the money' if call.qcc == 'QCC_ITM' else 'non-qualified'})"
                              " was open: the days under the call may not count toward the "
                              "qualified-dividend holding period (§246(c)(4)); check 1099-DIV "
                              "box 1b", d=paid[0], symbol=ex.underlying, tx=call.tx)

    def _index_for_flags(self) -> None:
        """Lot id (and every id a wash-sale split came from) -> its realized pieces and its
        lots, so a flag can find what became of a lot without scanning every piece."""
        self._pieces_by_lot: dict = defaultdict(list)
        self._stock_pieces_by_tx: dict = defaultdict(list)
        self._stock_losses: dict = defaultdict(list)  # underlying -> stock pieces at a loss
        for p in self.pieces:
            lid = p.lot_id
            while lid:
                self._pieces_by_lot[lid].append(p)
                lid = lid.rpartition(".")[0]
            if p.asset_category == "STK":
                self._stock_pieces_by_tx[p.tx].append(p)
                if p.gain < 0:
                    self._stock_losses[p.underlying].append(p)
        self._lots_by_id: dict = defaultdict(list)
        for lot in self.stock_lots + self.option_lots:
            lid = lot.lot_id
            while lid:
                self._lots_by_id[lid].append(lot)
                lid = lid.rpartition(".")[0]

    def _early_assignment_flags(self) -> None:
        """§7: IB dates an early assignment the day after OCC's exercise (E+1). Tax uses IB's
        date. Every early assignment is flagged (issue 3), and the flag says whether E and
        E+1 fall on two sides of a year end, a long-term anniversary or a 30-day wash window,
        where the choice of day changes a result (tax_rules.md §7)."""
        if not self._early:
            return
        tx_of = {e.seq: e.transaction_id for e in self.execs}

        def window(a: date, b: date) -> bool:
            return abs((a - b).days) <= WASH_DAYS

        for e, lot, stock_seq in self._early:
            day = e.trade_date
            exercised = _previous_business_day(day)
            reasons = []
            if exercised.year != day.year:
                reasons.append(f"the year end ({exercised.year}/{day.year})")
            stock_tx = tx_of.get(stock_seq)
            buys = lot.ex.put_call == "P"  # a short put assigned delivers shares to us
            mine = []
            if stock_tx and buys:  # what became of the shares the assignment bought
                mine = self._pieces_by_lot.get(f"{e.account}:{stock_tx}", [])
            elif stock_tx:  # the shares the assignment delivered
                mine = self._stock_pieces_by_tx.get(stock_tx, [])
            for p in mine:
                start = (exercised, day) if buys else (p.hp, p.hp)
                end = (p.date_sold, p.date_sold) if buys else (exercised, day)
                if p.hp and term_for(start[0], end[0]) != term_for(start[1], end[1]):
                    reasons.append(f"a long-term anniversary ({p.description} sold "
                                   f"{p.date_sold})")
                    break
            if buys:  # the assignment is a purchase: a replacement for nearby losses
                near = [p for p in self._stock_losses.get(e.underlying, ())
                        if window(p.date_sold, exercised) != window(p.date_sold, day)]
            else:  # the assignment is a sale: at a loss, nearby purchases replace it
                near = [p for p in mine if p.gain < 0 and any(
                    window(x.acquired, exercised) != window(x.acquired, day)
                    for x in self.stock_lots if x.acquired and x.underlying == e.underlying
                    and x.side > 0 and x.lot_id != p.lot_id)]
            if near:
                reasons.append(f"a wash-sale window ({near[0].description} "
                               f"{near[0].date_sold})")
            ex = lot.ex
            if reasons:
                why = (f"the two days fall on either side of {' and '.join(reasons)}, so the "
                       "choice of day matters here")
            else:
                why = "no year end, long-term anniversary or wash window lies between them"
            self.flag("EARLY_ASSIGNMENT", e.account,
                      f"{ex.description or ex.symbol} assigned early (expiry {ex.expiry}): IB "
                      f"dates it {day}, the day after OCC's exercise ({exercised}); {why}. "
                      "IB's date is used", d=day, symbol=e.underlying, tx=e.transaction_id)

    def _gap_flags(self) -> None:
        spans: dict = defaultdict(list)
        for account, start, end in self.data.periods:
            spans[account].append((start, end))
        for account, periods in spans.items():
            for start, end in coverage.gaps(periods):
                if self.as_of is not None and start > self.as_of:
                    continue
                for a, b in coverage.by_year(start, end):
                    self.flag("STATEMENT_GAP", account,
                              f"no imported statement covers {a} to {b}: trades, expiries and "
                              "assignments of those days are missing from the ledger; import "
                              "a statement for that period", d=a)

    def post_flags(self) -> None:
        self._index_for_flags()
        self._gap_flags()
        self._covered_call_flags()
        self._early_assignment_flags()
        opens_by_und: dict = defaultdict(list)
        seen = set()
        for lot in self.option_lots:
            if lot.acquired is None or lot.is1256 or (lot.account, lot.tx) in seen:
                continue
            seen.add((lot.account, lot.tx))
            opens_by_und[lot.underlying].append((lot.acquired, lot.seq, lot))
        for v in opens_by_und.values():
            v.sort(key=lambda t: (t[0], t[1]))
        puts_asp = {e.seq: asp for e, asp in self._puts_written}
        window = timedelta(days=WASH_DAYS)
        for p in self.pieces:
            if p.proceeds - p.cost >= 0 or p.section_1256 or p.kind == "mark_to_market":
                continue
            opens = opens_by_und.get(p.underlying, ())
            lo = bisect.bisect_left(opens, (p.date_sold - window, -1))
            hi = bisect.bisect_right(opens, (p.date_sold + window, float("inf")))
            if p.asset_category == "STK" and p.side > 0:
                for d, _seq, lot in opens[lo:hi]:
                    ex = lot.ex
                    if ex.put_call == "C" and lot.side > 0:
                        self.flag("WASH_SALE_CALL", p.account,
                                  f"loss on {p.description} sold {p.date_sold}: call "
                                  f"{ex.description or ex.symbol} bought {d} within 30 days is "
                                  "an option to acquire (§1091(a)); the loss may be "
                                  "disallowed, not adjusted automatically",
                                  d=p.date_sold, symbol=p.underlying, tx=p.tx)
                    elif ex.put_call == "P" and lot.side < 0:
                        price = puts_asp.get(lot.seq)
                        if price is not None and ex.strike is not None and ex.strike > price:
                            self.flag("RR_85_87", p.account,
                                      f"put {ex.description or ex.symbol} written {d} in the "
                                      f"money (strike {ex.strike}, price {price}) within 30 "
                                      f"days of the loss sale of {p.description} on "
                                      f"{p.date_sold}: it may be a replacement (RR 85-87)",
                                      d=p.date_sold, symbol=p.underlying, tx=ex.transaction_id)
            elif (p.asset_category != "STK" and p.unmatched_qty > 0
                  and self.settings.option_wash_scope == "identical"):
                for d, _seq, lot in opens[lo:hi]:
                    ex = lot.ex
                    if lot.side == p.side and lot.lot_id != p.lot_id and \
                            (ex.description or ex.symbol) != p.symbol and \
                            p.symbol.split()[-1:] == (ex.description or "").split()[-1:]:
                        self.flag("WASH_SALE_OPTION", p.account,
                                  f"loss on {p.description} closed {p.date_sold}: "
                                  f"{ex.description or ex.symbol} opened {d} on the same "
                                  "underlying may be substantially identical (unsettled, §3.4); "
                                  "not adjusted with option_wash_scope = identical",
                                  d=p.date_sold, symbol=p.underlying, tx=p.tx)
                        break

    def cycles(self) -> tuple[dict, list]:
        """Wheel cycles (issue §7): per account and underlying, a cycle starts with an option
        opened while no cycle runs, and ends at the end of a day on which neither shares nor
        options remain. A close and an open of the same type on one day is a roll."""
        by_und: dict = defaultdict(list)
        for e in self.execs:
            if e.seq in self.info and (e.is_option or e.asset_category in (None, "STK")):
                by_und[(e.account, e.underlying)].append(e)
        member: dict = {}
        auto: dict = {}
        for (acc, und), execs in by_und.items():
            execs.sort(key=lambda e: (e.trade_date, e.date_time or _DT_MIN, e.seq))
            cur = None
            baseline = ZERO  # shares held before the cycle began are not the cycle's
            i = 0
            while i < len(execs):
                day = execs[i].trade_date
                while i < len(execs) and execs[i].trade_date == day:
                    e = execs[i]
                    info = self.info[e.seq]
                    if cur is None and info.opens:
                        cid = f"{acc}:{und}:{day.isoformat()}"
                        k = 2
                        while cid in auto:
                            cid = f"{acc}:{und}:{day.isoformat()}#{k}"
                            k += 1
                        cur = cid
                        baseline = max(info.shares_after, ZERO)
                        auto[cid] = {"account": acc, "underlying": und, "started": day,
                                     "ended": None}
                    if cur is not None:
                        member[e.seq] = cur
                    i += 1
                if cur is not None:
                    shares, opts = self.day_state[(acc, und, day)]
                    if opts <= 0 and shares <= baseline:
                        auto[cur]["ended"] = day
                        cur = None
        self._auto_member = dict(member)
        overrides = {(o.account, o.transaction_id): o.label for o in self.data.overrides}
        by_tx = {(e.account, e.transaction_id): e for e in self.execs}
        final: dict = {}
        for (acc, tx), label in overrides.items():
            e = by_tx.get((acc, tx))
            if e is not None and e.seq in self.info:
                final[e.seq] = label
        # closing rows follow their position's opening row when only the opening was moved
        moved = {(by_tx[k].account, by_tx[k].transaction_id): final[by_tx[k].seq]
                 for k in overrides if k in by_tx and by_tx[k].seq in final}
        if moved:
            for e in self.execs:
                info = self.info.get(e.seq)
                if info is None or e.seq in final:
                    continue
                for open_tx, _outcome, _pc in info.closes:
                    label = moved.get((e.account, open_tx))
                    if label:
                        final[e.seq] = label
                        break
        for seq, cid in member.items():
            final.setdefault(seq, cid)
        return final, auto

    def result(self) -> RuleResult:
        self.post_flags()
        member, auto = self.cycles()
        by_tx_seq = {(e.account, e.transaction_id): e.seq for e in self.execs}

        def cycle_of(account, tx):
            seq = by_tx_seq.get((account, tx))
            return member.get(seq) if seq is not None else None

        realized = []
        cyc_real: dict = defaultdict(lambda: ZERO)
        cyc_opt_gain: dict = defaultdict(lambda: ZERO)
        for p in self.pieces:
            gain = p.proceeds - p.cost + p.disallowed
            lot_acc_tx = p.lot_id.rsplit(".", 1)[0] if p.lot_id else None
            cid = cycle_of(p.account, p.tx) if p.tx else None
            if cid is None and lot_acc_tx:
                acc, _, tx = lot_acc_tx.partition(":")
                cid = cycle_of(acc, tx.rstrip(":?"))
            if cid:
                cyc_real[cid] += gain
                if p.asset_category != "STK":
                    cyc_opt_gain[cid] += gain
            realized.append(RealizedEvent(
                account=p.account, description=p.description, underlying=p.underlying,
                asset_category=p.asset_category, quantity=p.quantity,
                date_acquired=p.date_acquired, date_sold=p.date_sold, proceeds=clean(p.proceeds),
                cost=clean(p.cost), adjustment_code="W" if p.disallowed else "",
                adjustment_amount=clean(p.disallowed), gain=clean(gain), term=p.term,
                tax_year=p.date_sold.year, kind=p.kind, section_1256=p.section_1256,
                closing_transaction_id=p.tx, ib_fifo_pnl=clean(p.ib_fifo), lot_id=p.lot_id))

        # option positions (closed pieces, then what is still open)
        positions = []
        for d in self.option_positions:
            lot = d["lot"]
            positions.append(self._opt_pos(lot, d["contracts"], d["closed"], d["outcome"],
                                           d["premium"], d["close_cost"], d["close_tx"],
                                           self._tx_of(d["stock_tx"]),
                                           cycle_of(lot.account, lot.tx)))
        open_premium: dict = defaultdict(lambda: ZERO)
        # A called-away call's premium went into the share proceeds, not into an option
        # gain, yet it is premium collected in the cycle all the same.
        for d in self.option_positions:
            lot = d["lot"]
            if d["outcome"] == "assigned" and lot.ex.put_call == "C" and lot.side < 0:
                cid = cycle_of(lot.account, lot.tx)
                if cid:
                    open_premium[cid] += d["premium"]
        for queue in self.positions.values():
            for lot in queue:
                if lot.is_option and lot.rem > 0:
                    cid = cycle_of(lot.account, lot.tx)
                    if cid:
                        open_premium[cid] += lot.prem
                    positions.append(self._opt_pos(lot, lot.rem * lot.side, None, None,
                                                   lot.prem, ZERO, None, None, cid))

        # stock lots with economic basis: minus the cycle's other premium (option gains, open
        # premium, called-away calls), pro rata by shares
        lots_by_cycle: dict = defaultdict(list)
        for lot in self.stock_lots:
            if lot.side > 0 and lot.acquired is not None:
                lots_by_cycle[cycle_of(lot.account, lot.tx)].append(lot)
        other: dict = {}
        for cid, lots in lots_by_cycle.items():
            if cid is None:
                continue
            prem = cyc_opt_gain[cid] + open_premium[cid]
            qty = sum((x.qty for x in lots), ZERO)
            left_prem, left_qty = prem, qty
            for x in lots:
                share = part(left_prem, x.qty, left_qty) if left_qty else ZERO
                left_prem -= share
                left_qty -= x.qty
                other[id(x)] = share
        stock_lots = []
        for lot in self.stock_lots:
            if lot.acquired is None:
                continue
            cid = cycle_of(lot.account, lot.tx)
            stock_lots.append(StockLot(
                lot_id=lot.lot_id, account=lot.account, symbol=lot.symbol,
                quantity=lot.qty * lot.side, remaining=lot.rem * lot.side,
                acquired=lot.acquired, holding_period_acquired=lot.hp,
                tax_basis=clean(lot.orig_cost),
                economic_basis=clean(lot.orig_cost - other.get(id(lot), ZERO)),
                wash_sale_adjustment=clean(lot.wash_total), source=lot.source, cycle_id=cid,
                open=lot.rem > 0))

        # cycles
        members_by_cycle: dict = defaultdict(list)
        for e in self.execs:
            cid = member.get(e.seq)
            if cid:
                members_by_cycle[cid].append(e)
        cycles = []
        for cid, execs in members_by_cycle.items():
            execs.sort(key=lambda e: (e.trade_date, e.date_time or _DT_MIN, e.seq))
            a = auto.get(cid)
            started = execs[0].trade_date
            if a is not None:
                ended = a["ended"]
            else:
                auto_ids = [self._auto_of(e.seq, auto, member) for e in execs]
                ended = execs[-1].trade_date if all(x is None or auto[x]["ended"]
                                                    for x in auto_ids) else None
            premium = sum((e.net_cash for e in execs if e.is_option), ZERO)
            assigned = any(o[1] in ("assigned", "exercised") for e in execs
                           for o in self.info[e.seq].closes)
            end = ended or self.horizon
            cycles.append(WheelCycle(
                cycle_id=cid, account=execs[0].account, underlying=execs[0].underlying,
                started=started, ended=ended, premium_net=clean(premium),
                realized=clean(cyc_real[cid]),
                assigned=assigned, days=(end - started).days,
                roll_chains=self._roll_chains(execs)))
        cycles.sort(key=lambda c: (c.account, c.started, c.underlying, c.cycle_id))

        years = {r.tax_year for r in realized}
        provisional = frozenset(y for y in years if self.horizon < date(y + 1, 1, 31))
        flags = sorted(set(self.flags), key=lambda f: (f.date or date.min, f.account, f.code,
                                                       f.transaction_id or "", f.message))
        realized.sort(key=lambda r: (r.date_sold, r.account, r.underlying,
                                     r.closing_transaction_id or "", r.lot_id or ""))
        positions.sort(key=lambda p: (p.account, p.opened, p.open_transaction_id or "",
                                      p.closed or date.max))
        stock_lots.sort(key=lambda x: (x.account, x.symbol, x.acquired, x.lot_id))
        return RuleResult(option_positions=tuple(positions), lots=tuple(stock_lots),
                          realized=tuple(realized), wash_sales=tuple(self.wash_sales),
                          cycles=tuple(cycles), flags=tuple(flags),
                          provisional_years=provisional)

    def _auto_of(self, seq, auto, member):
        return self._auto_member.get(seq)

    def _tx_of(self, seq):
        if seq is None:
            return None
        if not hasattr(self, "_tx_by_seq"):
            self._tx_by_seq = {e.seq: e.transaction_id for e in self.execs}
        return self._tx_by_seq.get(seq)

    def _opt_pos(self, lot, contracts, closed, outcome, premium, close_cost, close_tx,
                 stock_tx, cid) -> OptionPosition:
        ex = lot.ex
        return OptionPosition(
            account=lot.account, conid=ex.conid, description=ex.description or ex.symbol,
            underlying=ex.underlying, put_call=ex.put_call or "", strike=ex.strike or ZERO,
            expiry=ex.expiry, multiplier=ex.multiplier, contracts=contracts,
            opened=lot.acquired or (closed or ex.trade_date), closed=closed, outcome=outcome,
            premium_net=clean(premium), close_cost=clean(close_cost), open_transaction_id=lot.tx,
            close_transaction_id=close_tx, stock_leg_transaction_id=stock_tx, cycle_id=cid)

    def _roll_chains(self, execs) -> tuple:
        nxt: dict = {}
        by_day: dict = defaultdict(list)
        for e in execs:
            if e.is_option:
                by_day[e.trade_date].append(self.info[e.seq])
        for infos in by_day.values():
            closes = [(tx, pc) for i in infos for tx, outcome, pc in i.closes
                      if outcome in ("bought_to_close", "sold_to_close")]
            opens = [(tx, pc) for i in infos for tx, pc in i.opens]
            for ctx, cpc in closes:
                for otx, opc in opens:
                    if opc == cpc and otx != ctx and ctx not in nxt:
                        nxt[ctx] = otx
                        break
        targets = set(nxt.values())
        chains = []
        for start in nxt:
            if start in targets:
                continue
            chain = [start]
            while chain[-1] in nxt and len(chain) <= len(nxt):
                chain.append(nxt[chain[-1]])
            chains.append(tuple(chain))
        return tuple(sorted(chains))
