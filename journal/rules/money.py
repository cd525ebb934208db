"""Exact money for the rules: pro-rata parts that always add up, and tidy digits.

Pro-rata splits use :func:`part`, which hands the last piece whatever is left, so the
pieces of a whole always add up to it (nothing lost, nothing invented); intermediate
pieces are quantized to 10 decimals, far below a cent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import overload

ZERO = Decimal(0)
Q = Decimal("1e-10")
CENT = Decimal("0.01")
_CLEAN_LIMIT = Decimal("1e16")
_ZERO_CENTS = Decimal("0.00")


def part(total: Decimal, n: Decimal, of: Decimal) -> Decimal:
    """The share of ``total`` belonging to ``n`` of ``of`` units."""
    if n == of:
        return total
    return (total * n / of).quantize(Q)


@overload
def clean(d: Decimal) -> Decimal: ...


@overload
def clean(d: None) -> None: ...


def clean(d: Decimal | None) -> Decimal | None:
    """Same value, tidy digits: cents when the amount is whole cents, else no trailing 0s."""
    if d is None:
        return None
    if d is ZERO:  # the default of every amount nothing was added to
        return _ZERO_CENTS
    c = d.quantize(CENT) if abs(d) < _CLEAN_LIMIT else d
    return c if c == d else d.normalize()


_SIZES: dict[str, Decimal] = {}
_SIZE_OF: dict[int, tuple[Decimal, Decimal]] = {}  # id(q) -> (q, its size)


def size(q: Decimal) -> Decimal:
    """``abs(q)``, one object per distinct quantity: trades repeat a few sizes, and every
    lot the pass opens keeps its size (40 distinct values in 46.5k trades). Keyed by the
    spelling, not the value: ``-1`` and ``-1.0`` are equal but print differently.

    The read model hands out one object per distinct quantity too, so the object itself is
    looked up first (kept in the entry, so its id cannot be reused while it is there)."""
    seen = _SIZE_OF.get(id(q))
    if seen is not None and seen[0] is q:
        return seen[1]
    text = str(q)
    found = _SIZES.get(text)
    if found is None:
        found = _SIZES[text] = abs(q)
    if len(_SIZE_OF) >= 4096:
        _SIZE_OF.clear()
    _SIZE_OF[id(q)] = (q, found)
    return found


_QTY_TEXT: dict[Decimal, str] = {}


def fmt_qty(q: Decimal) -> str:
    """A quantity as the 8949 description prints it: no sign, no needless decimals."""
    text = _QTY_TEXT.get(q)
    if text is not None:
        return text
    q = abs(q)
    if q == q.to_integral():
        # every spelling of a whole number prints the same, so it can be remembered
        text = _QTY_TEXT[q] = _QTY_TEXT[-q] = format(q.normalize(), "f")
        return text
    return format(q, "f")
