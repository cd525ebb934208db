"""Corporate-action cases beyond the first pass of issue 14 (tax_rules.md §10): an option
whose deliverable OCC changed, assigned; a stock merger the user marks taxable; shares
transferred in that replace a loss; a transfer between two accounts of the ledger. Each
fixture's leading comment works its numbers by hand."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from journal.db import open_ledger
from journal.rules import analyze
from tests.corpact_support import CA
from tests.corpact_support import cents as _c
from tests.corpact_support import lines as _lines
from tests.corpact_support import result_of as _result

D = Decimal


def _lots(result, symbol: str) -> list[tuple]:
    """(shares, remaining, acquired, held from, tax basis) of every lot of the symbol."""
    return sorted((lot.quantity, lot.remaining, lot.acquired, lot.holding_period_acquired,
                   _c(lot.tax_basis)) for lot in result.lots if lot.symbol == symbol)


def _codes(result) -> set[str]:
    return {f.code for f in result.flags}


# -- 1. an option whose deliverable OCC changed, then assigned (design §7.8) -------------

def test_assignment_with_an_adjusted_deliverable_carries_the_premium(run, db_path):
    r = _result(run, db_path, CA / "put_reverse_split_assigned.xml")
    # 2 KLMN1 puts deliver 20 new shares: basis 600.00 - 68.70 (net premium, §1 / Rev.
    # Rul. 78-182), not 600.00 with the premium lost
    assert _lots(r, "KLMN") == [(D(20), D(20), date(2025, 5, 16), date(2025, 5, 16),
                                 D("531.30"))]
    assert _lines(r) == []  # an assignment is no sale: no 8949 line
    (pos,) = r.option_positions
    assert (pos.contracts, pos.outcome, pos.opened, pos.stock_leg_transaction_id) == (
        D(-2), "assigned", date(2025, 3, 3), "5104000003")
    assert _codes(r) == {"OPTION_ADJUSTED"}
    (flag,) = r.flags
    assert "10 shares a contract" in flag.message and "KLMN1 16MAY25 3 P" in flag.message


def test_adjusted_assignment_links_by_position_action_id(run, db_path, tmp_path):
    text = (CA / "put_reverse_split_assigned.xml").read_text()
    path = tmp_path / "paid.xml"
    path.write_text(text.replace('positionActionID="" />', 'positionActionID="77" />')
                    .replace('positionActionID="77" />', 'positionActionID="" />', 1))
    r = _result(run, db_path, path)
    assert _lots(r, "KLMN") == [(D(20), D(20), date(2025, 5, 16), date(2025, 5, 16),
                                 D("531.30"))]
    assert "MISSING_STOCK_LEG" not in _codes(r)


def test_an_ordinary_buy_the_same_day_is_not_taken_for_the_stock_leg(run, db_path,
                                                                      tmp_path):
    # the assignment's stock row is missing; a market buy of 20 KLMN the same day is not
    # an assignment leg, so the premium stays deferred and flagged
    text = (CA / "put_reverse_split_assigned.xml").read_text()
    lines = text.splitlines(keepends=True)
    i = next(n for n, ln in enumerate(lines) if 'tradeID="4104000003"' in ln)
    lines[i] = (lines[i].replace('transactionType="BookTrade"', 'transactionType="ExchTrade"')
                .replace('notes="A"', 'notes=""'))
    path = tmp_path / "no_leg.xml"
    path.write_text("".join(lines))
    r = _result(run, db_path, path)
    assert "MISSING_STOCK_LEG" in _codes(r)
    assert _lots(r, "KLMN")[0][4] == D("600.00")


def _rows_with(line: str, changes: dict[str, str]) -> str:
    for a, b in changes.items():
        assert a in line, a
        line = line.replace(a, b)
    return line


def test_an_ordinary_assignment_the_same_day_keeps_its_own_leg(run, db_path, tmp_path):
    # a post-split KLMN 30 P assigned the same day (100 shares, the exact match) is linked
    # first; the adjusted KLMN1 put then takes the one assignment leg left (20 shares)
    text = (CA / "put_reverse_split_assigned.xml").read_text()
    lines = {tid: next(ln for ln in text.splitlines() if f'tradeID="{tid}"' in ln)
             for tid in ("4104000001", "4104000002", "4104000003")}
    ids = {'tradeID="41': 'tradeID="91', 'ibOrderID="51': 'ibOrderID="91',
           'transactionID="51': 'transactionID="91'}
    opt = {'conid="720000300"': 'conid="720000400"', 'strike="3"': 'strike="30"',
           '16MAY25 3 P': '16MAY25 30 P', "P00003000": "P00030000"}
    sold = _rows_with(lines["4104000001"], {
        **ids, **opt, 'quantity="-2"': 'quantity="-1"', 'tradePrice="0.35"': 'tradePrice="1"',
        'tradeMoney="-70"': 'tradeMoney="-100"', 'proceeds="70"': 'proceeds="100"',
        'netCash="68.7"': 'netCash="98.7"', 'cost="-68.7"': 'cost="-98.7"',
        "20250303": "20250410", 'underlyingConid="8000001"': 'underlyingConid="8000002"',
        'ibExecID="0000e00001': 'ibExecID="0000e90001'})
    assigned = _rows_with(lines["4104000002"], {
        **ids, **opt, "KLMN1 250516": "KLMN  250516", "KLMN1 16MAY25": "KLMN 16MAY25",
        'quantity="2"': 'quantity="1"', 'cost="68.7"': 'cost="98.7"'})
    shares = _rows_with(lines["4104000003"], {
        **ids, 'quantity="20"': 'quantity="100"', 'tradeMoney="600"': 'tradeMoney="3000"',
        'proceeds="-600"': 'proceeds="-3000"', 'netCash="-600"': 'netCash="-3000"',
        'cost="600"': 'cost="3000"'})
    last = lines["4104000003"]
    path = tmp_path / "two.xml"
    path.write_text(text.replace(last, "\n".join((last, sold, assigned, shares))))
    r = _result(run, db_path, path)
    assert [(x[0], x[4]) for x in _lots(r, "KLMN")] == [(D(20), D("531.30")),
                                                        (D(100), D("2901.30"))]
    assert "MISSING_STOCK_LEG" not in _codes(r)


def test_explain_of_the_adjusted_assignment_names_the_whole_premium(run, db_path):
    _result(run, db_path, CA / "put_reverse_split_assigned.xml")
    res = run("lots", "--explain", "U9000001:5104000003", "--format", "json")
    rows = [(r["step"], r["amount"]) for r in json.loads(res.output)]
    assert rows[:2] == [("cost", "600.00"), ("assigned put", "-68.70")], rows


# -- 2. a stock merger the user marks taxable (IRC §1001, §1012; default §368) -----------

MERGER = CA / "stock_merger_taxable.xml"


def test_merger_is_a_reorganization_by_default_and_the_flag_names_the_command(run,
                                                                              db_path):
    r = _result(run, db_path, MERGER)
    assert [ln[:5] + ln[7:] for ln in _lines(r, 2025)] == [
        ("100 OLDC (merger boot)", date(2024, 3, 1), date(2025, 6, 2), D("500.00"),
         D("500.00"), D("0.00"), "LT"),
        ("100 OLDC (merger boot)", date(2025, 2, 3), date(2025, 6, 2), D("500.00"),
         D("500.00"), D("0.00"), "ST"),
        ("40 NEWC", date(2024, 3, 1), date(2025, 7, 15), D("1999.50"), D("4501.00"),
         D("-2501.50"), "LT"),
        ("40 NEWC", date(2025, 2, 3), date(2025, 7, 15), D("1999.50"), D("2501.00"),
         D("-501.50"), "ST")]
    (flag,) = r.flags
    assert flag.code == "MERGER_TREATMENT"
    assert "journal actions set 88109001 --treat-as taxable" in flag.message


def test_taxable_merger_sells_the_old_lots_at_market_value(run, db_path):
    _result(run, db_path, MERGER)
    res = run("actions", "set", "88109001", "--treat-as", "taxable")
    assert res.exit_code == 0, res.output
    r = analyze(open_ledger(db_path))
    lines = _lines(r, 2025)
    assert [ln[:5] + ln[7:] for ln in lines] == [
        ("100 OLDC (taxable merger)", date(2024, 3, 1), date(2025, 6, 2), D("2300.00"),
         D("5001.00"), D("-2701.00"), "LT"),
        ("100 OLDC (taxable merger)", date(2025, 2, 3), date(2025, 6, 2), D("2300.00"),
         D("3001.00"), D("-701.00"), "ST"),
        ("80 NEWC", date(2025, 6, 2), date(2025, 7, 15), D("3999.00"), D("3600.00"),
         D("399.00"), "ST")]
    assert lines[2][5] == "B"  # IB's 1099-B keeps the old basis (7,002.00)
    assert sum(e.gain for e in r.realized) == D("-3003.00")  # the same total, moved
    assert _lots(r, "NEWC") == [(D(80), D(0), date(2025, 6, 2), date(2025, 6, 2),
                                 D("3600.00"))]
    assert {e.kind for e in r.realized if "OLDC" in e.description} == {"taxable_merger"}
    assert "MERGER_TREATMENT" not in _codes(r)
    listed = json.loads(run("actions", "--format", "json").output)
    assert listed[0]["facts"] == "treatment=taxable"


def test_taxable_merger_in_lots_explain(run, db_path):
    _result(run, db_path, MERGER)
    assert run("actions", "set", "88109001", "--treat-as", "taxable").exit_code == 0
    res = run("lots", "--explain", "U9000001:5109000010", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert rows[0]["amount"] == "3600.00" and rows[0]["date"] == "2025-06-02"
    (line,) = [r for r in rows if r["step"] == "taxable merger"]
    assert line["description"] == (
        "taxable stock merger OLDC → NEWC: 80 sh received at their market value 3,600.00, "
        "a new lot and holding period (§1001, §1012)")


def test_reorganization_confirmed_and_cleared(run, db_path):
    _result(run, db_path, MERGER)
    assert run("actions", "set", "88109001", "--treat-as", "reorganization").exit_code == 0
    r = analyze(open_ledger(db_path))
    assert r.flags == () and len(_lines(r, 2025)) == 4  # the default's lines, confirmed
    assert run("actions", "set", "88109001", "--clear").exit_code == 0
    assert _codes(analyze(open_ledger(db_path))) == {"MERGER_TREATMENT"}


def test_taxable_without_a_market_value_keeps_the_default_and_says_so(run, db_path,
                                                                      tmp_path):
    path = tmp_path / "novalue.xml"
    path.write_text(MERGER.read_text().replace('value="3600"', 'value=""'))
    _result(run, db_path, path)
    assert run("actions", "set", "88109001", "--treat-as", "taxable").exit_code == 0
    r = analyze(open_ledger(db_path))
    msgs = [f.message for f in r.flags if f.code == "CORPORATE_ACTION_TERMS"]
    assert any("taxable" in m and "reorganization kept" in m for m in msgs), r.flags
    assert any("(merger boot)" in ln[0] for ln in _lines(r, 2025))


def test_treat_as_applies_only_to_a_stock_merger(run, db_path):
    _result(run, db_path, CA / "cash_merger.xml")
    group = json.loads(run("actions", "--format", "json").output)[0]["group"]
    res = run("actions", "set", group, "--treat-as", "taxable")
    assert res.exit_code != 0 and "applies to a stock_merger" in res.output
    assert "Traceback" not in res.output


# -- 3. shares bought elsewhere within 30 days of a loss, transferred in (§1091) ---------

WASH = CA / "transfer_in_wash_sale.xml"


def test_transfer_wash_sale_is_flagged_with_the_command_until_confirmed(run, db_path):
    r = _result(run, db_path, WASH)
    assert [ln[:5] + ln[5:] for ln in _lines(r, 2025)] == [
        ("100 WSHT", date(2025, 3, 3), date(2025, 4, 15), D("3999.00"), D("5001.00"), "",
         D("0.00"), D("-1002.00"), "ST"),
        ("100 WSHT", date(2025, 4, 1), date(2025, 9, 15), D("5999.00"), D("4501.00"), "",
         D("0.00"), D("1498.00"), "ST")]
    (flag,) = r.flags
    assert flag.code == "WASH_SALE_TRANSFER"
    assert "journal transfers set 5112000010 --wash-sale yes" in flag.message


def test_confirmed_transfer_wash_sale_moves_the_loss_into_the_lot(run, db_path):
    _result(run, db_path, WASH)
    res = run("transfers", "set", "5112000010", "--wash-sale", "yes")
    assert res.exit_code == 0, res.output
    r = analyze(open_ledger(db_path))
    lines = _lines(r, 2025)
    assert [ln[:5] + ln[6:] for ln in lines] == [
        ("100 WSHT", date(2025, 3, 3), date(2025, 4, 15), D("3999.00"), D("5001.00"),
         D("1002.00"), D("0.00"), "ST"),
        ("100 WSHT", date(2025, 4, 1), date(2025, 9, 15), D("5999.00"), D("5503.00"),
         D("0.00"), D("496.00"), "ST")]
    assert lines[0][5] == "W" and lines[1][5] == "B"
    (lot,) = [x for x in r.lots if x.lot_id == "U9000001:5112000010:0"]
    assert (lot.acquired, lot.holding_period_acquired, _c(lot.tax_basis),
            _c(lot.wash_sale_adjustment)) == (date(2025, 4, 1), date(2025, 2, 17),
                                              D("5503.00"), D("1002.00"))
    (ws,) = r.wash_sales
    assert (ws.replacement_transaction_id, ws.disallowed) == ("5112000010:0", D("1002.00"))
    assert r.flags == ()
    listed = json.loads(run("transfers", "--format", "json").output)
    assert [(t["transfer"], t["facts"]) for t in listed] == [("5112000010", "wash_sale=yes")]


def test_transfer_wash_sale_declined_and_cleared(run, db_path):
    _result(run, db_path, WASH)
    assert run("transfers", "set", "5112000010", "--wash-sale", "no").exit_code == 0
    r = analyze(open_ledger(db_path))
    assert r.flags == () and r.wash_sales == ()
    assert run("transfers", "set", "5112000010", "--clear").exit_code == 0
    assert _codes(analyze(open_ledger(db_path))) == {"WASH_SALE_TRANSFER"}


def test_transfers_set_names_an_unknown_transfer(run, db_path):
    _result(run, db_path, WASH)
    res = run("transfers", "set", "999", "--wash-sale", "yes")
    assert res.exit_code != 0 and "no transfer 999" in res.output
    assert "Traceback" not in res.output



def test_wash_sale_fact_applies_only_to_a_transfer_in(run, db_path):
    _result(run, db_path, BETWEEN)
    res = run("transfers", "set", "5114000010", "--wash-sale", "yes")
    assert res.exit_code != 0 and "applies to a transfer in" in res.output
    assert "Traceback" not in res.output


# -- 4. a transfer between two accounts that are both in the ledger (design §7.9) --------

BETWEEN = CA / "transfer_between_accounts.xml"


def test_transfer_between_two_ledger_accounts_moves_the_lots(run, db_path):
    r = _result(run, db_path, BETWEEN)
    assert sorted((e.account, e.description, e.date_acquired, e.date_sold, _c(e.proceeds),
                   _c(e.cost), e.adjustment_code, _c(e.gain), e.term)
                  for e in r.realized) == [
        ("U9000001", "100 PAIR", date(2024, 12, 2), date(2025, 1, 6), D("2499.00"),
         D("3001.00"), "W", D("0.00"), "ST"),
        ("U9000002", "100 PAIR", date(2025, 1, 10), date(2025, 6, 16), D("2999.00"),
         D("2503.00"), "", D("496.00"), "ST")]
    moved = [x for x in r.lots if x.account == "U9000002"]
    assert [(x.quantity, x.remaining, x.acquired, x.holding_period_acquired,
             _c(x.tax_basis), _c(x.wash_sale_adjustment), x.source) for x in moved] == [
        (D(100), D(0), date(2025, 1, 10), date(2024, 12, 6), D("2503.00"), D("502.00"),
         "transfer")]
    left = [x for x in r.lots if x.account == "U9000001" and x.acquired == date(2025, 1, 10)]
    assert [(x.remaining, x.open) for x in left] == [(D(0), False)]
    assert r.flags == ()
    (action,) = moved[0].actions
    assert action.kind == "transfer in" and "INTERNAL from U9000001" in action.detail


def test_transfer_pairing_that_is_ambiguous_is_flagged(run, db_path, tmp_path):
    # a third account receives the same 100 PAIR the same day: two candidates for one OUT
    text = BETWEEN.read_text()
    block = text[text.index('    <FlexStatement accountId="U9000002"'):
                 text.index("  </FlexStatements>")]
    third = (block.replace("U9000002", "U9000003").replace("51140000", "51150000")
             .replace("41140000", "41150000").replace("0000e114", "0000e115")
             .replace('account="U9000001"', 'account=""'))
    path = tmp_path / "three.xml"
    path.write_text(text.replace("  </FlexStatements>", third + "  </FlexStatements>")
                    .replace('count="2"', 'count="3"')
                    .replace('direction="OUT" company="--" account="U9000002"',
                             'direction="OUT" company="--" account=""'))
    r = _result(run, db_path, path)
    msgs = [f.message for f in r.flags if f.code == "TRANSFER_PAIR_AMBIGUOUS"]
    assert msgs and "U9000002" in msgs[0] and "U9000003" in msgs[0], r.flags
    assert "TRANSFER_BASIS_MISSING" in _codes(r)  # each side on its own, never silent
