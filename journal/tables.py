"""The user's own tables (prices, earnings dates, cash, transfer basis), as CSV or xlsx.

Wheel traders keep these in spreadsheets, so a workbook is read as it is: the first
sheet, its first row the header, read with openpyxl in read-only mode (values, never
formulas' text: the cached results a spreadsheet program saved). Cells come back as the
text a CSV would hold, so one parser checks both: dates ISO, numbers as their shortest
exact decimal text, never a float.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from journal.errors import ConfigError

XLSX_SUFFIXES = (".xlsx", ".xlsm")


def read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line or spreadsheet row number, {lower-case column: stripped text}) per data row;
    ``columns`` must all be in the header, else one error naming the file."""
    rows = _xlsx_rows(path) if path.suffix.lower() in XLSX_SUFFIXES else _csv_rows(path)
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        header = []
    missing = [c for c in columns if c not in header]
    if missing:
        raise ConfigError(f"{path}:1: missing column(s) {', '.join(missing)} "
                          f"(expected {','.join(columns)})")
    out = []
    for n, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue  # spreadsheets keep blank rows below the data
        # a short row (a CSV line missing its last cells) reads them as empty, so the
        # column's own check names the file and row
        out.append((n, {k: (cells[i] if i < len(cells) else "").strip()
                        for i, k in enumerate(header) if k}))
    return out


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.reader(fh)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or renamed file: the user's to fix
        raise ConfigError(f"{path}: not a readable xlsx workbook ({exc.__class__.__name__})"
                          ) from None
    try:
        for values in wb.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        # A date cell is a datetime at midnight; a time of day would be a user's mistake
        # worth showing, so it stays in the text and fails the date check.
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same float: 69.91, not
        # 69.9099999999999965893948683515191078186035156250.
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)
