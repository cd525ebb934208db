"""The state of one rules pass, in one place.

The pass is chronological and stateful by nature (a loss waits for its replacement, a
call's premium waits for its stock leg), but every piece of that state is named and
typed here and handed explicitly to the functions of the other modules; nothing is
global and nothing outlives :func:`journal.rules.engine.run_rules`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from journal.frozen import maker
from journal.readmodel import ExecutionRecord, LedgerData
from journal.rules.indexes import ClosedLotIndex, Marks
from journal.rules.money import ZERO
from journal.rules.records import EarlyAssignment, ExecInfo, Lot, OptionClose, Piece
from journal.rules.types import Flag, WashSale
from journal.settings import Settings
from journal.vocab import FlagCode

_flag = maker(Flag)


class FlagSink:
    """The flags raised so far (tax_rules.md: FLAG = show the case, never decide it)."""

    __slots__ = ("flags", "year")

    def __init__(self) -> None:
        self.flags: list[Flag] = []
        # a pass for one tax year's result keeps only that year's flags (and those of no
        # year): journal.rules.assemble drops the others
        self.year: int | None = None

    def keeps(self, d: date) -> bool:
        """Whether a flag dated ``d`` reaches the result: a caller that words many flags
        asks first, so a pass for one tax year does not word the other years' flags."""
        return self.year is None or d.year == self.year

    def add(self, code: FlagCode, account: str, message: str, *, d: date | None = None,
            symbol: str | None = None, tx: str | None = None,
            year: int | None = None) -> None:
        self.flags.append(_flag(code.value, account, message, d, symbol, tx,
                                year if year is not None else (d.year if d else None)))

    def trade(self, code: FlagCode, e: ExecutionRecord, message: str) -> None:
        """A flag about one execution, dated on its trade date."""
        d = e.trade_date
        self.flags.append(_flag(code.value, e.account, message, d, e.underlying,
                                e.transaction_id, d.year))


def _zeros() -> defaultdict:
    return defaultdict(lambda: ZERO)


@dataclass(slots=True, eq=False)
class WashBook:
    """Open wash-sale business (§3): lots that can still replace a loss, and losses still
    looking for a replacement, per family of substantially identical positions."""

    family_lots: defaultdict = field(default_factory=lambda: defaultdict(list))
    pending: defaultdict = field(default_factory=lambda: defaultdict(deque))
    sales: list[WashSale] = field(default_factory=list)
    prune_at: dict[tuple, int] = field(default_factory=dict)  # family -> list length


@dataclass(slots=True, eq=False)
class PassState:
    data: LedgerData
    settings: Settings
    as_of: date | None
    execs: list[ExecutionRecord]
    horizon: date  # the ledger's "today": as_of, else its last trade or statement day
    marks: Marks
    closed_lots: ClosedLotIndex
    links: dict[int, int]  # option leg seq -> stock leg seq
    option_seqs: frozenset[int]  # the executions that are options (asked very often)
    flags: FlagSink = field(default_factory=FlagSink)
    wash: WashBook = field(default_factory=WashBook)
    positions: defaultdict = field(default_factory=lambda: defaultdict(list))  # key -> lots
    pieces: list[Piece] = field(default_factory=list)
    option_closes: list[OptionClose] = field(default_factory=list)
    stock_lots: list[Lot] = field(default_factory=list)
    option_lots: list[Lot] = field(default_factory=list)
    extra_cash: defaultdict = field(default_factory=_zeros)  # stock leg seq -> option cash
    leg_kind: dict[int, str] = field(default_factory=dict)  # stock leg seq -> source/kind
    stock_qty: defaultdict = field(default_factory=_zeros)  # (account, symbol) -> shares
    opt_open: defaultdict = field(default_factory=_zeros)  # (account, underlying) -> contracts
    info: dict[int, ExecInfo] = field(default_factory=dict)
    puts_written: list[tuple[ExecutionRecord, Decimal | None]] = field(default_factory=list)
    calls_written: list[Lot] = field(default_factory=list)  # short calls on shares (§2.2)
    early: list[EarlyAssignment] = field(default_factory=list)
    day_state: dict[tuple, tuple[Decimal, Decimal]] = field(default_factory=dict)
    is1256: dict[tuple, bool] = field(default_factory=dict)  # (underlying, root, category)
    is1256_of: dict[tuple, bool] = field(default_factory=dict)  # (symbol, underlying, category)
    basis_used: set[int] = field(default_factory=set)  # user transfer-basis rows taken
    action_labels: dict[str, tuple[str, str]] = field(default_factory=dict)  # action key ->
    #   (kind, Form 8949 note) of the sales a corporate action books (journal.rules.actions)

    def lots_of(self, lot: Lot) -> list[Lot]:
        """The list every lot of ``lot``'s kind is kept in."""
        return self.option_lots if lot.is_option else self.stock_lots


def marked_closing(e: ExecutionRecord) -> bool:
    """IB marks the row as a close: units it closes beyond the ledger's open lots were
    opened before the ledger begins (IB's cost stands in for their opening)."""
    return e.open_close == "C" or "C" in e.notes


def option_key(e: ExecutionRecord) -> tuple:
    """Which queue of open option lots an option execution opens into or closes from."""
    return (e.account, "O", e.conid or (e.underlying, e.put_call, e.strike, e.expiry,
                                        e.multiplier))


def stock_key(e: ExecutionRecord) -> tuple:
    return (e.account, "S", e.symbol)


def position_key(e: ExecutionRecord) -> tuple:
    """Which queue of open lots an execution opens into or closes from."""
    return option_key(e) if e.is_option else stock_key(e)
