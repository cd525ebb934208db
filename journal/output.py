"""Listing output: one function writes rows as a terminal table, CSV or JSON.

JSON is a list of objects with money as exact strings (never floats) and dates in ISO
form, so another program can read the ledger without losing a cent.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

FORMATS = ("table", "csv", "json")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def json_value(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return v


def text_value(v) -> str:
    if v is None:
        return ""
    v = json_value(v)
    return v if isinstance(v, str) else str(v)


def csv_safe(v):
    """Neutralise text that a spreadsheet would evaluate as a formula (CSV injection):
    statement text like ``=HYPERLINK(…)`` must stay text. Numbers are left alone."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        try:
            Decimal(v)
            return v
        except Exception:
            return "'" + v
    return v


def render(rows: Sequence[dict], columns: Sequence[str], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{c: json_value(r.get(c)) for c in columns} for r in rows], indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_safe(text_value(r.get(c))) for c in columns])
        return buf.getvalue()
    return table(rows, columns)


def table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    cells = [[text_value(r.get(c)) for c in columns] for r in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], len(v))
    numeric = [all(_is_number(row[i]) for row in cells if row[i]) and any(row[i] for row in cells)
               for i in range(len(columns))]

    def fmt_row(vals):
        return "  ".join(v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i])
                         for i, v in enumerate(vals)).rstrip()

    lines = [fmt_row(list(columns)), "  ".join("-" * w for w in widths)]
    lines += [fmt_row(r) for r in cells]
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines) + "\n"


def _is_number(s: str) -> bool:
    try:
        Decimal(s)
        return True
    except Exception:
        return False
