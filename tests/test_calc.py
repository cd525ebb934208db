"""Pre-trade calculator and the checklist it applies."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from journal import checklist
from journal.calc import CalcInput, calculate


def test_issue_example_gives_6_23_pct_and_41000():
    r = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30))
    assert r["annualized_roi_pct"] == D("6.23")
    assert r["cash_required"] == D("41000")
    assert r["premium_gross"] == D("210.00")
    assert r["breakeven"] == D("407.90")


def test_commission_contracts_and_otm():
    r = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, price=D("425"),
                            contracts=2, commission=D("3.30")))
    assert r["premium_gross"] == D("420.00")
    assert r["premium_net"] == D("416.70")
    assert r["cash_required"] == D("82000")
    assert r["otm_pct"] == D("3.53")  # (425 - 410) / 425
    assert r["breakeven_net"] == D("407.9165")  # 410 - 416.70 / 200
    # net: 416.70 / 82000 * 365 / 30 = 6.183…
    assert r["annualized_roi_net_pct"] == D("6.18")


def test_verdict_follows_the_rules():
    good = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, price=D("425"),
                               cash=D("50000")))
    assert good["verdict"] == "CHECK"  # earnings calendar unknown
    assert "otm=pass" in good["checks"] and "cash=pass" in good["checks"]
    short = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=10, price=D("425")))
    assert short["verdict"] == "NO" and "dte=fail" in short["checks"]
    assert "10 days to expiry" in short["reasons"]
    big = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, contracts=3))
    assert "size=fail" in big["checks"]
    poor_cash = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30,
                                    cash=D("45000")))  # needs 41000 × 1.10 = 45100
    assert "cash=fail" in poor_cash["checks"]
    itm = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, price=D("405")))
    assert "otm=fail" in itm["checks"]


def test_premium_band_warns_between_minimum_and_target():
    # 0.80 / 410 * 365 / 30 = 2.37 %: above the 2 % minimum, below the 3 % target
    r = calculate(CalcInput(premium=D("0.80"), strike=D("410"), dte=30))
    assert r["annualized_roi_pct"] == D("2.37")
    assert "premium=warn" in r["checks"]
    low = calculate(CalcInput(premium=D("0.50"), strike=D("410"), dte=30))
    assert "premium=fail" in low["checks"]


def test_earnings_window():
    s = checklist.Settings(earnings_days=7)
    earn = {"MSFT": [date(2025, 10, 28)]}
    near = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, symbol="msft",
                               sale_date=date(2025, 10, 21)), s, earn)
    assert "earnings=fail" in near["checks"]
    far = calculate(CalcInput(premium=D("2.10"), strike=D("410"), dte=30, symbol="MSFT",
                              sale_date=date(2025, 10, 20)), s, earn)
    assert "earnings=pass" in far["checks"]


def test_grade_letters():
    g = checklist.grade_put(strike=D(100), premium=D(1), dte=30, contracts=D(1),
                            open_contracts_after=D(1), price=D(103), cash=D(20000),
                            collateral_after=D(10000), earnings_dates=[],
                            sale_date=date(2025, 1, 2))
    assert g.grade == "A" and g.verdict == "OK" and g.score == "6/6"
    g = checklist.grade_put(strike=D(100), premium=D(1), dte=10, contracts=D(3),
                            open_contracts_after=D(3), price=D(100), cash=None,
                            collateral_after=None)
    # otm 0 % fail, dte fail, premium 36.5 % pass, size fail: 1 of 4 known
    assert g.score == "1/4" and g.grade == "F" and g.verdict == "NO"
    assert g.checks["cash"] == "unknown" and g.checks["earnings"] == "unknown"


def test_cli_calc_json(run):
    res = run("calc", "--premium", "2.10", "--strike", "410", "--dte", "30", "--format", "json")
    assert res.exit_code == 0, res.output
    [row] = json.loads(res.output)
    assert row["annualized_roi_pct"] == "6.23"
    assert D(row["cash_required"]) == D("41000")
    assert row["premium_net"] == "210.00"


def test_cli_calc_table_and_bad_input(run):
    res = run("calc", "--premium", "2.10", "--strike", "410", "--dte", "30")
    assert res.exit_code == 0
    assert "Annualized %" in res.output and "6.23%" in res.output
    bad = run("calc", "--premium", "2.10", "--strike", "410", "--dte", "0")
    assert bad.exit_code == 1 and "--dte" in bad.output and "Traceback" not in bad.output


def test_cli_calc_uses_configured_rules(run):
    assert run("config", "set", "checklist.min_dte", "45").exit_code == 0
    res = run("calc", "--premium", "2.10", "--strike", "410", "--dte", "30", "--format", "json")
    [row] = json.loads(res.output)
    assert "dte=fail" in row["checks"] and "wanted ≥ 45" in row["reasons"]


@pytest.mark.parametrize("premium,strike,dte,expected", [
    ("1.00", "100", "365", "1.00"), ("0.50", "50", "30", "12.17"), ("3.85", "650", "32", "6.76"),
])
def test_annualized_formula(premium, strike, dte, expected):
    r = calculate(CalcInput(premium=D(premium), strike=D(strike), dte=int(dte)))
    assert r["annualized_roi_pct"] == D(expected)


def _records(*rows):
    """Ledger records for the rules: (day, symbol, qty, price[, put strike, expiry])."""
    from datetime import datetime

    from journal.readmodel import ExecutionRecord

    out = []
    for n, (day, sym, qty, price, *opt) in enumerate(rows, 1):
        strike, expiry = (D(opt[0]), opt[1]) if opt else (None, None)
        mult = D(100) if opt else D(1)
        out.append(ExecutionRecord(
            n, "A", f"T{n}", "OPT" if opt else "STK", sym, sym, sym, None, "P" if opt else None,
            strike, expiry, mult, day, datetime(day.year, day.month, day.day, 10), D(qty),
            D(price), -D(qty) * D(price) * mult, None, None, frozenset(), None, None, None))
    return out


def test_ledger_checks_open_puts_and_the_wash_sale_trap():
    from journal.calc import ledger_checks
    from journal.rules import LedgerData, run_rules

    result = run_rules(LedgerData(executions=tuple(_records(
        (date(2025, 3, 3), "XYZ", 100, 50), (date(2025, 4, 1), "XYZ", -100, 40),
        (date(2025, 4, 2), "XYZ", -2, "1.5", 38, date(2025, 5, 16)),
        (date(2025, 4, 2), "ABC", -1, "1", 20, date(2025, 5, 16))))))
    open_puts, warnings = ledger_checks(result, "xyz", date(2025, 4, 15), D(45), D(44))
    assert open_puts == 2
    assert len(warnings) == 2
    assert "1000.00" in warnings[0] and "on or before 2025-05-01" in warnings[0]
    assert "RR 85-87" in warnings[1]
    assert ledger_checks(result, "XYZ", date(2025, 4, 15), D(40), D(44))[1][1:] == ()  # OTM
    assert ledger_checks(result, "XYZ", date(2025, 5, 2), D(45), D(44)) == (2, ())


def test_cli_calc_reads_open_puts_from_the_ledger(run):
    from conftest import SAMPLES

    assert run("import", "-q", str(SAMPLES / "wheel_2025_U7654321.xml")).exit_code == 0
    args = ["calc", "--premium", "1.50", "--strike", "140", "--dte", "30", "--symbol", "AMD",
            "--date", "2025-10-15", "--format", "json"]
    [one] = json.loads(run(*args).stdout)
    assert one["ledger_open_puts"] == 1 and "size=pass" in one["checks"]  # 1 + 1 <= 2
    [three] = json.loads(run(*args, "--contracts", "2").stdout)
    assert "size=fail" in three["checks"]
    [later] = json.loads(run(*args[:-4], "--date", "2025-12-01", "--format", "json").stdout)
    assert later["ledger_open_puts"] == 0  # the 145 P expired on 2025-11-21


def _lot(acquired, shares, basis, econ=None, account="A"):
    from journal.rules.types import StockLot

    return StockLot(f"{account}:{acquired}", account, "XYZ", D(shares), D(shares), acquired,
                    acquired, D(basis), D(econ if econ is not None else basis), D(0),
                    "put_assignment")


def test_covered_call_against_the_lots_it_would_deliver():
    from journal.calc import calculate_call

    lots = (_lot(date(2024, 1, 10), 100, 4000, 3800), _lot(date(2025, 3, 3), 100, 5200))
    inp = CalcInput(premium=D("1.50"), strike=D(45), dte=45, price=D(44), contracts=2,
                    commission=D("2"), sale_date=date(2025, 6, 2))
    row, warnings = calculate_call(inp, lots)
    # FIFO: 100 shares at 40 (LT by expiry) and 100 at 52 (ST); 9000 + 298 net premium
    assert (row["tax_basis_per_share"], row["economic_basis_per_share"]) == (D("46.00"),
                                                                            D("45.00"))
    assert (row["if_called_proceeds"], row["if_called_tax_gain"]) == (D("9298.00"), D("98.00"))
    assert row["if_called_term"] == "LT/ST" and row["qcc"] == "QCC_OTM"
    assert row["annualized_roi_pct"] == D("27.65")  # 1.50 / 44 × 365 / 45
    assert warnings == ()
    low, warnings = calculate_call(CalcInput(premium=D("0.50"), strike=D(40), dte=20,
                                             price=D(41), contracts=3,
                                             sale_date=date(2025, 6, 2)), lots)
    # 2 of the 3 contracts are covered: 8000 + their 100 of premium - 9200
    assert low["if_called_tax_gain"] == D("-1100.00")
    assert any("tax loss of 1100.00" in w for w in warnings)
    assert any("uncovered" in w for w in warnings)  # 3 contracts, 200 shares
    assert any("not a qualified covered call" in w for w in warnings)  # 20 days, ST lot


def test_cli_calc_call_reads_the_msft_lot_of_the_sample(run):
    from conftest import SAMPLES

    assert run("import", "-q", str(SAMPLES / "wheel_2025_U7654321.xml")).exit_code == 0
    res = run("calc", "--call", "--premium", "3.20", "--strike", "400", "--dte", "25",
              "--symbol", "MSFT", "--date", "2025-11-24", "--price", "415", "--format", "json")
    [row] = json.loads(res.stdout)
    # the classic example: tax basis 40,791.65 (assigned put premium in it)
    assert (row["tax_basis_per_share"], row["if_called_tax_gain"]) == ("407.92", "-471.65")
    assert row["qcc"] == "NON_QCC" and "tax loss of 471.65" in res.stderr


def test_ledger_checks_warn_before_reselling_a_put_bought_back_at_a_loss():
    from journal.calc import ledger_checks
    from journal.rules import LedgerData, run_rules

    expiry = date(2025, 5, 16)
    result = run_rules(LedgerData(executions=tuple(_records(
        (date(2025, 4, 1), "XYZ", -1, "1.00", 40, expiry),
        (date(2025, 4, 10), "XYZ", 1, "2.50", 40, expiry)))))  # bought back: loss 150
    same = ledger_checks(result, "XYZ", date(2025, 4, 20), D(40), None, expiry=expiry)[1]
    assert len(same) == 1 and "loss of 150.00" in same[0] and "2025-05-10" in same[0]
    other = dict(expiry=date(2025, 6, 20))
    assert ledger_checks(result, "XYZ", date(2025, 4, 20), D(38), None, **other)[1] == ()
    assert len(ledger_checks(result, "XYZ", date(2025, 4, 20), D(38), None, **other,
                             scope="underlying")[1]) == 1
    assert ledger_checks(result, "XYZ", date(2025, 5, 12), D(40), None, expiry=expiry)[1] == ()
