"""The one place where statement strings become values (never through float).

IB lets every Flex query choose its own date format, time format and date/time separator
(ib_formats.md §1.2), so the converters accept all of them, value by value. The only
thing a single value cannot tell is whether ``03/04/2025`` is March or April; for that
:class:`DateStyle` looks at the file's other values (see :func:`detect_slash_order`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

_Date = date  # DateStyle's methods are named date and datetime: aliases for annotations
_DateTime = datetime

NULL_TOKENS = frozenset({"", "-", "--", "N/A", "MULTI", "n/a"})
"""Strings IB uses for "no value": empty, dashes in legacy fields, MULTI in summaries."""

MAX_ABS_NUMBER = Decimal("1e15")
"""Larger magnitudes are not real money or quantities; they come from corrupt files."""

MIN_YEAR, MAX_YEAR = 1990, 2100
"""IB statements start in the 1990s; anything outside is a corrupt value, not a date."""

MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


class ConversionError(ValueError):
    """A value cannot be converted; the importer adds file, line and attribute."""


MIN_EXPONENT = -30
"""No IB amount has more than ~10 decimals. ``1E-999999`` is in range yet poisons every
later sum (decimal.Overflow when it is quantized), so exponents are bounded too."""

_DIGITS = frozenset("0123456789")
_FAST_MAX_CHARS = 16
"""A plain decimal of at most 15 characters (no exponent) is below MAX_ABS_NUMBER and
has no more than 14 decimals: such values need no range or exponent check."""


def to_decimal(text: str | None) -> Decimal | None:
    # Hot path: nearly every value is a short plain decimal ("-1.0439432"), whose spelling
    # alone proves it in range (checks on the Decimal cost more than making it). Anything
    # else (nulls, exponents, thousands separators, long values) takes the slow path.
    if not text:
        return None
    if len(text) < _FAST_MAX_CHARS and text[-1] in _DIGITS and "E" not in text \
            and "e" not in text and "_" not in text:
        try:
            value = Decimal(text)
        except InvalidOperation:
            return _to_decimal_slow(text)
        if text[0] == "-" and not value:
            return value.copy_abs()  # IB writes "-0"; keep the ledger free of negative zeros
        return value
    return _to_decimal_slow(text)


_DECIMALS: dict[str, Decimal] = {}
DECIMAL_CACHE_SIZE = 200_000
"""A statement repeats its numbers (prices, quantities, multipliers, zero fees): 95 % of
the values of a 40k-trade statement were seen before. Decimals are immutable, so one
object per spelling is shared; the cache stops growing at this size."""


def cached_decimal(text: str | None) -> Decimal | None:
    """:func:`to_decimal`, remembering each spelling's value (converters call
    ``DECIMALS.get`` first and this only on a miss)."""
    value = to_decimal(text)
    if value is not None and len(_DECIMALS) < DECIMAL_CACHE_SIZE:
        _DECIMALS[text] = value  # type: ignore[index]
    return value


DECIMALS = _DECIMALS


def _to_decimal_slow(text: str) -> Decimal | None:
    s = text.strip()
    if s in NULL_TOKENS:
        return None
    if "," in s:  # old statements print thousands separators ("21,792.73")
        s = s.replace(",", "")
    if len(s) > 40:
        raise ConversionError(f"number too long ({len(s)} characters)")
    if "_" in s:  # Decimal() takes "1_000"; IB never writes it
        raise ConversionError(f"not a number: {text[:40]!r}")
    try:
        value = Decimal(s)
    except InvalidOperation as exc:
        raise ConversionError(f"not a number: {text[:40]!r}") from exc
    if not value.is_finite() or abs(value) >= MAX_ABS_NUMBER:
        raise ConversionError(f"number out of range: {text[:40]!r}")
    exponent = value.as_tuple().exponent  # an int: value is finite here
    if not isinstance(exponent, int) or not MIN_EXPONENT <= exponent <= 15 \
            or value.adjusted() < MIN_EXPONENT:
        raise ConversionError(f"number out of range (exponent): {text[:40]!r}")
    if value == 0 and value.is_signed():
        value = abs(value)
    return value


def to_text(text: str | None) -> str | None:
    if not text:
        return None
    s = text.strip()
    return None if s in NULL_TOKENS else s


_ZONE = re.compile(r"\s+([A-Z]{2,5}|[+-]\d{2}:?\d{2})$")
_ISO_T = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?([+-]\d{2}:?\d{2}|Z)?$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DMY_NAME = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})$")


class DateStyle:
    """Converts dates and date-times of one file, remembering what it has learned.

    ``slash_order`` is ``"MDY"`` or ``"DMY"`` once known (from the user, or from the
    file's own unambiguous values); ``resolve_slash_order`` is called the first time a
    slash date is met while the order is still unknown.
    """

    def __init__(self, slash_order: str | None = None, resolve_slash_order=None):
        self.slash_order = slash_order
        self._resolve = resolve_slash_order
        self._dates: dict[str, date | None] = {}
        self._datetimes: dict[str, tuple[datetime | None, str | None]] = {}

    # -- dates -------------------------------------------------------------------
    def date(self, text: str | None) -> date | None:
        if text is None:
            return None
        try:
            return self._dates[text]
        except KeyError:
            pass
        s = text.strip()
        if s in NULL_TOKENS:
            value = None
        else:
            if len(s) > 32:
                raise ConversionError(f"not a date: {text[:40]!r}")
            value = self._parse_date(s)
        if len(self._dates) < 100_000:  # bounded memo: dates repeat a lot in a statement
            self._dates[text] = value
        return value

    def _parse_date(self, s: str) -> _Date:
        try:
            if len(s) == 8 and s.isdigit():
                y, m, d = int(s[:4]), int(s[4:6]), int(s[6:])
            elif len(s) == 10 and s[4] == "-" and s[7] == "-":
                y, m, d = int(s[:4]), int(s[5:7]), int(s[8:])
            elif (mt := _SLASH.match(s)) is not None:
                a, b, y = int(mt[1]), int(mt[2]), int(mt[3])
                order = self.slash_order
                if order is None:
                    order = self._learn_slash_order(a, b)
                m, d = (a, b) if order == "MDY" else (b, a)
                y = _full_year(y, len(mt[3]))
            elif (mt := _DMY_NAME.match(s)) is not None:
                d, y = int(mt[1]), _full_year(int(mt[3]), len(mt[3]))
                month = MONTHS.get(mt[2].upper())
                if month is None:
                    raise ConversionError(f"not a date: {s!r}")
                m = month
            else:
                raise ConversionError(f"not a date: {s!r}")
        except ConversionError:
            raise
        except ValueError as exc:
            raise ConversionError(f"not a date: {s!r}") from exc
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise ConversionError(f"date out of range: {s!r}")
        try:
            return date(y, m, d)
        except ValueError as exc:
            raise ConversionError(f"not a valid date: {s!r}") from exc

    def _learn_slash_order(self, a: int, b: int) -> str:
        if self._resolve is not None:
            self.slash_order = self._resolve()
        elif a > 12 >= b:
            self.slash_order = "DMY"
        elif b > 12 >= a:
            self.slash_order = "MDY"
        else:
            raise ConversionError("ambiguous date order")
        return self.slash_order

    # -- date-times ----------------------------------------------------------------
    def datetime(self, text: str | None) -> tuple[datetime | None, str | None]:
        """Parse a date-time; returns (naive local datetime, zone suffix or None).

        Accepts ``20250613;170000``, ``2025-06-13;17:00:00 EDT``, ``20130102 01:25:14``,
        ``2025-09-19, 16:20:00``, ``20250613;1700``, a bare date, and ISO ``T`` forms.
        """
        if text is None:
            return None, None
        try:
            return self._datetimes[text]
        except KeyError:
            pass
        s = text.strip()
        if s in NULL_TOKENS:
            result: tuple[_DateTime | None, str | None] = (None, None)
        else:
            if len(s) > 40:
                raise ConversionError(f"not a date/time: {text[:40]!r}")
            result = self._parse_datetime(s)
        if len(self._datetimes) < 100_000:
            self._datetimes[text] = result
        return result

    def _parse_datetime(self, s: str) -> tuple[_DateTime, str | None]:
        # The two layouts nearly every statement uses, read without any regular expression:
        # yyyy-MM-dd;HH:mm:ss and yyyyMMdd;HHmmss. Anything unusual falls through.
        n = len(s)
        try:
            if n == 19 and s[10] == ";" and s[4] == "-" and s[13] == ":":
                y = int(s[:4])
                if MIN_YEAR <= y <= MAX_YEAR:
                    return datetime(y, int(s[5:7]), int(s[8:10]), int(s[11:13]),
                                    int(s[14:16]), int(s[17:])), None
            elif n == 15 and s[8] == ";" and s[:8].isdigit() and s[9:].isdigit():
                y = int(s[:4])
                if MIN_YEAR <= y <= MAX_YEAR:
                    return datetime(y, int(s[4:6]), int(s[6:8]), int(s[9:11]),
                                    int(s[11:13]), int(s[13:])), None
        except ValueError:
            pass  # an impossible date or time: the general path names it
        zone = None
        if (mt := _ISO_T.match(s)) is not None:
            d = self._parse_date(mt[1])
            return datetime.combine(d, _parse_time(mt[2])), mt[3]
        if (mz := _ZONE.search(s)) is not None:
            zone = mz[1]
            s = s[: mz.start()].rstrip()
        for sep in (";", ","):
            if sep in s:
                dpart, tpart = s.split(sep, 1)
                break
        else:
            if " " in s:
                dpart, tpart = s.split(" ", 1)
            elif len(s) == 14 and s.isdigit():  # no separator at all: yyyyMMddHHmmss
                dpart, tpart = s[:8], s[8:]
            else:
                dpart, tpart = s, ""
        d = self._parse_date(dpart.strip())
        tpart = tpart.strip()
        t = _parse_time(tpart) if tpart else time(0, 0)
        return datetime.combine(d, t), zone


def _parse_time(s: str) -> time:
    try:
        if ":" in s:
            parts = [int(p) for p in s.split(":")]
        elif s.isdigit() and len(s) in (4, 6):
            parts = [int(s[i:i + 2]) for i in range(0, len(s), 2)]
        else:
            raise ConversionError(f"not a time: {s!r}")
        if not 2 <= len(parts) <= 3:
            raise ConversionError(f"not a time: {s!r}")
        return time(parts[0], parts[1], parts[2] if len(parts) == 3 else 0)
    except (ValueError, TypeError) as exc:
        raise ConversionError(f"not a time: {s!r}") from exc


def _full_year(y: int, digits: int) -> int:
    if digits == 2:
        return 2000 + y if y < 70 else 1900 + y
    return y


_SLASH_SCAN = re.compile(rb'"(\d{1,2})/(\d{1,2})/(\d{2,4})')
SLASH_SCAN_CSV = re.compile(rb'(?:^|[",;])(\d{1,2})/(\d{1,2})/(\d{2,4})', re.MULTILINE)
"""Slash dates in a CSV, quoted or not (the XML scan looks for an attribute's quote)."""


def detect_slash_order(chunks, pattern=_SLASH_SCAN) -> str | None:
    """Decide MM/dd vs dd/MM from a file's own values.

    Returns "MDY", "DMY", or None when every value fits both (truly ambiguous). Raises
    ConversionError if the file contains values that only fit one order each way.
    ``chunks`` is an iterable of bytes; a small overlap between chunks is handled by
    carrying the tail over.
    """
    first_big = second_big = False
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        for mt in pattern.finditer(buf):
            a, b = int(mt[1]), int(mt[2])
            first_big |= a > 12
            second_big |= b > 12
        tail = buf[-16:]
        if first_big and second_big:
            raise ConversionError("the file mixes MM/dd and dd/MM dates")
    if first_big:
        return "DMY"
    if second_big:
        return "MDY"
    return None
