"""Wheel views across corporate actions (issue 14 §3; design corpact_design.md §8).

Each case is a fixture of tests/fixtures/corporate_actions whose leading comment works the
expected wheel views by hand: a cycle goes on through a split, a reverse split and a merger
(the product owner's rule: into the acquirer) and ends on the day of a cash merger, a
delisting or a transfer out of the last shares; contracts and shares are in post-action
units from the action's date; collateral and breakeven use the adjusted strike, multiplier
and deliverable; the summaries never count an adjustment as a sale and count an adjusted
position once in a rate.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from journal import wheel
from journal.db import open_ledger
from journal.rules import analyze
from journal.rules.types import OptionPosition
from journal.views.positions import option_row
from tests.conftest import FIXTURES

CA = FIXTURES / "corporate_actions"
D = Decimal


def _result(run, db_path, *names):
    for name in names:
        res = run("import", "-q", CA / name)
        assert res.exit_code == 0, res.output
    return analyze(open_ledger(db_path))


def _json(run, *args):
    res = run(*args, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _cycles(result):
    return [(c.cycle_id, c.underlying, c.started, c.ended, c.days, c.premium_net, c.realized,
             c.assigned) for c in result.cycles]


# -- cycles ------------------------------------------------------------------------------

def test_a_cycle_does_not_break_at_a_split(run, db_path):
    r = _result(run, db_path, "split_assigned_cc_called_away.xml")
    cid = "U9000001:NVDA:2024-04-01"
    assert _cycles(r) == [(cid, "NVDA", date(2024, 4, 1), date(2024, 8, 16), 137,
                           D("3991.75"), D("48991.75"), True)]
    assert {p.cycle_id for p in r.option_positions} == {cid}
    assert [lot.cycle_id for lot in r.lots] == [cid]


@pytest.mark.parametrize("name, cycle", [
    ("put_split_expires.xml", ("U9000001:NVDA:2024-05-20", "NVDA", date(2024, 5, 20),
                               date(2024, 6, 21), 32, D("1198.35"), D("1198.35"), False)),
    ("put_split_renamed_expires.xml", ("U9000001:AVGO:2024-06-24", "AVGO", date(2024, 6, 24),
                                       date(2024, 7, 19), 25, D("1838.35"), D("1838.35"),
                                       False)),
])
def test_a_put_adjusted_while_open_stays_one_position_in_one_cycle(run, db_path, name, cycle):
    r = _result(run, db_path, name)
    assert _cycles(r) == [cycle]
    assert [(p.contracts, p.opened_contracts, p.cycle_id) for p in r.option_positions] == [
        (D(-10), D(-1), cycle[0])]


@pytest.mark.parametrize("name, cycle, positions, lot", [
    # puts on TGTA assigned, TGTA merged into ACQR, a covered call on ACQR called away
    ("wheel_stock_merger_called_away.xml",
     ("U9000001:TGTA:2025-01-06", "ACQR", date(2025, 1, 6), date(2025, 7, 18), 193,
      D("696.10"), D("1196.10"), True),
     [("TGTA 21FEB25 60 P", D(-2)), ("ACQR 18JUL25 125 C", D(-1))],
     ("ACQR", D("11602.60"), D("11303.90"))),
    # a put on ABCD assigned, ABCD renamed WXYZ (ISIN change, .NEW leg), a call called away
    ("wheel_id_change_called_away.xml",
     ("U9000001:ABCD:2025-03-03", "WXYZ", date(2025, 3, 3), date(2025, 8, 15), 165,
      D("267.40"), D("767.40"), True),
     [("ABCD 17APR25 50 P", D(-1)), ("WXYZ 15AUG25 55 C", D(-1))],
     ("WXYZ", D("4851.30"), D("4732.60"))),
])
def test_a_cycle_goes_on_under_the_new_ticker(run, db_path, name, cycle, positions, lot):
    """One cycle (before: the first ticker's cycle never ended and the covered call began a
    second one with the shares as its baseline)."""
    r = _result(run, db_path, name)
    cid = cycle[0]
    assert _cycles(r) == [cycle]
    assert [(p.description, p.contracts, p.outcome, p.cycle_id)
            for p in r.option_positions] == [(d, n, "assigned", cid) for d, n in positions]
    # the lot keeps its cycle, so the called-away call's premium lowers its economic basis
    assert [(x.symbol, x.cycle_id, x.tax_basis, x.economic_basis) for x in r.lots] == [
        (lot[0], cid, *lot[1:])]
    assert r.flags == ()


def test_a_put_across_a_reverse_split_stays_in_its_cycle(run, db_path):
    """KLMN: the put renamed KLMN1 by a 1-for-10 reverse split and assigned; the cycle
    goes on with the 20 new shares."""
    r = _result(run, db_path, "put_reverse_split_assigned.xml")
    assert [(c.cycle_id, c.underlying, c.started, c.ended, c.assigned) for c in r.cycles] == [
        ("U9000001:KLMN:2025-03-03", "KLMN", date(2025, 3, 3), None, True)]
    assert {p.cycle_id for p in r.option_positions} == {"U9000001:KLMN:2025-03-03"}


@pytest.mark.parametrize("name, cycle", [
    # the cash merger's line is dated 2025-12-31 (its row reported in January 2026)
    ("cash_merger.xml", ("U9000001:CSHM:2025-01-13", "CSHM", date(2025, 1, 13),
                         date(2025, 12, 31), 352, D("118.35"), D("1318.35"), True)),
    # delisted on 2025-08-15: the cycle ends then, the loss is booked on 12/31 (§165(g))
    ("wheel_put_assigned_delisted.xml", ("U9000001:DEDW:2025-01-13", "DEDW",
                                         date(2025, 1, 13), date(2025, 8, 15), 214,
                                         D("38.70"), D("-461.30"), True)),
    ("wheel_put_assigned_transfer_out.xml", ("U9000001:TRFW:2025-02-03", "TRFW",
                                             date(2025, 2, 3), date(2025, 7, 1), 148,
                                             D("48.70"), D("0.00"), True)),
])
def test_the_shares_leaving_by_an_action_end_the_cycle_that_day(run, db_path, name, cycle):
    assert _cycles(_result(run, db_path, name)) == [cycle]


def test_spinoff_child_shares_are_outside_any_cycle(run, db_path):
    """The product owner's rule: the parent's cycle goes on; the child lot and its sale
    belong to no cycle."""
    r = _result(run, db_path, "wheel_spinoff_child_sold.xml")
    cid = "U9000001:PRNW:2025-01-06"
    assert _cycles(r) == [(cid, "PRNW", date(2025, 1, 6), None, (r.cycles[0].days),
                           D("198.70"), D("0.00"), True)]
    assert sorted((x.symbol, x.cycle_id) for x in r.lots) == [("CHLW", None), ("PRNW", cid)]


def test_shares_held_before_a_cycle_scale_with_a_split(run, db_path, tmp_path):
    """100 NVDA bought before the first put: the cycle's baseline. After the 10:1 split they
    are 1,000 shares; when the 10 calls take 1,000 shares away, 1,000 are left, no more
    than the scaled baseline, so the cycle ends on 2024-08-16 (before: compared with 100,
    it never ended)."""
    text = (CA / "split_assigned_cc_called_away.xml").read_text()
    first = text.index("        <Trade ")
    row = text[first:text.index("\n", first) + 1]
    buy = (row.replace('assetCategory="OPT" subCategory="P" symbol="NVDA  240419P00850000" '
                       'description="NVDA 19APR24 850 P" conid="690184500"',
                       'assetCategory="STK" subCategory="COMMON" symbol="NVDA" '
                       'description="NVIDIA CORP" conid="4815747"')
           .replace('multiplier="100" strike="850"', 'multiplier="1" strike=""')
           .replace('expiry="20240419"', 'expiry=""').replace('putCall="P"', 'putCall=""')
           .replace("20240401", "20240301").replace('quantity="-1"', 'quantity="100"')
           .replace('tradePrice="15"', 'tradePrice="800"')
           .replace('tradeMoney="-1500" proceeds="1500"', 'tradeMoney="80000" proceeds="-80000"')
           .replace('netCash="1498.35"', 'netCash="-80001.65"')
           .replace('cost="-1498.35"', 'cost="80001.65"').replace('buySell="SELL"', 'buySell="BUY"')
           .replace("5101000001", "5101000099").replace("4101000001", "4101000099"))
    path = tmp_path / "held_before.xml"
    # IB's split row gives the shares added: 1,800 for the 200 held
    path.write_text((text[:first] + buy + text[first:]).replace('quantity="900"',
                                                               'quantity="1800"'))
    assert run("import", "-q", path).exit_code == 0
    r = analyze(open_ledger(db_path))
    assert [(c.started, c.ended) for c in r.cycles] == [(date(2024, 4, 1), date(2024, 8, 16))]
    assert sorted((lot.quantity, lot.remaining) for lot in r.lots) == [
        (D(1000), D(0)), (D(1000), D(1000))]
    assert not {f.code for f in r.flags} & {"CORPORATE_ACTION_MISMATCH"}


# -- positions: post-action units, collateral and breakeven -------------------------------

def _options(run, day):
    return [(p["description"], D(p["quantity"]), D(p["strike"]), D(p["collateral"]),
             D(p["breakeven"])) for p in _json(run, "positions", "--as-of", day)
            if p["kind"] == "short option"]


def test_positions_are_in_post_split_units_from_the_action_date(run, db_path):
    _result(run, db_path, "put_split_expires.xml")
    # before the split: 1 x 900 P; after it: 10 x 90 P, the same collateral (design §9.2)
    assert _options(run, "2024-06-06") == [
        ("NVDA 21JUN24 900 P", D(-1), D(900), D("90000.00"), D("888.0165"))]
    # the split's day counts after it (20:25, after the close)
    for day in ("2024-06-07", "2024-06-10"):
        assert _options(run, day) == [
            ("NVDA 21JUN24 90 P", D(-10), D(90), D("90000.00"), D("88.8016"))]
    status = _json(run, "status", "--as-of", "2024-06-10")
    assert [(o["description"], D(o["quantity"]), D(o["collateral"]), D(o["breakeven"]))
            for o in status["open_options"]] == [
        ("NVDA 21JUN24 90 P", D(-10), D("90000.00"), D("88.8016"))]


def test_shares_are_in_post_split_units_from_the_action_date(run, db_path):
    _result(run, db_path, "split_assigned_cc_called_away.xml")
    lots = [(D(p["quantity"]), D(p["tax_basis"]))
            for p in _json(run, "positions", "--as-of", "2024-06-10") if p["kind"] == "stock"]
    assert lots == [(D(1000), D("83501.65"))]
    before = [D(p["quantity"]) for p in _json(run, "positions", "--as-of", "2024-06-06")
              if p["kind"] == "stock"]
    assert before == [D(100)]


def test_breakeven_uses_the_deliverable_and_collateral_the_multiplier():
    """KLMN 1-for-10 reverse split (design §9.4): 2 puts, strike 3, multiplier 100, net
    premium 68.70; the deliverable goes from 100 to 10 shares a contract."""
    assert wheel.position_breakeven(D(3), D("68.70"), D(-2), "P", D(100), D(100)) == \
        D("2.6565")
    assert wheel.position_breakeven(D(3), D("68.70"), D(-2), "P", D(100), D(10)) == \
        D("26.565")
    # without an adjustment it is the strike less the premium per share, as before
    assert wheel.position_breakeven(D(90), D("1198.35"), D(-10), "P") == \
        wheel.breakeven(D(90), wheel.premium_per_share(D("1198.35"), D(-10)), "P")
    assert wheel.position_breakeven(D(130), D("2493.40"), D(-10), "C") == D("132.4934")
    p = OptionPosition("U1", "1", "KLMN1 16MAY25 3 P", "KLMN", "P", D(3), date(2025, 5, 16),
                       D(100), D(-2), date(2025, 3, 3), None, None, D("68.70"), D(0),
                       deliverable=D(10))
    row = option_row(p, date(2025, 4, 10))
    assert (row["collateral"], row["breakeven"]) == (D("600.00"), D("26.5650"))


def test_an_assignment_tells_the_deliverable(run, db_path):
    """Shares delivered per contract come from the stock leg when it differs from the
    multiplier; a normal assignment leaves it None (= the multiplier)."""
    r = _result(run, db_path, "split_assigned_cc_called_away.xml")
    assert [(p.description, p.deliverable) for p in r.option_positions] == [
        ("NVDA 19APR24 850 P", None), ("NVDA 16AUG24 130 C", None)]


# -- summaries ------------------------------------------------------------------------------

def _month(rows, month):
    return next(r for r in rows if r["month"] == month)


def test_the_monthly_summary_never_counts_an_adjustment_as_a_sale(run, db_path):
    _result(run, db_path, "put_split_expires.xml")
    rows = _json(run, "summary", "--monthly")
    may, june = _month(rows, "2024-05"), _month(rows, "2024-06")
    assert (may["puts_sold_contracts"], may["premium_net"]) == ("1", "1198.35")
    # the split on 2024-06-07 sells nothing; the expiry counts its post-split contracts
    assert (june["puts_sold_contracts"], june["premium_net"], june["expired"],
            june["realized_gain"], june["win_rate"]) == ("0", "0.00", "10", "1198.35",
                                                          "100.00")


def test_the_merger_month_counts_nothing(run, db_path):
    _result(run, db_path, "wheel_stock_merger_called_away.xml")
    rows = _json(run, "summary", "--monthly")
    got = {m: (r["puts_sold_contracts"], r["calls_sold_contracts"], r["assigned"],
               r["called_away"], r["realized_gain"])
           for m in ("2025-01", "2025-02", "2025-05", "2025-06", "2025-07")
           for r in (_month(rows, m),)}
    assert got == {"2025-01": ("2", "0", "0", "0", "0.00"),
                   "2025-02": ("0", "0", "2", "0", "0.00"),
                   "2025-05": ("0", "0", "0", "0", "0.00"),
                   "2025-06": ("0", "1", "0", "0", "0.00"),
                   "2025-07": ("0", "0", "0", "1", "1196.10")}


@pytest.mark.parametrize("name, month, gain", [
    ("cash_merger.xml", "2025-12", "1318.35"),  # reported in January 2026
    ("stock_merger_boot.xml", "2025-05", "3000.00"),
    ("wheel_put_assigned_delisted.xml", "2025-12", "-461.30"),
    ("reverse_split_cash_in_lieu.xml", "2025-03", "-5.03"),
])
def test_an_action_born_line_counts_in_the_month_of_its_date(run, db_path, name, month, gain):
    _result(run, db_path, name)
    row = _month(_json(run, "summary", "--monthly"), month)
    assert (D(row["realized_gain"]).quantize(D("0.01")), row["win_rate"]) == (D(gain), None)


def test_a_rate_counts_an_adjusted_position_once(run, db_path):
    """One ledger, two NVDA puts: 1 x 850 P assigned in April, 1 x 900 P adjusted to
    10 x 90 P by the split and expired in June. Two puts closed, one assigned: 50 %
    (before: 1 of 11 contracts, 9.09 %). The listing still shows what closed: 11 puts
    closed, 1 assigned."""
    _result(run, db_path, "split_assigned_cc_called_away.xml", "put_split_expires.xml")
    (nvda,) = [r for r in _json(run, "review") if r["section"] == "underlying"]
    assert (nvda["closed_puts"], nvda["assigned"], nvda["assignment_rate"]) == (
        "11", "1", "50.00")


def test_a_win_rate_counts_an_adjusted_position_once():
    """A month with an adjusted put won (10 contracts after a 10:1 split, opened as 1) and a
    put lost (1 contract): one position of two won, 50 % (before: 10 of 11, 90.91 %)."""
    from journal import review
    from journal.rules.types import RealizedEvent, RuleResult

    def pos(tx, n, opened, close_tx):
        return OptionPosition("A", tx, f"P {tx}", "XYZ", "P", D(10), date(2025, 1, 17),
                              D(100), D(n), date(2025, 1, 2), date(2025, 1, 17), "expired",
                              D(100), D(0), tx, close_tx, None, None, opened)

    def line(tx, n, proceeds, cost, close_tx):
        return RealizedEvent("A", f"{n} P {tx}", "XYZ", "OPT", D(n), date(2025, 1, 2),
                             date(2025, 1, 17), D(proceeds), D(cost), "", D(0),
                             D(proceeds) - D(cost), "ST", 2025, "expired",
                             closing_transaction_id=close_tx, lot_id=f"A:{tx}")

    result = RuleResult(option_positions=(pos("o1", -10, D(-1), "c1"), pos("o2", -1, None,
                                                                            "c2")),
                        realized=(line("o1", 10, "100", "0", "c1"),
                                  line("o2", 1, "100", "300", "c2")))
    (jan,) = review.summary([], result, period="month", as_of=date(2025, 1, 31))
    assert jan["win_rate"] == D("50.00")


def test_the_cycle_timeline_reads_in_the_units_of_each_day(run, db_path):
    """The assignment in the shares and ticker of its day, then the action that changed
    them, then what followed in post-action units."""
    from journal.views.timeline import timeline

    r = _result(run, db_path, "wheel_stock_merger_called_away.xml")
    rows = [(x["date"], x["event"], x["description"], x["quantity"])
            for x in timeline(r, r.cycles[0]).rows]
    assert rows == [
        (date(2025, 1, 6), "sold put", "TGTA 21FEB25 60 P", D(-2)),
        (date(2025, 2, 21), "assigned", "TGTA 21FEB25 60 P", D(2)),
        (date(2025, 2, 21), "shares (later merged)", "TGTA", D(200)),
        (date(2025, 5, 20), "stock merger", "2:1 TGTA → ACQR", D(-100)),
        (date(2025, 6, 2), "sold call", "ACQR 18JUL25 125 C", D(-1)),
        (date(2025, 7, 18), "called away", "ACQR 18JUL25 125 C", D(1)),
        (date(2025, 7, 18), "shares called away", "100 ACQR", D(-100))]


def test_shares_sold_before_a_split_count_in_post_split_units_in_the_review():
    """A lot of 100 sh (1,000 after the 10:1 split of 2024-06-07): 50 sold on 2024-05-15
    are 500 of its post-split shares, the other 500 sold on 2024-08-16 close it (before:
    1,000 - 50 - 500 left 450 phantom shares held for ever)."""
    from journal import review
    from journal.rules.types import LotAction, RealizedEvent, RuleResult, StockLot

    lot = StockLot("L", "A", "NVDA", D(1000), D(0), date(2024, 4, 19), date(2024, 4, 19),
                   D("83501.65"), D("83501.65"), D(0), "put_assignment", None, False,
                   (LotAction(date(2024, 6, 7), "split", D(100), D(1000), D("83501.65"),
                              D("83501.65"), ratio="10:1"),))

    def sale(n, day):
        return RealizedEvent("A", f"{n} NVDA", "NVDA", "STK", D(n), date(2024, 4, 19), day,
                             D(1), D(1), "", D(0), D(0), "ST", 2024, "stock_sale", lot_id="L")

    result = RuleResult(lots=(lot,), realized=(sale(50, date(2024, 5, 15)),
                                               sale(500, date(2024, 8, 16))))
    (span,) = review.prepare([], result).spans(date(2024, 12, 31))
    assert span.segments == ((date(2024, 4, 19), date(2024, 5, 15), D(1000)),
                             (date(2024, 5, 15), date(2024, 8, 16), D(500)))


def test_a_mergers_cash_is_no_disposal_of_shares_in_the_review(run, db_path):
    """stock_merger_boot: 300 TGTA (2024-03-01) became 150 ACQR with 3,000.00 cash on
    2025-05-20 and were sold on 2025-06-16: 472 days in stock, TGTA's through the merger's
    day (446), ACQR's after it (26). Before: the boot line ended them at the merger, all
    under ACQR (445, TGTA 0)."""
    _result(run, db_path, "stock_merger_boot.xml")
    rows = {r["underlying"]: r for r in _json(run, "review") if r["section"] == "underlying"}
    assert (rows["TGTA"]["days_in_stock"], rows["ACQR"]["days_in_stock"]) == (446, 26)


def test_by_close_date_splits_a_sale_over_its_adjusted_pieces():
    """1 put sold for 100.00, 10 after a 10:1 split: 4 bought back on 2025-01-10 and 6
    expired on 2025-01-17. By close date the sale's contract and premium go 0.4 / 40.00 and
    0.6 / 60.00 (before: the first piece, 4 post-split contracts, took the whole sale)."""
    from journal import periods
    from journal.review import OptionFact
    from journal.rules.types import RuleResult

    def pos(n, opened, closed, outcome):
        return OptionPosition("A", "c", "XYZ 17JAN25 10 P", "XYZ", "P", D(10),
                              date(2025, 1, 17), D(100), D(n), date(2025, 1, 2), closed,
                              outcome, D(0), D(0), "o1", f"x{n}", None, None, D(opened))

    result = RuleResult(option_positions=(pos(-4, "-0.4", date(2025, 1, 10), "bought_to_close"),
                                          pos(-6, "-0.6", date(2025, 1, 17), "expired")))
    sale = OptionFact("A", "XYZ", "o1", date(2025, 1, 2), "P", "sold", D(1), D(100), D(100))
    got = [(f.day, f.contracts, f.net) for f in periods.attribute([sale], result, "close")]
    assert got == [(date(2025, 1, 10), D("0.4"), D("40.0")),
                   (date(2025, 1, 17), D("0.6"), D("60.0"))]
