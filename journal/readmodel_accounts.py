"""The ledger's accounts and extent, read without loading the ledger: the small queries
behind ``journal accounts``, ``--account`` checks and ``cycles assign`` (one snapshot each).
The records the rules read are in :mod:`journal.readmodel`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from journal import readmodel_tables as tables
from journal.db import snapshot
from journal.readmodel import _periods, _to_date


@dataclass(frozen=True, slots=True)
class AccountOverview:
    """What the ledger holds for one account and the span its statements cover."""

    account: str
    alias: str | None
    base_currency: str | None
    executions: int
    first_trade: date | None
    last_trade: date | None
    option_events: int
    cash_transactions: int
    imports: int
    periods: tuple  # (from, to) of each statement, trimmed to the days it holds in full



def load_accounts(engine: Engine) -> list:
    """Per account: what the ledger holds and the statements' periods (``accounts``)."""
    a = tables.table("account")
    ex = tables.table("execution")
    ct = tables.table("cash_transaction")
    oe = tables.table("option_event")
    ib = tables.table("import_batch")
    with snapshot(engine) as conn:
        accts = conn.execute(select(a.c.id, a.c.alias, a.c.base_currency)
                             .order_by(a.c.id)).all()
        stats = {r[0]: (r[1], _to_date(r[2]), _to_date(r[3])) for r in conn.execute(
            select(ex.c.account_id, func.count(), func.min(ex.c.trade_date),
                   func.max(ex.c.trade_date))
            .where(ex.c.status == "active").group_by(ex.c.account_id))}
        cash: dict[str, int] = dict(conn.execute(  # type: ignore[arg-type]
            select(ct.c.account_id, func.count()).group_by(ct.c.account_id)).all())
        events: dict[str, int] = dict(conn.execute(  # type: ignore[arg-type]
            select(oe.c.account_id, func.count()).group_by(oe.c.account_id)).all())
        batches = [accs for (accs,) in conn.execute(select(ib.c.accounts))]
        periods = _periods(conn)
    out = []
    for acc, alias, base in accts:
        n, first, last = stats.get(acc, (0, None, None))
        out.append(AccountOverview(
            acc, alias, base, n, first, last, events.get(acc, 0), cash.get(acc, 0),
            sum(1 for accs in batches if accs and acc in accs.split(",")),
            tuple((f, t) for x, f, t in periods if x == acc and f and t)))
    return out


def load_account_ids(engine: Engine) -> list[str]:
    """The accounts the ledger knows (to check an ``--account`` filter against)."""
    a = tables.table("account")
    with snapshot(engine) as conn:
        return [r[0] for r in conn.execute(select(a.c.id).order_by(a.c.id))]


def accounts_with_transaction(engine: Engine, transaction_id: str) -> list[str]:
    """The accounts holding an execution with this transaction id (``cycles assign``)."""
    ex = tables.table("execution")
    with snapshot(engine) as conn:
        return sorted({r[0] for r in conn.execute(
            select(ex.c.account_id).where(ex.c.transaction_id == transaction_id))})


def load_ledger_end(engine: Engine) -> date | None:
    """:attr:`LedgerData.ledger_end` without loading the ledger: the later of the last
    statement day and the last active trade."""
    ex = tables.table("execution")
    ib = tables.table("import_batch")
    with snapshot(engine) as conn:
        last_trade = conn.execute(select(func.max(ex.c.trade_date))
                                  .where(ex.c.status == "active")).scalar()
        last_period = conn.execute(select(func.max(ib.c.period_to))).scalar()
    days = [_to_date(d) for d in (last_trade, last_period) if d]
    return max(days) if days else None


def holder_of(engine: Engine, transaction_id: str, account: str | None, choose: str) -> str:
    """The one account holding an execution with this transaction id (within ``account``
    when given); a JournalError ending in ``choose`` when several do, or one when none."""
    from journal.errors import JournalError

    holders = accounts_with_transaction(engine, transaction_id)
    if account:
        holders = [a for a in holders if a == account]
    if not holders:
        raise JournalError(f"no execution with transaction id {transaction_id}"
                           + (f" in account {account}" if account else ""))
    if len(holders) > 1:
        raise JournalError(f"transaction id {transaction_id} exists in accounts "
                           f"{', '.join(holders)}: {choose}")
    return holders[0]
