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
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from itertools import islice

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
    return "".join(json_chunks(table))


JSON_BATCH = 1000  # rows encoded at a time: the projected rows are never all held


def json_chunks(table: Table) -> Iterator[str]:
    """:func:`to_json`'s text in pieces of up to :data:`JSON_BATCH` rows, so a long
    listing can be written as it is made instead of held whole (a review's is 24 MB)."""
    keys = table.keys
    rows = iter(table.rows)
    first = True
    while batch := list(islice(rows, JSON_BATCH)):
        text = _batch_json(batch, keys)
        del batch
        yield ("[\n" if first else ",\n") + text[2:-2]  # without the batch's "[\n", "\n]"
        first = False
    yield "[]\n" if first else "\n]\n"


def _batch_json(rows: list, keys: list[str]) -> str:
    try:
        return _fast_json(rows, keys)
    except (TypeError, ValueError):  # an int past 64 bits, an unusual value
        return json.dumps([{k: json_value(r.get(k)) for k in keys} for r in rows], indent=2)


def _fast_json(rows: list, keys: list[str]) -> str:
    """What the ``json.dumps`` above writes, character for character, by orjson: with
    ``indent`` the standard library encodes in pure Python, which made a warm ``journal
    review --format json`` (20k rows) spend most of its time here."""
    import orjson

    wanted = tuple(keys)
    out = orjson.dumps([r if tuple(r) == wanted else {k: r.get(k) for k in keys} for r in rows],
                       default=_json_default, option=orjson.OPT_INDENT_2
                       | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                       ).decode()
    if _NOT_ASCII.search(out):  # json.dumps escapes them (ensure_ascii)
        out = _NOT_ASCII.sub(_escape, out)
    return out


def _json_default(v):
    out = json_value(v)
    if out is v:
        raise TypeError(f"not JSON: {type(v).__name__}")
    return out


# The same set as [\x7f-\U0010ffff], written as a complement: the range form took 5 ms to
# compile, in every command that renders anything.
_NOT_ASCII = re.compile("[^\x00-\x7e]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    if c > 0xFFFF:
        c -= 0x10000
        return f"\\u{0xD800 | (c >> 10):04x}\\u{0xDC00 | (c & 0x3FF):04x}"
    return f"\\u{c:04x}"


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.keys)
    for r in table.rows:
        w.writerow([csv_safe(neutralise(exact_text(r.get(k)))) for k in table.keys])
    return buf.getvalue()


def render_chunks(table: Table, fmt: str = "table", *, columns: Sequence[str] | None = None,
                  all_columns: bool = False, width: int | None = None) -> Iterator[str]:
    """:func:`render`'s text in pieces (JSON a batch of rows at a time), for writing a
    long listing as it is made."""
    if fmt != "json":
        yield render(table, fmt, columns=columns, all_columns=all_columns, width=width)
        return
    yield from json_chunks(choose(table, fmt, columns, all_columns))


def render(table: Table, fmt: str = "table", *, columns: Sequence[str] | None = None,
           all_columns: bool = False, width: int | None = None) -> str:
    shown = choose(table, fmt, columns, all_columns)
    if fmt == "json":
        return to_json(shown)
    if fmt == "csv":
        return to_csv(shown)
    from journal.render.terminal import render_table

    return render_table(shown, width or terminal_width())
