"""Corporate actions and transfers into the ledger (issue 14, import): every fixture of
tests/fixtures/corporate_actions imports, DETAIL rows are stored once, SUMMARY twins and
TransferLot rows are counted and skipped, IB's ``Ca`` reversal voids its original in
either file order, unknown type codes are kept with a warning, a CSV row that repeats a
Flex row is stored as its duplicate, and the public statements with actions import."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from journal import db as jdb
from journal import models
from tests.conftest import FIXTURES, PUBLIC, requires_public

CA = FIXTURES / "corporate_actions"

# file -> (corporate-action rows, of them active, transfer rows), read off each file's rows
EXPECTED = {
    "split_assigned_cc_called_away.xml": (1, 1, 0),  # + a SUMMARY twin, skipped
    "split_assigned_cc_called_away.csv": (1, 1, 0),
    "put_split_expires.xml": (1, 1, 0),  # the FS row on the option
    "put_split_renamed_expires.xml": (0, 0, 0),  # IB sent no row
    "put_reverse_split_assigned.xml": (0, 0, 0),
    "reverse_split_cash_in_lieu.xml": (2, 2, 0),  # XYZ.OLD -355, XYZ +35.5
    "id_change_sale.xml": (2, 2, 0),  # + two SUMMARY twins
    "cash_merger.xml": (1, 1, 0),
    "stock_merger_boot.xml": (2, 2, 0),
    "stock_merger_taxable.xml": (2, 2, 0),
    "spinoff.xml": (3, 1, 0),  # posted, cancelled (Ca), rebooked
    "delisted_worthless.xml": (1, 1, 0),
    "transfer_in_ib_lots.xml": (0, 0, 1),  # + a TransferLot, skipped
    "transfer_in_no_basis.xml": (0, 0, 1),
    "transfer_in_wash_sale.xml": (0, 0, 1),
    "transfer_between_accounts.xml": (0, 0, 2),  # OUT of U9000001, IN to U9000002
    "transfer_out.xml": (0, 0, 1),
    "transfer_out.csv": (0, 0, 1),
    "unknown_type.xml": (1, 1, 0),
    # wheel views across actions (tests/test_wheel_actions.py)
    "wheel_stock_merger_called_away.xml": (2, 2, 0),
    "wheel_id_change_called_away.xml": (2, 2, 0),
    "wheel_put_assigned_delisted.xml": (1, 1, 0),
    "wheel_put_assigned_transfer_out.xml": (0, 0, 1),
    "wheel_spinoff_child_sold.xml": (1, 1, 0),
}


def _rows(db_path: str, table: str) -> list:
    engine = jdb.make_engine(db_path)
    try:
        with engine.connect() as conn:
            t = models.table(table)
            return conn.execute(select(t).order_by(t.c.id)).all()
    finally:
        engine.dispose()


def _import_json(run, path) -> dict:
    res = run("import", path, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)[0]


def test_every_fixture_is_listed():
    statements = {p.name for p in CA.iterdir()
                  if p.suffix in (".xml", ".csv") and not p.name.endswith(".basis.csv")}
    assert statements == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_imports_and_reimport_adds_nothing(run, db_path, tmp_path, name):
    total, active, transfers = EXPECTED[name]
    first = _import_json(run, CA / name)
    assert first["corporate_actions"] == total
    assert first["transfers"] == transfers
    cas = _rows(db_path, "corporate_action")
    assert len(cas) == total
    assert sum(r.status == "active" for r in cas) == active
    assert len(_rows(db_path, "transfer")) == transfers
    # the same rows in other bytes (a re-downloaded statement): stored once
    copy = tmp_path / f"again_{name}"
    copy.write_bytes((CA / name).read_bytes() + b"\n\n")
    again = _import_json(run, copy)
    assert (again["corporate_actions"], again["transfers"]) == (0, 0)
    assert len(_rows(db_path, "corporate_action")) == total
    assert len(_rows(db_path, "transfer")) == transfers


def test_stored_row_is_ibs_row(run, db_path):
    _import_json(run, CA / "reverse_split_cash_in_lieu.xml")
    legs = {r.symbol: r for r in _rows(db_path, "corporate_action")}
    old, new = legs["XYZ.OLD"], legs["XYZ"]
    assert (old.type, old.conid, old.isin, old.quantity) == ("RS", "1001", "US9840001012",
                                                            Decimal(-355))
    assert (new.conid, new.quantity, new.action_id) == ("1002", Decimal("35.5"), old.action_id)
    assert str(new.date_time) == "2025-03-14 20:25:00" and str(new.action_date) == "2025-03-14"
    assert new.report_date is not None and new.status == "active"


def test_summary_twins_and_transfer_lots_are_counted_not_stored(run, db_path, tmp_path):
    res = _import_json(run, CA / "id_change_sale.xml")
    assert res["skipped_by_level"].get("corporate_action_SUMMARY") == 2
    assert all(r.account_id == "U9000001" for r in _rows(db_path, "corporate_action"))
    other = str(tmp_path / "other.db")
    out = run("import", CA / "transfer_in_ib_lots.xml", "--format", "json", db=other)
    assert json.loads(out.output)[0]["skipped_by_level"].get("transfer_LOT") == 1


def _without(src: Path, dst: Path, keep) -> Path:
    """The statement with only the CorporateAction rows ``keep`` accepts."""
    lines = src.read_text().splitlines(keepends=True)
    dst.write_text("".join(ln for ln in lines
                           if "<CorporateAction " not in ln or keep(ln)))
    return dst


@pytest.mark.parametrize("cancel_first", [False, True])
def test_cancel_voids_its_original_in_either_order(run, db_path, tmp_path, cancel_first):
    def is_cancel(line):
        return 'code="Ca"' in line
    cancel = _without(CA / "spinoff.xml", tmp_path / "cancel.xml", is_cancel)
    rest = _without(CA / "spinoff.xml", tmp_path / "rest.xml", lambda ln: not is_cancel(ln))
    for path in ([cancel, rest] if cancel_first else [rest, cancel]):
        _import_json(run, path)
    rows = {(r.quantity, r.status) for r in _rows(db_path, "corporate_action")}
    assert rows == {(Decimal(20), "cancelled"), (Decimal(-20), "cancel"),
                    (Decimal(25), "active")}
    by_qty = {r.quantity: r for r in _rows(db_path, "corporate_action")}
    assert by_qty[Decimal(20)].replaced_by == by_qty[Decimal(-20)].action_key


def test_unknown_type_is_kept_with_one_warning(run, db_path):
    res = run("import", CA / "unknown_type.xml")
    assert res.exit_code == 0, res.output
    assert len(re.findall(r"corporate action type 'ZZ'", res.output)) == 1
    (row,) = _rows(db_path, "corporate_action")
    assert (row.type, row.status, row.quantity) == ("ZZ", "active", Decimal(1))


@pytest.mark.parametrize("stem,table", [("split_assigned_cc_called_away", "corporate_action"),
                                        ("transfer_out", "transfer")])
@pytest.mark.parametrize("csv_first", [False, True])
def test_csv_copy_of_a_flex_row_is_a_duplicate(run, db_path, stem, table, csv_first):
    order = [".csv", ".xml"] if csv_first else [".xml", ".csv"]
    for suffix in order:
        _import_json(run, CA / f"{stem}{suffix}")
    rows = _rows(db_path, table)
    assert len(rows) == 2
    assert sorted((r.origin, r.status) for r in rows) == [("csv", "duplicate"),
                                                         ("flex", "active")]


@requires_public
@pytest.mark.parametrize("rel,expected", [
    ("uabean/beancount.xml",
     {("FS", "AAPL", "3.114"), ("TC", "LVGO", "-2.5052"), ("TC", "TDOC", "1.4831"),
      ("IC", "DM", "19"), ("IC", "TRNE.OLD", "-19"), ("TC", "COP", "12.75"),
      ("TC", "MRO", "-50")}),
    ("opensteuerauszug/corporate_action_2025.xml",
     {("IC", "ZT0", "-24"), ("IC", "ZT0.NEW", "24")}),
    ("portfolio-performance/testIBFlexStatementFile01.xml",  # older layout: no type, no ids
     {(None, "UUU", "-12000"), (None, "UUU.TEN2", "12000"), (None, "GCM", "480"),
      (None, "GCM.OLD", "-12000"), (None, "UUU.TEN2", "-12000")}),
])
def test_public_statements_with_actions_import(run, db_path, tmp_path, rel, expected):
    path = PUBLIC / rel
    _import_json(run, path)
    rows = _rows(db_path, "corporate_action")
    assert {(r.type, r.symbol, format(r.quantity, "f")) for r in rows} == expected
    assert len(rows) == len(expected) and all(r.status == "active" for r in rows)
    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes() + b"\n")
    assert _import_json(run, copy)["corporate_actions"] == 0
