"""Typing and lint are part of the test run (issue 10 §8), so `.ci/run` enforces them.

mypy checks all of journal/ and ruff the whole repository with the rule set pinned in
pyproject.toml (imports sorted, pyupgrade, bugbear, complexity ≤ 15, simplify). Both run
as subprocesses of the test interpreter, from the repository root.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_mypy_is_clean_on_the_package():
    res = _run("mypy", "journal")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_is_clean_on_the_repository():
    res = _run("ruff", "check", "journal", "tests", "benchmarks", "migrations")
    assert res.returncode == 0, res.stdout + res.stderr
