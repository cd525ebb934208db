"""Time every page of `journal serve` on a large ledger, cold and warm (issue 13 §4:
every page ≤ 300 ms once warm).

The server runs as it does for a user (uvicorn on a loopback socket, in this process);
pages are fetched over HTTP. **cold**: the first request of a page after the server
started (the first page of all pays for reading the ledger and the rules pass; a page
that needs a table no earlier page built pays for that table). **warm**: the best and
the median of ``--repeat`` further requests on the unchanged ledger. The floor, as in the
other benchmarks: ``sqlite3`` reading every ``execution`` and ``option_event`` row into
Python tuples, measured in the same run; ratios are to it.

    python benchmarks/serve.py                       # generates the 46.5k ledger if missing
    python benchmarks/serve.py --db /path/ledger.db --repeat 9

Results go to the terminal and to ``benchmarks/out/serve.json``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TRADES = 46_500
TARGET_MS = 300


def floor_seconds(db: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        con = sqlite3.connect(db)
        con.execute("SELECT * FROM execution").fetchall()
        con.execute("SELECT * FROM option_event").fetchall()
        con.close()
        best = min(best, time.perf_counter() - t0)
    return best


def ensure_ledger(db: Path) -> None:
    if db.exists():
        return
    OUT.mkdir(exist_ok=True)
    xml = OUT / f"wheel_{TRADES // 1000}k5.xml"
    if not xml.exists():
        subprocess.run([sys.executable, str(HERE / "gen_statement.py"), "--trades",
                        str(TRADES), "--out", str(xml)], check=True)
    subprocess.run([sys.executable, "-m", "journal", "--db", str(db), "import", "-q",
                    str(xml)], check=True)


def pick(db: str) -> dict:
    """Ids of a busy underlying, a cycle, a lot and a transaction to open."""
    con = sqlite3.connect(db)
    und = con.execute("SELECT underlying_symbol, count(*) c FROM execution GROUP BY 1 "
                      "ORDER BY c DESC LIMIT 1").fetchone()[0]
    acc, tx = con.execute("SELECT account_id, transaction_id FROM execution WHERE "
                          "asset_category='STK' AND quantity > 0 ORDER BY id DESC LIMIT 1"
                          ).fetchone()
    year = con.execute("SELECT max(substr(trade_date, 1, 4)) FROM execution").fetchone()[0]
    con.close()
    return {"underlying": und, "account": acc, "tx": tx, "year": int(year)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=OUT / "serve_46k5.db")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    ensure_ledger(args.db)
    db = str(args.db)

    import httpx

    from journal.db import open_ledger
    from journal.web.app import Options
    from journal.web.server import Background

    floor = floor_seconds(db)
    ids = pick(db)
    engine = open_ledger(db, create=False)
    today = date.today()
    results = []
    with Background(engine, Options(port=0, today=lambda: today)) as base, \
            httpx.Client(base_url=base.rstrip("/"), timeout=600) as client:

        def get(path: str) -> tuple[float, int, int]:
            t0 = time.perf_counter()
            r = client.get(path)
            return time.perf_counter() - t0, r.status_code, len(r.content)

        # a cycle and a lot of the busy underlying, found the way a person would
        t, status, _ = get("/underlyings")
        results.append(("/underlyings (first request: reads the ledger)", t, status, 0))
        state = client.get(f"/underlyings/{quote(ids['underlying'])}").text
        import re

        cycle = re.search(r'href="(/cycles/[^"]+)"', state).group(1)
        lot = re.search(r'href="(/lots/[^"]+)"', state)
        pages = ["/", "/progress", "/progress?period=week&by=open",
                 "/progress?period=year&by=close", "/underlyings",
                 f"/underlyings/{quote(ids['underlying'])}", cycle,
                 lot.group(1) if lot else None, f"/source/{ids['account']}/{ids['tx']}",
                 "/flags", "/trades", f"/tax/{ids['year']}", "/import",
                 f"/calc?premium=2.10&strike=410&dte=30&price=425&symbol={ids['underlying']}"]
        rows = []
        for path in [p for p in pages if p]:
            cold, status, size = get(path)
            warm = [get(path)[0] for _ in range(args.repeat)]
            rows.append({"page": path, "status": status, "bytes": size,
                         "cold_ms": round(cold * 1000, 1),
                         "warm_best_ms": round(min(warm) * 1000, 1),
                         "warm_median_ms": round(statistics.median(warm) * 1000, 1)})
    first = results[0]
    print(f"ledger {db}: floor (sqlite3 reads execution + option_event) "
          f"{floor * 1000:.0f} ms; first request {first[1]:.2f} s (status {first[2]})")
    print(f"{'page':60} {'cold ms':>9} {'warm best':>10} {'median':>8} {'x floor':>8} "
          f"{'KB':>7}  ≤{TARGET_MS} ms")
    for r in rows:
        ok = "yes" if r["warm_median_ms"] <= TARGET_MS and r["status"] == 200 else "NO"
        print(f"{r['page'][:60]:60} {r['cold_ms']:9.1f} {r['warm_best_ms']:10.1f} "
              f"{r['warm_median_ms']:8.1f} {r['warm_median_ms'] / 1000 / floor:8.2f} "
              f"{r['bytes'] / 1024:7.0f}  {ok}")
    OUT.mkdir(exist_ok=True)
    (OUT / "serve.json").write_text(json.dumps(
        {"db": db, "floor_s": floor, "first_request_s": first[1], "pages": rows}, indent=2))
    return 0 if all(r["warm_median_ms"] <= TARGET_MS and r["status"] == 200
                    for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
