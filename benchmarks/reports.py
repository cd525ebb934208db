#!/usr/bin/env python3
"""Time every report and export against the read floor, on SQLite and PostgreSQL (issue 11).

The floor is what any report must at least pay: reading every ``execution`` and
``option_event`` row of the ledger into Python tuples, with the bare driver (``sqlite3``,
or ``psycopg`` for PostgreSQL), in a process of its own. Each report runs as a whole
``journal`` process (start-up included), cold (the derived-state cache emptied just before)
and warm (the same command run once before), with its peak RSS from ``wait4``. Ratios are
to the floor measured in the same run, so the figures compare across machines.

    python benchmarks/reports.py                      # SQLite; generates the ledger once
    python benchmarks/reports.py --pg 'postgresql+psycopg://journal@/bench?host=/tmp/pg'
    python benchmarks/reports.py --repeat 3 --quick   # warm runs (and cold tax) only

The statement is ``gen_statement.py --trades 46500 --underlyings 400 --years 5`` (2023-2027)
by default; the imported SQLite ledger is kept in ``benchmarks/out/`` and reused while the
statement is unchanged (``--reimport`` rebuilds it). A PostgreSQL database named with
``--pg`` is emptied (its ``public`` schema dropped) and imported into unless ``--reuse-pg``.
Results: the terminal and ``benchmarks/out/reports.json``. Not part of the test run.

The package's bytecode is compiled once before anything is timed, as an install does
(``pip install`` compiles it; an editable install writes ``__pycache__`` on first run):
with ``PYTHONDONTWRITEBYTECODE`` set and no bytecode beside the sources, every timed
process would compile journal's modules from source again (about 0.2 s CPU each run).
``--no-compile`` times without it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

# issue 11's targets, as ratios to the read floor (process start included)
TARGET_COLD_TAX = 2.5
TARGET_WARM = 1.0  # tax --summary, summary --monthly, review
TARGET_EXPORT = 10.0
TARGET_EXPORT_MB = 300
TARGET_REPORT_MB = 250
TARGET_VERSION_S = 0.2


def commands(year: int, files: Path) -> list[tuple[str, list[str], bool]]:
    """(label, journal arguments, warm target applies)."""
    j = ["--format", "json"]
    return [
        (f"tax {year} --summary", ["tax", str(year), "--summary", *j], True),
        ("summary --monthly", ["summary", "--monthly", *j], True),
        ("review", ["review", *j], True),
        ("lots", ["lots", *j], False),
        ("positions", ["positions", *j], False),
        ("realized", ["realized", *j], False),
        ("flags", ["flags", *j], False),
        ("status", ["status", *j], False),
        ("export --xlsx", ["export", "--xlsx", str(files / "journal.xlsx")], False),
        (f"tax {year + 1} --xlsx", ["tax", str(year + 1), "--xlsx", str(files / "tax.xlsx")],
         False),
        ("report --html", ["report", "--html", str(files / "report.html")], False),
    ]


#### CHILD PROCESSES ####


def child_floor_sqlite(path: str) -> dict:
    t0 = time.perf_counter()
    con = sqlite3.connect(path)
    n = len(con.execute("SELECT * FROM execution").fetchall())
    m = len(con.execute("SELECT * FROM option_event").fetchall())
    con.close()
    return {"seconds": time.perf_counter() - t0, "execution": n, "option_event": m}


def child_floor_pg(conninfo: str) -> dict:
    t0 = time.perf_counter()
    import psycopg

    with psycopg.connect(**json.loads(conninfo)) as con, con.cursor() as cur:
        cur.execute("SELECT * FROM execution")
        n = len(cur.fetchall())
        cur.execute("SELECT * FROM option_event")
        m = len(cur.fetchall())
    return {"seconds": time.perf_counter() - t0, "execution": n, "option_event": m}


def child_clear(target: str) -> dict:
    from journal import cache
    from journal.db import make_engine

    return {"cleared": cache.clear(make_engine(target))}


CHILDREN = {"floor-sqlite": child_floor_sqlite, "floor-pg": child_floor_pg,
            "clear": child_clear}


#### PARENT ####


def measure(argv: list[str]) -> dict:
    """One process: wall seconds, exit code, its own peak RSS, and its output."""
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=so, stderr=se, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        so.seek(0)
        se.seek(0)
        return {"wall": wall, "rc": os.waitstatus_to_exitcode(status),
                "max_rss_mb": usage.ru_maxrss / 1024, "cpu": usage.ru_utime + usage.ru_stime,
                "stdout": so.read().decode(errors="replace"),
                "stderr": se.read().decode(errors="replace")}


def child(kind: str, arg: str) -> dict:
    m = measure([sys.executable, str(Path(__file__).resolve()), "--child", kind, arg])
    if m["rc"]:
        raise SystemExit(f"{kind} failed: {m['stderr'].strip()[-500:]}")
    m.update(json.loads(m["stdout"].strip().splitlines()[-1]))
    return m


def journal(target: str, *args: str) -> dict:
    return measure([sys.executable, "-m", "journal", "--db", target, *args])


def compile_bytecode() -> None:
    """journal's bytecode, as an installed package has it (see the module's docstring)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "journal")],
                   check=True)


def best(runs: list[dict]) -> dict:
    out = dict(min(runs, key=lambda r: r["wall"]))
    out["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
    out["all"] = [round(r["wall"], 3) for r in runs]
    for k in ("stdout", "stderr"):
        out.pop(k, None)
    return out


def statement(trades: int, underlyings: int, years: int, start: str) -> Path:
    path = OUT / f"wheel_{trades}_u{underlyings}_y{years}.xml"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen_statement.py"), "--trades", str(trades),
                        "--underlyings", str(underlyings), "--years", str(years), "--start",
                        start, "--out", str(path)], check=True, cwd=ROOT)
    return path


def pg_conninfo(url: str) -> dict:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    info = {"dbname": u.database, "user": u.username, "password": u.password,
            "host": u.host or u.query.get("host"), "port": u.port or u.query.get("port")}
    return {k: v for k, v in info.items() if v is not None}


def prepare(backend: str, target: str, file: Path, reuse: bool) -> dict:
    """Import ``file`` into a fresh ledger unless a reusable one is there."""
    if backend == "sqlite":
        db = Path(target)
        stamp = db.with_name(db.name + ".source")
        if reuse and db.exists() and stamp.exists() and stamp.read_text() == _file_id(file):
            return {"reused": True}
        for suffix in ("", "-wal", "-shm", ".source"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    elif not reuse:
        from sqlalchemy import create_engine, text

        eng = create_engine(target)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    else:
        return {"reused": True}
    m = journal(target, "import", str(file), "--format", "json")
    if m["rc"]:
        raise SystemExit(f"import into {backend} failed: {m['stderr'].strip()[-500:]}")
    if backend == "sqlite":
        Path(str(target) + ".source").write_text(_file_id(file))
    return {"reused": False, "import_wall": m["wall"], "import_rss_mb": m["max_rss_mb"]}


def _file_id(file: Path) -> str:
    """The statement and the schema the ledger was imported with (a ledger of an older
    schema would be upgraded in place, not imported the way a user's is)."""
    st = file.stat()
    schema = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    return f"{file.name}:{st.st_size}:{st.st_mtime_ns}:{','.join(schema)}"


def bench_backend(backend: str, target: str, floor_kind: str, floor_arg: str, year: int,
                  repeat: int, quick: bool, files: Path, skip: tuple[str, ...] = ()) -> dict:
    # the floor is the yardstick of every ratio: never fewer than three tries
    res: dict = {"floor": best([child(floor_kind, floor_arg) for _ in range(max(3, repeat))])}
    rows = res["rows"] = []
    for label, args, warm_target in commands(year, files):
        if any(word in label for word in skip):
            continue
        cold_too = not quick or "--summary" in args
        for mode in ("cold", "warm") if cold_too else ("warm",):
            runs = []
            if mode == "warm":
                journal(target, *args)  # fills the cache (and the OS file cache)
            for _ in range(repeat):
                if mode == "cold":
                    child("clear", target)
                m = journal(target, *args)
                if m["rc"]:
                    rows.append({"label": label, "mode": mode, "rc": m["rc"],
                                 "error": (m["stderr"].strip().splitlines() or [""])[-1]})
                    break
                runs.append(m)
            else:
                rows.append({"label": label, "mode": mode, "warm_target": warm_target,
                             **best(runs)})
    runs = [measure([sys.executable, "-m", "journal", "--version"]) for _ in range(repeat)]
    rows.append({"label": "journal --version", "mode": "-", **best(runs)})
    return res


def fmt(results: dict) -> str:
    backends = list(results)
    lines = []
    head = f"{'command':<26}{'mode':<6}" + "".join(
        f"{b + ' s':>14}{'x floor':>9}{'cpu x':>7}{'RSS MB':>8}" for b in backends)
    lines += [head, "-" * len(head)]
    floor = "".join(f"{results[b]['floor']['wall']:14.3f}{1:9.2f}{1:7.2f}"
                    f"{results[b]['floor']['max_rss_mb']:8.0f}" for b in backends)
    lines.append(f"{'floor: read all rows':<26}{'':<6}" + floor)
    keys = [(r["label"], r["mode"]) for r in results[backends[0]]["rows"]]
    for label, mode in keys:
        cells = ""
        for b in backends:
            r = next((x for x in results[b]["rows"] if (x["label"], x["mode"]) == (label, mode)),
                     None)
            if r is None or "wall" not in r:
                cells += f"{'failed' if r else '-':>38}"
                continue
            ratio = r["wall"] / results[b]["floor"]["wall"]
            cpu = r["cpu"] / results[b]["floor"]["cpu"]
            cells += f"{r['wall']:14.3f}{ratio:9.2f}{cpu:7.2f}{r['max_rss_mb']:8.0f}"
        lines.append(f"{label:<26}{mode:<6}" + cells)
    return "\n".join(lines)


def verdicts(results: dict) -> list[str]:
    out = []
    for b, res in results.items():
        f = res["floor"]["wall"]
        for r in res["rows"]:
            if "wall" not in r:
                out.append(f"{b}: {r['label']} ({r['mode']}) FAILED: {r.get('error', '')[:120]}")
                continue
            x = r["wall"] / f
            checks = []
            if r["label"].startswith("tax") and "--summary" in r["label"] and r["mode"] == "cold":
                checks.append(("cold tax --summary", x, TARGET_COLD_TAX, "x"))
            if r["mode"] == "warm" and r.get("warm_target"):
                checks.append((f"warm {r['label']}", x, TARGET_WARM, "x"))
            if r["label"] == "export --xlsx":
                checks.append((f"export --xlsx ({r['mode']})", x, TARGET_EXPORT, "x"))
                checks.append((f"export --xlsx RSS ({r['mode']})", r["max_rss_mb"],
                               TARGET_EXPORT_MB, " MB"))
            elif r["label"] == "journal --version":
                checks.append(("journal --version", r["wall"], TARGET_VERSION_S, " s"))
            else:
                checks.append((f"{r['label']} RSS ({r['mode']})", r["max_rss_mb"],
                               TARGET_REPORT_MB, " MB"))
            for name, value, target, unit in checks:
                ok = "OK  " if value <= target else "MISS"
                out.append(f"{b}: {ok} {name}: {value:.2f}{unit} (target <= {target}{unit})")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(CHILDREN[argv[1]](argv[2])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trades", type=int, default=46_500)
    ap.add_argument("--underlyings", type=int, default=400)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--start", default="2023-01-03", help="first trading day of the ledger")
    ap.add_argument("--year", type=int, default=None,
                    help="tax year of `tax Y --summary` (default: the ledger's next to last; "
                         "`tax Y+1 --xlsx` uses the last)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; the best counts")
    ap.add_argument("--quick", action="store_true",
                    help="warm runs only (plus cold tax --summary)")
    ap.add_argument("--skip", action="append", default=[], metavar="WORD",
                    help="leave out the commands whose label contains WORD (repeatable)")
    ap.add_argument("--no-sqlite", action="store_true", help="only the --pg database")
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL (its data is replaced)")
    ap.add_argument("--reuse-pg", action="store_true",
                    help="the --pg database already holds this ledger: do not re-import")
    ap.add_argument("--reimport", action="store_true", help="rebuild the SQLite ledger")
    ap.add_argument("--no-compile", action="store_true",
                    help="do not compile journal's bytecode first (each process may then "
                         "compile it from source)")
    args = ap.parse_args(argv)
    if not args.no_compile:
        compile_bytecode()
    file = statement(args.trades, args.underlyings, args.years, args.start)
    year = args.year or int(args.start[:4]) + args.years - 2
    results, prep = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp)
        if not args.no_sqlite:
            db = str(OUT / (file.stem + ".db"))
            print(f"sqlite: {db} ...", file=sys.stderr, flush=True)
            prep["sqlite"] = prepare("sqlite", db, file, not args.reimport)
            results["sqlite"] = bench_backend("sqlite", db, "floor-sqlite", db, year,
                                              args.repeat, args.quick, files, tuple(args.skip))
        if args.pg:
            print("postgresql ...", file=sys.stderr, flush=True)
            prep["postgresql"] = prepare("postgresql", args.pg, file, args.reuse_pg)
            results["postgresql"] = bench_backend(
                "postgresql", args.pg, "floor-pg", json.dumps(pg_conninfo(args.pg)), year,
                args.repeat, args.quick, files, tuple(args.skip))
    if not results:
        raise SystemExit("nothing to measure: give --pg or drop --no-sqlite")
    table, lines = fmt(results), verdicts(results)
    print(f"{file.name}: {args.trades} trades, {args.underlyings} underlyings, {args.years} "
          f"years; seconds are whole processes, best of {args.repeat}; cpu x = the process's "
          "CPU time over the floor's (steadier on a shared machine; a PostgreSQL server's "
          "own CPU is in neither)")
    print(table)
    print("\n".join(lines))
    meta = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(), "repeat": args.repeat, "file": file.name,
            "bytecode_compiled_first": not args.no_compile,
            "prepare": prep, "results": results, "verdicts": lines}
    OUT.mkdir(exist_ok=True)
    (OUT / "reports.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
    print(f"results: {OUT / 'reports.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
