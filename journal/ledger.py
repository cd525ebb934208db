"""The only module that writes the ledger.

:func:`ingest` takes the events of one statement and stores them in one transaction:
either the whole file lands or nothing does. Rows are keyed so that importing the same
or an overlapping statement adds nothing (``ON CONFLICT DO NOTHING`` on the natural keys,
which also keeps two concurrent imports from doubling a row).

Speed: rows are written with the driver's ``executemany`` in chunks, values already in
the driver's form. Going through the ORM (or even SQLAlchemy Core parameter processing)
costs more than parsing the XML does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Date, DateTime, Table, select, text, update
from sqlalchemy.engine import Connection, Engine

from journal import models
from journal.db import writer
from journal.events import (
    AccountInfo, CashRow, ClosedLotRow, OpenPositionRow, OptionEAERow, ParseSummary,
    StatementStart, TradeRow,
)

CHUNK_ROWS = 2000

ACTIVE = "active"
CANCEL = "cancel"  # the cancelling row itself
CANCELLED = "cancelled"  # an original that a cancel row voids
CORRECTED = "corrected"  # an original that a TradeCorrect row replaces


@dataclass
class IngestResult:
    batch_id: int | None = None
    accounts: list[str] = field(default_factory=list)
    new_executions: int = 0
    duplicate_executions: int = 0
    cancels: int = 0
    corrections: int = 0
    new_option_events: int = 0
    new_cash_transactions: int = 0
    new_open_positions: int = 0
    new_closed_lots: int = 0
    counts: dict = field(default_factory=dict)
    warnings: tuple = ()


def is_cancel(row: TradeRow) -> bool:
    if row.transaction_type == "TradeCancel":
        return True
    if row.buy_sell and row.buy_sell.endswith("(Ca.)"):
        return True
    return bool(row.notes) and "Ca" in row.notes.split(";")


def match_key(account: str, conid, symbol, date_time, quantity, price) -> str:
    """Cross-format identity of a fill (Activity CSV rows carry no IB ids)."""
    def norm(d):
        return "" if d is None else format(d.normalize(), "f")

    when = date_time.isoformat(timespec="seconds") if date_time else ""
    return f"{account}|{conid or symbol or ''}|{when}|{norm(quantity)}|{norm(price)}"


#### row adaptation ####


def _sqlite_dt(v):
    return None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_date(v):
    return None if v is None else v.isoformat()


def _dec(v):
    return None if v is None else str(v)


def _same(v):
    return v


class _Writer:
    """Chunked ``INSERT … ON CONFLICT DO NOTHING`` for one table, values in driver form."""

    def __init__(self, conn: Connection, table: Table, columns: list[str], conflict: list[str],
                 deps: tuple = ()):
        self.conn = conn
        self.deps = deps  # writers whose rows ours reference (foreign keys): flushed first
        dialect = conn.dialect.name
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.columns = columns
        self.sql = (
            f'INSERT INTO {table.name} ({", ".join(columns)}) '
            f'VALUES ({", ".join([mark] * len(columns))}) '
            f'ON CONFLICT ({", ".join(conflict)}) DO NOTHING'
        )
        adapters = []
        for name in columns:
            col = table.c[name]
            if isinstance(col.type, DateTime):
                adapters.append(_sqlite_dt if dialect == "sqlite" else _same)
            elif isinstance(col.type, Date):
                adapters.append(_sqlite_date if dialect == "sqlite" else _same)
            elif col.type.__class__.__name__ == "DecimalText":
                adapters.append(_dec)
            else:
                adapters.append(_same)
        self._decimal_cols = [i for i, a in enumerate(adapters) if a is _dec]
        self._other_cols = [(i, a) for i, a in enumerate(adapters) if a not in (_dec, _same)]
        self.rows: list[list] = []
        self.written = 0
        self.offered = 0

    def add(self, values: list) -> None:
        for i in self._decimal_cols:
            v = values[i]
            if v is not None:
                values[i] = str(v)
        for i, fn in self._other_cols:
            values[i] = fn(values[i])
        self.rows.append(tuple(values))
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        for dep in self.deps:
            dep.flush()
        result = self.conn.exec_driver_sql(self.sql, self.rows)
        # executemany reports the total rows inserted; conflicts count 0
        self.written += max(result.rowcount, 0)
        self.offered += len(self.rows)
        self.rows = []


_EXEC_EVENT_FIELDS = [f for f in TradeRow._fields if f not in ("key_synthetic", "raw", "source",
                                                             "listing_exchange")]
_EXEC_COLUMNS = _EXEC_EVENT_FIELDS + ["instrument_id", "status", "origin", "match_key",
                                      "batch_id", "source_line", "raw"]
_EAE_EVENT_FIELDS = [f for f in OptionEAERow._fields if f not in ("raw", "source", "description",
                                                                 "underlying_conid",
                                                                 "listing_exchange")]
_CASH_EVENT_FIELDS = [f for f in CashRow._fields if f not in ("raw", "source")]
_POS_EVENT_FIELDS = [f for f in OpenPositionRow._fields
                     if f not in ("raw", "source", "description", "underlying_conid",
                                  "listing_exchange")]
_LOT_EVENT_FIELDS = [f for f in ClosedLotRow._fields if f not in ("raw", "source")]
_TAIL = ["instrument_id", "batch_id", "source_line", "raw"]
_INSTRUMENT_COLUMNS = ["id", "conid", "asset_class", "symbol", "description", "underlying_symbol",
                       "underlying_conid", "put_call", "strike", "expiry", "multiplier", "currency",
                       "listing_exchange"]


def instrument_key(row) -> str:
    if row.conid:
        return row.conid
    parts = [row.asset_category, (row.symbol or "").strip(), row.expiry and row.expiry.isoformat(),
             row.strike is not None and format(row.strike.normalize(), "f") or None, row.put_call,
             row.currency]
    return "k:" + "|".join(p or "" for p in parts)


#### ingest ####


def find_batch_by_sha256(engine: Engine, sha256: str):
    with engine.connect() as conn:
        return conn.execute(
            select(models.ImportBatch).where(models.ImportBatch.sha256 == sha256)
            .order_by(models.ImportBatch.id)
        ).first()


def ingest(engine: Engine, events: Iterable, *, file_name: str, file_path: str | None,
           sha256: str, fmt: str, origin: str = "flex") -> IngestResult:
    """Store one statement's events atomically. Raises whatever the parser raises, after
    rolling back, so a failed file leaves the ledger exactly as it was."""
    result = IngestResult()
    with writer(engine) as conn:
        _ingest(conn, events, result, file_name=file_name, file_path=file_path,
                sha256=sha256, fmt=fmt, origin=origin)
    return result


def _ingest(conn: Connection, events, result: IngestResult, *, file_name, file_path, sha256,
            fmt, origin) -> None:
    batch_table = models.ImportBatch.__table__
    batch_id = conn.execute(
        batch_table.insert().values(
            file_name=file_name, file_path=file_path, sha256=sha256, format=fmt,
            imported_at=datetime.now(timezone.utc).replace(tzinfo=None),
        )
    ).inserted_primary_key[0]
    result.batch_id = batch_id

    t = models
    acct_w = _Writer(conn, t.Account.__table__, ["id", "alias", "base_currency", "first_seen"],
                     ["id"])
    inst_w = _Writer(conn, t.Instrument.__table__, _INSTRUMENT_COLUMNS, ["id"])
    deps = (acct_w, inst_w)
    ex_w = _Writer(conn, t.Execution.__table__, _EXEC_COLUMNS, ["account_id", "transaction_id"],
                   deps)
    eae_w = _Writer(conn, t.OptionEvent.__table__, _EAE_EVENT_FIELDS + _TAIL,
                    ["account_id", "event_key"], deps)
    cash_w = _Writer(conn, t.CashTransaction.__table__,
                     _CASH_EVENT_FIELDS + ["batch_id", "source_line", "raw"],
                     ["account_id", "transaction_id"], deps)
    pos_w = _Writer(conn, t.PositionSnapshot.__table__, _POS_EVENT_FIELDS + _TAIL,
                    ["account_id", "snapshot_key"], deps)
    lot_w = _Writer(conn, t.ClosedLot.__table__,
                    _LOT_EVENT_FIELDS + ["batch_id", "source_line", "raw"],
                    ["account_id", "lot_key"], deps)
    writers = [acct_w, inst_w, ex_w, eae_w, cash_w, pos_w, lot_w]

    known_accounts: set[str] = set(
        conn.execute(text("SELECT id FROM account")).scalars().all())
    seen_instruments: set[str] = set()
    accounts_in_file: dict[str, None] = {}
    periods: list[tuple] = []
    base_currency: dict[str, tuple] = {}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    summary: ParseSummary | None = None
    cancels = corrections = 0
    dumps = json.dumps

    def account(acc: str) -> None:
        accounts_in_file.setdefault(acc, None)
        if acc not in known_accounts:
            known_accounts.add(acc)
            acct_w.add([acc, None, None, now])

    def instrument(row) -> str:
        key = instrument_key(row)
        if key not in seen_instruments:
            seen_instruments.add(key)
            inst_w.add([key, row.conid, row.asset_category, row.symbol,
                        getattr(row, "description", None), row.underlying_symbol,
                        getattr(row, "underlying_conid", None), row.put_call, row.strike,
                        row.expiry, row.multiplier, row.currency,
                        getattr(row, "listing_exchange", None)])
        return key

    def flush_all():
        for w in writers:
            w.flush()

    ex_fields = _EXEC_EVENT_FIELDS
    for ev in events:
        kind = type(ev)
        if kind is TradeRow:
            account(ev.account_id)
            inst = instrument(ev)
            status = ACTIVE
            if is_cancel(ev):
                status = CANCEL
                cancels += 1
            elif ev.transaction_type == "TradeCorrect":
                corrections += 1
            values = [getattr(ev, f) for f in ex_fields]
            values += [inst, status, origin,
                       match_key(ev.account_id, ev.conid, ev.symbol, ev.date_time, ev.quantity,
                                 ev.trade_price),
                       batch_id, ev.source.line, dumps(ev.raw)]
            ex_w.add(values)
        elif kind is OptionEAERow:
            account(ev.account_id)
            inst = instrument(ev)
            eae_w.add([getattr(ev, f) for f in _EAE_EVENT_FIELDS]
                      + [inst, batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is CashRow:
            account(ev.account_id)
            cash_w.add([getattr(ev, f) for f in _CASH_EVENT_FIELDS]
                       + [batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is OpenPositionRow:
            account(ev.account_id)
            inst = instrument(ev)
            pos_w.add([getattr(ev, f) for f in _POS_EVENT_FIELDS]
                      + [inst, batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is ClosedLotRow:
            account(ev.account_id)
            lot_w.add([getattr(ev, f) for f in _LOT_EVENT_FIELDS]
                      + [batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is StatementStart:
            account(ev.account_id)
            periods.append((ev.period_from, ev.period_to, ev.when_generated))
        elif kind is AccountInfo:
            account(ev.account_id)
            base_currency[ev.account_id] = (ev.base_currency, ev.alias)
        elif kind is ParseSummary:
            summary = ev
    flush_all()  # writers list is in dependency order

    acct_table = models.Account.__table__
    for acc, (cur, alias) in base_currency.items():
        if cur:
            conn.execute(update(acct_table).where(acct_table.c.id == acc)
                         .where(acct_table.c.base_currency.is_(None)).values(base_currency=cur))
        if alias:
            conn.execute(update(acct_table).where(acct_table.c.id == acc)
                         .where(acct_table.c.alias.is_(None)).values(alias=alias))

    if accounts_in_file:
        apply_cancellations(conn, list(accounts_in_file))

    result.accounts = list(accounts_in_file)
    result.new_executions = ex_w.written
    result.duplicate_executions = ex_w.offered - ex_w.written
    result.cancels = cancels
    result.corrections = corrections
    result.new_option_events = eae_w.written
    result.new_cash_transactions = cash_w.written
    result.new_open_positions = pos_w.written
    result.new_closed_lots = lot_w.written
    if summary is not None:
        result.counts = dict(summary.counts)
        result.warnings = tuple(summary.warnings)
    froms = [p[0] for p in periods if p[0]]
    tos = [p[1] for p in periods if p[1]]
    gens = [p[2] for p in periods if p[2]]
    conn.execute(
        update(batch_table).where(batch_table.c.id == batch_id).values(
            accounts=",".join(accounts_in_file) or None,
            period_from=min(froms) if froms else None,
            period_to=max(tos) if tos else None,
            when_generated=max(gens) if gens else None,
            new_executions=result.new_executions,
            duplicate_executions=result.duplicate_executions,
            cancels=cancels,
            new_option_events=result.new_option_events,
            new_cash_transactions=result.new_cash_transactions,
            counts=json.dumps(result.counts, sort_keys=True),
            warnings=json.dumps(list(result.warnings)),
        )
    )


def apply_cancellations(conn: Connection, accounts: list[str]) -> None:
    """Void what cancel rows cancel and what corrections replace, whatever the order in
    which the statements arrived (a cancel may be imported before its original)."""
    ex = models.Execution.__table__
    pending = conn.execute(
        select(ex.c.id, ex.c.account_id, ex.c.transaction_id, ex.c.status,
               ex.c.transaction_type, ex.c.orig_transaction_id, ex.c.orig_trade_id,
               ex.c.quantity, ex.c.trade_id)
        .where(ex.c.account_id.in_(accounts))
        .where((ex.c.status == CANCEL) | (ex.c.transaction_type == "TradeCorrect"))
    ).all()
    if not pending:
        return
    for row in pending:
        new_status = CANCELLED if row.status == CANCEL else CORRECTED
        q = (select(ex.c.id).where(ex.c.account_id == row.account_id)
             .where(ex.c.status == ACTIVE).where(ex.c.id != row.id))
        if row.orig_transaction_id:
            q = q.where(ex.c.transaction_id == row.orig_transaction_id)
        elif row.orig_trade_id:
            # No origTransactionID: the original is the earliest still-active row with that
            # tradeID (a rebooked replacement reuses the tradeID and comes later).
            q = (q.where(ex.c.trade_id == row.orig_trade_id)
                 .where(ex.c.transaction_type != "TradeCorrect"))
            candidates = conn.execute(q.add_columns(ex.c.quantity).order_by(ex.c.id)).all()
            qty = row.quantity
            pick = None
            for cand_id, cand_qty in candidates:
                if row.status != CANCEL or qty is None or cand_qty is None or cand_qty == -qty:
                    pick = cand_id
                    break
            if pick is None:
                continue
            q = select(ex.c.id).where(ex.c.id == pick)
        else:
            continue
        target_ids = conn.execute(q).scalars().all()
        if target_ids:
            conn.execute(update(ex).where(ex.c.id.in_(target_ids))
                         .values(status=new_status, replaced_by=row.transaction_id))


def counts_by_table(conn: Connection) -> dict[str, int]:
    out = {}
    for table in models.metadata.sorted_tables:
        out[table.name] = conn.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
    return out

