"""Typed tables: what every view returns and every face (terminal, CSV, JSON, workbook,
HTML report) renders.

A column knows its key (the JSON/CSV name, stable), a human title, the kind of value it
holds and whether it is a *key* column (shown by default in the terminal, where only
100–120 columns fit). Rows hold the exact values (Decimal money, dates) keyed by column
key; rounding and separators are the renderer's business, decided once per kind.

This module imports nothing heavy: the CLI imports it at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum, unique
from itertools import islice
from typing import Any, overload


@unique
class Kind(str, Enum):
    """How a column's values read; every renderer formats a kind the same way."""

    MONEY = "money"  # Decimal amount: cents and thousands separators on screen
    COUNT = "count"  # whole number of things (contracts, days, rows)
    QUANTITY = "quantity"  # signed shares/contracts, fractional shares possible
    NUMBER = "number"  # any other exact number (collateral-days)
    PERCENT = "percent"  # percent number: 12.5 means 12.5 %
    PRICE = "price"  # per-share price or strike: at least cents, never rounded
    DATE = "date"
    DATETIME = "datetime"
    TEXT = "text"  # free text: wrapped on screen
    ID = "id"  # identifier a user copies (lot id, transaction id): never wrapped
    BOOL = "bool"
    LIST = "list"  # several values in one cell

    @property
    def numeric(self) -> bool:
        return self in _NUMERIC


_NUMERIC = frozenset({Kind.MONEY, Kind.COUNT, Kind.QUANTITY, Kind.NUMBER, Kind.PERCENT,
                      Kind.PRICE})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.TEXT
    default: bool = True  # a key column: shown in the terminal without --all-columns


def col(key: str, title: str, kind: Kind = Kind.TEXT, default: bool = True) -> Column:
    return Column(key, title, kind, default)


def extra(key: str, title: str, kind: Kind = Kind.TEXT) -> Column:
    """A column shown only on request (--columns, --all-columns) and in CSV/JSON."""
    return Column(key, title, kind, False)


@dataclass(frozen=True)
class Table:
    """Columns and rows (dicts keyed by column key, exact values)."""

    columns: tuple[Column, ...]
    rows: Sequence[Mapping[str, Any]] = ()
    title: str = ""
    notes: tuple[str, ...] = field(default=())  # shown under the terminal table

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def select(self, keys: Iterable[str] | None) -> Table:
        """The same rows with only ``keys`` (in that order); all columns for None."""
        if keys is None:
            return self
        by_key = {c.key: c for c in self.columns}
        return replace(self, columns=tuple(by_key[k] for k in keys))

    def default_keys(self) -> list[str]:
        keys = [c.key for c in self.columns if c.default]
        return keys or self.keys

    def with_rows(self, rows: Sequence[Mapping[str, Any]]) -> Table:
        return replace(self, rows=rows)


def table(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, title: str = "",
          notes: Sequence[str] = ()) -> Table:
    return Table(tuple(columns), list(rows), title, tuple(notes))


def untyped(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> Table:
    """A table from plain rows and column names (kinds guessed from the values): for
    listings that have no view of their own yet."""
    from datetime import date, datetime
    from decimal import Decimal

    cols = []
    for k in keys:
        sample = next((r.get(k) for r in rows if r.get(k) is not None), None)
        kind = Kind.TEXT
        if isinstance(sample, bool):
            kind = Kind.BOOL
        elif isinstance(sample, int):
            kind = Kind.COUNT
        elif isinstance(sample, Decimal):
            kind = Kind.NUMBER
        elif isinstance(sample, datetime):
            kind = Kind.DATETIME
        elif isinstance(sample, date):
            kind = Kind.DATE
        cols.append(Column(k, k, kind))
    return Table(tuple(cols), rows)


def sections_table(parts: Sequence[tuple[str, Table]], *, key: str = "section") -> Table:
    """Several tables as one listing for CSV/JSON: a ``section`` column, then the union
    of the columns in order of appearance (a row leaves the others empty)."""
    columns = [Column(key, "Section", Kind.TEXT)]
    seen = {key}
    for _name, t in parts:
        for c in t.columns:
            if c.key not in seen:
                seen.add(c.key)
                columns.append(c)
    return Table(tuple(columns), SectionRows(key, [(name, t.rows) for name, t in parts]))


class SectionRows(Sequence[Mapping[str, Any]]):
    """The rows of several tables, each with its section's name under ``key``, made as
    they are read: a review's tens of thousands of rows are written once, not copied
    into a second list first."""

    __slots__ = ("key", "parts")

    def __init__(self, key: str, parts: list[tuple[str, Sequence[Mapping[str, Any]]]]):
        self.key, self.parts = key, parts

    def __len__(self) -> int:
        return sum(len(rows) for _name, rows in self.parts)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        key = self.key
        for name, rows in self.parts:
            for r in rows:
                yield {key: name, **r}

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step < 0:
                return list(self)[i]
            return list(islice(self, start, stop, step))
        n = i + len(self) if i < 0 else i
        for name, rows in self.parts:
            if 0 <= n < len(rows):
                return {self.key: name, **rows[n]}
            n -= len(rows)
        raise IndexError(i)
