"""Wheel cycles and roll chains.

Per account and underlying, a cycle starts with an option opened while no cycle runs, and
ends at the end of a day on which neither shares nor options remain (beyond the shares
held before it began). A close and an open of the same type on one day is a roll. The
user can move an execution to another cycle (``journal cycles --move``, stored as an
override); the closing rows of a moved opening follow it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from journal import vocab
from journal.readmodel import ExecutionRecord
from journal.rules.money import ZERO
from journal.rules.records import ExecInfo
from journal.rules.state import PassState
from journal.vocab import OptionOutcome

_DT_MIN = datetime.min
_ROLL_CLOSES = (OptionOutcome.BOUGHT_TO_CLOSE.value, OptionOutcome.SOLD_TO_CLOSE.value)


@dataclass(slots=True)
class AutoCycle:
    account: str
    underlying: str
    started: date
    ended: date | None = None


@dataclass(slots=True)
class Membership:
    member: dict[int, str]  # execution seq -> cycle id (overrides applied)
    auto: dict[str, AutoCycle]  # cycle id -> the cycle found from the trades alone
    auto_member: dict[int, str]  # execution seq -> automatic cycle id


def chrono(e: ExecutionRecord) -> tuple:
    return (e.trade_date, e.date_time or _DT_MIN, e.seq)


def _new_id(auto: dict[str, AutoCycle], acc: str, und: str, day: date) -> str:
    cid = f"{acc}:{und}:{day.isoformat()}"
    k = 2
    while cid in auto:
        cid = f"{acc}:{und}:{day.isoformat()}#{k}"
        k += 1
    return cid


# the lot actions that move a wheel to another ticker (the cycle goes on there), and those
# that scale its shares (the shares held before the cycle began scale with them)
_RENAMES = ("stock merger", "ISIN/ticker change", "tender")
_SCALES = ("split", "reverse split", "stock dividend")


@dataclass(slots=True)
class _Actions:
    """What corporate actions did to each account's underlyings, by day: renames
    (old ticker, new ticker, new shares per old) and share scalings (ticker, ratio)."""

    renames: dict[tuple[str, date], list[tuple[str, str, Decimal]]]
    scales: dict[tuple[str, date], list[tuple[str, Decimal]]]


def _actions(st: PassState) -> _Actions:
    renames: dict[tuple[str, date], list[tuple[str, str, Decimal]]] = defaultdict(list)
    scales: dict[tuple[str, date], list[tuple[str, Decimal]]] = defaultdict(list)
    for lot in st.stock_lots:
        symbol = lot.symbol  # walked back: the ticker the lot had at each action
        for a in reversed(lot.actions):
            ratio = a.shares_after / a.shares_before if a.shares_before else None
            if a.kind in _RENAMES and a.old_symbol and a.new_symbol \
                    and a.old_symbol != a.new_symbol:
                move = (a.old_symbol, a.new_symbol, ratio or Decimal(1))
                if move not in renames[(lot.account, a.day)]:
                    renames[(lot.account, a.day)].append(move)
                symbol = a.old_symbol
            elif a.kind in _SCALES and ratio and (symbol, ratio) not in \
                    scales[(lot.account, a.day)]:
                scales[(lot.account, a.day)].append((symbol, ratio))
    return _Actions(renames, scales)


@dataclass(slots=True)
class _Walk:
    """The cycles running in one account while its days are walked in order."""

    account: str
    auto: dict[str, AutoCycle]
    member: dict[int, str]
    cur: dict[str, str] = field(default_factory=dict)  # underlying -> running cycle
    base: dict[str, Decimal] = field(default_factory=dict)  # shares held before it began

    def trade(self, e: ExecutionRecord, ei: ExecInfo, day: date) -> None:
        und = e.underlying
        cid = self.cur.get(und)
        if cid is None and ei.opens:
            cid = self.cur[und] = _new_id(self.auto, self.account, und, day)
            self.base[und] = max(ei.shares_after, ZERO)
            self.auto[cid] = AutoCycle(self.account, und, day)
        if cid is not None:
            self.member[e.seq] = cid

    def rename(self, src: str, dst: str, ratio: Decimal, day: date) -> None:
        """A merger or ticker change: the cycle goes on under the new ticker (product
        owner's rule); if one already runs there, the shares join it and this one ends."""
        cid = self.cur.pop(src, None)
        base = self.base.pop(src, ZERO)
        if cid is None:
            return
        if dst in self.cur:
            self.auto[cid].ended = day
            return
        self.cur[dst], self.base[dst] = cid, base * ratio
        self.auto[cid].underlying = dst

    def check(self, und: str, state: tuple[Decimal, Decimal] | None, day: date) -> None:
        cid = self.cur.get(und)
        if cid is None or state is None:
            return
        shares, opts = state
        if opts <= 0 and shares <= self.base[und]:
            self.auto[cid].ended = day
            del self.cur[und]


def _automatic(st: PassState) -> tuple[dict[int, str], dict[str, AutoCycle]]:
    """Per account, the days in order: each day's executions join the cycle running on
    their underlying (or an opening starts one); then that day's corporate actions (a split
    scales the shares held before the cycle, a merger or ticker change moves the cycle to
    the new ticker); then a cycle ends if no shares (beyond those) and no options are left
    at the end of the day. Days with only an action count too: a cash merger, a delisting
    or a transfer out of the last shares ends the cycle on its day."""
    info, option_seqs = st.info, st.option_seqs
    trades: dict[str, dict[date, list[ExecutionRecord]]] = defaultdict(
        lambda: defaultdict(list))
    for e in st.execs:
        if e.seq in info and (e.seq in option_seqs or vocab.is_stock(e.asset_category)):
            trades[e.account][e.trade_date].append(e)
    day_state = st.day_state
    touched: dict[tuple[str, date], set[str]] = defaultdict(set)
    for acc, und, day in day_state:
        touched[(acc, day)].add(und)
    acts = _actions(st)
    member: dict[int, str] = {}
    auto: dict[str, AutoCycle] = {}
    for acc in sorted(trades):
        walk = _Walk(acc, auto, member)
        days = set(trades[acc]) | {d for a, d in touched if a == acc}
        for day in sorted(days):
            for e in sorted(trades[acc].get(day, ()), key=chrono):
                walk.trade(e, info[e.seq], day)
            if acts.scales:
                for und, ratio in acts.scales.get((acc, day), ()):
                    if und in walk.base:
                        walk.base[und] *= ratio
            if acts.renames:
                for src, dst, ratio in acts.renames.get((acc, day), ()):
                    walk.rename(src, dst, ratio, day)
            for und in touched[(acc, day)]:  # each underlying on its own: any order
                walk.check(und, day_state.get((acc, und, day)), day)
    return member, auto


def membership(st: PassState) -> Membership:
    member, auto = _automatic(st)
    overrides = {(o.account, o.transaction_id): o.label for o in st.data.overrides}
    by_tx: dict[tuple[str, str | None], ExecutionRecord] = {
        (e.account, e.transaction_id): e for e in st.execs}
    final: dict[int, str] = {}
    for key, label in overrides.items():
        e = by_tx.get(key)
        if e is not None and e.seq in st.info:
            final[e.seq] = label
    # closing rows follow their position's opening row when only the opening was moved
    moved = {key: final[by_tx[key].seq]
             for key in overrides if key in by_tx and by_tx[key].seq in final}
    if moved:
        for e in st.execs:
            ei = st.info.get(e.seq)
            if ei is None or e.seq in final:
                continue
            for open_tx, _outcome, _pc in ei.closes:
                label = moved.get((e.account, open_tx))
                if label:
                    final[e.seq] = label
                    break
    for seq, cid in member.items():
        final.setdefault(seq, cid)
    return Membership(final, auto, member)


def cycle_end(cid: str, execs: list[ExecutionRecord], ms: Membership) -> date | None:
    """The day a cycle ended (None while it runs). A cycle made by overrides ends when
    every automatic cycle its executions came from has ended."""
    a = ms.auto.get(cid)
    if a is not None:
        return a.ended
    auto_ids = [ms.auto_member.get(e.seq) for e in execs]
    done = all(x is None or ms.auto[x].ended for x in auto_ids)
    return execs[-1].trade_date if done else None


def roll_chains(execs: list[ExecutionRecord], info: dict[int, ExecInfo],
                option_seqs: frozenset[int]) -> tuple:
    """Chains of rolled option positions (tuples of opening transaction ids): a close and
    an open of the same type on the same day."""
    nxt: dict[str | None, str | None] = {}
    by_day: dict[date, list[ExecInfo]] = defaultdict(list)
    for e in execs:
        if e.seq in option_seqs:
            by_day[e.trade_date].append(info[e.seq])
    for infos in by_day.values():
        closes = [(tx, pc) for i in infos for tx, outcome, pc in i.closes
                  if outcome in _ROLL_CLOSES]
        opens = [(tx, pc) for i in infos for tx, pc in i.opens]
        for ctx, cpc in closes:
            for otx, opc in opens:
                if opc == cpc and otx != ctx and ctx not in nxt:
                    nxt[ctx] = otx
                    break
    targets = set(nxt.values())
    chains = []
    for start in nxt:
        if start in targets:
            continue
        chain = [start]
        while chain[-1] in nxt and len(chain) <= len(nxt):
            chain.append(nxt[chain[-1]])
        chains.append(tuple(chain))
    return tuple(sorted(chains))
