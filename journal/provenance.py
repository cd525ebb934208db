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

from sqlalchemy import select
from sqlalchemy.engine import Engine

from journal import models
from journal.db import snapshot
from journal.readmodel import _to_date, _to_datetime, _to_decimal


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """An execution row with where it came from: the statement file, the line in it and
    every attribute IB wrote (``raw``), for the trail from a tax line to the statement."""

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
        rows = conn.execute(q).all()
    return [SourceRecord(acc, tx, _to_date(day), _to_datetime(dt), desc or (sym or "").strip(),
                         _to_decimal(qty), _to_decimal(price), _to_decimal(net), ccy, oc,
                         notes, status, origin, fname, fmt, _to_datetime(when), line, batch,
                         raw)
            for (acc, tx, day, dt, desc, sym, qty, price, net, ccy, oc, notes, status, origin,
                 fname, fmt, when, line, batch, raw) in rows]
