"""The split rules package: the lot-method table (one function per vocab.LotMethod) and
the flag vocabulary (every flag the rules and the tax report raise is a vocab.FlagCode
with its meaning, spec section and severity)."""

from __future__ import annotations

import ast
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from journal import vocab
from journal.readmodel import ClosedLotRecord, ExecutionRecord, LedgerData
from journal.rules import booking, run_rules
from journal.rules.indexes import closed_lot_index
from journal.rules.records import Lot
from journal.rules.state import FlagSink

from conftest import FIXTURES, SAMPLES

RULES_SRC = Path(__file__).resolve().parents[1] / "journal"


def execution(seq, day, qty, price, account="A"):
    return ExecutionRecord(seq, account, f"T{seq}", "STK", "XYZ", "XYZ", "XYZ", "1001", None,
                           None, None, D(1), day, datetime(day.year, day.month, day.day, 10),
                           D(qty), D(price), -D(qty) * D(price), None, None, frozenset(), None,
                           None, None)


def lots():
    """Three XYZ lots of 10 shares: 10 (oldest), 30, 20 a share."""
    out = []
    for seq, (day, price) in enumerate(((date(2025, 1, 2), "10"), (date(2025, 1, 3), "30"),
                                        (date(2025, 1, 6), "20")), 1):
        e = execution(seq, day, "10", price)
        out.append(Lot(f"A:T{seq}", "A", e, "XYZ", "XYZ", 1, D(10), e.net_cash, day, False))
    return out


SALE = execution(9, date(2025, 3, 10), "-10", "25")


def order(method, closed=()):
    flags = FlagSink()
    got = booking.relief_order(method, SALE, lots(), closed_lot_index(closed), flags)
    return [x.lot_id for x in got], [f.code for f in flags.flags]


def test_every_lot_method_is_one_function_of_the_table():
    assert set(booking.RELIEF) == set(vocab.LotMethod)
    assert all(callable(fn) and fn.__module__ == booking.__name__
               for fn in booking.RELIEF.values())


@pytest.mark.parametrize("method, want", [
    ("FIFO", ["A:T1", "A:T2", "A:T3"]),
    ("LIFO", ["A:T3", "A:T2", "A:T1"]),
    ("HIFO", ["A:T2", "A:T3", "A:T1"]),
    ("IB", ["A:T1", "A:T2", "A:T3"]),  # no closed-lot detail: FIFO
])
def test_relief_order_without_closed_lot_detail(method, want):
    assert order(method) == (want, [])


def test_specific_without_closed_lot_detail_is_fifo_and_flagged():
    assert order("SPECIFIC") == (["A:T1", "A:T2", "A:T3"], ["SPECIFIC_LOT_MISSING"])


@pytest.mark.parametrize("method", ["IB", "SPECIFIC"])
def test_ibs_closed_lot_named_by_transaction_or_by_opening_date(method):
    by_tx = ClosedLotRecord("A", "1001", "XYZ", "T3", SALE.trade_date, None, D(10))
    by_day = ClosedLotRecord("A", "1001", "XYZ", None, SALE.trade_date, None, D(10),
                             date(2025, 1, 3))
    assert order(method, [by_tx]) == (["A:T3", "A:T1", "A:T2"], [])
    assert order(method, [by_day]) == (["A:T2", "A:T1", "A:T3"], [])


def _flag_codes_in_source() -> set[str]:
    """Every FlagCode member the rules and the tax report name, and no flag built from a
    bare string."""
    names: set[str] = set()
    files = sorted((RULES_SRC / "rules").glob("*.py")) + [RULES_SRC / "tax.py"]
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id == "FlagCode":
                names.add(node.attr)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Flag":
                first = node.args[0] if node.args else None
                assert not isinstance(first, ast.Constant), \
                    f"{path.name}:{node.lineno}: a flag code as a bare string"
    return names


def test_every_flag_code_raised_is_in_the_vocabulary_with_its_info():
    names = _flag_codes_in_source()
    assert names, "the rules raise no FlagCode at all?"
    members = {c.name for c in vocab.FlagCode}
    assert names <= members
    assert set(vocab.FLAG_INFO) == set(vocab.FlagCode)
    for code in vocab.FlagCode:
        info = code.info
        assert info.meaning and info.spec.startswith("§") and isinstance(info.severity,
                                                                        vocab.Severity)


def test_flags_of_real_runs_are_flag_codes(run, db_path):
    from journal.db import open_ledger
    from journal.rules import analyze

    files = sorted((FIXTURES / "rules").glob("*.xml")) + sorted(SAMPLES.glob("*.xml"))
    for path in files:
        assert run("import", path).exit_code == 0
    result = analyze(open_ledger(db_path))
    known = {c.value for c in vocab.FlagCode}
    assert result.flags and {f.code for f in result.flags} <= known
    assert run_rules(LedgerData()).flags == ()


def test_result_assembles_positions_lots_and_cycles_on_first_use(run, db_path):
    """run_rules leaves the wheel parts (positions, lots, cycles) for later: reading them
    gives what an eager result holds, and the result compares, hashes, copies and pickles
    like a plain RuleResult."""
    import copy
    import dataclasses
    import pickle

    from journal.db import open_ledger
    from journal.readmodel import load_ledger
    from journal.rules.types import RuleResult

    for path in sorted(SAMPLES.glob("*.xml")):
        assert run("import", path).exit_code == 0
    data = load_ledger(open_ledger(db_path))
    lazy = run_rules(data)
    names = [f.name for f in dataclasses.fields(RuleResult)]
    eager = RuleResult(**{n: getattr(run_rules(data), n) for n in names})
    assert eager.lots and eager.option_positions and eager.cycles
    assert lazy == eager and eager == lazy and hash(lazy) == hash(eager)
    assert all(getattr(lazy, n) == getattr(eager, n) for n in names)
    assert pickle.loads(pickle.dumps(run_rules(data))) == eager
    assert type(pickle.loads(pickle.dumps(run_rules(data)))) is RuleResult
    assert copy.deepcopy(run_rules(data)) == eager
    assert dataclasses.replace(run_rules(data), flags=()) == dataclasses.replace(eager, flags=())
    with pytest.raises(dataclasses.FrozenInstanceError):
        lazy.lots = ()  # type: ignore[misc]
