"""Every real, anonymised IB statement in ../shared imports (read in place, never copied)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from journal.db import open_ledger, table_counts

from conftest import PUBLIC, public_samples

XML_FILES = public_samples("*.xml")

pytestmark = pytest.mark.skipif(not XML_FILES, reason=f"{PUBLIC} not present")


def expected_executions(path) -> int:
    """EXECUTION-level Trade rows, counted independently with ElementTree (rows of old
    queries carry no levelOfDetail at all: those are executions too)."""
    root = ET.parse(path).getroot()
    return sum(1 for t in root.iter("Trade")
               if t.get("levelOfDetail") in (None, "", "EXECUTION"))


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_public_sample_imports_exactly_once(run, db_path, path):
    res = run("import", path, "--format", "json")
    assert res.exit_code == 0, res.output + res.stderr
    out = json.loads(res.output)[0]
    expected = expected_executions(path)
    assert out["new_executions"] == expected
    assert table_counts(open_ledger(db_path))["execution"] == expected
    before = table_counts(open_ledger(db_path))
    again = json.loads(run("import", "--force", path, "--format", "json").output)[0]
    assert again["new_executions"] == 0 and again["duplicates_skipped"] == expected
    after = table_counts(open_ledger(db_path))
    after["import_batch"] -= 1
    assert after == before


def test_public_samples_exercise_the_tolerances(run):
    """The real files carry what broke other parsers; make sure we met each of them."""
    names = {p.name for p in XML_FILES}
    if "testIBFlexStatementFile01.xml" in names:
        res = run("import", next(p for p in XML_FILES if p.name == "testIBFlexStatementFile01.xml"),
                  "--format", "json")
        warnings = json.loads(res.output)[0]["warnings"]
        assert not any("orderPlacementTime" in w for w in warnings)  # catalogued since 2026
    if "StatementOfFunds.xml" in names:  # starts with a BOM
        assert next(p for p in XML_FILES if p.name == "StatementOfFunds.xml").read_bytes()[:3] == \
            b"\xef\xbb\xbf"
