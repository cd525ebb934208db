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

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from journal import readmodel_actions as _actions
from journal import readmodel_tables as tables
from journal import vocab
from journal.coverage import complete_through
from journal.db import snapshot
from journal.frozen import deferred, maker, paused_gc


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


# column kinds: t text, i integer, d Decimal, a date, D datetime
_SNAP_KINDS = "tatttttdaddd"


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


def _fetch(conn, stmt) -> list:
    """Driver-level rows: SQLAlchemy's per-value type processing costs more than the
    rules."""
    return _execute(conn, stmt).fetchall()


def _execute(conn, stmt):
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if conn.dialect.paramstyle == "qmark":
        args = tuple(params[k] for k in compiled.positiontup)
    else:
        args = params
    return conn.exec_driver_sql(str(compiled), args)


def _raw_rows(conn, stmt, kinds: str) -> list:
    """Driver-level rows with the columns converted by ``kinds`` (t text, i integer,
    d Decimal, a date, D datetime)."""
    conv = [(i, c) for i, c in enumerate(_converters(kinds)) if c is not None]
    out = []
    for r in _fetch(conn, stmt):
        r = list(r)
        for i, c in conv:
            r[i] = c[r[i]]
        out.append(r)
    return out


def load_ledger(engine: Engine) -> LedgerData:
    with paused_gc():
        return _load_ledger(engine)


def _load_ledger(engine: Engine) -> LedgerData:
    from journal import readmodel_executions as _execs

    ps = tables.table("position_snapshot")
    cl = tables.table("closed_lot")
    co = tables.table("cycle_override")
    ib = tables.table("import_batch")
    ct = tables.table("cash_transaction")
    with snapshot(engine) as conn:
        snap_rows = _raw_rows(conn, select(
            ps.c.account_id, ps.c.report_date, ps.c.asset_category, ps.c.symbol,
            ps.c.underlying_symbol, ps.c.conid, ps.c.put_call, ps.c.strike, ps.c.expiry,
            ps.c.multiplier, ps.c.position, ps.c.mark_price).order_by(ps.c.id), _SNAP_KINDS)
        lot_rows = _raw_rows(conn, select(
            cl.c.account_id, cl.c.conid, cl.c.symbol, cl.c.open_transaction_id, cl.c.trade_date,
            cl.c.close_date_time, cl.c.quantity, cl.c.open_date_time).order_by(cl.c.id),
            "ttttaDdD")
        ov_rows = conn.execute(select(co.c.account_id, co.c.transaction_id, co.c.cycle_label)
                               .order_by(co.c.id)).all()
        through = _to_date(conn.execute(select(func.max(ib.c.period_to))).scalar())
        acct = tables.table("account")
        period_rows = conn.execute(select(ib.c.accounts, ib.c.period_from, ib.c.period_to,
                                          ib.c.when_generated)
                                   .where(ib.c.period_from.is_not(None))).all()
        accounts = tuple(AccountRecord(*r) for r in conn.execute(
            select(acct.c.id, acct.c.alias, acct.c.base_currency).order_by(acct.c.id)))
        base_of = {a.account: a.base_currency for a in accounts}
        div_rows = _raw_rows(conn, select(
            ct.c.account_id, ct.c.symbol, ct.c.date_time, ct.c.report_date, ct.c.amount)
            .where(or_(*(ct.c.type == t for t in DIVIDEND_TYPES))).order_by(ct.c.id), "ttDad")
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
    periods = sorted({(acc, _to_date(f), complete_through(_to_date(t), _to_datetime(g)))
                      for accs, f, t, g in period_rows if t
                      for acc in (accs or "").split(",") if acc})
    return LedgerData(tuple(executions), tuple(snapshots), tuple(closed), tuple(overrides),
                      through, tuple(dividends), tuple(prices), tuple(periods), accounts,
                      cash_balances, cash, actions, transfers, ib_lots, basis, in_lieu,
                      facts)


def _cash(conn, base_of: dict) -> tuple[tuple, tuple]:
    cb = tables.table("cash_balance")
    ct = tables.table("cash_transaction")
    balances = tuple(CashBalanceRecord(a, f, t, st, en) for a, f, t, st, en in _raw_rows(
        conn, select(cb.c.account_id, cb.c.from_date, cb.c.to_date, cb.c.starting_cash,
                     cb.c.ending_cash).where(cb.c.from_date.is_not(None))
        .order_by(cb.c.id), "taadd"))
    rows = []
    for acc, typ, sym, dt, rd, amount, ccy, fx in _raw_rows(conn, select(
            ct.c.account_id, ct.c.type, ct.c.symbol, ct.c.date_time, ct.c.report_date,
            ct.c.amount, ct.c.currency, ct.c.fx_rate_to_base).order_by(ct.c.id), "tttDadtd"):
        day = dt.date() if dt else rd
        if day is None or amount is None:
            continue
        usd, now = vocab.to_usd(amount, ccy, fx, base_of.get(acc))
        rows.append(CashRecord(acc, day, typ, (sym or "").strip(), amount if usd is None else usd,
                               now))
    return balances, tuple(rows)


def _periods(conn) -> list:
    """(account, from, to) of every statement with a period, trimmed to the days it holds
    in full (:func:`journal.coverage.complete_through`)."""
    ib = tables.table("import_batch")
    rows = conn.execute(select(ib.c.accounts, ib.c.period_from, ib.c.period_to,
                               ib.c.when_generated)
                        .where(ib.c.period_from.is_not(None))).all()
    return sorted({(acc, _to_date(f), complete_through(_to_date(t), _to_datetime(g)))
                   for accs, f, t, g in rows if t
                   for acc in (accs or "").split(",") if acc})


def load_trades(engine: Engine, **filters) -> list:
    """The executions as IB reported them, oldest first per account (``trades``)."""
    return list(iter_trades(engine, **filters))


def iter_trades(engine: Engine, *, accounts=(), date_from: date | None = None,
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
