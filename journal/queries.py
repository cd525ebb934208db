"""Listing rows as plain dicts, for callers that predate the views layer (the import
command's coverage note, a few tests). Reads through :mod:`journal.readmodel`; the
columns are the views' (:mod:`journal.views.ledger`). Cheap to import: the database layer
loads only when a function runs."""

from __future__ import annotations

from datetime import date

from journal.views import ledger

TRADE_COLUMNS = [c.key for c in ledger.TRADE_COLUMNS]
ACCOUNT_COLUMNS = [c.key for c in ledger.ACCOUNT_COLUMNS]


def trades(engine, *, account: str | None = None, symbol: str | None = None,
           date_from: date | None = None, date_to: date | None = None,
           include_voided: bool = False) -> list[dict]:
    from journal import readmodel

    records = readmodel.load_trades(engine, accounts=(account,) if account else (),
                                    date_from=date_from, date_to=date_to,
                                    include_voided=include_voided)
    return [dict(r) for r in ledger.trades(records, symbol=symbol).rows]


def accounts(engine) -> list[dict]:
    from journal import readmodel_accounts

    return ledger.account_rows(readmodel_accounts.load_accounts(engine))
