"""Ledger tables (SQLModel). Only migrations/ creates or changes them.

Imported rows are kept exactly as IB reported them: the typed columns are what the rules
read, and ``raw`` holds every attribute of the source row (JSON) so fields IB adds later
can be back-filled without re-downloading. Rows are never edited by hand; user choices
(e.g. regrouping wheel cycles) live in override tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, LargeBinary, MetaData, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from journal.sqltypes import DecimalText

# Batch mode on SQLite recreates constraints by name, so every constraint gets one.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def table(name: str) -> Table:
    """A ledger table by name, typed (SQLModel classes do not declare ``__table__``)."""
    return metadata.tables[name]

# Date-times are naive on purpose: IB prints exchange-local times (US/Eastern for US
# options) and the ledger keeps them exactly as printed, with any zone suffix beside them.


def Money(default=None, **kw):
    return Field(default=default, sa_type=DecimalText(), **kw)


class Account(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)  # IB account id, e.g. U1234567
    alias: str | None = None
    base_currency: str | None = Field(default=None, max_length=16)
    first_seen: datetime | None = Field(default=None, sa_type=DateTime())


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    file_name: str
    file_path: str | None = None
    sha256: str = Field(index=True, max_length=64)
    format: str = Field(max_length=32)  # flex-xml, activity-csv
    accounts: str | None = None  # comma separated
    period_from: date | None = None
    period_to: date | None = None
    when_generated: datetime | None = Field(default=None, sa_type=DateTime())
    imported_at: datetime = Field(sa_type=DateTime())
    new_executions: int = 0
    duplicate_executions: int = 0
    cancels: int = 0
    new_option_events: int = 0
    new_cash_transactions: int = 0
    counts: str | None = Field(default=None, sa_type=Text())  # JSON: rows by kind
    warnings: str | None = Field(default=None, sa_type=Text())  # JSON list


class Instrument(SQLModel, table=True):
    # conid when IB gives one, else a stable key built from the contract fields
    id: str = Field(primary_key=True, max_length=128)
    conid: str | None = Field(default=None, index=True, max_length=32)
    asset_class: str | None = Field(default=None, max_length=16)
    symbol: str | None = None
    description: str | None = None
    underlying_symbol: str | None = Field(default=None, index=True)
    underlying_conid: str | None = Field(default=None, max_length=32)
    put_call: str | None = Field(default=None, max_length=1)
    strike: Decimal | None = Money()
    expiry: date | None = None
    multiplier: Decimal | None = Money()
    currency: str | None = Field(default=None, max_length=16)
    listing_exchange: str | None = None


class _AccountRow(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.id", max_length=64)


class _Contract(SQLModel):
    """The contract as the row names it (denormalised: the rules read rows, not joins)."""

    instrument_id: str | None = Field(default=None, foreign_key="instrument.id")
    asset_category: str | None = Field(default=None, max_length=16)
    symbol: str | None = None
    conid: str | None = Field(default=None, max_length=32)
    underlying_symbol: str | None = None
    put_call: str | None = Field(default=None, max_length=1)
    strike: Decimal | None = Money()
    expiry: date | None = None
    multiplier: Decimal | None = Money()
    currency: str | None = Field(default=None, max_length=16)


class _Source(SQLModel):
    """Where a row came from: the import batch, the line in the file, every attribute."""

    batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    source_line: int | None = None
    raw: str | None = Field(default=None, sa_type=Text())


class Execution(_Source, _Contract, _AccountRow, table=True):
    """One IB ``Trade`` row at EXECUTION level (a fill or a booking). The typed columns are
    the ones the rules, reports and keys read; the row's other attributes are in ``raw``."""

    __table_args__ = (
        # The only indexes: every extra one is paid on each of the tens of thousands of
        # rows an import writes, and the rules read whole accounts anyway. The unique key
        # also serves account-scoped queries (account_id is its first column).
        UniqueConstraint("account_id", "transaction_id"),
    )
    # IB's transactionID; "k:<hash>" for trimmed queries that omit it (see ledger.py)
    transaction_id: str = Field(max_length=80)
    trade_id: str | None = Field(default=None, max_length=40)
    ib_order_id: str | None = Field(default=None, max_length=40)
    description: str | None = None
    fx_rate_to_base: Decimal | None = Money()
    trade_date: date | None = None
    date_time: datetime | None = Field(default=None, sa_type=DateTime())  # as IB prints it
    buy_sell: str | None = Field(default=None, max_length=16)
    open_close: str | None = Field(default=None, max_length=8)
    quantity: Decimal | None = Money()
    trade_price: Decimal | None = Money()
    proceeds: Decimal | None = Money()
    commission: Decimal | None = Money()
    taxes: Decimal | None = Money()
    net_cash: Decimal | None = Money()
    cost: Decimal | None = Money()
    fifo_pnl_realized: Decimal | None = Money()
    close_price: Decimal | None = Money()
    notes: str | None = None  # IB code letters, ';' separated, as reported
    transaction_type: str | None = Field(default=None, max_length=32)
    position_action_id: str | None = Field(default=None, max_length=40)
    orig_transaction_id: str | None = Field(default=None, max_length=40)
    orig_trade_id: str | None = Field(default=None, max_length=40)
    # active | cancel (a cancel row) | cancelled | corrected | duplicate (linked to Flex)
    status: str = Field(default="active", max_length=16)
    replaced_by: str | None = Field(default=None, max_length=80)
    origin: str = Field(default="flex", max_length=16)  # which importer produced it
    match_key: str | None = Field(default=None, index=True)  # cross-format dedup (CSV)


class OptionEvent(_Source, _Contract, _AccountRow, table=True):
    """An ``OptionEAE`` row: exercise, assignment, expiration, cash settlement, or the
    delivered underlying (Buy/Sell). Metadata only: the Trade rows carry the cash."""

    __tablename__ = "option_event"
    __table_args__ = (UniqueConstraint("account_id", "event_key"),)
    event_key: str = Field(max_length=200)
    transaction_type: str | None = Field(default=None, max_length=32)
    event_date: date | None = None
    fx_rate_to_base: Decimal | None = Money()
    quantity: Decimal | None = Money()
    trade_price: Decimal | None = Money()
    mark_price: Decimal | None = Money()
    proceeds: Decimal | None = Money()
    commissions_and_tax: Decimal | None = Money()
    cost_basis: Decimal | None = Money()
    realized_pnl: Decimal | None = Money()
    trade_id: str | None = Field(default=None, max_length=40)
    related_trade_id: str | None = Field(default=None, max_length=40)
    orig_transaction_id: str | None = Field(default=None, max_length=40)
    related_transaction_id: str | None = Field(default=None, max_length=40)


class CashTransaction(_Source, _AccountRow, table=True):
    """A DETAIL-level ``CashTransaction``: dividend, withholding, interest, fee, deposit…"""

    __tablename__ = "cash_transaction"
    __table_args__ = (UniqueConstraint("account_id", "transaction_id"),)
    transaction_id: str = Field(max_length=80)
    type: str | None = Field(default=None, max_length=64)
    date_time: datetime | None = Field(default=None, sa_type=DateTime())
    report_date: date | None = None
    settle_date: date | None = None
    amount: Decimal | None = Money()
    currency: str | None = Field(default=None, max_length=16)
    fx_rate_to_base: Decimal | None = Money()
    description: str | None = None
    symbol: str | None = None
    conid: str | None = Field(default=None, max_length=32)
    action_id: str | None = Field(default=None, max_length=40)
    code: str | None = None


class PositionSnapshot(_Source, _Contract, _AccountRow, table=True):
    """An ``OpenPosition`` row: IB's position and mark at ``report_date`` (used for
    reconciliation and §1256 year-end marks)."""

    __tablename__ = "position_snapshot"
    __table_args__ = (UniqueConstraint("account_id", "snapshot_key"),)
    snapshot_key: str = Field(max_length=200)
    report_date: date | None = None
    level_of_detail: str | None = Field(default=None, max_length=16)
    position: Decimal | None = Money()
    mark_price: Decimal | None = Money()
    position_value: Decimal | None = Money()
    cost_basis_money: Decimal | None = Money()
    open_date_time: datetime | None = Field(default=None, sa_type=DateTime())
    originating_transaction_id: str | None = Field(default=None, max_length=40)


class ClosedLot(_Source, _AccountRow, table=True):
    """A ``Lot`` row (CLOSED_LOT): which opening lot IB relieved for a closing trade.
    Tax-lot evidence only; the executions are the ledger."""

    __tablename__ = "closed_lot"
    __table_args__ = (UniqueConstraint("account_id", "lot_key"),)
    lot_key: str = Field(max_length=200)
    conid: str | None = Field(default=None, max_length=32)
    symbol: str | None = None
    open_transaction_id: str | None = Field(default=None, max_length=40)
    open_date_time: datetime | None = Field(default=None, sa_type=DateTime())
    close_date_time: datetime | None = Field(default=None, sa_type=DateTime())
    trade_date: date | None = None
    quantity: Decimal | None = Money()
    cost: Decimal | None = Money()
    fifo_pnl_realized: Decimal | None = Money()
    notes: str | None = None


class CashBalance(_Source, _AccountRow, table=True):
    """A ``CashReportCurrency`` row in base currency (``currency="BASE_SUMMARY"``): IB's
    cash at the start and end of a statement period. With the executions and cash rows
    in between it gives the cash on any day (the checklist's cash check)."""

    __tablename__ = "cash_balance"
    __table_args__ = (UniqueConstraint("account_id", "balance_key"),)
    balance_key: str = Field(max_length=200)
    from_date: date | None = None
    to_date: date | None = None
    starting_cash: Decimal | None = Money()
    ending_cash: Decimal | None = Money()


class CycleOverride(_AccountRow, table=True):
    """A user's regrouping of an execution into a named wheel cycle / roll chain."""

    __tablename__ = "cycle_override"
    __table_args__ = (UniqueConstraint("account_id", "transaction_id"),)
    transaction_id: str = Field(max_length=80)
    cycle_label: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=DateTime())


class CorporateAction(_Source, _Contract, _AccountRow, table=True):
    """A ``CorporateAction`` row at DETAIL level (split, merger, ID change, spinoff …) as
    IB reported it. What it does to the lots is read from it by :mod:`journal.corpact`, so
    a better reading never needs a re-import."""

    __tablename__ = "corporate_action"
    __table_args__ = (UniqueConstraint("account_id", "action_key"),)
    action_key: str = Field(max_length=80)  # transactionID, else "k:<hash>" / "csv:<hash>"
    transaction_id: str | None = Field(default=None, max_length=40)
    action_id: str | None = Field(default=None, max_length=40)  # IB's group of legs
    type: str | None = Field(default=None, max_length=8)  # IB's code as reported
    description: str | None = None
    level_of_detail: str | None = Field(default=None, max_length=16)
    isin: str | None = Field(default=None, max_length=16)
    underlying_conid: str | None = Field(default=None, max_length=32)
    fx_rate_to_base: Decimal | None = Money()
    date_time: datetime | None = Field(default=None, sa_type=DateTime())  # None: date only
    action_date: date | None = None
    report_date: date | None = None
    quantity: Decimal | None = Money()
    amount: Decimal | None = Money()
    proceeds: Decimal | None = Money()
    value: Decimal | None = Money()
    fifo_pnl_realized: Decimal | None = Money()
    code: str | None = None
    # active | cancel (IB's Ca reversal) | cancelled | duplicate (a CSV copy of a Flex row)
    status: str = Field(default="active", max_length=16)
    replaced_by: str | None = Field(default=None, max_length=80)
    origin: str = Field(default="flex", max_length=16)
    match_key: str | None = None  # cross-format dedup


class Transfer(_Source, _Contract, _AccountRow, table=True):
    """A ``Transfer`` of positions (ACATS, ATON, FOP, INTERNAL …) into or out of the
    account. IB's row has no basis; the user's ``transfer_basis`` or IB's lot records do."""

    __tablename__ = "transfer"
    __table_args__ = (UniqueConstraint("account_id", "transfer_key"),)
    transfer_key: str = Field(max_length=80)
    transaction_id: str | None = Field(default=None, max_length=40)
    type: str | None = Field(default=None, max_length=16)
    direction: str | None = Field(default=None, max_length=8)  # IN | OUT
    description: str | None = None
    isin: str | None = Field(default=None, max_length=16)
    fx_rate_to_base: Decimal | None = Money()
    transfer_date: date | None = None
    report_date: date | None = None
    quantity: Decimal | None = Money()
    transfer_price: Decimal | None = Money()
    position_amount: Decimal | None = Money()  # IB's market value, never a basis
    pnl_amount: Decimal | None = Money()
    cash_transfer: Decimal | None = Money()
    peer_account: str | None = None  # the other side's account
    peer_account_name: str | None = None
    company: str | None = None
    delivering_broker: str | None = Field(default=None, max_length=32)
    code: str | None = None
    status: str = Field(default="active", max_length=16)
    replaced_by: str | None = Field(default=None, max_length=80)
    origin: str = Field(default="flex", max_length=16)
    match_key: str | None = None


class TransferBasis(_AccountRow, table=True):
    """The user's basis and acquisition dates of shares transferred in (their file
    ``account,symbol,quantity,acquired,basis``): the statements do not carry them."""

    __tablename__ = "transfer_basis"
    __table_args__ = (UniqueConstraint("account_id", "symbol", "acquired", "quantity", "basis"),)
    symbol: str = Field(max_length=64)
    quantity: Decimal = Money()
    acquired: date
    basis: Decimal = Money()  # total for the row's shares
    source_file: str | None = None
    source_line: int | None = None
    created_at: datetime = Field(sa_type=DateTime())


class CorporateActionOverride(_AccountRow, table=True):
    """A fact about a corporate action that only the user has (a spinoff's basis split,
    a worthless year, a merger's tax treatment). Imported rows are never edited."""

    __tablename__ = "corporate_action_override"
    __table_args__ = (UniqueConstraint("account_id", "group_key", "field"),)
    group_key: str = Field(max_length=120)  # as `journal actions` lists it
    field: str = Field(max_length=32)
    value: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=DateTime())

#### derived state (journal/cache): never ledger data, always rebuildable ####

# Tables a comparison of ledger contents leaves out: they change whenever the ledger is
# written or a report stores a result, by design.
DERIVED_TABLES = frozenset({"ledger_state", "derived_entry", "derived_part"})


class LedgerState(SQLModel, table=True):
    """One row (id 1): the ledger's version. Database triggers (migration 0004) add one in
    the same transaction as every change to the ledger tables (each import inserts an
    ``import_batch`` row; cancellations, cross-format links and overrides update or
    delete rows), so a committed version names exactly one state of the ledger."""

    __tablename__ = "ledger_state"
    id: int = Field(primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger())


class DerivedEntry(SQLModel, table=True):
    """A cached result (the rules' result, a view's table) of one ledger version, for one
    ``key``: the digest of its parameters, the user inputs it read and the code."""

    __tablename__ = "derived_entry"
    __table_args__ = (UniqueConstraint("name", "key", "ledger_version"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    key: str = Field(max_length=64)
    ledger_version: int = Field(sa_type=BigInteger())
    created_at: datetime = Field(sa_type=DateTime())


class DerivedPart(SQLModel, table=True):
    """One separately loadable piece of an entry (e.g. the realized events of one year)."""

    __tablename__ = "derived_part"
    entry_id: int = Field(foreign_key="derived_entry.id", primary_key=True,
                          ondelete="CASCADE")
    part: str = Field(primary_key=True, max_length=64)
    payload: bytes = Field(sa_type=LargeBinary())
