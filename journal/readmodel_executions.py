"""The read model's executions: ledger rows made into :class:`ExecutionRecord`s, column by
column, with the details only the checklist grades and the source views read fetched when
one of them is first asked for.

What a cold report pays for is mostly Python objects: every value the driver hands back is
one, and converting it is another. So the rows are read without the columns no rule reads
(:data:`journal.readmodel.DETAILS`: the trade price and IB's order id, which only the
checklist grades read, a row's close price unless it is a stock's, and the import's batch
and line); their slots hold a :class:`journal.frozen.Deferred` that reads them for every
record at once, by id, when the first one is read, in a snapshot of its own. Those
columns never change once a row is stored (an import only ever changes a row's status),
so reading them later, in another transaction, gives what the first read would have.

The rows come in chunks of 2,000; each column of a chunk is converted in one C-level
``map`` over a dictionary that converts each distinct value once (and so shares it:
accounts, currencies, symbols, descriptions, amounts and days are one object each, not one
per row). A chunk with an unusual row (no quantity, no trade date, an FX conversion,
foreign amounts, no net cash) goes row by row through :func:`_record`, which handles every
case; the columns and the rows give the same records (``tests/test_readmodel_lazy.py``).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, repeat

from journal import readmodel_tables as tables
from journal import vocab
from journal.dbconn import Conn, Params, snapshot
from journal.errors import LedgerError
from journal.frozen import Deferred, maker
from journal.readmodel import (
    DETAILS,
    ExecutionRecord,
    PriceRecord,
    _to_date,
    _to_datetime,
    _to_decimal,
)

COLUMNAR = True  # False: every row through _record (the tests compare the two)

_ONE = Decimal(1)
_ZERO = Decimal(0)
_CASH = vocab.AssetCategory.CASH.value
_STK = vocab.AssetCategory.STK.value


class _Memo(dict):
    """Value -> ``fn(value)``, each distinct value once."""

    __slots__ = ("fn",)

    def __init__(self, fn, known: dict | None = None) -> None:
        super().__init__(known or {})
        self.fn = fn

    def __missing__(self, v):
        c = self[v] = self.fn(v)
        return c


def _same(v):
    return v


def _decimal(v):
    return Decimal(v) if v.__class__ is str else _to_decimal(v)


def _day(v):
    return date.fromisoformat(v[:10]) if v.__class__ is str else _to_date(v)


def _moment(v):
    return datetime.fromisoformat(v) if v.__class__ is str else _to_datetime(v)


class _Memos:
    """The conversions of one read, shared by its chunks."""

    def __init__(self) -> None:
        self.dec = _Memo(_decimal, {None: None})
        self.day = _Memo(_day, {None: None})
        self.moment = _Memo(_moment, {None: None})
        self.same = _Memo(_same)  # one object per distinct text
        self.strip = _Memo(lambda s: (s or "").strip())
        self.mult = _Memo(lambda m: self.dec[m] or _ONE)
        self.codes = _Memo(vocab.codes)
        self.underlying = _Memo(lambda k: vocab.underlying_of(
            k[0], k[1], k[2], option=vocab.is_option(k[3], k[4])))


CHUNK = 2000
# the columns of a record, in the order _by_column and _record read them
COLUMNS = ("id account_id transaction_id asset_category symbol underlying_symbol description "
           "conid put_call strike expiry multiplier trade_date date_time quantity net_cash cost "
           "fifo_pnl_realized notes open_close position_action_id currency close_price "
           "proceeds commission taxes fx_rate_to_base")
_ACTIVE = tables.select(
    "execution", COLUMNS, "WHERE status = 'active' ORDER BY id",
    # only stocks' closes are prices
    instead={"close_price": f"CASE WHEN asset_category = '{_STK}' THEN close_price END"})


def chunks(conn: Conn, sql: str, params: Params = None) -> Iterator[list]:
    """Driver-level rows (converted here, column by column), ``CHUNK`` at a time: all of
    them at once would leave the heap they took fragmented under the records."""
    return conn.chunks(sql, params, CHUNK)


def load(conn: Conn, engine, base_of: dict) -> tuple[list, list]:
    """Execution records and the stock closes of their rows (the prices the rules need
    for covered calls: each distinct (day, symbol, close) once, in ledger order)."""
    details = _Details(engine)
    later = Deferred(details)
    memos = _Memos()
    out: list = []
    prices: list = []
    seen: set = set()
    for chunk in chunks(conn, _ACTIVE):
        cs = tuple(zip(*chunk))
        _prices(cs, memos, seen, prices)
        if COLUMNAR and not _unusual(cs):
            out.extend(_by_column(cs, memos, later))
            continue
        for row in chunk:
            if row[14] is None or (row[12] is None and row[13] is None) or row[3] == _CASH:
                continue  # no quantity or date, or an FX conversion: not a position
            out.append(_record(row, memos, later, base_of))
    if out:
        details.span = (out[0].seq, out[-1].seq)
    return out, prices


def _prices(cs: tuple, memos: _Memos, seen: set, prices: list) -> None:
    tdate, sym, close = cs[12], cs[4], cs[22]
    for key in compress(zip(tdate, sym, close), close):  # only stocks have a close here
        if key not in seen:
            seen.add(key)
            d, px = memos.day[key[0]], memos.dec[key[2]]
            if d and key[1] and px:
                prices.append(PriceRecord(d, key[1].strip().upper(), px))


def _unusual(cs: tuple) -> bool:
    """A row the columns cannot take: no quantity or trade date, an FX conversion, no net
    cash, or amounts in a currency other than USD."""
    return (None in cs[14] or None in cs[12] or _CASH in cs[3] or None in cs[15]
            or not set(cs[21]) <= {None, "USD"})


def _by_column(cs: tuple, memos: _Memos, later: Deferred) -> Iterator[ExecutionRecord]:
    (rid, acc, tx, cat, sym, und, desc, conid, pc, strike, expiry, mult, tdate, dt, qty, net,
     cost, fifo, notes, oc, paid, ccy, close, proceeds, comm, taxes, fx) = cs
    same, dec, day = memos.same.__getitem__, memos.dec.__getitem__, memos.day.__getitem__
    cat, ccy = tuple(map(same, cat)), tuple(map(same, ccy))
    desc = _texts(desc, same)
    sym = _texts(tuple(map(str.strip, sym)), same) if None not in sym else \
        tuple(map(memos.strip.__getitem__, sym))
    if "" in paid:
        paid = tuple(p or None for p in paid)
    lazy = repeat(later)
    return map(
        maker(ExecutionRecord), rid, map(same, acc), tx, cat, sym,
        map(memos.underlying.__getitem__, zip(und, sym, desc, cat, pc)), desc,
        _texts(conid, same), pc, map(dec, strike), map(day, expiry),
        map(memos.mult.__getitem__, mult), map(day, tdate), _moments(dt, memos), map(dec, qty),
        lazy, map(dec, net), map(dec, cost), map(dec, fifo), map(memos.codes.__getitem__, notes),
        oc, paid, lazy, ccy, map(dec, proceeds), map(dec, comm), map(dec, taxes), map(dec, fx),
        (later if c is None else dec(c) for c in close), lazy, lazy, ccy)


def _texts(col: tuple, same) -> tuple:
    """One object per distinct text (interned in C when the column has no None)."""
    if None in col:
        return tuple(map(same, col))
    try:
        return tuple(map(sys.intern, col))
    except TypeError:  # not plain text
        return tuple(map(same, col))


def _moments(col: tuple, memos: _Memos):
    """Times repeat less: parsed one by one in C where the driver gives text."""
    if col and col[0].__class__ is str and None not in col:
        try:
            return tuple(map(datetime.fromisoformat, col))
        except (TypeError, ValueError):
            pass
    return map(memos.moment.__getitem__, col)


def _record(row, memos: _Memos, later: Deferred, base_of: dict) -> ExecutionRecord:
    """One row, whatever it holds (a position: it has a quantity and a date)."""
    (rid, acc, tx, cat, sym, und, desc, conid, pc, strike, expiry, mult, tdate, dt, qty,
     net, cost, fifo, notes, oc, paid, ccy, close, proceeds, comm, taxes, fx) = row
    dec = memos.dec
    net, cost, fifo = dec[net], dec[cost], dec[fifo]
    proceeds, comm, taxes, fx = dec[proceeds], dec[comm], dec[taxes], dec[fx]
    if net is None:
        net = (proceeds or _ZERO) + (comm or _ZERO) + (taxes or _ZERO)
    reported = ccy
    if ccy and ccy.upper() != "USD":
        base = base_of.get(acc)
        usd, now = vocab.to_usd(net, ccy, fx, base)
        if now == "USD":
            net, ccy = usd, "USD"
            cost, fifo, proceeds, comm, taxes = (
                vocab.to_usd(v, "X", fx, base)[0] for v in (cost, fifo, proceeds, comm, taxes))
    sym = memos.strip[sym]
    dt = memos.moment[dt]
    same = memos.same
    return maker(ExecutionRecord)(
        rid, same[acc], tx, same[cat], sym,
        memos.underlying[(und, sym, same[desc], same[cat], pc)], same[desc], same[conid], pc,
        dec[strike], memos.day[expiry], memos.mult[mult],
        memos.day[tdate] if tdate is not None else dt.date(), dt, dec[qty], later, net, cost,
        fifo, memos.codes[notes], oc, paid or None, later, same[ccy], proceeds, comm, taxes,
        fx, later if close is None else dec[close], later, later, same[reported])


class _Details:
    """The :data:`DETAILS` columns of every execution of one read, read when a record is
    first asked for one (``Deferred`` then fills the record's slots from here)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.span: tuple[int, int] = (0, -1)
        self.rows: dict | None = None
        self.lock = threading.Lock()

    def __call__(self, rec: ExecutionRecord) -> tuple:
        rows = self.rows
        if rows is None:
            with self.lock:
                if self.rows is None:
                    self.rows = self._read()
                rows = self.rows
        found = rows.get(rec.seq)
        if found is None:
            raise LedgerError(f"execution {rec.seq} ({rec.transaction_id}) is no longer in "
                              "the ledger; run the command again")
        return found

    def _read(self) -> dict:
        """Id -> the record's DETAILS values. Column by column, like the first read: a
        review or the workbook pays for this on every cold run."""
        memo = _Memo(_decimal, {None: None}).__getitem__  # each distinct price once
        conv = [memo if _KIND[name] == "d" else None for name in DETAILS]
        lo, hi = self.span
        rows: dict = {}
        with snapshot(self.engine) as conn:
            for chunk in chunks(conn, _DETAILS, {"lo": lo, "hi": hi}):
                ids, *values = zip(*chunk)
                rows.update(zip(ids, zip(*(v if c is None else map(c, v)
                                           for c, v in zip(conv, values)))))
        return rows


_KIND = tables.kinds("execution")
_DETAILS = tables.select("execution", " ".join(("id", *DETAILS)),
                         "WHERE id BETWEEN :lo AND :hi")
