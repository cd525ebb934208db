"""SIGKILL in the middle of a large import leaves the ledger exactly as before that file.

A real `journal import` process is killed once it has demonstrably written part of the
file inside its open transaction (SQLite: uncommitted frames in the -wal file;
PostgreSQL: the execution table's heap has grown) and is still reading the file. The
ledger must then hash to the same contents as before, and the next import completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from journal import db as jdb
from journal.imports import import_file

from conftest import ROOT, SAMPLES
from ledger_helpers import snapshot, write_statement

pytestmark = pytest.mark.slow

N_ROWS = 40_000
WRITTEN_BYTES = 4 << 20  # uncommitted data to see before the kill: well inside the file


def _file_position(pid: int, path: Path) -> int | None:
    """How far the process has read ``path`` (Linux /proc), or None if it has it closed."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd) == str(path):
                    info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
                    return int(info.split("pos:")[1].split()[0])
            except OSError:
                continue
    except OSError:
        return None
    return None


def _uncommitted_bytes(name: str, target: str, engine, baseline: int) -> int:
    if name == "sqlite":
        wal = Path(target + "-wal")
        return wal.stat().st_size if wal.exists() else 0
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_relation_size('execution')")).scalar_one()
    return size - baseline


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
def test_sigkill_mid_file_leaves_ledger_as_before(backend, tmp_path):
    name, target = backend
    big = write_statement(tmp_path / "big.xml", range(N_ROWS)).resolve()
    size = big.stat().st_size

    engine = jdb.open_ledger(target)
    try:
        for f in sorted(SAMPLES.glob("*.xml")):
            assert import_file(engine, f).status == "imported"
        if name == "sqlite":
            with engine.connect() as conn:  # start from an empty -wal file
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            baseline = 0
        else:
            with engine.connect() as conn:
                baseline = conn.execute(
                    text("SELECT pg_relation_size('execution')")).scalar_one()
        before = snapshot(target)

        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen(
            [sys.executable, "-m", "journal", "--db", target, "import", "-q", str(big)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        position = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            position = _file_position(proc.pid, big)
            # Hashing the file also reads it, but writes nothing: uncommitted bytes mean
            # the open descriptor is the parser's.
            if (position is not None and position >= size * 0.4
                    and _uncommitted_bytes(name, target, engine, baseline) >= WRITTEN_BYTES):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the import finished before it could be killed"
        assert position is not None and size * 0.4 <= position < size, "not mid-file"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        written = _uncommitted_bytes(name, target, engine, baseline)
    finally:
        engine.dispose()

    after = snapshot(target)
    assert after[0] == before[0], "row counts changed"
    assert after[1] == before[1], "contents changed"

    # The next import of the same file completes and adds exactly its rows.
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "journal", "--db", target, "import", "-q", str(big)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    counts, _ = snapshot(target)
    assert counts["execution"] == before[0]["execution"] + N_ROWS
    assert counts["import_batch"] == before[0]["import_batch"] + 1
    print(f"\ncrash[{name}]: killed at byte {position:,} of {size:,} "
          f"({100 * position / size:.0f}%), {written:,} bytes of uncommitted writes; "
          f"ledger unchanged ({sum(v or 0 for v in before[0].values())} rows, same hash); "
          f"re-import added {N_ROWS} executions")
