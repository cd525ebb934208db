"""The whole journal as one Excel workbook (``journal export --xlsx FILE``).

A first "Overview" sheet holds the headline figures and three native charts (premium per
month, cumulative realized gain, capital in use) that refer to the Monthly sheet's cells,
so they are in view when the workbook opens and follow any edit. Every other sheet is one
typed table (:class:`journal.views.table.Table`): human headers in bold, a number format
per column kind (money, integer counts, percentages, dates), a frozen header row, an
autofilter and widths read from the first rows. Rows stream into the file one at a time.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from journal.exporters import xlsx_charts as charts
from journal.exporters.ledger_sheet import Rendered
from journal.exporters.xlsx_stream import ENCODERS, Book, Sheet, column_letter, styled, widths_for
from journal.render.text import formatter
from journal.views.report import Review, as_columns
from journal.views.table import Table
from journal.views.workbook import Sheet as SheetSpec

SAMPLE_ROWS = 200  # rows read ahead to size the columns
MONTHLY = "Monthly"
BLUE, TEAL, ORANGE, GREY = "4C78A8", "72B7B2", "F58518", "54A24B"


def _sample(rows: Iterable[Sequence[Any]], n: int) -> tuple[list, Iterable]:
    """The first ``n`` rows, and an iterable of all rows (the sample included)."""
    it = iter(rows)
    head = []
    for r in it:
        head.append(r)
        if len(head) >= n:
            break

    def chain():
        yield from head
        yield from it

    return head, chain()


def write_table(book: Book, title: str, t: Table,
                values: Iterable[Sequence[Any]] | None = None,
                rendered: Rendered | None = None) -> int:
    """One sheet: bold human headers, then the rows (``t.rows``, dicts by column key, or
    ``values``: each row's values in column order, or ``rendered``: written already, by
    :mod:`journal.exporters.ledger_sheet`); returns how many rows."""
    if rendered is not None:
        widths, rows = rendered.widths, None
    else:
        widths, rows = sized(t, values)
    with book.sheet(title, widths) as sh:
        sh.append([c.title for c in t.columns], [styled("header")] * len(t.keys))
        if rendered is not None:
            n = sh.copy_rows(rendered.file, rendered.rows)
        else:
            assert rows is not None
            n = sh.extend(rows, kinds(t))
        sh.autofilter(len(t.keys))
        _notes(sh, t.notes)
    return n


def kinds(t: Table) -> list[str]:
    """The encoder kind of each column."""
    return [c.kind.value for c in t.columns]


def sized(t: Table, values: Iterable[Sequence[Any]] | None = None
          ) -> tuple[list[float], Iterable[Sequence[Any]]]:
    """The columns' widths, from the headers and the first rows, and all the rows (each
    row's values in column order: ``values``, else ``t.rows``)."""
    if values is None:
        head, rows = _sample(map(_dict_values(t.keys), t.rows), SAMPLE_ROWS)
    else:
        head, rows = _sample(values, SAMPLE_ROWS)
    shows = [formatter(c.kind) for c in t.columns]
    widths = widths_for([c.title for c in t.columns],
                        ([f(v) for f, v in zip(shows, r)] for r in head))
    return widths, rows


def _dict_values(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """A row's values in column order (a row missing a key leaves that cell empty)."""
    getter = operator.itemgetter(*keys)

    def values(r: Mapping[str, Any]) -> Sequence[Any]:
        try:
            got = getter(r)
        except KeyError:
            return [r.get(k) for k in keys]
        return got if len(keys) > 1 else (got,)

    return values


def _notes(sh: Sheet, notes: Sequence[str]) -> None:
    """Notes under the table, after one blank row (outside the filter range)."""
    if not notes:
        return
    sh.blank()
    for note in notes:
        sh.append([note], [ENCODERS["text"]])


def _overview(book: Book, review: Review, title: str) -> None:
    """The headline figures down column A/B, the charts to their right."""
    pairs = as_columns(review.headline)
    widths = [38.0, 18.0, 3.0]
    with book.sheet("Overview", widths, freeze=None) as sh:
        sh.append([title], [styled("title")])
        sh.append([review.headline.title], [styled("bold")])
        for column, value in pairs:
            sh.append([column.title, value], [ENCODERS["text"], ENCODERS[column.kind.value]])
        sh.blank()
        for note in review.headline.notes:
            sh.append([note], [styled("wrap")])
        _charts(sh, review.monthly)


def _charts(sh: Sheet, monthly: Table) -> None:
    n = len(monthly.rows)
    if n == 0:
        return
    keys = monthly.keys
    letter = {k: column_letter(i) for i, k in enumerate(keys)}
    cats = charts.ref(MONTHLY, letter[keys[0]], 2, n + 1)

    def series(key: str, color: str) -> charts.Series:
        return charts.Series(charts.ref(MONTHLY, letter[key], 1),
                             charts.ref(MONTHLY, letter[key], 2, n + 1), color)

    skip = 12 if n > 36 else (3 if n > 12 else 1)  # a label a year (or a quarter)
    sh.add_chart(charts.chart("Premium per month", cats,
                              [series("premium_gross", BLUE), series("premium_net", TEAL)],
                              label_skip=skip), col=3, row=0, width_cm=16, height_cm=6)
    sh.add_chart(charts.chart("Cumulative realized gain", cats,
                              [series("cumulative_realized_gain", ORANGE)], kind="line",
                              label_skip=skip), col=3, row=12, width_cm=16, height_cm=6)
    sh.add_chart(charts.chart("Capital in use (end of month)", cats,
                              [series("capital_in_use", GREY)], kind="line",
                              label_skip=skip), col=3, row=24, width_cm=16, height_cm=6)


def write_workbook(path: str | Path, review: Review, sheets: Iterable[SheetSpec], *,
                   title: str = "csp-journal") -> list[tuple[str, int]]:
    """Overview first, then each sheet as it comes; returns (sheet, rows) in order."""
    counts: list[tuple[str, int]] = []
    with Book(path) as book:
        _overview(book, review, title)
        for spec in sheets:
            counts.append((spec.title, write_table(book, spec.title, spec.table,
                                                   spec.values, spec.rendered)))
    return counts
