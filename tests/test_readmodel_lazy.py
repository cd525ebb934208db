"""The executions' details (prices, IB's order id, the import's file and line) are read from the
ledger when first asked for, and are then what reading them with the rest would give:
after the read's snapshot closed, after another import, on both backends. The columns of
a chunk and the rows one by one make the same records."""

from __future__ import annotations

import dataclasses
import pickle
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from journal import db, imports, readmodel_executions, readmodel_tables
from journal.errors import LedgerError
from journal.readmodel import DETAILS, load_ledger

from conftest import FIXTURES, SAMPLES
from ledger_helpers import write_statement

LEDGERS = {
    "samples": [SAMPLES / "wheel_2025_multi.xml", SAMPLES / "wheel_2025_U7654321.xml"],
    "activity_csv": [SAMPLES / "wheel_2025_U7654321_activity.csv"],
    "rules_fixtures": sorted((FIXTURES / "rules").glob("*.xml")),
    "fx_cad": [FIXTURES / "rules" / "fx_cad_in_usd_account.xml"],
}


def _ledger(tmp_path, files, target=None):
    engine = db.open_ledger(target or str(tmp_path / "ledger.db"))
    for f in files:
        imports.import_file(engine, f)
    return engine


def _fields(rec) -> tuple:
    return tuple(getattr(rec, f.name) for f in dataclasses.fields(rec))


def _stored_details(engine) -> dict:
    """Every execution's details as the ledger stores them (through the table types)."""
    ex = readmodel_tables.table("execution")
    cols = {"trade_price": ex.c.trade_price, "ib_order_id": ex.c.ib_order_id,
            "close_price": ex.c.close_price, "batch_id": ex.c.batch_id,
            "source_line": ex.c.source_line}
    assert tuple(cols) == DETAILS
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(select(ex.c.id, *cols.values()))}


def _reads(monkeypatch) -> list:
    calls: list = []
    real = readmodel_executions._Details._read

    def counted(self):
        calls.append(self.span)
        return real(self)

    monkeypatch.setattr(readmodel_executions._Details, "_read", counted)
    return calls


@pytest.mark.parametrize("name", sorted(LEDGERS))
def test_columns_and_rows_make_the_same_records(tmp_path, monkeypatch, name):
    engine = _ledger(tmp_path, LEDGERS[name])
    by_column = load_ledger(engine)
    monkeypatch.setattr(readmodel_executions, "COLUMNAR", False)
    by_row = load_ledger(engine)
    assert by_column.executions
    assert [_fields(e) for e in by_column.executions] == [_fields(e) for e in by_row.executions]
    assert by_column.prices == by_row.prices
    # and the details are the stored ones (prices stay in the listing currency)
    stored = _stored_details(engine)
    for e in by_column.executions:
        assert tuple(getattr(e, n) for n in DETAILS) == stored[e.seq], e.transaction_id
    engine.dispose()


def test_unusual_rows_are_read_one_by_one(tmp_path):
    """No quantity, an FX conversion, no net cash, amounts in CAD: the row path."""
    engine = _ledger(tmp_path, [SAMPLES / "wheel_2025_U7654321.xml"])
    plain = {e.seq: e for e in load_ledger(engine).executions}
    seqs = sorted(plain)
    no_qty, fx_row, no_net, cad = seqs[:4]
    with engine.begin() as conn:
        conn.execute(text("UPDATE execution SET quantity = NULL WHERE id = :i"), {"i": no_qty})
        conn.execute(text("UPDATE execution SET asset_category = 'CASH' WHERE id = :i"),
                     {"i": fx_row})
        conn.execute(text("UPDATE execution SET net_cash = NULL, proceeds = '100.5', "
                          "commission = '-1.25', taxes = '-0.25' WHERE id = :i"), {"i": no_net})
        conn.execute(text("UPDATE execution SET currency = 'CAD', fx_rate_to_base = '0.75' "
                          "WHERE id = :i"), {"i": cad})
    data = load_ledger(engine)
    got = {e.seq: e for e in data.executions}
    assert no_qty not in got and fx_row not in got
    assert len(got) == len(plain) - 2
    assert got[no_net].net_cash == Decimal("99.00")
    assert (got[no_net].proceeds, got[no_net].commission) == (Decimal("100.5"),
                                                              Decimal("-1.25"))
    was, now = plain[cad], got[cad]
    assert (now.currency, now.trade_currency, now.converted) == ("USD", "CAD", True)
    assert now.net_cash == was.net_cash * Decimal("0.75")
    assert now.commission == was.commission * Decimal("0.75")
    assert now.fx_rate_to_base == Decimal("0.75")
    assert now.trade_price == was.trade_price  # prices stay in the listing currency
    for seq in set(got) - {no_net, cad}:
        assert _fields(got[seq]) == _fields(plain[seq])
    engine.dispose()


def test_the_rules_read_no_details_and_a_reader_reads_them_once(tmp_path, monkeypatch):
    from journal import rules
    from journal.settings import Settings

    calls = _reads(monkeypatch)
    engine = _ledger(tmp_path, LEDGERS["samples"])
    data = load_ledger(engine)
    result = rules.run_rules(data, Settings())
    assert result.realized and calls == []
    assert load_ledger(engine) == data and hash(data.executions[0])  # nor do == and hash
    assert calls == []
    first, last = data.executions[0], data.executions[-1]
    assert first.source_line is not None and calls == [(first.seq, last.seq)]
    assert [e.trade_price for e in data.executions] and len(calls) == 1
    assert repr(first).count("not read") == 0


def test_replace_and_pickle_keep_the_details(tmp_path):
    engine = _ledger(tmp_path, LEDGERS["samples"])
    e = load_ledger(engine).executions[5]
    copy = pickle.loads(pickle.dumps(e))
    moved = dataclasses.replace(load_ledger(engine).executions[5], symbol="X")
    assert _fields(copy) == _fields(e)
    assert moved.source_line == e.source_line and moved.trade_price == e.trade_price
    engine.dispose()


def test_details_read_later_are_the_first_reads(backend, tmp_path, monkeypatch):
    """After the read's snapshot closed and another import committed (new rows, and a
    re-import of the first statement), inside another snapshot or outside any."""
    _, target = backend
    engine = _ledger(tmp_path, [write_statement(tmp_path / "a.xml", range(0, 40))], target)
    early, late = load_ledger(engine), load_ledger(engine)
    want = {e.seq: tuple(getattr(e, n) for n in DETAILS) for e in load_ledger(engine).executions}
    calls = _reads(monkeypatch)
    writer = db.open_ledger(target)
    imports.import_file(writer, write_statement(tmp_path / "b.xml", range(20, 80),
                                                account="U9000002"))
    imports.import_file(writer, tmp_path / "a.xml", force=True)
    writer.dispose()
    with db.snapshot(engine):
        inside = {e.seq: tuple(getattr(e, n) for n in DETAILS) for e in early.executions}
    outside = {e.seq: tuple(getattr(e, n) for n in DETAILS) for e in late.executions}
    assert inside == outside == want and len(want) == 40 and len(calls) == 2
    assert all(v[0] is not None and v[3] is not None for v in want.values())
    engine.dispose()


def test_a_row_gone_from_the_ledger_is_one_clear_line(tmp_path):
    engine = _ledger(tmp_path, LEDGERS["samples"])
    e = load_ledger(engine).executions[3]
    with engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        conn.execute(text("DELETE FROM execution WHERE id = :i"), {"i": e.seq})
    with pytest.raises(LedgerError, match=f"execution {e.seq} .*run the command again"):
        e.trade_price  # noqa: B018
    engine.dispose()
