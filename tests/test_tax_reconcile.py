"""Reconciliation with IB's fifoPnlRealized on hand-built rows: each reason code fires for
the difference it explains, and what fits no reason stays UNEXPLAINED."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from test_tax_report import ev

from journal.reconcile import ClosingExecution, reconcile
from journal.rules.types import OptionPosition, RuleResult

D = Decimal


def ex(tx, day, desc, cat, qty, ib, *, notes="", oc="C", comm="0", cost=None, acct="U1",
       und="MSFT"):
    return ClosingExecution(acct, tx, day, desc, cat, und, D(qty),
                            None if ib is None else D(ib), D(comm),
                            None if cost is None else D(cost), notes, oc)


def pos(close_tx, outcome, put_call, premium, *, stock_tx=None, closed=date(2025, 12, 19)):
    return OptionPosition("U1", None, "1 MSFT 19DEC25 420 C", "MSFT", put_call, D(420),
                          closed, D(100), D(-1), date(2025, 11, 24), closed, outcome, D(premium),
                          D(0), close_transaction_id=close_tx, stock_leg_transaction_id=stock_tx)


def scenario():
    d = date(2025, 12, 19)
    evs = (
        ev("100 sh MSFT", date(2025, 11, 21), d, "42298.35", "40791.65", tx="stk-call"),
        ev("100 sh MSFT", date(2025, 6, 2), date(2025, 11, 10), "40500.00", "45000.00",
           code="W", adj="4500.00", tx="wash"),
        ev("1 KO 21NOV25 67.5 P", date(2025, 9, 1), date(2025, 10, 1), "93.95", "21.05",
           kind="bought_to_close", cat="OPT", qty="1", tx="comm", underlying="KO"),
        ev("1 MSFT 21NOV25 410 P", date(2025, 10, 20), date(2025, 11, 7), "208.35", "51.65",
           kind="bought_to_close", cat="OPT", qty="1", tx="match"),
        ev("100 sh AMD", date(2025, 1, 2), date(2025, 5, 2), "1000.00", "900.00", tx="odd"),
        ev("100 sh AMD", date(2025, 1, 2), date(2025, 5, 3), "50.00", "40.00", tx="nope"),
        ev("1 SPX 16JAN26 P", date(2025, 12, 10), date(2025, 12, 31), "998.35", "400.00",
           kind="mark_to_market", cat="OPT", qty="1", s1256=True, underlying="SPX"),
        ev("1 SPX 16JAN26 P", date(2025, 12, 31), date(2026, 1, 5), "400.00", "601.65",
           kind="bought_to_close", cat="OPT", qty="1", s1256=True, underlying="SPX",
           tx="spx-close"),
    )
    positions = (
        pos("opt-call", "assigned", "C", "298.35", stock_tx="stk-call"),
        pos("opt-put", "assigned", "P", "208.35", closed=date(2025, 11, 21)),
    )
    execs = [
        ex("opt-call", d, "MSFT 19DEC25 420 C", "OPT", "1", "0", notes="A"),
        ex("stk-call", d, "MSFT", "STK", "-100", "1208.35", notes="A", cost="-40791.65"),
        # IB realizing the put premium on the option leg of an assignment
        ex("opt-put", date(2025, 11, 21), "MSFT 21NOV25 410 P", "OPT", "1", "208.35",
           notes="A"),
        ex("wash", date(2025, 11, 10), "MSFT", "STK", "-100", "-4500", cost="-45000"),
        ex("comm", date(2025, 10, 1), "KO 21NOV25 67.5 P", "OPT", "1", "74.00", comm="-1.10",
           und="KO"),
        ex("match", date(2025, 11, 7), "MSFT 21NOV25 410 P", "OPT", "1", "156.70"),
        ex("odd", date(2025, 5, 2), "AMD", "STK", "-100", "90.00", und="AMD"),
        ex("noib", date(2025, 5, 2), "AMD", "STK", "-100", None, und="AMD"),
        ex("opening", date(2025, 5, 2), "AMD", "STK", "100", "0", oc="O", und="AMD"),
        ex("spx-close", date(2026, 1, 5), "SPX 16JAN26 P", "OPT", "1", "396.70", und="SPX"),
    ]
    return RuleResult(option_positions=positions, realized=evs), execs


def test_each_difference_gets_its_reason():
    res, execs = scenario()
    rec = reconcile(res, execs, 2025)
    by = {ln.transaction_id: ln for ln in rec.lines}
    assert "opening" not in by  # not a closing row
    assert by["match"].status == "match" and by["match"].difference == 0
    assert by["opt-call"].status == "match"
    assert by["stk-call"].reasons == (("ASSIGNMENT_PREMIUM", D("298.35")),)
    assert by["opt-put"].reasons == (("ASSIGNMENT_PREMIUM", D("-208.35")),)
    assert by["wash"].reasons == (("WASH_SALE", D("4500.00")),)
    assert by["comm"].reasons == (("COMMISSION", D("-1.10")),)
    assert by["comm"].difference == D("-1.10")
    odd = by["odd"]
    assert (odd.status, odd.unexplained, odd.reasons) == ("unexplained", D("10.00"), ())
    assert by["noib"].status == "no_ib_figure"
    nope = by["nope"]  # realized by us, no IB row at all
    assert (nope.status, nope.reasons) == ("unexplained", (("NO_IB_ROW", D("10.00")),))
    mtm = [ln for ln in rec.lines if ln.transaction_id is None]
    assert [ln.reasons for ln in mtm] == [(("SECTION_1256_MTM", D("598.35")),)]
    assert rec.unexplained_total == D("20.00")
    assert {ln.transaction_id for ln in rec.unexplained} == {"odd", "nope"}
    # Totals tie out: ours − IB = explained + unexplained.
    assert rec.difference == rec.explained_total + rec.unexplained_total
    assert rec.ib_total == D("0") + D("1208.35") + D("208.35") + D("-4500") + D("74.00") + \
        D("156.70") + D("90.00")
    assert "spx-close" not in by  # a 2026 row


def test_section_1256_close_after_a_year_end_mark():
    res, execs = scenario()
    rec = reconcile(res, execs, 2026)
    (line,) = [ln for ln in rec.lines if ln.transaction_id == "spx-close"]
    # ours −201.65 (from the 12/31 mark), IB 396.70 (from the premium): 598.35 taken in 2025
    assert line.difference == D("-598.35")
    assert line.reasons == (("SECTION_1256_MTM", D("-598.35")),)


def test_account_filter():
    res, execs = scenario()
    rec = reconcile(res, execs, 2025, accounts=["U9"])
    assert rec.lines == () and rec.ib_total == 0


def test_loss_carried_into_a_replacement_option_is_pro_rata():
    from journal.rules.types import WashSale

    close = ev("1 MSTR 28MAR25 410 C", date(2025, 2, 25), date(2025, 3, 6), "222.29",
               "1805.23", kind="bought_to_close", cat="OPT", qty="1", tx="c1", lot="L.2",
               underlying="MSTR")
    wash = WashSale("U1", "MSTR 28MAR25 410 C", "loss", date(2025, 3, 6), "U1", "open",
                    date(2025, 2, 25), D(2), D("100.00"), True, 2025, replacement_lot_id="L.2")
    res = RuleResult(realized=(close,), wash_sales=(wash,))
    # IB's P/L does not carry the disallowed loss: ours is lower by this lot's half of it.
    execs = [ex("c1", date(2025, 3, 6), "MSTR 28MAR25 410 C", "OPT", "1", "-1532.94",
                und="MSTR")]
    (line,) = reconcile(res, execs, 2025).lines
    assert line.difference == D("-50.00")
    assert line.reasons == (("WASH_SALE_BASIS", D("-50.00")),)


def test_row_ib_books_as_opening_but_we_realized_is_listed():
    sold = ev("8 MSTR 17OCT25 290 C", date(2025, 9, 1), date(2025, 10, 17), "1997.13", "0",
              kind="sold_to_close", cat="OPT", qty="8", tx="o1", underlying="MSTR")
    execs = [ex("o1", date(2025, 10, 17), "MSTR 17OCT25 290 C", "OPT", "-8", "0", oc="O",
                und="MSTR")]
    rec = reconcile(RuleResult(realized=(sold,)), execs, 2025)
    (line,) = rec.lines
    assert (line.status, line.unexplained) == ("unexplained", D("1997.13"))
    assert line.reasons == (("OPENING_AT_IB", D("1997.13")),)
    assert rec.our_total == D("1997.13") and rec.ib_total == 0


def test_the_form_8949_causes_of_a_line_are_the_reasons_it_reconciles_with():
    """A sale whose basis is 300.00 above IB's: 200.00 a loss washed in another account
    (B, WASH_SALE_BASIS) and 100.00 another lot relieved (B, LOT_METHOD). IB's relieved
    cost alone also explains the 300.00 (the generic LOT_METHOD candidate), yet the line
    names both causes of its code, and lists the codes."""
    from dataclasses import replace

    from journal.rules.types import Adjustment

    sale = replace(ev("100 sh XYZ", date(2025, 1, 2), date(2025, 6, 2), "1000.00", "1300.00",
                      code="B", tx="s", underlying="XYZ"),
                   broker_proceeds=D("1000.00"), broker_cost=D("1000.00"),
                   adjustments=(Adjustment("B", D("-200.00"), "WASH_SALE_BASIS"),
                                Adjustment("B", D("-100.00"), "LOT_METHOD")))
    rec = reconcile(RuleResult(realized=(sale,)),
                    [ex("s", date(2025, 6, 2), "XYZ", "STK", "-100", "0", cost="-1000",
                        und="XYZ")], 2025)
    (line,) = rec.lines
    assert (line.difference, line.status) == (D("-300.00"), "explained")
    assert sorted(line.reasons) == [("LOT_METHOD", D("-100.00")),
                                    ("WASH_SALE_BASIS", D("-200.00"))]
    assert line.form8949 == "B: B LOT_METHOD -100.00; B WASH_SALE_BASIS -200.00"
