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

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from journal.readmodel import ExecutionRecord
from journal.rules.money import ZERO, part


@dataclass(slots=True, eq=False)
class Lot:
    """Shares, or contracts of one option series, opened by one execution."""

    lot_id: str
    account: str
    ex: ExecutionRecord | None  # the opening execution (None: never)
    symbol: str
    underlying: str
    side: int  # +1 long, -1 short
    qty: Decimal  # units of this lot (a wash-sale split moves some into a new lot)
    open_cash: Decimal  # signed opening cash of the units still open
    acquired: date | None  # None: the opening is not in the ledger (VARIOUS)
    is_option: bool
    is1256: bool = False
    source: str = "purchase"
    rem: Decimal = field(init=False)  # units still open
    prem: Decimal = field(init=False)  # opening cash still open, before wash and marks
    orig_cost: Decimal = field(init=False)  # tax basis of ``qty`` units
    hp: date | None = field(init=False)  # holding period start after tacking
    tx: str | None = field(init=False)
    seq: int = field(init=False)
    wash: Decimal = ZERO  # disallowed loss still carried by the open units
    wash_total: Decimal = ZERO  # every disallowed loss this lot received
    # The 1099-B's view of the lot (§3.8: IB applies only the washes it can see).
    broker_wash: Decimal = ZERO  # part of ``wash`` that IB carries too (same account/security)
    broker_hp: date | None = field(init=False)  # holding period start as IB counts it
    families: tuple = ()  # wash-sale families this lot can replace a loss in
    absorbed: bool = False  # already a replacement (each share absorbs one loss, §3.6)
    needs_review: bool = False  # a non-qualified call may have reset its clock (§2.2)
    qcc: str | None = None  # covered-call class of a short call written on shares
    covered: list[Lot] = field(default_factory=list)  # the share lots a short call covers
    clock_suspended: bool = False  # an ITM qualified covered call stopped its clock (§2.2)
    suspended: bool | None = None  # ITM QCC closed: True if the shares were LT then
    mtm_year: int | None = None  # §1256: year ends already marked to market
    splits: int = 0
    closed_on: date | None = None  # last day units of this lot were closed

    def __post_init__(self) -> None:
        self.rem = self.qty
        self.prem = self.open_cash
        self.orig_cost = -self.open_cash
        self.hp = self.acquired
        self.broker_hp = self.acquired
        ex = self.ex
        self.tx = ex.transaction_id if ex is not None else None
        self.seq = ex.seq if ex is not None else -1

    @property
    def opening(self) -> ExecutionRecord:
        """The opening execution (every lot the pass builds has one)."""
        assert self.ex is not None
        return self.ex

    def take(self, n: Decimal) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Close ``n`` units: their opening cash, wash, premium and IB-visible wash."""
        rem = self.rem
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
    disallowed: Decimal = ZERO  # loss moved into replacements (code W)
    unmatched_qty: Decimal = ZERO
    unmatched_loss: Decimal = ZERO
    # The cash behind proceeds and cost, and what IB knows of it (journal.rules.form8949
    # compares the two for the Form 8949 codes B, E and T).
    closing: ExecutionRecord | None = None  # the execution that closed the units
    open_cash: Decimal = ZERO  # opening cash of the units (wash not included)
    close_cash: Decimal = ZERO  # closing cash (an assigned option's premium included)
    wash: Decimal = ZERO  # disallowed losses of earlier sales carried in ``cost``
    broker_wash: Decimal = ZERO  # the part of ``wash`` IB carries too (same account/security)
    broker_hp: date | None = None  # holding period start as IB counts it

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
    """What one execution did, for cycles and roll chains."""

    opens: list[tuple[str | None, str | None]]  # (option lot tx, put/call) opened
    closes: list[tuple[str | None, str, str | None]]  # (open tx, outcome, put/call)
    shares_after: Decimal = ZERO
    options_after: Decimal = ZERO


@dataclass(slots=True)
class EarlyAssignment:
    option_leg: ExecutionRecord
    lot: Lot
    stock_seq: int | None
