"""The terminal renderer formats a column's repeated values once (journal.render.terminal):
equal values that print differently must still print as themselves, and a row that wraps
among rows that do not keeps its place."""

from __future__ import annotations

from decimal import Decimal as D

from journal.render.terminal import render_table
from journal.views.table import Kind, Table, col


def _lines(table: Table, width: int = 120) -> list[str]:
    return render_table(table, width).splitlines()


def test_equal_values_that_print_differently_are_not_merged():
    table = Table((col("note", "Note"), col("n", "N", Kind.COUNT), col("px", "Price", Kind.PRICE)),
                  [{"note": D("1.0"), "n": 1, "px": D("2.5")},
                   {"note": D("1.00"), "n": True, "px": D("2.50")},
                   {"note": 1, "n": D("1"), "px": D("2.125")}])
    body = [line.split() for line in _lines(table)[2:]]
    assert body == [["1.0", "1", "2.50"], ["1.00", "yes", "2.50"], ["1", "1", "2.125"]]


def test_repeated_amounts_and_a_wrapped_row_among_plain_ones():
    words = "a long description that needs three lines here"
    rows = [{"d": "short", "amt": D("-1234.5")}, {"d": words, "amt": D("-1234.50")},
            {"d": "two\nlines", "amt": None}, {"d": "short", "amt": D("7")}]
    table = Table((col("d", "Description"), col("amt", "Amount", Kind.MONEY)), rows)
    assert _lines(table, width=31) == [
        "Description              Amount",
        "--------------------  ---------",
        "short                 -1,234.50",
        "a long description    -1,234.50",
        "that needs three",
        "lines here",
        "two",
        "lines",
        "short                      7.00",
    ]
