"""journal.frozen: records built through the fast path are the records __init__ makes."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date
from decimal import Decimal

import pytest

from journal.frozen import maker
from journal.readmodel import ExecutionRecord
from journal.rules.types import Flag, RealizedEvent


def _values(cls) -> tuple:
    return tuple(Decimal(i) if f.type == "Decimal" else f"v{i}"
                 for i, f in enumerate(dataclasses.fields(cls)))


@pytest.mark.parametrize("cls", [ExecutionRecord, RealizedEvent, Flag])
def test_made_records_equal_constructed_ones(cls):
    values = _values(cls)
    made, built = maker(cls)(*values), cls(*values)
    assert type(made) is cls and made == built and hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert pickle.loads(pickle.dumps(made)) == built
    assert dataclasses.replace(made) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.account = "other"  # type: ignore[misc]


def test_other_classes_are_built_as_they_are():
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self):
            if self.a < 0:
                raise ValueError

    for cls in (Mutable, NoSlots, Checked):
        assert maker(cls) is cls
    assert maker(Flag)("C", "U1", "m", date(2025, 1, 2), None, None, 2025).tax_year == 2025


def test_what_is_made_without_collection_goes_to_the_oldest_generation():
    import gc

    from journal.frozen import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        made = [[i] for i in range(2000)]
        with paused_gc():  # nested: still paused after the inner one
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    young = {id(o) for o in gc.get_objects(0)} | {id(o) for o in gc.get_objects(1)}
    assert not any(id(x) in young for x in made)
    oldest = {id(o) for o in gc.get_objects(2)}
    assert all(id(x) in oldest for x in made)

