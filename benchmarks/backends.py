#!/usr/bin/env python3
"""Time an import and the yearly reports of one statement on several ledger backends.

Issue 7 asks for the tax year, monthly summary and review on the 40k-row statement on
SQLite and on PostgreSQL. Each step runs `journal` as a subprocess (what a user runs),
best of ``--repeat``:

    python benchmarks/backends.py --db sqlite --db postgresql+psycopg://journal@/bench?host=/tmp/pg
    python benchmarks/backends.py --file benchmarks/out/wheel_10k.xml --db sqlite

``sqlite`` means a fresh SQLite file in a temporary folder; a PostgreSQL URL must name an
empty database (its tables are dropped first so every run starts clean).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = [
    ("import", lambda f: ["import", str(f), "--format", "json"]),
    ("realized --year 2024", lambda f: ["realized", "--year", "2024", "--format", "json"]),
    ("tax 2024 --summary", lambda f: ["tax", "2024", "--summary", "--format", "json"]),
    ("summary --monthly", lambda f: ["summary", "--monthly", "--format", "json"]),
    ("review", lambda f: ["review", "--format", "json"]),
]


def run(db: str, args: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "journal", "--db", db, *args],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"journal {' '.join(args)} failed on {db}: {proc.stderr.strip()}")
    return time.perf_counter() - t0


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=HERE / "out" / "wheel_40k.xml")
    ap.add_argument("--db", action="append", required=True,
                    help="'sqlite' or a PostgreSQL URL; repeatable")
    ap.add_argument("--repeat", type=int, default=2)
    opts = ap.parse_args()
    if not opts.file.exists():
        raise SystemExit(f"{opts.file} is missing: run benchmarks/run.py (or gen_statement.py)")
    results = {}
    for target in opts.db:
        best: dict[str, float] = {}
        for _ in range(opts.repeat):
            if target == "sqlite":
                db = str(Path(tempfile.mkdtemp(prefix="journal-bench-")) / "ledger.db")
            else:
                reset_postgres(target)
                db = target
            for name, args in STEPS:
                secs = run(db, args(opts.file))
                best[name] = min(secs, best.get(name, secs))
        label = "sqlite" if target == "sqlite" else "postgresql"
        results[label] = best
    names = [n for n, _ in STEPS]
    print(f"{opts.file.name}: seconds, best of {opts.repeat}, whole `journal` process")
    print(f"{'step':<24}" + "".join(f"{k:>12}" for k in results))
    for n in names:
        print(f"{n:<24}" + "".join(f"{results[k][n]:>12.2f}" for k in results))
    out = HERE / "out" / "backends.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"file": opts.file.name, "repeat": opts.repeat,
                               "seconds": results}, indent=2))


if __name__ == "__main__":
    main()
