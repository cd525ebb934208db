"""Economic basis: tax basis minus every other premium of the same wheel cycle."""

from __future__ import annotations

import json
from decimal import Decimal

from conftest import SAMPLES


def test_called_away_call_premium_lowers_the_economic_basis(run):
    run("import", SAMPLES / "wheel_2025_U7654321.xml")
    lots = {r["symbol"]: r for r in json.loads(run("lots", "--all", "--format", "json").output)}
    msft = lots["MSFT"]
    # tax basis: 410 x 100 - (210 - 1.65); the covered call's net premium (300 - 1.65) was
    # collected in the same cycle, so it comes off the economic basis only
    assert Decimal(msft["tax_basis"]) == Decimal("40791.65")
    assert Decimal(msft["economic_basis"]) == Decimal("40791.65") - Decimal("298.35")
    # a lot bought outright, outside any wheel cycle, has no other premium
    assert lots["KO"]["economic_basis"] == lots["KO"]["tax_basis"]
