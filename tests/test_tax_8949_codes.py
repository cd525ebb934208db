"""Form 8949 codes beyond W (issue 15 §1, tax_rules.md §5): each code from a small
statement worked by hand, through `journal import` and `journal tax`, with the
reconciliation naming the cause the code names."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from journal.db import open_ledger
from journal.rules import analyze

from conftest import FIXTURES

RULES = FIXTURES / "rules"


@pytest.fixture
def ledger(run, db_path):
    def _ledger(name):
        res = run("import", RULES / f"{name}.xml")
        assert res.exit_code == 0, res.output

        def cmd(*args):
            res = run(*args, "--format", "json")
            assert res.exit_code == 0, res.output
            return json.loads(res.stdout)
        return cmd, analyze(open_ledger(db_path))
    return _ledger


def only(rows, **kw):
    out = [r for r in rows if all(r[k] == v for k, v in kw.items())]
    assert len(out) == 1, rows
    return out[0]


def test_wash_across_accounts_is_bt_on_line_8b(ledger):
    """Account U9000001 buys 100 XYZ on 2025-03-03 at 50 and sells them on 2025-06-02 at 40:
    a 1,000.00 loss. Account U9000002's put (premium 100.00) is assigned on 2025-06-06, 4
    days later: 100 XYZ at 45, a replacement (§3.2, across accounts §3.7).

    The journal: the loss is disallowed (W 1,000.00 on U9000001's line); the replacement's
    basis is 4,500.00 − 100.00 + 1,000.00 = 5,400.00; its holding period is tacked by the
    91 days the loss shares were held (2025-03-03 → 2025-06-02), so it starts on
    2025-06-06 − 91 days = 2025-03-07 and the sale on 2026-04-01 at 60 is long-term:
    6,000.00 − 5,400.00 = +600.00 LT.

    IB's 1099-B for U9000002 knows nothing of U9000001 (§3.8): basis 4,400.00, acquired
    2025-06-06, short-term, gain 1,600.00. So the line is Part II box D with codes B (basis)
    and T (term), (d) 6,000.00, (e) 4,400.00, (g) 4,400.00 − 5,400.00 = −1,000.00,
    (h) 6,000.00 − 4,400.00 − 1,000.00 = 600.00; with a code it feeds line 8b, not 8a.
    """
    cmd, result = ledger("h_wash_across_accounts")
    row = only(cmd("tax", "2026"), account="U9000002")
    assert (row["part"], row["box"], row["line"], row["code"]) == ("II", "D", "8b", "BT")
    assert (row["date_acquired"], row["date_sold"], row["term"]) == (
        "2025-06-06", "2026-04-01", "LT")
    assert (row["proceeds"], row["cost_basis"], row["adjustment"], row["gain_loss"]) == (
        "6000.00", "4400.00", "-1000.00", "600.00")
    assert row["wash_sale"] == "0.00"
    ev = only([vars_of(e) for e in result.realized], account="U9000002")
    assert (ev["cost"], ev["broker_cost"], ev["term"], ev["broker_term"]) == (
        D(5400), D(4400), "LT", "ST")
    lot = next(x for x in result.lots if x.account == "U9000002")
    assert lot.holding_period_acquired == date(2025, 3, 7)

    loss = only(cmd("tax", "2025"), account="U9000001")
    assert (loss["code"], loss["line"], loss["adjustment"], loss["wash_sale"]) == (
        "W", "1b", "1000.00", "1000.00")
    assert (loss["cost_basis"], loss["gain_loss"]) == ("5000.00", "0.00")

    summary = cmd("tax", "2026", "--summary")
    assert summary["long_term"] == {"proceeds": "6000.00", "cost_basis": "4400.00",
                                    "adjustments": "-1000.00", "gain_loss": "600.00"}
    assert summary["wash_sale_disallowed"] == "0.00"

    recon = only(cmd("tax", "2026", "--reconcile"), account="U9000002")
    assert (recon["ib_pnl"], recon["ours"], recon["status"]) == ("1600", "600.00", "explained")
    assert recon["reasons"] == "WASH_SALE_BASIS -1000.00"
    assert recon["form8949"] == "BT: B WASH_SALE_BASIS -1000.00; T WASH_SALE_TACKING"


def vars_of(ev) -> dict:
    return {f: getattr(ev, f) for f in ev.__slots__}


def test_b_when_the_1099b_basis_leaves_out_the_put_premium(ledger):
    """tax_rules.md §9 (c): shares from the assigned put (basis 41,000.00 − 208.35 =
    40,791.65) called away at 420 with the call's 298.35: amount realized 42,298.35, gain
    +1,506.70 ST. Here IB's closing row relieves 41,000.00 (premium left out; its P/L
    1,298.35): code B, (e) 41,000.00, (g) 41,000.00 − 40,791.65 = +208.35, (h) 1,506.70."""
    cmd, _ = ledger("c_called_away_ib_basis")
    row = only(cmd("tax", "2026"))
    assert (row["part"], row["box"], row["line"], row["code"]) == ("I", "A", "1b", "B")
    assert (row["proceeds"], row["cost_basis"], row["adjustment"], row["gain_loss"]) == (
        "42298.35", "41000.00", "208.35", "1506.70")
    recon = only(cmd("tax", "2026", "--reconcile"), transaction_id="4900000006")
    assert recon["reasons"] == "ASSIGNMENT_PREMIUM 208.35"
    assert recon["form8949"] == "B: B ASSIGNMENT_PREMIUM 208.35"


def test_e_when_the_1099b_proceeds_leave_out_the_call_premium(ledger):
    """The same shares, but IB's row counts proceeds of 42,000.00 (P/L 1,208.35 = 42,000.00
    − 40,791.65): the call premium is not in the 1099-B. Code E, (d) 42,000.00,
    (g) 42,298.35 − 42,000.00 = +298.35, (h) 1,506.70 (tax_rules.md §9 (c))."""
    cmd, _ = ledger("c_called_away_ib_proceeds")
    row = only(cmd("tax", "2026"))
    assert (row["line"], row["code"]) == ("1b", "E")
    assert (row["proceeds"], row["cost_basis"], row["adjustment"], row["gain_loss"]) == (
        "42000.00", "40791.65", "298.35", "1506.70")
    recon = only(cmd("tax", "2026", "--reconcile"), transaction_id="5000000006")
    assert recon["reasons"] == "ASSIGNMENT_PREMIUM 298.35"
    assert recon["form8949"] == "E: E ASSIGNMENT_PREMIUM 298.35"


def test_t_when_an_itm_covered_call_loss_is_long_term(ledger):
    """tax_rules.md §9 (f): the ITM qualified covered call bought back at a loss of 303.30
    while the shares were LT is an LT loss (§1092(f)(1)); a 1099-B shows a written
    option as short-term. Code T, no amount: Part II box D, line 8b."""
    cmd, _ = ledger("f_itm_qcc_loss_lt")
    row = only(cmd("tax", "2026"))
    assert (row["part"], row["box"], row["line"], row["code"]) == ("II", "D", "8b", "T")
    assert (row["adjustment"], row["gain_loss"]) == ("0.00", "-303.30")
    recon = only(cmd("tax", "2026", "--reconcile"), transaction_id="4800000005")
    assert recon["form8949"] == "T: T QCC_ITM_LOSS"


def test_a_wash_sale_ib_applies_itself_needs_no_b_or_t(ledger):
    """tax_rules.md §9 (b2): the loss and the assignment are in one account and one
    security, so IB's 1099-B carries the wash sale itself (basis 45,291.65, holding
    period tacked: LT), although its Flex row relieves 40,791.65: no code, line 8a."""
    cmd, _ = ledger("b2_sold_lt")
    row = only(cmd("tax", "2026"))
    assert (row["part"], row["box"], row["line"], row["code"]) == ("II", "D", "8a", "")
    assert (row["cost_basis"], row["gain_loss"]) == ("45291.65", "708.35")


def test_txf_warns_of_corrections_it_cannot_carry(run, tmp_path):
    """TXF carries a wash-sale amount but no B/E correction: the export says so."""
    assert run("import", RULES / "c_called_away_ib_basis.xml").exit_code == 0
    res = run("tax", "2026", "--txf", tmp_path / "t.txf")
    assert res.exit_code == 0 and "cannot be expressed in TXF" in res.stderr
    assert run("tax", "2025", "--txf", tmp_path / "u.txf").stderr.count("TXF") == 0
