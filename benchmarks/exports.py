#!/usr/bin/env python3
"""Time the exports against the read floor, in one run: ``export --xlsx``, ``tax Y --xlsx``
and ``report --html`` on an imported ledger, with each one's peak memory (issue 11 §3).

The floor is sqlite3 reading every ``execution`` and ``option_event`` row into tuples (the
least any report of the ledger must do), measured between the commands so that a busy
machine slows both alike; the ratios are what count.

    python benchmarks/gen_statement.py --trades 46500 --out /tmp/f46k.xml
    journal --db /tmp/f46k.db import -q /tmp/f46k.xml
    python benchmarks/exports.py --db /tmp/f46k.db --year 2025 [--cold]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def floor(db: Path) -> float:
    """Best of three: every execution and option event read into tuples."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        con = sqlite3.connect(db)
        con.execute("select * from execution").fetchall()
        con.execute("select * from option_event").fetchall()
        con.close()
        best = min(best, time.perf_counter() - t0)
    return best


def clear_cache(db: Path) -> None:
    """Forget the derived-state cache, so the next command computes everything (cold)."""
    from journal import cache
    from journal.db import make_engine

    engine = make_engine(f"sqlite:///{db}")
    cache.clear(engine)
    engine.dispose()


def run(db: Path, args: list[str], *, cold: bool = False) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one ``journal``
    command in a fresh process (``cold``: with the derived-state cache cleared first).
    The CPU includes the child a cold ``export`` forks for its Ledger sheet (wait4 counts
    the children a process reaped); the peak RSS is the larger process's (the child's
    is about 90 MB, and is gone long before the parent's peak)."""
    if cold:
        clear_cache(db)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "journal", "--db", str(db), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"journal {' '.join(args)} failed: {err}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="an imported SQLite ledger")
    ap.add_argument("--year", default="2025", help="tax year of the tax workbook")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cold", action="store_true",
                    help="clear the derived-state cache before every command (it is "
                         "forgotten, never wrong: the next command keeps it again)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        commands = {
            "export --xlsx": ["export", "--xlsx", str(out / "j.xlsx")],
            f"tax {args.year} --xlsx": ["tax", args.year, "--summary", "--xlsx",
                                         str(out / "t.xlsx")],
            "report --html": ["report", "--html", str(out / "r.html")],
            f"tax {args.year} --summary": ["tax", args.year, "--summary"],
        }
        floors = [floor(args.db)]
        results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in commands}
        for _ in range(args.rounds):
            for name, cmd in commands.items():
                results[name].append(run(args.db, cmd, cold=args.cold))
                floors.append(floor(args.db))
        sizes = {"j.xlsx": (out / "j.xlsx").stat().st_size,
                 "r.html": (out / "r.html").stat().st_size}
    f = statistics.median(floors)
    print(f"floor (median of {len(floors)}): {f:.2f} s  [{min(floors):.2f}–{max(floors):.2f}]")
    print(f"{'command':<22} {'seconds':>16} {'x floor':>8} {'CPU s':>7} {'peak RSS MB':>12}"
          + ("  (cold)" if args.cold else ""))
    for name, runs in results.items():
        secs = [s for s, _, _ in runs]
        print(f"{name:<22} {min(secs):7.2f}–{max(secs):<7.2f} {min(secs) / f:8.1f} "
              f"{min(c for _, c, _ in runs):7.2f} {max(r for _, _, r in runs):12d}")
    print(f"workbook {sizes['j.xlsx'] / 1e6:.1f} MB, page {sizes['r.html'] / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
