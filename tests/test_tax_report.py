"""Form 8949 / Schedule D / 6781 layout and every export format, from hand-built realized
events (tax_rules.md §9 amounts), independent of the rules layer."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from journal import tax
from journal.errors import ConfigError, JournalError
from journal.exporters import txf, xlsx_tax
from journal.output import render
from journal.rules.types import Flag, RealizedEvent, RuleResult

from tax_checks import check_all_formats

D = Decimal
INJECT = '=HYPERLINK("http://evil.example","x")'


def ev(desc, acq, sold, proceeds, cost, *, code="", adj="0", term="ST", kind="stock_sale",
       account="U1", underlying="MSFT", cat="STK", qty="100", s1256=False, covered=True,
       tx=None, ib=None, lot=None, year=None):
    p, c, a = D(proceeds), D(cost), D(adj)
    return RealizedEvent(account, desc, underlying, cat, D(qty), acq, sold, p, c, code, a,
                         p - c + a, term, year or sold.year, kind, s1256, covered, tx, ib, lot)


def events():
    return [
        # a1: written put expired
        ev("1 MSFT 21NOV25 410 P", date(2025, 10, 20), date(2025, 11, 21), "208.35", "0",
           kind="expired", cat="OPT", qty="1", tx="t-a1"),
        # a2: bought back
        ev("1 MSFT 21NOV25 410 P", date(2025, 10, 20), date(2025, 11, 7), "208.35", "51.65",
           kind="bought_to_close", cat="OPT", qty="1", tx="t-a2"),
        # b: wash sale through put assignment
        ev("100 sh MSFT", date(2025, 6, 2), date(2025, 11, 10), "40500.00", "45000.00",
           code="W", adj="4500.00", tx="t-b"),
        # c, on a noncovered lot -> box B
        ev("100 sh MSFT", date(2025, 11, 21), date(2025, 12, 19), "42298.35", "40791.65",
           kind="assigned_call_shares", covered=False, tx="t-c"),
        # straddle case the rules could not settle
        ev("100 sh KO", date(2025, 3, 3), date(2025, 9, 2), "6500.00", "6241.00",
           term="NEEDS_REVIEW", underlying="KO", tx="t-ko"),
        # statement text that a spreadsheet would run
        ev(INJECT, date(2025, 2, 3), date(2025, 2, 4), "100.00", "90.00", underlying="X",
           tx="t-x"),
        # f: ITM QCC loss is long-term
        ev("1 MSFT 15JAN27 430 C", date(2026, 12, 1), date(2026, 12, 21), "1198.35", "1501.65",
           term="LT", kind="bought_to_close", cat="OPT", qty="1", year=2025, tx="t-f"),
        # e: §1256 mark at 12/31
        ev("1 SPX 16JAN26 P", date(2025, 12, 10), date(2025, 12, 31), "998.35", "400.00",
           kind="mark_to_market", cat="OPT", qty="1", s1256=True, underlying="SPX"),
        # other year / other account: never in the 2025 report for U1
        ev("100 sh MSFT", date(2025, 11, 21), date(2026, 12, 21), "45000.00", "40791.65",
           term="LT"),
        ev("100 sh AMD", date(2025, 1, 2), date(2025, 5, 2), "1000.00", "900.00",
           account="U2", underlying="AMD"),
    ]


def result(provisional=frozenset()):
    flags = (Flag("NON_QCC", "U1", "call written 7 DTE", date=date(2025, 12, 1), tax_year=2025),
             Flag("NON_QCC", "U1", "next year", date=date(2026, 1, 5)),
             Flag("NON_QCC", "U2", "other account", tax_year=2025))
    return RuleResult(realized=tuple(events()), flags=flags, provisional_years=provisional)


def test_summary_matches_hand_arithmetic():
    rep = tax.build_report(result(), 2025, accounts=["U1"])
    s = rep.summary()
    assert s == {
        "year": 2025,
        "short_term": {"proceeds": "89815.05", "cost_basis": "92174.30",
                       "adjustments": "4500.00", "gain_loss": "2140.75"},
        "long_term": {"proceeds": "1198.35", "cost_basis": "1501.65", "adjustments": "0.00",
                      "gain_loss": "-303.30"},
        "wash_sale_disallowed": "4500.00",
        "section_1256": {"gain_loss": "598.35", "long_term_60": "359.01",
                         "short_term_40": "239.34"},
        "flags": 2,  # NON_QCC of 2025 + TERM_NEEDS_REVIEW
        "provisional": False,
    }
    assert list(s) == ["year", "short_term", "long_term", "wash_sale_disallowed",
                       "section_1256", "flags", "provisional"]
    codes = sorted(f.code for f in rep.flags)
    assert codes == ["NON_QCC", "TERM_NEEDS_REVIEW"]


def test_all_accounts_and_provisional():
    rep = tax.build_report(result(frozenset({2025})), 2025)
    s = rep.summary()
    assert s["short_term"]["gain_loss"] == "2240.75"  # + AMD 100.00 of U2
    assert s["provisional"] is True
    assert s["flags"] == 4  # 2 NON_QCC of 2025 (U1, U2), review, provisional
    assert "PROVISIONAL_YEAR" in {f.code for f in rep.flags}


def test_boxes_lines_and_columns():
    rep = tax.build_report(result(), 2025, accounts=["U1"])
    by_tx = {r.transaction_id: r for r in rep.rows}
    assert (by_tx["t-a1"].box, by_tx["t-a1"].line, by_tx["t-a1"].part) == ("A", "1a", "I")
    a1 = by_tx["t-a1"]
    assert (a1.date_acquired, a1.date_sold, a1.proceeds, a1.cost, a1.gain) == (
        date(2025, 10, 20), date(2025, 11, 21), D("208.35"), D("0.00"), D("208.35"))
    b = by_tx["t-b"]
    assert (b.box, b.line, b.code, b.adjustment, b.gain) == ("A", "1b", "W", D("4500.00"),
                                                             D("0.00"))
    assert (by_tx["t-c"].box, by_tx["t-c"].line) == ("B", "2")
    assert (by_tx["t-f"].box, by_tx["t-f"].line, by_tx["t-f"].part) == ("D", "8a", "II")
    assert by_tx["t-ko"].part == "I" and by_tx["t-ko"].term == "NEEDS_REVIEW"
    sd = {ln["line"]: ln for ln in rep.schedule_d()}
    assert sd["1a"]["gain"] == D("208.35") + D("156.70") + D("10.00") + D("259.00")
    assert sd["1b"]["gain"] == D("0.00") and sd["1b"]["adjustment"] == D("4500.00")
    assert sd["2"]["gain"] == D("1506.70")
    assert sd["4"]["gain"] == D("239.34") and sd["11"]["gain"] == D("359.01")
    assert sd["7"]["gain"] == D("2140.75") + D("239.34")
    assert sd["15"]["gain"] == D("-303.30") + D("359.01")


def test_box_settings_and_irs_literal_dates():
    settings = tax.TaxSettings(box_by_account={"U1": "C"}, written_option_dates="irs_literal")
    rep = tax.build_report(result(), 2025, accounts=["U1"], settings=settings)
    by_tx = {r.transaction_id: r for r in rep.rows}
    assert {r.box for r in rep.part1} == {"C"} and {r.box for r in rep.part2} == {"F"}
    assert by_tx["t-a1"].date_acquired == date(2025, 11, 21)  # expiry date in (b)
    assert by_tx["t-a2"].date_acquired == date(2025, 10, 20)  # only expirations change
    with pytest.raises(ConfigError):
        tax.TaxSettings(box_by_account={"U1": "D"})


def test_per_line_rounding_keeps_h_consistent():
    # IB's 4-decimal commissions: every line rounds once, (h) = (d) − (e) + (g) exactly.
    evs = [ev("1 AAPL 17OCT25 220 P", date(2025, 9, 2), date(2025, 10, 17), "183.95245",
              "0.004", kind="expired", cat="OPT", qty="1") for _ in range(3)]
    rep = tax.build_report(RuleResult(realized=tuple(evs)), 2025)
    assert [r.proceeds for r in rep.rows] == [D("183.95")] * 3
    assert all(r.gain == r.proceeds - r.cost + r.adjustment for r in rep.rows)
    assert rep.summary()["short_term"]["gain_loss"] == "551.85"


def test_every_format_carries_the_same_totals(tmp_path):
    rep = tax.build_report(result(frozenset({2025})), 2025)
    read = check_all_formats(rep, tmp_path)
    assert read["xlsx"]["I"][3] == D("2240.75")
    assert read["txf"]["II"][:2] == [D("1198.35"), D("1501.65")]


def test_empty_year_still_writes_valid_files(tmp_path):
    rep = tax.build_report(result(), 1999)
    assert rep.summary()["short_term"]["gain_loss"] == "0.00"
    check_all_formats(rep, tmp_path)


def test_formula_text_is_neutralised_in_csv_and_xlsx(tmp_path):
    rep = tax.build_report(result(), 2025, accounts=["U1"])
    text = render(tax.row_dicts(rep), tax.ROW_COLUMNS, "csv")
    descs = [r["description"] for r in csv.DictReader(io.StringIO(text))]
    assert "'" + INJECT in descs and INJECT not in descs
    path = tmp_path / "t.xlsx"
    xlsx_tax.write(path, rep)
    ws = load_workbook(path)["8949 Part I"]
    cells = [c for row in ws.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert len(cells) == 1
    assert cells[0].data_type == "s" and cells[0].value == "'" + INJECT
    # JSON is data, not a spreadsheet: the text stays exactly as the statement wrote it.
    assert INJECT in [r["description"] for r in json.loads(
        render(tax.row_dicts(rep), tax.ROW_COLUMNS, "json"))]


def test_xlsx_layout(tmp_path):
    rep = tax.build_report(result(), 2025, accounts=["U1"])
    path = tmp_path / "t.xlsx"
    xlsx_tax.write(path, rep)
    wb = load_workbook(path)
    assert wb.sheetnames == list(xlsx_tax.SHEETS)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["A"].width >= 5
    ws = wb["8949 Part I"]
    assert ws["F2"].number_format == xlsx_tax.MONEY_FMT
    assert ws["E2"].is_date and ws["E2"].number_format == "yyyy-mm-dd"
    assert ws.auto_filter.ref == f"A1:O{len(rep.part1) + 1}"
    assert all(c.font.b for c in ws[1]) and ws["O1"].value == "Wash sale (W) in (g)"
    # one Form 8949 page per box: the rows come grouped by box, each box with its total
    boxes = [ws[f"A{r}"].value for r in range(2, len(rep.part1) + 2)]
    assert boxes == sorted(boxes) == ["A", "A", "A", "A", "A", "B"]
    labels = [ws[f"A{r}"].value for r in range(len(rep.part1) + 3, ws.max_row + 1)]
    assert labels == ["Total", "Box A", "Box B"]
    assert ws[f"J{ws.max_row}"].value == '=SUMIFS(J2:J8,A2:A8,"B")'
    assert ws[f"A{ws.max_row}"].font.b
    w = load_workbook(path, data_only=True)["8949 Part I"]  # the cached values
    assert w[f"J{ws.max_row}"].value == float(D("42298.35") - D("40791.65"))
    assert w[f"O{len(rep.part1) + 3}"].value == 4500  # the W part of (g), totalled


def test_txf_records_follow_the_spec():
    rep = tax.build_report(result(), 2025, accounts=["U1"])
    a1 = [r for r in rep.rows if r.transaction_id == "t-a1"]
    text = txf.render(a1, exported=date(2026, 2, 15))
    assert text.splitlines() == [
        "V042", "AWheelJournal", "D02/15/2026", "^", "TD", "N321", "C1", "L1",
        "P1 MSFT 21NOV25 410 P", "D10/20/2025", "D11/21/2025", "$0.00", "$208.35", "^"]
    recs = txf.parse(txf.render(rep.rows))[1]
    assert {r.ref for r in recs} == {321, 711, 323}
    wash = [r for r in recs if r.wash_sale]
    assert len(wash) == 1 and wash[0].wash_sale == D("4500.00")
    with pytest.raises(JournalError):
        txf.parse("V042\nAx\nD01/01/2026\n^\nTD\nN321\nC1\nL1\nPx\nD01/01/2025\n$1.00\n^\n")


def test_wash_sale_sheet_names_the_replacement(tmp_path):
    from journal.rules.types import WashSale

    ws_rec = WashSale("U1", "MSFT", "t-b", date(2025, 11, 10), "IRA1", "r-1",
                      date(2025, 11, 21), D(100), D("4500.004"), False, 2025)
    other_year = WashSale("U1", "MSFT", "t-b", date(2024, 11, 10), "U1", "r-0",
                          date(2024, 11, 21), D(100), D("1.00"), True, 2024)
    res = RuleResult(realized=tuple(events()), wash_sales=(ws_rec, other_year))
    rep = tax.build_report(res, 2025, accounts=["U1"])
    assert rep.wash_sale_records == (ws_rec,)
    path = tmp_path / "w.xlsx"
    xlsx_tax.write(path, rep)
    sheet = load_workbook(path)["Wash sales"]
    assert sheet["C2"].value == "100 sh MSFT" or sheet["B2"].value == "100 sh MSFT"
    text = sheet["K2"].value
    assert "2025-11-21" in text and "IRA1" in text and "no basis carried" in text
    assert "4,500.00 disallowed" in text  # money in text shows cents
