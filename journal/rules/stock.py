"""Stock executions in the pass: share lots opened, relieved and sold (tax_rules.md §1–§4).

The stock leg of an assignment or exercise arrives after its option leg (see the order in
:mod:`journal.rules.engine`), so the option's cash is waiting in ``extra_cash``: it lowers
the basis of shares bought by an assigned put and raises the amount realized of shares
called away.
"""

from __future__ import annotations

from decimal import Decimal

from journal.readmodel import ExecutionRecord
from journal.rules import wash
from journal.rules.booking import relief_order
from journal.rules.law import (
    LT,
    NEEDS_REVIEW,
    WASH_DAYS,
    anniversary,
    settles_next_year,
    term_for,
)
from journal.rules.money import ZERO, fmt_qty, part, size
from journal.rules.options import mixed_straddle, year_end_short_loss
from journal.rules.records import Lot, Piece
from journal.rules.section1256 import TRACKED_BY
from journal.rules.state import PassState, marked_closing, stock_key
from journal.vocab import AssetCategory, FlagCode

_OPENING_SOURCES = ("put_assignment", "call_exercise")
_SALE_KINDS = ("assigned_call_shares", "exercised")
_STK = AssetCategory.STK.value


def stock(st: PassState, e: ExecutionRecord) -> None:
    """A stock execution: relieve lots of the other side (per the lot method), sell what
    has no lot in the ledger, open a lot with the rest."""
    queue = st.positions[stock_key(e)]
    side = 1 if e.quantity > 0 else -1
    total = remaining = size(e.quantity)
    extra = st.extra_cash.pop(e.seq, ZERO)  # the assigned/exercised option's cash
    cash = e.net_cash + extra
    fifo = e.fifo_pnl
    kind = st.leg_kind.get(e.seq)
    st.stock_qty[(e.account, e.symbol)] += e.quantity
    if queue and queue[0].side != side:
        plan, left = [], remaining
        for lot in relief_order(st.settings.lot_method_for(e.account), e, queue,
                                st.closed_lots, st.flags):
            if left <= 0:
                break
            n = min(left, lot.rem)
            plan.append((lot, n))
            left -= n
        exclude = {id(lot) for lot, _ in plan}
        for lot, n in plan:
            c = part(cash, n, remaining)
            x = part(extra, n, remaining) if extra else ZERO
            f = part(fifo, n, remaining) if fifo is not None else None
            cash -= c
            extra -= x
            if fifo is not None and f is not None:
                fifo -= f
            remaining -= n
            _close_stock(st, e, lot, n, c, f, kind, exclude, x)
            if lot.rem == 0:
                queue.remove(lot)
    if remaining > 0 and side < 0 and marked_closing(e):
        _sale_without_lot(st, e, remaining, total, cash, fifo, kind, extra)
        remaining = ZERO
    if remaining > 0:
        source = kind if kind in _OPENING_SOURCES else "purchase"
        if side < 0:
            source = "short_sale"
        lot = Lot(f"{e.account}:{e.transaction_id}", e.account, e, e.symbol, e.symbol, side,
                  remaining, cash, e.trade_date, False, source=source)
        lot.folded = extra
        queue.append(lot)
        if e.symbol in TRACKED_BY:
            mixed_straddle(st, e, (), TRACKED_BY[e.symbol])
        wash.register(st, lot)


def _sale_without_lot(st: PassState, e: ExecutionRecord, remaining: Decimal, total: Decimal,
                      cash: Decimal, fifo: Decimal | None, kind: str | None,
                      extra: Decimal) -> None:
    opening = part(e.cost or ZERO, remaining, total)
    lot = Lot(f"{e.account}:{e.transaction_id}:?", e.account, e, e.symbol, e.symbol, 1,
              remaining, opening, None, False)
    st.flags.add(FlagCode.MISSING_OPENING_LOT, e.account,
                 f"{e.symbol}: {fmt_qty(remaining)} shares sold on {e.trade_date} were not "
                 "bought in the ledger; IB's cost used, acquisition date unknown (VARIOUS)",
                 d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
    st.stock_lots.append(lot)
    _close_stock(st, e, lot, remaining, cash, fifo, kind, {id(lot)}, extra)


def _close_stock(st: PassState, e: ExecutionRecord, lot: Lot, n: Decimal, c: Decimal,
                 f: Decimal | None, kind: str | None, exclude: set[int],
                 close_folded: Decimal) -> None:
    open_folded = part(lot.folded, n, lot.rem) if lot.folded else ZERO
    lot.folded -= open_folded
    oc, w, _p, bw = lot.take(n)
    lot.closed_on = e.trade_date
    if lot.side > 0:
        proceeds, cost = c, -oc + w
    else:  # covering a short sale
        proceeds, cost = oc, -c + w
    if lot.acquired is None or lot.hp is None:
        term = NEEDS_REVIEW
    else:
        term = term_for(lot.hp, e.trade_date)
        if term == LT and lot.needs_review:
            term = NEEDS_REVIEW  # a non-qualified covered call may have reset it
    piece = Piece(e.account, f"{fmt_qty(n)} {e.symbol}", e.symbol, _STK,
                  n, lot.acquired, e.trade_date, proceeds, cost, term,
                  kind if kind in _SALE_KINDS else "stock_sale", False, e.transaction_id,
                  e.seq, f, lot.lot_id, lot.hp, lot.side, e.symbol,
                  e, oc, c, w, bw, lot.broker_hp, open_folded,
                  close_folded)  # closing .. close_folded
    st.pieces.append(piece)
    if lot.side < 0 and proceeds < cost and settles_next_year(e.trade_date, stock=True):
        year_end_short_loss(st, e, f"{fmt_qty(n)} {e.symbol}", e.trade_date, proceeds - cost)
    if lot.acquired is not None and lot.hp is not None and lot.hp < lot.acquired:
        gap = (e.trade_date - anniversary(lot.hp)).days
        if -WASH_DAYS <= gap <= WASH_DAYS:
            st.flags.add(FlagCode.WASH_TACKING_LT_EDGE, e.account,
                         f"{fmt_qty(n)} {e.symbol} sold {e.trade_date}, {abs(gap)} days "
                         f"{'after' if gap > 0 else 'before'} the long-term boundary of its "
                         f"wash-sale tacked holding period (from {lot.hp}): a broker that "
                         "keeps the original acquisition date may show another term (§3.5)",
                         d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
    if proceeds - cost < 0 and lot.side > 0:
        wash.wash_loss(st, piece, lot.families or (("S", e.symbol, 1),), exclude)
