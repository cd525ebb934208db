"""Hostile and half-broken files, and imports that find nothing (issue 15 §2, issue 16 §4,
issue 12 §4): each case below failed, or passed silently, before its fix."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from journal import imports, ledger
from journal.db import open_ledger
from journal.imports import import_file

from conftest import ROOT, SAMPLES
from ledger_helpers import snapshot, write_statement

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"
ACTIVITY = SAMPLES / "wheel_2025_U7654321_activity.csv"


def _json(res) -> list[dict]:
    return json.loads(res.stdout)


#### a truncated Activity Statement CSV ####


def test_every_cut_of_an_activity_statement_is_refused(tmp_path, db_path, run):
    lines = ACTIVITY.read_bytes().splitlines(keepends=True)
    last_data = max(i for i, line in enumerate(lines) if line.startswith(b"Notes/Legal Notes,Data"))
    run("import", MULTI)
    before = snapshot(db_path)
    accepted = []
    for keep in range(1, len(lines)):
        path = tmp_path / f"cut_{keep}.csv"
        path.write_bytes(b"".join(lines[:keep]))
        fr = import_file(open_ledger(db_path), path)
        if fr.status == "imported":
            accepted.append(keep)
            continue
        assert fr.status == "failed", keep
        assert snapshot(db_path) == before, keep
    # only cuts after the last legal note (nothing a ledger reads is lost) import
    assert accepted == list(range(last_data + 1, len(lines)))


def test_truncated_activity_statement_message(tmp_path, run, db_path):
    lines = ACTIVITY.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.startswith("Trades,Data,Trade,Equity"))
    path = tmp_path / "cut.csv"
    path.write_text("".join(lines[:cut + 3]))
    res = run("import", path)
    assert res.exit_code == 1
    assert f"Error: {path}:{cut + 3}: the statement looks truncated: its Trades table of " \
           f"line {cut + 3}" in res.stderr or "the statement looks truncated" in res.stderr
    assert "nothing was imported" in res.stderr
    # the first import stored nothing, so it leaves no (empty) ledger behind either
    assert not Path(db_path).exists()
    assert "no ledger at" in run("accounts").stderr
    # into an existing ledger: kept, with no period recorded as covered and no rows
    assert run("import", "-q", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    before = _json(run("accounts", "--format", "json"))
    assert run("import", path).exit_code == 1
    assert Path(db_path).exists() and _json(run("accounts", "--format", "json")) == before


#### the checksum of the bytes parsed ####


def test_a_file_rewritten_after_hashing_is_recorded_as_read(tmp_path, db_path, monkeypatch):
    """The issue's reproduction: the checksum was taken, the file was then rewritten, and the
    rewritten content was parsed and stored under the first checksum; importing the true
    file later said "unchanged" and its missing row was never stored."""
    engine = open_ledger(db_path)
    assert import_file(engine, MULTI).status == "imported"  # the ledger is not empty
    true_text = MAIN.read_text()
    row = next(line for line in true_text.splitlines() if 'transactionID="3571039926"' in line)
    edited_text = true_text.replace(row + "\n", "")
    path = tmp_path / "statement.xml"
    path.write_text(true_text)
    real_sha = imports.sha256_of

    def hash_then_edit(p):
        digest = real_sha(p)
        Path(p).write_text(edited_text)  # the file changes while it is being imported
        return digest

    monkeypatch.setattr(imports, "sha256_of", hash_then_edit)
    first = import_file(engine, path)
    monkeypatch.setattr(imports, "sha256_of", real_sha)
    assert first.status == "imported" and first.result.new_executions == 16
    assert any("changed while it was being imported" in w for w in first.result.warnings)
    with engine.connect() as conn:
        recorded = conn.execute(text("SELECT sha256 FROM import_batch ORDER BY id DESC")).first()
    assert recorded[0] == real_sha(path)  # the edited bytes, the ones parsed
    path.write_text(true_text)  # the true file again
    again = import_file(engine, path)
    assert again.status == "imported" and again.result.new_executions == 1


def test_activity_csv_rewritten_between_its_two_passes(tmp_path, db_path, monkeypatch):
    from journal.importers import activity_csv

    path = tmp_path / "statement.csv"
    path.write_bytes(ACTIVITY.read_bytes())
    real = activity_csv.ActivityCsvParser._prescan

    def prescan_then_edit(self):
        sha = real(self)
        path.write_bytes(ACTIVITY.read_bytes().replace(b"42.17", b"42.18"))
        return sha

    monkeypatch.setattr(activity_csv.ActivityCsvParser, "_prescan", prescan_then_edit)
    open_ledger(db_path)
    before = snapshot(db_path)
    fr = import_file(open_ledger(db_path), path)
    assert fr.status == "failed" and "changed while it was being read" in fr.error
    assert snapshot(db_path) == before


#### parallel imports of one file ####


def test_second_import_of_the_same_bytes_waiting_on_the_lock_adds_no_batch(db_path,
                                                                           monkeypatch):
    """Two processes check the ledger for the file's checksum before either has written:
    both see nothing. The one that gets the writer lock second must find the first one's
    batch then, and add nothing (before: a second import_batch row)."""
    engine = open_ledger(db_path)
    assert import_file(engine, MULTI).status == "imported"
    assert import_file(engine, MAIN).status == "imported"
    monkeypatch.setattr(ledger, "find_batch_by_sha256", lambda *_a: None)  # the early check
    late = import_file(engine, MAIN)
    assert late.status == "unchanged" and late.previous_batch == 2
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one() == 2


@pytest.mark.slow
def test_two_processes_importing_one_file_record_one_batch(tmp_path):
    big = write_statement(tmp_path / "big.xml", range(8000))
    db = str(tmp_path / "ledger.db")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "journal", "--db", db, "import", "-q", str(MULTI)],
                   check=True, cwd=ROOT, env=env, capture_output=True)
    procs = [subprocess.Popen([sys.executable, "-m", "journal", "--db", db, "import", "-q",
                               "--format", "json", str(big)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    statuses = sorted(json.loads(o)[0]["status"] for o, _e in outs)
    assert statuses == ["imported", "unchanged"]
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM import_batch").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(*) FROM execution").fetchone()[0] == 8000 + 9
    con.close()


#### control characters ####

CONTROL = "\x1b]0;pwned\x07\x1b[2J"  # set the window title, ring the bell, clear the screen


def _stored_text(db_path) -> str:
    con = sqlite3.connect(db_path)
    out = []
    for table in ("execution", "cash_transaction", "option_event", "instrument"):
        for row in con.execute(f"SELECT * FROM {table}"):
            out.extend(str(v) for v in row if isinstance(v, str))
    con.close()
    return "".join(out)


def _no_controls(s: str) -> bool:
    return not any(ord(c) < 32 and c not in "\t\r\n" or 0x7f <= ord(c) <= 0x9f for c in s)


@pytest.mark.parametrize("kind", ["activity_csv", "flex_csv", "flex_xml_c1"])
def test_control_characters_never_reach_the_ledger(tmp_path, run, db_path, kind):
    if kind == "activity_csv":
        data = ACTIVITY.read_text().replace("Cash Dividend USD 0.51", f"Cash{CONTROL} Dividend")
        data = data.replace("KO,COCA-COLA CO/THE", f"KO,COCA-COLA{CONTROL} CO/THE")
        name = "s.csv"
    elif kind == "flex_csv":
        from flex_query import write_csv

        data = write_csv("trailers").replace("MICROSOFT CORP", f"MICROSOFT{CONTROL} CORP")
        name = "s.csv"
    else:  # XML forbids C0 characters (expat refuses them) but not C1 (U+0080-U+009F)
        data = MAIN.read_text().replace('description="COCA-COLA CO/THE"',
                                        'description="COCA-COLA&#x9b;2J\u009b CO/THE"')
        name = "s.xml"
    path = tmp_path / name
    path.write_text(data)
    res = run("import", path, "--format", "json")
    assert res.exit_code == 0, res.output
    [out] = _json(res)
    assert any("control characters" in w for w in out["warnings"])
    stored = _stored_text(db_path)
    assert _no_controls(stored) and ("COCA-COLA" in stored or "MICROSOFT" in stored)
    listing = run("trades", "--format", "csv").stdout
    assert _no_controls(listing)


#### absurd exponents ####


@pytest.mark.parametrize("value", ["1E-999999", "0E+999999", "1e-40"])
def test_absurd_exponent_is_refused_with_file_and_line(tmp_path, run, db_path, value):
    src = MAIN.read_text()
    line_no = next(i for i, line in enumerate(src.splitlines(), 1)
                   if 'transactionID="3612409871"' in line)
    bad = src.replace('quantity="-1" tradePrice="2.1"', f'quantity="{value}" tradePrice="2.1"', 1)
    assert bad != src
    path = tmp_path / "exp.xml"
    path.write_text(bad)
    res = run("import", path)
    assert res.exit_code == 1
    assert f"{path}:{line_no}: <Trade quantity=…>: number out of range" in res.stderr
    assert not Path(db_path).exists()  # a first import that stores nothing leaves no ledger


#### imports that find nothing ####


def test_an_empty_folder_is_an_error(tmp_path, run, db_path):
    empty = tmp_path / "statements"
    (empty / "sub").mkdir(parents=True)
    (empty / "notes.txt").write_text("not a statement")
    res = run("import", empty)
    assert res.exit_code == 1
    assert res.stderr.strip() == (f"Error: {empty}: no statements found there (no .xml or "
                                  ".csv file, subfolders included)")
    assert not Path(db_path).exists()  # nothing to import: no ledger created either


def test_an_empty_folder_among_others_still_fails_the_run(tmp_path, run):
    empty = tmp_path / "none"
    empty.mkdir()
    res = run("import", empty, MAIN, "--format", "json")
    assert res.exit_code == 1
    assert [f["status"] for f in _json(res)] == ["imported"]
    assert "no statements found there" in res.stderr


def test_symbolic_link_loops_are_noted_and_linked_folders_followed(tmp_path, run):
    top = tmp_path / "statements"
    (top / "2025").mkdir(parents=True)
    (top / "2025" / "wheel.xml").write_bytes(MAIN.read_bytes())
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "multi.xml").write_bytes(MULTI.read_bytes())
    os.symlink(other, top / "linked")  # a folder linked in: followed
    os.symlink("..", top / "2025" / "loop")  # a loop back to the top
    os.symlink(tmp_path / "missing.xml", top / "broken.xml")
    res = run("import", top, "--format", "json")
    assert res.exit_code == 0, res.output
    names = sorted(Path(f["file"]).name for f in _json(res))
    assert names == ["multi.xml", "wheel.xml"]
    assert f"note: {top / '2025' / 'loop'}: symbolic link loop" in res.stderr
    assert f"note: {top / 'broken.xml'}: broken symbolic link; skipped" in res.stderr


def test_a_ledger_another_import_filled_meanwhile_is_kept(tmp_path):
    """The clean-up of a failed first import never deletes a ledger that holds an import
    (another process may have created and filled it in the meantime)."""
    from journal.db import remove_new_ledger

    path = tmp_path / "ledger.db"
    engine = open_ledger(str(path), create=True)
    assert import_file(engine, MAIN).status == "imported"
    remove_new_ledger(engine)
    assert path.exists()
    assert snapshot(str(path))[0]["execution"] > 0
