"""Renderers: a typed :class:`~journal.views.table.Table` as a terminal table, CSV or
JSON. They decide only the format; the views decide what the columns are.

JSON is a list of objects with money as exact strings (never floats) and dates in ISO
form, so another program can read the ledger without losing a cent; CSV carries the same
exact values under the column keys. Both are complete (every column) unless the user
picks columns. The terminal shows the key columns with human headers, fitted to the
width.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from collections.abc import Sequence

from journal.errors import JournalError
from journal.render.text import csv_safe, exact_text, json_value, neutralise
from journal.views.table import Table

FORMATS = ("table", "csv", "json")
DEFAULT_WIDTH = 120


def terminal_width() -> int:
    """The terminal's width; 120 when the output is not a terminal (a pipe, a file, a
    test), or ``COLUMNS`` when set."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    if sys.stdout is not None and sys.stdout.isatty():
        return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return DEFAULT_WIDTH


def choose(table: Table, fmt: str, columns: Sequence[str] | None = None,
           all_columns: bool = False) -> Table:
    """The columns to show: those asked for, else all (CSV, JSON, --all-columns), else the
    key columns (terminal)."""
    if columns:
        unknown = [c for c in columns if c not in table.keys]
        if unknown:
            raise JournalError(f"unknown column {', '.join(unknown)} (columns: "
                               f"{', '.join(table.keys)})")
        return table.select(columns)
    if fmt != "table" or all_columns:
        return table
    return table.select(table.default_keys())


def to_json(table: Table) -> str:
    keys = table.keys
    return json.dumps([{k: json_value(r.get(k)) for k in keys} for r in table.rows],
                      indent=2) + "\n"


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.keys)
    for r in table.rows:
        w.writerow([csv_safe(neutralise(exact_text(r.get(k)))) for k in table.keys])
    return buf.getvalue()


def render(table: Table, fmt: str = "table", *, columns: Sequence[str] | None = None,
           all_columns: bool = False, width: int | None = None) -> str:
    shown = choose(table, fmt, columns, all_columns)
    if fmt == "json":
        return to_json(shown)
    if fmt == "csv":
        return to_csv(shown)
    from journal.render.terminal import render_table

    return render_table(shown, width or terminal_width())
