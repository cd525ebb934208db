"""Read-only views of the ledger for listing commands (the rules layer reads its own)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from journal import coverage, models

TRADE_COLUMNS = [
    "account", "trade_date", "date_time", "symbol", "underlying", "asset", "put_call", "strike",
    "expiry", "buy_sell", "open_close", "quantity", "price", "proceeds", "commission",
    "net_cash", "currency", "notes", "type", "status", "transaction_id",
]


def trades(engine: Engine, *, account: str | None = None, symbol: str | None = None,
           date_from: date | None = None, date_to: date | None = None,
           include_voided: bool = False) -> list[dict]:
    ex = models.Execution.__table__
    q = select(ex)
    if account:
        q = q.where(ex.c.account_id == account)
    if symbol:
        s = symbol.upper()
        q = q.where((func.upper(ex.c.underlying_symbol) == s) | (func.upper(ex.c.symbol) == s)
                    | ((ex.c.underlying_symbol.is_(None)) & (func.upper(ex.c.symbol) == s)))
    if date_from:
        q = q.where(ex.c.trade_date >= date_from)
    if date_to:
        q = q.where(ex.c.trade_date <= date_to)
    if not include_voided:
        q = q.where(ex.c.status == "active")
    q = q.order_by(ex.c.account_id, ex.c.trade_date, ex.c.date_time, ex.c.id)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [{
        "account": r["account_id"], "trade_date": r["trade_date"], "date_time": r["date_time"],
        "symbol": r["description"] or (r["symbol"] or "").strip(),
        "underlying": r["underlying_symbol"] or (r["symbol"] or "").strip(),
        "asset": r["asset_category"], "put_call": r["put_call"], "strike": r["strike"],
        "expiry": r["expiry"], "buy_sell": r["buy_sell"], "open_close": r["open_close"],
        "quantity": r["quantity"], "price": r["trade_price"], "proceeds": r["proceeds"],
        "commission": r["commission"], "net_cash": r["net_cash"], "currency": r["currency"],
        "notes": r["notes"], "type": r["transaction_type"], "status": r["status"],
        "transaction_id": r["transaction_id"],
    } for r in rows]


ACCOUNT_COLUMNS = ["account", "alias", "base_currency", "executions", "first_trade",
                   "last_trade", "option_events", "cash_transactions", "imports",
                   "statements_from", "statements_to", "gaps"]


def accounts(engine: Engine) -> list[dict]:
    a = models.Account.__table__
    ex = models.Execution.__table__
    ct = models.CashTransaction.__table__
    oe = models.OptionEvent.__table__
    b = models.ImportBatch.__table__
    with engine.connect() as conn:
        accts = conn.execute(select(a).order_by(a.c.id)).mappings().all()
        ex_stats = {r[0]: r[1:] for r in conn.execute(
            select(ex.c.account_id, func.count(), func.min(ex.c.trade_date),
                   func.max(ex.c.trade_date))
            .where(ex.c.status == "active").group_by(ex.c.account_id))}
        cash = dict(conn.execute(select(ct.c.account_id, func.count()).group_by(ct.c.account_id)).all())
        eae = dict(conn.execute(select(oe.c.account_id, func.count()).group_by(oe.c.account_id)).all())
        batches = conn.execute(select(b.c.accounts, b.c.period_from, b.c.period_to,
                                      b.c.when_generated)).all()
    periods: dict = {}
    for accs, start, end, generated in batches:
        end = coverage.complete_through(end, generated)
        for acc in (accs or "").split(","):
            if acc and start and end:
                periods.setdefault(acc, []).append((start, end))
    out = []
    for r in accts:
        n, first, last = ex_stats.get(r["id"], (0, None, None))
        spans = coverage.merge(periods.get(r["id"], ()))
        out.append({
            "account": r["id"], "alias": r["alias"], "base_currency": r["base_currency"],
            "executions": n, "first_trade": first, "last_trade": last,
            "option_events": eae.get(r["id"], 0), "cash_transactions": cash.get(r["id"], 0),
            "imports": sum(1 for acc, *_ in batches if acc and r["id"] in acc.split(",")),
            "statements_from": spans[0][0] if spans else None,
            "statements_to": spans[-1][1] if spans else None,
            "gaps": "; ".join(f"{a}..{b}" for a, b in coverage.gaps(periods.get(r["id"], ())))
            or None,
        })
    return out
