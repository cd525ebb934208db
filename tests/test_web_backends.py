"""`journal serve` on both backends: SQLite always, PostgreSQL when .ci/run provides one.
The pages read, the upload writes and the regrouping overrides the same way on both; the
same ledger shows the same figures on both; an import by another process shows on the
next page on both."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from journal.cli import cli

from conftest import SAMPLES
from web_helpers import client, fields, tables

pytestmark = pytest.mark.postgres

FLEX = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"
PAGES = ("/", "/progress", "/progress?period=year&by=close", "/progress?period=week",
         "/underlyings", "/underlyings/MSFT", "/cycles/U7654321%3AMSFT%3A2025-10-21",
         "/flags", "/trades", "/tax/2025", "/lots/U7654321%3A3718840618",
         "/source/U7654321/3718840618", "/calc?premium=2&strike=400&dte=30&symbol=MSFT")


def _run(target: str, *args) -> str:
    res = CliRunner().invoke(cli, ["--db", target, *map(str, args)])
    assert res.exit_code == 0, res.output
    return res.stdout


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, "no CSRF token on the page"
    return m.group(1)


def test_pages_upload_and_regroup_on_each_backend(backend):
    _name, target = backend
    _run(target, "import", "-q", MULTI)
    with client(target) as c:
        token = _csrf(c.get("/import").text)
        r = c.post("/import", data={"csrf": token},
                   files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
        assert r.status_code == 200, r.text
        assert tables(r.text)["imports"][0]["status"] == "imported"
        for path in PAGES:
            assert c.get(path).status_code == 200, path
        want = json.loads(_run(target, "tax", "2025", "--reconcile", "--format", "json"))
        got = tables(c.get("/tax/2025").text)["reconciliation"]
        assert [g["ours"] for g in got] == [w["ours"] for w in want]
        page = c.get("/cycles/U7654321%3AMSFT%3A2025-10-21").text
        tx = re.search(r"<option>(\d+)</option>", page).group(1)
        r = c.post("/cycles-assign", data={"csrf": token, "transaction_id": tx,
                                           "label": "MSFT-hand"})
        assert r.status_code == 200 and tx in r.text
    cycles = json.loads(_run(target, "cycles", "--format", "json"))
    assert "MSFT-hand" in {x["cycle_id"] for x in cycles}


def _figures(target: str) -> dict:
    with client(target) as c:
        out = {}
        for path in PAGES:
            r = c.get(path)
            assert r.status_code == 200, path
            out[path] = (tables(r.text), fields(r.text))
        return out


def test_same_figures_as_sqlite(backend, tmp_path):
    _name, target = backend
    reference = str(tmp_path / "reference.db")
    for db in (target, reference):
        _run(db, "import", "-q", SAMPLES)
    got, want = _figures(target), _figures(reference)
    assert any(t for t, _f in want.values()), "the pages show no tables"
    for path in PAGES:
        assert got[path] == want[path], path


def test_an_import_by_another_process_shows_on_the_next_page(backend):
    _name, target = backend
    _run(target, "import", "-q", MULTI)
    with client(target) as c:
        before = tables(c.get("/trades?account=U7654321").text)["trades"]
        flags_before = c.get("/flags").text
        shell = subprocess.run([sys.executable, "-m", "journal", "--db", target, "import",
                                "-q", str(FLEX)], capture_output=True, text=True,
                               check=False)
        assert shell.returncode == 0, shell.stderr
        after = tables(c.get("/trades?account=U7654321").text)["trades"]
        assert len(after) > len(before)
        want = json.loads(_run(target, "trades", "--account", "U7654321", "--format", "json"))
        assert len(after) == len(want)
        assert c.get("/flags").text != flags_before
