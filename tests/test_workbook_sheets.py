"""The workbook's long sheets stream each row's values (tuples read off the records, or off
the ledger) instead of the views' dicts: they must hold exactly the views' rows, and a
cold export (the rules' result the review was built from) the same as a warm one (the
result decoded from the cache)."""

from __future__ import annotations

from journal import checklist, db, imports
from journal.views import flags, ledger, results, workbook
from journal.views.filters import ALL, Accounts

from conftest import SAMPLES

FILES = [SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml"]


def _sheets(engine, accounts=ALL) -> tuple[dict, object]:
    known, review, result = workbook.cached(engine, checklist.load_settings(), accounts)
    out = {}
    for s in workbook.journal_sheets(engine, result, review, accounts):
        rows = [tuple(r[k] for k in s.table.keys) for r in s.table.rows]
        out[s.title] = (s.table.keys, s.table.notes,
                        rows if s.values is None else [tuple(v) for v in s.values])
    return out, result


def test_streamed_sheets_hold_the_views_rows_cold_and_warm(tmp_path):
    engine = db.open_ledger(str(tmp_path / "ledger.db"))
    for f in FILES:
        imports.import_file(engine, f)
    for accounts in (ALL, Accounts.of("U7654321")):
        cold, result = _sheets(engine, accounts)
        warm, _ = _sheets(engine, accounts)
        assert cold == warm
        for title, view in (
                ("Realized", results.realized(result, accounts=accounts)),
                ("Flags", flags.detail(flags.select(result.flags, accounts=accounts))),
                (workbook.LEDGER, ledger.trades(_ledger_records(engine, accounts)))):
            keys, notes, rows = cold[title]
            assert keys == view.keys and notes == view.notes
            assert rows == [tuple(r[k] for k in keys) for r in view.rows] and rows, title
        keys, notes, rows = cold["Option positions"]
        want = sorted(p.open_transaction_id for p in accounts.rows(result.option_positions))
        assert sorted(r[keys.index("open_transaction_id")] for r in rows) == want and rows
        assert rows == sorted(rows, key=lambda r: (r[7], r[0], r[2])) and notes
        _clear_cache(engine)
    engine.dispose()


def _ledger_records(engine, accounts):
    from journal import readmodel

    return readmodel.load_trades(engine, accounts=accounts.sorted)


def _clear_cache(engine) -> None:
    from journal import cache

    cache.clear(engine)  # the next round is cold again
