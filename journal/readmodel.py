"""The read model: the one place that turns ledger rows into typed, frozen records.

Every consumer (rules, tax, reconciliation, review, calculator, checklist, exporters)
reads the ledger through :func:`load_ledger` and works on :class:`LedgerData`; nothing
here writes. The decisions every reader must make the same way are made once, here, with
the definitions in :mod:`journal.vocab`: which rows are options, which symbol is the
underlying, and the conversion of foreign amounts to USD.

Everything is read with a handful of queries (never one per row) inside one read
transaction: on PostgreSQL a REPEATABLE READ snapshot, on SQLite one WAL read
transaction, so an import committing meanwhile is seen entirely or not at all. Only
executions with ``status == "active"`` are loaded: cancel rows and the rows they void are
excluded by the ledger itself.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from journal import readmodel_actions as _actions
from journal import readmodel_tables as tables
from journal import vocab
from journal.coverage import complete_through
from journal.dbconn import Conn, Params, snapshot
from journal.frozen import deferred, maker, paused_gc

if TYPE_CHECKING:
    from journal.dbconn import Source


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One active execution. Money (``net_cash``, ``cost``, ``fifo_pnl``, ``proceeds``,
    ``commission``, ``taxes``) is in USD where :func:`journal.vocab.to_usd` can convert it,
    and ``currency`` says which currency it is in; prices and strikes stay in the listing
    currency.

    The :data:`DETAILS` fields (no rule reads them; the checklist grades read the price
    and the order id) are read from the ledger when one of them is first asked for
    (:mod:`journal.readmodel_executions`); they take no part in equality or hashing."""

    seq: int  # load order (ledger id): the last tie-breaker of the chronological sort
    account: str
    transaction_id: str
    asset_category: str | None
    symbol: str
    underlying: str
    description: str | None
    conid: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal
    trade_date: date
    date_time: datetime | None
    quantity: Decimal  # signed: < 0 sells
    trade_price: Decimal | None = field(compare=False)
    net_cash: Decimal  # signed: > 0 is cash in, commissions and fees included
    cost: Decimal | None  # IB's cost (on a closing row: the basis/premium relieved)
    fifo_pnl: Decimal | None
    notes: frozenset  # IB code letters
    open_close: str | None
    position_action_id: str | None
    ib_order_id: str | None = field(compare=False)
    currency: str | None = None  # currency of the amounts (USD once converted)
    proceeds: Decimal | None = None  # gross, before commission and taxes
    commission: Decimal | None = None  # signed as IB prints it (< 0 is a cost)
    taxes: Decimal | None = None
    fx_rate_to_base: Decimal | None = None  # as reported (the amounts above are converted)
    # the instrument's close on the trade date
    close_price: Decimal | None = field(default=None, compare=False)
    # the import that stored the row (statement file), and its line in that file
    batch_id: int | None = field(default=None, compare=False)
    source_line: int | None = field(default=None, compare=False)
    trade_currency: str | None = None  # the currency IB reported the amounts in

    @property
    def converted(self) -> bool:
        """True when the amounts were converted to USD from ``trade_currency``."""
        return bool(self.trade_currency) and self.trade_currency != self.currency

    def as_reported(self, amount: Decimal | None) -> Decimal | None:
        """An amount of this row back in the currency IB reported it in (the conversion
        multiplied by ``fx_rate_to_base``; the exact quotient comes back exactly)."""
        if amount is None or not self.converted or not self.fx_rate_to_base:
            return amount
        return amount / self.fx_rate_to_base

    @property
    def is_option(self) -> bool:
        return vocab.is_option(self.asset_category, self.put_call)

    @property
    def codes(self) -> frozenset:
        """``open_close`` as a set of code letters (``C;O`` on a reversing trade)."""
        return vocab.codes(self.open_close)

    @property
    def opens(self) -> bool:
        return "O" in self.codes

    @property
    def closes(self) -> bool:
        return "C" in self.codes


# the execution fields only some reports read: read on first use (readmodel_executions)
DETAILS = ("trade_price", "ib_order_id", "close_price", "batch_id", "source_line")
deferred(ExecutionRecord, DETAILS)


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    account: str
    report_date: date
    asset_category: str | None
    symbol: str
    underlying: str
    conid: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    multiplier: Decimal
    position: Decimal
    mark_price: Decimal


@dataclass(frozen=True, slots=True)
class ClosedLotRecord:
    account: str
    conid: str | None
    symbol: str
    open_transaction_id: str | None
    trade_date: date | None
    close_date_time: datetime | None
    quantity: Decimal
    open_date: date | None = None  # the CSV's ClosedLot names the lot by this, not by id


@dataclass(frozen=True, slots=True)
class OverrideRecord:
    account: str
    transaction_id: str
    label: str


@dataclass(frozen=True, slots=True)
class DividendRecord:
    account: str
    symbol: str
    paid: date  # IB's date of the cash row (the pay date; the ex-date is not in the row)
    amount: Decimal


DIVIDEND_TYPES = ("Dividends", "Payment In Lieu Of Dividends")


@dataclass(frozen=True, slots=True)
class PriceRecord:
    """A stock's close on a day: from a stock Trade row's closePrice, or the user's prices
    CSV (``[checklist] prices_csv``). The rules need the prior close for covered calls."""

    day: date
    symbol: str
    close: Decimal


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account: str
    alias: str | None
    base_currency: str | None


@dataclass(frozen=True, slots=True)
class CashBalanceRecord:
    """IB's cash at the start and end of a statement period (CashReport, BASE_SUMMARY), in
    the account's base currency."""

    account: str
    from_date: date
    to_date: date | None
    starting: Decimal | None
    ending: Decimal | None


@dataclass(frozen=True, slots=True)
class CashRecord:
    """One cash transaction (dividend, withholding, interest, fee, deposit…). ``amount``
    is in USD where :func:`journal.vocab.to_usd` can convert it; ``currency`` says which
    currency it is in."""

    account: str
    day: date  # IB's date of the row (date_time, else report date)
    type: str | None
    symbol: str
    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """A ledger row exactly as IB reported it (amounts in the trade currency), for the
    listing of executions: every status, not only the active ones the rules see."""

    account: str
    trade_date: date | None
    date_time: datetime | None
    symbol: str  # IB's description, else the symbol
    underlying: str
    asset: str | None
    put_call: str | None
    strike: Decimal | None
    expiry: date | None
    buy_sell: str | None
    open_close: str | None
    quantity: Decimal | None
    price: Decimal | None
    proceeds: Decimal | None
    commission: Decimal | None
    net_cash: Decimal | None
    currency: str | None
    notes: str | None
    type: str | None
    status: str
    transaction_id: str


@dataclass(frozen=True)
class LedgerData:
    executions: tuple = ()  # ExecutionRecord
    snapshots: tuple = ()  # SnapshotRecord
    closed_lots: tuple = ()  # ClosedLotRecord
    overrides: tuple = ()  # OverrideRecord
    data_through: date | None = None  # last statement period end in the ledger
    dividends: tuple = ()  # DividendRecord (only flags read them)
    prices: tuple = ()  # PriceRecord, beside the OpenPositions marks in snapshots
    periods: tuple = ()  # (account, from, to) of every imported statement
    accounts: tuple = ()  # AccountRecord
    cash_balances: tuple = ()  # CashBalanceRecord
    cash: tuple = ()  # CashRecord (every cash transaction, dividends included)
    corporate_actions: tuple = ()  # readmodel_actions.CorporateActionRecord
    transfers: tuple = ()  # readmodel_actions.TransferRecord
    ib_lots: tuple = ()  # readmodel_actions.IbLotRecord (OpenPositions LOT rows)
    transfer_basis: tuple = ()  # readmodel_actions.TransferBasisRecord (the user's file)
    cash_in_lieu: frozenset = frozenset()  # seqs of IB's FracShare executions
    action_overrides: tuple = ()  # readmodel_actions.ActionOverrideRecord

    @property
    def last_trade(self) -> date | None:
        return max((e.trade_date for e in self.executions), default=None)

    @property
    def ledger_end(self) -> date | None:
        """The last day the ledger knows about: the end of the latest statement period or
        the latest trade, whichever is later. Open positions are measured up to this day
        so the numbers do not drift with the wall clock."""
        days = [d for d in (self.last_trade, self.data_through) if d]
        return max(days) if days else None

    def base_currency(self, account: str) -> str | None:
        return next((a.base_currency for a in self.accounts if a.account == account), None)


def _to_date(v):
    if v is None or isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, datetime):
        return v.date()
    return date.fromisoformat(str(v)[:10])


def _to_datetime(v):
    if v is None or isinstance(v, datetime):
        return v
    return datetime.fromisoformat(str(v))


def _to_decimal(v):
    if v is None or isinstance(v, Decimal):
        return v
    return Decimal(str(v))


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


class _Converted(dict):
    """Driver value -> Python value, each distinct value converted once. Ledger columns
    repeat a lot (multipliers, quantities, strikes, days, fees), and a dictionary lookup
    costs a fraction of a conversion. SQLite hands back text, which the C constructors
    take directly; anything else goes through the general converter."""

    __slots__ = ("from_text", "general")

    def __init__(self, general, from_text) -> None:
        super().__init__({None: None})
        self.general = general
        self.from_text = from_text

    def __missing__(self, v):
        c = self[v] = self.from_text(v) if v.__class__ is str else self.general(v)
        return c


def _converters(kinds: str) -> list:
    made = {"d": lambda: _Converted(_to_decimal, Decimal),
            "a": lambda: _Converted(_to_date, _day),
            "D": lambda: _Converted(_to_datetime, datetime.fromisoformat)}
    return [made[k]() if k in made else None for k in kinds]


def _raw_rows(conn: Conn, sql: str, kinds: str, params: Params = None) -> list:
    """Driver-level rows with the columns converted by ``kinds`` (t text, i integer,
    d Decimal, a date, D datetime)."""
    conv = [(i, c) for i, c in enumerate(_converters(kinds)) if c is not None]
    out = []
    for r in conn.rows(sql, params):
        r = list(r)
        for i, c in conv:
            r[i] = c[r[i]]
        out.append(r)
    return out


def rows(conn: Conn, table: str, columns: str, rest: str = "", params: Params = None) -> list:
    """``SELECT columns FROM table rest`` (:func:`journal.readmodel_tables.select`), each
    value converted by its column's kind."""
    return _raw_rows(conn, tables.select(table, columns, rest),
                     tables.kinds_of(table, columns), params)


def named_rows(conn: Conn, table: str, columns: str, rest: str = "",
               params: Params = None) -> list:
    """:func:`rows` as named tuples (``r.symbol``), for the tables read a few rows at a
    time."""
    make = namedtuple("Row", columns)._make  # type: ignore[misc, attr-defined]
    return [make(r) for r in rows(conn, table, columns, rest, params)]


def load_ledger(engine: Source) -> LedgerData:
    with paused_gc():
        return _load_ledger(engine)


def _load_ledger(engine: Source) -> LedgerData:
    from journal import readmodel_executions as _execs

    with snapshot(engine) as conn:
        snap_rows = rows(conn, "position_snapshot",
                         "account_id report_date asset_category symbol underlying_symbol conid "
                         "put_call strike expiry multiplier position mark_price", "ORDER BY id")
        lot_rows = rows(conn, "closed_lot",
                        "account_id conid symbol open_transaction_id trade_date close_date_time "
                        "quantity open_date_time", "ORDER BY id")
        ov_rows = rows(conn, "cycle_override", "account_id transaction_id cycle_label",
                       "ORDER BY id")
        through = _to_date(conn.scalar("SELECT max(period_to) FROM import_batch"))
        period_rows = _period_rows(conn)
        accounts = tuple(AccountRecord(*r) for r in rows(
            conn, "account", "id alias base_currency", "ORDER BY id"))
        base_of = {a.account: a.base_currency for a in accounts}
        div_rows = rows(conn, "cash_transaction",
                        "account_id symbol date_time report_date amount",
                        "WHERE type IN (:t0, :t1) ORDER BY id",
                        {"t0": DIVIDEND_TYPES[0], "t1": DIVIDEND_TYPES[1]})
        cash_balances, cash = _cash(conn, base_of)
        actions, transfers = _actions.load_actions(conn, base_of)
        ib_lots = _actions.load_ib_lots(conn) if transfers else ()
        basis = _actions.load_transfer_basis(conn) if transfers else ()
        in_lieu = _actions.load_cash_in_lieu(conn) if actions else frozenset()
        facts = _actions.load_action_overrides(conn) if actions or transfers else ()
        executions, prices = _execs.load(conn, engine, base_of)

    one = Decimal(1)
    zero = Decimal(0)
    snapshots = []
    for r in snap_rows:
        acc, rdate, cat, sym, und, conid, pc, strike, expiry, mult, pos, mark = r
        if rdate is None or mark is None or pos is None:
            continue
        sym = (sym or "").strip()
        snapshots.append(SnapshotRecord(acc, rdate, cat, sym,
                                        vocab.underlying_of(und, sym, option=bool(pc)), conid, pc,
                                        strike, expiry, mult or one, pos, mark))
    closed = [ClosedLotRecord(a, c, (s or "").strip(), o, t, d, q or zero,
                              od.date() if od else None)
              for a, c, s, o, t, d, q, od in lot_rows]
    overrides = [OverrideRecord(a, t, lbl) for a, t, lbl in ov_rows]
    dividends = [DividendRecord(a, (s or "").strip(), dt.date() if dt else rd, amt or zero)
                 for a, s, dt, rd, amt in div_rows if s and (dt or rd)]
    periods = _periods_of(period_rows)
    return LedgerData(tuple(executions), tuple(snapshots), tuple(closed), tuple(overrides),
                      through, tuple(dividends), tuple(prices), tuple(periods), accounts,
                      cash_balances, cash, actions, transfers, ib_lots, basis, in_lieu,
                      facts)


def _cash(conn: Conn, base_of: dict) -> tuple[tuple, tuple]:
    balances = tuple(CashBalanceRecord(a, f, t, st, en) for a, f, t, st, en in rows(
        conn, "cash_balance", "account_id from_date to_date starting_cash ending_cash",
        "WHERE from_date IS NOT NULL ORDER BY id"))
    out = []
    for acc, typ, sym, dt, rd, amount, ccy, fx in rows(
            conn, "cash_transaction",
            "account_id type symbol date_time report_date amount currency fx_rate_to_base",
            "ORDER BY id"):
        day = dt.date() if dt else rd
        if day is None or amount is None:
            continue
        usd, now = vocab.to_usd(amount, ccy, fx, base_of.get(acc))
        out.append(CashRecord(acc, day, typ, (sym or "").strip(), amount if usd is None else usd,
                              now))
    return balances, tuple(out)


def _period_rows(conn: Conn) -> list:
    return rows(conn, "import_batch", "accounts period_from period_to when_generated",
                "WHERE period_from IS NOT NULL")


def _periods_of(period_rows: list) -> list:
    return sorted({(acc, f, complete_through(t, g))
                   for accs, f, t, g in period_rows if t
                   for acc in (accs or "").split(",") if acc})


def _periods(conn: Conn) -> list:
    """(account, from, to) of every statement with a period, trimmed to the days it holds
    in full (:func:`journal.coverage.complete_through`)."""
    return _periods_of(_period_rows(conn))


def load_trades(engine: Source, **filters) -> list:
    """The executions as IB reported them, oldest first per account (``trades``)."""
    return list(iter_trades(engine, **filters))


def iter_trades(engine: Source, *, accounts=(), date_from: date | None = None,
                date_to: date | None = None, include_voided: bool = False
                ) -> Iterator[TradeRecord]:
    """:func:`load_trades` one record at a time, read in one snapshot: an export of the
    whole ledger holds a chunk of rows, never all of them (read column by column:
    :mod:`journal.readmodel_trades`)."""
    from journal.readmodel_trades import trade_rows

    make = maker(TradeRecord)
    for values in trade_rows(engine, accounts=accounts, date_from=date_from, date_to=date_to,
                             include_voided=include_voided):
        yield make(*values)
