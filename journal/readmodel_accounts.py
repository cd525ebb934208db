"""The ledger's accounts and extent, read without loading the ledger: the small queries
behind ``journal accounts``, ``--account`` checks and ``cycles assign`` (one snapshot each).
The records the rules read are in :mod:`journal.readmodel`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from journal.dbconn import snapshot
from journal.readmodel import _periods, _to_date

if TYPE_CHECKING:
    from journal.dbconn import Source


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



def load_accounts(engine: Source) -> list:
    """Per account: what the ledger holds and the statements' periods (``accounts``)."""
    with snapshot(engine) as conn:
        accts = conn.rows("SELECT id, alias, base_currency FROM account ORDER BY id")
        stats = {r[0]: (r[1], _to_date(r[2]), _to_date(r[3])) for r in conn.rows(
            "SELECT account_id, count(*), min(trade_date), max(trade_date) FROM execution "
            "WHERE status = 'active' GROUP BY account_id")}
        cash: dict[str, int] = dict(conn.rows(  # type: ignore[arg-type]
            "SELECT account_id, count(*) FROM cash_transaction GROUP BY account_id"))
        events: dict[str, int] = dict(conn.rows(  # type: ignore[arg-type]
            "SELECT account_id, count(*) FROM option_event GROUP BY account_id"))
        batches = [accs for (accs,) in conn.rows("SELECT accounts FROM import_batch")]
        periods = _periods(conn)
    out = []
    for acc, alias, base in accts:
        n, first, last = stats.get(acc, (0, None, None))
        out.append(AccountOverview(
            acc, alias, base, n, first, last, events.get(acc, 0), cash.get(acc, 0),
            sum(1 for accs in batches if accs and acc in accs.split(",")),
            tuple((f, t) for x, f, t in periods if x == acc and f and t)))
    return out


def load_account_ids(engine: Source) -> list[str]:
    """The accounts the ledger knows (to check an ``--account`` filter against)."""
    with snapshot(engine) as conn:
        return [r[0] for r in conn.rows("SELECT id FROM account ORDER BY id")]


def accounts_with_transaction(engine: Source, transaction_id: str) -> list[str]:
    """The accounts holding an execution with this transaction id (``cycles assign``)."""
    with snapshot(engine) as conn:
        return sorted({r[0] for r in conn.rows(
            "SELECT account_id FROM execution WHERE transaction_id = :t",
            {"t": transaction_id})})


def load_ledger_end(engine: Source) -> date | None:
    """:attr:`LedgerData.ledger_end` without loading the ledger: the later of the last
    statement day and the last active trade."""
    with snapshot(engine) as conn:
        last_trade = conn.scalar(
            "SELECT max(trade_date) FROM execution WHERE status = 'active'")
        last_period = conn.scalar("SELECT max(period_to) FROM import_batch")
    days = [_to_date(d) for d in (last_trade, last_period) if d]
    return max(days) if days else None


def holder_of(engine: Source, transaction_id: str, account: str | None, choose: str) -> str:
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
