"""Two real `journal import` processes on one ledger never double or lose an execution.

Each process imports two overlapping statements, in opposite orders, with --force so
both really write every row (no sha256 shortcut). SQLite queues the writers on BEGIN
IMMEDIATE and the busy timeout; PostgreSQL on the writer's advisory lock, with
ON CONFLICT DO NOTHING on the natural keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from journal import db as jdb

from conftest import ROOT
from ledger_helpers import write_statement

pytestmark = pytest.mark.slow

N_PER_FILE = 6000
OVERLAP = 3000


def _journal(target, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "journal", "--db", target, *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_processes_import_overlapping_files(backend, tmp_path):
    _name, target = backend
    first = range(0, N_PER_FILE)
    second = range(N_PER_FILE - OVERLAP, 2 * N_PER_FILE - OVERLAP)
    a = write_statement(tmp_path / "a.xml", first)
    b = write_statement(tmp_path / "b.xml", second)
    expected_ids = {str(3000000000 + n) for n in (*first, *second)}
    assert len(expected_ids) == 2 * N_PER_FILE - OVERLAP

    # The database is empty: both processes also race to create the schema.
    t0 = time.monotonic()
    p1 = _journal(target, "import", "--force", "-q", "--format", "json", str(a), str(b))
    p2 = _journal(target, "import", "--force", "-q", "--format", "json", str(b), str(a))
    out1, err1 = p1.communicate(timeout=300)
    end1 = time.monotonic()
    out2, err2 = p2.communicate(timeout=300)
    elapsed = time.monotonic() - t0
    assert p1.returncode == 0, err1
    assert p2.returncode == 0, err2
    assert end1 - t0 > 1.0, "the imports were too small to overlap in time"

    runs = json.loads(out1) + json.loads(out2)
    assert [r["status"] for r in runs] == ["imported"] * 4
    # Every execution is new in exactly one of the four file imports ...
    assert sum(r["new_executions"] for r in runs) == len(expected_ids)
    assert sum(r["new_executions"] + r["duplicates_skipped"] for r in runs) == 4 * N_PER_FILE

    # ... and the ledger holds each exactly once.
    engine = jdb.make_engine(target)
    try:
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT transaction_id FROM execution")).scalars().all()
            batches = conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one()
            accounts = conn.execute(text("SELECT COUNT(*) FROM account")).scalar_one()
    finally:
        engine.dispose()
    assert len(ids) == len(set(ids)), "an execution was stored twice"
    assert set(ids) == expected_ids, "an execution was lost"
    assert batches == 4 and accounts == 1
    print(f"\nconcurrency[{_name}]: 2 processes x 2 files x {N_PER_FILE} rows "
          f"(overlap {OVERLAP}): {len(ids)} executions, 0 duplicated, 0 lost, "
          f"{elapsed:.1f}s")
