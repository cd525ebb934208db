"""`journal serve` beside other writers: two browsers uploading and a shell `journal
import` at the same moment store each statement once; a page after any write (the
server's or the shell's) shows the new state, never a remembered one."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from datetime import date

import httpx2 as httpx  # the maintained fork Starlette's TestClient uses (test extra)
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from journal.cli import cli

from conftest import SAMPLES
from ledger_helpers import snapshot
from web_helpers import tables

FLEX = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


def _import(db: str, *files) -> None:
    res = CliRunner().invoke(cli, ["--db", db, "import", "-q", *map(str, files)])
    assert res.exit_code == 0, res.output


@pytest.fixture
def served(tmp_path):
    from journal.db import open_ledger
    from journal.web.app import Options
    from journal.web.server import Background

    db = str(tmp_path / "ledger.db")
    _import(db, MULTI)
    with Background(open_ledger(db, create=False),
                    Options(port=0, today=lambda: date(2025, 12, 31))) as base:
        yield db, base.rstrip("/")


def _rows(db: str) -> tuple:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            ex = sorted(conn.execute(text(
                "SELECT account_id, transaction_id, status, quantity, net_cash "
                "FROM execution")).all())
            ev = conn.execute(text("SELECT count(*) FROM option_event")).scalar()
            cash = conn.execute(text("SELECT count(*) FROM cash_transaction")).scalar()
            batches = conn.execute(text("SELECT count(*) FROM import_batch")).scalar()
    finally:
        engine.dispose()
    return ex, ev, cash, batches


def _browser(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    m = re.search(r'name="csrf" value="([^"]+)"', c.get("/import").text)
    assert m, "no CSRF token on the page"
    c.headers["x-csrf"] = m.group(1)
    return c


def test_two_browsers_and_a_shell_import_store_the_statement_once(served, tmp_path):
    db, base = served
    reference = str(tmp_path / "reference.db")
    _import(reference, MULTI)
    _import(reference, FLEX)
    browsers = [_browser(base), _browser(base)]
    statuses: list = []
    errors: list = []
    start = threading.Barrier(4)

    def upload(c: httpx.Client) -> None:
        try:
            start.wait()
            r = c.post("/import", data={"csrf": c.headers["x-csrf"]},
                       files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
            assert r.status_code == 200, r.text
            statuses.append(tables(r.text)["imports"][0]["status"])
        except (AssertionError, httpx.HTTPError) as exc:  # reported below, not lost
            errors.append(exc)

    def read() -> None:
        try:
            start.wait()
            reader = httpx.Client(base_url=base, timeout=120)
            for _ in range(6):
                for path in ("/", "/trades", "/underlyings", "/tax/2025"):
                    assert reader.get(path).status_code == 200, path
        except (AssertionError, httpx.HTTPError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(c,)) for c in browsers]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    start.wait()
    shell = subprocess.run([sys.executable, "-m", "journal", "--db", db, "import",
                            "--format", "json", str(FLEX)], capture_output=True, text=True,
                           check=False)
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert shell.returncode == 0, shell.stderr
    shell_status = [f["status"] for f in __import__("json").loads(shell.stdout)]
    everyone = statuses + shell_status
    assert sorted(everyone) == ["imported", "unchanged", "unchanged"], everyone
    assert _rows(db) == _rows(reference)
    assert snapshot(db)[0] == snapshot(reference)[0]


def test_a_page_after_a_shell_write_shows_the_new_state(served):
    db, base = served
    c = httpx.Client(base_url=base, timeout=120)
    before = tables(c.get("/trades?account=U7654321").text)["trades"]
    cycles_before = tables(c.get("/underlyings/MSFT").text).get("cycles", [])
    _import(db, FLEX)  # another process writes (here: the CLI in this process)
    after = tables(c.get("/trades?account=U7654321").text)["trades"]
    assert len(after) > len(before)
    cycles = tables(c.get("/underlyings/MSFT").text)["cycles"]
    assert len(cycles) > len(cycles_before)
    # an override from the shell moves the execution on the next page too
    page = c.get(f"/cycles/{cycles[0]['cycle_id']}").text
    tx = re.search(r"<option>(\d+)</option>", page).group(1)
    res = CliRunner().invoke(cli, ["--db", db, "cycles", "assign", tx, "from-the-shell"])
    assert res.exit_code == 0, res.output
    r = c.get("/cycles/from-the-shell")
    assert r.status_code == 200
    assert tx in r.text
