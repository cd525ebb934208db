#!/usr/bin/env python3
"""The rules' chronological pass alone: ``engine.start`` and ``engine.run_pass`` on a
ledger read once, CPU seconds, best of N (each run gets a fresh pass state).

What it leaves out: reading the ledger (see cache_phases.py) and what runs after the pass
(post-pass flags, Form 8949 codes, the frozen result). One-time imports the pass triggers
(the NYSE calendar of a year-end check) fall in the first run only, so the best run
leaves them out too.

    python benchmarks/rules_pass.py [LEDGER] [--repeat 5]

Not part of the test run.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "wheel_46500_u400_y5.db"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ledger", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    if not Path(args.ledger).exists():
        raise SystemExit(f"{args.ledger}: no such ledger (run benchmarks/reports.py first)")
    from journal import readmodel
    from journal.db import make_engine
    from journal.frozen import paused_gc
    from journal.rules import engine
    from journal.settings import Settings

    data = readmodel.load_ledger(make_engine(f"sqlite:///{args.ledger}"))
    starts, passes = [], []
    for _ in range(args.repeat):
        gc.collect()
        with paused_gc():  # as run_rules does
            t0 = time.process_time()
            st = engine.start(data, Settings(), None)
            t1 = time.process_time()
            engine.run_pass(st)
            t2 = time.process_time()
        starts.append(t1 - t0)
        passes.append(t2 - t1)
        del st
    print(f"{len(data.executions)} executions, best of {args.repeat} (CPU s)")
    print(f"{'start (scope, indexes)':<26}{min(starts):8.3f} s")
    print(f"{'run_pass':<26}{min(passes):8.3f} s   first run {passes[0]:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
