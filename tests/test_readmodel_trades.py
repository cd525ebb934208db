"""The trades listing and the workbook's Ledger sheet read the executions column by column
(journal.readmodel_trades); every value must be the one a plain typed read of the row
gives, in the listing's column order, whatever the row holds."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select, text

from journal import db, imports, readmodel, readmodel_tables, readmodel_trades, vocab
from journal.views import ledger

from conftest import FIXTURES, SAMPLES
from ledger_helpers import write_statement

LEDGERS = {
    "samples": [SAMPLES / "wheel_2025_multi.xml", SAMPLES / "wheel_2025_U7654321.xml"],
    "activity_csv": [SAMPLES / "wheel_2025_U7654321_activity.csv"],
    "rules_fixtures": sorted((FIXTURES / "rules").glob("*.xml")),
}


def _ledger(tmp_path, files, target=None):
    engine = db.open_ledger(target or str(tmp_path / "ledger.db"))
    for f in files:
        imports.import_file(engine, f)
    return engine


def _typed_rows(engine, *, accounts=(), date_from=None, date_to=None,
                include_voided=False) -> list[tuple]:
    """The reference: each row read through the table's column types, then made into the
    listing's values one by one, as the listing documents them."""
    ex = readmodel_tables.table("execution")
    q = select(ex).order_by(ex.c.account_id, ex.c.trade_date, ex.c.date_time, ex.c.id)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = []
    for r in rows:
        if (accounts and r["account_id"] not in accounts) or \
                (date_from and r["trade_date"] < date_from) or \
                (date_to and r["trade_date"] > date_to) or \
                (not include_voided and r["status"] != "active"):
            continue
        sym = (r["symbol"] or "").strip()
        und = vocab.underlying_of(r["underlying_symbol"], sym, r["description"],
                                  option=vocab.is_option(r["asset_category"], r["put_call"]))
        out.append((r["account_id"], r["trade_date"], r["date_time"], r["description"] or sym,
                    und, r["asset_category"], r["put_call"], r["strike"], r["expiry"],
                    r["buy_sell"], r["open_close"], r["quantity"], r["trade_price"],
                    r["proceeds"], r["commission"], r["net_cash"], r["currency"], r["notes"],
                    r["transaction_type"], r["status"], r["transaction_id"]))
    return out


def _exact(rows) -> list[tuple]:
    """Values with their types and written form: Decimal('1.50') is not Decimal('1.5')."""
    return [tuple((type(v).__name__, str(v)) for v in r) for r in rows]


def test_the_values_are_in_the_listing_column_order():
    fields = [f.name for f in dataclasses.fields(readmodel.TradeRecord)]
    assert fields == [c.key for c in ledger.TRADE_COLUMNS]


@pytest.mark.parametrize("name", sorted(LEDGERS))
def test_columns_give_the_typed_rows(tmp_path, name):
    engine = _ledger(tmp_path, LEDGERS[name])
    got = list(readmodel_trades.trade_rows(engine))
    want = _typed_rows(engine)
    assert got and _exact(got) == _exact(want)
    records = readmodel.load_trades(engine)
    assert all(type(r) is readmodel.TradeRecord for r in records)
    assert [dataclasses.astuple(r) for r in records] == got
    engine.dispose()


def test_odd_rows_and_filters(backend, tmp_path, monkeypatch):
    """No description, a blank one, a padded symbol, a voided row, chunk borders; the
    account, date and voided filters; on both backends."""
    monkeypatch.setattr(readmodel_trades, "CHUNK", 7)
    _, target = backend
    engine = _ledger(tmp_path, [write_statement(tmp_path / "a.xml", range(0, 30)),
                                write_statement(tmp_path / "b.xml", range(10, 25),
                                                account="U9000002")], target)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM execution ORDER BY id"))]
        conn.execute(text("UPDATE execution SET description = NULL, symbol = '  KO ' "
                          "WHERE id = :i"), {"i": ids[1]})
        conn.execute(text("UPDATE execution SET description = '' WHERE id = :i"),
                     {"i": ids[8]})
        conn.execute(text("UPDATE execution SET description = NULL, symbol = NULL "
                          "WHERE id = :i"), {"i": ids[9]})
        conn.execute(text("UPDATE execution SET status = 'cancelled' WHERE id = :i"),
                     {"i": ids[3]})
        conn.execute(text("UPDATE execution SET underlying_symbol = NULL, symbol = NULL, "
                          "description = 'KO 17JAN25 50 P' WHERE id = :i"), {"i": ids[12]})
    cases = [{}, {"include_voided": True}, {"accounts": ("U9000002",)},
             {"date_from": date(2025, 1, 10), "date_to": date(2025, 3, 1)}]
    for kw in cases:
        got, want = list(readmodel_trades.trade_rows(engine, **kw)), _typed_rows(engine, **kw)
        assert got and _exact(got) == _exact(want), kw
    everything = list(readmodel_trades.trade_rows(engine, include_voided=True))
    assert "cancelled" in {r[19] for r in everything}
    assert "" in {r[3] for r in everything}  # no description and no symbol
    assert "KO" in {r[4] for r in everything}  # the underlying from the description
    engine.dispose()
