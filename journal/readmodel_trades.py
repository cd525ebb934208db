"""The read model's listing of executions as IB reported them (``journal trades``, the
workbook's Ledger sheet): every row's values in :class:`journal.readmodel.TradeRecord`'s
field order, read in one snapshot, a chunk of rows at a time.

Why by column: the Ledger sheet lists every execution, 46.5k rows of 21 values on the
benchmark ledger, and converting them one row at a time (a list, a loop over the
converters, a call for the underlying, a record) cost more than writing their cells.
Each column of a chunk is converted in one C-level ``map`` over a dictionary that
converts each distinct value once (so the same day, amount or symbol is one shared
object), and the rows are zipped back together; only a column with an empty value takes
a Python step. The values are exactly the ones the row-by-row read made
(``tests/test_readmodel_trades.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine

from journal import readmodel_tables as tables
from journal import vocab
from journal.db import snapshot
from journal.readmodel import _converters, _execute

CHUNK = 2000
# the query's columns, by kind: t text (as the driver gives it), d Decimal, a date,
# D datetime
KINDS = "taDtttttdattdddddttttt"


class _Memo(dict):
    """Value -> ``fn(value)``, each distinct value once."""

    __slots__ = ("fn",)

    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, v):
        c = self[v] = self.fn(v)
        return c


def _strip(s: str | None) -> str:
    return (s or "").strip()


def _underlying(k: tuple) -> str:
    und, sym, desc, asset, put_call = k
    return vocab.underlying_of(und, sym, desc, option=vocab.is_option(asset, put_call))


def _query(accounts, date_from: date | None, date_to: date | None, include_voided: bool):
    ex = tables.table("execution")
    q = select(ex.c.account_id, ex.c.trade_date, ex.c.date_time, ex.c.description,
               ex.c.symbol, ex.c.underlying_symbol, ex.c.asset_category, ex.c.put_call,
               ex.c.strike, ex.c.expiry, ex.c.buy_sell, ex.c.open_close, ex.c.quantity,
               ex.c.trade_price, ex.c.proceeds, ex.c.commission, ex.c.net_cash,
               ex.c.currency, ex.c.notes, ex.c.transaction_type, ex.c.status,
               ex.c.transaction_id)
    if accounts:
        q = q.where(or_(*(ex.c.account_id == a for a in accounts)))
    if date_from:
        q = q.where(ex.c.trade_date >= date_from)
    if date_to:
        q = q.where(ex.c.trade_date <= date_to)
    if not include_voided:
        q = q.where(ex.c.status == "active")
    return q.order_by(ex.c.account_id, ex.c.trade_date, ex.c.date_time, ex.c.id)


def trade_rows(engine: Engine, *, accounts=(), date_from: date | None = None,
               date_to: date | None = None, include_voided: bool = False
               ) -> Iterator[tuple]:
    """Each execution's values in ``TradeRecord``'s field order (the trades listing's
    columns, :data:`journal.views.ledger.TRADE_COLUMNS`), oldest first per account; only
    the active rows unless ``include_voided``. The symbol is IB's description, else the
    symbol; amounts are in the trade currency."""
    q = _query(accounts, date_from, date_to, include_voided)
    conv = [None if c is None else c.__getitem__ for c in _converters(KINDS)]
    strip = _Memo(_strip).__getitem__
    underlying = _Memo(_underlying).__getitem__
    with snapshot(engine) as conn:
        cursor = _execute(conn.execution_options(stream_results=True), q)
        while chunk := cursor.fetchmany(CHUNK):
            yield from _chunk_rows(chunk, conv, strip, underlying)


def _chunk_rows(chunk, conv, strip, underlying) -> Iterator[tuple]:
    cols = [col if c is None else tuple(map(c, col)) for c, col in zip(conv, zip(*chunk))]
    (acc, tdate, dt, desc, sym, und, asset, pc, strike, expiry, bs, oc, qty, price, proceeds,
     comm, net, ccy, notes, typ, status, txid) = cols
    sym = tuple(map(strip, sym))
    shown = desc if None not in desc and "" not in desc else \
        tuple(d or s for d, s in zip(desc, sym))
    return zip(acc, tdate, dt, shown, map(underlying, zip(und, sym, desc, asset, pc)), asset,
               pc, strike, expiry, bs, oc, qty, price, proceeds, comm, net, ccy, notes, typ,
               status, txid)
