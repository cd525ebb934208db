"""Every view reads the same on PostgreSQL as on SQLite (the read model's new loaders:
trades with an account filter, accounts, cash, the ledger end)."""

from __future__ import annotations

from conftest import SAMPLES

COMMANDS = [
    ("trades", "--account", "U7654322"), ("accounts",), ("summary", "--weekly"),
    ("summary", "--by-date", "close"), ("review",), ("positions", "--as-of", "2026-01-31"),
    ("status", "--as-of", "2026-01-31"), ("flags",), ("cycles",), ("lots", "--all"),
    ("tax", "2025", "--reconcile"),
]


def test_views_identical_to_sqlite(backend, run, tmp_path):
    _name, target = backend
    ref_db = str(tmp_path / "reference.db")
    for db in (target, ref_db):
        assert run("import", "-q", SAMPLES, db=db).exit_code == 0
    for args in COMMANDS:
        got = run(*args, "--format", "json", db=target)
        want = run(*args, "--format", "json", db=ref_db)
        assert got.exit_code == 0 and want.exit_code == 0, got.output + want.output
        assert got.stdout == want.stdout, args
