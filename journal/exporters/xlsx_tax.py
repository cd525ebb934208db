"""The tax workbook: Form 8949 Parts I/II, Schedule D, Form 6781, wash sales, flags and
the reconciliation with IB, one sheet each.

Totals are spreadsheet formulas (``=SUM``/``=SUMIFS``/``=ROUND``) over the rows, so a
preparer who edits a row sees the totals follow. openpyxl cannot calculate, and a reader
that does not recalculate (pandas, calamine, previews) would see empty totals, so each
formula cell also gets its cached value: the same Decimal the summary reports, written
into the saved file. Excel and LibreOffice recalculate on open (``fullCalcOnLoad``).

Text that came from a statement is neutralised (``csv_safe``) and stored as a string,
never as a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from journal.reconcile import Reconciliation, recon_dicts
from journal.render.text import csv_safe, neutralise
from journal.tax import ZERO, TaxReport, flag_dicts

MONEY_FMT = '#,##0.00;[Red]-#,##0.00'
DATE_FMT = "yyyy-mm-dd"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
TOTAL_FONT = Font(bold=True)

SHEETS = ("8949 Part I", "8949 Part II", "Schedule D", "6781", "Wash sales", "Flags",
          "Reconciliation")

# (header, key, kind, width); kind: text | money | date | int
F8949_COLS = [
    ("Box", "box", "text", 5), ("Sch D line", "line", "text", 9),
    ("(a) Description of property", "description", "text", 34),
    ("(b) Date acquired", "date_acquired", "date", 12),
    ("(c) Date sold or disposed of", "date_sold", "date", 12),
    ("(d) Proceeds", "proceeds", "money", 14), ("(e) Cost or other basis", "cost", "money", 14),
    ("(f) Code(s)", "code", "text", 8), ("(g) Adjustment", "adjustment", "money", 13),
    ("(h) Gain or (loss)", "gain", "money", 14), ("Term", "term", "text", 8),
    ("Account", "account", "text", 12), ("Kind", "kind", "text", 20),
    ("Transaction ID", "transaction_id", "text", 14),
]


def _ref(sheet: str, cell: str) -> str:
    return f"'{sheet}'!{cell}"


class _Book:
    def __init__(self):
        self.wb = Workbook()
        self.wb.remove(self.wb.active)
        self.cached: dict = {}  # sheet title -> {cell: Decimal}

    def sheet(self, title, columns):
        ws = self.wb.create_sheet(title)
        for i, (head, _key, _kind, width) in enumerate(columns, start=1):
            c = ws.cell(row=1, column=i, value=head)
            c.font, c.fill = HEADER_FONT, HEADER_FILL
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        return ws

    def put(self, ws, row, col, value, kind):
        c = ws.cell(row=row, column=col)
        if value is None:
            return c
        if kind == "money":
            c.value = value if isinstance(value, Decimal) else Decimal(value)
            c.number_format = MONEY_FMT
        elif kind == "date" and isinstance(value, date):
            c.value = value
            c.number_format = DATE_FMT
        elif kind == "int":
            c.value = value
        else:
            c.value = csv_safe(neutralise(str(value)))
            c.data_type = "s"  # never a formula, whatever the statement text says
        return c

    def formula(self, ws, cell, text, value, money=True):
        c = ws[cell]
        c.value = "=" + text
        c.font = TOTAL_FONT
        if money:
            c.number_format = MONEY_FMT
        self.cached.setdefault(ws.title, {})[cell] = value
        return c

    def rows(self, ws, columns, dicts):
        for r, d in enumerate(dicts, start=2):
            for i, (_h, key, kind, _w) in enumerate(columns, start=1):
                self.put(ws, r, i, d.get(key), kind)
        last = len(dicts) + 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last, 1)}"
        # One blank row before the totals keeps SUM(x2:xN) valid when there are no rows.
        return last + 2, f"{2}:{last + 1}"

    def save(self, path) -> None:
        buf = io.BytesIO()
        self.wb.save(buf)
        titles = [ws.title for ws in self.wb.worksheets]
        src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
                if m:
                    title = titles[int(m.group(1)) - 1]
                    data = _cache_values(data, self.cached.get(title, {}))
                dst.writestr(item, data)
        with open(path, "wb") as fh:
            fh.write(out.getvalue())


def _cached(v: str):
    """The replacement that puts the cached value ``v`` after a formula."""
    return lambda m: m.group(1) + f"<v>{v}</v>"


def _cache_values(xml: bytes, values: dict) -> bytes:
    text = xml.decode("utf-8")
    for cell, value in values.items():
        v = format(value, "f") if isinstance(value, Decimal) else str(value)
        pat = re.compile(r'(<c r="' + re.escape(cell) + r'"[^>]*><f>[^<]*</f>)<v\s*/>')
        text, n = pat.subn(_cached(v), text, count=1)
        if n != 1:
            raise AssertionError(f"formula cell {cell} not found in sheet XML")
    return text.encode("utf-8")


def _replacement_text(w) -> str:
    where = getattr(w, "replacement_account", "")
    when = getattr(w, "replacement_date", None)
    text = (f"{getattr(w, 'quantity', '')} on {when.isoformat() if when else '?'} in {where}, "
            f"{getattr(w, 'disallowed', '')} disallowed")
    if getattr(w, "basis_carried", True) is False:
        text += " (IRA: loss lost, no basis carried)"
    return text


def _flag_groups(book: _Book, ws, row: int, flags) -> None:
    """Under the flags, one line per code (the grouping of ``journal flags``)."""
    from journal.views.flags import groups

    grouped = groups(flags).rows
    if not grouped:
        return
    ws.cell(row=row, column=1, value="By code").font = TOTAL_FONT
    for g in grouped:
        row += 1
        book.put(ws, row, 1, g["code"], "text")
        book.put(ws, row, 2, g["severity"], "text")
        book.put(ws, row, 4, g["count"], "int")
        book.put(ws, row, 5, ", ".join(map(str, g["years"])), "text")
        book.put(ws, row, 7, g["meaning"], "text")


def _row_dict(r) -> dict:
    return {"box": r.box, "line": r.line, "description": r.description,
            "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
            "proceeds": r.proceeds, "cost": r.cost, "code": r.code,
            "adjustment": r.adjustment, "gain": r.gain, "term": r.term, "account": r.account,
            "kind": r.kind, "transaction_id": r.transaction_id}


def _f8949(book: _Book, title: str, rows) -> dict:
    ws = book.sheet(title, F8949_COLS)
    total_row, _ = book.rows(ws, F8949_COLS, [_row_dict(r) for r in rows])
    last = total_row - 1
    ws.cell(row=total_row, column=1, value="Total").font = TOTAL_FONT
    sums = {"proceeds": ZERO, "cost": ZERO, "adjustment": ZERO, "gain": ZERO}
    for r in rows:
        for k in sums:
            sums[k] += getattr(r, k)
    cells = {}
    for i, (_h, key, _k, _w) in enumerate(F8949_COLS, start=1):
        if key in sums:
            col = get_column_letter(i)
            cell = f"{col}{total_row}"
            book.formula(ws, cell, f"SUM({col}2:{col}{last})", sums[key])
            cells[key] = (col, last)
    return cells


def write(path, report: TaxReport, recon: Reconciliation | None = None) -> None:
    book = _Book()
    p1 = _f8949(book, SHEETS[0], report.part1)
    _f8949(book, SHEETS[1], report.part2)

    # Schedule D: each line a SUMIFS over the 8949 rows carrying that line number.
    sd_cols = [("Line", "line", "text", 6), ("Description", "text", "text", 52),
               ("(d) Proceeds", "proceeds", "money", 14), ("(e) Cost or other basis", "cost",
                                                          "money", 14),
               ("(g) Adjustments", "adjustment", "money", 14),
               ("(h) Gain or (loss)", "gain", "money", 14)]
    ws = book.sheet(SHEETS[2], sd_cols)
    lines = report.schedule_d()
    letters = {"proceeds": "C", "cost": "D", "adjustment": "E", "gain": "F"}
    src_col = {k: p1[k][0] for k in letters}  # same layout in both 8949 sheets
    line_col = "B"
    row_of = {}
    f6781_cells = {}
    for r, ln in enumerate(lines, start=2):
        row_of[ln["line"]] = r
        book.put(ws, r, 1, ln["line"], "text")
        book.put(ws, r, 2, ln["text"], "text")
    # Schedule D lines 4 and 11 refer to the 6781 totals, so lay that sheet out first.
    ws6 = book.sheet(SHEETS[3], [("Account", "account", "text", 12),
                                 ("(a) Description", "description", "text", 34),
                                 ("Date acquired", "date_acquired", "date", 12),
                                 ("Date closed / marked", "date_closed", "date", 14),
                                 ("Kind", "kind", "text", 16),
                                 ("Proceeds", "proceeds", "money", 14),
                                 ("Cost", "cost", "money", 14),
                                 ("Gain or (loss)", "gain", "money", 14),
                                 ("Transaction ID", "transaction_id", "text", 14)])
    cols6 = [("", "account", "text", 0), ("", "description", "text", 0),
             ("", "date_acquired", "date", 0), ("", "date_closed", "date", 0),
             ("", "kind", "text", 0), ("", "proceeds", "money", 0), ("", "cost", "money", 0),
             ("", "gain", "money", 0), ("", "transaction_id", "text", 0)]
    total6, _ = book.rows(ws6, cols6, [r.__dict__ for r in report.form6781])
    s = report.section_1256
    last6 = total6 - 1
    ws6.cell(row=total6, column=1, value="Line 7: net gain or (loss)").font = TOTAL_FONT
    book.formula(ws6, f"H{total6}", f"SUM(H2:H{last6})", s.gain)
    ws6.cell(row=total6 + 1, column=1, value="Line 8: short-term (40 %)").font = TOTAL_FONT
    book.formula(ws6, f"H{total6 + 1}", f"ROUND(H{total6}*0.4,2)", s.short_term_40)
    ws6.cell(row=total6 + 2, column=1, value="Line 9: long-term (60 %)").font = TOTAL_FONT
    book.formula(ws6, f"H{total6 + 2}", f"H{total6}-H{total6 + 1}", s.long_term_60)
    f6781_cells["4"] = _ref(SHEETS[3], f"H{total6 + 1}")
    f6781_cells["11"] = _ref(SHEETS[3], f"H{total6 + 2}")

    for ln in lines:
        r = row_of[ln["line"]]
        no = ln["line"]
        if no in ("4", "11"):
            book.formula(ws, f"F{r}", f6781_cells[no], ln["gain"])
        elif no in ("7", "15"):
            first, last_ = (row_of["1a"], row_of["4"]) if no == "7" else (row_of["8a"],
                                                                          row_of["11"])
            book.formula(ws, f"F{r}", f"SUM(F{first}:F{last_})", ln["gain"])
        else:
            sheet = SHEETS[0] if no in ("1a", "1b", "2", "3") else SHEETS[1]
            n = len(report.part1 if sheet == SHEETS[0] else report.part2) + 2
            for key, col in letters.items():
                rng = _ref(sheet, f"{src_col[key]}2:{src_col[key]}{n}")
                crit = _ref(sheet, f"{line_col}2:{line_col}{n}")
                book.formula(ws, f"{col}{r}", f'SUMIFS({rng},{crit},"{no}")', ln[key])
    ws.auto_filter.ref = f"A1:F{len(lines) + 1}"

    _wash_sheet(book, report)
    _flags_sheet(book, report)
    _recon_sheet(book, recon)
    assert tuple(w.title for w in book.wb.worksheets) == SHEETS
    book.save(path)


def _wash_sheet(book: _Book, report: TaxReport) -> None:
    """Every W row with its replacement(s) and the total disallowed."""
    wcols = [("Account", "account", "text", 12), ("Description", "description", "text", 34),
             ("Date acquired", "date_acquired", "date", 12), ("Date sold", "date_sold", "date", 12),
             ("Proceeds", "proceeds", "money", 14), ("Cost", "cost", "money", 14),
             ("Loss", "loss", "money", 14), ("Disallowed (W)", "disallowed", "money", 14),
             ("Code", "code", "text", 6), ("Transaction ID", "transaction_id", "text", 14),
             ("Replacement(s)", "replacements", "text", 60)]
    ws = book.sheet(SHEETS[4], wcols)
    wrows = [{"account": r.account, "description": r.description,
              "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
              "proceeds": r.proceeds, "cost": r.cost, "loss": r.proceeds - r.cost,
              "disallowed": r.wash_sale, "code": r.code, "transaction_id": r.transaction_id,
              "replacements": "; ".join(_replacement_text(w) for w in report.replacements(r))}
             for r in report.wash_sales]
    tw, _ = book.rows(ws, wcols, wrows)
    ws.cell(row=tw, column=1, value="Total").font = TOTAL_FONT
    book.formula(ws, f"H{tw}", f"SUM(H2:H{tw - 1})", report.wash_sale_disallowed)


def _flags_sheet(book: _Book, report: TaxReport) -> None:
    """The flags of the year, then one line per code."""
    fcols = [("Code", "code", "text", 22), ("Account", "account", "text", 12),
             ("Date", "date", "date", 12), ("Symbol", "symbol", "text", 10),
             ("Tax year", "tax_year", "int", 8), ("Transaction ID", "transaction_id", "text", 14),
             ("Message", "message", "text", 90)]
    ws = book.sheet(SHEETS[5], fcols)
    end, _ = book.rows(ws, fcols, flag_dicts(report.flags))
    _flag_groups(book, ws, end, report.flags)


def _recon_sheet(book: _Book, recon: Reconciliation | None) -> None:
    """Our gains against IB's fifoPnlRealized, line by line and by reason."""
    rcols = [("Account", "account", "text", 12), ("Trade date", "trade_date", "date", 12),
             ("Transaction ID", "transaction_id", "text", 14),
             ("Description", "description", "text", 30), ("IB fifoPnlRealized", "ib_pnl",
                                                           "money", 14),
             ("Ours", "ours", "money", 14), ("Difference (ours − IB)", "difference", "money", 14),
             ("Explained", "explained", "money", 14), ("Unexplained", "unexplained", "money", 14),
             ("Status", "status", "text", 12), ("Reasons", "reasons", "text", 60)]
    ws = book.sheet(SHEETS[6], rcols)
    rd = recon_dicts(recon) if recon is not None else []
    tr, _ = book.rows(ws, rcols, rd)
    ws.cell(row=tr, column=1, value="Total").font = TOTAL_FONT
    for col, key in (("E", "ib_pnl"), ("F", "ours"), ("G", "difference"),
                     ("H", "explained"), ("I", "unexplained")):
        total = sum((d[key] for d in rd if d[key] is not None), ZERO)
        book.formula(ws, f"{col}{tr}", f"SUM({col}2:{col}{tr - 1})", total)
    if recon is not None:
        from journal.reconcile import REASONS

        r = tr + 2
        ws.cell(row=r, column=1, value="By reason").font = TOTAL_FONT
        for code, amount in sorted(recon.by_reason().items()):
            r += 1
            book.put(ws, r, 1, code, "text")
            book.put(ws, r, 4, REASONS.get(code, ""), "text")
            book.put(ws, r, 7, amount, "money")
