"""Wheel cycles and roll chains.

Per account and underlying, a cycle starts with an option opened while no cycle runs, and
ends at the end of a day on which neither shares nor options remain (beyond the shares
held before it began). A close and an open of the same type on one day is a roll. The
user can move an execution to another cycle (``journal cycles --move``, stored as an
override); the closing rows of a moved opening follow it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

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


def _automatic(st: PassState) -> tuple[dict[int, str], dict[str, AutoCycle]]:
    by_und: dict[tuple[str, str], list[ExecutionRecord]] = defaultdict(list)
    info, option_seqs = st.info, st.option_seqs
    for e in st.execs:
        if e.seq in info and (e.seq in option_seqs or vocab.is_stock(e.asset_category)):
            by_und[(e.account, e.underlying)].append(e)
    member: dict[int, str] = {}
    auto: dict[str, AutoCycle] = {}
    for (acc, und), execs in by_und.items():
        execs.sort(key=chrono)
        cur: str | None = None
        baseline = ZERO  # shares held before the cycle began are not the cycle's
        i = 0
        while i < len(execs):
            day = execs[i].trade_date
            while i < len(execs) and execs[i].trade_date == day:
                e = execs[i]
                ei = info[e.seq]
                if cur is None and ei.opens:
                    cur = _new_id(auto, acc, und, day)
                    baseline = max(ei.shares_after, ZERO)
                    auto[cur] = AutoCycle(acc, und, day)
                if cur is not None:
                    member[e.seq] = cur
                i += 1
            if cur is not None:
                shares, opts = st.day_state[(acc, und, day)]
                if opts <= 0 and shares <= baseline:
                    auto[cur].ended = day
                    cur = None
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
