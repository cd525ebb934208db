"""Terminal tables that fit: human headers, values formatted by kind, long text wrapped
so the table stays inside the terminal's width.

Numbers, dates and ids are never wrapped (a wrapped amount or id misreads); free text and
headers wrap at word boundaries. A table whose unwrappable columns alone are wider than
the terminal is printed as narrow as it can be and allowed to run over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import methodcaller

from journal.render.text import formatter, screen_text
from journal.views.table import Column, Kind, Table

GAP = "  "
MIN_TEXT = 10  # a wrapped text column keeps at least this many characters
MIN_ID = 14  # an id is cut over two lines only when nothing else makes the row fit
_WRAPPABLE = frozenset({Kind.TEXT, Kind.LIST})


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap (textwrap is ten times slower, and a listing wraps thousands of
    cells); a word longer than the width is cut."""
    if len(text) <= width and "\n" not in text:
        return [text]
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            while len(word) > width:
                if line:
                    out.append(line)
                    line = ""
                out.append(word[:width])
                word = word[width:]
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                out.append(line)
                line = word
        out.append(line)
    return out


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _widths(columns: Sequence[Column], cols: list[list[str]], longest: list[int],
            multiline: list[bool], width: int) -> list[int]:
    """``longest``: each column's longest value; ``multiline``: whether any holds a line
    break."""
    natural, floor = [], []
    for c, col, most, breaks in zip(columns, cols, longest, multiline):
        lines = max((max(map(len, v.split("\n"))) for v in col), default=0) if breaks \
            else most
        natural.append(max(len(c.title), lines))
        # headers wrap too: a numeric column needs only its widest value or header word
        head = _longest_word(c.title)
        if c.kind in _WRAPPABLE:
            floor.append(max(min(MIN_TEXT, natural[-1]), head))
        else:
            floor.append(max(most, head))
    widths = list(natural)
    budget = width - len(GAP) * (len(columns) - 1)
    # first narrow headers of non-text columns, then wrap the widest text column
    for i, c in enumerate(columns):
        if sum(widths) <= budget:
            return widths
        if c.kind not in _WRAPPABLE:
            widths[i] = floor[i]
    _shrink(widths, floor, budget,
            [i for i, c in enumerate(columns) if c.kind in _WRAPPABLE])
    if sum(widths) > budget:
        # last resort: long ids (derived keys like k:d055bdb3…) break over two lines
        id_floor = [max(_longest_word(c.title), min(widths[i], MIN_ID))
                    for i, c in enumerate(columns)]
        _shrink(widths, id_floor, budget,
                [i for i, c in enumerate(columns) if c.kind is Kind.ID])
    return widths


def _shrink(widths: list[int], floor: list[int], budget: int, allowed: list[int]) -> None:
    """Narrow the widest allowed column, then the next, until the row fits or every
    allowed column is at its floor."""
    while sum(widths) > budget:
        candidates = [i for i in allowed if widths[i] > floor[i]]
        if not candidates:
            return
        i = max(candidates, key=lambda j: widths[j])
        # take from the widest column, but not below the next widest one
        second = max((widths[j] for j in candidates if j != i), default=floor[i])
        step = min(sum(widths) - budget, widths[i] - max(floor[i], second))
        widths[i] -= max(1, step)


_NUMBER_TYPES = frozenset({bool, int, float, Decimal})
# The value types whose text depends on the value alone, as a dict key sees it (two equal
# Decimals can print differently as text, "1.0" and "1.00", so a text column of Decimals
# is not one of them; a numeric column prints them alike).
_KEYED = {True: frozenset({Decimal, int, str, type(None)}),
          False: frozenset({str, date, datetime, int, bool, type(None)})}


def _column_text(kind: Kind, values: list) -> list[str]:
    """Each value of a column as the screen shows it. A column repeats its values (days,
    symbols, amounts), so each distinct one is formatted once where that is exact."""
    show = formatter(kind)
    types = set(map(type, values))
    if not types <= _KEYED[kind.numeric] or len(types & _NUMBER_TYPES) > 1:
        return list(map(show, values))  # (1 == True == Decimal(1): keys would merge them)
    text = {v: show(v) for v in set(values)}
    return list(map(text.__getitem__, values))


def render_table(table: Table, width: int) -> str:
    columns = list(table.columns)
    # Column by column: a listing has tens of thousands of rows, and one pass of C-level
    # map per column costs far less than a Python loop over every cell of every row.
    cols = [_column_text(c.kind, list(map(methodcaller("get", c.key), table.rows)))
            for c in columns]
    longest = [max(map(len, col), default=0) for col in cols]
    multiline = ["\n" in "".join(col) for col in cols]
    widths = _widths(columns, cols, longest, multiline, width)
    right = [c.kind.numeric for c in columns]

    # The rows that need wrapping: a cell wider than its column or holding a line break.
    # Every other row is one str.format call (the same padding as rjust/ljust).
    wrap_rows: set[int] = set()
    for col, w, most, breaks in zip(cols, widths, longest, multiline):
        if most > w or breaks:
            wrap_rows.update(j for j, v in enumerate(col) if len(v) > w or "\n" in v)
    line = GAP.join(("{:>%d}" if r else "{:<%d}") % w for r, w in zip(right, widths)).format

    def wrapped_lines(values: tuple[str, ...]) -> list[str]:
        wrapped = [(v,) if len(v) <= w and "\n" not in v else _wrap(v, w)
                   for v, w in zip(values, widths)]
        return [line(*[w[n] if n < len(w) else "" for w in wrapped]).rstrip()
                for n in range(max(map(len, wrapped)))]

    head = [c.title for c in columns]
    head_lines = [_wrap(h, widths[i]) if len(h) > widths[i] else [h] for i, h in enumerate(head)]
    depth = max(len(h) for h in head_lines)
    lines = []
    for n in range(depth):
        # bottom-align wrapped headers so the last line sits on the rule
        parts = []
        for i, h in enumerate(head_lines):
            k = n - (depth - len(h))
            v = h[k] if k >= 0 else ""
            parts.append(v.rjust(widths[i]) if right[i] else v.ljust(widths[i]))
        lines.append(GAP.join(parts).rstrip())
    lines.append(GAP.join("-" * w for w in widths))
    for j, row in enumerate(zip(*cols)):
        if j in wrap_rows:
            lines.extend(wrapped_lines(row))
        else:
            lines.append(line(*row).rstrip())
    if not table.rows:
        lines.append("(no rows)")
    if table.title:
        lines.insert(0, table.title + "\n")
    for note in table.notes:
        lines.extend(_wrap(note, max(width, 40)))
    return "\n".join(lines) + "\n"


def vertical(table: Table) -> Table:
    """A one-row table as field/value lines (the calculator's layout), each value
    formatted by its own column's kind."""
    from journal.views.table import col

    rows = [{"field": c.title, "value": screen_text(r.get(c.key), c.kind)}
            for r in table.rows[:1] for c in table.columns]
    return Table((col("field", "Field"), col("value", "Value")), rows, table.title,
                 table.notes)
