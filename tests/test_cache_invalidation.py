"""The derived-state cache is never stale: each input changes the answer on the next call.

Every test runs on SQLite and on PostgreSQL (the ``backend`` fixture). The pattern: read
through the cache (``journal.rules.analyze``), change one input, and check that the next
cached answer is different and equals the rules computed from scratch
(``journal.rules.compute``), and that the unchanged case really is served from the cache
(the counting fixture below sees no computation).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import text

import journal.cache as jcache
import journal.readmodel
import journal.rules
from journal import db as jdb
from journal import dbconn, models
from journal.cache import results, store
from journal.imports import import_file
from journal.ledger import set_cycle_override

from conftest import FIXTURES, ROOT, SAMPLES
from ledger_helpers import write_statement

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"
CLOSED_LOT = FIXTURES / "rules" / "g_ib_closed_lot.xml"


@pytest.fixture
def ledger(backend_engine):
    return backend_engine


@pytest.fixture
def computed(monkeypatch):
    """How many times the rules really ran (a cache hit does not run them)."""
    calls = []
    real = journal.rules.compute

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(journal.rules, "compute", counting)
    return calls


_COMPUTE = journal.rules.compute  # before any test replaces it


def fresh(engine):
    """The rules computed from scratch, bypassing the cache (and the counting)."""
    return _COMPUTE(engine)


def cached(engine):
    return journal.rules.analyze(engine)


def version(engine) -> int:
    with dbconn.snapshot(engine) as conn:
        return store.read_version(conn)


def other_engine(engine):
    return jdb.make_engine(engine.url.render_as_string(hide_password=False))


def stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT name, ledger_version FROM derived_entry ORDER BY id"))]


def test_an_unchanged_ledger_is_read_from_the_cache(ledger, computed):
    import_file(ledger, MAIN)
    first = cached(ledger)
    assert len(computed) == 1
    again = cached(ledger)
    assert len(computed) == 1, "the second call ran the rules again"
    assert isinstance(again, results.CachedRuleResult)
    assert again == first == fresh(ledger)
    assert stored(ledger) == [("rules", version(ledger))]


def test_an_import_changes_the_next_answer(ledger, computed):
    import_file(ledger, MAIN)
    before = cached(ledger)
    import_file(ledger, MULTI)
    after = cached(ledger)
    assert len(computed) == 2
    assert after != before
    assert after == fresh(ledger)


def test_a_forced_reimport_changes_it_and_a_plain_one_keeps_it(ledger, computed):
    import_file(ledger, MAIN)
    # A row missing from the ledger although its file is recorded (issue 15: a file edited
    # during its import); only --force brings it back.
    with jdb.writer(ledger) as conn:
        conn.execute(text("DELETE FROM execution WHERE transaction_id = '3571039926'"))
    before = cached(ledger)
    assert import_file(ledger, MAIN).status == "unchanged"
    assert cached(ledger) == before and len(computed) == 1
    assert import_file(ledger, MAIN, force=True).result.new_executions == 1
    after = cached(ledger)
    assert len(computed) == 2
    assert after != before and after == fresh(ledger)


def _cancel_file(tmp_path, txid: str, new_txid: str):
    text_ = MAIN.read_text()
    line = next(row for row in text_.splitlines() if f'transactionID="{txid}"' in row)
    qty = re.search(r' quantity="([^"]+)"', line).group(1)
    row = line.replace(f'transactionID="{txid}"', f'transactionID="{new_txid}"')
    row = re.sub(r' origTransactionID="[^"]*"', f' origTransactionID="{txid}"', row)
    row = re.sub(r' quantity="[^"]+"', f' quantity="{-Decimal(qty)}"', row)
    row = re.sub(r' transactionType="[^"]+"', ' transactionType="TradeCancel"', row)
    row = re.sub(r' buySell="(\w+)"', r' buySell="\1 (Ca.)"', row)
    row = re.sub(r' notes="[^"]*"', ' notes="Ca"', row)
    head = text_.split("<Trades>")[0]
    path = tmp_path / "cancel.xml"
    path.write_text(head + "<Trades>\n" + row + "\n</Trades></FlexStatement></FlexStatements>"
                    "</FlexQueryResponse>\n")
    return path


def test_a_cancel_in_a_later_file_changes_it(ledger, computed, tmp_path):
    import_file(ledger, MAIN)
    before = cached(ledger)
    import_file(ledger, _cancel_file(tmp_path, "3571039926", "3999999901"))
    after = cached(ledger)
    assert len(computed) == 2
    assert after != before and after == fresh(ledger)
    assert "3571039926" not in {p.open_transaction_id for p in after.option_positions}


def test_an_override_changes_it(ledger, computed):
    import_file(ledger, MAIN)
    before = cached(ledger)
    set_cycle_override(ledger, "U7654321", "3601482288", "AMD-late")
    after = cached(ledger)
    assert "AMD-late" in {c.cycle_id for c in after.cycles}
    assert after != before and after == fresh(ledger)
    set_cycle_override(ledger, "U7654321", "3601482288", None)  # a removal too
    assert cached(ledger) == before
    assert len(computed) == 3


def _config(tmp_path, body: str):
    path = tmp_path / "xdg-config" / "csp-journal" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


@pytest.mark.parametrize("files, setting", [
    ((MAIN, MULTI), '[rules]\nsection_1256 = ["MSFT"]\n'),
    ((MAIN, MULTI), '[rules]\noption_wash_scope = "underlying"\n'),
    ((CLOSED_LOT,), '[accounts."U9000001"]\nlot_method = "FIFO"\n'),
])
def test_a_config_change_changes_it(ledger, computed, tmp_path, files, setting):
    for f in files:
        import_file(ledger, f)
    before = cached(ledger)
    _config(tmp_path, "# a comment only: the same settings\n")
    assert cached(ledger) == before and len(computed) == 1
    _config(tmp_path, setting)
    after = cached(ledger)
    assert len(computed) == 2
    assert after != before and after == fresh(ledger)


def test_an_edited_prices_csv_changes_it(ledger, computed, tmp_path):
    import_file(ledger, MAIN)
    prices = tmp_path / "prices.csv"
    prices.write_text("date,symbol,close\n2025-11-21,MSFT,403.65\n")
    _config(tmp_path, f'[checklist]\nprices_csv = "{prices}"\n')
    before = cached(ledger)
    assert cached(ledger) == before and len(computed) == 1
    prices.write_text("date,symbol,close\n2025-11-21,MSFT,421.30\n")  # same path, new close
    after = cached(ledger)
    assert len(computed) == 2
    assert after != before and after == fresh(ledger)
    assert any("421.3" in f.message for f in after.flags)


def test_a_code_change_changes_it(ledger, computed, monkeypatch):
    import_file(ledger, MAIN)
    cached(ledger)
    monkeypatch.setattr(jcache, "_CODE", "a different program")
    cached(ledger)
    assert len(computed) == 2, "a new code version must recompute"
    cached(ledger)
    assert len(computed) == 2


def test_explicit_settings_are_part_of_the_key(ledger, computed):
    from journal.settings import Settings

    import_file(ledger, MAIN)
    import_file(ledger, MULTI)
    fifo = journal.rules.analyze(ledger, settings=Settings(lot_method="FIFO"))
    wide = journal.rules.analyze(ledger, settings=Settings(option_wash_scope="underlying"))
    assert len(computed) == 2
    assert journal.rules.analyze(ledger, settings=Settings(lot_method="FIFO")) == fifo
    assert journal.rules.analyze(ledger, settings=Settings(option_wash_scope="underlying")) \
        == wide
    assert len(computed) == 2


#### an import committing while a report computes ####


def test_a_result_of_a_superseded_state_is_not_stored(ledger, monkeypatch):
    """The import commits after the report read the ledger and before it stores."""
    import_file(ledger, MAIN)
    old_state = fresh(ledger)
    real = journal.rules.compute

    def import_meanwhile(*args, **kw):
        out = real(*args, **kw)
        import_file(other_engine(ledger), MULTI)  # another connection commits
        return out

    monkeypatch.setattr(journal.rules, "compute", import_meanwhile)
    assert cached(ledger) == old_state  # what it read: one state, the old one
    assert stored(ledger) == []  # and nothing kept under a version it no longer is
    monkeypatch.setattr(journal.rules, "compute", real)
    assert cached(ledger) == fresh(ledger) != old_state


def test_a_result_read_after_an_import_is_not_stored_under_the_older_version(
        ledger, monkeypatch):
    """The import commits between the cache lookup and the ledger read."""
    import_file(ledger, MAIN)
    real_load = journal.readmodel.load_ledger

    def import_first(engine):
        import_file(other_engine(ledger), MULTI)
        return real_load(engine)

    monkeypatch.setattr(journal.readmodel, "load_ledger", import_first)
    got = cached(ledger)
    monkeypatch.setattr(journal.readmodel, "load_ledger", real_load)
    assert got == fresh(ledger)  # the new state, whole
    assert stored(ledger) == []  # not stored under the version looked up before it


@pytest.mark.slow
def test_reports_during_an_import_in_another_process(backend, tmp_path):
    """One process imports a large statement while this one reports again and again:
    every report is the state before or the state after, and every stored entry is the
    state of its version."""
    _name, target = backend
    engine = jdb.open_ledger(target)
    import_file(engine, MAIN)
    big = write_statement(tmp_path / "big.xml", range(6000))
    state_a, version_a = fresh(engine), version(engine)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "journal", "--db", target, "import", "-q",
                             "--format", "json", str(big)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_a, others = 0, []
    try:
        while True:
            done = proc.poll() is not None
            got = cached(engine)
            if got == state_a:
                seen_a += 1
                _check_stored(engine, {version_a: state_a})
            else:
                others.append(got)  # must be the state after the import: checked below
            if done:
                break
    finally:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert json.loads(out)[0]["new_executions"] == 6000
    state_b = fresh(engine)
    assert state_b != state_a
    assert all(got == state_b for got in others), "a report mixed two ledger states"
    assert cached(engine) == state_b
    _check_stored(engine, {version_a: state_a, version(engine): state_b})
    assert seen_a >= 1, "the import finished before the first report: nothing overlapped"
    engine.dispose()


def _check_stored(engine, states: dict) -> None:
    with dbconn.snapshot(engine) as conn:
        entries = conn.rows(
            "SELECT id, ledger_version FROM derived_entry WHERE name = 'rules'")
        for entry_id, v in entries:
            assert v in states, f"an entry stored under version {v}, seen by no report"
            assert results.lazy(store.read_parts(conn, entry_id), None) == states[v]


#### the version itself ####


def test_every_ledger_table_bumps_the_version(ledger):
    """Each table of the models carries the triggers (a new table needs them too: add
    them in a migration like 0004)."""
    tables = {t.name for t in models.metadata.sorted_tables} - models.DERIVED_TABLES
    with ledger.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
            covered = {t for t, sql in rows if "ledger_state" in sql}
        else:
            covered = set(conn.execute(text(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c "
                "ON c.oid = t.tgrelid WHERE t.tgname LIKE 'ledger_version_%'")).scalars())
    assert tables - covered == set()


def test_every_write_raises_the_version_and_reads_do_not(ledger, tmp_path):
    v0 = version(ledger)
    import_file(ledger, MAIN)
    v1 = version(ledger)
    assert v1 > v0
    import_file(ledger, MAIN)  # unchanged: nothing written
    cached(ledger)
    assert version(ledger) == v1
    import_file(ledger, MAIN, force=True)
    v2 = version(ledger)
    assert v2 > v1
    import_file(ledger, _cancel_file(tmp_path, "3571039926", "3999999901"))
    v3 = version(ledger)
    assert v3 > v2
    set_cycle_override(ledger, "U7654321", "3601482288", "X")
    assert version(ledger) > v3


def test_an_older_ledger_gains_the_cache_on_upgrade_and_loses_it_on_downgrade(backend,
                                                                              tmp_path):
    from alembic import command

    _name, target = backend
    engine = jdb.make_engine(target)
    with jdb.writer(engine) as conn:
        command.upgrade(jdb._alembic_config(conn), "0003")
    import_file(engine, MAIN)  # (the read model itself needs 0005: nothing is read yet)
    jdb.upgrade(engine, backup=False)
    first = cached(engine)
    assert stored(engine) == [("rules", version(engine))]
    import_file(engine, MULTI)
    assert cached(engine) != first
    with jdb.writer(engine) as conn:
        command.downgrade(jdb._alembic_config(conn), "0003")
    import_file(engine, _cancel_file(tmp_path, "3571039926", "3999999901"))  # no triggers
    with jdb.writer(engine) as conn:
        command.upgrade(jdb._alembic_config(conn), "head")
    assert cached(engine) == fresh(engine)
    engine.dispose()

