"""The whole journal as one Excel workbook (`journal export --xlsx FILE`).

Takes finished typed tables (:class:`journal.views.table.Table`) and writes one sheet per
table, with money as numbers, dates as dates, a frozen header, an autofilter and readable
widths.
The Monthly sheet gets native Excel charts (premium per month as bars, cumulative realized
gain as a line) that refer to the sheet's own cells, so they follow any edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.utils import get_column_letter

from journal.render.text import csv_safe, neutralise
from journal.views.table import Table

MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"
MAX_WIDTH = 48


def _cell_value(v):
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (Decimal, int, float, date, datetime)):
        return v
    # statement text must stay text, never a formula a spreadsheet would evaluate, and
    # control characters (which openpyxl refuses) are made visible
    return csv_safe(neutralise(str(v)))


def _write_sheet(ws, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    # write-only sheets stream rows to disk: widths, panes and formats are set up front
    formats = {}
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        width = max([len(col)] + [len(str(r.get(col) or "")) for r in rows[:500]])
        ws.column_dimensions[letter].width = min(MAX_WIDTH, width + 2)
        sample = next((r.get(col) for r in rows if r.get(col) is not None), None)
        if isinstance(sample, Decimal):
            formats[col] = MONEY_FORMAT
        elif isinstance(sample, datetime):
            formats[col] = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(sample, date):
            formats[col] = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    ws.append(list(columns))
    for r in rows:
        out = []
        for c in columns:
            v = _cell_value(r.get(c))
            fmt = formats.get(c)
            if fmt and v is not None:
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = fmt
                v = cell
            out.append(v)
        ws.append(out)


def _monthly_charts(ws, columns: Sequence[str], n_rows: int) -> None:
    if n_rows == 0 or "premium_gross" not in columns:
        return
    first = columns[0]  # month or year
    cats = Reference(ws, min_col=1, min_row=2, max_row=n_rows + 1)
    anchor_col = get_column_letter(len(columns) + 2)

    bar = BarChart()
    bar.type = "col"
    bar.title = f"Premium per {first}"
    bar.y_axis.title = "premium"
    for name in ("premium_gross", "premium_net"):
        col = columns.index(name) + 1
        bar.add_data(Reference(ws, min_col=col, min_row=1, max_row=n_rows + 1),
                     titles_from_data=True)
    bar.set_categories(cats)
    bar.height, bar.width = 8, 18
    ws.add_chart(bar, f"{anchor_col}2")

    if "cumulative_realized_gain" in columns:
        line = LineChart()
        line.title = "Cumulative realized gain"
        col = columns.index("cumulative_realized_gain") + 1
        line.add_data(Reference(ws, min_col=col, min_row=1, max_row=n_rows + 1),
                      titles_from_data=True)
        line.set_categories(cats)
        line.height, line.width = 8, 18
        ws.add_chart(line, f"{anchor_col}20")


def write_workbook(path: str | Path, sheets: Sequence[tuple[str, Table]],
                   *, chart_sheet: str = "Monthly") -> Path:
    """``sheets`` is [(title, table)], written in that order, every column."""
    path = Path(path)
    # before any sheet exists: a write-only workbook dropped unsaved leaves open streams
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    for title, tbl in sheets:
        ws = wb.create_sheet(title[:31])
        _write_sheet(ws, tbl.keys, tbl.rows)
        if title == chart_sheet:
            _monthly_charts(ws, tbl.keys, len(tbl.rows))
    wb.save(path)
    return path
