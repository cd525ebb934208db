from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from journal.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_statements"
PUBLIC = ROOT.parent / "shared" / "sample_statements" / "public"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    # Never touch the developer's real ledger or config.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("JOURNAL_DB", raising=False)


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "ledger.db")


@pytest.fixture
def run(db_path):
    """Run the CLI against the test ledger: run("import", path) -> click Result."""
    runner = CliRunner()

    def _run(*args, db=None):
        return runner.invoke(cli, ["--db", db or db_path, *map(str, args)])

    return _run


@pytest.fixture
def sample_copy(tmp_path):
    """Copy a bundled sample into tmp so a test can mutate it."""

    def _copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copy(SAMPLES / name, dst)
        return dst

    return _copy


def public_samples(pattern: str = "*.xml") -> list[Path]:
    if not PUBLIC.is_dir():
        return []
    return sorted(PUBLIC.rglob(pattern))


requires_public = pytest.mark.skipif(not PUBLIC.is_dir() and not os.environ.get("CI"),
                                     reason="../shared/sample_statements/public not present")


#### both backends: SQLite always, PostgreSQL when .ci/run provides one ####

PG_URL = os.environ.get("JOURNAL_TEST_PG_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(not PG_URL, reason="JOURNAL_TEST_PG_URL not set (.ci/run sets it)"),
    ]),
]


@contextmanager
def pg_database():
    """A brand-new PostgreSQL database on the test server; yields its URL, then drops it."""
    base = make_url(PG_URL)
    name = f"jt_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    """(backend name, --db target) for a fresh, empty ledger."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "ledger.db")
    else:
        with pg_database() as url:
            yield "postgresql", url


@pytest.fixture
def backend_engine(backend):
    """An open engine on a fresh ledger of each backend."""
    from journal import db

    engine = db.open_ledger(backend[1])
    yield engine
    engine.dispose()


@pytest.fixture
def reads(monkeypatch):
    """How many times the ledger was read whole, and how many times the rules ran (a
    cache hit does neither)."""
    import journal.readmodel
    from journal.views import source

    counts = {"ledger": 0, "rules": 0}
    real_load, real_rules = journal.readmodel.load_ledger, source.rules_for

    def load(engine):
        counts["ledger"] += 1
        return real_load(engine)

    def rules(data, as_of=None):
        counts["rules"] += 1
        return real_rules(data, as_of)

    monkeypatch.setattr(journal.readmodel, "load_ledger", load)
    monkeypatch.setattr(source, "rules_for", rules)
    return counts


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright (see tests/browser.py)."""
    from browser import launch

    with launch() as b:
        yield b


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="Rewrite tests/golden/*.json from the current output (on purpose "
                          "only: say why in the commit).")
