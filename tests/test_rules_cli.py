"""The rules commands end to end: import a statement, list through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_statements" / "wheel_2025_U7654321.xml"
FIX = Path(__file__).resolve().parent / "fixtures" / "rules"


def _json(run, *args):
    res = run(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_lots_json_keys_and_values(run):
    assert run("import", FIX / "b_wash_assignment.xml").exit_code == 0
    rows = _json(run, "lots")
    assert len(rows) == 1
    lot = rows[0]
    assert {"account", "symbol", "quantity", "acquired", "holding_period_acquired", "tax_basis",
            "economic_basis", "wash_sale_adjustment", "open"} <= set(lot)
    assert (lot["tax_basis"], lot["wash_sale_adjustment"], lot["holding_period_acquired"],
            lot["acquired"], lot["open"]) == ("45291.65", "4500.00", "2025-06-13",
                                              "2025-11-21", True)
    assert len(_json(run, "lots", "--all")) == 2


def test_realized_csv_and_year_filter(run):
    assert run("import", SAMPLE).exit_code == 0
    res = run("realized", "--year", "2025", "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    msft = [r for r in rows if r["description"] == "100 MSFT"]
    assert msft[0]["gain"] == "1506.70" and msft[0]["kind"] == "assigned_call_shares"
    assert not [r for r in rows if "410 P" in r["description"]]
    assert _json(run, "realized", "--year", "2024") == []


def test_positions_collateral_and_breakeven(run):
    assert run("import", SAMPLE).exit_code == 0
    rows = _json(run, "positions", "--as-of", "2025-11-01")
    msft = [r for r in rows if r["description"] == "MSFT 21NOV25 410 P"][0]
    assert (msft["collateral"], msft["breakeven"], msft["dte"], msft["quantity"]) == (
        "41000", "407.9165", 20, "-1")
    assert [r["underlying"] for r in rows if r["kind"] == "stock"] == ["KO"]
    table = run("positions", "--as-of", "2025-11-01")
    assert "MSFT 21NOV25 410 P" in table.stdout


def test_cycles_and_manual_regrouping(run):
    assert run("import", SAMPLE).exit_code == 0
    cycles = {c["cycle_id"]: c for c in _json(run, "cycles")}
    amd = cycles["U7654321:AMD:2025-09-08"]
    assert amd["roll_chains"] == "3487203551 > 3601482288" and amd["premium_net"] == "351.85"
    res = run("cycles", "assign", "3601482288", "AMD-late")
    assert res.exit_code == 0, res.output
    cycles = {c["cycle_id"]: c for c in _json(run, "cycles")}
    assert cycles["AMD-late"]["realized"] == "423.95"
    assert cycles["U7654321:AMD:2025-09-08"]["realized"] == "-72.10"
    assert run("cycles", "assign", "3601482288", "--clear").exit_code == 0
    assert "AMD-late" not in {c["cycle_id"] for c in _json(run, "cycles")}
    bad = run("cycles", "assign", "999", "x")
    assert bad.exit_code == 1 and "no execution" in bad.output


def test_flags_command_filters_by_year_account_and_code(run):
    assert run("import", SAMPLE).exit_code == 0
    rows = _json(run, "flags", "--detail")
    assert [(r["code"], r["date"], r["tax_year"]) for r in rows] == [
        ("WASH_SALE_OPTION", "2025-10-10", 2025), ("NON_QCC", "2025-11-24", 2025)]
    assert [r["code"] for r in _json(run, "flags", "--detail", "--code", "non_qcc")] == [
        "NON_QCC"]
    assert _json(run, "flags", "--year", "2024") == []
    assert _json(run, "flags", "--account", "U7654321", "--year", "2026") == []
    unknown = run("flags", "--account", "U0000000")
    assert unknown.exit_code == 1
    assert "account U0000000 is not in the ledger (it has U7654321)" in unknown.stderr
    res = run("realized", "--year", "2025")
    assert "2 flag(s) need review: journal flags --year 2025" in res.stderr
    assert "flag(s)" not in run("realized", "--year", "2024").stderr


def test_lots_explain_shows_which_premiums_moved_the_basis(run):
    assert run("import", SAMPLE).exit_code == 0
    msft = next(r for r in _json(run, "lots", "--all") if r["symbol"] == "MSFT")
    rows = _json(run, "lots", "--explain", msft["lot_id"])
    assert [(r["basis"], r["step"], r["amount"], r["total"]) for r in rows] == [
        ("tax", "cost", "41000.00", "41000.00"),
        ("tax", "assigned put", "-208.35", "40791.65"),  # the classic example's basis
        ("tax", "tax basis", None, "40791.65"),
        ("economic", "called away", "-298.35", "40493.30"),
        ("economic", "economic basis", None, "40493.30")]
    assert "MSFT 21NOV25 410 P" in rows[1]["description"]
    bad = run("lots", "--explain", "U0:nope")
    assert bad.exit_code == 1 and "no lot U0:nope" in bad.output


def test_every_explanation_adds_up_to_the_rules_numbers(run, db_path):
    from decimal import Decimal

    from journal.db import open_ledger
    from journal.rules import analyze
    from journal.rules.explain import explain_lot

    from conftest import public_samples

    files = [SAMPLE, SAMPLE.with_name("wheel_2025_multi.xml"),
             *(FIX / n for n in ("b_wash_assignment.xml", "b1_sold_st.xml",
                                 "c_called_away.xml", "f_itm_qcc_loss_lt.xml")),
             *public_samples()]
    for f in files:
        run("import", "-q", f)  # a public file that fails to import is the compat test's job
    result = analyze(open_ledger(db_path))
    assert len(result.lots) > 5
    for lot in result.lots:
        rows = explain_lot(result, lot.lot_id)
        for basis, want in (("tax", lot.tax_basis), ("economic", lot.economic_basis)):
            part = [r for r in rows if r["basis"] == basis]
            # the tax lines start from nothing, the economic ones from the tax basis
            running = Decimal(0) if basis == "tax" else lot.tax_basis
            for r in part[:-1]:
                running += r["amount"]
                assert r["total"] == running, (lot.lot_id, r)
            assert part[-1]["total"] == want, (lot.lot_id, basis, rows)


def test_default_lot_method_relieves_ibs_closed_lot(run):
    """With lot_method left unset, a sale with IB closed-lot detail relieves IB's lot
    (tax_rules.md §4), so the ledger matches the 1099-B; FIFO stays selectable."""
    import json

    from conftest import FIXTURES

    assert run("import", FIXTURES / "rules" / "g_ib_closed_lot.xml").exit_code == 0
    (sale,) = json.loads(run("realized", "--format", "json").stdout)
    assert (sale["date_acquired"], sale["cost"], sale["gain"]) == ("2025-01-03", "300.00",
                                                                   "-50.00")
    lots = json.loads(run("lots", "--format", "json").stdout)
    assert [(x["acquired"], x["remaining"]) for x in lots] == [("2025-01-02", "10")]
