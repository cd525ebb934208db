"""Golden files: the JSON every listing and report command prints, pinned.

For each ledger (the bundled samples, and each synthetic rule fixture on its own) the
JSON output of every listing/report command is stored in ``tests/golden/<ledger>.json``,
keyed by the command line. A refactor must leave them identical; an intended change is
regenerated on purpose with ``pytest tests/test_golden.py --regen-golden`` and the commit
says why. A mismatch shows a unified diff of the command's output.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from journal.cli import cli

from conftest import FIXTURES, SAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden"

LEDGERS = {
    "samples": sorted(SAMPLES.glob("*.xml")) + sorted(SAMPLES.glob("*.csv")),
    **{f"rules_{p.stem}": [p] for p in sorted((FIXTURES / "rules").glob("*.xml"))},
    **{f"activity_{p.stem}_{p.suffix[1:]}": [p]
       for p in sorted((FIXTURES / "activity_csv").iterdir())},
    # issue 14: one ledger per corporate-action fixture (not the user's basis file)
    **{f"corpact_{p.stem}_{p.suffix[1:]}": [p]
       for p in sorted((FIXTURES / "corporate_actions").iterdir())
       if p.suffix in (".xml", ".csv") and not p.name.endswith(".basis.csv")},
}

# Every listing/report command with a JSON face, whatever the ledger holds.
COMMANDS = [
    "trades --all", "accounts", "lots --all", "realized", "flags", "flags --detail", "cycles",
    "summary --monthly", "summary --yearly", "summary --weekly",
    "summary --monthly --by-date open", "summary --monthly --by-date close", "review",
]
# As of the ledger's last day, so the output never depends on the clock (DTE, marks).
END_COMMANDS = ["positions --as-of {end}", "status --as-of {end}"]
# Per tax year found in the ledger.
YEAR_COMMANDS = ["tax {y}", "tax {y} --summary", "tax {y} --flags", "tax {y} --reconcile",
                 "realized --year {y}"]


def _json(run, command: str):
    res = run(*command.split(), "--format", "json")
    assert res.exit_code == 0, f"journal {command}: {res.output}"
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"journal {command} printed no JSON: {res.stdout!r}") from exc


def outputs(files, db: str) -> dict:
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--db", db, *map(str, args)])

    res = run("import", "-q", *files)
    assert res.exit_code == 0, res.output
    out = {c: _json(run, c) for c in COMMANDS}
    ends = [a[k] for a in out["accounts"] for k in ("statements_to", "last_trade") if a[k]]
    for c in END_COMMANDS:
        cmd = c.format(end=max(ends))
        out[cmd] = _json(run, cmd)
    years = sorted({int(r["date_sold"][:4]) for r in out["realized"]})
    for y in years:
        for c in YEAR_COMMANDS:
            cmd = c.format(y=y)
            out[cmd] = _json(run, cmd)
    for lot in out["lots --all"]:
        cmd = f"lots --explain {lot['lot_id']}"
        out[cmd] = _json(run, cmd)
    for cycle in out["cycles"]:
        cmd = f"cycles show {cycle['cycle_id']}"
        out[cmd] = _json(run, cmd)
    return out


def _text(value) -> list[str]:
    return json.dumps(value, indent=1, sort_keys=True).splitlines(keepends=True)


@pytest.mark.parametrize("ledger", sorted(LEDGERS))
def test_golden(ledger, tmp_path, request):
    got = outputs(LEDGERS[ledger], str(tmp_path / "golden.db"))
    path = GOLDEN / f"{ledger}.json"
    if request.config.getoption("--regen-golden"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        return
    assert path.exists(), f"{path} missing: run pytest tests/test_golden.py --regen-golden"
    want = json.loads(path.read_text())
    problems = []
    for cmd in sorted(set(want) | set(got)):
        if want.get(cmd) != got.get(cmd):
            diff = difflib.unified_diff(_text(want.get(cmd)), _text(got.get(cmd)),
                                        f"golden: journal {cmd}", f"now: journal {cmd}", n=2)
            problems.append("".join(diff))
    assert not problems, "\n".join(problems)
