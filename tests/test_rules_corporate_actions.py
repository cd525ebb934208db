"""Corporate actions and transfers in the rules (tax_rules.md §10, issue 14): each fixture
of tests/fixtures/corporate_actions gives the lots and Form 8949 lines worked by hand in
its leading comment (and in the design's §9); every action the rules do not apply yet
raises a flag naming it, so a tax year is never quietly wrong."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from journal.db import open_ledger
from journal.rules import analyze
from tests.conftest import PUBLIC, requires_public
from tests.corpact_support import CA
from tests.corpact_support import cents as _c
from tests.corpact_support import lines as _lines
from tests.corpact_support import result_of as _result

D = Decimal


def _lots(result, symbol: str) -> list[tuple]:
    """(shares, remaining, acquired, tax basis) of every lot of the symbol."""
    return sorted((lot.quantity, lot.remaining, lot.acquired, _c(lot.tax_basis))
                  for lot in result.lots if lot.symbol == symbol)


def _codes(result) -> set[str]:
    return {f.code for f in result.flags}


# -- forward split (IRC §305(a), §307(a), §1223(5)) -------------------------------------

def test_split_assigned_lot_then_covered_calls_called_away(run, db_path):
    r = _result(run, db_path, CA / "split_assigned_cc_called_away.xml")
    # before the split: 100 sh, 83,501.65; after: 1,000 sh, the same basis and date
    assert _lots(r, "NVDA") == [(D(1000), D(0), date(2024, 4, 19), D("83501.65"))]
    assert _lines(r, 2024) == [
        ("1000 NVDA", date(2024, 4, 19), date(2024, 8, 16), D("132493.40"), D("83501.65"),
         "", D("0.00"), D("48991.75"), "ST")]
    assert r.flags == ()


def test_split_from_the_activity_csv(run, db_path):
    r = _result(run, db_path, CA / "split_assigned_cc_called_away.csv")
    assert _lines(r, 2024) == [
        ("1000 NVDA", date(2024, 4, 19), date(2024, 8, 16), D("132493.40"), D("83501.65"),
         "", D("0.00"), D("48991.75"), "ST")]
    assert "MISSING_OPENING_LOT" not in _codes(r)


def test_put_open_across_a_split_with_ibs_option_row(run, db_path):
    r = _result(run, db_path, CA / "put_split_expires.xml")
    # -1 x 900 P becomes -10 x 90 P: premium and open date carried, not a close (§1234(b))
    assert _lines(r) == [("10 NVDA 21JUN24 90 P", date(2024, 5, 20), date(2024, 6, 21),
                          D("1198.35"), D("0.00"), "", D("0.00"), D("1198.35"), "ST")]
    (pos,) = r.option_positions
    assert (pos.contracts, pos.strike, pos.opened) == (D(-10), D(90), date(2024, 5, 20))
    assert r.flags == ()


def test_put_renamed_by_occ_without_any_row_is_inferred(run, db_path):
    r = _result(run, db_path, CA / "put_split_renamed_expires.xml")
    assert _lines(r) == [("10 AVGO 19JUL24 150 P", date(2024, 6, 24), date(2024, 7, 19),
                          D("1838.35"), D("0.00"), "", D("0.00"), D("1838.35"), "ST")]
    (flag,) = r.flags
    assert flag.code == "OPTION_ADJUSTED" and "10:1 adjustment inferred" in flag.message


def test_an_adjustment_that_cannot_be_inferred_is_flagged(run, db_path, tmp_path):
    # the same row with strike 1000 instead of 150: 1500/1000 is no whole-number split
    text = (CA / "put_split_renamed_expires.xml").read_text()
    path = tmp_path / "odd.xml"
    path.write_text(text.replace('strike="150"', 'strike="1000"'))
    r = _result(run, db_path, path)
    assert "OPTION_ADJUSTMENT_UNKNOWN" in _codes(r)


# -- reverse split and cash in lieu (§368(a)(1)(E), §358, §1036; Rev. Rul. 66-365) --------

def test_reverse_split_with_old_leg_and_cash_in_lieu(run, db_path):
    r = _result(run, db_path, CA / "reverse_split_cash_in_lieu.xml")
    # lot A 150 sh 601.00 -> 15 sh; lot B 205 sh 411.00 -> 20.5 sh; 0.5 sh of A for cash
    assert _lots(r, "XYZ") == [(D(15), D(0), date(2024, 1, 10), D("601.00")),
                               (D("20.5"), D(0), date(2025, 1, 15), D("411.00"))]
    assert _lines(r, 2025) == [
        ("0.5 XYZ (cash in lieu)", date(2024, 1, 10), date(2025, 3, 14), D("15.00"),
         D("20.03"), "", D("0.00"), D("-5.03"), "LT"),
        ("14.5 XYZ", date(2024, 1, 10), date(2025, 4, 15), D("463.59"), D("580.97"), "",
         D("0.00"), D("-117.38"), "LT"),
        ("20.5 XYZ", date(2025, 1, 15), date(2025, 4, 15), D("655.41"), D("411.00"), "",
         D("0.00"), D("244.41"), "ST")]
    assert sum(e.gain for e in r.realized) == D("122.00")
    assert r.flags == ()


# -- ISIN/ticker change (§1036, §1223(1)): lots carry over, wash identity follows ----------

def test_isin_change_carries_lots_and_the_wash_sale_follows_the_security(run, db_path):
    r = _result(run, db_path, CA / "id_change_sale.xml")
    # L1's loss (402.00, sold as ABCD) is washed by L3, bought 21 days later as WXYZ (the
    # same security after the change); L2 carried over and sold as WXYZ
    lines = _lines(r, 2025)
    assert [ln[:5] + ln[6:] for ln in lines] == [
        ("100 ABCD", date(2025, 3, 3), date(2025, 6, 10), D("4599.00"), D("5001.00"),
         D("402.00"), D("0.00"), "ST"),
        ("100 WXYZ", date(2025, 4, 1), date(2025, 8, 15), D("5199.50"), D("4801.00"),
         D("0.00"), D("398.50"), "ST"),
        ("100 WXYZ", date(2025, 7, 1), date(2025, 8, 15), D("5199.50"), D("5103.00"),
         D("0.00"), D("96.50"), "ST")]
    assert lines[0][5] == "W"
    assert lines[2][5] == "B"  # IB does not carry the wash across the CUSIP change (§3.8)
    assert sum(e.gain for e in r.realized) == D("495.00")
    l3 = next(lot for lot in r.lots if lot.acquired == date(2025, 7, 1))
    assert (l3.holding_period_acquired, l3.wash_sale_adjustment) == (date(2025, 3, 24),
                                                                     D("402.00"))
    assert r.flags == ()


# -- stock merger with boot (§354, §356, §358, §1223(1)) and spinoff (§355, §358(b)-(c)) --

def test_stock_merger_with_cash_recognizes_gain_up_to_the_boot(run, db_path):
    r = _result(run, db_path, CA / "stock_merger_boot.xml")
    # 300 TGTA 18,001.00 -> 150 ACQR, basis 18,001.00 - 3,000.00 + 3,000.00, date tacked
    assert _lots(r, "ACQR") == [(D(150), D(0), date(2024, 3, 1), D("18001.00"))]
    assert _lines(r, 2025) == [
        ("150 ACQR", date(2024, 3, 1), date(2025, 6, 16), D("20999.00"), D("18001.00"), "",
         D("0.00"), D("2998.00"), "LT"),
        ("300 TGTA (merger boot)", date(2024, 3, 1), date(2025, 5, 20), D("3000.00"),
         D("0.00"), "", D("0.00"), D("3000.00"), "LT")]
    assert [f.code for f in r.flags] == ["MERGER_TREATMENT"]


def test_spinoff_child_gets_the_parents_date_and_zero_basis_with_the_flag(run, db_path):
    r = _result(run, db_path, CA / "spinoff.xml")
    # the cancelled 1-for-5 posting leaves nothing: one child lot of 25 sh
    assert _lots(r, "CHLD") == [(D(25), D(0), date(2024, 3, 1), D("0.00"))]
    assert _lots(r, "PRNT") == [(D(100), D(100), date(2024, 3, 1), D("8001.00"))]
    (line,) = _lines(r, 2025)
    assert line[:5] + line[7:] == ("25 CHLD", date(2024, 3, 1), date(2025, 5, 15),
                                    D("999.00"), D("0.00"), D("999.00"), "LT")
    (flag,) = [f for f in r.flags if f.code == "SPINOFF_ALLOCATION"]
    assert "Form 8937" in flag.message and "900.00" in flag.message


def test_spinoff_allocation_given_by_the_user(run, db_path):
    _result(run, db_path, CA / "spinoff.xml")
    listed = run("actions", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (action,) = json.loads(listed.output)
    assert (action["kind"], action["legs"], action["applied"]) == ("spinoff", "CHLD +25",
                                                                   "yes")
    res = run("actions", "set", action["group"], "--parent-fraction", "0.8889")
    assert res.exit_code == 0, res.output
    r = analyze(open_ledger(db_path))
    # PRNT keeps 8,001.00 x 0.8889 = 7,112.0889, CHLD gets 888.9111 (§358(b)-(c))
    assert _lots(r, "PRNT") == [(D(100), D(100), date(2024, 3, 1), D("7112.09"))]
    assert _lots(r, "CHLD") == [(D(25), D(0), date(2024, 3, 1), D("888.91"))]
    (line,) = _lines(r, 2025)
    assert line[:5] + line[7:] == ("25 CHLD", date(2024, 3, 1), date(2025, 5, 15),
                                    D("999.00"), D("888.91"), D("110.09"), "LT")
    assert "SPINOFF_ALLOCATION" not in _codes(r)
    assert json.loads(run("actions", "--format", "json").output)[0]["facts"] == \
        "parent_fraction=0.8889"
    bad = run("actions", "set", action["group"], "--parent-fraction", "1.5")
    assert bad.exit_code != 0 and "above 0 and at most 1" in bad.output
    wrong = run("actions", "set", action["group"], "--worthless-year", "2025")
    assert wrong.exit_code != 0 and "applies to a worthless" in wrong.output


def test_worthless_year_given_by_the_user(run, db_path):
    r = _result(run, db_path, CA / "delisted_worthless.xml")
    group = json.loads(run("actions", "--format", "json").output)[0]["group"]
    assert run("actions", "set", group, "--worthless-year", "2026").exit_code == 0
    r = analyze(open_ledger(db_path))
    assert _lines(r) == [("200 DEAD (worthless)", date(2024, 10, 15), date(2026, 12, 31),
                          D("0.00"), D("601.00"), "", D("0.00"), D("-601.00"), "LT")]
    assert r.flags == ()


# -- cash merger (§1001) and worthless shares (§165(g)(1)) --------------------------------

def test_cash_merger_is_a_sale_on_the_action_date_not_the_report_date(run, db_path):
    r = _result(run, db_path, CA / "cash_merger.xml")
    assert _lines(r, 2025) == [
        ("100 CSHM (cash merger)", date(2025, 2, 21), date(2025, 12, 31), D("5200.00"),
         D("3881.65"), "", D("0.00"), D("1318.35"), "ST")]
    assert _lines(r, 2026) == []
    assert [lot.remaining for lot in r.lots if lot.symbol == "CSHM"] == [D(0)]
    assert r.flags == ()


def test_delisted_worthless_on_december_31_with_its_flag(run, db_path):
    r = _result(run, db_path, CA / "delisted_worthless.xml")
    assert _lines(r, 2025) == [
        ("200 DEAD (worthless)", date(2024, 10, 15), date(2025, 12, 31), D("0.00"),
         D("601.00"), "", D("0.00"), D("-601.00"), "LT")]
    (flag,) = r.flags
    assert flag.code == "DELISTED_WORTHLESS" and "2025-12-31" in flag.message


# -- transfers -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["transfer_out.xml", "transfer_out.csv"])
def test_transfer_out_relieves_the_first_lot_without_a_sale(run, db_path, name):
    r = _result(run, db_path, CA / name)
    assert _lines(r, 2025) == [("50 TRFC", date(2025, 3, 3), date(2025, 8, 1), D("1249.00"),
                                D("1101.00"), "", D("0.00"), D("148.00"), "ST")]
    assert _lots(r, "TRFC") == [(D(50), D(0), date(2025, 3, 3), D("1101.00")),
                                (D(100), D(0), date(2025, 2, 3), D("2001.00"))]
    assert r.flags == ()


def test_transfer_in_takes_basis_and_dates_from_ibs_lot_records(run, db_path):
    r = _result(run, db_path, CA / "transfer_in_ib_lots.xml")
    assert _lots(r, "TRFA") == [(D(40), D(0), date(2024, 11, 20), D("2600.00")),
                                (D(60), D(0), date(2023, 6, 12), D("3000.00"))]
    assert _lines(r, 2025) == [
        ("40 TRFA", date(2024, 11, 20), date(2025, 6, 20), D("2799.60"), D("2600.00"), "",
         D("0.00"), D("199.60"), "ST"),
        ("60 TRFA", date(2023, 6, 12), date(2025, 6, 20), D("4199.40"), D("3000.00"), "",
         D("0.00"), D("1199.40"), "LT")]
    assert r.flags == ()


def test_transfer_in_without_basis_is_never_a_silent_zero(run, db_path):
    r = _result(run, db_path, CA / "transfer_in_no_basis.xml")
    (line,) = _lines(r, 2025)
    assert line[0] == "50 TRFB" and line[1] is None and line[-1] == "NEEDS_REVIEW"
    assert {"TRANSFER_BASIS_MISSING", "MISSING_OPENING_LOT"} <= _codes(r)


def test_transfer_in_with_the_users_basis_file(run, db_path):
    _result(run, db_path, CA / "transfer_in_no_basis.xml")
    res = run("transfers", "basis", CA / "transfer_in_no_basis.basis.csv")
    assert res.exit_code == 0, res.output
    assert "2 lot(s) for U9000001 TRFB" in res.output
    # loading it again replaces, never doubles
    assert run("transfers", "basis", CA / "transfer_in_no_basis.basis.csv").exit_code == 0
    r = analyze(open_ledger(db_path))
    lines = _lines(r, 2025)
    assert [ln[:5] + ln[7:] for ln in lines] == [
        ("20 TRFB", date(2025, 2, 3), date(2025, 9, 15), D("1199.60"), D("1100.00"),
         D("99.60"), "ST"),
        ("30 TRFB", date(2022, 8, 1), date(2025, 9, 15), D("1799.40"), D("1200.00"),
         D("599.40"), "LT")]
    assert r.flags == ()


def test_shares_transferred_in_bought_near_a_loss_are_flagged(run, db_path, tmp_path):
    # the user's file says 30 of the shares transferred in were bought elsewhere on
    # 2025-04-20; a loss sale of TRFB in this account on 2025-05-01 is 11 days later
    _result(run, db_path, CA / "transfer_in_no_basis.xml")
    basis = tmp_path / "basis.csv"
    basis.write_text("account,symbol,quantity,acquired,basis\n"
                     "U9000001,TRFB,30,2025-04-20,1200.00\nU9000001,TRFB,20,2025-02-03,1100.00\n")
    assert run("transfers", "basis", basis).exit_code == 0
    r = analyze(open_ledger(db_path))
    assert "WASH_SALE_TRANSFER" not in _codes(r)  # no loss sale of TRFB in the ledger
    text = (CA / "transfer_in_no_basis.xml").read_text()
    sale = next(ln for ln in text.splitlines() if "<Trade " in ln)
    loss = (sale.replace('dateTime="20250915', 'dateTime="20250501')
            .replace('tradeDate="20250915"', 'tradeDate="20250501"')
            .replace('cost="0"', 'cost="-4000"').replace('fifoPnlRealized="2999"',
                                                        'fifoPnlRealized="-1001"'))
    for a, b in (('transactionID="', 'transactionID="9'), ('tradeID="', 'tradeID="9'),
                 ('ibExecID="', 'ibExecID="9'), ('ibOrderID="', 'ibOrderID="9')):
        loss = loss.replace(a, b, 1)
    path = tmp_path / "with_loss.xml"
    path.write_text(text.replace(sale, loss + "\n" + sale))
    assert run("import", path).exit_code == 0
    r = analyze(open_ledger(db_path))
    (flag,) = [f for f in r.flags if f.code == "WASH_SALE_TRANSFER"]
    assert "bought on 2025-04-20" in flag.message and "2025-05-01" in flag.message


@pytest.mark.parametrize("text,error", [
    ("account,symbol,quantity\n", ":1: the first line must be"),
    ("account,symbol,quantity,acquired,basis\nU9000001,TRFB,x,2022-01-01,3\n",
     ":2: quantity and basis must be numbers"),
    ("account,symbol,quantity,acquired,basis\nU0,TRFB,1,2022-01-01,3\n",
     "account U0 is not in the ledger"),
])
def test_a_bad_basis_file_is_one_line_and_stores_nothing(run, db_path, tmp_path, text,
                                                         error):
    _result(run, db_path, CA / "transfer_in_no_basis.xml")
    path = tmp_path / "basis.csv"
    path.write_text(text)
    res = run("transfers", "basis", path)
    assert res.exit_code != 0 and error in res.output and "Traceback" not in res.output
    assert _lines(analyze(open_ledger(db_path)), 2025)[0][1] is None  # still VARIOUS


# -- never silent: what the rules do not apply yet is flagged, naming the action -----------

@pytest.mark.parametrize("name,code,words", [
    ("transfer_in_no_basis.xml", "TRANSFER_BASIS_MISSING",
     ("transfer in (FOP) of 50 TRFB on 2025-05-05", "VARIOUS")),
    ("unknown_type.xml", "CORPORATE_ACTION_UNKNOWN", ("type ZZ", "UNKN +1")),
])
def test_an_action_not_applied_is_flagged_by_name(run, db_path, name, code, words):
    r = _result(run, db_path, CA / name)
    messages = [f.message for f in r.flags if f.code == code]
    assert len(messages) == 1, r.flags
    for w in words:
        assert w in messages[0]


@pytest.mark.parametrize("code", ["RI", "TO"])
def test_a_published_type_not_applied_is_flagged_and_changes_nothing(run, db_path, tmp_path,
                                                                     code):
    path = tmp_path / "rights.xml"
    path.write_text((CA / "unknown_type.xml").read_text().replace('type="ZZ"',
                                                                  f'type="{code}"'))
    r = _result(run, db_path, path)
    (flag,) = r.flags
    assert flag.code == "CORPORATE_ACTION_UNHANDLED"
    assert f"({code}: UNKN(US90400U1016) NEW EVENT 1 FOR 10" in flag.message
    assert "UNKN +1" in flag.message and "2025-06-02" in flag.message
    assert [(lot.quantity, _c(lot.tax_basis)) for lot in r.lots] == [(D(10), D("101.00"))]


def test_unknown_type_leaves_the_lots_unchanged(run, db_path):
    r = _result(run, db_path, CA / "unknown_type.xml")
    assert [(lot.quantity, lot.remaining, _c(lot.tax_basis)) for lot in r.lots] == [
        (D(10), D(10), D("101.00"))]


def test_every_fixture_action_is_applied_or_flagged(run, db_path, tmp_path):
    """No fixture leaves the tax year quietly wrong: each either matches its hand-worked
    lines (the tests above) or carries a flag."""
    applied = {"split_assigned_cc_called_away.xml", "split_assigned_cc_called_away.csv",
               "put_split_expires.xml", "reverse_split_cash_in_lieu.xml", "cash_merger.xml",
               "id_change_sale.xml", "stock_merger_boot.xml", "transfer_in_ib_lots.xml",
               "put_split_renamed_expires.xml",
               "transfer_out.xml", "transfer_out.csv", "transfer_between_accounts.xml",
               # worked in tests/test_wheel_actions.py
               "wheel_stock_merger_called_away.xml", "wheel_id_change_called_away.xml",
               "wheel_put_assigned_transfer_out.xml"}
    for i, path in enumerate(sorted(CA.glob("*.*"))):
        if path.suffix not in (".xml", ".csv") or path.name.endswith(".basis.csv") or \
                path.name in applied:
            continue
        db = str(tmp_path / f"{i}.db")
        assert run("import", path, db=db).exit_code == 0
        assert analyze(open_ledger(db)).flags, f"{path.name}: no flag"


def test_a_split_of_shares_the_ledger_never_held_is_flagged(run, db_path, tmp_path):
    text = (CA / "split_assigned_cc_called_away.xml").read_text()
    lines = text.splitlines(keepends=True)
    # keep only the corporate action: the ledger has no NVDA shares on 2024-06-07
    kept = [ln for ln in lines if "<Trade " not in ln]
    path = tmp_path / "split_only.xml"
    path.write_text("".join(kept))
    r = _result(run, db_path, path)
    (flag,) = [f for f in r.flags if f.code == "CORPORATE_ACTION_NO_LOT"]
    assert "2024-06-07" in flag.message and "NVDA" in flag.message


# -- the public statements (read in place) ----------------------------------------------

@requires_public
def test_public_forward_split_scales_the_lots(run, db_path):
    r = _result(run, db_path, PUBLIC / "uabean" / "beancount.xml")
    # AAPL 4:1 (one row, +3.114): 1 sh and 0.038 sh become 4 and 0.152, basis unchanged
    assert _lots(r, "AAPL") == [(D("0.152"), D("0.152"), date(2000, 2, 5), D("10.98")),
                                (D(4), D(4), date(2000, 2, 5), D("290.00"))]
    assert not [f for f in r.flags if f.code == "CORPORATE_ACTION_UNHANDLED"]
    no_lot = sorted(f.message for f in r.flags if f.code == "CORPORATE_ACTION_NO_LOT")
    assert len(no_lot) == 2  # MRO -> COP, TRNE -> DM: shares the ledger never held
    assert "TRNE.OLD -19" in no_lot[0] and "MRO -50" in no_lot[1]


@requires_public
def test_public_cash_and_stock_merger(run, db_path):
    r = _result(run, db_path, PUBLIC / "uabean" / "beancount.xml")
    # LVGO -> TDOC 592 for 1000 and USD 4.24: gain > boot, so the boot is recognized per
    # lot (2.14 + 8.48 = IB's 10.62); IB's 1.4831 TDOC split pro rata, basis carried
    boot = sorted((e.description, _c(e.proceeds), _c(e.cost), e.term)
                  for e in r.realized if e.kind == "merger_boot")
    assert boot == [("0.5052 LVGO (merger boot)", D("2.14"), D("0.00"), "ST"),
                    ("2 LVGO (merger boot)", D("8.48"), D("0.00"), "ST")]
    tdoc = sorted((lot.remaining, _c(lot.tax_basis)) for lot in r.lots if lot.symbol == "TDOC")
    # to IB's 4 decimals, adding up to IB's 1.4831
    assert tdoc == [(D("0.2991"), D("25.45")), (D("1.1840"), D("100.55"))]


@requires_public
def test_public_reverse_split_of_the_older_layout(run, db_path):
    r = _result(run, db_path, PUBLIC / "portfolio-performance" /
                "testIBFlexStatementFile01.xml")
    # GCM 1 for 25 (no type code: read from "SPLIT 1 FOR 25"): 12,000 -> 480 shares
    assert _lots(r, "GCM") == [(D(40), D(40), date(2013, 4, 1), D("271.35")),
                               (D(200), D(200), date(2013, 4, 1), D("1356.75")),
                               (D(240), D(240), date(2013, 4, 1), D("1628.10"))]
    # UUU tendered 1 for 1 to UUU.TEN2 (lots carried), then cashed out at CAD 2.86: ten
    # ST lines adding up to IB's fifoPnlRealized 2,358 (CAD: NON_USD as for its trades)
    cashed = [e for e in r.realized if e.kind == "cash_merger"]
    assert len(cashed) == 10 and {e.date_sold for e in cashed} == {date(2013, 10, 23)}
    assert sum(e.quantity for e in cashed) == D(12000)
    assert sum(e.gain for e in cashed) == D("2358.00")
    assert not [f for f in r.flags if f.code.startswith("CORPORATE_ACTION")]


@requires_public
def test_public_isin_change_carries_the_lot(run, db_path):
    r = _result(run, db_path, PUBLIC / "opensteuerauszug" / "corporate_action_2025.xml")
    # ZT0 -> ZT0.NEW (US9279591062 -> US64361Q1013): the lot bought 2025-08-07 carries over
    assert [(lot.remaining, lot.acquired) for lot in r.lots if lot.symbol == "ZT0"] == [
        (D(24), date(2025, 8, 7))]
    assert not [f for f in r.flags if f.code.startswith("CORPORATE_ACTION")]
