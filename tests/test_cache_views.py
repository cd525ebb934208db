"""The views layer reads through the derived-state cache (journal.views.source).

On SQLite and PostgreSQL: ``load`` gives the cached rules' result beside the ledger only
when both are of one ledger state; ``view`` keeps a whole table, read back without
reading the ledger, and an import, a settings change or another parameter gives a new one.
On the CLI: summary, review, positions and status print the same warm as cold.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

import journal.readmodel
from journal import db as jdb
from journal.imports import import_file
from journal.views import review as review_views
from journal.views import source
from journal.views.filters import ALL

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


@pytest.fixture
def ledger(backend_engine):
    return backend_engine


def monthly(src):
    return review_views.summary(src.data, src.result, period="month", by_date="trade",
                                accounts=ALL)


def uncached(engine):
    data = journal.readmodel.load_ledger(engine)
    return source.Source(data, source.rules_for(data))


def test_load_reads_the_ledger_and_the_cached_result(ledger, reads):
    import_file(ledger, MAIN)
    first = source.load(ledger)
    assert reads == {"ledger": 1, "rules": 1}
    again = source.load(ledger)
    assert reads == {"ledger": 2, "rules": 1}, "the rules ran again on an unchanged ledger"
    assert again.result == first.result
    assert again.data == first.data


def test_load_never_pairs_a_cached_result_with_a_newer_ledger(ledger, reads, monkeypatch):
    """An import committing between the cache lookup and the ledger read: the result must
    be the one of the ledger read, not the cached one of the state before."""
    import_file(ledger, MAIN)
    before = source.load(ledger).result
    real_load = journal.readmodel.load_ledger

    def import_first(engine):
        monkeypatch.setattr(journal.readmodel, "load_ledger", real_load)
        import_file(ledger, MULTI)  # commits after the lookup, before the read
        return real_load(engine)

    monkeypatch.setattr(journal.readmodel, "load_ledger", import_first)
    src = source.load(ledger)
    assert src.result != before
    assert src.result == uncached(ledger).result
    assert len(src.data.accounts) == 2  # the read saw the import


def test_a_view_is_kept_and_read_without_the_ledger(ledger, reads):
    import_file(ledger, MAIN)
    ids, table = source.view(ledger, "t-monthly", monthly, params="month")
    assert reads == {"ledger": 1, "rules": 1}
    ids2, table2 = source.view(ledger, "t-monthly", monthly, params="month")
    assert reads == {"ledger": 1, "rules": 1}, "a kept view read the ledger again"
    assert (ids2, table2) == (ids, table)
    assert table == monthly(uncached(ledger))
    assert ids == ["U7654321"]


def test_an_import_changes_the_next_view(ledger, reads):
    import_file(ledger, MAIN)
    _, before = source.view(ledger, "t-monthly", monthly, params="month")
    import_file(ledger, MULTI)
    ids, after = source.view(ledger, "t-monthly", monthly, params="month")
    assert reads["ledger"] == 2
    assert after != before
    assert after == monthly(uncached(ledger))
    assert len(ids) > 1


def test_other_params_or_as_of_are_other_views(ledger, reads):
    import_file(ledger, MAIN)

    def yearly(src):
        return review_views.summary(src.data, src.result, period="year", by_date="trade",
                                    accounts=ALL)

    _, months = source.view(ledger, "t-summary", monthly, params="month")
    _, years = source.view(ledger, "t-summary", yearly, params="year")
    assert years != months and reads["ledger"] == 2
    day = date(2025, 11, 1)
    _, past = source.view(ledger, "t-summary", monthly, params="month", as_of=day)
    assert reads["ledger"] == 3
    assert past != months
    data = journal.readmodel.load_ledger(ledger)
    assert past == monthly(source.Source(data, source.rules_for(data, day)))
    # each is kept on its own
    source.view(ledger, "t-summary", monthly, params="month", as_of=day)
    source.view(ledger, "t-summary", monthly, params="month")
    assert reads["ledger"] == 4


def test_a_rules_setting_changes_the_next_view(ledger, reads, tmp_path):
    import_file(ledger, MAIN)
    _, before = source.view(ledger, "t-monthly", monthly, params="month")
    config = tmp_path / "xdg-config" / "csp-journal" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[rules]\nsection_1256 = ["MSFT"]\n')
    _, after = source.view(ledger, "t-monthly", monthly, params="month")
    assert reads == {"ledger": 2, "rules": 2}
    assert after != before and after == monthly(uncached(ledger))


COMMANDS = [("summary", "--monthly"), ("summary", "--yearly", "--by-date", "close"),
            ("review",), ("review", "--by", "cycle"), ("positions", "--as-of", "2025-12-01"),
            ("positions",), ("status", "--as-of", "2025-11-14"), ("lots", "--all"),
            ("realized",), ("flags",)]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_the_cli_prints_the_same_warm_as_cold(run, reads, args):
    assert run("import", MAIN, MULTI).exit_code == 0
    cold = run(*args, "--format", "json")
    assert cold.exit_code == 0, cold.output
    before = dict(reads)
    warm = run(*args, "--format", "json")
    assert warm.exit_code == 0, warm.output
    assert warm.output == cold.output
    assert json.loads(warm.stdout)
    assert reads == before, "the warm run read the ledger or ran the rules"


def test_an_unknown_account_is_refused_warm_too(run):
    assert run("import", MAIN).exit_code == 0
    for _ in range(2):
        res = run("summary", "--account", "U0000000")
        assert res.exit_code != 0
        assert "U0000000 is not in the ledger" in res.output


def test_the_ledger_version_moves_with_every_write_and_only_then(ledger):
    from journal.cache import ledger_version
    from journal.ledger import set_cycle_override

    v0 = ledger_version(ledger)
    import_file(ledger, MAIN)
    v1 = ledger_version(ledger)
    source.load(ledger)  # a report (and the cache entry it writes) is no ledger write
    source.view(ledger, "t-monthly", monthly, params="month")
    assert ledger_version(ledger) == v1 > v0
    set_cycle_override(ledger, "U7654321", "3601482288", "AMD-late")
    assert ledger_version(ledger) > v1


def test_json_output_is_what_json_dumps_writes():
    """The renderer writes JSON with orjson (a warm report spent most of its time in the
    standard library's pure-Python indenting encoder): character for character the same."""
    from datetime import datetime
    from decimal import Decimal
    from enum import Enum

    from journal.render import _fast_json, json_value, to_json
    from journal.views.table import Kind, col, table

    class Side(str, Enum):
        PUT = "P"

    text = "".join(map(chr, range(1, 0x3000))) + "\U0001f600 \u2028 \x7f é"
    values = [None, True, False, 0, -7, 2**63 - 1, "", "plain", text, Decimal("1.50"),
              Decimal("-0"), Decimal("1E+3"), Decimal("0.00000001"), date(2025, 1, 2),
              datetime(2025, 1, 2, 9, 30, 5), [Decimal(1), "a", date(2025, 1, 3)], (),
              ("x", None), Kind.MONEY, Side.PUT, frozenset({"only"}), {"k": [1, "é"]}]
    columns = [col(f"c{i}", f"C{i}") for i in range(len(values))]
    rows = [{c.key: v for c, v in zip(columns, values)},
            {"c1": "fewer keys", "c0": 1},  # keys missing and in another order
            {**{c.key: None for c in columns}, "extra": 1}]

    def reference(t):
        return json.dumps([{k: json_value(r.get(k)) for k in t.keys} for r in t.rows],
                          indent=2) + "\n"

    for t in (table(columns, rows), table(columns, []), table(columns[:1], [{"c0": 2**70}])):
        assert to_json(t) == reference(t)
    fast = table(columns, rows)
    assert _fast_json(fast.rows, fast.keys) + "\n" == reference(fast)  # not the fallback


@pytest.mark.parametrize("setting, body", [
    ("cash_csv", "date,account,cash\n2025-09-01,U7654321,10\n"),
    ("earnings_csv", "symbol,date\nAAPL,2025-09-25\nAMD,2025-09-25\nMSFT,2025-10-20\n"),
    ("prices_csv", "date,symbol,close\n2025-09-18,AAPL,100\n2025-09-25,AMD,100\n"),
], ids=["cash", "earnings", "prices"])
def test_a_users_csv_edited_changes_the_next_review(run, tmp_path, db_path, setting, body):
    from journal.cache import clear

    data = tmp_path / f"{setting}.csv"
    data.write_text(body.splitlines()[0] + "\n")  # the header alone: no data yet
    config = tmp_path / "xdg-config" / "csp-journal" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[checklist]\n{setting} = "{data}"\n')
    assert run("import", MAIN).exit_code == 0
    args = ("review", "--by", "put", "--format", "json")
    before = run(*args).output
    assert run(*args).output == before  # kept
    data.write_text(body)
    after = run(*args).output
    assert after != before
    engine = jdb.open_ledger(db_path)
    clear(engine)
    engine.dispose()
    assert run(*args).output == after  # what a cold run prints


def test_the_server_keys_on_the_cache_ledger_version(ledger):
    """journal serve memoizes per ledger version: the same counter as the cache, which a
    relabelled override moves too (an override's row count and largest id do not)."""
    from journal.cache import ledger_version
    from journal.ledger import set_cycle_override
    from journal.web.state import ledger_version as server_version

    import_file(ledger, MAIN)
    set_cycle_override(ledger, "U7654321", "3601482288", "AMD-late")
    before = server_version(ledger)
    assert before == ledger_version(ledger)
    set_cycle_override(ledger, "U7654321", "3601482288", "AMD-later")
    assert server_version(ledger) != before


def test_a_read_only_server_writes_no_cache(db_path):
    """journal serve --read-only leaves the ledger file as it was, cache tables included;
    a writable server keeps what its pages computed."""
    from ledger_helpers import snapshot
    from web_helpers import client

    engine = jdb.open_ledger(db_path)
    import_file(engine, MAIN)
    engine.dispose()
    before = snapshot(db_path, derived=True)
    with client(db_path, read_only=True) as c:
        assert c.get("/").status_code == 200
    assert snapshot(db_path, derived=True) == before
    with client(db_path) as c:
        assert c.get("/").status_code == 200
    assert snapshot(db_path, derived=True)[0]["derived_entry"] > 0


def test_corporate_action_facts_and_transfer_basis_move_the_version(ledger):
    """The user's facts of issue 14 are rules inputs written without an import."""
    from types import SimpleNamespace

    from journal.cache import ledger_version
    from journal.ledger_facts import set_action_override, set_transfer_basis

    import_file(ledger, MAIN)
    v = ledger_version(ledger)
    set_action_override(ledger, "U7654321", "group-1", "parent_fraction", "0.5")
    assert ledger_version(ledger) > v
    v = ledger_version(ledger)
    set_action_override(ledger, "U7654321", "group-1", "parent_fraction", None)
    assert ledger_version(ledger) > v
    v = ledger_version(ledger)
    row = SimpleNamespace(account="U7654321", symbol="MSFT", quantity=Decimal(100),
                          acquired=date(2020, 1, 2), basis=Decimal(15000), line=2)
    set_transfer_basis(ledger, [row], "basis.csv")
    assert ledger_version(ledger) > v
