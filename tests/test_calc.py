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
    assert "annualized_roi_pct" in res.output and "6.23" in res.output
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
