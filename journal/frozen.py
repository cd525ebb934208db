"""Records made by the ten thousand: frozen ones at the cost of plain ones, and without
the cycle collector rescanning them while they are made.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (one
global lookup and one call per field): on the records made by the ten thousand (the read
model's executions, the rules' realized events and flags, the cache's decoded rows) that
is most of what building them costs. :func:`maker` builds the very same object through a
plain slotted twin of the class (fields stored with the fast slot store) and then gives
it the frozen class: same type, same fields, same equality, hash and immutability.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_MAKERS: dict[type, Callable[..., Any]] = {}


def maker(cls: type[T]) -> Callable[..., T]:
    """``cls(*values)`` for a frozen slotted dataclass, every field given in order (no
    defaults, no ``__post_init__``); ``cls`` itself for any other class."""
    made = _MAKERS.get(cls)
    if made is None:
        made = _MAKERS[cls] = _maker(cls)
    return made


def _maker(cls: type) -> Callable[..., Any]:
    params = getattr(cls, "__dataclass_params__", None)
    slots = cls.__dict__.get("__slots__")
    if params is None or not params.frozen or slots is None or \
            hasattr(cls, "__post_init__") or cls.__bases__ != (object,):
        return cls
    names = tuple(f.name for f in dataclasses.fields(cls))
    if tuple(slots) != names:
        return cls
    twin: Any = dataclasses.make_dataclass(f"_{cls.__name__}Draft", names, slots=True)
    assert twin.__slots__ == slots  # the same layout: __class__ can be assigned

    def make(*values):
        obj = twin(*values)
        obj.__class__ = cls
        return obj

    return make


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: building the read model, the rules' pass and
    the cache's bytes allocates containers by the hundred thousand and frees almost none,
    and each collection of the older generations rescans all of them (and everything else
    alive) for nothing: 40% of the rules' CPU time on a 46.5k-trade ledger. Reference
    counting still frees what is dropped; collection resumes on the way out.

    What was made inside goes straight to the oldest generation (``freeze`` then
    ``unfreeze``: two list splices), as if it had survived the young collections; they
    would otherwise scan all of it twice more as soon as collection resumes. Garbage
    cycles among it are still found, by the next full collection."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was:
            gc.enable()


class Deferred:
    """What a deferred field's slot holds until it is first read (see :func:`deferred`):
    ``load(record)`` returns the values of all the class's deferred fields, in order, and
    every slot still holding this object gets its value."""

    __slots__ = ("load",)

    def __init__(self, load: Callable[[Any], tuple]) -> None:
        self.load = load

    def fill(self, obj: Any) -> None:
        for slot, value in zip(type(obj).__deferred__, self.load(obj)):
            if slot.__get__(obj) is self:
                slot.__set__(obj, value)

    def __repr__(self) -> str:
        return "<not read yet>"


class _DeferredSlot:
    """A slot that reads its value on first use when it holds a :class:`Deferred`; any
    other value is returned as it is (a record made with every value never reads)."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj)
        if value.__class__ is Deferred:
            value.fill(obj)
            value = self.slot.__get__(obj)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)


def deferred(cls: type[T], names: tuple[str, ...]) -> type[T]:
    """Let the slots ``names`` of a slotted class hold a :class:`Deferred`: the record
    then reads those values when one of them is first asked for. The fields keep their
    names and types; equality and hashing should leave them out (``compare=False``), or
    comparing two records would read them."""
    slots = []
    for name in names:
        slot = cls.__dict__[name]
        slots.append(slot)
        setattr(cls, name, _DeferredSlot(slot))
    cls.__deferred__ = tuple(slots)  # type: ignore[attr-defined]
    return cls
