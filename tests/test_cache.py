"""The cache's pieces: exact, safe encoding; the lazily decoded result; year views;
writes that give up instead of waiting; pruning; the generic ``derived`` API."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import orjson
import pytest
from sqlalchemy import text

import journal.cache as jcache
import journal.rules
from journal import db as jdb
from journal.cache import codec, results, store
from journal.imports import import_file
from journal.rules.types import Flag, RealizedEvent, RuleResult

from conftest import FIXTURES, SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


@pytest.fixture
def engine(db_path):
    eng = jdb.open_ledger(db_path)
    yield eng
    eng.dispose()


def _event(**kw) -> RealizedEvent:
    base = {"account": "U1", "description": "100 XYZ", "underlying": "XYZ", "asset_category": "STK",
                "quantity": Decimal(100), "date_acquired": date(2025, 1, 2),
                "date_sold": date(2025, 3, 4), "proceeds": Decimal("5010.50"),
                "cost": Decimal("4000.0000"), "adjustment_code": "", "adjustment_amount": Decimal(0),
                "gain": Decimal("1010.5000"), "term": "ST", "tax_year": 2025, "kind": "stock_sale"}
    base.update(kw)
    return RealizedEvent(**base)


#### codec ####


def test_records_round_trip_exactly_with_their_runtime_types():
    events = (_event(), _event(quantity=Decimal("-0"), proceeds=Decimal("1E+2"), cost=3,
                               date_acquired=None, ib_fifo_pnl=Decimal("0.10")))
    back = codec.decode_records(codec.encode_records(events))
    assert back == events
    for a, b in zip(events, back):
        for f in dataclasses.fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            assert (type(x), str(x)) == (type(y), str(y)), f.name  # 1E+2 stays 1E+2, 3 an int
    with pytest.raises(dataclasses.FrozenInstanceError):
        back[0].gain = Decimal(1)


class Color(Enum):  # a journal-side type? no: tests are not the journal package
    RED = "r"


def test_tagged_values_round_trip():
    value = {"a": (Decimal("1.50"), date(2025, 1, 2), datetime(2025, 1, 2, 9, 30, 0, 12)),
             2: frozenset({"x", "y"}), "n": [None, True, 1.25, {"k": set()}],
             "flag": Flag("NON_QCC", "U1", "msg", date(2025, 5, 1), tax_year=2025)}
    assert codec.decode(codec.encode(value)) == value
    from journal.vocab import Severity

    some = next(iter(Severity))
    assert codec.decode(codec.encode([some])) == [some]


def test_tables_are_stored_by_column_and_come_back_alike():
    rows = [{"month": f"2025-{m:02d}", "premium": Decimal(m) / 4 if m % 3 else None,
             "day": date(2025, m, 1), "n": m, "tags": ("a", m)} for m in range(1, 13)]
    odd = [dict(reversed(list(r.items()))) if i == 5 else r for i, r in enumerate(rows)]
    records = tuple(_event(gain=Decimal(i), tax_year=2020 + i % 3) for i in range(10))
    value = {"rows": rows, "odd": odd, "records": records, "short": rows[:3]}
    blob = codec.encode(value)
    assert b'"Q"' in blob and b'"RS"' in blob
    back = codec.decode(blob)
    assert back == value
    assert [list(r) for r in back["odd"]] == [list(r) for r in odd]  # key order kept
    assert type(back["records"]) is tuple and type(back["rows"]) is list
    assert type(back["rows"][0]["tags"]) is tuple


def test_encoding_in_pieces_gives_exactly_the_same_bytes():
    """derived() keeps a view's value compressed a piece at a time (the elements of short
    tuples and lists and the fields of dataclasses, three levels down): decompressed, the
    bytes are exactly encode()'s, whatever the value's shape."""
    import zlib

    from journal.views.table import Kind, col, table

    rows = [{"month": f"2025-{m:02d}", "premium": Decimal(m) / 4 if m % 3 else None,
             "day": date(2025, m, 1)} for m in range(1, 13)]
    t = table((col("month", "Month", Kind.ID), col("premium", "Premium", Kind.MONEY),
               col("day", "Day", Kind.DATE)), rows, notes=("a \"quoted\" note",))
    records = tuple(_event(gain=Decimal(i)) for i in range(10))
    flag = Flag("NON_QCC", "U1", "msg", date(2025, 5, 1), tax_year=2025)
    values = [
        (["U1", "U2"], t), (["U1"], (t, [t, {"status": t}], (flag, records))),
        [], (), (1,), [None, 1.5, "x", Decimal("-0.00")], flag, t, records, rows,
        ((((Decimal("1E+2"), date(2025, 1, 2)),),),), {"k": (t, t)}, "plain", None,
    ]
    for value in values:
        packed = codec.encode_compressed(value, 1)
        assert zlib.decompress(packed) == codec.encode(value), value
        assert codec.decode(zlib.decompress(packed)) == value
    with pytest.raises(codec.Unsupported):
        codec.encode_compressed((object(),), 1)


def test_only_journal_types_are_ever_built():
    with pytest.raises(codec.Unsupported):
        codec.encode(Color.RED)  # not a journal type: not cached
    with pytest.raises(codec.Unsupported):
        codec.encode(object())
    hostile = orjson.dumps({"f": codec.FORMAT, "v": ["R", "os:system", [["T", ["echo"]]]]})
    with pytest.raises(codec.Mismatch):
        codec.decode(hostile)
    hostile = orjson.dumps({"f": codec.FORMAT, "v": ["E", "journal.db:snapshot", 1]})
    with pytest.raises(codec.Mismatch):
        codec.decode(hostile)


def test_records_of_another_layout_are_refused():
    data = orjson.loads(codec.encode_records([_event()]))
    data["fields"] = data["fields"][:-1]
    with pytest.raises(codec.Mismatch):
        codec.decode_records(orjson.dumps(data))


#### the cached result ####


def _ledger_result(engine):
    for f in (MAIN, MULTI):
        import_file(engine, f)
    return journal.rules.compute(engine)


def test_a_cached_result_decodes_fields_on_first_use(engine):
    full = _ledger_result(engine)
    lazy = results.lazy(results.encode(full), None)
    assert lazy.__dict__["_values"] == {}
    assert lazy.lots == full.lots
    assert set(lazy.__dict__["_values"]) == {"lots"}
    assert lazy == full and full == lazy and hash(lazy) == hash(full)
    assert isinstance(lazy, RuleResult)
    assert dataclasses.replace(lazy, flags=()) == dataclasses.replace(full, flags=())
    assert dataclasses.asdict(lazy) == dataclasses.asdict(full)


@pytest.mark.parametrize("year", [2025, 2026, 2030])
def test_a_year_view_is_the_filtered_result(engine, year):
    full = _ledger_result(engine)
    want = dataclasses.replace(
        full,
        realized=tuple(r for r in full.realized if r.tax_year == year),
        wash_sales=tuple(w for w in full.wash_sales if w.tax_year == year),
        flags=tuple(f for f in full.flags if f.tax_year in (year, None)))
    parts = results.encode(full)
    assert results.lazy({k: v for k, v in parts.items()
                         if k in results.wanted_parts(year)}, year) == want
    assert results.year_view(full, year) == want
    assert journal.rules.analyze(engine, tax_year=year) == want  # cached or not


def test_every_fixture_round_trips(tmp_path):
    """The rule fixtures exercise every kind of record the rules produce."""
    for i, path in enumerate(sorted((FIXTURES / "rules").glob("*.xml"))):
        eng = jdb.open_ledger(str(tmp_path / f"l{i}.db"))
        import_file(eng, path)
        full = journal.rules.compute(eng)
        assert results.lazy(results.encode(full), None) == full, path.name
        back = results.lazy(results.encode(full), None)
        for f in dataclasses.fields(full):  # the same text in every output, too
            assert repr(getattr(back, f.name)) == repr(getattr(full, f.name)), f.name
        eng.dispose()


#### storing ####


def test_an_empty_ledger_is_not_cached(engine):
    journal.rules.analyze(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM derived_entry")).scalar() == 0


def test_a_busy_ledger_is_not_waited_for(engine, db_path):
    import_file(engine, MAIN)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # an import holding the write lock
    try:
        t0 = time.monotonic()
        result = journal.rules.analyze(engine)
        assert time.monotonic() - t0 < 5
        assert result == journal.rules.compute(engine)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM derived_entry")).scalar() == 0


def test_a_read_only_ledger_is_read_and_never_written(engine, db_path, monkeypatch):
    import_file(engine, MAIN)
    want = journal.rules.compute(engine)
    ro = jdb.make_engine(db_path, read_only=True)
    writes = []
    monkeypatch.setattr(store, "_cache_writer", lambda *a: writes.append(a))
    assert journal.rules.analyze(ro) == want
    assert writes == []
    ro.dispose()


def test_older_versions_are_pruned(engine):
    import_file(engine, MAIN)
    journal.rules.analyze(engine)
    import_file(engine, MULTI)
    journal.rules.analyze(engine)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT ledger_version FROM derived_entry")).scalars().all()
        current = conn.execute(text("SELECT version FROM ledger_state")).scalar()
        orphans = conn.execute(text(
            "SELECT COUNT(*) FROM derived_part WHERE entry_id NOT IN "
            "(SELECT id FROM derived_entry)")).scalar()
    assert versions == [current] and orphans == 0


def _parts(engine) -> set:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT part FROM derived_part")).scalars())


def test_a_tax_year_keeps_only_what_it_computed(engine, monkeypatch):
    """`tax YEAR` never assembles option positions, lots and cycles: they are neither
    computed nor stored; a later reader of the year view or of the whole result gets
    them computed from the same ledger, and the entry is completed."""
    from journal.rules import assemble

    import_file(engine, MAIN)
    want = journal.rules.compute(engine)
    assembled = []
    real = assemble._wheel_parts
    monkeypatch.setattr(assemble, "_wheel_parts", lambda st: assembled.append(1) or real(st))
    view = journal.rules.analyze(engine, tax_year=2025)
    assert view.realized == want.realized and assembled == []
    assert not {"lots", "cycles", "option_positions"} & _parts(engine)
    assert "realized/2025" in _parts(engine)
    cached = journal.rules.analyze(engine, tax_year=2025)  # read from the entry
    assert cached.realized == want.realized and cached.flags == want.flags
    assert cached.lots == want.lots and cached.cycles == want.cycles  # computed now
    assert {"lots", "cycles", "option_positions"} <= _parts(engine)  # and kept
    assert journal.rules.analyze(engine) == want


def test_an_incomplete_entry_is_completed_by_a_whole_reader(engine, monkeypatch):
    import_file(engine, MAIN)
    journal.rules.analyze(engine, tax_year=2025)
    calls = []
    real = journal.rules.compute
    monkeypatch.setattr(journal.rules, "compute", lambda *a, **k: calls.append(1) or real(*a, **k))
    whole = journal.rules.analyze(engine)
    assert whole == real(engine) and calls == [1]
    assert {"lots", "cycles", "option_positions"} <= _parts(engine)
    assert journal.rules.analyze(engine) == whole and calls == [1]


def test_a_year_view_never_mixes_two_ledger_states(engine):
    import_file(engine, MAIN)
    journal.rules.analyze(engine, tax_year=2025)
    view = journal.rules.analyze(engine, tax_year=2025)  # from the incomplete entry
    import_file(engine, MULTI)
    with pytest.raises(jcache.LedgerMoved):
        view.lots  # noqa: B018 - reading it is the test


@pytest.mark.parametrize("part", ["~meta", "lots", "realized/2025"])
def test_an_unreadable_entry_is_recomputed_and_replaced(engine, part, monkeypatch):
    import_file(engine, MAIN)
    want = journal.rules.analyze(engine)
    with engine.begin() as conn:
        blob = conn.execute(text("SELECT payload FROM derived_part WHERE part = :p"),
                            {"p": part}).scalar()
        damaged = blob[:-6] + bytes(b ^ 0xFF for b in blob[-6:])  # zlib's checksum fails
        conn.execute(text("UPDATE derived_part SET payload = :b WHERE part = :p"),
                     {"b": damaged, "p": part})
    calls = []
    real = journal.rules.compute
    monkeypatch.setattr(journal.rules, "compute", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert journal.rules.analyze(engine) == want
    assert journal.rules.analyze(engine) == want
    assert calls == [1]  # recomputed once, then read from the replaced entry


def test_a_database_without_the_cache_tables_still_reports(tmp_path):
    """(The read model needs migration 0005's tables, so a ledger older than the cache
    cannot be read at all; this is the cache's tables lost some other way.)"""
    path = str(tmp_path / "old.db")
    eng = jdb.open_ledger(path)
    import_file(eng, MAIN)
    with jdb.writer(eng) as conn:
        for table in ("derived_part", "derived_entry", "ledger_state"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
    assert journal.rules.analyze(eng) == journal.rules.compute(eng)
    assert journal.rules.analyze(eng) == journal.rules.compute(eng)


#### derived: the views' own tables ####


def test_derived_tables_are_cached_and_invalidated(engine, tmp_path):
    calls = []
    notes = tmp_path / "earnings.csv"
    notes.write_text("symbol,date\nMSFT,2025-10-29\n")

    def table(period):
        def compute():
            calls.append(period)
            r = journal.rules.analyze(engine)
            return {"period": period, "rows": [(e.date_sold, e.gain) for e in r.realized],
                    "notes": notes.read_text()}
        return compute

    import_file(engine, MAIN)
    a = jcache.derived(engine, "view:test", table("m"), params={"period": "m"}, files=[notes])
    assert jcache.derived(engine, "view:test", table("m"), params={"period": "m"},
                          files=[notes]) == a
    assert calls == ["m"]
    jcache.derived(engine, "view:test", table("y"), params={"period": "y"}, files=[notes])
    assert calls == ["m", "y"]  # other parameters, other entry
    notes.write_text("symbol,date\nMSFT,2026-01-28\n")
    b = jcache.derived(engine, "view:test", table("m"), params={"period": "m"}, files=[notes])
    assert calls == ["m", "y", "m"] and b["notes"] != a["notes"]
    import_file(engine, MULTI)
    c = jcache.derived(engine, "view:test", table("m"), params={"period": "m"}, files=[notes])
    assert calls[-1] == "m" and len(calls) == 4 and c["rows"] != b["rows"]
    assert isinstance(c["rows"][0][1], Decimal)


def test_code_version_is_stable_and_cheap():
    jcache._CODE = None
    t0 = time.perf_counter()
    first = jcache.code_version()
    assert time.perf_counter() - t0 < 1.0
    jcache._CODE = None
    assert jcache.code_version() == first and len(first) == 64
