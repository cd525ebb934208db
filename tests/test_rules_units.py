"""Rules on hand-built ledger records: wash-sale edge cases, lot methods, flags, settings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from journal.errors import ConfigError
from journal.rules import run_rules
from journal.rules.engine import classify_call, term_for
from journal.rules.load import ExecutionRecord, LedgerData, OverrideRecord
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
    assert [(e.gain, e.adjustment_code) for e in und.realized] == [(D("0"), "W"), (D("0"), "")]


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
    assert {"MISSING_STOCK_LEG", "EARLY_ASSIGNMENT", "EXPIRED_NO_CLOSE"} <= codes
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
    p.write_text('[checklist]\nfoo = 1\n[rules]\nlot_method = "lifo"\n'
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
