"""`journal tax` end to end: the bundled synthetic statements imported through the CLI, the
rules layer, and every output (summary json, csv, json rows, xlsx, TXF) agreeing; the
reconciliation with IB's fifoPnlRealized on the synthetic and the public samples."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from journal.exporters import txf

from conftest import PUBLIC, SAMPLES, requires_public
from tax_checks import expected_from_summary, totals_from_dicts, xlsx_totals

D = Decimal


@pytest.fixture
def imported(run):
    r = run("import", SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml")
    assert r.exit_code == 0, r.output
    return run


def _summary(run, *args):
    r = run("tax", *args, "--summary", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_summary_of_the_bundled_samples(imported):
    s25 = _summary(imported, "2025")
    # README: AAPL expiry 367.9049→367.90, KO 72.90, AMD roll −72.10, AMD expiry 423.95,
    # MSFT called away 1506.70 (put premium in the basis, call premium in the proceeds).
    assert s25["short_term"]["gain_loss"] == "2299.35"
    assert s25["long_term"] == {"proceeds": "0.00", "cost_basis": "0.00",
                                "adjustments": "0.00", "gain_loss": "0.00"}
    assert s25["section_1256"]["gain_loss"] == "0.00"  # the SPY put is equity, open at 12/31
    assert s25["wash_sale_disallowed"] == "0.00"
    assert s25["year"] == 2025 and isinstance(s25["flags"], int)
    s26 = _summary(imported, "2026")
    # SPY 383.95 + SPY 327.90 (U7654321) + INTC shares 207.95 (U7654322); XSP is §1256.
    assert s26["short_term"]["gain_loss"] == "919.80"
    assert s26["section_1256"] == {"gain_loss": "233.95", "long_term_60": "140.37",
                                   "short_term_40": "93.58"}
    s26a = _summary(imported, "2026", "--account", "U7654322")
    assert s26a["short_term"]["gain_loss"] == "207.95"
    assert s26a["section_1256"]["gain_loss"] == "0.00"


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_csv_json_xlsx_txf_carry_the_same_totals(imported, tmp_path, year):
    want = expected_from_summary(_summary(imported, year))
    xlsx, txf_path, csv_path = tmp_path / "t.xlsx", tmp_path / "t.txf", tmp_path / "t.csv"
    r = imported("tax", year, "--format", "csv", "--xlsx", xlsx, "--txf", txf_path,
                 "--csv", csv_path)
    assert r.exit_code == 0, r.output
    assert totals_from_dicts(csv.DictReader(io.StringIO(r.stdout))) == want
    assert totals_from_dicts(csv.DictReader(io.StringIO(csv_path.read_text()))) == want
    r = imported("tax", year, "--format", "json")
    rows = json.loads(r.stdout)
    assert totals_from_dicts(rows) == want
    got = xlsx_totals(xlsx)
    assert (got["I"], got["II"], got["6781"], got["wash"]) == (want["I"], want["II"],
                                                               want["6781"], want["wash"])
    _h, recs = txf.parse(txf_path.read_text(encoding="ascii"), str(txf_path))
    st = [r for r in recs if r.box in "ABC"]
    assert sum((r.proceeds for r in st), D(0)) == want["I"][0]
    assert sum((r.cost for r in st), D(0)) == want["I"][1]
    assert sum((r.proceeds - r.cost + r.wash_sale for r in recs), D(0)) == \
        want["I"][3] + want["II"][3]
    assert len(recs) == len([x for x in rows if x["form"] == "8949"]) >= 1


@pytest.mark.parametrize("year", ["2025", "2026"])
def test_reconciliation_of_the_synthetic_samples_has_no_unexplained_gap(imported, year):
    r = imported("tax", year, "--reconcile", "--format", "json")
    assert r.exit_code == 0, r.output
    lines = json.loads(r.stdout)
    assert lines, "every closing execution is reconciled"
    bad = [ln for ln in lines if abs(D(ln["unexplained"])) > D("0.01")]
    assert bad == []
    # The IB side is the README's Σ fifoPnlRealized of the closing rows of that year.
    ib = sum((D(ln["ib_pnl"]) for ln in lines if ln["ib_pnl"] is not None), D(0))
    assert ib == {"2025": D("2299.3549"), "2026": D("1153.75")}[year]
    # Our side covers every realized result of the year (8949 and 6781), to the cent.
    s = _summary(imported, year)
    ours = sum((D(ln["ours"]) for ln in lines), D(0))
    forms = D(s["short_term"]["gain_loss"]) + D(s["long_term"]["gain_loss"]) + \
        D(s["section_1256"]["gain_loss"])
    assert abs(ours - forms) <= D("0.005") * len(lines)


def test_table_flags_and_bad_box(imported):
    r = imported("tax", "2025")
    assert r.exit_code == 0 and "1 MSFT" not in r.stdout and "MSFT" in r.stdout
    r = imported("tax", "2025", "--flags", "--format", "json")
    assert r.exit_code == 0 and isinstance(json.loads(r.stdout), list)
    r = imported("tax", "2025", "--box", "U7654321=Q")
    assert r.exit_code == 1 and "A, B or C" in r.output and "Traceback" not in r.output


PUBLIC_WITH_OPTIONS = [
    PUBLIC / "opensteuerauszug" / "eTax_report_anonymised_2025.xml",
    PUBLIC / "portfolio-performance" / "testIBFlexStatementFile02.xml",
]


@requires_public
@pytest.mark.parametrize("path", PUBLIC_WITH_OPTIONS, ids=lambda p: p.name)
def test_reconciliation_of_public_samples_lists_every_difference(run, path, tmp_path):
    if not path.exists():
        pytest.skip(f"{path} not present")
    r = run("import", path)
    assert r.exit_code == 0, r.output
    trades = json.loads(run("trades", "--format", "json").stdout)
    years = sorted({t["trade_date"][:4] for t in trades if t["trade_date"]})
    assert years
    for year in years:
        r = run("tax", year, "--reconcile", "--format", "json", "--xlsx", tmp_path / "r.xlsx")
        assert r.exit_code == 0, r.output
        lines = json.loads(r.stdout)
        for ln in lines:
            diff, expl, unexpl = D(ln["difference"]), D(ln["explained"]), D(ln["unexplained"])
            assert ln["status"] in ("match", "explained", "unexplained", "no_ib_figure")
            if ln["status"] == "explained":
                assert abs(expl - diff) <= D("0.01") and ln["reasons"]
            if ln["status"] == "unexplained":
                assert unexpl == diff  # listed with its full amount, never hidden
            if ln["status"] == "match":
                assert abs(diff) <= D("0.01")
        counts = {s: sum(1 for ln in lines if ln["status"] == s)
                  for s in ("match", "explained", "unexplained", "no_ib_figure")}
        print(f"{path.name} {year}: {len(lines)} lines {counts}")


def test_a_year_without_realized_events_says_which_years_the_ledger_has(run):
    assert run("import", "-q", str(SAMPLES / "wheel_2025_U7654321.xml")).exit_code == 0
    res = run("tax", "1999", "--summary", "--format", "json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["short_term"]["gain_loss"] == "0.00"
    assert "no realized events in 1999 (it has 2025)" in res.stderr
    assert "no realized events" not in run("tax", "2025", "--summary").stderr
