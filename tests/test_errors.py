"""Faults a user can fix are one line and exit 1: never "Internal error … please report
it", never SQL or bound parameters (unless --debug), and nothing created by mistake.

Read-only files and folders and a full disk are real: as root (CI) they are made with a
private mount namespace (``unshare -m``: a read-only bind mount, a tiny tmpfs) that
vanishes with the command; otherwise with chmod, and the disk-full cases are skipped.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from journal import db as jdb
from journal.cli import cli, main
from journal.errors import describe_fault

from conftest import PG_URL, SAMPLES, pg_database

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"
JOURNAL = f"{sys.executable} -m journal"


def one_clean_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("Error: "), output
    for leak in ("Traceback", "Internal error", "please report", "SELECT", "INSERT",
                 "[SQL:", "parameters:", "sqlalche.me", "U7654321"):
        assert leak not in lines[0], output
    return lines[0][len("Error: "):]


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True,
                          check=False).returncode == 0


ROOT_NAMESPACE = _can_unshare()
needs_namespace = pytest.mark.skipif(not ROOT_NAMESPACE,
                                     reason="needs root and unshare (mount namespaces)")


def in_namespace(setup: str, *commands: str, cwd: Path) -> list[subprocess.CompletedProcess]:
    """Run each journal command line after ``setup`` (mounts), in one private mount
    namespace; returns one result per command (its stdout, stderr and exit code)."""
    script = [setup, "set +e"]
    for n, command in enumerate(commands):
        script.append(f"{JOURNAL} {command} >out{n} 2>err{n}; echo $? >rc{n}")
    subprocess.run(["unshare", "-m", "sh", "-ec", "\n".join(script)], cwd=cwd, check=True,
                   timeout=300)
    out = []
    for n, command in enumerate(commands):
        out.append(subprocess.CompletedProcess(
            command, int((cwd / f"rc{n}").read_text()), (cwd / f"out{n}").read_text(),
            (cwd / f"err{n}").read_text()))
    return out


def read_only_bind(path: Path) -> str:
    return f"mount --bind '{path}' '{path}'; mount -o remount,ro,bind '{path}' '{path}'"


@pytest.fixture
def ledger(run, tmp_path) -> Path:
    path = tmp_path / "books" / "ledger.db"
    res = run("import", "-q", MAIN, db=str(path))
    assert res.exit_code == 0, res.output
    settle(path)
    return path


def settle(path: Path) -> None:
    """Close this process's connections and move every page into the ledger file itself,
    as after a command has ended (the in-process runner keeps engines alive)."""
    gc.collect()
    jdb._checked.clear()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def executions(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT COUNT(*) FROM execution").fetchone()[0]
    finally:
        con.close()


# -- no ledger: read commands never create one ------------------------------------------------

@pytest.mark.parametrize("args", [("trades",), ("tax", "2025", "--summary"), ("positions",),
                                  ("summary",), ("flags",), ("db", "check"), ("db", "backup"),
                                  ("cycles", "assign", "123", "x")])
def test_a_mistyped_db_path_creates_nothing(run, tmp_path, args):
    target = tmp_path / "typo" / "deeper" / "ledger.db"
    res = run(*args, db=str(target))
    assert res.exit_code == 1
    assert one_clean_line(res.output) == (
        f"no ledger at {target} — run `journal import` first, or pass --db")
    assert not (tmp_path / "typo").exists()


def test_the_default_ledger_is_not_created_by_a_read_command(tmp_path, monkeypatch):
    from journal.config import default_db_path

    res = CliRunner().invoke(cli, ["trades"])
    assert res.exit_code == 1 and "no ledger at" in one_clean_line(res.output)
    assert not default_db_path().parent.exists()
    res = CliRunner().invoke(cli, ["import", "-q", str(MAIN)])
    assert res.exit_code == 0, res.output
    assert default_db_path().exists()  # import (and db upgrade) create it, folders too


def test_an_empty_file_is_no_ledger_but_import_fills_it(run, tmp_path):
    target = tmp_path / "empty.db"
    target.touch()
    res = run("trades", db=str(target))
    assert res.exit_code == 1 and "no ledger at" in one_clean_line(res.output)
    assert target.stat().st_size == 0
    assert run("import", "-q", MAIN, db=str(target)).exit_code == 0


def test_not_a_database_and_a_folder(run, tmp_path):
    readme = Path(__file__).parents[1] / "README.md"
    before = readme.read_bytes()
    res = run("trades", db=str(readme))
    assert res.exit_code == 1
    assert one_clean_line(res.output) == (
        f"{readme} is not a journal ledger (not an SQLite database) — check --db")
    res = run("import", MAIN, db=str(readme))
    assert res.exit_code == 1 and "not an SQLite database" in one_clean_line(res.output)
    assert readme.read_bytes() == before
    res = run("trades", db=str(tmp_path))
    assert one_clean_line(res.output) == f"{tmp_path} is a folder, not a ledger file — check --db"


def test_a_folder_that_cannot_be_created(run, tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    res = run("import", MAIN, db=str(blocker / "sub" / "ledger.db"))
    assert res.exit_code == 1
    assert one_clean_line(res.output) == (
        f"cannot create the folder {blocker / 'sub'} for the ledger: Not a directory")


# -- a damaged ledger ---------------------------------------------------------------------------

def damage(path: Path) -> None:
    """Overwrite every page after the first (the schema stays readable, the data not)."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(4096)
        fh.write(b"\xa5" * (size - 4096))
    con = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("SELECT * FROM execution").fetchall()
    con.close()


def test_a_corrupted_ledger(run, ledger):
    damage(ledger)
    for args in (("tax", "2025", "--summary"), ("trades",), ("import", MULTI)):
        res = run(*args, db=str(ledger))
        assert res.exit_code == 1, (args, res.output)
        line = one_clean_line(res.output)
        assert line.startswith(f"the ledger {ledger} is damaged (database disk image is "
                               "malformed) — `journal db check`"), line
        assert f"{ledger}.bak-*" in line
    res = run("db", "check", db=str(ledger))
    assert res.exit_code == 1
    assert "  problem: " in res.output and "not ok: the ledger is damaged" in res.output
    assert "ledger.db.bak-* next to it" in res.output and res.output.count("\nok") == 0


def test_db_check_finds_damage_inside_one_table(run, ledger, tmp_path):
    """Pages of the middle of the file overwritten: the revision still reads, the data not."""
    con = sqlite3.connect(ledger)
    [(root,)] = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'execution'")
    [(page_size,)] = con.execute("PRAGMA page_size")
    con.close()
    with open(ledger, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\x0d\xff" * (page_size // 2))
    res = run("db", "check", db=str(ledger))
    assert res.exit_code == 1, res.output
    assert "schema revision: " in res.output and "not ok" in res.output


# -- read-only ledgers and folders ----------------------------------------------------------------

def _make_read_only(ledger: Path, what: str) -> str:
    """The namespace setup (root), or chmod here (not root: returns "")."""
    target = ledger if what == "file" else ledger.parent
    if ROOT_NAMESPACE:
        return read_only_bind(target)
    target.chmod(0o555 if what == "folder" else 0o444)
    return ""


@pytest.mark.skipif(not ROOT_NAMESPACE and os.geteuid() == 0,
                    reason="as root without namespaces nothing is read-only")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_ledger(ledger, tmp_path, what):
    before = executions(ledger)
    files = sorted(p.name for p in ledger.parent.iterdir())
    commands = (f"--db '{ledger}' tax 2025 --summary --format json",
                f"--db '{ledger}' trades --format csv",
                f"--db '{ledger}' import '{MULTI}'",
                f"--db '{ledger}' cycles assign 3290164417 mine",
                f"--db '{ledger}' db backup")
    setup = _make_read_only(ledger, what)
    try:
        if ROOT_NAMESPACE:
            results = in_namespace(setup, *commands, cwd=tmp_path)
        else:
            results = [subprocess.run(f"{JOURNAL} {c}", shell=True, capture_output=True,
                                      text=True, check=False) for c in commands]
    finally:
        (ledger if what == "file" else ledger.parent).chmod(0o755)
    tax, trades, imported, assign, backup = results
    # reading works: the ledger is opened read-only (issue 15 item 11)
    assert tax.returncode == 0 and '"year": 2025' in tax.stdout, tax
    assert trades.returncode == 0 and trades.stdout.count("\n") == before + 1, trades
    # writing says why it cannot
    blocked = "the file" if what == "file" else "its folder"
    assert imported.returncode == 1
    assert one_clean_line(imported.stderr) == (
        f"the ledger {ledger} is read-only ({blocked} cannot be written): nothing can be "
        "imported into it — check its permissions, or pass --db")
    assert assign.returncode == 1
    assert one_clean_line(assign.stderr).startswith(f"the ledger {ledger} is read-only")
    if what == "folder":
        assert backup.returncode == 1
        assert one_clean_line(backup.stderr) == (
            f"cannot write the backup {backup_name(backup.stderr)}: its folder is read-only; "
            "nothing was changed")
        assert sorted(p.name for p in ledger.parent.iterdir()) == files
    else:
        assert backup.returncode == 0, backup  # a copy beside it: the folder is writable
    assert executions(ledger) == before


def backup_name(text: str) -> str:
    return re.search(r"backup (\S+):", text)[1]


# -- a full disk -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_statement(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("big") / "big.xml"
    subprocess.run([sys.executable, str(Path(__file__).parents[1] / "benchmarks" /
                                        "gen_statement.py"), "--trades", "3000", "--out",
                    str(out)], check=True, capture_output=True)
    return out


@needs_namespace
def test_disk_full_while_importing_and_backing_up(ledger, tmp_path, big_statement):
    disk = tmp_path / "disk"
    disk.mkdir()
    size_kb = ledger.stat().st_size // 1024 + 40  # the ledger fits, a backup of it does not
    setup = (f"mount -t tmpfs -o size={size_kb}k tmpfs '{disk}'; cp '{ledger}' '{disk}/'; "
             f"mkdir '{disk}/st'")
    target = disk / "ledger.db"
    imported, backup, trades, listing = in_namespace(
        setup, f"--db '{target}' import -q '{big_statement}'",
        f"--db '{target}' db backup",
        f"--db '{target}' trades --format csv",
        f"--db '{target}' db check", cwd=tmp_path)
    assert imported.returncode == 1
    assert one_clean_line(imported.stderr) == (
        f"the disk holding the ledger {target} is full: nothing was written — free some "
        "space and run the command again")
    assert backup.returncode == 1
    line = one_clean_line(backup.stderr)
    assert line.startswith(f"cannot write the backup {target}.bak-manual-"), line
    assert line.endswith(": the disk is full — free some space and run the command again; "
                         "nothing was changed")
    assert trades.returncode == 0 and trades.stdout.count("\n") == executions(ledger) + 1
    assert listing.returncode == 0 and "note:" not in listing.stdout  # no partial backup


# -- locks, lost connections -------------------------------------------------------------------------

def test_lock_timeout(run, ledger, monkeypatch):
    from journal import dbconn

    monkeypatch.setattr(jdb, "SQLITE_BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr(dbconn, "SQLITE_BUSY_TIMEOUT_MS", 300)  # the PRAGMA every connection runs
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        res = run("import", MULTI, db=str(ledger))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert res.exit_code == 1
    assert one_clean_line(res.output) == (
        f"the ledger {ledger} is locked by another journal process (an import?) and stayed "
        "locked too long — run the command again when it has finished")


def test_postgres_server_not_there(run):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://journal:s3cret@127.0.0.1:{port}/books"
    res = run("trades", db=url)
    assert res.exit_code == 1
    line = one_clean_line(res.output)
    assert line.startswith(f"cannot connect to the PostgreSQL server of "
                           f"postgresql+psycopg://journal:***@127.0.0.1:{port}/books: ")
    assert "Connection refused" in line and "s3cret" not in line


def test_postgres_server_that_hangs_up(run):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def hang_up():
        for _ in range(4):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        res = run("trades", db=f"postgresql://j@127.0.0.1:{server.getsockname()[1]}/b")
    finally:
        server.close()
    assert res.exit_code == 1
    assert "server closed the connection unexpectedly — check that the server is running" \
        in one_clean_line(res.output)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="JOURNAL_TEST_PG_URL not set (.ci/run sets it)")
def test_postgres_connection_lost_during_a_command(run, monkeypatch):
    from sqlalchemy import create_engine

    from journal import dbconn

    with pg_database() as url:
        assert run("import", "-q", MAIN, db=url).exit_code == 0
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        seen = []
        real = dbconn._PgConn._run

        def kill_on_third(self, sql, params):  # a report reads through psycopg directly
            seen.append(sql)
            if len(seen) == 3:  # mid-command: the server ends this session
                with admin.connect() as c:
                    c.exec_driver_sql("SELECT pg_terminate_backend(%s)",
                                      (self.raw.info.backend_pid,))
            return real(self, sql, params)

        monkeypatch.setattr(dbconn._PgConn, "_run", kill_on_third)
        try:
            res = run("tax", "2025", "--summary", db=url)
        finally:
            admin.dispose()
    assert len(seen) >= 3
    assert res.exit_code == 1, res.output
    line = one_clean_line(res.output)
    assert line.startswith("lost the connection to the PostgreSQL server of "), line


# -- --debug, bugs, and the mapping itself ---------------------------------------------------------

def test_debug_shows_the_traceback(ledger):
    damage(ledger)
    res = CliRunner().invoke(cli, ["--debug", "--db", str(ledger), "tax", "2025"])
    assert res.exit_code != 0 and res.exception is not None
    assert "malformed" in str(res.exception)


def test_a_bug_never_quotes_sql_or_parameters(monkeypatch, capsys, ledger):
    from sqlalchemy.exc import OperationalError

    from journal import readmodel

    def boom(*_a, **_k):
        raise OperationalError("SELECT secret FROM execution WHERE account = ?",
                               ("U7654321",), sqlite3.OperationalError("no such column: x"))

    monkeypatch.setattr(readmodel, "load_trades", boom)
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(ledger), "trades"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Internal error: OperationalError: no such column: x (run with "
                          "--debug")
    assert "SELECT" not in err and "U7654321" not in err


@pytest.mark.parametrize("exc,words", [
    (sqlite3.OperationalError("database or disk is full"), "the disk holding the ledger L"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "the ledger L is read"),
    (sqlite3.OperationalError("database is locked"), "the ledger L is locked"),
    (sqlite3.DatabaseError("file is not a database"), "L is not a journal ledger"),
    (sqlite3.DatabaseError("database disk image is malformed"), "the ledger L is damaged"),
    (sqlite3.OperationalError("disk I/O error"), "disk I/O error — check the disk"),
    (OSError(28, "No space left on device", "/x/out.xlsx"),
     "cannot write or read /x/out.xlsx: the disk is full"),
    (OSError(30, "Read-only file system", "/x/out.xlsx"), "the file system is read-only"),
])
def test_faults_are_worded_without_the_driver_text(exc, words):
    from sqlalchemy.exc import OperationalError

    wrapped = OperationalError("INSERT INTO execution VALUES (?)", ("U7654321",), exc)
    for e in (exc, wrapped):
        line = describe_fault(e, "L")
        assert line is not None and words in line and "INSERT" not in line


def test_a_bug_is_not_mistaken_for_a_fault():
    assert describe_fault(ValueError("x"), "L") is None
    assert describe_fault(sqlite3.OperationalError("no such column: x"), "L") is None
    assert re.sub(r"\s+", " ", describe_fault(
        sqlite3.OperationalError("database is locked"), "L") or "").startswith("the ledger")
