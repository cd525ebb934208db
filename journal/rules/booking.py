"""Lot booking (tax_rules.md §4): which open lots a sale relieves, per lot method.

Each :class:`journal.vocab.LotMethod` is one function in :data:`RELIEF`, returning the
open lots in the order the sale relieves them (the pass takes from the front until the
sale's quantity is covered). IB's own pairing comes from its closed-lot detail: Flex
names the opening lot by its transaction, the Activity CSV by its opening date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from journal.readmodel import ExecutionRecord
from journal.rules.indexes import ClosedLotIndex, closed_lots_of
from journal.rules.records import Lot
from journal.rules.state import FlagSink
from journal.vocab import FlagCode, LotMethod


def fifo(e: ExecutionRecord, queue: Sequence[Lot], closed: ClosedLotIndex,
         flags: FlagSink) -> list[Lot]:
    """First in, first out: the default when shares are not identified (§4.1)."""
    return list(queue)


def lifo(e: ExecutionRecord, queue: Sequence[Lot], closed: ClosedLotIndex,
         flags: FlagSink) -> list[Lot]:
    return list(reversed(queue))


def hifo(e: ExecutionRecord, queue: Sequence[Lot], closed: ClosedLotIndex,
         flags: FlagSink) -> list[Lot]:
    """Highest cost per share first (wash-sale adjustments count as cost)."""
    return sorted(queue, key=lambda x: -((x.wash - x.open_cash) / x.rem))


def _ib_choice(e: ExecutionRecord, queue: Sequence[Lot],
               closed: ClosedLotIndex) -> list[Lot] | None:
    """The lots IB's closed-lot rows name first, then the rest in order; None without
    closed-lot detail for ``e``."""
    want_tx, want_day = set(), set()
    for c in closed_lots_of(closed, e):
        if c.open_transaction_id:
            want_tx.add(c.open_transaction_id)
        else:
            want_day.add(c.open_date)
    if not want_tx and not want_day:
        return None
    first = [x for x in queue if x.tx in want_tx or x.acquired in want_day]
    return first + [x for x in queue if x not in first]


def ib(e: ExecutionRecord, queue: Sequence[Lot], closed: ClosedLotIndex,
       flags: FlagSink) -> list[Lot]:
    """IB's own pairing where the statement has it, FIFO otherwise (the default)."""
    chosen = _ib_choice(e, queue, closed)
    return list(queue) if chosen is None else chosen


def specific(e: ExecutionRecord, queue: Sequence[Lot], closed: ClosedLotIndex,
             flags: FlagSink) -> list[Lot]:
    """Like IB, but a sale without closed-lot detail is flagged (§4.2: only a choice
    recorded at the broker counts)."""
    chosen = _ib_choice(e, queue, closed)
    if chosen is not None:
        return chosen
    flags.add(FlagCode.SPECIFIC_LOT_MISSING, e.account,
              f"{e.symbol} sale on {e.trade_date}: no IB closed-lot detail; FIFO used",
              d=e.trade_date, symbol=e.symbol, tx=e.transaction_id)
    return list(queue)


Relief = Callable[[ExecutionRecord, Sequence[Lot], ClosedLotIndex, FlagSink], list[Lot]]

RELIEF: dict[LotMethod, Relief] = {
    LotMethod.IB: ib,
    LotMethod.FIFO: fifo,
    LotMethod.LIFO: lifo,
    LotMethod.HIFO: hifo,
    LotMethod.SPECIFIC: specific,
}


def relief_order(method: str, e: ExecutionRecord, queue: Sequence[Lot],
                 closed: ClosedLotIndex, flags: FlagSink) -> list[Lot]:
    return RELIEF[LotMethod(method)](e, queue, closed, flags)
