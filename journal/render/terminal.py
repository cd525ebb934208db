"""Terminal tables that fit: human headers, values formatted by kind, long text wrapped
so the table stays inside the terminal's width.

Numbers, dates and ids are never wrapped (a wrapped amount or id misreads); free text and
headers wrap at word boundaries. A table whose unwrappable columns alone are wider than
the terminal is printed as narrow as it can be and allowed to run over.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _widths(columns: Sequence[Column], cells: list[list[str]], width: int) -> list[int]:
    natural = [max([len(c.title)] + [max(map(len, row[i].split("\n"))) for row in cells])
               for i, c in enumerate(columns)]
    # headers wrap too: a numeric column needs only its widest value or header word
    floor = []
    for i, c in enumerate(columns):
        values = max([0] + [len(row[i]) for row in cells])
        head = _longest_word(c.title)
        if c.kind in _WRAPPABLE:
            floor.append(max(min(MIN_TEXT, natural[i]), head))
        else:
            floor.append(max(values, head))
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


def render_table(table: Table, width: int) -> str:
    columns = list(table.columns)
    shows = [(c.key, formatter(c.kind)) for c in columns]
    cells = [[show(r.get(key)) for key, show in shows] for r in table.rows]
    widths = _widths(columns, cells, width)
    right = [c.kind.numeric for c in columns]

    pads = [str.rjust if r else str.ljust for r in right]
    n_cols = len(columns)

    def lines_of(values: list[str]) -> list[str]:
        if all(len(v) <= widths[i] and "\n" not in v for i, v in enumerate(values)):
            return [GAP.join(pads[i](v, widths[i]) for i, v in enumerate(values)).rstrip()]
        wrapped = [_wrap(v, widths[i]) for i, v in enumerate(values)]
        height = max(len(w) for w in wrapped)
        out = []
        for n in range(height):
            out.append(GAP.join(pads[i](wrapped[i][n] if n < len(wrapped[i]) else "",
                                        widths[i]) for i in range(n_cols)).rstrip())
        return out

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
    for row in cells:
        lines.extend(lines_of(row))
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
