"""Shared checks for the tax tests: read every output format back and compare its totals
with the summary. Not a test module itself (no test_ prefix)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from journal import tax
from journal.exporters import txf, xlsx_tax
from journal.output import render

D = Decimal
CENT = D("0.01")


def dec(v) -> Decimal:
    """A calamine/openpyxl number as Decimal, to the cent (floats only ever carry cents)."""
    return D(str(v)).quantize(CENT)


def totals_from_dicts(rows) -> dict:
    """Summary-shaped totals from listing rows whose money is text (csv/json)."""
    out = {"I": [D(0)] * 4, "II": [D(0)] * 4, "6781": D(0), "wash": D(0)}
    for r in rows:
        vals = [D(r["proceeds"]), D(r["cost_basis"]), D(r["adjustment"]), D(r["gain_loss"])]
        if r["form"] == "6781":
            out["6781"] += vals[3]
            continue
        out[r["part"]] = [a + b for a, b in zip(out[r["part"]], vals)]
        out["wash"] += D(r["wash_sale"])  # (g) may hold B/E corrections besides W
    return out


def expected_from_summary(s: dict) -> dict:
    def four(k):
        t = s[k]
        return [D(t["proceeds"]), D(t["cost_basis"]), D(t["adjustments"]), D(t["gain_loss"])]

    return {"I": four("short_term"), "II": four("long_term"),
            "6781": D(s["section_1256"]["gain_loss"]), "wash": D(s["wash_sale_disallowed"])}


class FormulaEval:
    """Evaluates the few formula shapes the workbook uses, from the cells' stored values,
    so a test can show each formula computes the number cached beside it."""

    REF = r"(?:'(?P<s{n}>[^']+)'!)?(?P<c{n}>\$?[A-Z]+\$?\d+)"

    def __init__(self, path):
        self.wb = load_workbook(path)  # formulas as text
        self.cal = CalamineWorkbook.from_path(str(path))
        self.values = {name: self.cal.get_sheet_by_name(name).to_python()
                       for name in self.cal.sheet_names}

    def cell(self, sheet, ref):
        m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref)
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        row = int(m.group(2))
        rows = self.values[sheet]
        if row - 1 >= len(rows) or col - 1 >= len(rows[row - 1]):
            return ""
        return rows[row - 1][col - 1]

    def rng(self, sheet, a, b):
        ma, mb = re.fullmatch(r"([A-Z]+)(\d+)", a), re.fullmatch(r"([A-Z]+)(\d+)", b)
        assert ma.group(1) == mb.group(1), "only single-column ranges are used"
        return [self.cell(sheet, f"{ma.group(1)}{r}")
                for r in range(int(ma.group(2)), int(mb.group(2)) + 1)]

    def evaluate(self, sheet, formula):
        assert formula.startswith("=")
        expr = formula[1:]
        env = {"SUM": lambda xs: sum((dec(x) for x in xs if isinstance(x, (int, float))), D(0)),
               "SUMIFS": lambda xs, cs, crit: sum((dec(x) for x, c in zip(xs, cs)
                                                   if str(c) == crit
                                                   and isinstance(x, (int, float))), D(0)),
               "ROUND": lambda x, n: D(x).quantize(D(1).scaleb(-n), rounding="ROUND_HALF_UP"),
               "D": D}
        holder = []
        # Decimal literals first, before cell values (which may be negative) are inlined.
        expr = re.sub(r"(?<![\w.'])(\d+\.\d+)", r"D('\1')", expr)

        def sub_range(m):
            holder.append(self.rng(m.group("sh") or sheet, m.group("a"), m.group("b")))
            return f"__r[{len(holder) - 1}]"

        expr = re.sub(r"(?:'(?P<sh>[^']+)'!)?(?P<a>[A-Z]+\d+):(?P<b>[A-Z]+\d+)", sub_range, expr)

        def sub_cell(m):
            v = self.cell(m.group("sh") or sheet, m.group("a"))
            return f"D('{dec(v) if v != '' else 0}')"

        expr = re.sub(r"(?:'(?P<sh>[^']+)'!)?(?<![A-Za-z_])(?P<a>[A-Z]+\d+)\b", sub_cell, expr)
        env["__r"] = holder
        return eval(expr, env)

    def formulas(self):
        for ws in self.wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.data_type == "f":
                        yield ws.title, c.coordinate, c.value


def xlsx_totals(path) -> dict:
    """Totals as the workbook shows them (cached formula values, via calamine), after
    checking that every formula re-evaluates to its cached value."""
    fe = FormulaEval(path)
    n = 0
    for sheet, coord, formula in fe.formulas():
        cached = fe.cell(sheet, coord)
        assert cached != "", f"{sheet}!{coord} has no cached value"
        assert fe.evaluate(sheet, formula) == dec(cached), (sheet, coord, formula)
        n += 1
    assert n >= 8

    def total_row(sheet, label="Total"):
        for row in fe.values[sheet]:
            if row and row[0] == label:
                return row
        raise AssertionError(f"no {label} row in {sheet}")

    out = {}
    for part, sheet in (("I", "8949 Part I"), ("II", "8949 Part II")):
        row = total_row(sheet)
        out[part] = [dec(row[i]) for i in (5, 6, 8, 9)]
        # Independent of the formulas: add the data cells up ourselves.
        rows = fe.values[sheet]
        end = next(i for i, r in enumerate(rows) if r and r[0] == "Total")
        data = rows[1:end]
        # one line per box follows the total; together they make the part's total
        boxes = [r for r in rows[end + 1:] if r and str(r[0]).startswith("Box ")]
        assert [sum((dec(r[i]) for r in boxes), D(0)) for i in (5, 6, 8, 9)] == out[part]
        sums = [sum((dec(r[i]) for r in data if r[i] != ""), D(0)) for i in (5, 6, 8, 9)]
        assert sums == out[part], (sheet, sums, out[part])
    out["6781"] = dec(total_row("6781", "Line 7: net gain or (loss)")[7])
    out["6781_st"] = dec(total_row("6781", "Line 8: short-term (40 %)")[7])
    out["6781_lt"] = dec(total_row("6781", "Line 9: long-term (60 %)")[7])
    out["wash"] = dec(total_row("Wash sales")[7])
    sched = {row[0]: row for row in fe.values["Schedule D"][1:]}
    out["sched_d"] = {k: dec(v[5]) for k, v in sched.items()}
    # The totals cells are formulas (openpyxl reads the formula text back).
    ws = fe.wb["8949 Part I"]
    total = next(r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == "Total")
    assert str(ws[f"J{total}"].value).startswith("=SUM(J2:"), ws[f"J{total}"].value
    assert str(fe.wb["Schedule D"]["F2"].value).startswith("=SUMIFS(")
    return out


def check_all_formats(report: tax.TaxReport, tmp_path, recon=None) -> dict:
    """csv, json, xlsx and TXF all carry the summary's totals. Returns what it read."""
    s = report.summary()
    want = expected_from_summary(s)
    rows = tax.row_dicts(report)

    got_csv = totals_from_dicts(csv.DictReader(io.StringIO(render(rows, tax.ROW_COLUMNS, "csv"))))
    got_json = totals_from_dicts(json.loads(render(rows, tax.ROW_COLUMNS, "json")))
    assert got_csv == want
    assert got_json == want

    path = tmp_path / "tax.xlsx"
    xlsx_tax.write(path, report, recon)
    got = xlsx_totals(path)
    assert got["I"] == want["I"] and got["II"] == want["II"]
    assert got["6781"] == want["6781"] and got["wash"] == want["wash"]
    assert got["6781_st"] == D(s["section_1256"]["short_term_40"])
    assert got["6781_lt"] == D(s["section_1256"]["long_term_60"])
    assert got["sched_d"]["7"] == want["I"][3] + got["6781_st"]
    assert got["sched_d"]["15"] == want["II"][3] + got["6781_lt"]

    tpath = tmp_path / "tax.txf"
    txf.write(tpath, report.rows)
    _header, recs = txf.parse(tpath.read_text(encoding="ascii"), str(tpath))
    assert len(recs) == len(report.rows)
    by_part = {"I": [D(0)] * 3, "II": [D(0)] * 3}
    for r in recs:
        part = "I" if r.box in "ABC" else "II"
        by_part[part] = [a + b for a, b in zip(by_part[part], (r.proceeds, r.cost, r.wash_sale))]
    for part in ("I", "II"):
        p, c, w = by_part[part]
        assert (p, c) == (want[part][0], want[part][1])
        assert p - c + w == want[part][3] or any(
            x.adjustment and "W" not in x.code for x in report.rows)
    assert by_part["I"][2] + by_part["II"][2] == want["wash"]
    return {"csv": got_csv, "json": got_json, "xlsx": got, "txf": by_part}
