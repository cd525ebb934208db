"""The ledger's compiled pickers give each column the value the driver would have made of
the event's field (sqlite3's adapters on SQLite, str of a Decimal elsewhere)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from journal import ledger_rows as lr
from journal.events import (
    CashBalanceRow,
    CashRow,
    ClosedLotRow,
    CorporateActionRow,
    OpenPositionRow,
    OptionEAERow,
    TradeRow,
    TransferRow,
)
from journal.importers import identify

FIXTURES = Path(__file__).parent / "fixtures"
PICKED = {
    TradeRow: (lr.EXEC_EVENT_FIELDS, "execution"),
    OptionEAERow: (lr.EAE_EVENT_FIELDS, "option_event"),
    CashRow: (lr.CASH_EVENT_FIELDS, "cash_transaction"),
    OpenPositionRow: (lr.POS_EVENT_FIELDS, "position_snapshot"),
    ClosedLotRow: (lr.LOT_EVENT_FIELDS, "closed_lot"),
    CashBalanceRow: (lr.BALANCE_EVENT_FIELDS, "cash_balance"),
    CorporateActionRow: (lr.CA_EVENT_FIELDS, "corporate_action"),
    TransferRow: (lr.TRANSFER_EVENT_FIELDS, "transfer"),
}


def _events():
    """Every stored event of every fixture statement (Flex XML and CSV, Activity CSV)."""
    out = []
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix.lower() not in (".xml", ".csv"):
            continue
        try:
            out += [ev for ev in identify(path).parse(path) if type(ev) in PICKED]
        except Exception:  # fixtures of bad input: no events to pick
            continue
    return out


EVENTS = _events()


def _adapted(value, sqlite: bool):
    """What the driver stored before the pickers: sqlite3's registered adapters on SQLite,
    str of a Decimal (and dates as they are) elsewhere."""
    if isinstance(value, Decimal):
        return str(value)
    if sqlite and type(value) is date:
        return lr.sqlite_date(value)
    if sqlite and type(value) is datetime:
        return lr.sqlite_dt(value)
    return value


def test_the_fixtures_hold_every_kind_of_value():
    kinds = {type(v) for ev in EVENTS for v in ev}
    assert {Decimal, date, datetime} <= kinds
    assert {type(ev) for ev in EVENTS} >= {TradeRow, OptionEAERow, CashRow, OpenPositionRow}


@pytest.mark.parametrize("sqlite", [True, False], ids=["sqlite", "other"])
def test_picked_values_are_the_drivers(sqlite):
    for ev in EVENTS:
        fields, table = PICKED[type(ev)]
        picked = lr.picker(type(ev), fields, table, sqlite)(ev)
        expected = tuple(_adapted(getattr(ev, f), sqlite) for f in fields)
        assert picked == expected, (type(ev).__name__, ev.source)
        assert not any(isinstance(v, Decimal) for v in picked)  # none left to the adapter
