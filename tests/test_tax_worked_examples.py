"""tax_rules.md §9 worked examples, each a small Flex statement imported through the CLI,
run through the rules and `journal tax`: the form numbers match the spec to the cent, and
csv, json, xlsx and TXF carry the same totals as the summary."""

from __future__ import annotations

import csv
import io
import json
import zlib
from decimal import Decimal

import pytest

from journal.exporters import txf

from tax_checks import expected_from_summary, totals_from_dicts, xlsx_totals

D = Decimal
ACCT = "U1000001"
CONIDS = {"MSFT": "272093", "SPX": "416904"}
_tx = iter(range(4100000000, 4200000000))


def opt(sym, exp, strike, pc):
    """(symbol, description, fields) of an option contract."""
    y, m, d = exp[2:4], exp[5:7], exp[8:10]
    mon = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
           "DEC"][int(m) - 1]
    occ = f"{sym:<6}{y}{m}{d}{pc}{int(D(strike) * 1000):08d}"
    conid = str(zlib.crc32(occ.encode()))
    return {"assetCategory": "OPT", "symbol": occ, "description": f"{sym} {d}{mon}{y} {strike} {pc}",
            "conid": conid, "underlyingSymbol": sym, "underlyingConid": CONIDS[sym],
            "multiplier": "100", "strike": strike, "expiry": exp, "putCall": pc}


def stk(sym):
    return {"assetCategory": "STK", "symbol": sym, "description": sym, "conid": CONIDS[sym],
            "underlyingSymbol": sym, "underlyingConid": "", "multiplier": "1", "strike": "",
            "expiry": "", "putCall": ""}


def trade(contract, day, qty, price, *, comm="0", oc="O", notes="", ttype="ExchTrade",
          cost=None, fifo="0", pa=""):
    qty, price, comm = D(qty), D(price), D(comm)
    mult = D(contract["multiplier"])
    proceeds = -qty * price * mult
    net = proceeds + comm
    tx = str(next(_tx))
    attrs = dict(contract)
    attrs.update({
        "accountId": ACCT, "currency": "USD", "fxRateToBase": "1",
        "dateTime": f"{day};{'16:20:00' if ttype == 'BookTrade' else '10:30:00'}",
        "tradeDate": day, "reportDate": day, "transactionType": ttype,
        "exchange": "--" if ttype == "BookTrade" else "CBOE",
        "quantity": str(qty), "tradePrice": str(price), "tradeMoney": str(qty * price * mult),
        "proceeds": str(proceeds), "taxes": "0", "ibCommission": str(comm),
        "ibCommissionCurrency": "USD", "netCash": str(net), "openCloseIndicator": oc,
        "notes": notes, "cost": str(-net if cost is None else cost), "fifoPnlRealized": fifo,
        "transactionID": tx, "tradeID": tx, "ibOrderID": tx, "ibExecID": "",
        "buySell": "BUY" if qty > 0 else "SELL", "positionActionID": pa,
        "levelOfDetail": "EXECUTION",
    })
    return "<Trade " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + " />"


def open_position(contract, day, position, mark):
    attrs = dict(contract)
    attrs.update({"accountId": ACCT, "currency": "USD", "fxRateToBase": "1",
                  "reportDate": day, "position": position, "markPrice": mark,
                  "positionValue": str(D(position) * D(mark) * D(contract["multiplier"])),
                  "levelOfDetail": "SUMMARY", "side": "Short" if D(position) < 0 else "Long"})
    return "<OpenPosition " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + " />"


def flex(trades, positions=(), start="2025-01-01", end="2027-01-31"):
    return (
        '<FlexQueryResponse queryName="worked" type="AF"><FlexStatements count="1">'
        f'<FlexStatement accountId="{ACCT}" fromDate="{start}" toDate="{end}" period="" '
        'whenGenerated="2027-02-01;09:00:00">'
        f'<AccountInformation accountId="{ACCT}" currency="USD" name="Worked" />'
        "<Trades>" + "".join(trades) + "</Trades>"
        "<OpenPositions>" + "".join(positions) + "</OpenPositions>"
        "</FlexStatement></FlexStatements></FlexQueryResponse>")


P = opt("MSFT", "2025-11-21", "410", "P")
MSFT = stk("MSFT")


def sell_put():  # common leg P: sell 1 MSFT 21NOV25 410 P @ 2.10, costs 1.65
    return trade(P, "2025-10-20", "-1", "2.10", comm="-1.65")


def assigned(pa="900001"):
    return [trade(P, "2025-11-21", "1", "0", oc="C", notes="A", ttype="BookTrade",
                  cost="208.35", pa=pa),
            trade(MSFT, "2025-11-21", "100", "410", notes="A", ttype="BookTrade",
                  cost="41000", pa=pa)]


def scenarios():
    C = opt("MSFT", "2026-01-16", "420", "C")
    DP = opt("MSFT", "2026-01-16", "400", "P")
    SPX = opt("SPX", "2026-01-16", "5000", "P")
    return {
        "a1": ([sell_put(), trade(P, "2025-11-21", "1", "0", oc="C", notes="Ep",
                                  ttype="BookTrade", cost="208.35", fifo="208.35")], [],
               {"2025": ("ST", "208.35")}),
        "a2": ([sell_put(), trade(P, "2025-11-07", "1", "0.50", comm="-1.65", oc="C",
                                  cost="208.35", fifo="156.70")], [],
               {"2025": ("ST", "156.70")}),
        "a4": ([sell_put(), *assigned(), trade(MSFT, "2026-12-21", "-100", "450", oc="C",
                                               cost="-40791.65", fifo="4208.35")], [],
               {"2025": ("ST", "0.00"), "2026": ("LT", "4208.35")}),
        "a5": ([sell_put(), *assigned(), trade(MSFT, "2026-01-21", "-100", "400", oc="C",
                                               cost="-40791.65", fifo="-791.65")], [],
               {"2026": ("ST", "-791.65")}),
        "b1": ([trade(MSFT, "2025-06-02", "100", "450"), sell_put(),
                trade(MSFT, "2025-11-10", "-100", "405", oc="C", cost="-45000", fifo="-4500"),
                *assigned(), trade(MSFT, "2026-01-21", "-100", "400", oc="C",
                                   cost="-40791.65", fifo="-791.65")], [],
               {"2025": ("ST", "0.00", "4500.00"), "2026": ("ST", "-5291.65")}),
        "b2": ([trade(MSFT, "2025-06-02", "100", "450"), sell_put(),
                trade(MSFT, "2025-11-10", "-100", "405", oc="C", cost="-45000", fifo="-4500"),
                *assigned(), trade(MSFT, "2026-06-15", "-100", "460", oc="C",
                                   cost="-40791.65", fifo="5208.35")], [],
               {"2026": ("LT", "708.35")}),
        "c": ([sell_put(), *assigned(), trade(C, "2025-12-01", "-1", "3.00", comm="-1.65"),
               trade(C, "2026-01-16", "1", "0", oc="C", notes="A", ttype="BookTrade",
                     cost="298.35", pa="900002"),
               trade(MSFT, "2026-01-16", "-100", "420", oc="C", notes="A", ttype="BookTrade",
                     cost="-40791.65", fifo="1506.70", pa="900002")], [],
              {"2025": ("ST", "0.00"), "2026": ("ST", "1506.70")}),
        "d": ([trade(DP, "2025-12-15", "-1", "1.50", comm="-1.65"),
               trade(DP, "2026-01-16", "1", "0", oc="C", notes="Ep", ttype="BookTrade",
                     cost="148.35", fifo="148.35")], [],
              {"2025": ("ST", "0.00"), "2026": ("ST", "148.35")}),
        "e": ([trade(SPX, "2025-12-10", "-1", "10.00", comm="-1.65"),
               trade(SPX, "2026-01-05", "1", "6.00", comm="-1.65", oc="C", cost="998.35",
                     fifo="396.70")],
              [open_position(SPX, "2025-12-31", "-1", "4.00")],
              {"2025": ("1256", "598.35"), "2026": ("1256", "-201.65")}),
    }


EXPECTED_1256 = {"598.35": ("359.01", "239.34"), "-201.65": ("-120.99", "-80.66")}


@pytest.mark.parametrize("name", list(scenarios()))
def test_worked_example(name, run, tmp_path):
    trades, positions, expected = scenarios()[name]
    path = tmp_path / f"{name}.xml"
    path.write_text(flex(trades, positions))
    r = run("import", path)
    assert r.exit_code == 0, r.output
    for year, (term, gain, *wash) in expected.items():
        r = run("tax", year, "--summary", "--format", "json")
        assert r.exit_code == 0, r.output
        s = json.loads(r.stdout)
        if term == "1256":
            lt, st = EXPECTED_1256[gain]
            assert s["section_1256"] == {"gain_loss": gain, "long_term_60": lt,
                                         "short_term_40": st}, (name, year)
            assert s["short_term"]["gain_loss"] == "0.00"  # never on Form 8949
        else:
            key = "short_term" if term == "ST" else "long_term"
            assert s[key]["gain_loss"] == gain, (name, year, s)
        if wash:
            assert s["wash_sale_disallowed"] == wash[0]
            assert s["short_term"]["adjustments"] == wash[0]
        _formats_agree(run, year, s, tmp_path / f"{name}-{year}")


def _formats_agree(run, year, summary, base):
    want = expected_from_summary(summary)
    xlsx, txf_path = base.with_suffix(".xlsx"), base.with_suffix(".txf")
    r = run("tax", year, "--format", "csv", "--xlsx", xlsx, "--txf", txf_path)
    assert r.exit_code == 0, r.output
    assert totals_from_dicts(csv.DictReader(io.StringIO(r.stdout))) == want
    rows = json.loads(run("tax", year, "--format", "json").stdout)
    assert totals_from_dicts(rows) == want
    got = xlsx_totals(xlsx)
    assert (got["I"], got["II"], got["6781"], got["wash"]) == (
        want["I"], want["II"], want["6781"], want["wash"])
    recs = txf.parse(txf_path.read_text(encoding="ascii"))[1]
    assert len(recs) == sum(1 for x in rows if x["form"] == "8949")
    for part, boxes in (("I", "ABC"), ("II", "DEF")):
        mine = [x for x in recs if x.box in boxes]
        assert sum((x.proceeds for x in mine), D(0)) == want[part][0]
        assert sum((x.cost for x in mine), D(0)) == want[part][1]
        # TXF carries the wash sale of (g), not the B/E corrections (the CLI warns)
        assert sum((x.wash_sale for x in mine), D(0)) == sum(
            (D(x["wash_sale"]) for x in rows if x["form"] == "8949" and x["part"] == part),
            D(0))
