#!/usr/bin/env python3
"""Where a cold report's time goes, and the least an incremental cache update would cost.

On a ledger (default: the one benchmarks/reports.py keeps), in one process, CPU seconds:

* the cold path: read the ledger (``load_ledger``), run the rules, assemble every field,
  encode the result for the cache, write it; and what a cold ``tax YEAR`` does instead
  (the rules make that year's records alone, which are encoded as the year's entry);
* the warm path: look the entry up, decode every field;
* the floor of an incremental update after an import that only appends days: decode the
  stored result, re-encode it and write it back, with no rules work at all. A real one
  would add replaying the new days from a checkpoint of the engine's state (open lots and
  positions, losses inside their 30-day window, cycles), which the rules do not keep.

    python benchmarks/cache_phases.py [LEDGER] [--repeat 3] [--year 2026]

Not part of the test run.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE / "out" / "wheel_46500_u400_y5.db"


def timed(fn):
    gc.collect()
    t0 = time.process_time()
    value = fn()
    return value, time.process_time() - t0


def floor(path: str) -> float:
    import sqlite3

    def read():
        con = sqlite3.connect(path)
        con.execute("SELECT * FROM execution").fetchall()
        con.execute("SELECT * FROM option_event").fetchall()
        con.close()

    return min(timed(read)[1] for _ in range(3))


def once(target: str, year: int) -> dict[str, float]:
    from journal import cache, readmodel, rules
    from journal.cache import results, store
    from journal.db import make_engine
    from journal.dbconn import snapshot
    from journal.rules.assemble import LATER
    from journal.settings import Settings

    engine = make_engine(target)
    out: dict[str, float] = {}
    data, out["load_ledger"] = timed(lambda: readmodel.load_ledger(engine))
    result, out["rules (realized, flags)"] = timed(lambda: rules.run_rules(data, Settings()))
    _, out["rules (lots, positions, cycles)"] = timed(lambda: [
        getattr(result, f.name) for f in dataclasses.fields(result)])
    parts, out["encode"] = timed(lambda: results.encode(result))
    # what a cold `tax YEAR` computes and keeps: that year's records alone
    year_result, out["tax YEAR: rules (year only)"] = timed(
        lambda: rules.run_rules(data, Settings(), tax_year=year))
    _, out["tax YEAR: encode (year entry)"] = timed(
        lambda: results.encode(year_result, frozenset(LATER)))
    cache.clear(engine)
    with snapshot(engine) as conn:
        version = store.read_version(conn)
    _, out["write"] = timed(lambda: store.save(engine, "phases", "k", version, parts))

    def lookup():
        with snapshot(engine) as conn:
            entry = store.find(conn, "phases", "k", version)
            assert entry is not None
            return store.read_parts(conn, entry)

    stored, out["lookup + read bytes"] = timed(lookup)

    def decode_all():
        lazy = results.lazy(stored, None)
        return [getattr(lazy, f.name) for f in dataclasses.fields(lazy)]

    _, out["decode every field"] = timed(decode_all)
    cache.clear(engine)
    engine.dispose()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ledger", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--year", type=int, default=2026, help="the tax YEAR phases (2026)")
    args = ap.parse_args(argv)
    if not Path(args.ledger).exists():
        raise SystemExit(f"{args.ledger}: no such ledger (run benchmarks/reports.py first)")
    f = floor(args.ledger)
    runs = [once(args.ledger, args.year) for _ in range(args.repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0]}
    print(f"floor (sqlite3 reads every execution and option_event row): {f:.3f} s CPU")
    for k, v in best.items():
        print(f"{k:<34}{v:8.3f} s {v / f:6.2f}x")
    cold = sum(best[k] for k in ("load_ledger", "rules (realized, flags)",
                                 "rules (lots, positions, cycles)", "encode", "write"))
    warm = best["lookup + read bytes"] + best["decode every field"]
    incr = warm + best["encode"] + best["write"]
    print(f"{'cold: compute + keep':<34}{cold:8.3f} s {cold / f:6.2f}x")
    tax = sum(best[k] for k in ("load_ledger", "tax YEAR: rules (year only)",
                                "tax YEAR: encode (year entry)"))
    print(f"{f'cold tax {args.year}: compute + encode':<34}{tax:8.3f} s {tax / f:6.2f}x")
    print(f"{'warm: read every field':<34}{warm:8.3f} s {warm / f:6.2f}x")
    print(f"{'incremental floor (no rules work)':<34}{incr:8.3f} s {incr / f:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
