"""Mistakes in the listing and report commands (issue 12 §4): each is refused with one
line that says what to do, a non-zero exit, and no traceback or "Internal error"."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, SAMPLES

CASES = [
    # (arguments, what the one line must say, exit code)
    (["calc", "--premium", "abc", "--strike", "410", "--dte", "30"],
     "--premium: 'abc' is not a number", 2),
    (["calc", "--premium", "2.10", "--strike", "4x0", "--dte", "30"],
     "--strike: '4x0' is not a number", 2),
    (["calc", "--premium", "-1", "--strike", "410", "--dte", "30"],
     "--premium must not be negative (got -1)", 1),
    (["calc", "--premium", "2.10", "--strike", "410", "--dte", "30", "--contracts", "0"],
     "--contracts must be at least 1 (got 0)", 1),
    (["summary", "--monthly", "--yearly"],
     "use only one of --weekly, --monthly and --yearly (got --monthly and --yearly)", 2),
    (["tax", "2025", "--summary", "--reconcile"],
     "use only one of --summary, --flags and --reconcile", 2),
    (["tax", "2025", "--account", "NOPE"],
     "account NOPE is not in the ledger (it has U7654321, U7654322)", 1),
    (["summary", "--account", "U1", "--account", "U2"],
     "accounts U1, U2 are not in the ledger (it has U7654321, U7654322)", 1),
    (["lots", "--explain", "3718840618"],
     "no lot 3718840618; did you mean U7654321:3718840618?", 1),
    (["lots", "--explain", "U0:nope"], "no lot U0:nope (journal lots --all lists them)", 1),
    (["cycles", "show", "NOPE"], "no cycle NOPE (journal cycles lists them)", 1),
    (["actions", "set", "NOPE", "--worthless-year", "2025"],
     "no corporate action NOPE (journal actions lists them)", 1),
    (["transfers", "set", "NOPE", "--account", "U7654321", "--wash-sale", "yes"],
     "no transfer NOPE in account U7654321 (journal transfers lists them)", 1),
    (["trades", "--columns", "account,colour"], "unknown column colour (columns: account,", 1),
]


@pytest.fixture
def ledger(run):
    assert run("import", "-q", SAMPLES).exit_code == 0
    return run


@pytest.mark.parametrize("args,message,code", CASES, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else None)
def test_each_mistake_is_one_clear_line(ledger, args, message, code):
    res = ledger(*args)
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in res.output and "Internal error" not in res.output
    assert res.stdout == ""


def test_a_provisional_year_says_which_statement_is_missing(run):
    assert run("import", "-q", FIXTURES / "rules" / "a1_expired.xml").exit_code == 0
    res = run("realized", "--year", "2025")
    assert res.exit_code == 0
    assert ("note: 2025 is provisional: no statement covers January 2026 yet (the ledger "
            "ends 2025-12-31)") in res.stderr
    assert "Import the statement that covers it" in res.stderr
    assert "no statement covers January 2026" in run("tax", "2025").stderr
