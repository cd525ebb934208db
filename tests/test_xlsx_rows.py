"""The compiled row writer (journal.exporters.xlsx_rows) writes every cell exactly as the
column's encoder does: same XML, whatever the value's type, first time or from a cache."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest

from journal.exporters import xlsx_stream as xs
from journal.exporters.xlsx_rows import row_cells

VALUES = [
    None, "", "KO", "KO 19JAN24 55 P", "=1+2", "+cmd", "-5", "@SUM(A1)", "a&b<c>", "tab\there",
    "bell\x07", "x" * 70, "é — ü", "\ufffe", "y" * 5000, " lead", Decimal("12.50"),
    Decimal("-0.05"), Decimal("1.00"), Decimal("3"), Decimal("2.5"), Decimal("1E+2"),
    Decimal("NaN"), Decimal("Infinity"), Decimal("-0"), 0, 7, -3, 2.5, True, False,
    date(2024, 1, 19), date(1900, 3, 1), datetime(2024, 1, 19, 15, 30, 1, 500000),
    ("a", "b"), ["c"], frozenset({"d"}),
]


@pytest.mark.parametrize("kind", sorted(xs.ENCODERS))
def test_each_kind_writes_what_its_encoder_writes(kind):
    cells = row_cells([kind])
    for _ in range(2):  # cold, then with the text and date cells cached
        for v in VALUES:
            want = xs.EMPTY if v is None else xs.ENCODERS[kind](v)
            assert cells((v,)) == want, (kind, v)


def test_cache_overflow_keeps_cells_right(monkeypatch):
    monkeypatch.setattr(xs, "_TEXT_CACHE_SIZE", 3)
    cells = row_cells(["text", "date"])
    for i in range(20):
        v, d = f"s{i % 7}", date(2024, 1, 1 + i % 9)
        assert cells((v, d)) == xs._text(v) + xs._date(d)
    assert len(xs._TEXT_CELLS) <= 3 and len(xs._DATE_CELLS) <= 3


def _sheet_xml(tmp_path, name, write) -> bytes:
    path = tmp_path / name
    with xs.Book(path) as book, book.sheet("T", [10.0] * 4) as sh:
        write(sh)
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_extend_writes_the_rows_append_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(xs, "FLUSH_ROWS", 7)  # rows across several flushes
    kinds = ["id", "date", "money", "count", "text", "percent", "bool", "any"]
    rows = [(f"U{i}", date(2024, 1, 1 + i % 28), Decimal(i) / 4, Decimal(i % 3) / 2,
             None if i % 2 else f"note {i}", Decimal(i), i % 3 == 0, None if i % 4 else i)
            for i in range(40)]
    rows.append((None,) * len(kinds))  # an empty row keeps its number
    rows.append(("last",) + (None,) * (len(kinds) - 1))
    encoders = [xs.ENCODERS[k] for k in kinds]

    def by_append(sh):
        for r in rows:
            sh.append(r, encoders)

    def by_extend(sh):
        assert sh.extend(iter(rows), kinds) == len(rows)

    assert _sheet_xml(tmp_path, "a.xlsx", by_append) == _sheet_xml(tmp_path, "b.xlsx",
                                                                     by_extend)


@pytest.mark.parametrize("text", ["12.50", "-0.05", "1E+2", "0E-8", "-0", "1E-7", "3",
                                  "123456789012345678901234567.891", "2.50000"])
def test_numbers_are_written_as_the_decimal_formats_itself(text):
    """str(v) in the cell (faster) is format(v, ""), the number the workbook always had."""
    v = Decimal(text)
    for kind in ("money", "price", "count", "quantity"):
        assert f"<v>{format(v, '')}</v>" in row_cells([kind])((v,)), kind
