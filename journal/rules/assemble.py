"""Result assembly: the pass's working records turned into the frozen, sorted
:class:`~journal.rules.types.RuleResult` (realized events, option positions, stock lots
with their economic basis, wheel cycles, flags)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from journal.frozen import maker, paused_gc
from journal.rules.money import ZERO, clean, part
from journal.rules.records import Lot, OptionClose, Piece
from journal.rules.state import PassState
from journal.rules.types import (
    Adjustment,
    OptionPosition,
    RealizedEvent,
    RuleResult,
    StockLot,
    WheelCycle,
)
from journal.vocab import FlagCode, OptionOutcome

if TYPE_CHECKING:
    from journal.rules.cycles import Membership

_ASSIGNED = OptionOutcome.ASSIGNED.value
_EXERCISED = OptionOutcome.EXERCISED.value
_realized_event = maker(RealizedEvent)
_option_position = maker(OptionPosition)
_stock_lot = maker(StockLot)


class _CycleOf:
    """Which cycle an execution (by account and transaction id) belongs to."""

    __slots__ = ("member", "seq_of")

    def __init__(self, st: PassState, member: dict[int, str]) -> None:
        self.seq_of: dict[tuple[str, str | None], int] = {
            (e.account, e.transaction_id): e.seq for e in st.execs}
        self.member = member

    def __call__(self, account: str, tx: str | None) -> str | None:
        seq = self.seq_of.get((account, tx))
        return self.member.get(seq) if seq is not None else None

    def of_piece(self, p: Piece) -> str | None:
        cid = self(p.account, p.tx) if p.tx else None
        if cid is None and p.lot_id:
            acc, _, tx = p.lot_id.rsplit(".", 1)[0].partition(":")
            cid = self(acc, tx.rstrip(":?"))
        return cid


def result(st: PassState, tax_year: int | None = None) -> RuleResult:
    """``tax_year``: only that year's realized events, wash sales and flags (and flags of
    no year), as :func:`journal.cache.results.year_view` filters them."""
    years = {p.date_sold.year for p in st.pieces}  # a realized event's tax year
    provisional = frozenset(y for y in years if st.horizon < date(y + 1, 1, 31))
    if tax_year is None:
        realized = [_realized(p) for p in st.pieces]
        washes, raised = tuple(st.wash.sales), set(st.flags.flags)
    else:
        realized = [_realized(p) for p in st.pieces if p.date_sold.year == tax_year]
        washes = tuple(w for w in st.wash.sales if w.tax_year == tax_year)
        raised = {f for f in st.flags.flags if f.tax_year in (None, tax_year)}
    flags = sorted(raised, key=lambda f: (
        f.date or date.min, f.account, f.code, f.transaction_id or "", f.message))
    realized.sort(key=lambda r: (r.date_sold, r.account, r.underlying,
                                 r.closing_transaction_id or "", r.lot_id or ""))
    return LazyResult.of(tuple(realized), washes, tuple(flags), provisional,
                         lambda: _wheel_parts(st))


def _wheel_parts(st: PassState) -> tuple[tuple, tuple, tuple]:
    """Option positions, stock lots and cycles: everything that needs the cycles."""
    with paused_gc():
        return _assemble_wheel(st)


def _assemble_wheel(st: PassState) -> tuple[tuple, tuple, tuple]:
    from journal.rules.cycles import membership  # (the cycles: only when asked for)

    ms = membership(st)
    cycle_of = _CycleOf(st, ms.member)
    cyc_real: defaultdict = defaultdict(lambda: ZERO)
    cyc_opt_gain: defaultdict = defaultdict(lambda: ZERO)
    for p in st.pieces:
        cid = cycle_of.of_piece(p)
        if cid:
            gain = p.proceeds - p.cost + p.disallowed
            cyc_real[cid] += gain
            if p.asset_category != "STK":
                cyc_opt_gain[cid] += gain
    positions, open_premium = _positions(st, cycle_of)
    lots = _stock_lots(st, cycle_of, cyc_opt_gain, open_premium)
    cycles = _cycles(st, ms, cyc_real)
    positions.sort(key=lambda p: (p.account, p.opened, p.open_transaction_id or "",
                                  p.closed or date.max))
    lots.sort(key=lambda x: (x.account, x.symbol, x.acquired, x.lot_id))
    return tuple(positions), tuple(lots), tuple(cycles)


LATER = _LATER = ("option_positions", "lots", "cycles")
_SLOT = {name: RuleResult.__dict__[name] for name in _LATER}  # the dataclass's own slots


def _later_field(name: str) -> property:
    slot = _SLOT[name]

    def get(self: LazyResult) -> tuple:
        try:
            return slot.__get__(self, LazyResult)
        except AttributeError:
            for n, v in zip(_LATER, self._later()):
                _SLOT[n].__set__(self, v)
            return slot.__get__(self, LazyResult)

    def put(self: LazyResult, value: tuple) -> None:
        slot.__set__(self, value)

    return property(get, put)


class LazyResult(RuleResult):
    """A :class:`RuleResult` whose option positions, stock lots and cycles are assembled
    on first use: a tax report or a realized listing reads only the realized events and
    the flags, and the cycles behind the other three cost a fifth of the rules. Reading
    any field gives what an eager result holds; it compares equal to (and pickles as) a
    plain RuleResult."""

    __slots__ = ("_later",)
    _later: Callable[[], tuple[tuple, tuple, tuple]]
    option_positions = _later_field("option_positions")  # type: ignore[assignment]
    lots = _later_field("lots")  # type: ignore[assignment]
    cycles = _later_field("cycles")  # type: ignore[assignment]

    @classmethod
    def of(cls, realized: tuple, wash_sales: tuple, flags: tuple,
           provisional: frozenset, later: Callable[[], tuple[tuple, tuple, tuple]]
           ) -> LazyResult:
        self = object.__new__(cls)
        for name, value in (("realized", realized), ("wash_sales", wash_sales),
                            ("flags", flags), ("provisional_years", provisional),
                            ("_later", later)):
            object.__setattr__(self, name, value)
        return self

    def assembled(self) -> bool:
        """Whether the option positions, lots and cycles were made (asked for) already."""
        try:
            _SLOT["lots"].__get__(self, LazyResult)
        except AttributeError:
            return False
        return True

    def _fields(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(RuleResult))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RuleResult):
            return NotImplemented
        return self._fields() == tuple(getattr(other, f.name) for f in fields(RuleResult))

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple:
        return (RuleResult, self._fields())


def _realized(p: Piece) -> RealizedEvent:
    gain = p.proceeds - p.cost + p.disallowed
    proceeds, cost = clean(p.proceeds), clean(p.cost)
    codes = ""
    adjustments: tuple[Adjustment, ...] = ()
    if p.adjustments:  # already in code order
        codes = "".join(dict.fromkeys(a.code for a in p.adjustments))
        adjustments = tuple(Adjustment(a.code, clean(a.amount), a.cause)
                            for a in p.adjustments)
    # the 1099-B's figures are most often ours, the very same values
    broker_proceeds = proceeds if p.broker_proceeds is p.proceeds else clean(p.broker_proceeds)
    broker_cost = cost if p.broker_cost is p.cost else clean(p.broker_cost)
    return _realized_event(
        p.account, p.description, p.underlying, p.asset_category, p.quantity,
        p.date_acquired, p.date_sold, proceeds, cost, codes, clean(p.disallowed), clean(gain),
        p.term, p.date_sold.year, p.kind, p.section_1256, True, p.tx, clean(p.ib_fifo),
        p.lot_id, broker_proceeds, broker_cost, p.broker_term, adjustments)


def _position(lot: Lot, contracts: Decimal, closed: date | None, outcome: str | None,
              premium: Decimal, close_cost: Decimal, close_tx: str | None,
              stock_tx: str | None, cid: str | None,
              terms: tuple[Decimal | None, Decimal | None] = (None, None)) -> OptionPosition:
    ex = lot.ex
    return _option_position(
        lot.account, ex.conid, ex.description or ex.symbol, ex.underlying, ex.put_call or "",
        ex.strike or ZERO, ex.expiry, ex.multiplier, contracts,
        lot.acquired or (closed or ex.trade_date), closed, outcome, clean(premium),
        clean(close_cost), lot.tx, close_tx, stock_tx, cid, *terms)


_ADJUSTED = frozenset({FlagCode.OPTION_ADJUSTED.value, FlagCode.OPTION_ADJUSTMENT_UNKNOWN.value})
_NONE = (None, None)


class _Terms:
    """What OCC adjustments made of a position's contracts: the contracts in their opening
    units (the strike fell by the factor the contracts grew: 900 P -> 90 P, 1 -> 10) and
    the shares per contract, as the stock leg of an assignment or exercise delivered them
    (20 KLMN for 2 KLMN1 puts: 10), else the multiplier."""

    __slots__ = ("st", "strike_of", "_by_seq", "_by_tx")

    def __init__(self, st: PassState) -> None:
        self.st = st
        self.strike_of = {e.seq: e.strike for e in st.execs if e.seq in st.option_seqs}
        self._by_seq: dict | None = None
        self._by_tx: dict | None = None

    @staticmethod
    def needed(st: PassState) -> bool:
        """A contract is adjusted only by an action row or an OCC adjustment the pass
        inferred (and flagged): without either, every position keeps its terms."""
        return bool(st.data.corporate_actions) or any(
            f.code in _ADJUSTED for f in st.flags.flags)

    def __call__(self, lot: Lot, contracts: Decimal, close_tx: str | None = None,
                 stock_seq: int | None = None) -> tuple[Decimal | None, Decimal | None]:
        opened = deliverable = None
        first, now = self.strike_of.get(lot.seq), lot.ex.strike
        if first and now and first != now:
            opened = contracts * now / first
        if stock_seq is not None and close_tx:
            if self._by_seq is None:
                self._by_seq = {e.seq: e for e in self.st.execs}
                self._by_tx = {(e.account, e.transaction_id): e for e in self.st.execs}
            assert self._by_tx is not None
            leg = self._by_seq.get(stock_seq)
            closing = self._by_tx.get((lot.account, close_tx))
            if leg is not None and closing is not None and closing.quantity:
                shares = abs(leg.quantity) / abs(closing.quantity)
                if shares != lot.ex.multiplier:
                    deliverable = shares
        return opened, deliverable


def _positions(st: PassState, cycle_of: _CycleOf) -> tuple[list[OptionPosition], defaultdict]:
    """Closed option positions, then what is still open; and per cycle the premium that
    is in no option gain (still open, or called away into the share proceeds)."""
    tx_of = {e.seq: e.transaction_id for e in st.execs}
    terms = _Terms(st) if _Terms.needed(st) else None
    positions = []
    open_premium: defaultdict = defaultdict(lambda: ZERO)
    for d in st.option_closes:
        lot = d.lot
        cid = cycle_of(lot.account, lot.tx)
        positions.append(_position(lot, d.contracts, d.closed, d.outcome, d.premium,
                                   d.close_cost, d.close_tx,
                                   tx_of.get(d.stock_seq) if d.stock_seq is not None else None,
                                   cid, terms(lot, d.contracts, d.close_tx, d.stock_seq)
                                   if terms else _NONE))
        # A called-away call's premium went into the share proceeds, not into an option
        # gain, yet it is premium collected in the cycle all the same.
        if cid and _called_away(d):
            open_premium[cid] += d.premium
    for queue in st.positions.values():
        for lot in queue:
            if lot.is_option and lot.rem > 0:
                cid = cycle_of(lot.account, lot.tx)
                if cid:
                    open_premium[cid] += lot.prem
                positions.append(_position(lot, lot.rem * lot.side, None, None, lot.prem,
                                           ZERO, None, None, cid,
                                           terms(lot, lot.rem * lot.side) if terms
                                           else _NONE))
    return positions, open_premium


def _called_away(d: OptionClose) -> bool:
    return d.outcome == _ASSIGNED and d.lot.ex.put_call == "C" and d.lot.side < 0


def _stock_lots(st: PassState, cycle_of: _CycleOf, cyc_opt_gain: defaultdict,
                open_premium: defaultdict) -> list[StockLot]:
    """Stock lots with their economic basis: the tax basis minus the cycle's other
    premium (option gains, open premium, called-away calls), pro rata by shares."""
    cid_of = {id(lot): cycle_of(lot.account, lot.tx) for lot in st.stock_lots
              if lot.acquired is not None}
    lots_by_cycle: dict[str, list[Lot]] = defaultdict(list)
    for lot in st.stock_lots:
        cid = cid_of.get(id(lot))
        if cid is not None and lot.side > 0:
            lots_by_cycle[cid].append(lot)
    other: dict[int, Decimal] = {}
    for cid, lots in lots_by_cycle.items():
        left_prem = cyc_opt_gain[cid] + open_premium[cid]
        left_qty = sum((x.qty for x in lots), ZERO)
        for x in lots:
            share = part(left_prem, x.qty, left_qty) if left_qty else ZERO
            left_prem -= share
            left_qty -= x.qty
            other[id(x)] = share
    out = []
    for lot in st.stock_lots:
        if lot.acquired is None:
            continue
        assert lot.hp is not None
        out.append(_stock_lot(
            lot.lot_id, lot.account, lot.symbol, lot.qty * lot.side, lot.rem * lot.side,
            lot.acquired, lot.hp, clean(lot.orig_cost),
            clean(lot.orig_cost - other.get(id(lot), ZERO)), clean(lot.wash_total),
            lot.source, cid_of[id(lot)], lot.rem > 0, tuple(lot.actions)))
    return out


def _cycles(st: PassState, ms: Membership, cyc_real: defaultdict) -> list[WheelCycle]:
    from journal.rules.cycles import chrono, cycle_end, roll_chains

    members: dict[str, list] = defaultdict(list)
    for e in st.execs:
        cid = ms.member.get(e.seq)
        if cid:
            members[cid].append(e)
    cycles = []
    for cid, execs in members.items():
        execs.sort(key=chrono)
        started = execs[0].trade_date
        ended = cycle_end(cid, execs, ms)
        premium = sum((e.net_cash for e in execs if e.seq in st.option_seqs), ZERO)
        assigned = any(o[1] in (_ASSIGNED, _EXERCISED) for e in execs
                       for o in st.info[e.seq].closes)
        end = ended or st.horizon
        auto = ms.auto.get(cid)  # a merger moves a cycle to the acquirer's ticker
        underlying = auto.underlying if auto is not None else execs[0].underlying
        cycles.append(WheelCycle(
            cid, execs[0].account, underlying, started, ended, clean(premium),
            clean(cyc_real[cid]), assigned, (end - started).days,
            roll_chains(execs, st.info, st.option_seqs)))
    cycles.sort(key=lambda c: (c.account, c.started, c.underlying, c.cycle_id))
    return cycles
