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

SHEETS = ["Ledger", "Positions", "Lots", "Cycles", "Monthly", "Review", "Flags", "Coverage"]


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


def _sheet(path, name):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()
    header, body = rows[0], rows[1:]
    return [dict(zip(header, r)) for r in body]


def _money(v) -> D:
    return D(str(v)).quantize(D("0.0001")) if v not in ("", None) else None


def test_workbook_reads_back_with_the_same_numbers(ledger, tmp_path):
    out = tmp_path / "journal.xlsx"
    res = ledger("export", "--xlsx", out)
    assert res.exit_code == 0, res.output
    assert CalamineWorkbook.from_path(str(out)).sheet_names == SHEETS

    summary = json.loads(ledger("summary", "--format", "json").output)
    monthly = _sheet(out, "Monthly")
    assert [r["month"] for r in monthly] == [r["month"] for r in summary]
    for got, want in zip(monthly, summary):
        for key in ("premium_gross", "premium_net", "puts_sold_contracts", "expired",
                    "assigned", "called_away", "cumulative_premium_net", "realized_gain",
                    "capital_in_use", "cumulative_realized_gain"):
            assert _money(got[key]) == _money(want[key]), (got["month"], key)
    dec = next(r for r in monthly if r["month"] == "2025-12")
    assert _money(dec["realized_gain"]) == D("1506.70")
    assert _money(dec["premium_gross"]) == D("385")

    ledger_rows = _sheet(out, "Ledger")
    trades = json.loads(ledger("trades", "--format", "json").output)
    assert len(ledger_rows) == len(trades) == 26
    assert sum(_money(r["proceeds"]) for r in ledger_rows) == sum(D(t["proceeds"]) for t in trades)

    lots = _sheet(out, "Lots")
    assert len(lots) == 1 and _money(lots[0]["tax_basis"]) == D("40791.65")
    review = _sheet(out, "Review")
    msft = next(r for r in review if r["section"] == "underlying" and r["underlying"] == "MSFT")
    assert _money(msft["premium_net"]) == D("506.70")


def test_workbook_has_native_charts(ledger, tmp_path):
    out = tmp_path / "journal.xlsx"
    assert ledger("export", "--xlsx", out).exit_code == 0
    with zipfile.ZipFile(out) as z:
        charts = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        assert len(charts) == 2
        xml = [z.read(n).decode() for n in charts]
    assert any(re.search(r"<(\w+:)?barChart>", x) for x in xml)
    assert any(re.search(r"<(\w+:)?lineChart>", x) for x in xml)
    # the series point at the Monthly sheet's own cells
    assert all("Monthly!" in x or "'Monthly'!" in x for x in xml)


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
    assert tags.count("svg") == 2
    assert tags.count("path") > 10  # drawn bars, lines, axes: real charts, not placeholders
    text = "".join(p.text)
    assert "Premium per month" in text and "Cumulative realized gain" in text
    assert "726.25" in text  # October 2025 net premium in the monthly table
    assert "http://" not in page and "https://" not in page and "//" not in page
    for tag, attrs in p.tags:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
        assert tag not in ("script", "link", "iframe", "img", "object", "embed")
    # ids from the two charts never collide
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_export_to_unwritable_place_is_a_user_error(ledger, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = ledger("export", "--xlsx", blocker / "sub" / "j.xlsx")
    assert res.exit_code == 1 and "cannot write" in res.output


def test_workbook_with_the_real_rules(run, tmp_path):
    assert run("import", SAMPLES / "wheel_2025_U7654321.xml",
               SAMPLES / "wheel_2025_multi.xml").exit_code == 0
    out = tmp_path / "j.xlsx"
    assert run("export", "--xlsx", out).exit_code == 0
    lots = _sheet(out, "Lots")
    ko = next(r for r in lots if r["symbol"] == "KO")
    assert _money(ko["tax_basis"]) == D("6241")  # 6240 + 1 commission
    # 11 opening fills (the AAPL order filled twice) and 7 cycles in the samples
    assert len(_sheet(out, "Positions")) == 11 and len(_sheet(out, "Cycles")) == 7
    monthly = {r["month"]: r for r in _sheet(out, "Monthly")}
    assert _money(monthly["2025-12"]["cumulative_realized_gain"]) == D("2299.3549")
    assert [r["code"] for r in _sheet(out, "Flags")] == ["WASH_SALE_OPTION", "NON_QCC"]
    coverage = {r["account"]: r for r in _sheet(out, "Coverage")}
    assert coverage["U7654321"]["statements_to"] == date(2026, 1, 31)


def test_html_report_lists_flags_and_statement_coverage(run, tmp_path):
    assert run("import", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    out = tmp_path / "r.html"
    assert run("report", "--html", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    p = _Collector()
    p.feed(page)
    text = "".join(p.text)
    assert "Flags to review" in text and "Statement coverage" in text
    assert "NON_QCC" in text and "MSFT 19DEC25 420 C written 2025-11-24" in text
    assert "2025-01-02" in text and "2025-12-31" in text
