"""Plain-row output for the commands that have no typed view (import, db, config):
rows as dicts plus column names, rendered by :mod:`journal.render` with the kinds guessed
from the values. Listings with a view render their typed table directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from journal.render import FORMATS
from journal.render import render as render_table
from journal.render.text import csv_safe, exact_text, json_value
from journal.views.table import untyped

__all__ = ["FORMATS", "csv_safe", "json_value", "render", "table", "text_value"]


def text_value(v) -> str:
    return exact_text(v)


def render(rows: Sequence[dict], columns: Sequence[str], fmt: str) -> str:
    return render_table(untyped(rows, columns), fmt)


def table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return render_table(untyped(rows, columns), "table")
