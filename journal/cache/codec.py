"""Exact, safe bytes for cached results: JSON with type tags, never pickle.

The cache lives in the ledger database, which on PostgreSQL other people may be able to
write; unpickling what they wrote would run their code. So the format is JSON (orjson),
and decoding only ever builds plain values, ``Decimal``/``date``/``datetime``, tuples,
sets, dicts, and the dataclasses and enums defined in ``journal`` itself.

Two layouts:

* :func:`encode` / :func:`decode`: any supported value, each non-JSON value tagged
  (``["D", "1.50"]`` is a Decimal, ``["d", "2025-01-02"]`` a date, ``["R", type, fields]``
  a journal dataclass...).
* :func:`encode_records` / :func:`decode_records`: a sequence of records of one dataclass
  type (the rules' realized events, lots, flags...), as rows of field values with one
  kind per column, so that decoding converts a column in a tight loop. This is the hot
  path of a warm report: tens of thousands of records.

Values keep their exact runtime type (a ``Decimal`` field holding an ``int`` comes back
an ``int``): the cache must give back what the rules returned, byte for byte in every
output.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import orjson

from journal.frozen import maker, paused_gc

FORMAT = 1
COLUMNAR_MIN = 8  # lists at least this long of alike dicts or records are stored by column
_NATIVE = (str, int, bool, float, type(None))


class Unsupported(TypeError):
    """A value the cache cannot store exactly (the result is then simply not cached)."""


class Mismatch(ValueError):
    """Stored bytes that no longer fit the code (another format or record layout)."""


#### type names: only journal's own dataclasses and enums are ever rebuilt ####


def _type_name(cls: type) -> str:
    mod = cls.__module__
    if mod != "journal" and not mod.startswith("journal."):
        raise Unsupported(f"{mod}.{cls.__qualname__} is not a journal type")
    return f"{mod}:{cls.__qualname__}"


_TYPES: dict[str, type] = {}


def _resolve(name: str) -> type:
    cls = _TYPES.get(name)
    if cls is not None:
        return cls
    mod, _, qual = name.partition(":")
    if mod != "journal" and not mod.startswith("journal."):
        raise Mismatch(f"refusing to build {name}: not a journal type")
    obj: Any = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or not (dataclasses.is_dataclass(obj)
                                         or issubclass(obj, enum.Enum)):
        raise Mismatch(f"{name} is not a journal dataclass or enum")
    _TYPES[name] = obj
    return obj


#### tagged values ####


def _enc(v):
    t = type(v)
    if t in _NATIVE:
        return v
    if t is Decimal:
        return ["D", str(v)]
    if t is date:
        return ["d", v.isoformat()]
    if t is datetime:
        return ["t", v.isoformat()]
    if t is tuple or t is list:
        if len(v) >= COLUMNAR_MIN:
            table = _enc_table(v)
            if table is not None:
                return table
        return ["T" if t is tuple else "L", [_enc(x) for x in v]]
    if t is frozenset or t is set:
        return ["F" if t is frozenset else "S", [_enc(x) for x in v]]
    if t is dict:
        return ["M", [[_enc(k), _enc(x)] for k, x in v.items()]]
    if isinstance(v, enum.Enum):
        return ["E", _type_name(t), _enc(v.value)]
    if dataclasses.is_dataclass(v):
        return ["R", _type_name(t), [_enc(getattr(v, f.name)) for f in dataclasses.fields(v)]]
    raise Unsupported(f"cannot cache a {t.__module__}.{t.__qualname__}")


def _dec(v):
    if type(v) is not list:
        return v
    tag = v[0]
    if tag == "D":
        return Decimal(v[1])
    if tag == "d":
        return date.fromisoformat(v[1])
    if tag == "t":
        return datetime.fromisoformat(v[1])
    if tag == "T":
        return tuple(_dec(x) for x in v[1])
    if tag == "L":
        return [_dec(x) for x in v[1]]
    if tag == "F":
        return frozenset(_dec(x) for x in v[1])
    if tag == "S":
        return {_dec(x) for x in v[1]}
    if tag == "M":
        return {_dec(k): _dec(x) for k, x in v[1]}
    if tag == "Q" or tag == "RS":
        return _dec_table(v)
    if tag == "E":
        return _resolve(v[1])(_dec(v[2]))
    if tag == "R":
        build, width = _builder(v[1])
        if len(v[2]) != width:
            raise Mismatch(f"{v[1]} has other fields now")
        return build(tuple(_dec(x) for x in v[2]))
    raise Mismatch(f"unknown tag {tag!r}")


def encode(value) -> bytes:
    with paused_gc():
        return orjson.dumps({"f": FORMAT, "v": _enc(value)})


def encode_compressed(value, level: int) -> bytes:
    """``zlib.compress(encode(value), level)``, made a piece at a time: the elements of a
    short tuple or list and the fields of a dataclass (three levels down) are tagged,
    written and compressed one after another, so only one of them is held as tagged
    values and JSON at a time (a report's tables: the cold report's last peak). The
    pieces join into exactly :func:`encode`'s bytes (orjson writes compact JSON)."""
    pack = zlib.compressobj(level)
    out = [pack.compress(b'{"f":%d,"v":' % FORMAT)]
    with paused_gc():
        for piece in _pieces(value, 3):
            out.append(pack.compress(piece))
    out += [pack.compress(b"}"), pack.flush()]
    return b"".join(out)


def _pieces(v, depth: int) -> Iterator[bytes]:
    t = type(v)
    if depth > 0 and (t is tuple or t is list) and len(v) < COLUMNAR_MIN:
        yield b'["T",[' if t is tuple else b'["L",['
        for i, x in enumerate(v):
            if i:
                yield b","
            yield from _pieces(x, depth - 1)
        yield b"]]"
    elif depth > 0 and t not in _NATIVE and not isinstance(v, enum.Enum) and \
            dataclasses.is_dataclass(v) and not isinstance(v, type):
        yield b'["R",' + orjson.dumps(_type_name(t)) + b",["
        for i, f in enumerate(dataclasses.fields(v)):
            if i:
                yield b","
            yield from _pieces(getattr(v, f.name), depth - 1)
        yield b"]]"
    else:  # anything else exactly as encode tags it
        yield orjson.dumps(_enc(v))


def decode(data: bytes):
    with paused_gc():
        doc = orjson.loads(data)
        if doc.get("f") != FORMAT:
            raise Mismatch("another cache format")
        return _dec(doc["v"])


#### records: rows of one dataclass, one kind per column ####

# column kinds: j = JSON-native values only (and None), D = Decimal, d = date,
# t = datetime (each or None), x = anything else, tagged value by value
_KIND_OF = {str: "j", int: "j", bool: "j", float: "j", Decimal: "D", date: "d",
            datetime: "t"}
_DECODE_KIND: dict[str, Callable] = {"D": Decimal, "d": date.fromisoformat,
                                     "t": datetime.fromisoformat}


def _field_names(cls: type) -> tuple:
    return tuple(f.name for f in dataclasses.fields(cls))


_BUILDERS: dict[str, tuple[Callable, int]] = {}


def _builder(name: str) -> tuple[Callable, int]:
    found = _BUILDERS.get(name)
    if found is None:
        cls = _resolve(name)
        names = _field_names(cls)
        found = _BUILDERS[name] = (_build(cls, names), len(names))
    return found


def _build(cls: type, names: tuple) -> Callable[[Sequence], Any]:
    """A function turning a row of field values into a record, skipping ``__init__`` (the
    values were valid when the rules built them) but keeping frozen records frozen."""
    probe: Any = object.__new__(cls)
    new = cls.__new__
    if hasattr(probe, "__dict__"):
        def build(row):
            obj = new(cls)
            obj.__dict__.update(zip(names, row))
            return obj
    else:
        make: Callable[..., Any] = maker(cls)
        if make is not cls:  # frozen and slotted: journal.frozen builds it like __init__
            def build(row):
                return make(*row)
            return build
        setters = [getattr(cls, n).__set__ for n in names]  # set each slot, as __init__

        def build(row):
            obj = new(cls)
            for s, val in zip(setters, row):
                s(obj, val)
            return obj
    return build


def encode_records(items: Sequence) -> bytes:
    """``items``: records of one journal dataclass (or an empty sequence). Stored by
    column, so that each column converts in one C-level ``map`` both ways."""
    with paused_gc():
        return _encode_records(items)


def _encode_records(items: Sequence) -> bytes:
    if not items:
        return orjson.dumps({"f": FORMAT, "type": None, "n": 0, "cols": []})
    cls, names, cols = _record_columns(items)
    kinds, cols = _enc_columns(cols)
    return orjson.dumps({"f": FORMAT, "type": _type_name(cls), "fields": names,
                         "kinds": kinds, "n": len(items), "cols": cols})


def _record_columns(items: Sequence) -> tuple[type, tuple, list]:
    cls = type(items[0])
    if not dataclasses.is_dataclass(cls):
        raise Unsupported(f"{cls.__qualname__} is not a dataclass")
    if set(map(type, items)) != {cls}:
        raise Unsupported(f"mixed record types in a sequence of {cls.__qualname__}")
    names = _field_names(cls)
    get = attrgetter(*names) if len(names) > 1 else (lambda o: (getattr(o, names[0]),))
    return cls, names, list(zip(*map(get, items)))


def _enc_columns(cols: list) -> tuple[str, list]:
    """One kind per column (see _KIND_OF), each column converted in one pass."""
    kinds = []
    for i, col in enumerate(cols):
        seen = set(map(type, col))
        nones = type(None) in seen
        seen.discard(type(None))
        ks = {_KIND_OF.get(t, "x") for t in seen}
        kind = ks.pop() if len(ks) == 1 else ("j" if not ks else "x")
        if kind == "D":
            cols[i] = _map_some(str, col, nones)
        elif kind == "x":
            cols[i] = [_enc(v) for v in col]
        kinds.append(kind)  # orjson writes dates and datetimes as ISO text itself
    return "".join(kinds), cols


def _map_some(fn: Callable, col: Sequence, nones: bool) -> list:
    """``fn`` over a column, None left as it is. (``None in col`` would ask every Decimal
    whether it equals None, through the numbers ABCs: slower than the conversion.)"""
    if nones:
        return [None if v is None else fn(v) for v in col]
    return list(map(fn, col))


def _dec_columns(kinds: str, cols: list) -> list:
    for i, k in enumerate(kinds):
        if k != "j":
            col = cols[i]
            cols[i] = _map_some(_dec if k == "x" else _DECODE_KIND[k], col, None in col)
    return cols


def _enc_table(v: Sequence):
    """A long list of dicts with the same keys in the same order (a view's rows), or of
    records of one journal dataclass, by column; None when it is neither."""
    first = v[0]
    container = "T" if type(v) is tuple else "L"
    if type(first) is dict:
        keys = list(first)
        if all(type(r) is dict and list(r) == keys for r in v):
            kinds, cols = _enc_columns([[r[k] for r in v] for k in keys])
            return ["Q", container, [_enc(k) for k in keys], kinds, cols]
        return None
    if dataclasses.is_dataclass(first) and not isinstance(first, type):
        try:
            cls, names, cols = _record_columns(v)
            name = _type_name(cls)
        except Unsupported:
            return None
        kinds, cols = _enc_columns(cols)
        return ["RS", container, name, list(names), kinds, cols]
    return None


def _dec_table(v: list):
    if v[0] == "Q":
        _, container, keys, kinds, cols = v
        keys = [_dec(k) for k in keys]
        rows: Sequence = [dict(zip(keys, vals)) for vals in zip(*_dec_columns(kinds, cols))]
    else:
        _, container, name, names, kinds, cols = v
        cls = _resolve(name)
        if tuple(names) != _field_names(cls):
            raise Mismatch(f"{name} has other fields now")
        rows = list(map(_builder(name)[0], zip(*_dec_columns(kinds, cols))))
    return tuple(rows) if container == "T" else rows


def decode_records(data: bytes) -> tuple:
    with paused_gc():
        return _decode_records(data)


def _decode_records(data: bytes) -> tuple:
    doc = orjson.loads(data)
    if doc.get("f") != FORMAT:
        raise Mismatch("another cache format")
    if not doc["n"]:
        return ()
    cls = _resolve(doc["type"])
    names = _field_names(cls)
    if tuple(doc["fields"]) != names:
        raise Mismatch(f"{doc['type']} has other fields now")
    cols = _dec_columns(doc["kinds"], doc["cols"])
    make: Callable[..., Any] = maker(cls)
    if make is not cls and len(cols) == len(names):
        return tuple(map(make, *cols))
    return tuple(map(_build(cls, names), zip(*cols)))
