"""The reconciliation with IB explains the differences that come from corporate actions
(issue 14 §4, design §8): a line the rules booked from a CorporateAction row compares with
that row's own ``fifoPnlRealized``; IB's figure counts in the year of the statement that
carries it (its report date), ours in our tax year. Each fixture of
tests/fixtures/corporate_actions works its lines by hand in its leading comment; the
reasons and amounts below are worked from it in each test's comment."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.conftest import FIXTURES, PUBLIC, requires_public

CA = FIXTURES / "corporate_actions"
D = Decimal


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


def _import(run, *files):
    for path in files:
        res = run("import", path)
        assert res.exit_code == 0, res.output


def _json(run, year: int) -> list[dict]:
    res = run("tax", year, "--reconcile", "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _table(run, year: int) -> list[list[str]]:
    """The terminal table's rows, split on the runs of spaces between columns."""
    res = run("tax", year, "--reconcile")
    assert res.exit_code == 0, res.output
    rows = [ln for ln in res.stdout.splitlines()[2:] if ln.strip()]
    return [[c.strip() for c in ln.split("  ") if c.strip()] for ln in rows]


def _money(x: str | None) -> str | None:
    """JSON keeps the exact figure ("3000", "10.622048"): shown here in cents unless it
    has more digits."""
    if x is None:
        return None
    return f"{D(x):.2f}" if D(x) == round(D(x), 2) else x


def _line(row: dict) -> tuple:
    return (row["trade_date"], row["description"], _money(row["ib_pnl"]),
            _money(row["ours"]), _money(row["difference"]), row["status"], row["reasons"])


def _group(run) -> str:
    listed = run("actions", "--format", "json")
    assert listed.exit_code == 0, listed.output
    (action,) = json.loads(listed.stdout)
    return action["group"]


def test_cash_merger_reported_in_january(run):
    # The merger is dated 2025-12-31 (our sale, 5,200.00 - 3,881.65 = +1,318.35 ST, tax
    # year 2025) and IB reports it on 2026-01-02, in its January 2026 statement, with its
    # own fifoPnlRealized 1,318.35. 2025: IB's statements of 2025 have nothing, ours
    # 1,318.35: difference +1,318.35, all of it IB's figure in the 2026 statement
    # (REPORT_YEAR +1,318.35). 2026: IB 1,318.35 on its report date, ours nothing (booked in
    # 2025): difference -1,318.35 (REPORT_YEAR -1,318.35). Same amount both sides: no other
    # reason. Before: "100 CSHM (cash merger) IB - ours 1,318.35 unexplained NO_IB_ROW".
    _import(run, CA / "cash_merger.xml")
    y2025 = _json(run, 2025)
    assert [_line(r) for r in y2025] == [
        ("2025-02-21", "CSHM 21FEB25 40 P", "0.00", "0.00", "0.00", "match", ""),
        ("2025-12-31", "100 CSHM (cash merger)", None, "1318.35", "1318.35", "explained",
         "REPORT_YEAR 1318.35")]
    assert (y2025[1]["transaction_id"], _money(y2025[1]["explained"]),
            _money(y2025[1]["unexplained"])) == ("5107000010", "1318.35", "0.00")
    assert [_line(r) for r in _json(run, 2026)] == [
        ("2026-01-02", "100 CSHM (cash merger)", "1318.35", "0.00", "-1318.35", "explained",
         "REPORT_YEAR -1318.35")]
    assert _table(run, 2025)[-1] == ["U9000001", "2025-12-31", "100 CSHM (cash merger)",
                                     "1,318.35", "1,318.35", "explained",
                                     "REPORT_YEAR 1318.35"]
    assert _table(run, 2026) == [["U9000001", "2026-01-02", "100 CSHM (cash merger)",
                                  "1,318.35", "0.00", "-1,318.35", "explained",
                                  "REPORT_YEAR -1318.35"]]


def test_stock_merger_boot_matches_ib(run):
    # IB's old leg realizes the cash, 3,000.00; ours: gain 19,500.00 + 3,000.00 - 18,001.00
    # = 4,499.00 > the cash, so we recognize the cash, 3,000.00 (§356): a match. The
    # later sale of 150 ACQR: basis carried 18,001.00 both sides, 2,998.00 = IB's 2,998.00.
    # Before: "300 TGTA (merger boot) IB - ours 3,000.00 unexplained NO_IB_ROW".
    _import(run, CA / "stock_merger_boot.xml")
    assert [_line(r) for r in _json(run, 2025)] == [
        ("2025-05-20", "300 TGTA (merger boot)", "3000.00", "3000.00", "0.00", "match", ""),
        ("2025-06-16", "ACQUIRER CORP", "2998.00", "2998.00", "0.00", "match", "")]
    assert _table(run, 2025)[0] == ["U9000001", "2025-05-20", "300 TGTA (merger boot)",
                                    "3,000.00", "3,000.00", "0.00", "match"]


def test_stock_merger_boot_above_the_gain(run, tmp_path):
    # The same merger with the new shares worth 15,500.00 (not 19,500.00): gain on the
    # exchange 15,500.00 + 3,000.00 - 18,001.00 = 499.00 < the cash, so we recognize
    # 499.00 (§356(a)(1)); IB's fifoPnlRealized is still the cash, 3,000.00: difference
    # 499.00 - 3,000.00 = -2,501.00, MERGER_BOOT -2,501.00. The ACQR shares carry it: our
    # basis 18,001.00 - 3,000.00 + 499.00 = 15,500.00 against IB's 18,001.00, so the sale
    # gains 20,999.00 - 15,500.00 = 5,499.00 vs IB's 2,998.00: +2,501.00, code B, MERGER_BOOT
    # again. The year adds up: 499.00 + 5,499.00 = 3,000.00 + 2,998.00 = 5,998.00.
    text = (CA / "stock_merger_boot.xml").read_text()
    assert text.count('value="19500"') == 1
    path = tmp_path / "stock_merger_small_gain.xml"
    path.write_text(text.replace('value="19500"', 'value="15500"'))
    _import(run, path)
    rows = _json(run, 2025)
    assert [_line(r) for r in rows] == [
        ("2025-05-20", "300 TGTA (merger boot)", "3000.00", "499.00", "-2501.00", "explained",
         "MERGER_BOOT -2501.00"),
        ("2025-06-16", "ACQUIRER CORP", "2998.00", "5499.00", "2501.00", "explained",
         "MERGER_BOOT 2501.00")]
    assert rows[1]["form8949"] == "B: B MERGER_BOOT 2501.00"
    assert sum(D(r["ours"]) for r in rows) == sum(D(r["ib_pnl"]) for r in rows) == D(5998)


def test_delisted_worthless_date_and_year(run):
    # IB books the loss on the delisting date, 2025-08-15 (-601.00, fifoPnlRealized); we
    # on 2025-12-31 (§165(g)): same amount, another date (and term: LT for us, held from
    # 2024-10-16; ST on IB's date): WORTHLESS_DATE 0.00. Before: "200 DEAD (worthless) IB -
    # ours -601.00 unexplained NO_IB_ROW".
    _import(run, CA / "delisted_worthless.xml")
    assert [_line(r) for r in _json(run, 2025)] == [
        ("2025-12-31", "200 DEAD (worthless)", "-601.00", "-601.00", "0.00", "explained",
         "WORTHLESS_DATE 0.00")]
    assert _table(run, 2025) == [["U9000001", "2025-12-31", "200 DEAD (worthless)",
                                  "-601.00", "-601.00", "0.00", "explained",
                                  "WORTHLESS_DATE 0.00"]]
    # The user says they became worthless in 2026: 2025 has IB's -601.00 on 2025-08-15
    # and nothing of ours: difference +601.00; 2026 has ours, -601.00 on 2026-12-31, and
    # nothing of IB's: difference -601.00. Both WORTHLESS_DATE, nothing unexplained.
    assert run("actions", "set", _group(run), "--worthless-year", "2026").exit_code == 0
    assert [_line(r) for r in _json(run, 2025)] == [
        ("2025-08-15", "200 DEAD (worthless)", "-601.00", "0.00", "601.00", "explained",
         "WORTHLESS_DATE 601.00")]
    assert [_line(r) for r in _json(run, 2026)] == [
        ("2026-12-31", "200 DEAD (worthless)", None, "-601.00", "-601.00", "explained",
         "WORTHLESS_DATE -601")]  # IB's exact figure


def test_spinoff_child_sale(run):
    # IB's cost of the 25 CHLD sold is 888.91 (IB's own allocation): IB 999.00 - 888.91 =
    # 110.09. Before the user's allocation our child basis is 0.00: ours 999.00, difference
    # +888.91, SPINOFF_BASIS (was LOT_METHOD). With --parent-fraction 0.8889 the child
    # gets 8,001.00 x 0.1111 = 888.91: a match.
    _import(run, CA / "spinoff.xml")
    (row,) = _json(run, 2025)
    assert _line(row) == ("2025-05-15", "CHILD CORP", "110.09", "999.00", "888.91",
                          "explained", "SPINOFF_BASIS 888.91")
    assert row["form8949"] == "B: B SPINOFF_BASIS 888.91"
    assert run("actions", "set", _group(run), "--parent-fraction", "0.8889").exit_code == 0
    (row,) = _json(run, 2025)
    assert _line(row)[:3] + _line(row)[5:] == ("2025-05-15", "CHILD CORP", "110.09",
                                               "match", "")
    assert round(D(row["ours"]), 2) == D("110.09")  # 999.00 - 888.9111


def test_wash_sale_across_an_isin_change(run):
    # The 402.00 loss on ABCD (2025-06-10) is washed by WXYZ bought 2025-07-01: the same
    # security for us, another CUSIP for IB, which keeps the loss (-402.00) and does not
    # carry it into WXYZ's basis (IB 897.00 on the last sale, ours 495.00). Both lines:
    # WASH_SALE_ID_CHANGE (were WASH_SALE / WASH_SALE_BASIS), +402.00 and -402.00.
    _import(run, CA / "id_change_sale.xml")
    rows = _json(run, 2025)
    assert [_line(r) for r in rows] == [
        ("2025-06-10", "ABCD INC", "-402.00", "0.00", "402.00", "explained",
         "WASH_SALE_ID_CHANGE 402.00"),
        ("2025-08-15", "WXYZ HOLDINGS INC", "897.00", "495.00", "-402.00", "explained",
         "WASH_SALE_ID_CHANGE -402.00")]
    assert rows[1]["form8949"] == "B: B WASH_SALE_ID_CHANGE -402.00"


def test_transfer_in_basis_from_the_users_file(run):
    # 50 TRFB transferred in with no basis: IB's cost 0.00, fifoPnlRealized 2,999.00. With
    # the user's basis (30 sh 1,200.00 + 20 sh 1,100.00) ours is 2,999.00 - 2,300.00 =
    # 699.00: difference -2,300.00, TRANSFER_BASIS (was LOT_METHOD). Without the file the
    # sale is at IB's cost (flagged TRANSFER_BASIS_MISSING), a match.
    _import(run, CA / "transfer_in_no_basis.xml")
    (row,) = _json(run, 2025)
    assert _line(row) == ("2025-09-15", "TRANSFERB INC", "2999.00", "2999.00", "0.00", "match",
                          "")
    res = run("transfers", "basis", CA / "transfer_in_no_basis.basis.csv")
    assert res.exit_code == 0, res.output
    (row,) = _json(run, 2025)
    assert _line(row) == ("2025-09-15", "TRANSFERB INC", "2999.00", "699.00", "-2300.00",
                          "explained", "TRANSFER_BASIS -2300.00")


def test_cash_in_lieu_is_ib_fracshare_row(run):
    # The 0.5 XYZ fraction is IB's own FracShare trade (-5.03 both sides), and the later
    # sale of 35 shares 127.03 both sides: no action line, nothing to explain.
    _import(run, CA / "reverse_split_cash_in_lieu.xml")
    rows = [(r["transaction_id"], round(D(r["ib_pnl"]), 2), round(D(r["ours"]), 2),
             r["status"]) for r in _json(run, 2025)]
    assert rows == [("5105000004", D("-5.03"), D("-5.03"), "match"),
                    ("5105000005", D("127.03"), D("127.03"), "match")]


def test_actions_without_realized_results_add_no_line(run):
    # A split changes no realized figure on either side: its row gives no line.
    _import(run, CA / "split_assigned_cc_called_away.xml")
    assert [r["description"] for r in _json(run, 2024)] == [
        "NVDA 19APR24 850 P", "NVDA 16AUG24 130 C", "NVIDIA CORP"]


@requires_public
def test_public_lvgo_boot_against_ib(run):
    # uabean LVGO -> TDOC, 592 for 1000 and USD 4.24: IB's old leg realizes the cash,
    # 10.622048; ours per lot 2.14 + 8.48 = 10.62 on the form (exactly the cash, 10.622048:
    # the gain is above it): a match on IB's own figure (before: NO_IB_ROW twice).
    _import(run, PUBLIC / "uabean" / "beancount.xml")
    rows = [r for r in _json(run, 2000) if "LVGO" in r["description"]]
    assert [_line(r) for r in rows] == [
        ("2000-08-06", "2.5052 LVGO (merger boot)", "10.622048", "10.622048", "0.00",
         "match", "")]


@requires_public
def test_public_uuu_tender_cash_against_ib(run):
    # portfolio-performance File01: UUU.TEN2 cashed out at CAD 2.86 on 2013-10-23, IB's
    # fifoPnlRealized 2,358 (CAD); ours ten lines adding up to 2,358.00: a match
    # (before: ten lines NO_IB_ROW).
    _import(run, PUBLIC / "portfolio-performance" / "testIBFlexStatementFile01.xml")
    rows = [r for r in _json(run, 2013) if "UUU" in r["description"]]
    assert [_line(r) for r in rows] == [
        ("2013-10-23", "12000 UUU.TEN2 (cash merger)", "2358.00", "2358.00", "0.00", "match", "")]


def test_action_rows_on_hand_built_results():
    # Pure: a cash merger IB realized (+500.00) on shares the ledger never held gives a
    # line with nothing of ours: -500.00 NOT_REALIZED_BY_US, unexplained; a row without
    # IB's figure (an Activity CSV may leave Realized P/L empty) says so: no_ib_figure.
    from datetime import date

    from test_tax_report import ev

    from journal.reconcile import ClosingExecution, reconcile
    from journal.rules.types import RuleResult

    day = date(2025, 3, 3)
    cash = ClosingExecution("U1", "ca-1", day, "100 GONE (cash merger)", "STK", "GONE",
                            D(-100), D(500), open_close="C", action="cash_merger",
                            report_date=day)
    blank = ClosingExecution("U1", "ca-2", day, "100 MSFT (cash merger)", "STK", "MSFT",
                             D(-100), None, open_close="C", action="cash_merger",
                             report_date=day)
    ours = ev("100 MSFT (cash merger)", date(2024, 1, 2), day, "5000.00", "4000.00",
              tx="ca-2")
    rec = reconcile(RuleResult(realized=(ours,)), [cash, blank], 2025)
    assert [(ln.transaction_id, ln.ib_pnl, ln.ours, ln.difference, ln.status, ln.reasons,
             ln.unexplained) for ln in rec.lines] == [
        ("ca-1", D(500), D(0), D(-500), "unexplained", (("NOT_REALIZED_BY_US", D(-500)),),
         D(-500)),
        ("ca-2", None, D("1000.00"), D(0), "no_ib_figure", (), D(0))]
    assert (rec.ib_total, rec.our_total) == (D(500), D("1000.00"))


# -- the Activity CSV's "Closed Lot:" rows under Corporate Actions ------------------------

# A cash merger as IB's Activity CSV writes it, with IB's lot relief after the action row
# (row shape and figures of a real ALE merger quoted in a public issue thread): 40 ALE
# cashed out at 67.00 = 2,680.00; lots 20 sh bought 2024-02-13 (basis 1,138.00, IB's
# realized 1,340.00 - 1,138.00 = 202.00 LT) and 20 sh bought 2024-02-26 (1,129.00, 211.00
# LT); IB's total 413.00. {extra} is an optional earlier purchase IB's relief does not name.
ALE_CSV = """Statement,Header,Field Name,Field Value
Statement,Data,BrokerName,Interactive Brokers LLC
Statement,Data,Title,Activity Statement
Statement,Data,Period,"January 1, 2025 - December 31, 2025"
Statement,Data,WhenGenerated,"2026-01-02, 08:00:00 EST"
Account Information,Header,Field Name,Field Value
Account Information,Data,Account,U9000001 (Individual)
Account Information,Data,Base Currency,USD
Trades,Header,DataDiscriminator,Asset Category,Currency,Symbol,Date/Time,Quantity,T. Price,\
C. Price,Proceeds,Comm/Fee,Basis,Realized P/L,Code
{extra}Trades,Data,Trade,Stocks,USD,ALE,"2024-02-13, 10:00:00",20,56.85,56.85,-1137,-1,1138,0,O
Trades,Data,Trade,Stocks,USD,ALE,"2024-02-26, 10:00:00",20,56.4,56.4,-1128,-1,1129,0,O
Trades,Total,,Stocks,USD,,,,,,"-2,265",-2,"2,267",0,
Corporate Actions,Header,Asset Category,Currency,Report Date,Date/Time,Description,Quantity,\
Proceeds,Value,Realized P/L,Code
Corporate Actions,Data,Stocks,USD,2025-12-15,"2025-12-12, 20:25:00","ALE(US0185223007) \
Merged(Acquisition) for USD 67.00 per Share (ALE, ALLETE INC, US0185223007)",-40,2680,-2716,413,
Corporate Actions,Data,Stocks,USD,Closed Lot:,2024-02-13,Basis: 1138,20,,,202,LT
Corporate Actions,Data,Stocks,USD,Closed Lot:,2024-02-26,Basis: 1129,20,,,211,LT
Corporate Actions,Data,Total,,,,,,2680,-2716,413,
Financial Instrument Information,Header,Asset Category,Symbol,Description,Conid,Security ID,\
Listing Exch,Multiplier,Type,Code
Financial Instrument Information,Data,Stocks,ALE,ALLETE INC,9001,US0185223007,NYSE,1,COMMON,
Codes,Header,Code,Meaning,Code (Cont.),Meaning (Cont.)
Codes,Data,O,Opening Trade,LT,Long Term
Notes/Legal Notes,Header,Type,Note
Notes/Legal Notes,Data,Notes,Synthetic statement written for csp-journal's tests.
"""
EARLIER = 'Trades,Data,Trade,Stocks,USD,ALE,"2024-01-10, 10:00:00",20,50,50,-1000,-1,1001,0,O\n'


def _ale(tmp_path, extra: str = ""):
    path = tmp_path / "ale.csv"
    path.write_text(ALE_CSV.format(extra=extra))
    return path


def test_csv_closed_lots_of_a_cash_merger_are_kept(run, db_path, tmp_path):
    # Before: the two Closed Lot rows were skipped (skipped_corporate_action_closed_lot 2).
    # Now they are IB's closed lots of the action row: opened 2024-02-13 / 2024-02-26, basis
    # 1,138 / 1,129, IB's realized 202 / 211, closed by the action at 2025-12-12 20:25.
    from journal.db import open_ledger
    from journal.readmodel import load_ledger

    res = run("import", _ale(tmp_path), "--format", "json")
    assert res.exit_code == 0, res.output
    (summary,) = json.loads(res.stdout)
    assert (summary["closed_lots"], summary["corporate_actions"]) == (2, 1)
    assert "corporate_action_closed_lot" not in summary["skipped_by_level"]
    data = load_ledger(open_ledger(db_path))
    assert sorted((c.symbol, c.conid, c.open_date.isoformat(), c.trade_date.isoformat(),
                   str(c.close_date_time), c.quantity) for c in data.closed_lots) == [
        ("ALE", "9001", "2024-02-13", "2025-12-12", "2025-12-12 20:25:00", D(20)),
        ("ALE", "9001", "2024-02-26", "2025-12-12", "2025-12-12 20:25:00", D(20))]
    # the merger's lines: 1,340.00 - 1,138.00 = 202.00 and 1,340.00 - 1,129.00 = 211.00,
    # both LT; 413.00 = IB's figure
    assert [_line(r) for r in _json(run, 2025)] == [
        ("2025-12-12", "40 ALE (cash merger)", "413.00", "413.00", "0.00", "match", "")]
    assert run("import", _ale(tmp_path)).exit_code == 0  # re-import: nothing new
    assert len(load_ledger(open_ledger(db_path)).closed_lots) == 2


def test_csv_closed_lots_choose_the_lots_a_cash_merger_relieves(run, tmp_path):
    # The ledger also holds 20 ALE bought 2024-01-10 (basis 1,001.00) that IB's cash-out of
    # 40 shares does not relieve. IB's closed lots name 2024-02-13 and 2024-02-26, so with
    # the default lot method (IB's own pairing) those two are sold: 202.00 + 211.00 = 413.00
    # = IB's, a match, and the 2024-01-10 lot stays open. (Without the rows, FIFO sold
    # 2024-01-10 and 2024-02-13: 339.00 + 202.00 = 541.00, 128.00 unexplained.)
    _import(run, _ale(tmp_path, EARLIER))
    assert [_line(r) for r in _json(run, 2025)] == [
        ("2025-12-12", "40 ALE (cash merger)", "413.00", "413.00", "0.00", "match", "")]
    lots = json.loads(run("lots", "--all", "--format", "json").stdout)
    assert sorted((lot["acquired"], D(lot["remaining"])) for lot in lots) == [
        ("2024-01-10", D(20)), ("2024-02-13", D(0)), ("2024-02-26", D(0))]


# -- the dashboard's lot trail: action lines lead to IB's rows ---------------------------

@pytest.mark.parametrize("fixture, symbol, step, keys", [
    # the merger's two legs (TGTA -300 with the cash, ACQR +150), on the ACQR lot
    ("stock_merger_boot.xml", "ACQR", "stock merger", ["5108000010", "5108000011"]),
    # the spinoff row (CHLD +25, rebooked after IB's cancel) on the child lot
    ("spinoff.xml", "CHLD", "spinoff", ["5109000012"]),
    # IB's Transfer row (FOP in of 50 TRFB) on each lot it brought
    ("transfer_in_ib_lots.xml", "TRFA", "transfer in", None),
])
def test_lot_trail_links_action_lines_to_ib_rows(run, db_path, fixture, symbol, step, keys):
    # Before: an action line had no statement row ("sources" []), and the cost line of a
    # spun-off or transferred lot named a transaction that does not exist (404). Now the
    # action line names IB's rows of the action, whose page shows the file and line, and
    # the cost line the parent's purchase or IB's transfer row.
    from urllib.parse import quote

    from web_helpers import client, tables

    _import(run, CA / fixture)
    lots = json.loads(run("lots", "--all", "--format", "json").stdout)
    mine = [lot["lot_id"] for lot in lots if lot["symbol"] == symbol]
    assert mine
    with client(db_path) as c:
        for lot_id in mine:
            page = c.get(f"/lots/{quote(lot_id, safe='')}")
            assert page.status_code == 200
            steps = tables(page.text)["explanation"]
            (line,) = [s for s in steps if s["step"] == step]
            got = [tx for _account, tx in line["sources"]]
            assert got and (keys is None or got == keys), line
            for s in steps:
                for account, tx in s["sources"]:
                    r = c.get(f"/source/{account}/{tx}")
                    assert r.status_code == 200, (s["step"], tx)
                    rows = tables(r.text)["sources"]
                    assert rows and all(x["file_name"] == fixture and x["source_line"]
                                        for x in rows)


def test_basis_difference_named_by_the_lots_action():
    # Pure: IB's cost of 100 PRNT sold is 7,000.00, ours 8,001.00 (the parent kept all its
    # basis until the spinoff's allocation is given): B +1,001.00 -> LOT_METHOD from the
    # rules, named SPINOFF_BASIS because the lot went through a spinoff; the same lot
    # without the action stays LOT_METHOD. IB 1,999.00 vs ours 998.00: -1,001.00.
    from datetime import date

    from test_tax_report import ev

    from journal.reconcile import ClosingExecution, reconcile
    from journal.rules.types import Adjustment, LotAction, RuleResult, StockLot

    day = date(2025, 6, 2)
    spin = LotAction(date(2025, 4, 1), "spinoff", D(100), D(100), D("8001.00"),
                     D("8001.00"), old_symbol="PRNT", new_symbol="CHLD")
    sale = ev("100 PRNT", date(2024, 3, 1), day, "8999.00", "8001.00", tx="s1", lot="L1",
              underlying="PRNT")
    sale = type(sale)(**{**{f: getattr(sale, f) for f in sale.__slots__},
                         "adjustments": (Adjustment("B", D("-1001.00"), "LOT_METHOD"),)})
    execution = ClosingExecution("U1", "s1", day, "PARENT CORP", "STK", "PRNT", D(-100),
                                 D("1999.00"), cost=D("-7000.00"), open_close="C")

    def lot(actions):
        return StockLot("L1", "U1", "PRNT", D(100), D(0), date(2024, 3, 1),
                        date(2024, 3, 1), D("8001.00"), D("8001.00"), D(0), "purchase",
                        actions=actions)

    for actions, cause in (((spin,), "SPINOFF_BASIS"), ((), "LOT_METHOD")):
        (line,) = reconcile(RuleResult(lots=(lot(actions),), realized=(sale,)), [execution],
                            2025).lines
        assert (line.difference, line.reasons, line.form8949) == (
            D("-1001.00"), ((cause, D("-1001.00")),), f"B: B {cause} -1001.00")
