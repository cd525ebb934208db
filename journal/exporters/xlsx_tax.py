"""The tax workbook: Form 8949 Parts I/II, Schedule D, Form 6781, wash sales, flags and
the reconciliation with IB, one sheet each, written row by row
(:mod:`journal.exporters.xlsx_stream`).

Totals are spreadsheet formulas (``=SUM``/``=SUMIFS``/``=ROUND``) over the rows, so a
preparer who edits a row sees the totals follow. Each formula cell also carries its
cached value (the same Decimal the summary reports), so a reader that does not
recalculate (pandas, calamine, previews) sees the totals too; Excel and LibreOffice
recalculate on open (``fullCalcOnLoad``).

Text that came from a statement is neutralised (``csv_safe``) and stored as a string,
never as a formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from journal.exporters.xlsx_stream import (
    ENCODERS,
    MONEY_FMT,
    Book,
    Formula,
    Sheet,
    column_letter,
    formula,
    styled,
)
from journal.reconcile import Reconciliation, recon_dicts
from journal.tax import ZERO, TaxReport, flag_dicts

__all__ = ["MONEY_FMT", "SHEETS", "write"]

SHEETS = ("8949 Part I", "8949 Part II", "Schedule D", "6781", "Wash sales", "Flags",
          "Reconciliation")

# (header, key, kind, width); kind: text | money | date | int
Columns = Sequence[tuple[str, str, str, float]]
F8949_COLS: Columns = [
    ("Box", "box", "text", 5), ("Sch D line", "line", "text", 9),
    ("(a) Description of property", "description", "text", 34),
    ("(b) Date acquired", "date_acquired", "date", 12),
    ("(c) Date sold or disposed of", "date_sold", "date", 12),
    ("(d) Proceeds", "proceeds", "money", 14), ("(e) Cost or other basis", "cost", "money", 14),
    ("(f) Code(s)", "code", "text", 8), ("(g) Adjustment", "adjustment", "money", 13),
    ("(h) Gain or (loss)", "gain", "money", 14), ("Term", "term", "text", 8),
    ("Account", "account", "text", 12), ("Kind", "kind", "text", 20),
    ("Transaction ID", "transaction_id", "text", 14),
    ("Wash sale (W) in (g)", "wash_sale", "money", 13),
]
SCHEDULE_D_COLS: Columns = [
    ("Line", "line", "text", 6), ("Description", "text", "text", 52),
    ("(d) Proceeds", "proceeds", "money", 14), ("(e) Cost or other basis", "cost", "money", 14),
    ("(g) Adjustments", "adjustment", "money", 14), ("(h) Gain or (loss)", "gain", "money", 14)]
F6781_COLS: Columns = [
    ("Account", "account", "text", 12), ("(a) Description", "description", "text", 34),
    ("Date acquired", "date_acquired", "date", 12),
    ("Date closed / marked", "date_closed", "date", 14), ("Kind", "kind", "text", 16),
    ("Proceeds", "proceeds", "money", 14), ("Cost", "cost", "money", 14),
    ("Gain or (loss)", "gain", "money", 14), ("Transaction ID", "transaction_id", "text", 14)]
WASH_COLS: Columns = [
    ("Account", "account", "text", 12), ("Description", "description", "text", 34),
    ("Date acquired", "date_acquired", "date", 12), ("Date sold", "date_sold", "date", 12),
    ("Proceeds", "proceeds", "money", 14), ("Cost", "cost", "money", 14),
    ("Loss", "loss", "money", 14), ("Disallowed (W)", "disallowed", "money", 14),
    ("Code", "code", "text", 6), ("Transaction ID", "transaction_id", "text", 14),
    ("Replacement(s)", "replacements", "text", 60)]
FLAG_COLS: Columns = [
    ("Code", "code", "text", 22), ("Account", "account", "text", 12),
    ("Date", "date", "date", 12), ("Symbol", "symbol", "text", 10),
    ("Tax year", "tax_year", "int", 8), ("Transaction ID", "transaction_id", "text", 14),
    ("Message", "message", "text", 90)]
RECON_COLS: Columns = [
    ("Account", "account", "text", 12), ("Trade date", "trade_date", "date", 12),
    ("Transaction ID", "transaction_id", "text", 14),
    ("Description", "description", "text", 30),
    ("IB fifoPnlRealized", "ib_pnl", "money", 14), ("Ours", "ours", "money", 14),
    ("Difference (ours − IB)", "difference", "money", 14),
    ("Explained", "explained", "money", 14), ("Unexplained", "unexplained", "money", 14),
    ("Status", "status", "text", 12), ("Reasons", "reasons", "text", 60),
    ("Form 8949 codes", "form8949", "text", 40)]

# "int" (a tax year) is a plain number: the count format would print 2025 as 2,025
_KIND = {"text": "text", "money": "money", "date": "date", "int": "any"}  # ENCODERS' kinds
_BOLD = styled("bold")


def _ref(sheet: str, cell: str) -> str:
    return f"'{sheet}'!{cell}"


def _letter(columns: Columns, key: str) -> str:
    return column_letter([c[1] for c in columns].index(key))


def _rows(sh: Sheet, columns: Columns, dicts: Sequence[Mapping[str, Any]]) -> int:
    """Header, rows, autofilter and one blank row; returns the blank row's number, the
    end of the totals' ranges (SUM(x2:xN) stays a valid range when there are no rows)."""
    sh.append([c[0] for c in columns], [styled("header")] * len(columns))
    keys = [c[1] for c in columns]
    sh.extend(([d.get(k) for k in keys] for d in dicts), [_KIND[c[2]] for c in columns])
    sh.autofilter(len(columns))
    sh.blank()
    return len(dicts) + 2


def _line(sh: Sheet, width: int, cells: Mapping[int, Any]) -> None:
    """One row with values at given 0-based columns (labels bold, formulas styled)."""
    values: list[Any] = [None] * width
    encoders: list[Any] = [formula] * width
    for i, v in cells.items():
        values[i] = v
        if isinstance(v, str):
            encoders[i] = _BOLD
    sh.append(values, encoders)


def _row_dict(r) -> dict:
    return {"box": r.box, "line": r.line, "description": r.description,
            "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
            "proceeds": r.proceeds, "cost": r.cost, "code": r.code,
            "adjustment": r.adjustment, "gain": r.gain, "term": r.term, "account": r.account,
            "kind": r.kind, "transaction_id": r.transaction_id, "wash_sale": r.wash_sale}


_SUMMED = ("proceeds", "cost", "adjustment", "gain", "wash_sale")


def _f8949(book: Book, title: str, rows) -> None:
    """The part's rows grouped by box (one Form 8949 page per box, in date order within
    it), the part's total, then one total per box: what goes on each page's line 2."""
    rows = sorted(rows, key=lambda r: r.box)  # stable: the report's date order stays
    with book.sheet(title, [c[3] for c in F8949_COLS]) as sh:
        last = _rows(sh, F8949_COLS, [_row_dict(r) for r in rows])
        width = len(F8949_COLS)
        _line(sh, width, _sums(rows, "Total", lambda col: f"SUM({col}2:{col}{last})"))
        box_col = _letter(F8949_COLS, "box")
        for box in sorted({r.box for r in rows}):
            mine = [r for r in rows if r.box == box]
            crit = f'{box_col}2:{box_col}{last},"{box}"'
            _line(sh, width, _sums(mine, f"Box {box}",
                                   lambda col, c=crit: f"SUMIFS({col}2:{col}{last},{c})"))


def _sums(rows, label: str, text) -> dict[int, Any]:
    """A totals line: ``label``, then each summed column's formula ``text(letter)`` with
    its cached value."""
    cells: dict[int, Any] = {0: label}
    for i, (_h, key, _k, _w) in enumerate(F8949_COLS):
        if key in _SUMMED:
            cells[i] = Formula(text(column_letter(i)), sum((getattr(r, key) for r in rows),
                                                           ZERO))
    return cells


def _schedule_d(book: Book, report: TaxReport, f6781: dict[str, str]) -> None:
    """Each line a SUMIFS over the 8949 rows carrying that line number; lines 4 and 11
    the Form 6781 totals, lines 7 and 15 the sums of their part."""
    lines = report.schedule_d()
    row_of = {ln["line"]: i for i, ln in enumerate(lines, start=2)}
    src = {k: _letter(F8949_COLS, k) for k in ("proceeds", "cost", "adjustment", "gain")}
    line_col = _letter(F8949_COLS, "line")
    with book.sheet(SHEETS[2], [c[3] for c in SCHEDULE_D_COLS]) as sh:
        sh.append([c[0] for c in SCHEDULE_D_COLS], [styled("header")] * 6)
        for ln in lines:
            no = ln["line"]
            cells: dict[int, Any] = {0: no, 1: ln["text"]}
            if no in ("4", "11"):
                cells[5] = Formula(f6781[no], ln["gain"], "money")
            elif no in ("7", "15"):
                first, last = (row_of["1a"], row_of["4"]) if no == "7" else (
                    row_of["8a"], row_of["11"])
                cells[5] = Formula(f"SUM(F{first}:F{last})", ln["gain"], "money")
            else:
                sheet = SHEETS[0] if no in ("1a", "1b", "2", "3") else SHEETS[1]
                n = len(report.part1 if sheet == SHEETS[0] else report.part2) + 2
                crit = _ref(sheet, f"{line_col}2:{line_col}{n}")
                for i, key in enumerate(("proceeds", "cost", "adjustment", "gain"), start=2):
                    rng = _ref(sheet, f"{src[key]}2:{src[key]}{n}")
                    cells[i] = Formula(f'SUMIFS({rng},{crit},"{no}")', ln[key], "money")
            values = [cells.get(i) for i in range(6)]
            sh.append(values, [ENCODERS["text"], ENCODERS["text"]] + [formula] * 4)
        sh.autofilter(6, len(lines) + 1)


def _f6781(book: Book, report: TaxReport) -> None:
    with book.sheet(SHEETS[3], [c[3] for c in F6781_COLS]) as sh:
        last = _rows(sh, F6781_COLS, [r.__dict__ for r in report.form6781])
        s = report.section_1256
        total = last + 1
        width = len(F6781_COLS)
        _line(sh, width, {0: "Line 7: net gain or (loss)",
                          7: Formula(f"SUM(H2:H{last})", s.gain)})
        _line(sh, width, {0: "Line 8: short-term (40 %)",
                          7: Formula(f"ROUND(H{total}*0.4,2)", s.short_term_40)})
        _line(sh, width, {0: "Line 9: long-term (60 %)",
                          7: Formula(f"H{total}-H{total + 1}", s.long_term_60)})


def write(path, report: TaxReport, recon: Reconciliation | None = None) -> None:
    # Schedule D (sheet 3) refers to the 6781 totals (sheet 4): their rows are known
    # before either is written (header, rows, a blank row, then lines 7, 8 and 9)
    total6 = len(report.form6781) + 3
    f6781 = {"4": _ref(SHEETS[3], f"H{total6 + 1}"), "11": _ref(SHEETS[3], f"H{total6 + 2}")}
    with Book(path) as book:
        _f8949(book, SHEETS[0], report.part1)
        _f8949(book, SHEETS[1], report.part2)
        _schedule_d(book, report, f6781)
        _f6781(book, report)
        _wash_sheet(book, report)
        _flags_sheet(book, report)
        _recon_sheet(book, recon)
        assert tuple(sh.title for sh in book.sheets) == SHEETS


def _replacement_text(w) -> str:
    where = getattr(w, "replacement_account", "")
    when = getattr(w, "replacement_date", None)
    amount = getattr(w, "disallowed", None)
    shown = f"{amount:,.2f}" if isinstance(amount, Decimal) else ""  # cents, as displayed
    text = (f"{getattr(w, 'quantity', '')} on {when.isoformat() if when else '?'} in {where}, "
            f"{shown} disallowed")
    if getattr(w, "basis_carried", True) is False:
        text += " (IRA: loss lost, no basis carried)"
    return text


def _wash_sheet(book: Book, report: TaxReport) -> None:
    """Every W row with its replacement(s) and the total disallowed."""
    rows = [{"account": r.account, "description": r.description,
             "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
             "proceeds": r.proceeds, "cost": r.cost, "loss": r.proceeds - r.cost,
             "disallowed": r.wash_sale, "code": r.code, "transaction_id": r.transaction_id,
             "replacements": "; ".join(_replacement_text(w) for w in report.replacements(r))}
            for r in report.wash_sales]
    with book.sheet(SHEETS[4], [c[3] for c in WASH_COLS]) as sh:
        last = _rows(sh, WASH_COLS, rows)
        _line(sh, len(WASH_COLS), {0: "Total", 7: Formula(f"SUM(H2:H{last})",
                                                           report.wash_sale_disallowed)})


def _flags_sheet(book: Book, report: TaxReport) -> None:
    """The flags of the year, then one line per code (the grouping of ``journal
    flags``)."""
    from journal.views.flags import groups

    with book.sheet(SHEETS[5], [c[3] for c in FLAG_COLS]) as sh:
        _rows(sh, FLAG_COLS, flag_dicts(report.flags))
        grouped = groups(report.flags).rows
        if not grouped:
            return
        _line(sh, 1, {0: "By code"})
        text, count = ENCODERS["text"], ENCODERS["count"]
        for g in grouped:
            sh.append([g["code"], g["severity"], None, g["count"],
                       ", ".join(map(str, g["years"])), None, g["meaning"]],
                      [text, text, text, count, text, text, text])


def _recon_sheet(book: Book, recon: Reconciliation | None) -> None:
    """Our gains against IB's fifoPnlRealized, line by line and by reason."""
    rows = recon_dicts(recon) if recon is not None else []
    with book.sheet(SHEETS[6], [c[3] for c in RECON_COLS]) as sh:
        last = _rows(sh, RECON_COLS, rows)
        cells: dict[int, Any] = {0: "Total"}
        for col, key in (("E", "ib_pnl"), ("F", "ours"), ("G", "difference"),
                         ("H", "explained"), ("I", "unexplained")):
            total = sum((d[key] for d in rows if d[key] is not None), ZERO)
            cells[ord(col) - 65] = Formula(f"SUM({col}2:{col}{last})", total)
        _line(sh, len(RECON_COLS), cells)
        if recon is None:
            return
        from journal.reconcile import REASONS

        sh.blank()
        _line(sh, 1, {0: "By reason"})
        text, money = ENCODERS["text"], ENCODERS["money"]
        for code, amount in sorted(recon.by_reason().items()):
            sh.append([code, None, None, REASONS.get(code, ""), None, None,
                       Decimal(amount)], [text, text, text, text, text, text, money])
