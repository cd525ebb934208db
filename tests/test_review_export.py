"""`journal export --xlsx` read back by an independent reader, and `journal report --html`
parsed: charts present, nothing loaded from outside the file."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from python_calamine import CalamineWorkbook

from journal.rules.types import RealizedEvent, RuleResult, StockLot

from conftest import SAMPLES

SHEETS = ["Overview", "Monthly", "Yearly", "Open positions", "Per underlying", "Cycles",
          "Puts sold", "Realized", "Lots", "Option positions", "Ledger", "Flags by code",
          "Flags", "Coverage"]


def _fake_rules():
    ev = RealizedEvent(account="U7654321", description="100 MSFT", underlying="MSFT",
                       asset_category="STK", quantity=D(100), date_acquired=date(2025, 11, 21),
                       date_sold=date(2025, 12, 19), proceeds=D("42298.35"),
                       cost=D("40791.65"), adjustment_code="", adjustment_amount=D(0),
                       gain=D("1506.70"), term="ST", tax_year=2025, kind="assigned_call_shares",
                       lot_id="L1")
    lot = StockLot(lot_id="L1", account="U7654321", symbol="MSFT", quantity=D(100),
                   remaining=D(0), acquired=date(2025, 11, 21),
                   holding_period_acquired=date(2025, 11, 22), tax_basis=D("40791.65"),
                   economic_basis=D("40493.30"), wash_sale_adjustment=D(0),
                   source="put_assignment", open=False)
    return RuleResult(realized=(ev,), lots=(lot,))


@pytest.fixture
def ledger(run, monkeypatch):
    from journal.views import source

    res = run("import", SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml")
    assert res.exit_code == 0, res.output
    # a known RuleResult, so the numbers below do not depend on the rules implementation
    monkeypatch.setattr(source, "rules_for", lambda data, as_of=None: _fake_rules())
    return run


def _sheet(path, name, columns=None):
    """A sheet's rows as dicts by header (or by column key, given the view's columns);
    the table ends at the first empty row (notes follow it)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    header = rows[0]
    if columns is not None:
        by_title = {c.title: c.key for c in columns}
        header = [by_title.get(h, h) for h in header]
    body = []
    for r in rows[1:]:
        if all(v == "" for v in r):
            break
        body.append(dict(zip(header, r)))
    return body


def _money(v) -> D:
    return D(str(v)).quantize(D("0.0001")) if v not in ("", None) else None


def _monthly_columns():
    from journal.views.review import SUMMARY_COLUMNS
    from journal.views.table import col

    return (col("month", "Month"), *SUMMARY_COLUMNS)


def test_workbook_reads_back_with_the_same_numbers(ledger, tmp_path):
    out = tmp_path / "journal.xlsx"
    res = ledger("export", "--xlsx", out)
    assert res.exit_code == 0, res.output
    assert CalamineWorkbook.from_path(str(out)).sheet_names == SHEETS

    summary = json.loads(ledger("summary", "--format", "json").output)
    monthly = _sheet(out, "Monthly", _monthly_columns())
    assert [r["month"] for r in monthly] == [r["month"] for r in summary]
    for got, want in zip(monthly, summary):
        for key in ("premium_gross", "premium_net", "puts_sold_contracts", "expired",
                    "assigned", "called_away", "cumulative_premium_net", "realized_gain",
                    "capital_in_use", "cumulative_realized_gain"):
            assert _money(got[key]) == _money(want[key]), (got["month"], key)
        # percentages are fractions under a 0.00% format: 12.5 % is stored as 0.125
        for key in ("win_rate", "return_on_collateral_annualized"):
            if want[key] is None:
                assert got[key] == ""
            else:
                assert _money(got[key] * 100) == _money(want[key]), (got["month"], key)
    dec = next(r for r in monthly if r["month"] == "2025-12")
    assert _money(dec["realized_gain"]) == D("1506.70")
    assert _money(dec["premium_gross"]) == D("385")

    from journal.views.ledger import TRADE_COLUMNS
    from journal.views.results import LOT_COLUMNS

    ledger_rows = _sheet(out, "Ledger", TRADE_COLUMNS)
    trades = json.loads(ledger("trades", "--format", "json").output)
    assert len(ledger_rows) == len(trades) == 26
    assert sum(_money(r["proceeds"]) for r in ledger_rows) == sum(D(t["proceeds"]) for t in trades)
    assert [r["transaction_id"] for r in ledger_rows] == [t["transaction_id"] for t in trades]

    lots = _sheet(out, "Lots", LOT_COLUMNS)
    assert len(lots) == 1 and _money(lots[0]["tax_basis"]) == D("40791.65")
    overview = {r[0]: r[1] for r in CalamineWorkbook.from_path(str(out))
                .get_sheet_by_name("Overview").to_python() if r and r[0]}
    assert _money(overview["Realized, all time"]) == D("1506.70")


def _formats(ws):
    """{header: (value, number format)} of each column's first filled cell."""
    out = {}
    for column in ws.iter_cols(min_row=1):
        cells = [c for c in column[1:] if c.value is not None]
        if cells:
            out[column[0].value] = (cells[0].value, cells[0].number_format)
    return out


def test_workbook_headers_and_number_formats(ledger, tmp_path):
    from openpyxl import load_workbook

    from journal.exporters.xlsx_stream import DATE_FMT, MONEY_FMT

    out = tmp_path / "journal.xlsx"
    assert ledger("export", "--xlsx", out).exit_code == 0
    wb = load_workbook(out)
    assert wb.active.title == "Overview"  # what the workbook opens on
    for ws in wb.worksheets[1:]:
        header = [c for c in ws[1] if c.value is not None]
        assert header and all(c.font.b for c in header), ws.title
        # human headers: words, not snake_case keys
        assert not any("_" in c.value for c in header), (ws.title, [c.value for c in header])
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        for c in header:  # every header readable in its column's width
            width = ws.column_dimensions[c.column_letter].width
            assert width >= min(max(len(w) for w in c.value.split()), 16), (ws.title, c.value)
    m = _formats(wb["Yearly"])
    assert m["Puts sold"] == (7, "#,##0") and isinstance(m["Puts sold"][0], int)
    assert m["Expired"][1] == "#,##0" and isinstance(m["Expired"][0], int)
    assert m["Net premium"][1] == MONEY_FMT
    under = _formats(wb["Per underlying"])
    assert under["Assignment rate"][1] == "0.00%" and 0 <= under["Assignment rate"][0] <= 1
    assert m["Year"] == (2025, "General")  # a year, not "2,025"
    assert m["Collateral-days"][1] == "#,##0"
    lots = _formats(wb["Lots"])
    assert lots["Acquired"][1] == DATE_FMT and lots["Tax basis"][1] == MONEY_FMT
    assert lots["Shares"] == (100, "#,##0")
    ledger_ws = _formats(wb["Ledger"])
    assert ledger_ws["Date/time"][1] == "yyyy-mm-dd hh:mm:ss"
    assert ledger_ws["Transaction"][1] == "General" and isinstance(
        ledger_ws["Transaction"][0], str)  # an id stays text: no 3.29E+09
    assert ledger_ws["Price"][1] == "#,##0.00######"  # a price keeps its places


def test_roll_chains_are_text_and_counted(run, tmp_path):
    from journal.views.report import CYCLE_EXTRA
    from journal.views.review import CYCLE_COLUMNS

    assert run("import", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    out = tmp_path / "j.xlsx"
    assert run("export", "--xlsx", out).exit_code == 0
    cycles = _sheet(out, "Cycles", (*CYCLE_COLUMNS, *CYCLE_EXTRA))
    amd = next(r for r in cycles if r["underlying"] == "AMD")
    assert amd["rolls"] == 1
    assert amd["roll_chains"] == "3487203551 > 3601482288"  # not "(('3487…',),)"
    assert all(isinstance(r["roll_chains"], str) and "(" not in r["roll_chains"]
               for r in cycles)


def test_overview_charts_are_in_view_and_read_the_monthly_sheet(ledger, tmp_path):
    out = tmp_path / "journal.xlsx"
    assert ledger("export", "--xlsx", out).exit_code == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        charts = sorted(n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        assert len(charts) == 3
        xml = [z.read(n).decode() for n in charts]
        # all three hang off the first sheet (the Overview), near its top-left corner
        assert 'r:id="rId1"' in z.read("xl/worksheets/sheet1.xml").decode()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        assert [n for n in names if n.startswith("xl/drawings/drawing")] == [
            "xl/drawings/drawing1.xml"]
        workbook = z.read("xl/workbook.xml").decode()
    assert 'activeTab="0"' in workbook
    cols = [int(c) for c in re.findall(r"<xdr:from><xdr:col>(\d+)</xdr:col>", drawing)]
    rows = [int(r) for r in re.findall(r"<xdr:row>(\d+)</xdr:row>", drawing)]
    assert len(cols) == 3 and max(cols) <= 4 and max(rows) <= 30
    titles = [re.search(r"<a:t>([^<]+)</a:t>", x)[1] for x in xml]
    assert titles == ["Premium per month", "Cumulative realized gain",
                      "Capital in use (end of month)"]
    assert re.search(r"<(\w+:)?barChart>", xml[0])
    assert all(re.search(r"<(\w+:)?lineChart>", x) for x in xml[1:])
    # the series point at the Monthly sheet's own cells, headers and values
    for x in xml:
        refs = re.findall(r"<c:f>([^<]+)</c:f>", x)
        assert refs and all(r.startswith("'Monthly'!$") for r in refs), refs
    # the axes say dollars
    assert all('formatCode="&quot;$&quot;#,##0' in x for x in xml)


def _files(folder):
    return sorted(p for p in folder.rglob("*") if not p.name.startswith("ledger.db"))


def _one_clean_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Exception ignored" not in stderr and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("command", [["export", "--xlsx"], ["tax", "2025", "--xlsx"]])
def test_writing_a_workbook_where_it_cannot_be_written(run, tmp_path, db_path, command):
    """One line, exit 1, no 'Exception ignored' at exit, nothing left behind."""
    import subprocess
    import sys

    assert run("import", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for target in (blocker / "sub" / "j.xlsx", blocker / "j.xlsx"):
        before = _files(tmp_path)
        proc = subprocess.run([sys.executable, "-m", "journal", "--db", str(db_path),
                               *command, str(target)], capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 1, proc
        line = _one_clean_line(proc.stderr)
        assert str(target) in line and "cannot write" in line, line
        assert _files(tmp_path) == before  # no half-written or temporary file


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_self_contained_with_charts(ledger, tmp_path):
    out = tmp_path / "report.html"
    res = ledger("report", "--html", out)
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    p = _Collector()
    p.feed(page)
    tags = [t for t, _ in p.tags]
    assert ("meta", {"name": "viewport",
                     "content": "width=device-width, initial-scale=1"}) in p.tags
    assert tags.count("svg") == 6  # three charts, each drawn wide and narrow
    assert tags.count("rect") >= 6 and tags.count("polyline") >= 4  # bars and lines drawn
    text = "".join(p.text)
    for title in ("Net premium per month", "Cumulative realized gain",
                  "Capital in use (end of month)"):
        assert title in text
    assert "726.25" in text  # October 2025 net premium in the monthly table
    assert "$0" in text and re.search(r"\$\d{1,3}(,\d{3})+", text)  # dollar axes
    assert "http://" not in page and "https://" not in page and "//" not in page
    for tag, attrs in p.tags:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
        assert tag not in ("script", "link", "iframe", "img", "object", "embed")
    # ids from the charts never collide
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_html_report_headline_first_and_every_annualized_basis(run, tmp_path):
    assert run("import", SAMPLES / "wheel_2025_U7654321.xml",
               SAMPLES / "wheel_2025_multi.xml").exit_code == 0
    out = tmp_path / "r.html"
    assert run("report", "--html", out).exit_code == 0
    p = _Collector()
    p.feed(out.read_text(encoding="utf-8"))
    text = "".join(p.text)
    headings = re.findall(r"<h2>([^<]+)</h2>", out.read_text(encoding="utf-8"))
    assert headings[:3] == ["At 2026-01-31", "Open positions at 2026-01-31",
                            "Premium, realized gain and capital in use"]
    assert "Net premium, all time" in text and "2,842.25" in text
    # the open KO lot, at the top
    assert text.index("U7654321:3290164417") < text.index("Per year")
    # the subtitle promises what the page shows, no more
    sub = re.search(r'<p class="sub">([^<]+)</p>', out.read_text(encoding="utf-8"))[1]
    assert "U7654321, U7654322" in sub and "2025-01-02 to 2026-01-31" in sub
    # KO: the per-underlying and per-cycle annualized figures, each with its basis
    for basis in ("Annualized % per underlying", "Annualized % per cycle",
                  "Annualized % per month or year", "Annualized % per put sold"):
        assert basis in text
    # aggregates only: no listing of the ledger's executions
    assert "Ledger" not in text and "Date/time" not in text


def test_workbook_with_the_real_rules(run, tmp_path):
    from journal.views.report import OPTION_COLUMNS
    from journal.views.results import LOT_COLUMNS

    assert run("import", SAMPLES / "wheel_2025_U7654321.xml",
               SAMPLES / "wheel_2025_multi.xml").exit_code == 0
    out = tmp_path / "j.xlsx"
    res = run("export", "--xlsx", out)
    assert res.exit_code == 0 and "Ledger: 26" in res.output, res.output
    lots = _sheet(out, "Lots", LOT_COLUMNS)
    ko = next(r for r in lots if r["symbol"] == "KO")
    assert _money(ko["tax_basis"]) == D("6241")  # 6240 + 1 commission
    # 11 opening fills (the AAPL order filled twice) and 7 cycles in the samples
    assert len(_sheet(out, "Option positions", OPTION_COLUMNS)) == 11
    assert len(_sheet(out, "Cycles")) == 7
    monthly = {r["month"]: r for r in _sheet(out, "Monthly", _monthly_columns())}
    assert _money(monthly["2025-12"]["cumulative_realized_gain"]) == D("2299.3549")
    assert [r["Code"] for r in _sheet(out, "Flags")] == ["WASH_SALE_OPTION", "NON_QCC"]
    assert {r["Code"]: r["Count"] for r in _sheet(out, "Flags by code")} == {
        "NON_QCC": 1, "WASH_SALE_OPTION": 1}
    coverage = {r["Account"]: r for r in _sheet(out, "Coverage")}
    assert coverage["U7654321"]["Statements to"] == date(2026, 1, 31)


def test_html_report_lists_flags_and_statement_coverage(run, tmp_path):
    assert run("import", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    out = tmp_path / "r.html"
    assert run("report", "--html", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    p = _Collector()
    p.feed(page)
    text = "".join(p.text)
    assert "Flags to review" in text and "Statement coverage" in text
    # grouped by code as `journal flags` shows them, with the meaning of each
    assert "NON_QCC" in text and "not a qualified covered call" in text
    assert "2025-01-02" in text and "2025-12-31" in text


def test_statement_text_and_odd_values_are_written_safely(tmp_path):
    """Text a spreadsheet would run stays text; characters XML cannot carry, over-long
    text, lists and non-finite numbers give a workbook both readers open."""
    from openpyxl import load_workbook

    from journal.exporters.xlsx_journal import write_table
    from journal.exporters.xlsx_stream import Book
    from journal.views.table import Kind, col, table

    inject = '=HYPERLINK("http://evil.example","x")'
    t = table((col("text", "Text"), col("money", "Money", Kind.MONEY),
               col("chains", "Chains", Kind.LIST), col("n", "N", Kind.COUNT),
               col("pct", "Pct", Kind.PERCENT)),
              [{"text": inject, "money": D("-1234.5678"), "chains": ("a", "b"), "n": 3,
                "pct": D("12.5")},
               {"text": "bell\x07 and \x1b esc <&>", "money": D("NaN"), "chains": [],
                "n": D("2.5"), "pct": None},
               {"text": "x" * 40000, "money": None, "chains": None, "n": None,
                "pct": D(0)}])
    out = tmp_path / "odd.xlsx"
    with Book(out) as book:
        assert write_table(book, "Odd", t) == 3
    ws = load_workbook(out)["Odd"]
    assert ws["A2"].data_type == "s" and ws["A2"].value == "'" + inject
    assert "\x07" not in ws["A3"].value and ws["A3"].value.endswith("esc <&>")
    assert len(ws["A4"].value) == 32767  # Excel's limit for one cell
    assert ws["B2"].value == -1234.5678 and ws["B3"].value == "NaN"
    assert ws["C2"].value == "a, b" and ws["C3"].value is None
    assert (ws["D2"].value, ws["D2"].number_format) == (3, "#,##0")
    assert ws["D3"].value == 2.5 and ws["D3"].number_format != "#,##0"  # not shown as 3
    assert (ws["E2"].value, ws["E2"].number_format) == (0.125, "0.00%")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Odd").to_python()
    assert rows[1][0] == "'" + inject and rows[1][1] == -1234.5678
