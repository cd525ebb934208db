#!/usr/bin/env python3
"""Time `journal import` against the floor, in one run, for a 10k- and a 40k-row statement.

The floor is what any importer of a Flex XML file into SQLite must at least pay: the
standard library's ``ElementTree.iterparse`` over every ``Trade`` row plus one raw
``sqlite3`` ``executemany`` of their attributes (one TEXT column each) in one transaction.
Each step runs in its own process so that its peak memory (``ru_maxrss`` from ``wait4``)
is its own; times are the best of ``--repeat`` runs. Results go to the terminal and to
``benchmarks/out/results.json``. See benchmarks/README.md for what each number means.

    python benchmarks/run.py                 # generates the statements if missing
    python benchmarks/run.py --repeat 3 --profile
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
TARGET_IMPORT = 1.5  # issue 2: full import <= 1.5x the floor
TARGET_REIMPORT = 1.0  # issue 2: re-import <= 1.0x the floor

# Reports written by other parts of the project; timed when `journal --help` lists them.
REPORTS = [
    ("realized", ["realized", "--year", "2024"]),
    ("tax", ["tax", "2024", "--summary"]),
    ("summary", ["summary", "--monthly"]),
    ("review", ["review"]),
]


#### CHILD PROCESSES (one measured step each) ####


def child_floor(file: str, db: str) -> dict:
    import xml.etree.ElementTree as ET

    t0 = time.perf_counter()
    c0 = time.process_time()
    con = sqlite3.connect(db)
    context = ET.iterparse(file, events=("start", "end"))
    stack: list = []  # open elements; each finished one is cleared and unhooked
    columns: list[str] = []

    def trades():
        for event, elem in context:
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            if elem.tag == "Trade":
                yield tuple(map(elem.get, columns))
            elem.clear()
            if stack:
                del stack[-1][:]  # memory stays flat: no finished rows hang off their section

    # the first row fixes the columns (every Trade row of a query has the same attributes)
    for event, elem in context:
        if event == "start":
            stack.append(elem)
            continue
        stack.pop()
        if elem.tag == "Trade":
            columns = list(elem.keys())
            first = tuple(map(elem.get, columns))
            elem.clear()
            break
    else:
        raise SystemExit("no <Trade> rows")
    with con:
        con.execute("CREATE TABLE trade (" + ", ".join(f'"{c}" TEXT' for c in columns) + ")")
        sql = (f"INSERT INTO trade VALUES ({', '.join('?' * len(columns))})")
        con.execute(sql, first)
        con.executemany(sql, trades())
    rows = con.execute("SELECT COUNT(*) FROM trade").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
            "rows": rows, "columns": len(columns)}


def child_inproc(mode: str, file: str, db: str) -> dict:
    t0 = time.perf_counter()
    from journal.db import open_ledger
    from journal.imports import import_file

    t1 = time.perf_counter()
    engine = open_ledger(db)  # creates the schema (a new SQLite ledger) or checks it
    t2 = time.perf_counter()
    c2 = time.process_time()
    fr = import_file(engine, Path(file), force=(mode == "force"))
    t3 = time.perf_counter()
    r = fr.result
    return {
        "import_modules": t1 - t0, "open_ledger": t2 - t1, "seconds": t3 - t2,
        "cpu": time.process_time() - c2,
        "status": fr.status, "error": fr.error,
        "new_executions": r.new_executions if r else 0,
        "duplicates": r.duplicate_executions if r else None,
    }


def child_main(argv: list[str]) -> int:
    kind, *rest = argv
    out = child_floor(*rest) if kind == "floor" else child_inproc(kind, *rest)
    print(json.dumps(out))
    return 0


#### PARENT ####


def measure(argv: list[str], *, env=None) -> dict:
    """Run one process; wall seconds, exit code, its own peak RSS, stdout and stderr."""
    with tempfile.TemporaryFile() as so, tempfile.TemporaryFile() as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=so, stderr=se, cwd=ROOT, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        so.seek(0)
        se.seek(0)
        stdout, stderr = so.read().decode(errors="replace"), se.read().decode(errors="replace")
    return {"wall": wall, "rc": proc.returncode, "max_rss_mb": usage.ru_maxrss / 1024,
            "cpu_total": usage.ru_utime + usage.ru_stime,
            "stdout": stdout, "stderr": stderr}


def fresh_db(tmp: Path, name: str) -> Path:
    p = tmp / name
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(p) + suffix).unlink(missing_ok=True)
    return p


def check(m: dict, what: str) -> None:
    if m["rc"] != 0:
        tail = (m["stderr"].strip().splitlines() or ["(no stderr)"])[-1]
        raise SystemExit(f"{what} failed (exit {m['rc']}): {tail}")


def best(runs: list[dict], key: str) -> dict:
    """The fastest run, with the peak RSS of all runs (memory does not vary by luck)."""
    out = dict(min(runs, key=lambda r: r[key]))
    out["max_rss_mb"] = max(r["max_rss_mb"] for r in runs)
    out["all"] = [round(r[key], 4) for r in runs]
    return out


def bench_file(file: Path, expected_rows: int, repeat: int, tmp: Path, commands: set) -> dict:
    py = sys.executable
    me = str(Path(__file__).resolve())
    res: dict = {"file": file.name, "bytes": file.stat().st_size, "trade_rows": expected_rows}

    def child(kind, db):
        m = measure([py, me, "--child", kind, str(file), str(db)])
        check(m, f"{kind} child")
        m.update(json.loads(m["stdout"].strip().splitlines()[-1]))
        return m

    def cli(db, *args):
        m = measure([py, "-m", "journal", "--db", str(db), *args])
        return m

    # (a) the floor
    runs = []
    for i in range(repeat):
        m = child("floor", fresh_db(tmp, f"floor{i}.sqlite"))
        if m["rows"] != expected_rows:
            raise SystemExit(f"floor stored {m['rows']} rows, expected {expected_rows}")
        runs.append(m)
    res["floor"] = best(runs, "seconds")

    # (b) full import into a fresh database: CLI (A) and in-process (B)
    runs = []
    for _ in range(repeat):
        db_a = fresh_db(tmp, "cli.db")
        m = cli(db_a, "import", str(file), "--format", "json")
        check(m, "journal import")
        m["summary"] = json.loads(m["stdout"])[0]
        if m["summary"].get("new_executions") != expected_rows:
            raise SystemExit(f"journal import stored {m['summary'].get('new_executions')} "
                             f"executions, expected {expected_rows}")
        runs.append(m)
    res["cli_import"] = best(runs, "wall")
    runs = []
    for _ in range(repeat):
        db_b = fresh_db(tmp, "inproc.db")
        m = child("import", db_b)
        if m["new_executions"] != expected_rows:
            raise SystemExit(f"import_file stored {m['new_executions']}, expected {expected_rows}")
        runs.append(m)
    res["inproc_import"] = best(runs, "seconds")

    # (c) re-import: the sha256 shortcut, then --force (re-parse, ON CONFLICT DO NOTHING)
    for label, extra, mode in (("reimport", [], "reimport"), ("force", ["--force"], "force")):
        runs = []
        for _ in range(repeat):
            m = cli(db_a, "import", str(file), "--format", "json", *extra)
            check(m, f"journal import {' '.join(extra)}")
            s = json.loads(m["stdout"])[0]
            want = "unchanged" if mode == "reimport" else "imported"
            if s["status"] != want or s.get("new_executions") != 0:
                raise SystemExit(f"{label}: expected status {want} and 0 new, got {s}")
            runs.append(m)
        res[f"cli_{label}"] = best(runs, "wall")
        runs = []
        for _ in range(repeat):
            m = child(mode, db_b)
            if m["new_executions"] != 0:
                raise SystemExit(f"in-process {label} added {m['new_executions']} rows")
            runs.append(m)
        res[f"inproc_{label}"] = best(runs, "seconds")

    # reports (from other engineers): timed on the CLI database when they exist
    res["reports"] = {}
    for name, args in REPORTS:
        if name not in commands:
            res["reports"][name] = {"skipped": "command not available"}
            continue
        m = cli(db_a, *args)
        entry = {"wall": m["wall"], "cpu_total": m["cpu_total"], "rc": m["rc"],
                 "max_rss_mb": m["max_rss_mb"], "argv": args}
        if m["rc"] != 0:
            entry["error"] = (m["stderr"].strip().splitlines() or [""])[-1][:300]
        res["reports"][name] = entry
    for v in res.values():
        if isinstance(v, dict):
            v.pop("stdout", None)
            v.pop("stderr", None)
    return res


def available_commands() -> set:
    m = measure([sys.executable, "-m", "journal", "--help"])
    names = set()
    in_commands = False
    for line in m["stdout"].splitlines():
        if line.strip().startswith("Commands:"):
            in_commands = True
            continue
        if in_commands and line.startswith("  ") and line.strip():
            names.add(line.split()[0])
    return names


def ensure_statement(rows: int, regen: bool) -> Path:
    name = f"wheel_{rows // 1000}k.xml" if rows % 1000 == 0 else f"wheel_{rows}.xml"
    path = OUT / name
    if regen or not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_statement.py"), "--trades", str(rows),
                        "--out", str(path)], check=True, cwd=ROOT)
    return path


def profile_import(file: Path, tmp: Path, top: int) -> str:
    """cProfile of the in-process import (fresh database) on the largest file."""
    db = fresh_db(tmp, "profile.db")
    prof = OUT / f"import_{file.stem}.prof"
    code = "\n".join([
        "import cProfile, pstats",
        "from pathlib import Path",
        "from journal.db import open_ledger",
        "from journal.imports import import_file",
        f"engine = open_ledger({str(db)!r})",
        "pr = cProfile.Profile()",
        "pr.enable()",
        f"fr = import_file(engine, Path({str(file)!r}))",
        "pr.disable()",
        "assert fr.status == 'imported', fr.error",
        f"pr.dump_stats({str(prof)!r})",
        f"pstats.Stats(pr).sort_stats('tottime').print_stats({top})",
        f"pstats.Stats(pr).sort_stats('cumtime').print_stats({top})",
    ])
    m = measure([sys.executable, "-c", code])
    check(m, "profile")
    return m["stdout"]


def fmt_table(results: list[dict]) -> str:
    """Wall seconds and CPU seconds, each with its ratio to the like-for-like floor figure:
    in-process rows against the floor's in-process time, whole-process rows (CLI) against
    the floor process's wall clock / CPU."""
    lines = []
    head = (f"{'file':<14} {'step':<42} {'wall s':>7} {'x floor':>8} {'cpu s':>7} "
            f"{'x floor':>8} {'peak RSS':>9}")
    lines += [head, "-" * len(head)]
    for r in results:
        f = r["floor"]
        fin, fwall, fcpu, fcpu_all = f["seconds"], f["wall"], f["cpu"], f["cpu_total"]

        def row(label, secs, base, cpu=None, cbase=None, rss=None, name=""):
            ratio = f"{secs / base:7.2f}x" if base else ""
            cpu_s = f"{cpu:7.3f}" if cpu is not None else ""
            cratio = f"{cpu / cbase:7.2f}x" if cpu is not None and cbase else ""
            rss_s = f"{rss:6.0f} MB" if rss is not None else ""
            lines.append(f"{name:<14} {label:<42} {secs:7.3f} {ratio:>8} {cpu_s:>7} "
                         f"{cratio:>8} {rss_s:>9}")

        row("floor: iterparse+executemany (in-proc)", fin, fin, fcpu, fcpu, f["max_rss_mb"],
            r["file"])
        row("floor: same, whole process", fwall, fwall, fcpu_all, fcpu_all)
        for key, label in (("import", "journal import, fresh db"),
                           ("reimport", "re-import, unchanged file"),
                           ("force", "re-import --force")):
            c, i = r[f"cli_{key}"], r[f"inproc_{key}"]
            row(label + " (CLI)", c["wall"], fwall, c["cpu_total"], fcpu_all, c["max_rss_mb"])
            if key == "import":
                row("  in-process: import modules", i["import_modules"], None)
                row("  in-process: open_ledger (schema)", i["open_ledger"], None)
            row("  in-process: import_file", i["seconds"], fin, i["cpu"], fcpu, i["max_rss_mb"])
        for rep, e in r["reports"].items():
            label = "journal " + " ".join(e.get("argv", [rep]))
            if "skipped" in e:
                lines.append(f"{'':<14} {label:<42} skipped (no such command)")
            elif e["rc"]:
                lines.append(f"{'':<14} {label:<42} failed (exit {e['rc']}): "
                             f"{e.get('error', '')[:70]}")
            else:
                row(label, e["wall"], fwall, e["cpu_total"], fcpu_all, e["max_rss_mb"])
        lines.append("")
    return "\n".join(lines)


def verdicts(results: list[dict]) -> list[str]:
    out = []

    def ok(v, t):
        return "OK" if v <= t else "MISS"

    for r in results:
        f = r["floor"]
        parts = []
        for key, label, target in (("import", "import", TARGET_IMPORT),
                                   ("reimport", "re-import", TARGET_REIMPORT),
                                   ("force", "re-import --force", TARGET_REIMPORT)):
            w = r[f"inproc_{key}"]["seconds"] / f["seconds"]
            c = r[f"inproc_{key}"]["cpu"] / f["cpu"]
            e = r[f"cli_{key}"]["wall"] / f["wall"]
            parts.append(f"{label} {w:.2f}x wall / {c:.2f}x cpu in-process, {e:.2f}x "
                         f"end-to-end [{ok(w, target)} vs <= {target}x]")
        out.append(f"{r['file']}: " + "; ".join(parts))
    if len(results) >= 2:
        a, b = results[0], results[-1]
        parts = []
        for key, label in (("floor", "floor"), ("cli_import", "journal import"),
                           ("cli_force", "import --force")):
            ra, rb = a[key]["max_rss_mb"], b[key]["max_rss_mb"]
            parts.append(f"{label} {ra:.0f} -> {rb:.0f} MB ({(rb / ra - 1) * 100:+.0f}%)")
        out.append(f"peak RSS {a['file']} -> {b['file']} "
                   f"({b['trade_rows'] / a['trade_rows']:.0f}x the rows): " + "; ".join(parts))
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,40000",
                    help="Trade rows per generated statement, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; the best counts")
    ap.add_argument("--regen", action="store_true", help="regenerate the statements")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile the import of the largest file (top functions)")
    ap.add_argument("--tmp", type=Path, default=None,
                    help="folder for the scratch databases (default: a fresh temp folder)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    files = [(ensure_statement(n, args.regen), n) for n in sizes]
    commands = available_commands()
    results = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmpdir:
        tmp = Path(tmpdir)
        for file, n in files:
            print(f"benchmarking {file.name} ({file.stat().st_size / 1e6:.1f} MB, {n} Trade "
                  f"rows, best of {args.repeat}) ...", file=sys.stderr, flush=True)
            results.append(bench_file(file, n, args.repeat, tmp, commands))
        table = fmt_table(results)
        lines = verdicts(results)
        print(table)
        print("\n".join(lines))
        meta = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg(), "repeat": args.repeat,
            "targets": {"import": TARGET_IMPORT, "reimport": TARGET_REIMPORT},
            "available_commands": sorted(commands), "verdicts": lines, "results": results,
        }
        (OUT / "results.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
        print(f"results: {OUT / 'results.json'}")
        if args.profile:
            profile = profile_import(files[-1][0], tmp, 30)
            (OUT / "profile.txt").write_text(profile)
            print(f"cProfile of import_file on {files[-1][0].name}: {OUT / 'profile.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
