"""The rules' result as cache parts, and back as a result that decodes on first use.

Each tuple field of :class:`~journal.rules.types.RuleResult` is its own part; the fields
with a ``tax_year`` on every record (realized events, wash sales, flags) are split by year,
so ``journal tax 2026 --summary`` reads and decodes 2026 and nothing else. Other fields
(``provisional_years``, and any field the rules add later that is not a tuple) go into the
``~meta`` part with the order of the split fields.

An entry may lack the parts of the fields the rules assemble on demand (option positions,
lots, cycles: :class:`journal.rules.assemble.LazyResult`): a tax report computes only its
year's realized events, wash sales and flags, and keeps what it computed as that year's
own entry (:func:`journal.cache.rules_result`), whose year fields hold that year alone.
Such an entry is *incomplete*: a year view reads it and gets the missing fields from
``rest`` when asked (never from another ledger state: see :mod:`journal.cache`); a whole
result does not (:class:`Incomplete`), computes, and completes the entry.

What comes back is a :class:`RuleResult` (a subclass of it) whose fields are decoded from
the bytes read in the snapshot the first time they are used: a command that never looks at
the lots never pays for them.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from functools import partial
from itertools import groupby
from typing import Any

from journal.cache import codec
from journal.rules.types import RuleResult

BY_YEAR = ("realized", "wash_sales", "flags")
META = "~meta"
NO_YEAR = "-"
LEVEL = 1  # zlib: a fifth of the bytes for a few ms per megabyte


class Incomplete(LookupError):
    """The entry lacks fields a whole result needs (kept by a year view): compute them."""


def _fields() -> tuple:
    return tuple(f.name for f in dataclasses.fields(RuleResult))


def _year_key(item) -> str:
    year = getattr(item, "tax_year", None)
    return NO_YEAR if year is None else str(year)


def in_year(item, year: int) -> bool:
    """A record belongs to the year view of ``year`` when its tax year is that year or it
    has none (a flag about no year in particular): what every consumer filters again."""
    y = getattr(item, "tax_year", None)
    return y is None or y == year


def year_view(result: RuleResult, year: int | None) -> RuleResult:
    if year is None:
        return result
    from journal.rules.assemble import LazyResult

    if isinstance(result, LazyResult):  # keep the other fields unassembled until asked
        realized, washes, flags = (tuple(x for x in getattr(result, f) if in_year(x, year))
                                   for f in BY_YEAR)
        return LazyResult.of(realized, washes, flags, result.provisional_years,
                             lambda: (result.option_positions, result.lots, result.cycles))
    changes: dict[str, Any] = {f: tuple(x for x in getattr(result, f) if in_year(x, year))
                               for f in BY_YEAR if f in _fields()}
    return dataclasses.replace(result, **changes)


def _pack(data: bytes) -> bytes:
    return zlib.compress(data, LEVEL)


def encode(result: RuleResult, skip: frozenset = frozenset()) -> dict[str, bytes]:
    """Raises :class:`codec.Unsupported` when some value cannot be stored exactly.
    ``skip``: tuple fields left out (not computed); the entry is then incomplete."""
    parts: dict[str, bytes] = {}
    meta: dict = {"order": {}, "values": {}, "fields": list(_fields())}
    for name in _fields():
        if name in skip and name not in BY_YEAR:
            continue
        value = getattr(result, name)
        if type(value) is not tuple:
            meta["values"][name] = value
        elif name in BY_YEAR:
            keys = [_year_key(x) for x in value]
            meta["order"][name] = [(k, len(list(g))) for k, g in groupby(keys)]
            by_key: dict[str, list] = {}
            for x, k in zip(value, keys):
                by_key.setdefault(k, []).append(x)
            for k, items in by_key.items():
                parts[f"{name}/{k}"] = _pack(codec.encode_records(items))
        else:
            parts[name] = _pack(codec.encode_records(value))
    parts[META] = _pack(codec.encode(meta))
    return parts


def wanted_parts(year: int | None) -> list[str] | None:
    """Part names a year view needs (None: all of them)."""
    if year is None:
        return None
    names = [META]
    for name in _fields():
        if name in BY_YEAR:
            names += [f"{name}/{year}", f"{name}/{NO_YEAR}"]
        else:
            names.append(name)
    return names


def _records(blob: bytes | None) -> tuple:
    return () if blob is None else codec.decode_records(blob)


def loaders(parts: dict[str, bytes], year: int | None,
            rest: Callable[[], RuleResult] | None = None) -> dict[str, Callable[[], object]]:
    """One function per RuleResult field that decodes it from ``parts`` (decompressed);
    a field the entry lacks comes from ``rest()`` (a year view's), else :class:`Incomplete`."""
    meta = codec.decode(parts[META])
    if meta.get("fields") != list(_fields()):
        raise codec.Mismatch("RuleResult has other fields now")
    out: dict[str, Callable[[], object]] = {}
    for name in _fields():
        if name in meta["values"]:
            out[name] = partial(_same, meta["values"][name])
        elif name in BY_YEAR:
            out[name] = partial(_merge, parts, name, meta["order"][name], year)
        elif name in parts:
            out[name] = partial(_records, parts[name])
        elif rest is None or year is None:
            raise Incomplete(name)
        else:
            out[name] = partial(_field_of, rest, name)
    return out


def _field_of(rest: Callable[[], RuleResult], name: str):
    return getattr(rest(), name)


def _same(value):
    return value


def _merge(parts: dict[str, bytes], name: str, order: list, year: int | None) -> tuple:
    """The field's records in their original order (a year view: that year's only)."""
    keys = [k for k, _ in order]
    if year is not None:
        keys = [k for k in keys if k in (str(year), NO_YEAR)]
    decoded = {k: iter(_records(parts.get(f"{name}/{k}"))) for k in set(keys)}
    out: list = []
    for k, n in order:
        it = decoded.get(k)
        if it is not None:
            out.extend(next(it) for _ in range(n))
    return tuple(out)


#### a RuleResult that decodes each field on first use ####


def _lazy_class() -> type:
    names = _fields()

    def field(name: str) -> property:
        def get(self):
            state = self.__dict__
            try:
                return state["_values"][name]
            except KeyError:
                value = state["_values"][name] = state["_loaders"][name]()
                return value

        def put(self, value):  # the dataclass __init__ (dataclasses.replace) sets fields
            self.__dict__.setdefault("_values", {})[name] = value

        return property(get, put)

    def __eq__(self, other):
        if not isinstance(other, RuleResult):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    ns: dict = {n: field(n) for n in names}
    ns.update(__eq__=__eq__, __hash__=RuleResult.__hash__, __module__=__name__,
              __doc__="A RuleResult read from the cache; fields decode on first use.")
    return type("CachedRuleResult", (RuleResult,), ns)


CachedRuleResult = _lazy_class()


def lazy(parts: dict[str, bytes], year: int | None,
         rest: Callable[[], RuleResult] | None = None) -> RuleResult:
    """Raises zlib.error or :class:`codec.Mismatch` at once on damaged or foreign bytes
    (zlib checks every part's checksum here), so the caller can compute instead; only the
    JSON is left for first use. :class:`Incomplete`: see :func:`loaders`."""
    plain = {name: zlib.decompress(blob) for name, blob in parts.items()}
    obj: Any = object.__new__(CachedRuleResult)
    obj.__dict__.update(_values={}, _loaders=loaders(plain, year, rest))
    return obj
