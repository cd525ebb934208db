"""Property tests of the rules: for random wheel histories (records built directly, no XML)
the gains of all years add up to the cash of the closed positions, and the rules are
deterministic."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal.readmodel import ExecutionRecord, LedgerData
from journal.rules import run_rules
from journal.settings import Settings

UNDERLYINGS = ("MSFT", "MSFT", "MSFT", "KO")
ACCOUNTS = ("U1", "U2")
CENTS = st.integers(min_value=1, max_value=2000).map(lambda c: D(c) / 100)
COMM = st.sampled_from([D("0"), D("-1.05"), D("-1.65"), D("-0.35")])


class History:
    def __init__(self):
        self.rows: list[ExecutionRecord] = []
        self.day = date(2025, 1, 2)
        self.shares: dict = {}
        self.seq = 0

    def add(self, account, und, qty, price, comm, *, pc=None, strike=None, expiry=None,
            notes=(), paid=None, oc=None):
        self.seq += 1
        mult = D(100) if pc else D(1)
        net = -(qty * price * mult) + comm
        desc = f"{und} {expiry:%d%b%y} {strike} {pc}".upper() if pc else und
        self.rows.append(ExecutionRecord(
            self.seq, account, str(1000 + self.seq), "OPT" if pc else "STK",
            desc if pc else und, und, desc, None, pc, strike, expiry, mult, self.day,
            datetime(self.day.year, self.day.month, self.day.day, 10, 0) + timedelta(
                minutes=self.seq), qty, price, net, None, None, frozenset(notes), oc, paid,
            None))
        if not pc:
            key = (account, und)
            self.shares[key] = self.shares.get(key, D(0)) + qty
        return self.rows[-1]

    def advance(self, days):
        self.day += timedelta(days=days)


@st.composite
def wheel_histories(draw):
    h = History()
    open_opts = []  # (account, und, pc, strike, expiry, contracts)
    for _ in range(draw(st.integers(min_value=1, max_value=25))):
        h.advance(draw(st.integers(min_value=0, max_value=20)))
        acc = draw(st.sampled_from(ACCOUNTS))
        und = draw(st.sampled_from(UNDERLYINGS))
        held = h.shares.get((acc, und), D(0))
        action = draw(st.sampled_from(["put", "call", "call", "buy", "sell", "sell", "resolve",
                                           "resolve", "resolve"]))
        strike = D(draw(st.integers(min_value=20, max_value=60)))
        expiry = h.day + timedelta(days=draw(st.integers(min_value=3, max_value=60)))
        if action == "put":
            n = D(draw(st.integers(min_value=1, max_value=3)))
            h.add(acc, und, -n, draw(CENTS), draw(COMM), pc="P", strike=strike, expiry=expiry)
            open_opts.append([acc, und, "P", strike, expiry, n])
        elif action == "call" and held >= 100:
            n = D(int(held // 100))
            h.add(acc, und, -n, draw(CENTS), draw(COMM), pc="C", strike=strike, expiry=expiry)
            open_opts.append([acc, und, "C", strike, expiry, n])
        elif action == "buy":
            h.add(acc, und, D(draw(st.integers(min_value=1, max_value=3)) * 50),
                  D(draw(st.integers(min_value=20, max_value=60))), draw(COMM))
        elif action == "sell" and held > 0:
            h.add(acc, und, -D(draw(st.integers(min_value=1, max_value=int(held)))),
                  D(draw(st.integers(min_value=20, max_value=60))), draw(COMM))
        elif action == "resolve" and open_opts:
            i = draw(st.integers(min_value=0, max_value=len(open_opts) - 1))
            acc, und, pc, k, exp, n = open_opts.pop(i)
            how = draw(st.sampled_from(["expire", "buyback", "assign", "assign"]))
            if h.day < exp and how == "expire":
                h.day = exp
            day_held = h.shares.get((acc, und), D(0))
            if how == "assign" and pc == "C" and day_held < n * 100:
                how = "buyback"
            if how == "expire":
                h.add(acc, und, n, D(0), D(0), pc=pc, strike=k, expiry=exp, notes=("Ep",),
                      oc="C")
            elif how == "buyback":
                h.add(acc, und, n, draw(CENTS), draw(COMM), pc=pc, strike=k, expiry=exp,
                      oc="C")
            else:
                paid = f"pa{h.seq}"
                h.add(acc, und, n, D(0), D(0), pc=pc, strike=k, expiry=exp, notes=("A",),
                      paid=paid, oc="C")
                h.add(acc, und, n * 100 if pc == "P" else -n * 100, k, D(0), notes=("A",),
                      paid=paid)
    # close everything so every position is realized
    h.advance(1)
    for acc, und, pc, k, exp, n in open_opts:
        h.add(acc, und, n, draw(CENTS), D("-1.05"), pc=pc, strike=k, expiry=exp, oc="C")
    for (acc, und), q in sorted(h.shares.items()):
        if q > 0:
            h.add(acc, und, -q, D(draw(st.integers(min_value=20, max_value=60))), D("-1"))
    return h.rows


def _total_gain(result):
    return sum((e.gain for e in result.realized), D(0))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=wheel_histories(), scope=st.sampled_from(["identical", "underlying"]),
       method=st.sampled_from(["FIFO", "LIFO", "HIFO"]))
def test_gains_equal_cash_and_rules_are_deterministic(rows, scope, method):
    data = LedgerData(executions=tuple(rows))
    s = Settings(lot_method=method, option_wash_scope=scope)
    first = run_rules(data, s)
    cash = sum((r.net_cash for r in rows), D(0))
    assert _total_gain(first) == cash
    assert all(not lot.open for lot in first.lots)
    assert all(p.closed is not None for p in first.option_positions)
    # an assigned put's premium is never a realized gain of its own
    assigned = {p.open_transaction_id for p in first.option_positions if p.outcome == "assigned"}
    assert not [e for e in first.realized if e.lot_id and e.lot_id.split(":")[1] in assigned
                and e.asset_category == "OPT"]
    # every disallowed loss reappears in a replacement's basis
    assert sum((w.disallowed for w in first.wash_sales), D(0)) == sum(
        (e.adjustment_amount for e in first.realized), D(0))
    assert run_rules(data, s) == first
    # input order does not matter either
    assert run_rules(LedgerData(executions=tuple(reversed(rows))), s) == first
