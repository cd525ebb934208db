"""The review and the rules read the ledger through one read model and one vocabulary:
one test per fact they used to decide differently (issue 10 §2).

Each case is a one-put statement (tax_rules.md §9 a1: sell MSFT 410 P for 2.10, 1.65
commission, net 208.35; it expires) varied in the one attribute the two used to read
differently. The summary (premium, outcomes) and the rules (realized gain, how the
position ended) must then tell the same story.
"""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from conftest import FIXTURES

A1 = (FIXTURES / "rules" / "a1_expired.xml").read_text()


def _statement(tmp_path, name, text):
    path = tmp_path / f"{name}.xml"
    path.write_text(text)
    return path


def _json(run, *args):
    res = run(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _totals(run):
    rows = _json(run, "summary", "--yearly")
    return {k: sum(D(r[k] or 0) for r in rows) for k in (
        "puts_sold_contracts", "premium_net", "closed_early", "expired", "assigned",
        "realized_gain")}


@pytest.mark.parametrize("category", ["FSFOP", "FSOPT", "IOPT"])
def test_option_categories_are_options_for_both(run, tmp_path, category):
    # before: the review knew {OPT,FOP,FSOPT,FSFOP} and the rules {OPT,FOP,FSOPT,IOPT}, so
    # an FSFOP sale had premium but no gain, an IOPT one a gain but no premium
    text = A1.replace('assetCategory="OPT"', f'assetCategory="{category}"')
    assert run("import", "-q", _statement(tmp_path, category, text)).exit_code == 0
    t = _totals(run)
    assert (t["puts_sold_contracts"], t["expired"]) == (1, 1)
    assert t["premium_net"] == t["realized_gain"] == D("208.35")
    [ev] = _json(run, "realized")
    assert (ev["kind"], ev["gain"]) == ("expired", "208.35")


@pytest.mark.parametrize("notes,outcome", [("Ex", "exercised"), ("CD", "cash_settled")])
def test_a_short_put_closed_by_ex_or_cd_is_assigned_for_both(run, db_path, tmp_path, notes,
                                                             outcome):
    # before: the review called anything but A and Ep "closed early"; the rules read Ex as
    # an exercise and CD as a cash settlement, both delivered against the seller
    text = A1.replace('notes="Ep"', f'notes="{notes}"')
    assert run("import", "-q", _statement(tmp_path, notes, text)).exit_code == 0
    t = _totals(run)
    assert (t["closed_early"], t["expired"], t["assigned"]) == (0, 0, 1)
    from journal.db import open_ledger
    from journal.rules import analyze

    [p] = analyze(open_ledger(db_path)).option_positions
    assert p.outcome == outcome
    [shown] = _json(run, "cycles", "show", p.cycle_id)
    assert shown["outcome"] == outcome.replace("_", " ")


def test_cad_trade_in_a_usd_account_is_in_usd_for_both(run, tmp_path):
    text = A1.replace('currency="USD" fxRateToBase="1"', 'currency="CAD" fxRateToBase="0.72"')
    assert run("import", "-q", _statement(tmp_path, "cad", text)).exit_code == 0
    t = _totals(run)
    assert t["premium_net"] == t["realized_gain"] == D("208.35") * D("0.72")


def test_usd_trade_in_a_chf_account_is_in_usd_for_both(run, tmp_path):
    # before: the review multiplied by fxRateToBase (0.9: into CHF, 187.515) while the
    # rules kept the USD amount (208.35): the summary's premium and gain disagreed
    text = (A1.replace('<AccountInformation accountId="U9000001" currency="USD"',
                       '<AccountInformation accountId="U9000001" currency="CHF"')
            .replace('fxRateToBase="1"', 'fxRateToBase="0.9"'))
    assert run("import", "-q", _statement(tmp_path, "chf", text)).exit_code == 0
    t = _totals(run)
    assert t["premium_net"] == t["realized_gain"] == D("208.35")
    [grade] = _json(run, "review", "--by", "put")
    assert grade["premium"] == "2.1"  # per share in the strike's currency, as IB listed it
