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
    rows = _json(run, "flags")
    assert [(r["code"], r["date"], r["tax_year"]) for r in rows] == [
        ("WASH_SALE_OPTION", "2025-10-10", 2025), ("NON_QCC", "2025-11-24", 2025)]
    assert [r["code"] for r in _json(run, "flags", "--code", "non_qcc")] == ["NON_QCC"]
    assert _json(run, "flags", "--year", "2024") == []
    assert _json(run, "flags", "--account", "U0000000") == []
    res = run("realized", "--year", "2025")
    assert "2 flag(s) need review: journal flags --year 2025" in res.stderr
    assert "flag(s)" not in run("realized", "--year", "2024").stderr
