"""``journal lots --explain`` shows each corporate action and transfer that touched a lot
as its own line (issue 14 §4), with the numbers of the fixtures' hand-worked comments."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import FIXTURES

CA = FIXTURES / "corporate_actions"
D = Decimal


def _explain(run, *, symbol: str, shares: str | None = None,
             acquired: str | None = None) -> list[dict]:
    """The explanation (JSON) of the one lot of ``symbol`` (with ``shares`` shares,
    acquired on ``acquired``)."""
    listed = run("lots", "--all", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (lot,) = [x for x in json.loads(listed.output)
              if x["symbol"] == symbol and (shares is None or D(x["quantity"]) == D(shares))
              and (acquired is None or x["acquired"] == acquired)]
    res = run("lots", "--explain", lot["lot_id"], "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def _imported(run, *names: str) -> None:
    for name in names:
        res = run("import", CA / name)
        assert res.exit_code == 0, res.output


def _action_lines(rows: list[dict]) -> list[tuple]:
    # amount: the basis change, exact (0 when the action left the basis alone)
    return [(r["step"], r["description"], r["date"], D(r["amount"]), r["total"])
            for r in rows if r["basis"] == "tax"
            and r["step"] not in ("cost", "assigned put", "wash sale", "tax basis")]


def test_forward_split_line(run, db_path):
    _imported(run, "split_assigned_cc_called_away.xml")
    rows = _explain(run, symbol="NVDA")
    assert _action_lines(rows) == [
        ("split", "10:1 split: 100 → 1,000 sh, basis unchanged", "2024-06-07", D(0),
         "83501.65")]
    # the cost line names the shares as bought, before the split
    assert rows[0]["description"] == "100 NVDA (put assignment, costs included)"


def test_split_line_in_the_table(run, db_path):
    _imported(run, "split_assigned_cc_called_away.xml")
    lot = json.loads(run("lots", "--all", "--format", "json").output)[0]["lot_id"]
    res = run("lots", "--explain", lot)
    assert res.exit_code == 0, res.output
    assert "10:1 split: 100 → 1,000 sh, basis unchanged" in res.output
    assert "83,501.65" in res.output and "83501.65" not in res.output


def test_reverse_split_lines(run, db_path):
    _imported(run, "reverse_split_cash_in_lieu.xml")
    assert _action_lines(_explain(run, symbol="XYZ", shares="15")) == [
        ("reverse split", "1-for-10 reverse split: 150 → 15 sh, basis unchanged",
         "2025-03-14", D(0), "601.00")]
    assert _action_lines(_explain(run, symbol="XYZ", shares="20.5")) == [
        ("reverse split", "1-for-10 reverse split: 205 → 20.5 sh, basis unchanged",
         "2025-03-14", D(0), "411.00")]


def test_isin_change_line(run, db_path):
    _imported(run, "id_change_sale.xml")
    rows = _explain(run, symbol="WXYZ", acquired="2025-04-01")
    # of the two WXYZ lots only L2 was held across the change; L3 was bought after it
    assert _action_lines(rows) == [
        ("ISIN/ticker change",
         "ISIN/ticker change ABCD → WXYZ: lot carried over, basis unchanged", "2025-06-16", D(0), "4801.00")]
    assert rows[0]["description"] == "100 ABCD (purchase, costs included)"
    assert _action_lines(_explain(run, symbol="WXYZ", acquired="2025-07-01")) == []


def test_stock_merger_line(run, db_path):
    _imported(run, "stock_merger_boot.xml")
    rows = _explain(run, symbol="ACQR")
    assert _action_lines(rows) == [
        ("stock merger", "stock merger TGTA → ACQR 2:1: 300 → 150 sh + 3,000.00 cash, "
         "basis 18,001.00 carried", "2025-05-20", D(0), "18001.00")]
    assert rows[0]["description"] == "300 TGTA (merger, costs included)"


def test_transfer_in_from_ibs_lot_records(run, db_path):
    _imported(run, "transfer_in_ib_lots.xml")
    assert _action_lines(_explain(run, symbol="TRFA", shares="60")) == [
        ("transfer in", "transferred in (ACATS, basis and date from IB's lot records): "
         "60 sh, basis 3,000.00", "2025-05-05", D(0), "3000.00")]


def test_transfer_in_from_the_users_basis_file(run, db_path):
    _imported(run, "transfer_in_no_basis.xml")
    res = run("transfers", "basis", CA / "transfer_in_no_basis.basis.csv")
    assert res.exit_code == 0, res.output
    assert _action_lines(_explain(run, symbol="TRFB", shares="20")) == [
        ("transfer in", "transferred in (FOP, basis and date from your basis file): "
         "20 sh, basis 1,100.00", "2025-05-05", D(0),
         "1100.00")]


def test_spinoff_lines_move_the_basis_exactly(run, db_path):
    _imported(run, "spinoff.xml")
    group = json.loads(run("actions", "--format", "json").output)[0]["group"]
    pending = _action_lines(_explain(run, symbol="PRNT"))
    assert pending == [("spinoff", "spinoff of CHLD: basis allocation pending "
                        "(SPINOFF_ALLOCATION), basis unchanged", "2025-04-01", D(0),
                        "8001.00")]
    assert run("actions", "set", group, "--parent-fraction", "0.8889").exit_code == 0
    assert _action_lines(_explain(run, symbol="PRNT")) == [
        ("spinoff", "spinoff of CHLD: basis allocated 0.8889 / 0.1111, basis 8,001.00 → "
         "7,112.09", "2025-04-01", D("-888.9111"), "7112.0889")]
    child = _explain(run, symbol="CHLD")
    assert _action_lines(child) == [
        ("spinoff", "spinoff from PRNT: 25 CHLD received, basis allocated 0.8889 / 0.1111",
         "2025-04-01", D("888.9111"), "888.9111")]
    assert D(child[0]["amount"]) == 0


def test_a_lot_no_action_touched_has_no_action_line(run, db_path):
    _imported(run, "transfer_out.xml")
    assert _action_lines(_explain(run, symbol="TRFC", shares="50")) == []
