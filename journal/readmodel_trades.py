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
from typing import TYPE_CHECKING

from journal import readmodel_tables as tables
from journal import vocab
from journal.dbconn import snapshot
from journal.readmodel import _converters

if TYPE_CHECKING:
    from journal.dbconn import Source

CHUNK = 2000
# the query's columns (their kinds convert them: text as the driver gives it)
COLUMNS = ("account_id trade_date date_time description symbol underlying_symbol "
           "asset_category put_call strike expiry buy_sell open_close quantity trade_price "
           "proceeds commission net_cash currency notes transaction_type status "
           "transaction_id")
KINDS = tables.kinds_of("execution", COLUMNS)


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


def _query(accounts, date_from: date | None, date_to: date | None,
           include_voided: bool) -> tuple[str, dict]:
    where, params = [], {}
    if accounts:
        params.update({f"a{i}": a for i, a in enumerate(accounts)})
        where.append(f"account_id IN ({', '.join(':a' + str(i) for i in range(len(accounts)))})")
    if date_from:
        where.append("trade_date >= :date_from")
        params["date_from"] = date_from
    if date_to:
        where.append("trade_date <= :date_to")
        params["date_to"] = date_to
    if not include_voided:
        where.append("status = 'active'")
    rest = (f"WHERE {' AND '.join(where)} " if where else "") + \
        "ORDER BY account_id, trade_date, date_time, id"
    return tables.select("execution", COLUMNS, rest), params


def trade_rows(engine: Source, *, accounts=(), date_from: date | None = None,
               date_to: date | None = None, include_voided: bool = False
               ) -> Iterator[tuple]:
    """Each execution's values in ``TradeRecord``'s field order (the trades listing's
    columns, :data:`journal.views.ledger.TRADE_COLUMNS`), oldest first per account; only
    the active rows unless ``include_voided``. The symbol is IB's description, else the
    symbol; amounts are in the trade currency."""
    sql, params = _query(accounts, date_from, date_to, include_voided)
    conv = [None if c is None else c.__getitem__ for c in _converters(KINDS)]
    strip = _Memo(_strip).__getitem__
    underlying = _Memo(_underlying).__getitem__
    with snapshot(engine) as conn:
        for chunk in conn.chunks(sql, params, CHUNK):
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
