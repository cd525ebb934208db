"""Rules on hand-built ledger records: wash-sale edge cases, lot methods, flags, settings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from journal.errors import ConfigError
from journal.readmodel import (
    DividendRecord,
    ExecutionRecord,
    LedgerData,
    OverrideRecord,
    PriceRecord,
    SnapshotRecord,
)
from journal.rules import run_rules
from journal.rules.law import classify_call, term_for
from journal.settings import Settings, from_mapping, load_settings

_seq = iter(range(1, 10**9))


def ex(account, day, und, qty, price, comm="0", *, pc=None, strike=None, expiry=None,
       notes=(), paid=None):
    seq = next(_seq)
    qty, price, comm = D(qty), D(price), D(comm)
    mult = D(100) if pc else D(1)
    desc = f"{und} {expiry:%d%b%y} {strike} {pc}".upper() if pc else und
    return ExecutionRecord(seq, account, f"T{seq}", "OPT" if pc else "STK", desc, und, desc,
                           None, pc, D(strike) if strike else None, expiry, mult, day,
                           datetime(day.year, day.month, day.day, 10, 0), qty, price,
                           -(qty * price * mult) + comm, None, None, frozenset(notes), None,
                           paid, None)


def run(*rows, as_of=None, **kw):
    return run_rules(LedgerData(executions=tuple(rows)), Settings(**kw), as_of)


d = date


def test_term_boundaries():
    assert term_for(d(2025, 11, 21), d(2026, 11, 21)) == "ST"
    assert term_for(d(2025, 11, 21), d(2026, 11, 22)) == "LT"
    assert term_for(d(2024, 2, 29), d(2025, 2, 28)) == "ST"
    assert term_for(d(2024, 2, 29), d(2025, 3, 1)) == "LT"


def test_qcc_classification():
    assert classify_call(D(415), 46, D(420)) == "QCC_OTM"
    assert classify_call(D(432), 45, D(430)) == "QCC_ITM"
    assert classify_call(D(432), 45, D(420)) == "NON_QCC"  # deep in the money
    assert classify_call(D(432), 25, D(450)) == "NON_QCC"  # 30 days or less
    assert classify_call(None, 46, D(420)) == "ASP_UNKNOWN"


def test_partial_wash_sale_is_pro_rata_and_split_lot():
    r = run(ex("A", d(2025, 3, 3), "XYZ", 100, 50),
            ex("A", d(2025, 4, 1), "XYZ", -100, 40),  # loss 1000
            ex("A", d(2025, 4, 10), "XYZ", 40, 41))  # 40 replacement shares
    loss = [e for e in r.realized][0]
    assert (loss.gain, loss.adjustment_code, loss.adjustment_amount) == (D("-600"), "W",
                                                                         D("400"))
    lot = [x for x in r.lots if x.open][0]
    assert lot.tax_basis == D("2040") and lot.quantity == 40
    assert lot.holding_period_acquired == d(2025, 4, 10) - (d(2025, 4, 1) - d(2025, 3, 3))


def test_wash_sale_across_accounts_and_ira_loses_the_loss():
    rows = (ex("A", d(2025, 3, 3), "XYZ", 100, 50), ex("A", d(2025, 4, 1), "XYZ", -100, 40),
            ex("IRA1", d(2025, 4, 20), "XYZ", 100, 41))
    r = run(*rows)
    assert r.realized[0].adjustment_amount == D("1000")
    assert [x for x in r.lots if x.open][0].tax_basis == D("5100")
    r = run(*rows, ira_accounts=frozenset({"IRA1"}))
    assert r.realized[0].adjustment_amount == D("1000")
    assert [x for x in r.lots if x.open][0].tax_basis == D("4100")
    assert r.wash_sales[0].basis_carried is False
    assert "WASH_SALE_IRA" in {f.code for f in r.flags}


def test_december_loss_january_assignment_is_washed_in_december_and_provisional():
    rows = (ex("A", d(2025, 6, 2), "XYZ", 100, 50),
            ex("A", d(2025, 12, 1), "XYZ", -1, "1.00", pc="P", strike=45,
               expiry=d(2026, 1, 9)),
            ex("A", d(2025, 12, 22), "XYZ", -100, 44),
            ex("A", d(2026, 1, 9), "XYZ", 1, 0, pc="P", strike=45, expiry=d(2026, 1, 9),
               notes=("A",), paid="p1"),
            ex("A", d(2026, 1, 9), "XYZ", 100, 45, notes=("A",), paid="p1"))
    r = run(*rows)
    loss = r.realized[0]
    assert (loss.tax_year, loss.adjustment_amount, loss.gain) == (2025, D("600"), D("0"))
    lot = [x for x in r.lots if x.open][0]
    assert lot.tax_basis == D("4500") - D("100") + D("600")
    assert r.provisional_years == frozenset({2025})
    before = run(*rows, as_of=d(2025, 12, 31))
    assert before.realized[0].adjustment_amount == D("0")
    assert 2025 in before.provisional_years
    assert run(*rows, as_of=d(2026, 2, 1)).provisional_years == frozenset()


def test_option_wash_identical_vs_underlying():
    rows = (ex("A", d(2025, 3, 3), "XYZ", -1, "1.00", pc="P", strike=40, expiry=d(2025, 4, 17)),
            ex("A", d(2025, 3, 20), "XYZ", 1, "3.00", pc="P", strike=40, expiry=d(2025, 4, 17)),
            ex("A", d(2025, 3, 21), "XYZ", -1, "2.00", pc="P", strike=38, expiry=d(2025, 5, 16)),
            ex("A", d(2025, 5, 16), "XYZ", 1, 0, pc="P", strike=38, expiry=d(2025, 5, 16),
               notes=("Ep",)))
    ident = run(*rows)
    assert [e.gain for e in ident.realized] == [D("-200"), D("200")]
    assert "WASH_SALE_OPTION" in {f.code for f in ident.flags}
    und = run(*rows, option_wash_scope="underlying")
    # the 38 P carries the 40 P's loss; IB washes only identical contracts (tax_rules.md
    # §3.8), so its 1099-B shows the 38 P's full premium: code B takes the loss back out
    assert [(e.gain, e.adjustment_code) for e in und.realized] == [(D("0"), "W"), (D("0"), "B")]
    replaced = und.realized[1]
    assert (replaced.broker_proceeds, replaced.broker_cost, replaced.cost) == (
        D("200"), D("0"), D("200"))
    assert [(a.code, a.amount, a.cause) for a in replaced.adjustments] == [
        ("B", D("-200"), "WASH_SALE_BASIS")]


def test_lot_methods():
    rows = (ex("A", d(2025, 1, 2), "XYZ", 10, 10), ex("A", d(2025, 1, 3), "XYZ", 10, 30),
            ex("A", d(2025, 1, 4), "XYZ", 10, 20), ex("A", d(2025, 3, 10), "XYZ", -10, 25))
    gains = {m: run(*rows, lot_method=m).realized[0].gain for m in ("FIFO", "LIFO", "HIFO")}
    assert gains == {"FIFO": D(150), "LIFO": D(50), "HIFO": D(-50)}
    per_account = Settings(account_lot_methods={"A": "HIFO"})
    assert run_rules(LedgerData(executions=rows), per_account).realized[0].gain == D(-50)


def test_flags_missing_leg_early_assignment_and_expired_without_close():
    exp = d(2025, 3, 21)
    r = run(ex("A", d(2025, 2, 3), "XYZ", -1, 1, pc="P", strike=40, expiry=exp),
            ex("A", d(2025, 3, 10), "XYZ", 1, 0, pc="P", strike=40, expiry=exp, notes=("A",)),
            ex("A", d(2025, 2, 3), "QQQ", -1, 1, pc="P", strike=400, expiry=exp),
            as_of=d(2025, 4, 1))
    codes = {f.code for f in r.flags}
    assert {"MISSING_STOCK_LEG", "EXPIRED_NO_CLOSE"} <= codes
    (early,) = [f for f in r.flags if f.code == "EARLY_ASSIGNMENT"]
    assert "no year end, long-term anniversary or wash window lies between" in early.message
    assert r.realized == ()  # the premium of an assigned put never becomes a gain


def test_fallback_leg_link_without_position_action_id():
    exp = d(2025, 3, 21)
    r = run(ex("A", d(2025, 2, 3), "XYZ", -2, "1.50", "-2", pc="P", strike=40, expiry=exp),
            ex("A", exp, "XYZ", 2, 0, pc="P", strike=40, expiry=exp, notes=("A",)),
            ex("A", exp, "XYZ", 200, 40, notes=("A",)))
    lot = r.lots[0]
    assert lot.tax_basis == D("8000") - D("298") and lot.source == "put_assignment"
    assert not r.flags


def test_cycle_roll_chain_and_override():
    rows = (ex("A", d(2025, 2, 3), "XYZ", -1, 1, pc="P", strike=40, expiry=d(2025, 2, 21)),
            ex("A", d(2025, 2, 14), "XYZ", 1, 2, pc="P", strike=40, expiry=d(2025, 2, 21)),
            ex("A", d(2025, 2, 14), "XYZ", -1, 3, pc="P", strike=38, expiry=d(2025, 3, 21)),
            ex("A", d(2025, 3, 21), "XYZ", 1, 0, pc="P", strike=38, expiry=d(2025, 3, 21),
               notes=("Ep",)))
    r = run(*rows)
    (c,) = r.cycles
    assert (c.started, c.ended, c.premium_net, c.realized) == (
        d(2025, 2, 3), d(2025, 3, 21), D("200"), D("200"))
    assert c.roll_chains == ((rows[0].transaction_id, rows[2].transaction_id),)
    data = LedgerData(executions=rows,
                      overrides=(OverrideRecord("A", rows[2].transaction_id, "mine"),))
    r2 = run_rules(data, Settings())
    by_id = {c.cycle_id: c for c in r2.cycles}
    assert by_id["mine"].realized == D("300") and by_id["mine"].ended == d(2025, 3, 21)


def test_settings_file(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('[checklist]\nmin_dte = 1\n[rules]\nlot_method = "lifo"\n'
                 'option_wash_scope = "same_underlying"\nsection_1256 = ["abc"]\n'
                 '[accounts."U1"]\nlot_method = "HIFO"\nira = true\n')
    s = load_settings(p)
    assert (s.lot_method, s.option_wash_scope, s.section_1256_extra) == (
        "LIFO", "underlying", frozenset({"ABC"}))
    assert s.lot_method_for("U1") == "HIFO" and s.lot_method_for("U2") == "LIFO"
    assert s.ira_accounts == frozenset({"U1"})
    assert load_settings(tmp_path / "missing.toml") == Settings()
    with pytest.raises(ConfigError, match="lot_method"):
        from_mapping({"rules": {"lot_method": "AVG"}})
    p.write_text("[rules\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings(p)


def test_extra_section_1256_symbol():
    exp = d(2026, 1, 16)
    rows = (ex("A", d(2025, 12, 1), "ABC", -1, 1, pc="P", strike=40, expiry=exp),
            ex("A", exp, "ABC", 1, 0, pc="P", strike=40, expiry=exp, notes=("Ep",)))
    assert run(*rows).realized[0].section_1256 is False
    r = run(*rows, section_1256_extra=frozenset({"ABC"}))
    assert r.realized[0].section_1256 is True and r.realized[0].term == "60/40"
    assert "MTM_MARK_MISSING" in {f.code for f in r.flags}


# -- FLAGs of tax_rules.md that show a case instead of deciding it ------------------------

def codes(r, code):
    return [f for f in r.flags if f.code == code]


def snap(day, symbol, mark):
    return SnapshotRecord("A", day, "STK", symbol, symbol, None, None, None, None, D(1), D(100),
                          D(mark))


def test_cash_settled_root_outside_the_1256_list_is_flagged():
    exp = d(2025, 3, 21)
    rows = (ex("A", d(2025, 2, 3), "MXEF", -1, 5, pc="P", strike=500, expiry=exp),
            ex("A", exp, "MXEF", 1, 2, pc="P", strike=500, expiry=exp, notes=("Ex", "CD")))
    (flag,) = codes(run(*rows), "INDEX_ROOT_UNKNOWN")
    assert flag.symbol == "MXEF" and "section_1256" in flag.message
    known = run(*rows, section_1256_extra=frozenset({"MXEF"}))
    assert not codes(known, "INDEX_ROOT_UNKNOWN") and known.realized[0].section_1256


def test_index_options_against_tracking_etf_shares_are_a_possible_mixed_straddle():
    spx_put = dict(pc="P", strike=5000, expiry=d(2025, 3, 21))
    shares_first = run(ex("A", d(2025, 2, 3), "SPY", 100, 500),
                       ex("B", d(2025, 2, 4), "SPX", -1, 20, **spx_put))
    (flag,) = codes(shares_first, "MIXED_STRADDLE")
    assert flag.account == "B" and "SPY" in flag.message  # across accounts
    puts_first = run(ex("A", d(2025, 2, 3), "SPX", -1, 20, **spx_put),
                     ex("A", d(2025, 2, 4), "SPY", 100, 500))
    assert [f.symbol for f in codes(puts_first, "MIXED_STRADDLE")] == ["SPY"]
    apart = run(ex("A", d(2025, 2, 3), "SPX", -1, 20, **spx_put),
                ex("A", d(2025, 2, 10), "SPX", 1, 10, **spx_put),
                ex("A", d(2025, 2, 11), "SPY", 100, 500),
                ex("A", d(2025, 2, 12), "QQQ", 100, 500))
    assert not codes(apart, "MIXED_STRADDLE")


def test_sale_near_the_lt_boundary_of_a_tacked_holding_period_is_flagged():
    base = (ex("A", d(2024, 1, 2), "XYZ", 100, 50), ex("A", d(2024, 3, 1), "XYZ", -100, 40),
            ex("A", d(2024, 3, 10), "XYZ", 100, 41))
    # tacked: 59 days held before the loss sale, so the replacement is LT after 2025-01-11
    near = run(*base, ex("A", d(2025, 1, 20), "XYZ", -100, 45))
    (flag,) = codes(near, "WASH_TACKING_LT_EDGE")
    assert "9 days after" in flag.message and near.realized[-1].term == "LT"
    assert not codes(run(*base, ex("A", d(2025, 6, 2), "XYZ", -100, 45)),
                     "WASH_TACKING_LT_EDGE")


def test_settlement_across_the_year_end():
    from journal.rules.law import settles_next_year
    assert settles_next_year(d(2025, 12, 31)) and not settles_next_year(d(2025, 12, 30))
    assert settles_next_year(d(2027, 12, 31))  # a Friday: settles Monday Jan 3
    assert settles_next_year(d(2021, 12, 30), stock=True)  # T+2 before 2024-05-28
    assert not settles_next_year(d(2021, 12, 30))


def test_settlement_shortcut_agrees_with_the_exchange_calendar():
    """settles_next_year skips the calendar when enough weekdays are left in December;
    every December day of 2000-2035, T+1 and T+2, against counting trading days."""
    from datetime import timedelta

    from journal import coverage
    from journal.rules.law import T1_STOCK_FROM, settles_next_year

    def counted(day, stock):
        left, n = (2 if stock and day < T1_STOCK_FROM else 1), day
        while left:
            n += timedelta(days=1)
            left -= coverage.is_trading_day(n)
        return n.year > day.year

    for year in range(2000, 2036):
        for day in range(1, 32):
            for stock in (False, True):
                assert settles_next_year(d(year, 12, day), stock) == counted(
                    d(year, 12, day), stock), (year, day, stock)


def test_short_position_closed_at_a_loss_on_the_last_trading_day_is_flagged():
    put = dict(pc="P", strike=40, expiry=d(2026, 1, 16))
    opened = ex("A", d(2025, 11, 3), "XYZ", -1, 1, **put)
    (flag,) = codes(run(opened, ex("A", d(2025, 12, 31), "XYZ", 1, 3, **put)),
                    "YEAR_END_SHORT_LOSS")
    assert flag.tax_year == 2025 and "200.00" in flag.message
    assert not codes(run(opened, ex("A", d(2025, 12, 30), "XYZ", 1, 3, **put)),
                     "YEAR_END_SHORT_LOSS")
    assert not codes(run(opened, ex("A", d(2025, 12, 31), "XYZ", 1, "0.5", **put)),
                     "YEAR_END_SHORT_LOSS")  # a gain: trade date, nothing to flag
    short_stock = run(ex("A", d(2025, 11, 3), "XYZ", -100, 40),
                      ex("A", d(2025, 12, 31), "XYZ", 100, 45))
    assert len(codes(short_stock, "YEAR_END_SHORT_LOSS")) == 1


def test_deep_itm_call_against_appreciated_shares_may_be_a_constructive_sale():
    call = dict(pc="C", strike=40, expiry=d(2025, 8, 15))
    for basis, expected in ((30, 1), (70, 0)):
        rows = (ex("A", d(2025, 1, 2), "XYZ", 100, basis),
                ex("A", d(2025, 6, 3), "XYZ", -1, 21, **call))
        data = LedgerData(executions=rows, snapshots=(snap(d(2025, 6, 2), "XYZ", 60),))
        r = run_rules(data, Settings())
        assert len(codes(r, "CONSTRUCTIVE_SALE")) == expected, basis
        assert codes(r, "NON_QCC")  # deep in the money: not qualified either way


def test_non_qcc_call_loss_with_shares_held_at_year_end_is_a_deferral_flag():
    call = dict(pc="C", strike=50, expiry=d(2025, 12, 26))
    rows = (ex("A", d(2025, 9, 2), "XYZ", 100, 50),
            ex("A", d(2025, 12, 1), "XYZ", -1, 1, **call),  # 25 days: not a QCC
            ex("A", d(2025, 12, 15), "XYZ", 1, 3, **call))  # bought back at a loss
    (flag,) = codes(run(*rows), "STRADDLE_LOSS_DEFERRAL")
    assert flag.tax_year == 2025 and "200.00" in flag.message
    sold = run(*rows, ex("A", d(2025, 12, 20), "XYZ", -100, 53))
    assert not codes(sold, "STRADDLE_LOSS_DEFERRAL")  # no open gain leg at year end
    # the other way round: shares sold at a loss while the call is open at year end
    call2 = dict(pc="C", strike=45, expiry=d(2026, 1, 9))
    r = run(ex("A", d(2025, 9, 2), "XYZ", 100, 50), ex("A", d(2025, 12, 19), "XYZ", -1, 1, **call2),
            ex("A", d(2025, 12, 22), "XYZ", -100, 44))
    assert [f.date for f in codes(r, "STRADDLE_LOSS_DEFERRAL")] == [d(2025, 12, 22)]


def test_qcc_loss_in_december_with_the_shares_gain_in_january_loses_qualification():
    call = dict(pc="C", strike=55, expiry=d(2026, 1, 16))
    rows = (ex("A", d(2025, 6, 2), "XYZ", 100, 50),
            ex("A", d(2025, 11, 20), "XYZ", -1, 1, **call),  # 57 days: qualified
            ex("A", d(2025, 12, 29), "XYZ", 1, 4, **call))  # loss of 300 in 2025
    (flag,) = codes(run(*rows, ex("A", d(2026, 1, 5), "XYZ", -100, 58)), "QCC_YEAR_END")
    assert flag.date == d(2025, 12, 29) and flag.tax_year == 2025
    assert not codes(run(*rows, ex("A", d(2026, 2, 10), "XYZ", -100, 58)), "QCC_YEAR_END")
    assert not codes(run(*rows, ex("A", d(2025, 12, 30), "XYZ", -100, 58)), "QCC_YEAR_END")


def test_dividend_paid_under_a_non_qualified_call_is_flagged():
    call = dict(pc="C", strike=50, expiry=d(2025, 12, 26))
    rows = (ex("A", d(2025, 9, 2), "XYZ", 100, 50), ex("A", d(2025, 12, 1), "XYZ", -1, 1, **call),
            ex("A", d(2025, 12, 26), "XYZ", 1, 0, **call, notes=("Ep",)))

    def flags(paid):
        data = LedgerData(executions=rows, dividends=(DividendRecord("A", "XYZ", paid, D(50)),))
        return codes(run_rules(data, Settings()), "DIVIDEND_HOLDING_PERIOD")

    assert [f.date for f in flags(d(2025, 12, 10))] == [d(2025, 12, 10)]
    assert flags(d(2025, 11, 10)) == [] and flags(d(2026, 1, 10)) == []


def test_dividends_and_stock_closes_are_loaded_from_the_ledger(tmp_path):
    from journal.db import open_ledger
    from journal.imports import import_file
    from journal.rules import load_ledger

    from conftest import SAMPLES

    engine = open_ledger(str(tmp_path / "l.db"))
    import_file(engine, SAMPLES / "wheel_2025_U7654321.xml")
    data = load_ledger(engine)
    assert [(x.account, x.symbol, x.paid, x.amount) for x in data.dividends] == [
        ("U7654321", "KO", d(2025, 4, 1), D(51))]
    closes = {(p.day, p.symbol): p.close for p in data.prices}
    assert closes[(d(2025, 11, 21), "MSFT")] == D("403.65")  # the assignment's stock row
    assert closes[(d(2025, 2, 3), "KO")] == D("62.55")


def test_covered_call_is_classified_with_a_prior_close_from_prices():
    call = dict(pc="C", strike=58, expiry=d(2025, 7, 18))  # 45 days
    rows = (ex("A", d(2025, 1, 2), "XYZ", 100, 50), ex("A", d(2025, 6, 3), "XYZ", -1, 3, **call))
    assert codes(run(*rows), "ASP_UNKNOWN")
    priced = LedgerData(executions=rows, prices=(PriceRecord(d(2025, 6, 2), "XYZ", D(60)),))
    r = run_rules(priced, Settings())
    assert not codes(r, "ASP_UNKNOWN") and codes(r, "QCC_ITM")  # 55 <= 58 < 60
    stale = LedgerData(executions=rows, prices=(PriceRecord(d(2025, 5, 20), "XYZ", D(60)),))
    assert codes(run_rules(stale, Settings()), "ASP_UNKNOWN")  # older than 5 days


def test_the_users_prices_csv_reaches_the_rules(tmp_path, monkeypatch):
    from journal.rules import _with_user_prices

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert _with_user_prices(LedgerData()).prices == ()
    prices = tmp_path / "prices.csv"
    prices.write_text("date,symbol,close\n2025-06-02,xyz,60.5\n")
    (tmp_path / "csp-journal").mkdir()
    (tmp_path / "csp-journal" / "config.toml").write_text(
        f'[checklist]\nprices_csv = "{prices}"\n')
    mine = (PriceRecord(d(2025, 6, 1), "XYZ", D(59)),)
    assert _with_user_prices(LedgerData(prices=mine)).prices == mine + (
        PriceRecord(d(2025, 6, 2), "XYZ", D("60.5")),)


def test_trades_in_another_currency_are_flagged_once_per_account_currency_and_year():
    from dataclasses import replace
    rows = [replace(ex("A", d(2025, m, 2), "SAP", 10, 200), currency=c)
            for m, c in ((2, "EUR"), (3, "EUR"), (4, "USD"))]
    rows.append(replace(ex("A", d(2026, 1, 5), "SAP", -30, 210), currency="EUR"))
    flags = codes(run(*rows), "NON_USD")
    assert [(f.account, f.tax_year) for f in flags] == [("A", 2025), ("A", 2026)]
    assert all("EUR" in f.message for f in flags)


def test_early_assignment_flag_says_where_the_day_matters():
    def put_assigned(day, expiry=d(2026, 1, 16), *before):
        put = dict(pc="P", strike=50, expiry=expiry)
        return run(*before, ex("A", d(2025, 11, 3), "XYZ", -1, 1, **put),
                   ex("A", day, "XYZ", 1, 0, **put, notes=("A",), paid="P1"),
                   ex("A", day, "XYZ", 100, 50, notes=("A",), paid="P1"))

    (flag,) = codes(put_assigned(d(2026, 1, 2)), "EARLY_ASSIGNMENT")  # OCC: Dec 31
    assert "2025-12-31" in flag.message and "year end" in flag.message
    (plain,) = codes(put_assigned(d(2025, 11, 12)), "EARLY_ASSIGNMENT")
    assert "choice of day matters" not in plain.message and "2025-11-11" in plain.message
    # a stock loss 30 days before OCC's day but 31 before IB's: the window edge
    loss = (ex("A", d(2025, 3, 3), "XYZ", 100, 60), ex("A", d(2025, 10, 10), "XYZ", -100, 55))
    (flag,) = codes(put_assigned(d(2025, 11, 10), d(2025, 11, 21), *loss), "EARLY_ASSIGNMENT")
    assert "wash-sale window" in flag.message and "2025-11-07" in flag.message
    # a call assigned a day after OCC's exercise, on the shares' LT anniversary
    call = dict(pc="C", strike=55, expiry=d(2025, 3, 21))
    r = run(ex("A", d(2024, 3, 4), "XYZ", 100, 50), ex("A", d(2025, 2, 10), "XYZ", -1, 1, **call),
            ex("A", d(2025, 3, 5), "XYZ", 1, 0, **call, notes=("A",), paid="P2"),
            ex("A", d(2025, 3, 5), "XYZ", -100, 55, notes=("A",), paid="P2"))
    (flag,) = codes(r, "EARLY_ASSIGNMENT")
    assert "long-term anniversary" in flag.message
    assert r.realized[0].term == "LT"  # IB's date (the day after the anniversary) is used


def test_ib_lot_method_follows_ibs_closed_lots_else_fifo():
    from journal.readmodel import ClosedLotRecord

    rows = (ex("A", d(2025, 1, 2), "XYZ", 10, 10), ex("A", d(2025, 1, 3), "XYZ", 10, 30),
            ex("A", d(2025, 3, 10), "XYZ", -10, 25))
    # IB relieved the second lot (say the account uses Highest Cost at IB)
    ib_lot = ClosedLotRecord("A", None, "XYZ", rows[1].transaction_id, d(2025, 3, 10),
                             None, D(10))
    with_lots = LedgerData(executions=rows, closed_lots=(ib_lot,))
    ib = Settings(lot_method="IB")
    assert run_rules(with_lots, ib).realized[0].gain == D(-50)  # §4: IB's pairing
    # with lot_method left unset, IB's pairing is the default too
    assert run_rules(with_lots, Settings()).realized[0].gain == D(-50)
    assert run_rules(with_lots, Settings(lot_method="FIFO")).realized[0].gain == D(150)
    plain = run(*rows, lot_method="IB")  # no closed-lot detail: FIFO, nothing to flag
    assert plain.realized[0].gain == D(150) and not plain.flags
    assert codes(run(*rows, lot_method="SPECIFIC"), "SPECIFIC_LOT_MISSING")
    # the Activity CSV names the relieved lot by its opening date, not by a transaction id
    csv_lot = ClosedLotRecord("A", None, "XYZ", None, d(2025, 3, 10), None, D(-10),
                              open_date=d(2025, 1, 3))
    by_date = LedgerData(executions=rows, closed_lots=(csv_lot,))
    assert run_rules(by_date, ib).realized[0].gain == D(-50)


def test_sizes_keep_the_spelling_of_each_quantity():
    from decimal import Decimal

    from journal.rules.money import size

    assert str(size(Decimal("-1.0"))) == "1.0" and str(size(Decimal("-1"))) == "1"
    assert str(size(Decimal("-1.0"))) == "1.0" and size(Decimal("2")) == 2
