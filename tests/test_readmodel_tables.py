"""The read model's plain tables are the ledger's tables: same columns, same types."""

from __future__ import annotations

import subprocess
import sys

import pytest

from journal import models, readmodel_tables

# the models' column types, by the read model's kinds
_KIND = {"Integer": "i", "BigInteger": "i", "AutoString": "t", "Text": "t", "String": "t",
         "DecimalText": "d", "Date": "a", "DateTime": "D", "Boolean": "b", "LargeBinary": "B"}


@pytest.mark.parametrize("name", sorted(readmodel_tables.COLUMNS))
def test_each_table_matches_its_model(name):
    mine, theirs = readmodel_tables.table(name), models.table(name)
    assert [c.name for c in mine.columns] == [c.name for c in theirs.columns]
    for a, b in zip(mine.columns, theirs.columns):
        kind = _KIND[type(b.type).__name__]
        assert type(a.type).__name__ == readmodel_tables.KIND_NAMES[kind], (name, a.name)


def test_reading_the_ledger_imports_no_table_models(tmp_path):
    from journal import db
    from journal.imports import import_file

    from conftest import SAMPLES

    path = str(tmp_path / "x.db")
    engine = db.open_ledger(path)
    import_file(engine, SAMPLES / "wheel_2025_U7654321.xml")
    engine.dispose()
    code = ("import sys; from journal import db, readmodel; "
            f"data = readmodel.load_ledger(db.open_ledger({path!r}, create=False)); "
            "print(len(data.executions), "
            "sorted(m for m in ('journal.models', 'sqlmodel') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    n, _, imported = out.strip().splitlines()[-1].partition(" ")
    assert int(n) > 0 and imported == "[]"


def test_listing_the_accounts_imports_no_table_models(tmp_path):
    """``journal accounts`` and the ``--account`` checks read through the plain tables
    too (SQLModel and pydantic cost a start-up about half a second)."""
    from journal import db
    from journal.imports import import_file

    from conftest import SAMPLES

    path = str(tmp_path / "x.db")
    engine = db.open_ledger(path)
    import_file(engine, SAMPLES / "wheel_2025_U7654321.xml")
    engine.dispose()
    code = ("import sys; from journal import db, readmodel_accounts as r; "
            f"e = db.open_ledger({path!r}, create=False); "
            "a = r.load_accounts(e); ids = r.load_account_ids(e); end = r.load_ledger_end(e); "
            "tx = r.accounts_with_transaction(e, 'none'); "
            "print(len(a), a[0].executions, a[0].option_events, ids == [a[0].account], "
            "end is not None, tx, "
            "sorted(m for m in ('journal.models', 'sqlmodel', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1].endswith("True True [] []")
    n, executions, events = out.split()[:3]
    assert int(n) == 1 and int(executions) > 0 and int(events) > 0
