"""Result types of the rules layer: the contract between rules, reports and exporters.

Everything is frozen and exact (Decimal money, trade dates). Rules return these; nothing
here is stored except as a derived cache that can always be rebuilt from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Flag:
    """A case the user must look at (tax_rules.md says FLAG): never decided silently."""

    code: str  # e.g. NON_QCC, MISSING_STOCK_LEG, EXPIRED_NO_CLOSE, WASH_SALE_OPTION, ...
    account: str
    message: str
    date: date | None = None
    symbol: str | None = None
    transaction_id: str | None = None
    tax_year: int | None = None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One Form 8949 code of a line (i8949 "Column (f)"), its part of column (g), and why:
    the cause is named as the reconciliation with IB names the same difference."""

    code: str  # B | E | T | W
    amount: Decimal  # its part of (g): B = 1099-B basis − ours, E = ours − 1099-B proceeds,
    #                  W = the disallowed loss; T has none
    cause: str  # a journal.reconcile.REASONS key, e.g. WASH_SALE_BASIS, WASH_SALE_TACKING


@dataclass(frozen=True, slots=True)
class RealizedEvent:
    """One Form 8949 line (or one Form 6781 line when section_1256).

    ``proceeds``, ``cost`` and ``gain`` are ours. Where the Form 1099-B (what IB reports)
    differs, ``broker_*`` say what it shows, ``adjustment_code`` has the codes (B, E, T,
    W in alphabetical order) and ``adjustments`` each code's amount and cause; Form 8949
    then shows the 1099-B's proceeds (E) or basis (B) with the correction in (g).
    """

    account: str
    description: str  # e.g. "100 MSFT" or "1 MSFT 21NOV25 410 P"
    underlying: str
    asset_category: str  # OPT | STK | FOP | ...
    quantity: Decimal  # shares or contracts disposed (positive)
    date_acquired: date | None  # None = VARIOUS
    date_sold: date  # trade date of the closing event (expiry date for expirations)
    proceeds: Decimal  # amount realized (call premium of a called-away call included)
    cost: Decimal  # basis (assigned put premium already subtracted)
    adjustment_code: str  # "" or Form 8949 codes in alphabetical order, e.g. "W", "BT"
    adjustment_amount: Decimal  # the disallowed loss added back (W), positive
    gain: Decimal  # proceeds - cost + adjustment_amount
    term: str  # ST | LT | NEEDS_REVIEW
    tax_year: int
    kind: str  # expired | bought_to_close | sold_to_close | assigned_call_shares | stock_sale |
    #           cash_settled | exercised | mark_to_market
    section_1256: bool = False
    covered: bool = True  # broker reports basis (box A/D) vs not (B/E)
    closing_transaction_id: str | None = None
    ib_fifo_pnl: Decimal | None = None  # IB's fifoPnlRealized of the closing row(s)
    lot_id: str | None = None
    broker_proceeds: Decimal | None = None  # 1099-B proceeds (None: no 1099-B line, §1256)
    broker_cost: Decimal | None = None  # 1099-B basis
    broker_term: str | None = None  # 1099-B term (None: unknown acquisition date)
    adjustments: tuple[Adjustment, ...] = ()  # per code of adjustment_code


@dataclass(frozen=True, slots=True)
class LotAction:
    """What one corporate action or transfer did to a lot, recorded when the rules applied
    it (``journal lots --explain`` renders it): shares before and after, tax basis of the
    lot before and after, and the facts the line names."""

    day: date
    kind: str  # split | reverse split | stock dividend | ISIN/ticker change | stock merger
    #            | spinoff | transfer in
    shares_before: Decimal
    shares_after: Decimal
    basis_before: Decimal
    basis_after: Decimal
    ratio: str | None = None  # "10:1", "1-for-10", "2:1" (old for new shares)
    old_symbol: str | None = None
    new_symbol: str | None = None
    cash: Decimal | None = None  # a merger's cash for this lot
    detail: str | None = None  # a transfer's type and basis source, a spinoff's split


@dataclass(frozen=True, slots=True)
class StockLot:
    lot_id: str
    account: str
    symbol: str
    quantity: Decimal  # original shares
    remaining: Decimal  # shares still open
    acquired: date  # trade date of purchase / assignment
    holding_period_acquired: date  # after wash-sale tacking
    tax_basis: Decimal  # for the original quantity
    economic_basis: Decimal  # tax basis minus other premiums of the same wheel cycle
    wash_sale_adjustment: Decimal
    source: str  # purchase | put_assignment | call_exercise | transfer
    cycle_id: str | None = None
    open: bool = True
    actions: tuple[LotAction, ...] = ()  # corporate actions and transfers, in date order


@dataclass(frozen=True, slots=True)
class OptionPosition:
    """A matched open/close of one option contract (partial fills/closes pro rata)."""

    account: str
    conid: str | None
    description: str
    underlying: str
    put_call: str
    strike: Decimal
    expiry: date | None
    multiplier: Decimal
    contracts: Decimal  # negative = short
    opened: date
    closed: date | None
    outcome: str | None  # None (open) | bought_to_close | sold_to_close | expired |
    #                         assigned | exercised | cash_settled
    premium_net: Decimal  # net premium received (short) or paid (long, negative)
    close_cost: Decimal  # cost to close (bought back), 0 for expiry/assignment
    open_transaction_id: str | None = None
    close_transaction_id: str | None = None
    stock_leg_transaction_id: str | None = None
    cycle_id: str | None = None
    # OCC adjustments (a split while the contract is open): ``contracts`` and ``strike``
    # are the adjusted ones; ``opened_contracts`` are the same contracts in the units they
    # were opened in (10 NVDA 90 P after a 10:1 split were 1 NVDA 900 P), so a position is
    # counted once; ``deliverable`` is the shares per contract (the multiplier, cash per
    # point, stays 100 while a 1-for-10 reverse split makes the deliverable 10).
    opened_contracts: Decimal | None = None  # None: not adjusted, = contracts
    deliverable: Decimal | None = None  # None: = multiplier


@dataclass(frozen=True, slots=True)
class WheelCycle:
    cycle_id: str
    account: str
    underlying: str
    started: date
    ended: date | None
    premium_net: Decimal  # all option premium collected in the cycle, net
    realized: Decimal  # realized tax gain of the cycle so far
    assigned: bool
    days: int
    roll_chains: tuple = ()  # tuples of option position ids


@dataclass(frozen=True, slots=True)
class RuleResult:
    option_positions: tuple = ()
    lots: tuple = ()  # StockLot
    realized: tuple = ()  # RealizedEvent
    wash_sales: tuple = ()  # rules-defined records of disallowed losses
    cycles: tuple = ()  # WheelCycle
    flags: tuple = ()  # Flag
    provisional_years: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class WashSale:
    """One disallowed loss (tax_rules.md §3): which sale lost what to which replacement."""

    account: str  # account of the loss sale
    symbol: str  # stock symbol, or the option description for option-to-option washes
    loss_transaction_id: str | None
    loss_date: date
    replacement_account: str
    replacement_transaction_id: str | None
    replacement_date: date
    quantity: Decimal  # shares (or contracts) matched
    disallowed: Decimal  # loss moved out of the sale (positive)
    basis_carried: bool  # False when the replacement sits in an IRA (the loss is lost)
    tax_year: int  # year of the loss sale: a December loss stays in December's return
    replacement_lot_id: str | None = None
