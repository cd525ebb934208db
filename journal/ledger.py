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
import sqlite3
from operator import itemgetter
from dataclasses import dataclass, field
from itertools import groupby
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Date, DateTime, Table, select, text, update
from sqlalchemy.engine import Connection, Engine

from journal import models
from journal.db import writer
from journal.events import (
    KnownKeys, KnownRow, AccountInfo, CashBalanceRow, CashRow, ClosedLotRow, OpenPositionRow,
    OptionEAERow, ParseSummary, StatementStart, TradeRow,
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


DUPLICATE = "duplicate"  # an Activity-CSV row whose fill a Flex row already records
CSV_KEY_PREFIX = "csv:"  # synthetic keys of importers/activity_csv.py (Flex ids never start so)


def _norm(d) -> str:
    return "" if d is None else format(d.normalize(), "f")


def match_instrument(symbol, underlying_symbol, put_call, strike, expiry) -> str:
    """The contract as both formats spell it. The CSV often has no conid and names an option
    ``MSFT 21NOV25 410 P`` where Flex says ``MSFT  251121P00410000``, so options are keyed by
    underlying, right, strike and expiry, and everything else by its symbol."""
    if put_call and strike is not None and expiry is not None:
        und = underlying_symbol or (symbol or "").split(" ", 1)[0]
        return f"{und.upper()}:{put_call}:{_norm(strike)}:{expiry.isoformat()}"
    return (symbol or "").strip().upper()


def match_key(account: str, instrument: str, date_time, quantity, price) -> str:
    """Cross-format identity of a fill (Activity CSV rows carry no IB ids); the same for
    both origins, so :func:`link_cross_format` can pair a CSV row with its Flex row."""
    when = date_time.isoformat(timespec="seconds") if date_time else ""
    return f"{account}|{instrument}|{when}|{_norm(quantity)}|{_norm(price)}"


#### row adaptation ####


def _sqlite_dt(v):
    return None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")


_DATE_TEXT: dict = {}


def _sqlite_date(v):
    # A statement has a few hundred distinct dates over tens of thousands of rows.
    if v is None:
        return None
    text = _DATE_TEXT.get(v)
    if text is None:
        text = v.isoformat()
        if len(_DATE_TEXT) < 50_000:
            _DATE_TEXT[v] = text
    return text


def _dec(v):
    return None if v is None else str(v)


def _same(v):
    return v


def _register_sqlite_adapters() -> None:
    """Let sqlite3 convert Decimal, date and datetime while binding, in C, instead of a
    Python loop over every value of every row (the same text SQLAlchemy would store)."""
    sqlite3.register_adapter(Decimal, str)
    sqlite3.register_adapter(date, _sqlite_date)
    sqlite3.register_adapter(datetime, _sqlite_dt)


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
        if dialect == "sqlite":
            _register_sqlite_adapters()
        for name in columns:
            col = table.c[name]
            if dialect == "sqlite":
                adapters.append(_same)  # converted in C by the adapters registered above
            elif isinstance(col.type, DateTime):
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
_BALANCE_EVENT_FIELDS = [f for f in CashBalanceRow._fields if f not in ("raw", "source")]
_TAIL = ["instrument_id", "batch_id", "source_line", "raw"]
_INSTRUMENT_COLUMNS = ["id", "conid", "asset_class", "symbol", "description", "underlying_symbol",
                       "underlying_conid", "put_call", "strike", "expiry", "multiplier", "currency",
                       "listing_exchange"]


def _picker(event_type, fields):
    """The fields of an event, in column order, pulled out in C (itemgetter) rather than
    by one getattr per field: this runs for every row of every import."""
    return itemgetter(*(event_type._fields.index(f) for f in fields))


_pick_exec = _picker(TradeRow, _EXEC_EVENT_FIELDS)
_pick_eae = _picker(OptionEAERow, _EAE_EVENT_FIELDS)
_pick_cash = _picker(CashRow, _CASH_EVENT_FIELDS)
_pick_pos = _picker(OpenPositionRow, _POS_EVENT_FIELDS)
_pick_lot = _picker(ClosedLotRow, _LOT_EVENT_FIELDS)
_pick_balance = _picker(CashBalanceRow, _BALANCE_EVENT_FIELDS)

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


#### ingest ####


def known_keys(engine: Engine) -> KnownKeys:
    """Keys of the stored executions, option events and cash rows: lets a re-read
    statement skip converting what the ledger already has (the unique keys still guard
    every insert, so a stale set can only cost time, never a duplicate)."""
    ex = models.Execution.__table__
    eae = models.OptionEvent.__table__
    cash = models.CashTransaction.__table__
    with engine.connect() as conn:
        def keys(a, b):
            return frozenset((x, y) for x, y in conn.execute(select(a, b)))

        return KnownKeys(keys(ex.c.account_id, ex.c.transaction_id),
                         keys(eae.c.account_id, eae.c.event_key),
                         keys(cash.c.account_id, cash.c.transaction_id))


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
    bal_w = _Writer(conn, t.CashBalance.__table__,
                    _BALANCE_EVENT_FIELDS + ["batch_id", "source_line", "raw"],
                    ["account_id", "balance_key"], deps)
    writers = [acct_w, inst_w, ex_w, eae_w, cash_w, pos_w, lot_w, bal_w]

    known_accounts: set[str] = set(
        conn.execute(text("SELECT id FROM account")).scalars().all())
    seen_instruments: set[str] = set()
    accounts_in_file: dict[str, None] = {}
    periods: list[tuple] = []
    base_currency: dict[str, tuple] = {}
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    summary: ParseSummary | None = None
    cancels = corrections = 0
    known_rows = {"trade": 0, "option_event": 0, "cash": 0}
    dumps = raw_json

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
            values = list(_pick_exec(ev))
            values += [inst, status, origin,
                       match_key(ev.account_id,
                                 match_instrument(ev.symbol, ev.underlying_symbol, ev.put_call,
                                                  ev.strike, ev.expiry),
                                 ev.date_time, ev.quantity, ev.trade_price),
                       batch_id, ev.source.line, dumps(ev.raw)]
            ex_w.add(values)
        elif kind is KnownRow:
            known_rows[ev.kind] += 1
            cancels += ev.cancel
        elif kind is OptionEAERow:
            account(ev.account_id)
            inst = instrument(ev)
            eae_w.add(list(_pick_eae(ev))
                      + [inst, batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is CashRow:
            account(ev.account_id)
            cash_w.add(list(_pick_cash(ev))
                       + [batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is OpenPositionRow:
            account(ev.account_id)
            inst = instrument(ev)
            pos_w.add(list(_pick_pos(ev))
                      + [inst, batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is CashBalanceRow:
            account(ev.account_id)
            bal_w.add(list(_pick_balance(ev)) + [batch_id, ev.source.line, dumps(ev.raw)])
        elif kind is ClosedLotRow:
            account(ev.account_id)
            lot_w.add(list(_pick_lot(ev))
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

    linked = (0, 0, 0)
    if accounts_in_file:
        apply_cancellations(conn, list(accounts_in_file))
        linked = link_cross_format(conn, list(accounts_in_file), batch_id)

    result.accounts = list(accounts_in_file)
    # CSV rows of this file that duplicate Flex rows count as duplicates, not as new rows
    result.new_executions = ex_w.written - linked[0]
    result.duplicate_executions = ex_w.offered - ex_w.written + linked[0] + known_rows["trade"]
    result.cancels = cancels
    result.corrections = corrections
    result.new_option_events = eae_w.written - linked[1]
    result.new_cash_transactions = cash_w.written - linked[2]
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


#### cross-format dedup (Activity CSV vs Flex) ####


def _csv_key(conn: Connection, key):
    """SQL condition "key is a CSV synthetic key"."""
    if conn.dialect.name == "sqlite":
        # Binary collation: a range on the (account_id, key) unique index, O(log n), so the
        # Flex path pays almost nothing when no CSV was ever imported for the account.
        return (key >= CSV_KEY_PREFIX) & (key < CSV_KEY_PREFIX[:-1] + ";")
    # Locale collations may ignore punctuation when sorting, which breaks a range.
    return key.like(CSV_KEY_PREFIX + "%")


def _has_csv_rows(conn: Connection, table: Table, key_col: str, account: str) -> bool:
    return conn.execute(
        select(table.c.id).where(table.c.account_id == account)
        .where(_csv_key(conn, table.c[key_col])).limit(1)
    ).first() is not None


def _is_csv(key: str) -> bool:
    return key.startswith(CSV_KEY_PREFIX)


def link_cross_format(conn: Connection, accounts: list[str], batch_id: int) -> tuple:
    """Store each fill once when it arrives both from a Flex file and an Activity CSV.

    Executions: CSV rows whose match_key equals a Flex row's are set to ``duplicate`` with
    ``replaced_by`` naming the Flex transactionID (Flex stays ``active``: it has IB's ids and
    every field), paired one to one so two identical fills in one format still pair with
    two in the other; runs after every import, so the order of arrival does not matter.
    Cash and option-event rows have no status column, and a CSV copy of a Flex row adds
    nothing the Flex row lacks, so those copies are deleted.
    Returns how many of this batch's executions, option events and cash rows were linked.
    """
    ex = models.Execution.__table__
    cash = models.CashTransaction.__table__
    eae = models.OptionEvent.__table__
    dup_ex = dup_eae = dup_cash = 0
    for acc in accounts:
        if _has_csv_rows(conn, ex, "transaction_id", acc):
            dup_ex += _link_executions(conn, acc, batch_id)
        if _has_csv_rows(conn, eae, "event_key", acc):
            dup_eae += _drop_csv_copies(
                conn, eae, "event_key", acc, batch_id,
                lambda r: (r.event_date, match_instrument(r.symbol, r.underlying_symbol,
                                                          r.put_call, r.strike, r.expiry),
                           _norm(r.quantity), (r.transaction_type or "").lower()))
        if _has_csv_rows(conn, cash, "transaction_id", acc):
            dup_cash += _drop_csv_copies(
                conn, cash, "transaction_id", acc, batch_id,
                lambda r: (r.date_time.date() if r.date_time else r.report_date,
                           r.currency, _norm(r.amount), _cash_class(r.type)))
    return dup_ex, dup_eae, dup_cash


def _link_executions(conn: Connection, account: str, batch_id: int) -> int:
    ex = models.Execution.__table__
    # Only the match keys of rows this batch inserted can change pairing: earlier groups
    # were settled when their rows arrived, and rows are never deleted.
    batch_keys = select(ex.c.match_key).where(ex.c.batch_id == batch_id)
    rows = conn.execute(
        select(ex.c.id, ex.c.transaction_id, ex.c.match_key, ex.c.status, ex.c.replaced_by,
               ex.c.batch_id)
        .where(ex.c.account_id == account).where(ex.c.match_key.in_(batch_keys))
        .where(ex.c.status != CANCEL).order_by(ex.c.match_key, ex.c.id)
    )
    changes = []
    linked_here = 0
    for _key, group in groupby(rows, key=lambda r: r.match_key):  # streamed, key by key
        flex, csv_rows = [], []
        for r in group:
            (csv_rows if _is_csv(r.transaction_id) else flex).append(r)
        if not flex or not csv_rows:
            continue
        for i, r in enumerate(csv_rows):
            want = (DUPLICATE, flex[i].transaction_id) if i < len(flex) else (ACTIVE, None)
            if (r.status, r.replaced_by) != want:
                changes.append((r.id, want))
            if want[0] == DUPLICATE and r.batch_id == batch_id:
                linked_here += 1
    for row_id, (status, replaced_by) in changes:  # after the cursor is drained
        conn.execute(update(ex).where(ex.c.id == row_id)
                     .values(status=status, replaced_by=replaced_by))
    return linked_here


_CASH_CLASSES = {"dividends": "div", "payment in lieu of dividends": "div",
                 "broker interest received": "int", "broker interest paid": "int",
                 "bond interest received": "int", "bond interest paid": "int",
                 "deposits/withdrawals": "dep", "deposits & withdrawals": "dep",
                 "other fees": "fee", "withholding tax": "tax"}


def _cash_class(cash_type) -> str:
    t = (cash_type or "").lower()
    return _CASH_CLASSES.get(t, t)


def _drop_csv_copies(conn: Connection, table: Table, key_col: str, account: str,
                     batch_id: int, key_of) -> int:
    rows = conn.execute(select(table).where(table.c.account_id == account)
                        .order_by(table.c.id)).all()
    flex_count: dict = {}
    csv_rows: dict = {}
    for r in rows:
        k = key_of(r)
        if _is_csv(getattr(r, key_col)):
            csv_rows.setdefault(k, []).append(r)
        else:
            flex_count[k] = flex_count.get(k, 0) + 1
    doomed = []
    for k, rs in csv_rows.items():
        doomed.extend(rs[:flex_count.get(k, 0)])
    if doomed:
        conn.execute(table.delete().where(table.c.id.in_([r.id for r in doomed])))
    return sum(1 for r in doomed if r.batch_id == batch_id)




def set_cycle_override(engine: Engine, account: str, transaction_id: str,
                       label: str | None) -> None:
    """Put one execution into the user's wheel cycle ``label`` (None removes the choice).
    Imported rows are never edited: the choice lives in ``cycle_override``."""
    table = models.CycleOverride.__table__
    with writer(engine) as conn:
        conn.execute(table.delete().where(table.c.account_id == account)
                     .where(table.c.transaction_id == transaction_id))
        if label:
            conn.execute(table.insert().values(
                account_id=account, transaction_id=transaction_id, cycle_label=label,
                created_at=datetime.now(timezone.utc).replace(tzinfo=None)))
