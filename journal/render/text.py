"""Values as text: the exact form (CSV, JSON) and the screen form (by column kind), and
the neutralising of control characters that statement text may carry.

Money on screen has cents and thousands separators, percentages a ``%``, counts are
integers, dates ISO; CSV and JSON keep the exact value (``86.3483`` stays ``86.3483``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from journal.views.table import Kind

CENT = Decimal("0.01")

# C0 controls except tab/newline, DEL, and the C1 range: ESC or CSI sequences from a
# statement would move the cursor, clear the screen or retitle the window.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _picture(m: re.Match) -> str:
    c = ord(m.group())
    if c < 0x20:
        return chr(0x2400 + c)  # the Unicode "control picture": ␛ for ESC, ␇ for BEL
    if c == 0x7F:
        return "\u2421"  # ␡
    return f"\\x{c:02x}"


def neutralise(text: str) -> str:
    """Control characters made visible and harmless (tab and newline are kept)."""
    return _CONTROL.sub(_picture, text) if _CONTROL.search(text) else text


def json_value(v: Any) -> Any:
    """A value for JSON: money as exact decimal strings (never floats), dates ISO."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (tuple, list, frozenset, set)):
        return [json_value(x) for x in v]
    if isinstance(v, Kind):
        return v.value
    return v


def exact_text(v: Any) -> str:
    """The exact value as text (CSV): nothing rounded."""
    if v is None:
        return ""
    if isinstance(v, (tuple, list)):
        return "; ".join(exact_text(x) for x in v)
    v = json_value(v)
    return v if isinstance(v, str) else str(v)


def csv_safe(v: Any) -> Any:
    """Neutralise text that a spreadsheet would evaluate as a formula (CSV injection):
    statement text like ``=HYPERLINK(…)`` must stay text. Numbers are left alone."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        try:
            Decimal(v)
            return v
        except (InvalidOperation, ValueError):
            return "'" + v
    return v


def _decimal(v: Any) -> Decimal | None:
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Decimal(v)
    return None


def _plain(d: Decimal) -> str:
    """Exact, without exponent or trailing zeros, with thousands separators."""
    text = format(d.normalize(), ",f")
    return "0" if text in ("-0", "") else text


def _other(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (tuple, list, frozenset, set)):
        return ", ".join(_other(x) for x in v)
    return neutralise(str(v))


def _money(d: Decimal) -> str:
    return format(d.quantize(CENT, rounding=ROUND_HALF_UP) + 0, ",.2f")


def _price(d: Decimal) -> str:
    exact = _plain(d)
    if "." in exact and len(exact) - exact.index(".") > 2:
        return exact
    return format(d.quantize(CENT) + 0, ",.2f")


def _count(d: Decimal) -> str:
    return format(int(d), ",") if d == d.to_integral_value() else _plain(d)


_NUMBER_TEXT = {
    Kind.MONEY: _money,
    Kind.PERCENT: lambda d: _money(d) + "%",
    Kind.PRICE: _price,
    Kind.COUNT: _count,
    Kind.QUANTITY: _plain,
    Kind.NUMBER: _plain,
}


def formatter(kind: Kind) -> Callable[[Any], str]:
    """The function that shows a value of ``kind`` in the terminal."""
    number = _NUMBER_TEXT.get(kind)

    def show(v: Any) -> str:
        if v is None or v == "":
            return ""
        if number is not None:
            d = _decimal(v)
            if d is not None:
                return number(d)
        if isinstance(v, str):
            return neutralise(v)
        return _other(v)

    return show


def screen_text(v: Any, kind: Kind) -> str:
    """How a value of ``kind`` reads in the terminal."""
    return formatter(kind)(v)
