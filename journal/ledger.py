"""The only module that writes the ledger (with :mod:`journal.ledger_links`, which it calls,
and :mod:`journal.ledger_rows`, which puts its rows in the driver's form).

:func:`ingest` takes the events of one statement and stores them in one transaction:
either the whole file lands or nothing does. Rows are keyed so that importing the same
or an overlapping statement adds nothing (``ON CONFLICT DO NOTHING`` on the natural keys,
which also keeps two concurrent imports from doubling a row).

Each event type has one handler (:class:`_Ingest`'s table); rows are written with the
driver's ``executemany`` in chunks, values already in the driver's form. Going through the
ORM (or even SQLAlchemy Core parameter processing) costs more than parsing the XML does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection, Engine

from journal import vocab
from journal.db import writer
from journal.events import (
    AccountInfo,
    CashBalanceRow,
    CashRow,
    ClosedLotRow,
    CorporateActionRow,
    KnownKeys,
    KnownRow,
    OpenPositionRow,
    OptionEAERow,
    ParseSummary,
    StatementStart,
    TradeRow,
    TransferRow,
)
from journal.ledger_facts import (  # noqa: F401 - re-exported
    set_action_override,
    set_transfer_basis,
)
from journal.ledger_links import (  # noqa: F401 - re-exported: the ledger's public names
    ACTIVE,
    CANCEL,
    CANCELLED,
    CORRECTED,
    CSV_KEY_PREFIX,
    DUPLICATE,
    apply_action_cancels,
    apply_cancellations,
    link_action_copies,
    link_cross_format,
    match_instrument,
    norm_decimal,
)
from journal.ledger_rows import (
    BALANCE_EVENT_FIELDS,
    CA_EVENT_FIELDS,
    CASH_EVENT_FIELDS,
    EAE_EVENT_FIELDS,
    EXEC_COLUMNS,
    EXEC_EVENT_FIELDS,
    INSTRUMENT_COLUMNS,
    LOT_EVENT_FIELDS,
    POS_EVENT_FIELDS,
    SOURCE,
    TAIL,
    TAIL_STATUS,
    TRANSFER_EVENT_FIELDS,
    Writer,
    instrument_key,
    picker,
    raw_json,
)
from journal.ledger_rows import table as _table


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
    new_corporate_actions: int = 0
    new_transfers: int = 0
    counts: dict = field(default_factory=dict)
    warnings: tuple = ()
    sha256: str | None = None  # of the bytes parsed
    unchanged_batch: int | None = None  # set when these bytes were already imported


def is_cancel(row: TradeRow) -> bool:
    if row.transaction_type == "TradeCancel":
        return True
    if row.buy_sell and row.buy_sell.endswith("(Ca.)"):
        return True
    return row.notes is not None and "Ca" in row.notes.split(";")


def match_key(account: str, instrument: str, date_time, quantity, price) -> str:
    """Cross-format identity of a fill (Activity CSV rows carry no IB ids); the same for
    both origins, so :func:`link_cross_format` can pair a CSV row with its Flex row."""
    when = date_time.isoformat(timespec="seconds") if date_time else ""
    return f"{account}|{instrument}|{when}|{norm_decimal(quantity)}|{norm_decimal(price)}"


#### ingest ####


def known_keys(engine: Engine) -> KnownKeys:
    """Keys of the stored executions, option events and cash rows: lets a re-read
    statement skip converting what the ledger already has (the unique keys still guard
    every insert, so a stale set can only cost time, never a duplicate)."""
    ex = _table("execution")
    eae = _table("option_event")
    cash = _table("cash_transaction")
    with engine.connect() as conn:
        def keys(a, b):
            return frozenset((x, y) for x, y in conn.execute(select(a, b)))

        return KnownKeys(keys(ex.c.account_id, ex.c.transaction_id),
                         keys(eae.c.account_id, eae.c.event_key),
                         keys(cash.c.account_id, cash.c.transaction_id))


def find_batch_by_sha256(engine: Engine, sha256: str):
    with engine.connect() as conn:
        return _batch_with_sha(conn, sha256)


def has_batches(engine: Engine) -> bool:
    batch = _table("import_batch")
    with engine.connect() as conn:
        return conn.execute(select(batch.c.id).limit(1)).first() is not None


def _batch_with_sha(conn: Connection, sha256: str, *, other_than: int | None = None):
    batch = _table("import_batch")
    q = select(batch).where(batch.c.sha256 == sha256).order_by(batch.c.id)
    if other_than is not None:
        q = q.where(batch.c.id != other_than)
    return conn.execute(q).first()


DEFERRED_INDEXES = {
    "ix_execution_match_key": "CREATE INDEX ix_execution_match_key ON execution (match_key)",
    "ix_instrument_conid": "CREATE INDEX ix_instrument_conid ON instrument (conid)",
    "ix_instrument_underlying_symbol":
        "CREATE INDEX ix_instrument_underlying_symbol ON instrument (underlying_symbol)",
}
"""Secondary indexes (not the unique keys, which ON CONFLICT needs) that a first import
into an empty SQLite ledger builds once after its rows are in, instead of row by row.
Inside the import's transaction, so a failed import leaves them as they were."""


@contextmanager
def _indexes_built_after(conn: Connection):
    if conn.dialect.name != "sqlite" or conn.execute(
            text("SELECT 1 FROM execution LIMIT 1")).first() is not None:
        yield  # a ledger with rows keeps its indexes: other imports' keys are in them
        return
    existing = set(conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
    dropped = [name for name in DEFERRED_INDEXES if name in existing]
    for name in dropped:
        conn.execute(text(f"DROP INDEX {name}"))
    yield
    for name in dropped:
        conn.execute(text(DEFERRED_INDEXES[name]))


class _AlreadyImported(Exception):
    """Raised inside the write transaction to roll it back: these bytes are in the ledger."""

    def __init__(self, batch_id: int):
        self.batch_id = batch_id


def ingest(engine: Engine, events: Iterable, *, file_name: str, file_path: str | None,
           sha256: str | None, fmt: str, origin: str = "flex",
           skip_known: bool = False) -> IngestResult:
    """Store one statement's events atomically. Raises whatever the parser raises, after
    rolling back, so a failed file leaves the ledger exactly as it was.

    The batch records the checksum the parser reports (of the bytes it read), not
    ``sha256`` (taken before parsing). With ``skip_known``, a file whose bytes the ledger
    already holds (another process imported it meanwhile, or it changed into one already
    imported) is not stored again: ``unchanged_batch`` names the batch that has it."""
    result = IngestResult()
    try:
        with writer(engine) as conn:
            if skip_known and sha256:
                prev = _batch_with_sha(conn, sha256)
                if prev is not None:  # checked again under the writer lock
                    raise _AlreadyImported(prev.id)
            job = _Ingest(conn, result, origin)
            job.start_batch(file_name=file_name, file_path=file_path, sha256=sha256 or "",
                            fmt=fmt)
            with _indexes_built_after(conn):
                job.consume(events)
            job.finish(skip_known=skip_known, expected_sha=sha256)
    except _AlreadyImported as exc:
        close = getattr(events, "close", None)
        if close is not None:
            close()
        return IngestResult(unchanged_batch=exc.batch_id, sha256=result.sha256)
    return result


class _Ingest:
    """One statement's trip into the ledger: a handler per event type, the table writers,
    and what the batch row records at the end."""

    def __init__(self, conn: Connection, result: IngestResult, origin: str):
        self.conn = conn
        self.result = result
        self.origin = origin
        self.batch_id: int | None = None  # set by start_batch, before any row
        self.acct_w = Writer(conn, "account",
                              ["id", "alias", "base_currency", "first_seen"], ["id"])
        self.inst_w = Writer(conn, "instrument", INSTRUMENT_COLUMNS, ["id"])
        deps = (self.acct_w, self.inst_w)
        self.ex_w = Writer(conn, "execution", EXEC_COLUMNS,
                            ["account_id", "transaction_id"], deps)
        self.eae_w = Writer(conn, "option_event", EAE_EVENT_FIELDS + TAIL,
                             ["account_id", "event_key"], deps)
        self.cash_w = Writer(conn, "cash_transaction", CASH_EVENT_FIELDS + SOURCE,
                              ["account_id", "transaction_id"], deps)
        self.pos_w = Writer(conn, "position_snapshot", POS_EVENT_FIELDS + TAIL,
                             ["account_id", "snapshot_key"], deps)
        self.lot_w = Writer(conn, "closed_lot", LOT_EVENT_FIELDS + SOURCE,
                             ["account_id", "lot_key"], deps)
        self.bal_w = Writer(conn, "cash_balance", BALANCE_EVENT_FIELDS + SOURCE,
                             ["account_id", "balance_key"], deps)
        self.ca_w = Writer(conn, "corporate_action",
                            CA_EVENT_FIELDS + TAIL_STATUS, ["account_id", "action_key"], deps)
        self.xfer_w = Writer(conn, "transfer",
                              TRANSFER_EVENT_FIELDS + TAIL_STATUS,
                              ["account_id", "transfer_key"], deps)
        sqlite = conn.dialect.name == "sqlite"
        self.pick_exec = picker(TradeRow, EXEC_EVENT_FIELDS, "execution", sqlite)
        self.pick_eae = picker(OptionEAERow, EAE_EVENT_FIELDS, "option_event", sqlite)
        self.pick_cash = picker(CashRow, CASH_EVENT_FIELDS, "cash_transaction", sqlite)
        self.pick_pos = picker(OpenPositionRow, POS_EVENT_FIELDS, "position_snapshot", sqlite)
        self.pick_lot = picker(ClosedLotRow, LOT_EVENT_FIELDS, "closed_lot", sqlite)
        self.pick_balance = picker(CashBalanceRow, BALANCE_EVENT_FIELDS, "cash_balance", sqlite)
        self.pick_ca = picker(CorporateActionRow, CA_EVENT_FIELDS, "corporate_action", sqlite)
        self.pick_transfer = picker(TransferRow, TRANSFER_EVENT_FIELDS, "transfer", sqlite)
        self.writers = [self.acct_w, self.inst_w, self.ex_w, self.eae_w, self.cash_w,
                        self.pos_w, self.lot_w, self.bal_w, self.ca_w,
                        self.xfer_w]  # in dependency order
        self.known_accounts: set[str] = set(
            conn.execute(text("SELECT id FROM account")).scalars().all())
        self.seen_instruments: set[str] = set()
        self.accounts: dict[str, None] = {}  # of this file, in order
        self.periods: list[tuple] = []
        self.base_currency: dict[str, tuple] = {}
        self.now = datetime.now(UTC).replace(tzinfo=None)
        self.summary: ParseSummary | None = None
        self.cancels = self.corrections = 0
        self.known_rows = {"trade": 0, "option_event": 0, "cash": 0}
        self.handlers: dict[type, Callable[[Any], None]] = {
            TradeRow: self.trade, KnownRow: self.known_row, OptionEAERow: self.option_event,
            CashRow: self.cash, OpenPositionRow: self.position, CashBalanceRow: self.balance,
            ClosedLotRow: self.closed_lot, StatementStart: self.statement,
            CorporateActionRow: self.corporate_action, TransferRow: self.transfer,
            AccountInfo: self.account_info, ParseSummary: self.parse_summary,
        }

    def start_batch(self, *, file_name, file_path, sha256, fmt) -> None:
        batch_table = _table("import_batch")
        # The plain table declares no primary key or column defaults: the id comes back by
        # RETURNING, and the counters start at the models' default (0) until finish().
        key = self.conn.execute(
            batch_table.insert().values(
                file_name=file_name, file_path=file_path, sha256=sha256, format=fmt,
                imported_at=self.now, new_executions=0, duplicate_executions=0, cancels=0,
                new_option_events=0, new_cash_transactions=0)
            .returning(batch_table.c.id)).scalar_one()
        self.batch_id = self.result.batch_id = int(key)

    def consume(self, events) -> None:
        handlers = self.handlers
        for ev in events:
            handlers[type(ev)](ev)
        for w in self.writers:
            w.flush()

    # -- shared ----------------------------------------------------------------------------
    def account(self, acc: str) -> None:
        if acc in self.accounts:  # nearly every row: its account was met before
            return
        self.accounts[acc] = None
        if acc not in self.known_accounts:
            self.known_accounts.add(acc)
            self.acct_w.add((acc, None, None, self.now))

    def instrument(self, row) -> str:
        key = instrument_key(row)
        if key not in self.seen_instruments:
            self.seen_instruments.add(key)
            underlying_conid = getattr(row, "underlying_conid", None)
            if underlying_conid is None and isinstance(row, TradeRow):  # not typed on trades
                underlying_conid = (row.raw.get("underlyingConid") or "").strip() or None
            self.inst_w.add((key, row.conid, row.asset_category, row.symbol,
                             getattr(row, "description", None), row.underlying_symbol,
                             underlying_conid, row.put_call, row.strike,
                             row.expiry, row.multiplier, row.currency,
                             getattr(row, "listing_exchange", None)))
        return key

    # -- one handler per event type ----------------------------------------------------------
    def trade(self, ev: TradeRow) -> None:
        self.account(ev.account_id)
        inst = self.instrument(ev)
        status = ACTIVE
        if is_cancel(ev):
            status = CANCEL
            self.cancels += 1
        elif ev.transaction_type == "TradeCorrect":
            self.corrections += 1
        self.ex_w.add((*self.pick_exec(ev), inst, status, self.origin,
                       match_key(ev.account_id,
                                 match_instrument(ev.symbol, ev.underlying_symbol, ev.put_call,
                                                  ev.strike, ev.expiry),
                                 ev.date_time, ev.quantity, ev.trade_price),
                       self.batch_id, ev.source.line, raw_json(ev.raw)))

    def known_row(self, ev: KnownRow) -> None:
        self.known_rows[ev.kind] += 1
        self.cancels += ev.cancel

    def option_event(self, ev: OptionEAERow) -> None:
        self.account(ev.account_id)
        inst = self.instrument(ev)
        self.eae_w.add((*self.pick_eae(ev), inst, self.batch_id, ev.source.line, raw_json(ev.raw)))

    def cash(self, ev: CashRow) -> None:
        self.account(ev.account_id)
        self.cash_w.add((*self.pick_cash(ev), self.batch_id, ev.source.line, raw_json(ev.raw)))

    def position(self, ev: OpenPositionRow) -> None:
        self.account(ev.account_id)
        inst = self.instrument(ev)
        self.pos_w.add((*self.pick_pos(ev), inst, self.batch_id, ev.source.line, raw_json(ev.raw)))

    def balance(self, ev: CashBalanceRow) -> None:
        self.account(ev.account_id)
        self.bal_w.add((*self.pick_balance(ev), self.batch_id, ev.source.line, raw_json(ev.raw)))

    def closed_lot(self, ev: ClosedLotRow) -> None:
        self.account(ev.account_id)
        self.lot_w.add((*self.pick_lot(ev), self.batch_id, ev.source.line, raw_json(ev.raw)))

    def corporate_action(self, ev: CorporateActionRow) -> None:
        self.account(ev.account_id)
        inst = self.instrument(ev)
        status = CANCEL if "Ca" in vocab.codes(ev.code) else ACTIVE
        self.ca_w.add((*self.pick_ca(ev), inst, status, self.batch_id, ev.source.line,
                       raw_json(ev.raw)))

    def transfer(self, ev: TransferRow) -> None:
        self.account(ev.account_id)
        inst = self.instrument(ev)
        status = CANCEL if "Ca" in vocab.codes(ev.code) else ACTIVE
        self.xfer_w.add((*self.pick_transfer(ev), inst, status, self.batch_id, ev.source.line,
                         raw_json(ev.raw)))

    def statement(self, ev: StatementStart) -> None:
        self.account(ev.account_id)
        if ev.period_from or ev.period_to:  # no period: the statement covers no trades
            self.periods.append((ev.period_from, ev.period_to, ev.when_generated))

    def account_info(self, ev: AccountInfo) -> None:
        self.account(ev.account_id)
        self.base_currency[ev.account_id] = (ev.base_currency, ev.alias)

    def parse_summary(self, ev: ParseSummary) -> None:
        self.summary = ev

    # -- after the last event ----------------------------------------------------------------
    def finish(self, *, skip_known: bool, expected_sha: str | None) -> None:
        conn, result = self.conn, self.result
        summary = self.summary
        if summary is not None and summary.sha256:
            result.sha256 = summary.sha256
            if skip_known:
                prev = _batch_with_sha(conn, summary.sha256, other_than=self.batch_id)
                if prev is not None:
                    raise _AlreadyImported(prev.id)
        self._update_accounts()
        linked = (0, 0, 0)
        action_copies = (0, 0)
        if self.accounts:
            apply_cancellations(conn, list(self.accounts))
            linked = link_cross_format(conn, list(self.accounts), self.batch_id or 0)
            if self.ca_w.written or self.xfer_w.written:
                apply_action_cancels(conn, list(self.accounts))
                action_copies = link_action_copies(conn, list(self.accounts),
                                                   self.batch_id or 0)
        result.accounts = list(self.accounts)
        # CSV rows of this file that duplicate Flex rows count as duplicates, not as new rows
        ex_w = self.ex_w
        result.new_executions = ex_w.written - linked[0]
        result.duplicate_executions = (ex_w.offered - ex_w.written + linked[0]
                                       + self.known_rows["trade"])
        result.cancels = self.cancels
        result.corrections = self.corrections
        result.new_option_events = self.eae_w.written - linked[1]
        result.new_cash_transactions = self.cash_w.written - linked[2]
        result.new_open_positions = self.pos_w.written
        result.new_closed_lots = self.lot_w.written
        result.new_corporate_actions = self.ca_w.written - action_copies[0]
        result.new_transfers = self.xfer_w.written - action_copies[1]
        if summary is not None:
            result.counts = dict(summary.counts)
            result.warnings = tuple(summary.warnings)
            if expected_sha and summary.sha256 and summary.sha256 != expected_sha:
                result.warnings += (("the file changed while it was being imported: the "
                                    "ledger records the version that was read"),)
        self._update_batch()

    def _update_accounts(self) -> None:
        acct_table = _table("account")
        for acc, (cur, alias) in self.base_currency.items():
            if cur:
                self.conn.execute(update(acct_table).where(acct_table.c.id == acc)
                                  .where(acct_table.c.base_currency.is_(None))
                                  .values(base_currency=cur))
            if alias:
                self.conn.execute(update(acct_table).where(acct_table.c.id == acc)
                                  .where(acct_table.c.alias.is_(None)).values(alias=alias))

    def _update_batch(self) -> None:
        result = self.result
        batch_table = _table("import_batch")
        froms = [p[0] for p in self.periods if p[0]]
        tos = [p[1] for p in self.periods if p[1]]
        gens = [p[2] for p in self.periods if p[2]]
        values = {
            "accounts": ",".join(self.accounts) or None,
            "period_from": min(froms) if froms else None,
            "period_to": max(tos) if tos else None,
            "when_generated": max(gens) if gens else None,
            "new_executions": result.new_executions,
            "duplicate_executions": result.duplicate_executions,
            "cancels": self.cancels,
            "new_option_events": result.new_option_events,
            "new_cash_transactions": result.new_cash_transactions,
            "counts": json.dumps(result.counts, sort_keys=True),
            "warnings": json.dumps(list(result.warnings)),
        }
        if result.sha256:
            values["sha256"] = result.sha256
        self.conn.execute(update(batch_table).where(batch_table.c.id == self.batch_id)
                          .values(**values))


def set_cycle_override(engine: Engine, account: str, transaction_id: str,
                       label: str | None) -> None:
    """Put one execution into the user's wheel cycle ``label`` (None removes the choice).
    Imported rows are never edited: the choice lives in ``cycle_override``."""
    from journal import models  # not on the import path (see _table)

    table = models.table("cycle_override")
    with writer(engine) as conn:
        conn.execute(table.delete().where(table.c.account_id == account)
                     .where(table.c.transaction_id == transaction_id))
        if label:
            conn.execute(table.insert().values(
                account_id=account, transaction_id=transaction_id, cycle_label=label,
                created_at=datetime.now(UTC).replace(tzinfo=None)))

