"""How :mod:`journal.ledger` hands rows to the database driver (part of the only writer).

Rows go to the driver's ``executemany`` with their values already in the driver's form:
Decimals as their text, and on SQLite dates and date-times as the text SQLAlchemy's
SQLite types store. Leaving Decimals (and dates) to sqlite3's registered adapters cost
more than converting them: the adapter lookup runs for every value of every row (about
0.5 s of ``executemany`` on a 40k-trade statement); converted in the compiled pickers
below, the import as a whole takes 0.3-0.4 s less CPU.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from journal import readmodel_tables
from journal.dbconn import sqlite_dt
from journal.events import (
    CashBalanceRow,
    CashRow,
    ClosedLotRow,
    CorporateActionRow,
    OpenPositionRow,
    OptionEAERow,
    TradeRow,
    TransferRow,
)

CHUNK_ROWS = 2000


_DATE_TEXT: dict = {}


def sqlite_date(v):
    # A statement has a few hundred distinct dates over tens of thousands of rows.
    if v is None:
        return None
    text = _DATE_TEXT.get(v)
    if text is None:
        text = v.isoformat()
        if len(_DATE_TEXT) < 50_000:
            _DATE_TEXT[v] = text
    return text


def register_sqlite_adapters() -> None:
    """For the values the compiled pickers do not convert (the instrument rows, the batch
    row): the same text SQLAlchemy would store."""
    sqlite3.register_adapter(Decimal, str)
    sqlite3.register_adapter(date, sqlite_date)
    sqlite3.register_adapter(datetime, sqlite_dt)


def table(name: str) -> Table:
    # The plain SQLAlchemy tables (same names, columns and types as journal.models, held
    # equal by tests/test_readmodel_tables.py): importing the SQLModel classes costs every
    # `journal import` about half a second of CPU before the first row is read.
    return readmodel_tables.table(name)


_INSTRUMENT_KINDS = {"strike": "d", "multiplier": "d", "expiry": "a"}
"""Column kinds of ``instrument`` (the one written table the plain tables lack)."""


def column_kinds(name: str) -> dict[str, str]:
    """Column -> kind letter of readmodel_tables (d Decimal, a date, D date-time, …)."""
    if name == "instrument":
        return _INSTRUMENT_KINDS
    return dict(spec.partition(":")[::2] for spec in readmodel_tables.COLUMNS[name].split())


class Writer:
    """Chunked ``INSERT … ON CONFLICT DO NOTHING`` for one table, values in driver form."""

    def __init__(self, conn: Connection, table: str, columns: list[str], conflict: list[str],
                 deps: tuple = ()):
        self.conn = conn
        self.deps = deps  # writers whose rows ours reference (foreign keys): flushed first
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.columns = columns
        self.sql = (
            f'INSERT INTO {table} ({", ".join(columns)}) '
            f'VALUES ({", ".join([mark] * len(columns))}) '
            f'ON CONFLICT ({", ".join(conflict)}) DO NOTHING'
        )
        # Rows come from the pickers below already converted; what is left (instrument
        # rows) SQLite converts through its adapters, and other drivers, which take dates
        # as they are, get Decimal columns as text here.
        self._decimal_cols: list[int] = []
        if conn.dialect.name == "sqlite":
            register_sqlite_adapters()
        else:
            kinds = column_kinds(table)
            self._decimal_cols = [i for i, name in enumerate(columns) if kinds.get(name) == "d"]
        self.rows: list = []
        self.written = 0
        self.offered = 0

    def add(self, values: tuple) -> None:
        self.rows.append(values)
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def _driver_rows(self) -> list:
        if not self._decimal_cols:
            return self.rows
        out = []
        for row in self.rows:
            values = list(row)
            for i in self._decimal_cols:
                if values[i] is not None:
                    values[i] = str(values[i])
            out.append(tuple(values))
        return out

    def flush(self) -> None:
        if not self.rows:
            return
        for dep in self.deps:
            dep.flush()
        result = self.conn.exec_driver_sql(self.sql, self._driver_rows())
        # executemany reports the total rows inserted; conflicts count 0
        self.written += max(result.rowcount, 0)
        self.offered += len(self.rows)
        self.rows = []


EXEC_EVENT_FIELDS = [f for f in TradeRow._fields if f not in ("key_synthetic", "raw", "source",
                                                            "listing_exchange")]
EXEC_COLUMNS = EXEC_EVENT_FIELDS + ["instrument_id", "status", "origin", "match_key",
                                    "batch_id", "source_line", "raw"]
EAE_EVENT_FIELDS = [f for f in OptionEAERow._fields if f not in ("raw", "source", "description",
                                                                "underlying_conid",
                                                                "listing_exchange")]
CASH_EVENT_FIELDS = [f for f in CashRow._fields if f not in ("raw", "source")]
POS_EVENT_FIELDS = [f for f in OpenPositionRow._fields
                    if f not in ("raw", "source", "description", "underlying_conid",
                                 "listing_exchange")]
LOT_EVENT_FIELDS = [f for f in ClosedLotRow._fields if f not in ("raw", "source")]
BALANCE_EVENT_FIELDS = [f for f in CashBalanceRow._fields if f not in ("raw", "source")]
CA_EVENT_FIELDS = [f for f in CorporateActionRow._fields if f not in ("raw", "source")]
TRANSFER_EVENT_FIELDS = [f for f in TransferRow._fields if f not in ("raw", "source")]
TAIL_STATUS = ["instrument_id", "status", "batch_id", "source_line", "raw"]
TAIL = ["instrument_id", "batch_id", "source_line", "raw"]
SOURCE = ["batch_id", "source_line", "raw"]
INSTRUMENT_COLUMNS = ["id", "conid", "asset_class", "symbol", "description", "underlying_symbol",
                      "underlying_conid", "put_call", "strike", "expiry", "multiplier", "currency",
                      "listing_exchange"]

_PICKERS: dict[tuple, Callable[[tuple], tuple]] = {}


def picker(event_type, fields: list[str], table: str, sqlite: bool) -> Callable[[tuple], tuple]:
    """``pick(event) -> tuple``: the ``fields`` of an event, in column order, in the
    driver's form: one straight-line function per (event type, table, driver), compiled
    once, since it runs for every row of every import. Decimals become ``str(v)`` (what
    the adapter gave); on SQLite a ``date`` or ``datetime`` becomes the adapter's text,
    and anything of another type is left to the adapters as before."""
    key = (event_type, table, sqlite)
    fn = _PICKERS.get(key)
    if fn is not None:
        return fn
    kinds = column_kinds(table)
    exprs = []
    for name in fields:
        i = event_type._fields.index(name)
        kind = kinds.get(name, "t")
        if kind == "d":
            exprs.append(f"(None if (v := e[{i}]) is None else S(v))")
        elif kind == "a" and sqlite:
            exprs.append(f"(DA(v) if type(v := e[{i}]) is DATE else v)")
        elif kind == "D" and sqlite:
            exprs.append(f"(DT(v) if type(v := e[{i}]) is DATETIME else v)")
        else:
            exprs.append(f"e[{i}]")
    src = "def pick(e):\n    return (" + ", ".join(exprs) + ",)\n"
    namespace: dict = {"S": str, "DA": sqlite_date, "DT": sqlite_dt, "DATE": date,
                 "DATETIME": datetime}
    exec(compile(src, f"<ledger picker {table}>", "exec"), namespace)
    made = _PICKERS[key] = cast(Callable[[tuple], tuple], namespace["pick"])
    return made


try:  # orjson encodes the raw attributes ~10x faster; the text is the same compact JSON
    import orjson

    def raw_json(attrs: dict) -> str:
        return orjson.dumps(attrs).decode()
except ImportError:  # pragma: no cover - orjson is a dependency; keep working without it
    def raw_json(attrs: dict) -> str:
        return json.dumps(attrs, separators=(",", ":"), ensure_ascii=False)


def instrument_key(row) -> str:
    if row.conid:
        return row.conid
    parts = [row.asset_category, (row.symbol or "").strip(), row.expiry and row.expiry.isoformat(),
             row.strike is not None and format(row.strike.normalize(), "f") or None, row.put_call,
             row.currency]
    return "k:" + "|".join(p or "" for p in parts)
