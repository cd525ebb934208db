"""What importers emit: immutable, typed rows, each with the place it came from.

IB's camelCase vocabulary stops at the importers; these types speak the ledger's
snake_case. ``raw`` keeps every attribute of the source row exactly as written (strings),
so nothing IB sends is lost even when no field below maps it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Optional


class SourceRef(NamedTuple):
    path: str
    line: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class StatementStart(NamedTuple):
    """A statement of one account. Its period is None when the statement cannot vouch
    for the trades of that period (no Trades section), so coverage ignores it."""

    account_id: str
    period_from: Optional[date]
    period_to: Optional[date]
    period: Optional[str]
    when_generated: Optional[datetime]
    source: SourceRef


class AccountInfo(NamedTuple):
    account_id: str
    alias: Optional[str]
    base_currency: Optional[str]
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
    trade_id: Optional[str]
    ib_order_id: Optional[str]
    asset_category: Optional[str]
    symbol: Optional[str]
    description: Optional[str]
    conid: Optional[str]
    underlying_symbol: Optional[str]
    put_call: Optional[str]
    strike: Optional[Decimal]
    expiry: Optional[date]
    multiplier: Optional[Decimal]
    currency: Optional[str]
    listing_exchange: Optional[str]
    fx_rate_to_base: Optional[Decimal]
    trade_date: Optional[date]
    date_time: Optional[datetime]
    buy_sell: Optional[str]
    open_close: Optional[str]
    quantity: Optional[Decimal]
    trade_price: Optional[Decimal]
    proceeds: Optional[Decimal]
    commission: Optional[Decimal]
    taxes: Optional[Decimal]
    net_cash: Optional[Decimal]
    cost: Optional[Decimal]
    fifo_pnl_realized: Optional[Decimal]
    close_price: Optional[Decimal]
    notes: Optional[str]
    transaction_type: Optional[str]
    position_action_id: Optional[str]
    orig_transaction_id: Optional[str]
    orig_trade_id: Optional[str]
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
    transaction_type: Optional[str]
    event_date: Optional[date]
    asset_category: Optional[str]
    symbol: Optional[str]
    description: Optional[str]
    conid: Optional[str]
    underlying_symbol: Optional[str]
    underlying_conid: Optional[str]
    put_call: Optional[str]
    strike: Optional[Decimal]
    expiry: Optional[date]
    multiplier: Optional[Decimal]
    currency: Optional[str]
    listing_exchange: Optional[str]
    fx_rate_to_base: Optional[Decimal]
    quantity: Optional[Decimal]
    trade_price: Optional[Decimal]
    mark_price: Optional[Decimal]
    proceeds: Optional[Decimal]
    commissions_and_tax: Optional[Decimal]
    cost_basis: Optional[Decimal]
    realized_pnl: Optional[Decimal]
    trade_id: Optional[str]
    related_trade_id: Optional[str]
    orig_transaction_id: Optional[str]
    related_transaction_id: Optional[str]
    raw: dict
    source: SourceRef


class CashRow(NamedTuple):
    account_id: str
    transaction_id: str
    type: Optional[str]
    date_time: Optional[datetime]
    report_date: Optional[date]
    settle_date: Optional[date]
    amount: Optional[Decimal]
    currency: Optional[str]
    fx_rate_to_base: Optional[Decimal]
    description: Optional[str]
    symbol: Optional[str]
    conid: Optional[str]
    action_id: Optional[str]
    code: Optional[str]
    raw: dict
    source: SourceRef


class OpenPositionRow(NamedTuple):
    account_id: str
    snapshot_key: str
    report_date: Optional[date]
    level_of_detail: Optional[str]
    asset_category: Optional[str]
    symbol: Optional[str]
    description: Optional[str]
    conid: Optional[str]
    underlying_symbol: Optional[str]
    underlying_conid: Optional[str]
    put_call: Optional[str]
    strike: Optional[Decimal]
    expiry: Optional[date]
    multiplier: Optional[Decimal]
    currency: Optional[str]
    listing_exchange: Optional[str]
    position: Optional[Decimal]
    mark_price: Optional[Decimal]
    position_value: Optional[Decimal]
    cost_basis_money: Optional[Decimal]
    open_date_time: Optional[datetime]
    originating_transaction_id: Optional[str]
    raw: dict
    source: SourceRef


class ClosedLotRow(NamedTuple):
    account_id: str
    lot_key: str
    conid: Optional[str]
    symbol: Optional[str]
    open_transaction_id: Optional[str]
    open_date_time: Optional[datetime]
    close_date_time: Optional[datetime]
    trade_date: Optional[date]
    quantity: Optional[Decimal]
    cost: Optional[Decimal]
    fifo_pnl_realized: Optional[Decimal]
    notes: Optional[str]
    raw: dict
    source: SourceRef


def balance_key(from_date, to_date) -> str:
    """One cash balance per account and period, whichever format it came from (Flex and
    the Activity CSV then meet on the same key and the ledger keeps one)."""
    return f"period:{from_date.isoformat() if from_date else ''}:" \
           f"{to_date.isoformat() if to_date else ''}"


class CashBalanceRow(NamedTuple):
    """IB's cash in base currency at the start and end of a statement period."""

    account_id: str
    balance_key: str
    from_date: Optional[date]
    to_date: Optional[date]
    starting_cash: Optional[Decimal]
    ending_cash: Optional[Decimal]
    raw: dict
    source: SourceRef


class ParseSummary(NamedTuple):
    """Last event of every parse: rows seen by kind, and warnings (each named once)."""

    format: str
    counts: dict
    warnings: tuple
    source: SourceRef
    sha256: Optional[str] = None  # of the bytes the parser read (not of the file before)


Event = (StatementStart | AccountInfo | TradeRow | KnownRow | OptionEAERow | CashRow | OpenPositionRow
         | ClosedLotRow | ParseSummary)
