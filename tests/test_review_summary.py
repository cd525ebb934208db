"""Monthly/yearly summary and per-underlying/per-cycle review on a hand-computed wheel.

The RuleResult is built by hand (what the rules layer must return for this history), so
these numbers test review.py alone, independent of the rules implementation.

History (account A, one XYZ wheel and one ABC put):
  2025-01-06 sell 1 XYZ 21FEB25 100 P @2.00, comm 1            net 199
  2025-01-20 sell 2 ABC 31JAN25 50 P @0.50, comm 2             net  98
  2025-01-31 ABC puts expire                                    gain 98
  2025-02-21 XYZ put assigned: 100 XYZ @100, basis 10000 - 199 = 9801
  2025-03-03 sell 1 XYZ 21MAR25 105 C @1.00, comm 1            net  99
  2025-03-10 buy the call back @1.50, comm 1 (cost 151)        gain -52
  2025-03-14 sell 100 XYZ @104                                  gain 10400 - 9801 = 599
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from journal import review
from journal.rules.types import OptionPosition, RealizedEvent, RuleResult, StockLot, WheelCycle
from journal.views.filters import Accounts

AS_OF = date(2025, 3, 31)


_seq = iter(range(1, 10**6))


def ex(day, asset, pc, strike, qty, price, proceeds, comm, oc, notes="", und="XYZ",
       expiry=None, tid=None, account="A"):
    """A read-model execution (amounts in USD) as the review receives it."""
    from journal import vocab
    from journal.readmodel import ExecutionRecord

    return ExecutionRecord(
        seq=next(_seq), account=account, transaction_id=tid or f"{day}-{und}-{pc}-{oc}-{qty}",
        asset_category=asset, symbol=und, underlying=und, description=f"{und} {pc}",
        conid=f"{und}{pc}{strike}", put_call=pc, strike=D(strike) if strike else None,
        expiry=expiry, multiplier=D(100) if asset == "OPT" else D(1), trade_date=day,
        date_time=None, quantity=D(qty), trade_price=D(price),
        net_cash=D(proceeds) + D(comm), cost=None, fifo_pnl=None, notes=vocab.codes(notes),
        open_close=oc, position_action_id=None, ib_order_id=None, currency="USD",
        proceeds=D(proceeds), commission=D(comm), taxes=D(0))


EXECUTIONS = [
    ex(date(2025, 1, 6), "OPT", "P", 100, -1, "2", "200", "-1", "O", expiry=date(2025, 2, 21)),
    ex(date(2025, 1, 20), "OPT", "P", 50, -2, "0.5", "100", "-2", "O", und="ABC",
       expiry=date(2025, 1, 31)),
    ex(date(2025, 1, 31), "OPT", "P", 50, 2, "0", "0", "0", "C", "Ep", und="ABC"),
    ex(date(2025, 2, 21), "OPT", "P", 100, 1, "0", "0", "0", "C", "A"),
    ex(date(2025, 2, 21), "STK", None, None, 100, "100", "-10000", "0", "O", "A"),
    ex(date(2025, 3, 3), "OPT", "C", 105, -1, "1", "100", "-1", "O", expiry=date(2025, 3, 21)),
    ex(date(2025, 3, 10), "OPT", "C", 105, 1, "1.5", "-150", "-1", "C"),
    ex(date(2025, 3, 14), "STK", None, None, -100, "104", "10400", "0", "C"),
]


def pos(und, pc, strike, n, opened, closed, outcome, prem, close_cost, cycle=None):
    return OptionPosition(account="A", conid=None, description=f"{und} {strike} {pc}",
                          underlying=und, put_call=pc, strike=D(strike), expiry=closed,
                          multiplier=D(100), contracts=D(n), opened=opened, closed=closed,
                          outcome=outcome, premium_net=D(prem), close_cost=D(close_cost),
                          cycle_id=cycle)


def realized(und, asset, qty, sold, proceeds, cost, kind, lot_id=None):
    return RealizedEvent(account="A", description=und, underlying=und, asset_category=asset,
                         quantity=D(qty), date_acquired=None, date_sold=sold,
                         proceeds=D(proceeds), cost=D(cost), adjustment_code="",
                         adjustment_amount=D(0), gain=D(proceeds) - D(cost), term="ST",
                         tax_year=sold.year, kind=kind, lot_id=lot_id)


RESULT = RuleResult(
    option_positions=(
        pos("XYZ", "P", 100, -1, date(2025, 1, 6), date(2025, 2, 21), "assigned", 199, 0, "C1"),
        pos("ABC", "P", 50, -2, date(2025, 1, 20), date(2025, 1, 31), "expired", 98, 0, "C2"),
        pos("XYZ", "C", 105, -1, date(2025, 3, 3), date(2025, 3, 10), "bought_to_close", 99,
            151, "C1"),
    ),
    lots=(StockLot(lot_id="L1", account="A", symbol="XYZ", quantity=D(100), remaining=D(0),
                   acquired=date(2025, 2, 21), holding_period_acquired=date(2025, 2, 22),
                   tax_basis=D(9801), economic_basis=D(9801), wash_sale_adjustment=D(0),
                   source="put_assignment", cycle_id="C1", open=False),),
    realized=(
        realized("ABC", "OPT", 2, date(2025, 1, 31), 98, 0, "expired"),
        realized("XYZ", "OPT", 1, date(2025, 3, 10), 99, 151, "bought_to_close"),
        realized("XYZ", "STK", 100, date(2025, 3, 14), 10400, 9801, "stock_sale", "L1"),
    ),
    cycles=(
        WheelCycle(cycle_id="C1", account="A", underlying="XYZ", started=date(2025, 1, 6),
                   ended=date(2025, 3, 14), premium_net=D(147), realized=D(547), assigned=True,
                   days=67),
        WheelCycle(cycle_id="C2", account="A", underlying="ABC", started=date(2025, 1, 20),
                   ended=date(2025, 1, 31), premium_net=D(98), realized=D(98), assigned=False,
                   days=11),
    ),
)


def by_month(rows):
    return {r["month"]: r for r in rows}


def test_monthly_keys_are_exactly_the_issue_list():
    rows = review.summary(EXECUTIONS, RESULT, as_of=AS_OF)
    assert list(rows[0]) == [
        "month", "puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
        "closed_early", "expired", "assigned", "called_away", "realized_gain", "win_rate",
        "collateral_days", "return_on_collateral_annualized", "capital_in_use",
        "cumulative_premium_net", "cumulative_realized_gain"]


def test_monthly_hand_computed():
    m = by_month(review.summary(EXECUTIONS, RESULT, as_of=AS_OF))
    assert list(m) == ["2025-01", "2025-02", "2025-03"]
    jan, feb, mar = m["2025-01"], m["2025-02"], m["2025-03"]
    assert (jan["puts_sold_contracts"], jan["calls_sold_contracts"]) == (3, 0)
    assert (jan["premium_gross"], jan["premium_net"]) == (D(300), D(297))
    assert (jan["expired"], jan["closed_early"], jan["assigned"]) == (2, 0, 0)
    assert jan["realized_gain"] == D(98)
    assert jan["win_rate"] == D("100.00")
    # XYZ 10000 × 26 days (6 Jan – 1 Feb) + ABC 10000 × 11 days (20 – 31 Jan)
    assert jan["collateral_days"] == D(370000)
    assert jan["return_on_collateral_annualized"] == D("9.67")  # 98 × 365 / 370000
    assert jan["capital_in_use"] == D(10000)  # ABC expired on the 31st; XYZ still open

    assert feb["assigned"] == 1 and feb["premium_gross"] == 0
    assert feb["realized_gain"] == 0 and feb["win_rate"] is None
    assert feb["collateral_days"] == D(200000)  # 1 – 21 Feb
    assert feb["return_on_collateral_annualized"] == D("0.00")
    assert feb["capital_in_use"] == D(9801)  # the assigned shares at tax basis

    assert (mar["calls_sold_contracts"], mar["premium_gross"], mar["premium_net"]) == (1, 100, 99)
    assert mar["closed_early"] == 1 and mar["called_away"] == 0
    assert mar["realized_gain"] == D(547)  # -52 + 599
    assert mar["win_rate"] == D("0.00")
    assert mar["collateral_days"] == 0 and mar["return_on_collateral_annualized"] is None
    assert mar["capital_in_use"] == 0
    assert mar["cumulative_premium_net"] == D(396)
    assert mar["cumulative_realized_gain"] == D(645)


def test_yearly_hand_computed():
    [y] = review.summary(EXECUTIONS, RESULT, period="year", as_of=AS_OF)
    assert y["year"] == 2025
    assert (y["puts_sold_contracts"], y["calls_sold_contracts"]) == (3, 1)
    assert (y["premium_gross"], y["premium_net"]) == (D(400), D(396))
    assert (y["closed_early"], y["expired"], y["assigned"], y["called_away"]) == (1, 2, 1, 0)
    assert y["realized_gain"] == D(645)
    assert y["win_rate"] == D("66.67")
    assert y["collateral_days"] == D(570000)
    assert y["return_on_collateral_annualized"] == D("2.95")  # 46 × 365 / 570000


def test_without_rules_only_ledger_fields():
    m = by_month(review.summary(EXECUTIONS, None, as_of=AS_OF))
    assert m["2025-01"]["premium_net"] == D(297)
    assert m["2025-03"]["cumulative_premium_net"] == D(396)
    for f in ("realized_gain", "win_rate", "collateral_days", "capital_in_use",
              "return_on_collateral_annualized", "cumulative_realized_gain"):
        assert m["2025-01"][f] is None


def test_called_away_and_account_filter():
    other = [ex(date(2025, 2, 3), "OPT", "C", 60, -1, "1", "100", "-1", "O", und="KO",
                account="B"),
             ex(date(2025, 2, 21), "OPT", "C", 60, 1, "0", "0", "0", "C", "A", und="KO",
                account="B")]
    rows = by_month(review.summary(EXECUTIONS + other, None, as_of=AS_OF))
    assert rows["2025-02"]["called_away"] == 1 and rows["2025-02"]["assigned"] == 1
    only_b = review.summary(EXECUTIONS + other, None, accounts=Accounts.of("B"), as_of=AS_OF)
    assert [r["month"] for r in only_b] == ["2025-02", "2025-03"]
    assert only_b[0]["premium_gross"] == D(100) and only_b[0]["assigned"] == 0


def test_by_underlying_hand_computed():
    rows = {r["underlying"]: r for r in review.by_underlying(EXECUTIONS, RESULT, as_of=AS_OF)}
    xyz = rows["XYZ"]
    assert (xyz["premium_gross"], xyz["premium_net"]) == (D(300), D(298))
    assert xyz["assigned"] == 1 and xyz["assignment_rate"] == D("100.00")
    assert xyz["realized_gain"] == D(547)
    assert xyz["days_in_stock"] == 21  # 21 Feb – 14 Mar
    assert xyz["collateral_days"] == D(460000)  # 10000 × 46 days
    # 547 × 365 / (460000 + 9801 × 21)
    assert xyz["return_on_collateral_annualized"] == D("29.99")
    abc = rows["ABC"]
    assert abc["assignment_rate"] == D("0.00") and abc["realized_gain"] == D(98)
    assert abc["days_in_stock"] == 0


def test_by_cycle_hand_computed():
    rows = {r["cycle_id"]: r for r in review.by_cycle(RESULT, as_of=AS_OF)}
    assert rows["C1"]["days_in_stock"] == 21 and rows["C1"]["collateral_days"] == D(460000)
    assert rows["C1"]["return_on_collateral_annualized"] == D("29.99")
    assert rows["C2"]["collateral_days"] == D(110000)
    assert rows["C2"]["return_on_collateral_annualized"] == D("32.52")  # 98 × 365 / 110000


def test_lot_without_lot_id_is_matched_fifo():
    from dataclasses import replace

    loose = replace(RESULT, realized=tuple(replace(r, lot_id=None) for r in RESULT.realized))
    m = by_month(review.summary(EXECUTIONS, loose, as_of=AS_OF))
    assert m["2025-02"]["capital_in_use"] == D(9801) and m["2025-03"]["capital_in_use"] == 0


@pytest.mark.parametrize("period,key", [("month", "2025-01"), ("year", 2025)])
def test_premium_gross_sums_to_proceeds_of_options_sold_to_open(period, key):
    rows = review.summary(EXECUTIONS, None, period=period, as_of=AS_OF)
    total = sum((r["premium_gross"] for r in rows), D(0))
    sold = sum((e.proceeds for e in EXECUTIONS
                if e.asset_category == "OPT" and e.open_close == "O" and e.quantity < 0), D(0))
    assert total == sold == D(400)


def _with_ids(result):
    """RESULT with the positions tied to EXECUTIONS' transaction ids (as the rules tie
    them), so figures can follow a position to its open or close date."""
    from dataclasses import replace

    ids = {("XYZ", "P"): ("2025-01-06-XYZ-P-O--1", "2025-02-21-XYZ-P-C-1"),
           ("ABC", "P"): ("2025-01-20-ABC-P-O--2", "2025-01-31-ABC-P-C-2"),
           ("XYZ", "C"): ("2025-03-03-XYZ-C-O--1", "2025-03-10-XYZ-C-C-1")}
    return replace(result, option_positions=tuple(
        replace(p, open_transaction_id=ids[(p.underlying, p.put_call)][0],
                close_transaction_id=ids[(p.underlying, p.put_call)][1])
        for p in result.option_positions))


def test_weekly_hand_computed():
    rows = review.summary(EXECUTIONS, RESULT, period="week", as_of=AS_OF)
    assert list(rows[0])[0] == "week"
    weeks = {r["week"]: r for r in rows}
    # Monday 6 Jan 2025 is ISO week 2; Monday 31 Mar (as_of) is week 14: all weeks listed
    assert [r["week"] for r in rows] == [f"2025-W{n:02d}" for n in range(2, 15)]
    assert (weeks["2025-W02"]["puts_sold_contracts"], weeks["2025-W02"]["premium_net"]) == (
        1, D(199))
    assert weeks["2025-W05"]["expired"] == 2 and weeks["2025-W05"]["realized_gain"] == D(98)
    assert weeks["2025-W08"]["assigned"] == 1
    # the call bought back at a loss (-52) and the shares sold (+599), both in W11
    assert weeks["2025-W11"]["realized_gain"] == D(547)
    assert weeks["2025-W11"]["win_rate"] == D("0.00")
    # XYZ put 10000 from Jan 6 to Feb 21 (46 days), ABC puts 10000 Jan 20-30 (11 days)
    assert [weeks[f"2025-W{n:02d}"]["collateral_days"] for n in range(2, 9)] == [
        70000, 70000, 140000, 110000, 70000, 70000, 40000]
    assert sum(r["collateral_days"] for r in rows) == 570000


def test_attribution_by_open_date():
    m = by_month(review.summary(EXECUTIONS, _with_ids(RESULT), by_date="open", as_of=AS_OF))
    # the XYZ put (sold in January) ended in an assignment in February: counted in January
    assert (m["2025-01"]["assigned"], m["2025-02"]["assigned"]) == (1, 0)
    # the shares were bought in February (assignment) and sold in March: their 599 in Feb
    assert m["2025-02"]["realized_gain"] == D(599)
    assert m["2025-03"]["realized_gain"] == D(-52) and m["2025-01"]["realized_gain"] == D(98)
    # premium stays on the sale date
    assert m["2025-01"]["premium_net"] == D(297)


def test_attribution_by_close_date():
    m = by_month(review.summary(EXECUTIONS, _with_ids(RESULT), by_date="close", as_of=AS_OF))
    # the XYZ put sold on 6 Jan closed on 21 Feb: its premium lands in February
    assert (m["2025-01"]["puts_sold_contracts"], m["2025-01"]["premium_net"]) == (2, D(98))
    assert (m["2025-02"]["puts_sold_contracts"], m["2025-02"]["premium_net"]) == (1, D(199))
    assert m["2025-03"]["premium_net"] == D(99)
    # outcomes and gains are on the close date as by default
    default = by_month(review.summary(EXECUTIONS, RESULT, as_of=AS_OF))
    for month in m:
        for f in ("assigned", "expired", "closed_early", "realized_gain", "collateral_days"):
            assert m[month][f] == default[month][f], (month, f)


def test_close_attribution_leaves_open_positions_out_and_splits_partial_closes():
    from dataclasses import replace

    sold = ex(date(2025, 1, 6), "OPT", "P", 100, -3, "1", "300", "-3", "O",
              expiry=date(2025, 3, 21), tid="S3")
    buy = ex(date(2025, 2, 10), "OPT", "P", 100, 1, "0.5", "-50", "-1", "C", tid="B1")
    pieces = (
        pos("XYZ", "P", 100, -1, date(2025, 1, 6), date(2025, 2, 10), "bought_to_close", 99,
            51),
        pos("XYZ", "P", 100, -2, date(2025, 1, 6), None, None, 198, 0),
    )
    pieces = (replace(pieces[0], open_transaction_id="S3", close_transaction_id="B1"),
              replace(pieces[1], open_transaction_id="S3"))
    rows = by_month(review.summary([sold, buy], RuleResult(option_positions=pieces),
                                   by_date="close", as_of=AS_OF))
    # one contract closed in February carries a third of the premium; two are still open
    assert rows["2025-02"]["puts_sold_contracts"] == 1
    assert rows["2025-02"]["premium_gross"] == D(100) and rows["2025-02"]["premium_net"] == D(99)
    assert sum(r["puts_sold_contracts"] for r in rows.values()) == 1


def test_period_sums_equal_adding_every_value_in_order():
    """Frame._sum adds values per day before pandas groups them per period: the sums
    must be those of adding every value of the period in the order given, digit for
    digit — the exponent (2.50 stays 2.50, not 2.5) and the sign of a zero included."""
    from journal.periods import Frame

    days = [date(2025, 1, 3), date(2025, 1, 3), date(2025, 1, 20), date(2025, 2, 4),
            date(2025, 2, 4), date(2025, 3, 10), date(2025, 3, 10), date(2025, 1, 3)]
    values = [D("1.5"), D("1.00"), D("-2.5"), D("-0"), D("-0.00"), D("0.10"), D("-0.1"),
              D("7")]
    frame = Frame(date(2025, 1, 1), date(2025, 4, 30), "month")
    got = frame._sum(days, {"v": values})["v"]

    def by_hand(month: int):
        terms = [v for d, v in zip(days, values) if d.month == month]
        total = terms[0] if terms else D(0)
        for v in terms[1:]:
            total += v
        return total

    expected = [by_hand(m) for m in (1, 2, 3, 4)]
    assert [str(v) for v in got] == [str(v) for v in expected]
    assert [str(v) for v in got] == ["7.00", "-0.00", "0.00", "0"]


def test_underlying_counts_equal_pandas_grouping_every_fact():
    """counts_by_underlying adds each underlying's values in plain Python before pandas
    groups them: the sums must be those pandas gives grouping a row per fact (its grouped
    sum of an object column starts from the first value and adds in row order), digit for
    digit, the exponent and the sign of a zero included, opening units too."""
    import pandas as pd

    from journal.periods import RATE_COUNTS, UNDERLYING_COUNTS, counts_by_underlying
    from journal.review import OptionFact

    class Halves:  # every close counts half a position (a 2:1 adjustment)
        def closed_by(self, account, transaction_id):
            return D("0.5")

    kinds = ["sold", "assigned", "sold", "called_away", "expired", "sold", "assigned",
             "sold", "assigned"]
    facts = [OptionFact("U1", u, f"T{i}", date(2025, 1, 1 + i), pc, kind, n, g, net)
             for i, (u, pc, kind, n, g, net) in enumerate(zip(
                 ["XYZ", "ABC", "XYZ", "ABC", "XYZ", "ABC", "XYZ", "QQQ", "QQQ"],
                 ["P", "P", "C", "C", "P", "P", "P", "P", "P"], kinds,
                 [D("1"), D("-0"), D("2.0"), D("1"), D("-0.00"), D("3"), D("1.50"), D("-0"),
                  D("-0.0")],
                 [D("1.5"), D("-0"), D("0.10"), D("-0.00"), D("2.50"), D("-0.1"), D("7"),
                  D("-0.00"), D("-0")],
                 [D("1.00"), D("-0.00"), D("-2.5"), D("0"), D("0.10"), D("-0.1"), D("-0"),
                  D("-0"), D("-0.000")]))]

    def one_row_per_fact(units):
        w = [units.closed_by(f.account, f.transaction_id) if units is not None
             and f.kind != "sold" else D(1) for f in facts]
        zero = D(0)
        cols = {
            "puts_sold_contracts": [f.contracts if f.kind == "sold" and f.put_call == "P"
                                    else zero for f in facts],
            "calls_sold_contracts": [f.contracts if f.kind == "sold" and f.put_call != "P"
                                     else zero for f in facts],
            "premium_gross": [f.gross for f in facts],
            "premium_net": [f.net for f in facts],
            "closed_puts": [f.contracts if f.kind != "sold" and f.put_call == "P" else zero
                            for f in facts],
            "assigned": [f.contracts if f.kind == "assigned" else zero for f in facts],
            "called_away": [f.contracts if f.kind == "called_away" else zero for f in facts],
            "closed_put_positions": [f.contracts * x if f.kind != "sold" and f.put_call == "P"
                                     else zero for f, x in zip(facts, w)],
            "assigned_positions": [f.contracts * x if f.kind == "assigned" else zero
                                   for f, x in zip(facts, w)],
        }
        df = pd.DataFrame({"underlying": [f.underlying for f in facts],
                           **{k: pd.Series(v, dtype=object) for k, v in cols.items()}})
        sums = df.groupby("underlying").sum()
        return {u: {k: str(sums.at[u, k]) for k in UNDERLYING_COUNTS + RATE_COUNTS}
                for u in sums.index}

    for units in (None, Halves()):
        got = {u: {k: str(v) for k, v in row.items()}
               for u, row in counts_by_underlying(facts, units).items()}
        assert got == one_row_per_fact(units)
        assert list(got) == ["ABC", "QQQ", "XYZ"]
        assert got["QQQ"]["premium_gross"] == "-0.00"  # a sum of negative zeros stays one
    assert counts_by_underlying([]) == {}
