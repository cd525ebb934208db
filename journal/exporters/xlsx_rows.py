"""One table's rows as cell XML, a row per call, in one function compiled for the table's
column kinds.

Why: :meth:`journal.exporters.xlsx_stream.Sheet.append` calls one encoder per cell, and
on the 46.5k-trade ledger the journal workbook has about 1.5 million cells, so the calls
themselves were most of the export's formatting time (≈ 4.5 s CPU). The compiled row
does the common cases in line (text and dates already written once are looked up, a
finite Decimal is written as it is) and calls the column's encoder only for the rest,
so every cell is exactly the one ``append`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from journal.exporters import xlsx_stream as xs

RowCells = Callable[[Sequence[Any]], str]

# per kind: the expression for cell i (value v{i}, its column's encoder e{i}); the
# encoder has the last word on anything unusual, so the cell is always the one it writes.
# Numbers go in as str(v): what format(v, "") gives, three times faster for a Decimal.
_OTHER = "({E} if v{i} is None else e{i}(v{i}))"
_TEXT = "((_T.get(v{i}) or _tx(v{i})) if v{i}.__class__ is str else " + _OTHER + ")"
_DATE = "((_D.get(v{i}) or e{i}(v{i})) if v{i}.__class__ is _date else " + _OTHER + ")"
_DECIMAL = ("(f'{{o{i}}}{{v{i}!s}}</v></c>' if v{i}.__class__ is _Decimal and v{i}.is_finite()"
            " else " + _OTHER + ")")
# counts stay integers; fractional shares or collateral-days keep their places
_WHOLE = ("((f'{{_CO}}{{v{i}!s}}</v></c>' if v{i} == v{i}.to_integral_value() else "
          "f'{{_DO}}{{v{i}!s}}</v></c>') if v{i}.__class__ is _Decimal and v{i}.is_finite() "
          "else f'{{_CO}}{{v{i}!s}}</v></c>' if v{i}.__class__ is int else " + _OTHER + ")")
_INLINE = {"text": _TEXT, "id": _TEXT, "date": _DATE, "money": _DECIMAL,
           "price": _DECIMAL, "count": _WHOLE, "quantity": _WHOLE, "number": _WHOLE}
_OPEN = {"money": xs.STYLE_ID["money"], "price": xs.STYLE_ID["decimal"]}
_COMPILED: dict[tuple[str, ...], RowCells] = {}


def row_cells(kinds: Sequence[str]) -> RowCells:
    """``cells(values)``: the row's cells (the trailing empty ones included), exactly as
    ``[ENCODERS[k](v) ...]`` joined, for values in the order of ``kinds``."""
    kinds = tuple(kinds)
    made = _COMPILED.get(kinds)
    if made is None:
        made = _COMPILED[kinds] = _compile(kinds)
    return made


def _compile(kinds: tuple[str, ...]) -> RowCells:
    names: dict[str, Any] = {"_T": xs._TEXT_CELLS, "_tx": xs._new_text,
                             "_D": xs._DATE_CELLS, "_date": date, "_Decimal": Decimal,
                             "_CO": xs._COUNT_OPEN, "_DO": xs._DECIMAL_OPEN}
    exprs = []
    for i, kind in enumerate(kinds):
        names[f"e{i}"] = xs.ENCODERS[kind]
        if kind in _OPEN:
            names[f"o{i}"] = f'<c s="{_OPEN[kind]}"><v>'
        exprs.append(_INLINE.get(kind, _OTHER).format(i=i, E=repr(xs.EMPTY)))
    if not kinds:
        return lambda values: ""
    args = ", ".join(f"v{i}" for i in range(len(kinds)))
    source = (f"def cells(values):\n    {args}, = values\n"
              f"    return ''.join(({', '.join(exprs)},))\n")
    exec(compile(source, f"<row cells {','.join(kinds)}>", "exec"), names)
    cells: RowCells = names["cells"]
    return cells
