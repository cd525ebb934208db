"""JSON written a batch of rows at a time, and section rows made as they are read: the
text must be the one ``json.dumps(rows, indent=2)`` writes, whatever the batch
boundaries and whichever batch needs the standard library's encoder."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from journal import render
from journal.render.text import json_value
from journal.views.table import Column, Kind, Table, sections_table, untyped


def _reference(table: Table) -> str:
    return json.dumps([{k: json_value(r.get(k)) for k in table.keys} for r in table.rows],
                      indent=2) + "\n"


@pytest.mark.parametrize("n", [0, 1, 2, render.JSON_BATCH - 1, render.JSON_BATCH,
                               render.JSON_BATCH + 1, 2 * render.JSON_BATCH + 3])
@pytest.mark.parametrize("huge_at", [None, 0, -1])
def test_json_in_batches_is_json_dumps(n, huge_at):
    rows = [{"amount": Decimal(i) / 7, "name": "é😀" if i % 3 else None, "n": i}
            for i in range(n)]
    if huge_at is not None and rows:
        rows[huge_at]["n"] = 2 ** 70  # past orjson: that batch goes through json.dumps
    table = untyped(rows, ["amount", "name", "n"])
    assert render.to_json(table) == _reference(table)
    assert "".join(render.json_chunks(table)) == _reference(table)


def test_section_rows_read_like_a_list():
    a = Table((Column("x", "X", Kind.COUNT),), [{"x": 1}, {"x": 2}])
    b = Table((Column("y", "Y", Kind.TEXT),), [{"y": "z"}])
    rows = sections_table([("a", a), ("b", b)]).rows
    whole = [{"section": "a", "x": 1}, {"section": "a", "x": 2}, {"section": "b", "y": "z"}]
    assert len(rows) == 3
    assert list(rows) == whole
    assert [rows[i] for i in range(-3, 3)] == whole + whole
    assert rows[1:] == whole[1:] and rows[::-1] == whole[::-1] and rows[5:] == []
    with pytest.raises(IndexError):
        rows[3]
