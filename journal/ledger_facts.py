"""The user's facts the statements lack, written to the ledger (re-exported by
:mod:`journal.ledger`, the only writer): the basis of shares transferred in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from journal.db import writer
from journal.errors import JournalError


def set_transfer_basis(engine: Engine, rows: list, source_file: str) -> int:
    """Store the user's basis file: it states the whole truth for every (account, symbol)
    it names, so their earlier rows are replaced and loading it again changes nothing."""
    from journal import models  # imported here: journal.ledger (every import) loads this module

    table = models.table("transfer_basis")
    now = datetime.now(UTC).replace(tzinfo=None)
    with writer(engine) as conn:
        known = set(conn.execute(text("SELECT id FROM account")).scalars())
        missing = sorted({r.account for r in rows} - known)
        if missing:
            raise JournalError(f"{source_file}: account {', '.join(missing)} is not in the "
                               "ledger (import its statements first); nothing stored")
        for account, symbol in sorted({(r.account, r.symbol) for r in rows}):
            conn.execute(table.delete().where(table.c.account_id == account)
                         .where(table.c.symbol == symbol))
        conn.execute(table.insert(), [
            {"account_id": r.account, "symbol": r.symbol, "quantity": r.quantity,
             "acquired": r.acquired, "basis": r.basis, "source_file": source_file,
             "source_line": r.line, "created_at": now} for r in rows])
    return len(rows)


def set_action_override(engine: Engine, account: str, group: str, field: str,
                        value: str | None) -> None:
    """A fact about one corporate action that the statements lack (a spinoff's basis
    split, a worthless year); None removes it. Imported rows are never edited."""
    from journal import models

    table = models.table("corporate_action_override")
    with writer(engine) as conn:
        conn.execute(table.delete().where(table.c.account_id == account)
                     .where(table.c.group_key == group).where(table.c.field == field))
        if value is not None:
            conn.execute(table.insert().values(
                account_id=account, group_key=group, field=field, value=value,
                created_at=datetime.now(UTC).replace(tzinfo=None)))
