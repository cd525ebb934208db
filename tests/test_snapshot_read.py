"""The read model sees one state of the ledger, even when an import commits mid-read.

Issue 15 §2.2: under PostgreSQL's READ COMMITTED each of the loader's SELECTs saw the
latest commit, so a report could mix the executions of one state with the periods and
accounts of another. Here a second statement (a new account, its trades and its period)
is imported from another connection right after the loader's first SELECT; the loaded
ledger must equal the one before the import, on both backends.
"""

from __future__ import annotations

from sqlalchemy import event

from journal import imports
from journal.db import open_ledger
from journal.readmodel import load_ledger

from ledger_helpers import write_statement


def test_an_import_committing_between_the_loaders_selects_is_not_seen(backend, tmp_path):
    _, target = backend
    reader = open_ledger(target, create=True)
    imports.import_file(reader, write_statement(tmp_path / "a.xml", range(0, 30)))
    before = load_ledger(reader)

    writer = open_ledger(target)
    second = write_statement(tmp_path / "b.xml", range(100, 130), account="U9000002")
    state = {"selects": 0, "imported": False}

    def import_after_first_select(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            state["selects"] += 1
            if state["selects"] == 1 and not state["imported"]:
                state["imported"] = True
                assert imports.import_file(writer, second).status == "imported"

    event.listen(reader, "after_cursor_execute", import_after_first_select)
    try:
        during = load_ledger(reader)
    finally:
        event.remove(reader, "after_cursor_execute", import_after_first_select)
    assert state["imported"] and state["selects"] > 1
    assert during == before

    after = load_ledger(reader)
    assert {a.account for a in after.accounts} >= {"U9000001", "U9000002"}
    assert len(after.executions) == len(before.executions) + 30
    writer.dispose()
    reader.dispose()
