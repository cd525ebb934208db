"""The read model's corporate actions and transfers (issue 14): IB's active rows, read in
the same snapshot as the rest of the ledger by :func:`journal.readmodel.load_ledger`, each
interpreted once by :mod:`journal.corpact` (kind, terms, the group of its legs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from journal import vocab

if TYPE_CHECKING:
    from journal import corpact
    from journal.dbconn import Conn


@dataclass(frozen=True, slots=True)
class CorporateActionRecord:
    """One active DETAIL row. ``quantity`` is the signed change of this row's own
    position; ``proceeds`` the cash to the holder (USD where :func:`vocab.to_usd` can)."""

    seq: int
    account: str
    key: str  # action_key
    group: str  # IB's actionID, or the synthetic group of rows without one
    kind: vocab.ActionKind
    type: str | None  # IB's code as reported (None on layouts before 2010)
    asset_category: str | None
    symbol: str
    underlying: str
    conid: str | None
    isin: str | None
    put_call: str | None
    strike: Decimal | None
    day: date  # dateTime's date: the tax date, never reportDate
    moment: datetime | None  # None when IB gave only the date
    report_date: date | None
    quantity: Decimal
    proceeds: Decimal
    value: Decimal | None  # IB's market value of the leg (never a basis)
    fifo_pnl: Decimal | None
    currency: str | None
    description: str
    terms: corpact.ActionTerms

    @property
    def is_option(self) -> bool:
        return vocab.is_option(self.asset_category, self.put_call)


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One active transfer of positions. IB's row has no basis: ``market_value`` is
    ``positionAmount``, never a cost."""

    seq: int
    account: str
    key: str
    type: str | None  # ACATS | ATON | FOP | INTERNAL | INTERCOMPANY | OTC (Flex spelling)
    direction: str | None  # IN | OUT
    asset_category: str | None
    symbol: str
    underlying: str
    conid: str | None
    put_call: str | None
    day: date
    quantity: Decimal
    market_value: Decimal | None
    peer_account: str | None
    currency: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class IbLotRecord:
    """IB's own record of one open lot (an OpenPositions row at LOT level): the only place
    a statement gives the basis and date of shares that came in by transfer."""

    account: str
    report_date: date
    symbol: str
    conid: str | None
    quantity: Decimal
    opened: date | None
    cost: Decimal | None  # costBasisMoney
    origin_tx: str | None  # originatingTransactionID ("0"/None: not a trade of this account)


@dataclass(frozen=True, slots=True)
class TransferBasisRecord:
    """One lot of the user's basis file for shares transferred in."""

    seq: int
    account: str
    symbol: str
    quantity: Decimal
    acquired: date
    basis: Decimal
    source: str  # file:line


def _named(conn: Conn, table: str, columns: str, rest: str) -> list:
    from journal.readmodel import named_rows  # (it imports this module)

    return named_rows(conn, table, columns, rest)


def load_transfer_basis(conn: Conn) -> tuple:
    return tuple(
        TransferBasisRecord(r.id, r.account_id, r.symbol, r.quantity, r.acquired, r.basis,
                            f"{r.source_file}:{r.source_line}")
        for r in _named(conn, "transfer_basis",
                        "id account_id symbol quantity acquired basis source_file source_line",
                        "ORDER BY acquired, id"))


@dataclass(frozen=True, slots=True)
class ActionOverrideRecord:
    """A fact about one corporate action that only the user has (``journal actions set``);
    ``account`` None applies to every account."""

    account: str | None
    group: str
    field: str  # parent_fraction | worthless_year
    value: str


def load_action_overrides(conn: Conn) -> tuple:
    return tuple(ActionOverrideRecord(r.account_id or None, r.group_key, r.field, r.value)
                 for r in _named(conn, "corporate_action_override",
                                 "account_id group_key field value", "ORDER BY id"))


def load_cash_in_lieu(conn: Conn) -> frozenset:
    """The executions that are IB's cash in lieu of a fractional share (``FracShare``)."""
    return frozenset(r.id for r in _named(
        conn, "execution", "id",
        "WHERE status = 'active' AND transaction_type = 'FracShare'"))


def load_ib_lots(conn: Conn) -> tuple:
    return tuple(
        IbLotRecord(r.account_id, r.report_date, (r.symbol or "").strip(), r.conid,
                    r.position, r.open_date_time.date() if r.open_date_time else None,
                    r.cost_basis_money, r.originating_transaction_id)
        for r in _named(conn, "position_snapshot",
                        "account_id report_date symbol conid position open_date_time "
                        "cost_basis_money originating_transaction_id asset_category put_call",
                        "WHERE level_of_detail = 'LOT' ORDER BY id")
        if r.report_date is not None and r.position
        and not vocab.is_option(r.asset_category, r.put_call))


def load_actions(conn: Conn, base_of: dict) -> tuple[tuple, tuple]:
    """(corporate actions, transfers), active rows in ledger order."""
    zero = Decimal(0)
    actions = []
    for r in _named(conn, "corporate_action",
                    "id account_id action_key action_id type asset_category symbol "
                    "underlying_symbol conid isin put_call strike date_time action_date "
                    "report_date quantity proceeds value fifo_pnl_realized currency "
                    "fx_rate_to_base description", "WHERE status = 'active' ORDER BY id"):
        day = r.action_date or (r.date_time.date() if r.date_time else r.report_date)
        if day is None:
            continue
        from journal import corpact  # (a ledger without actions never loads it)

        terms = corpact.parse_description(r.description)
        base = base_of.get(r.account_id)
        proceeds, ccy = vocab.to_usd(r.proceeds or zero, r.currency, r.fx_rate_to_base, base)
        fifo = vocab.to_usd(r.fifo_pnl_realized, r.currency, r.fx_rate_to_base, base)[0]
        sym = (r.symbol or "").strip()
        option = vocab.is_option(r.asset_category, r.put_call)
        actions.append(CorporateActionRecord(
            r.id, r.account_id, r.action_key,
            corpact.group_key(r.action_id, r.description, r.date_time or day),
            corpact.kind_of(r.type, terms), r.type, r.asset_category, sym,
            vocab.underlying_of(r.underlying_symbol, corpact.base_symbol(sym), option=option),
            r.conid, r.isin, r.put_call, r.strike, day, r.date_time, r.report_date,
            r.quantity or zero, proceeds or zero, r.value, fifo, ccy, r.description or "",
            terms))
    transfers = []
    for r in _named(conn, "transfer",
                    "id account_id transfer_key type direction asset_category symbol "
                    "underlying_symbol conid put_call transfer_date report_date quantity "
                    "position_amount peer_account currency description",
                    "WHERE status = 'active' ORDER BY id"):
        day = r.transfer_date or r.report_date
        if day is None or not r.quantity:
            continue
        sym = (r.symbol or "").strip()
        option = vocab.is_option(r.asset_category, r.put_call)
        transfers.append(TransferRecord(
            r.id, r.account_id, r.transfer_key, r.type, (r.direction or "").upper() or None,
            r.asset_category, sym, vocab.underlying_of(r.underlying_symbol, sym, option=option),
            r.conid, r.put_call, day, r.quantity, r.position_amount, r.peer_account,
            r.currency, r.description))
    return tuple(actions), tuple(transfers)
