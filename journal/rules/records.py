"""The working records of the rules pass: lots, realized pieces, option closes.

These change while the pass runs (a wash sale moves basis into a later lot, a covered
call suspends a lot's clock), so they are mutable; :mod:`journal.rules.assemble` turns
them into the frozen result types of :mod:`journal.rules.types`. ``eq=False`` keeps
identity semantics: a lot is found in its queue by identity, never by value.

**Lots carry cash, not prices.** ``open_cash`` is the signed net cash of opening (IB's
signs: a short put's premium is positive, a purchase negative, commissions included).
The gain of closing ``n`` units is ``close_cash + open_cash − wash`` for long and short
alike; Form 8949 presentation (proceeds vs cost) depends only on the side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from journal.readmodel import ExecutionRecord
from journal.rules.money import ZERO, part
from journal.rules.types import Adjustment, LotAction


@dataclass(slots=True, eq=False, init=False)
class Lot:
    """Shares, or contracts of one option series, opened by one execution."""

    lot_id: str
    account: str
    ex: ExecutionRecord  # the opening execution
    symbol: str
    underlying: str
    side: int  # +1 long, -1 short
    qty: Decimal  # units of this lot (a wash-sale split moves some into a new lot)
    open_cash: Decimal  # signed opening cash of the units still open
    acquired: date | None  # None: the opening is not in the ledger (VARIOUS)
    is_option: bool
    is1256: bool
    source: str
    rem: Decimal  # units still open
    prem: Decimal  # opening cash still open, before wash and marks
    orig_cost: Decimal  # tax basis of ``qty`` units
    hp: date | None  # holding period start after tacking
    tx: str
    seq: int
    folded: Decimal  # option cash in ``open_cash`` (an assigned put's premium), still open
    wash: Decimal  # disallowed loss still carried by the open units
    wash_total: Decimal  # every disallowed loss this lot received
    # The 1099-B's view of the lot (§3.8: IB applies only the washes it can see).
    broker_wash: Decimal  # part of ``wash`` that IB carries too (same account/security)
    broker_hp: date | None  # holding period start as IB counts it
    families: tuple  # wash-sale families this lot can replace a loss in
    absorbed: bool  # already a replacement (each share absorbs one loss, §3.6)
    needs_review: bool  # a non-qualified call may have reset its clock (§2.2)
    qcc: str | None  # covered-call class of a short call written on shares
    covered: Sequence[Lot]  # the share lots a short call covers
    clock_suspended: bool  # an ITM qualified covered call stopped its clock (§2.2)
    suspended: bool | None  # ITM QCC closed: True if the shares were LT then
    mtm_year: int | None  # §1256: year ends already marked to market
    splits: int
    closed_on: date | None  # last day units of this lot were closed
    actions: list[LotAction]  # what corporate actions and transfers did to it

    def __init__(self, lot_id: str, account: str, ex: ExecutionRecord, symbol: str,
                 underlying: str, side: int, qty: Decimal, open_cash: Decimal,
                 acquired: date | None, is_option: bool, is1256: bool = False,
                 source: str = "purchase") -> None:
        # Written out rather than generated: the pass creates a lot per opening trade.
        self.lot_id = lot_id
        self.account = account
        self.ex = ex
        self.symbol = symbol
        self.underlying = underlying
        self.side = side
        self.qty = self.rem = qty
        self.open_cash = self.prem = open_cash
        self.orig_cost = -open_cash
        self.acquired = self.hp = self.broker_hp = acquired
        self.is_option = is_option
        self.is1256 = is1256
        self.source = source
        self.tx = ex.transaction_id
        self.seq = ex.seq
        self.wash = self.wash_total = self.broker_wash = self.folded = ZERO
        self.families = ()
        self.absorbed = self.needs_review = self.clock_suspended = False
        self.qcc = self.suspended = self.mtm_year = self.closed_on = None
        self.covered = ()
        self.splits = 0
        self.actions = []

    def note(self, day: date, kind: str, before: Decimal, basis_before: Decimal,
             **facts) -> None:
        """Record what an action just did to this lot (shares and basis before it)."""
        self.actions.append(LotAction(day, kind, before, self.qty, basis_before,
                                      self.orig_cost, **facts))

    def take(self, n: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Close ``n`` units: their opening cash, wash, premium and IB-visible wash."""
        rem = self.rem
        if n == rem:  # the whole lot: the common case
            oc, w, p, bw = self.open_cash, self.wash, self.prem, self.broker_wash
            self.open_cash = self.wash = self.prem = self.broker_wash = self.rem = ZERO
            return oc, w, p, bw
        oc = part(self.open_cash, n, rem)
        w = part(self.wash, n, rem)
        p = part(self.prem, n, rem)
        bw = part(self.broker_wash, n, rem) if self.broker_wash else ZERO
        self.open_cash -= oc
        self.wash -= w
        self.prem -= p
        self.broker_wash -= bw
        self.rem = rem - n
        return oc, w, p, bw


def before(lots: Sequence[Lot]) -> list[tuple[Lot, Decimal, Decimal]]:
    """Each lot with its shares and tax basis, before an action changes them."""
    return [(lot, lot.qty, lot.orig_cost) for lot in lots]


def noted(befores: list[tuple[Lot, Decimal, Decimal]], day: date, kind: str,
          **facts) -> None:
    for lot, qty, basis in befores:
        lot.note(day, kind, qty, basis, **facts)


@dataclass(slots=True, eq=False)
class Piece:
    """A realized event under construction (wash sales may still change it)."""

    account: str
    description: str
    underlying: str
    asset_category: str
    quantity: Decimal
    date_acquired: date | None
    date_sold: date
    proceeds: Decimal
    cost: Decimal  # wash-sale adjustments of the lot included
    term: str
    kind: str
    section_1256: bool
    tx: str | None
    seq: int | None
    ib_fifo: Decimal | None
    lot_id: str | None
    hp: date | None
    side: int
    symbol: str
    # The cash behind proceeds and cost, and what IB knows of it (journal.rules.form8949
    # compares the two for the Form 8949 codes B, E and T). In this order so the pass
    # gives them positionally (keyword arguments cost twice as much per piece).
    closing: ExecutionRecord | None = None  # the execution that closed the units
    open_cash: Decimal = ZERO  # opening cash of the units (wash not included)
    close_cash: Decimal = ZERO  # closing cash (an assigned option's premium included)
    wash: Decimal = ZERO  # disallowed losses of earlier sales carried in ``cost``
    broker_wash: Decimal = ZERO  # the part of ``wash`` IB carries too (same account/security)
    broker_hp: date | None = None  # holding period start as IB counts it
    open_folded: Decimal = ZERO  # option cash in ``open_cash`` (assigned put's premium)
    close_folded: Decimal = ZERO  # option cash in ``close_cash`` (called-away call's premium)
    disallowed: Decimal = ZERO  # loss moved into replacements (code W)
    unmatched_qty: Decimal = ZERO
    unmatched_loss: Decimal = ZERO
    # Filled in by journal.rules.form8949 after the pass.
    broker_proceeds: Decimal | None = None
    broker_cost: Decimal | None = None
    broker_term: str | None = None
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost + self.disallowed


@dataclass(slots=True)
class OptionClose:
    """Units of an option lot closed by one execution (an option position's end)."""

    lot: Lot
    contracts: Decimal  # signed like the lot: negative = short
    closed: date
    outcome: str
    premium: Decimal
    close_cost: Decimal
    close_tx: str | None
    stock_seq: int | None = None  # the linked stock leg of an assignment/exercise


@dataclass(slots=True)
class ExecInfo:
    """What one execution did, for cycles and roll chains. ``opens`` and ``closes`` start
    as the empty tuple and become lists on their first entry: one execution in two opens
    or closes nothing, and the pass makes one of these per execution."""

    opens: Sequence[tuple[str | None, str | None]] = ()  # (option lot tx, put/call) opened
    closes: Sequence[tuple[str | None, str, str | None]] = ()  # (open tx, outcome, put/call)
    shares_after: Decimal = ZERO
    options_after: Decimal = ZERO


@dataclass(slots=True)
class EarlyAssignment:
    option_leg: ExecutionRecord
    lot: Lot
    stock_seq: int | None
