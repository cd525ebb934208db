"""Where a ledger row came from: the statement file, the line in it and every attribute
IB wrote, for the trail from a tax figure down to the statement (``journal serve``).

Part of the read model (:mod:`journal.readmodel`): one snapshot, nothing written. It is
kept apart because only the trail reads the stored ``raw`` attributes and the import
batches' file names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import null, select
from sqlalchemy.engine import Engine

from journal import models
from journal.db import snapshot
from journal.readmodel import _to_date, _to_datetime, _to_decimal


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """An execution (or corporate action, or transfer) row with where it came from: the
    statement file, the line in it and every attribute IB wrote (``raw``), for the trail
    from a tax line to the statement."""

    account: str
    transaction_id: str
    trade_date: date | None
    date_time: datetime | None
    description: str
    quantity: Decimal | None
    price: Decimal | None
    net_cash: Decimal | None
    currency: str | None
    open_close: str | None
    notes: str | None
    status: str
    origin: str | None
    file_name: str | None
    file_format: str | None
    imported_at: datetime | None
    source_line: int | None
    batch_id: int | None
    raw: str | None  # JSON object of the row's attributes, as stored


def load_sources(engine: Engine, account: str, transaction_ids) -> list:
    """Every stored execution of ``account`` with one of ``transaction_ids`` (all
    statuses: a cancelled or duplicate row is part of the story), with its statement."""
    ex = models.table("execution")
    ib = models.table("import_batch")
    ids = sorted({str(t) for t in transaction_ids if t})
    if not ids:
        return []
    q = (select(ex.c.account_id, ex.c.transaction_id, ex.c.trade_date, ex.c.date_time,
                ex.c.description, ex.c.symbol, ex.c.quantity, ex.c.trade_price,
                ex.c.net_cash, ex.c.currency, ex.c.open_close, ex.c.notes, ex.c.status,
                ex.c.origin, ib.c.file_name, ib.c.format, ib.c.imported_at,
                ex.c.source_line, ex.c.batch_id, ex.c.raw)
         .select_from(ex.outerjoin(ib, ex.c.batch_id == ib.c.id))
         .where(ex.c.account_id == account).where(ex.c.transaction_id.in_(ids))
         .order_by(ex.c.trade_date, ex.c.date_time, ex.c.id))
    with snapshot(engine) as conn:  # a handful of rows: the typed path is cheap here
        rows: list = list(conn.execute(q).all())
        # a corporate action or transfer is named by its own key (its transactionID, else
        # the ledger's hash), as the lines the rules booked from it are
        rows += _action_rows(conn, ib, account, ids)
    return [SourceRecord(acc, tx, _to_date(day), _to_datetime(dt), desc or (sym or "").strip(),
                         _to_decimal(qty), _to_decimal(price), _to_decimal(net), ccy, oc,
                         notes, status, origin, fname, fmt, _to_datetime(when), line, batch,
                         raw)
            for (acc, tx, day, dt, desc, sym, qty, price, net, ccy, oc, notes, status, origin,
                 fname, fmt, when, line, batch, raw) in rows]


def _action_rows(conn, ib, account: str, ids: list[str]) -> list:
    """The CorporateAction and Transfer rows of ``ids``, in the columns of an execution's
    (their cash as net cash, IB's code as notes)."""
    out: list = []
    ca, tr = models.table("corporate_action"), models.table("transfer")
    for t, key, day, moment, cash in (
            (ca, "action_key", "action_date", ca.c.date_time, "proceeds"),
            (tr, "transfer_key", "transfer_date", null(), "cash_transfer")):
        out += conn.execute(
            select(t.c.account_id, t.c[key], t.c[day], moment, t.c.description,
                   t.c.symbol, t.c.quantity, null(), t.c[cash], t.c.currency, null(), t.c.code,
                   t.c.status, t.c.origin, ib.c.file_name, ib.c.format, ib.c.imported_at,
                   t.c.source_line, t.c.batch_id, t.c.raw)
            .select_from(t.outerjoin(ib, t.c.batch_id == ib.c.id))
            .where(t.c.account_id == account).where(t.c[key].in_(ids))
            .order_by(t.c[day], t.c.id)).all()
    return out
