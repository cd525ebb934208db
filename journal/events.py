"""What importers emit: immutable, typed rows, each with the place it came from.

IB's camelCase vocabulary stops at the importers; these types speak the ledger's
snake_case. ``raw`` keeps every attribute of the source row exactly as written (strings),
so nothing IB sends is lost even when no field below maps it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple


class SourceRef(NamedTuple):
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class StatementStart(NamedTuple):
    """A statement of one account. Its period is None when the statement cannot vouch
    for the trades of that period (no Trades section), so coverage ignores it."""

    account_id: str
    period_from: date | None
    period_to: date | None
    period: str | None
    when_generated: datetime | None
    source: SourceRef


class AccountInfo(NamedTuple):
    account_id: str
    alias: str | None
    base_currency: str | None
    source: SourceRef


class TradeRow(NamedTuple):
    """A ``Trade`` at EXECUTION level. Signs as IB writes them (ib_formats.md §1.4):
    quantity < 0 sells, proceeds > 0 is cash in, commission < 0 is a cost.

    Only the fields the rules, the reports and the keys read are typed here (and stored in
    their own columns); every other attribute of the row (exchange, settlement date,
    order type, exec id …) stays in ``raw`` exactly as IB wrote it."""

    account_id: str
    transaction_id: str
    key_synthetic: bool  # True when the query omitted transactionID (see flex_rows.Keyer)
    trade_id: str | None
    ib_order_id: str | None
    asset_category: str | None
    symbol: str | None
    description: str | None
    conid: str | None
    underlying_symbol: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal | None
    currency: str | None
    listing_exchange: str | None
    fx_rate_to_base: Decimal | None
    trade_date: date | None
    date_time: datetime | None
    buy_sell: str | None
    open_close: str | None
    quantity: Decimal | None
    trade_price: Decimal | None
    proceeds: Decimal | None
    commission: Decimal | None
    taxes: Decimal | None
    net_cash: Decimal | None
    cost: Decimal | None
    fifo_pnl_realized: Decimal | None
    close_price: Decimal | None
    notes: str | None
    transaction_type: str | None
    position_action_id: str | None
    orig_transaction_id: str | None
    orig_trade_id: str | None
    raw: dict
    source: SourceRef


class KnownKeys(NamedTuple):
    """Keys the ledger already holds, handed to a parser so it can skip converting rows
    that would only hit a unique key (an overlapping or re-read statement)."""

    trades: frozenset  # (account, transactionID)
    option_events: frozenset  # (account, event_key)
    cash: frozenset  # (account, transactionID)


class KnownRow(NamedTuple):
    """A row whose key is in KnownKeys: counted, not converted. ``kind`` is trade,
    option_event or cash; ``cancel`` marks a trade cancel row."""

    kind: str
    account_id: str
    key: str
    cancel: bool
    source: SourceRef


class OptionEAERow(NamedTuple):
    account_id: str
    event_key: str
    transaction_type: str | None
    event_date: date | None
    asset_category: str | None
    symbol: str | None
    description: str | None
    conid: str | None
    underlying_symbol: str | None
    underlying_conid: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal | None
    currency: str | None
    listing_exchange: str | None
    fx_rate_to_base: Decimal | None
    quantity: Decimal | None
    trade_price: Decimal | None
    mark_price: Decimal | None
    proceeds: Decimal | None
    commissions_and_tax: Decimal | None
    cost_basis: Decimal | None
    realized_pnl: Decimal | None
    trade_id: str | None
    related_trade_id: str | None
    orig_transaction_id: str | None
    related_transaction_id: str | None
    raw: dict
    source: SourceRef


class CashRow(NamedTuple):
    account_id: str
    transaction_id: str
    type: str | None
    date_time: datetime | None
    report_date: date | None
    settle_date: date | None
    amount: Decimal | None
    currency: str | None
    fx_rate_to_base: Decimal | None
    description: str | None
    symbol: str | None
    conid: str | None
    action_id: str | None
    code: str | None
    raw: dict
    source: SourceRef


class OpenPositionRow(NamedTuple):
    account_id: str
    snapshot_key: str
    report_date: date | None
    level_of_detail: str | None
    asset_category: str | None
    symbol: str | None
    description: str | None
    conid: str | None
    underlying_symbol: str | None
    underlying_conid: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal | None
    currency: str | None
    listing_exchange: str | None
    position: Decimal | None
    mark_price: Decimal | None
    position_value: Decimal | None
    cost_basis_money: Decimal | None
    open_date_time: datetime | None
    originating_transaction_id: str | None
    raw: dict
    source: SourceRef


class ClosedLotRow(NamedTuple):
    account_id: str
    lot_key: str
    conid: str | None
    symbol: str | None
    open_transaction_id: str | None
    open_date_time: datetime | None
    close_date_time: datetime | None
    trade_date: date | None
    quantity: Decimal | None
    cost: Decimal | None
    fifo_pnl_realized: Decimal | None
    notes: str | None
    raw: dict
    source: SourceRef


class CorporateActionRow(NamedTuple):
    """A ``CorporateAction`` at DETAIL level (or of an older layout without levels), as IB
    wrote it: its meaning (kind, ratio, which leg is old or new) is read later, from the
    stored row, by :mod:`journal.corpact`. ``date_time`` is None when IB gave only a date."""

    account_id: str
    action_key: str  # transactionID, else "k:<hash>" (ledger key with the account)
    asset_category: str | None
    symbol: str | None
    description: str | None
    conid: str | None
    underlying_symbol: str | None
    underlying_conid: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal | None
    currency: str | None
    isin: str | None
    fx_rate_to_base: Decimal | None
    type: str | None  # IB's code as reported (None in layouts before 2010)
    transaction_id: str | None
    action_id: str | None
    level_of_detail: str | None
    date_time: datetime | None
    action_date: date | None
    report_date: date | None
    quantity: Decimal | None
    amount: Decimal | None
    proceeds: Decimal | None
    value: Decimal | None
    fifo_pnl_realized: Decimal | None
    code: str | None
    origin: str
    match_key: str | None
    raw: dict
    source: SourceRef


class TransferRow(NamedTuple):
    """A ``Transfer`` of positions or cash into or out of the account (ACATS, ATON, FOP,
    INTERNAL …). IB's row carries no basis: ``position_amount`` is the market value."""

    account_id: str
    transfer_key: str  # transactionID, else "k:<hash>"
    asset_category: str | None
    symbol: str | None
    description: str | None
    conid: str | None
    underlying_symbol: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal | None
    currency: str | None
    isin: str | None
    fx_rate_to_base: Decimal | None
    type: str | None
    direction: str | None  # IN | OUT
    transaction_id: str | None
    transfer_date: date | None
    report_date: date | None
    quantity: Decimal | None
    transfer_price: Decimal | None
    position_amount: Decimal | None
    pnl_amount: Decimal | None
    cash_transfer: Decimal | None
    peer_account: str | None
    peer_account_name: str | None
    company: str | None
    delivering_broker: str | None
    code: str | None
    origin: str
    match_key: str | None
    raw: dict
    source: SourceRef


def action_match_key(account, security, when, quantity) -> str:
    """Cross-format identity of a corporate action or transfer row (the Activity CSV has
    no ids): account, the row's own security (ISIN, else symbol), date(-time), quantity."""
    stamp = when.isoformat() if when is not None else ""
    qty = "" if quantity is None else format(quantity.normalize(), "f")
    return f"{account}|{(security or '').strip().upper()}|{stamp}|{qty}"


def balance_key(from_date, to_date) -> str:
    """One cash balance per account and period, whichever format it came from (Flex and
    the Activity CSV then meet on the same key and the ledger keeps one)."""
    return f"period:{from_date.isoformat() if from_date else ''}:" \
           f"{to_date.isoformat() if to_date else ''}"


class CashBalanceRow(NamedTuple):
    """IB's cash in base currency at the start and end of a statement period."""

    account_id: str
    balance_key: str
    from_date: date | None
    to_date: date | None
    starting_cash: Decimal | None
    ending_cash: Decimal | None
    raw: dict
    source: SourceRef


class ParseSummary(NamedTuple):
    """Last event of every parse: rows seen by kind, and warnings (each named once)."""

    format: str
    counts: dict
    warnings: tuple
    source: SourceRef
    sha256: str | None = None  # of the bytes the parser read (not of the file before)


Event = (StatementStart | AccountInfo | TradeRow | KnownRow | OptionEAERow | CashRow
         | OpenPositionRow | ClosedLotRow | CorporateActionRow | TransferRow | ParseSummary)
