"""Option executions in the pass: opening and closing option lots (tax_rules.md §1, §2, §6).

**Premium never becomes income on assignment.** The option leg of an assignment or
exercise creates no realized event: its cash is added to the linked stock leg (basis for
a put, amount realized for a call, §1–2). Without a stock leg the premium stays deferred
and a MISSING_STOCK_LEG flag is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from journal import vocab
from journal.readmodel import ExecutionRecord
from journal.rules import wash
from journal.rules.law import (
    ASP_UNKNOWN,
    LT,
    NEEDS_REVIEW,
    NON_QCC,
    QCC_ITM,
    ST,
    classify_call,
    lowest_qualified_benchmark,
    settles_next_year,
    term_for,
)
from journal.rules.money import CENT, ZERO, fmt_qty, part, size
from journal.rules.records import EarlyAssignment, ExecInfo, Lot, OptionClose, Piece
from journal.rules.section1256 import (
    INDEX_TRACKERS,
    TERM_1256,
    is_section_1256,
    mark_to_market,
)
from journal.rules.state import PassState, marked_closing, option_key
from journal.vocab import FlagCode, OptionOutcome

_ASSIGNED = OptionOutcome.ASSIGNED.value
_EXERCISED = OptionOutcome.EXERCISED.value
_EXPIRED = OptionOutcome.EXPIRED.value
_CASH_SETTLED = OptionOutcome.CASH_SETTLED.value
_OPT = vocab.AssetCategory.OPT.value
_OUTCOMES: dict[tuple, str] = {}


def _is1256(st: PassState, e: ExecutionRecord) -> bool:
    """Classify a contract once (§6) by its root; the pass looks the answer up by symbol
    after that (the symbol's text is one shared object whose hash Python keeps, a root
    would be a new string to hash for every execution)."""
    root = (e.underlying, e.symbol[:6], e.asset_category)
    known = st.is1256.get(root)
    if known is None:
        known = st.is1256[root] = is_section_1256(
            e.underlying, e.symbol, e.asset_category, st.settings.section_1256_extra)
    st.is1256_of[(e.symbol, e.underlying, e.asset_category)] = known
    return known


def _outcome(e: ExecutionRecord, closing_short: bool, is1256: bool) -> str:
    key = (e.notes, closing_short, is1256)
    outcome = _OUTCOMES.get(key)
    if outcome is None:
        outcome = _OUTCOMES[key] = vocab.option_outcome(
            e.notes, closing_short=closing_short, section_1256=is1256).value
    return outcome


def option(st: PassState, e: ExecutionRecord, info: ExecInfo) -> None:
    """An option execution: close open lots of the other side first, open the rest."""
    is1256 = st.is1256_of.get((e.symbol, e.underlying, e.asset_category))
    if is1256 is None:
        is1256 = _is1256(st, e)
    queue = st.positions[option_key(e)]
    side = 1 if e.quantity > ZERO else -1
    total = remaining = size(e.quantity)
    if not remaining:
        return
    cash = e.net_cash
    if queue and queue[0].side != side:
        fifo = e.fifo_pnl
        outcome = _outcome(e, queue[0].side < 0, is1256)
        opt_open, okey = st.opt_open, (e.account, e.underlying)
        while queue:
            lot = queue[0]
            n = lot.rem
            if n < remaining:  # the lot closes whole, the execution goes on
                c = part(cash, n, remaining)
                f = part(fifo, n, remaining) if fifo is not None else None
                cash -= c
                if fifo is not None and f is not None:
                    fifo -= f
                remaining -= n
            else:  # the execution's last units: all of its cash left
                n, c, f = remaining, cash, fifo
                remaining = ZERO
            close_option(st, e, lot, n, c, f, outcome, info, is1256)
            opt_open[okey] -= n
            if lot.rem == 0:
                queue.pop(0)
            if remaining == 0:
                return
        if marked_closing(e):
            _close_without_opening(st, e, remaining, total, cash, fifo, side, info, is1256)
            return
    _open(st, e, queue, side, remaining, cash, info, is1256)


def _close_without_opening(st: PassState, e: ExecutionRecord, remaining: Decimal,
                           total: Decimal, cash: Decimal, fifo: Decimal | None, side: int,
                           info: ExecInfo, is1256: bool) -> None:
    """A close whose opening trade is not in the ledger: IB's cost is its premium."""
    opening = part(e.cost or ZERO, remaining, total)
    lot = Lot(f"{e.account}:{e.transaction_id}:?", e.account, e, e.symbol, e.underlying,
              -side, remaining, opening, None, True, is1256)
    st.flags.trade(FlagCode.MISSING_OPENING_LOT, e,
                   f"{e.description or e.symbol}: closing trade on {e.trade_date} has no "
                   "opening trade in the ledger; IB's cost used, open date unknown")
    okey = (e.account, e.underlying)
    st.opt_open[okey] += remaining
    close_option(st, e, lot, remaining, cash, fifo, _outcome(e, side > 0, is1256), info,
                 is1256)
    st.opt_open[okey] -= remaining


def _open(st: PassState, e: ExecutionRecord, queue: list[Lot], side: int,
          remaining: Decimal, cash: Decimal, info: ExecInfo, is1256: bool) -> None:
    tx, put_call = e.transaction_id, e.put_call
    lot = Lot(f"{e.account}:{tx}", e.account, e, e.symbol, e.underlying,
              side, remaining, cash, e.trade_date, True, is1256)
    queue.append(lot)
    st.opt_open[(e.account, e.underlying)] += remaining
    info.opens = [*info.opens, (tx, put_call)]  # (an execution opens one lot)
    if is1256:
        mixed_straddle(st, e, INDEX_TRACKERS.get(e.underlying.upper(), ()), ())
    elif side < 0:
        if put_call == "C":
            _covered_call(st, e, lot)
        elif put_call == "P":
            # RR 85-87: only an in-the-money put is a replacement; checked against loss
            # sales after the pass (journal.rules.flags), here we remember the price known.
            st.puts_written.append((e, st.marks.asp(e.underlying, e.trade_date)))
    wash.register(st, lot)


def _covered_call(st: PassState, e: ExecutionRecord, lot: Lot) -> None:
    """Classify a call written against shares (§2.2) and attach it to the lots it covers."""
    need = lot.rem * e.multiplier
    covered, held = [], ZERO  # the share lots in order until they cover the call
    for s in st.positions.get((e.account, "S", e.underlying), ()):
        if s.side > 0 and s.rem > 0:
            covered.append(s)
            held += s.rem
            if held >= need:
                break
    if held < need and held < e.multiplier:  # held < min(need, multiplier)
        return
    dte = (e.expiry - e.trade_date).days if e.expiry else 0
    asp = st.marks.asp(e.underlying, e.trade_date)
    cls = classify_call(asp, dte, e.strike or ZERO)
    lot.qcc, lot.covered = cls, covered
    st.calls_written.append(lot)
    desc = e.description or e.symbol
    if asp is not None and e.strike is not None and \
            e.strike < lowest_qualified_benchmark(asp, dte, e.strike):
        _constructive_sale(st, e, covered, asp)
    if cls == NON_QCC:
        for s in covered:
            if s.hp is not None and term_for(s.hp, e.trade_date) == ST:
                s.needs_review = True
    if not st.flags.keeps(e.trade_date):  # each flag below is dated on the trade date
        return
    if cls == NON_QCC:
        price = f", ASP {asp}" if asp is not None else ""
        st.flags.trade(FlagCode.NON_QCC, e,
                       f"{desc} written {e.trade_date} ({dte} DTE{price}) is not a qualified "
                       "covered call: straddle rules (§1092) may restart the holding period "
                       "of the shares and defer losses; LT results of those shares need review")
    elif cls == ASP_UNKNOWN:
        st.flags.trade(FlagCode.ASP_UNKNOWN, e,
                       f"{desc} written {e.trade_date} against shares: no prior-close price in "
                       "the statements or the prices CSV ([checklist] prices_csv), so "
                       "in/deep-in-the-money cannot be checked; treated as an "
                       "out-of-the-money qualified covered call")
    elif cls == QCC_ITM:
        st.flags.trade(FlagCode.QCC_ITM, e,
                       f"{desc} written {e.trade_date} in the money (ASP {asp}): the shares' "
                       "holding period is suspended while it is open and a loss on it is LT "
                       "if the shares are LT (§1092(f)); strike ladder approximated")


def _constructive_sale(st: PassState, e: ExecutionRecord, covered: list[Lot],
                       asp: Decimal) -> None:
    shares = sum((s.qty for s in covered), ZERO)
    basis = sum((s.orig_cost for s in covered), ZERO)
    if shares and basis / shares < asp:
        per_share = (basis / shares).quantize(CENT)
        st.flags.trade(FlagCode.CONSTRUCTIVE_SALE, e,
                       f"{e.description or e.symbol} written {e.trade_date} deep in the money "
                       f"(strike {e.strike}, price {asp}) against shares that have gained "
                       f"(basis {per_share} a share): a constructive sale of the shares is "
                       "possible (§1259); not applied")


def mixed_straddle(st: PassState, e: ExecutionRecord, etfs: Sequence[str],
                   roots: Sequence[str]) -> None:
    """§6 / §1092(b)(2): index options opened while tracking-ETF shares are held (or the
    shares bought while such options are open), in any account: a possible mixed
    straddle, which changes how losses and the 60/40 split work. Shown, not decided."""
    held = sorted({sym for (_acc, sym), q in st.stock_qty.items() if sym in etfs and q})
    open_roots = sorted({und for (_acc, und), n in st.opt_open.items()
                         if und in roots and n > 0})
    others = held + open_roots
    if not others:
        return
    st.flags.trade(FlagCode.MIXED_STRADDLE, e,
                   f"{e.description or e.symbol} opened {e.trade_date} while "
                   f"{', '.join(others)} positions were open: §1256 index options against "
                   "shares tracking the same index may be a mixed straddle (§1092(b)(2)); "
                   "loss deferral and the 60/40 split need review")


def _suspend_clock(lot: Lot, close_date: date) -> None:
    """§1092(f): an in-the-money qualified covered call stops the covered shares' clock
    for the days it was open; a loss on it is LT if the shares were LT at its close."""
    assert lot.acquired is not None
    lot.suspended = any(s.rem > 0 and s.hp is not None and term_for(s.hp, close_date) == LT
                        for s in lot.covered)
    days = timedelta(days=(close_date - lot.acquired).days)
    for s in lot.covered:
        if s.rem > 0 and s.hp is not None:
            s.hp = s.hp + days
            s.clock_suspended = True


def close_option(st: PassState, e: ExecutionRecord, lot: Lot, n: Decimal, c: Decimal,
                 f: Decimal | None, outcome: str, info: ExecInfo, is1256: bool) -> None:
    """Close ``n`` units of ``lot`` by ``e`` (``c``: their share of its cash)."""
    close_date = e.expiry if outcome == _EXPIRED and e.expiry \
        else e.trade_date
    if is1256:
        mark_to_market(st, lot, close_date, before=True)
    if lot.qcc == QCC_ITM and lot.suspended is None and lot.acquired:
        _suspend_clock(lot, close_date)
    oc, w, p, bw = lot.take(n)
    lot.closed_on = close_date
    ex, side = lot.ex, lot.side
    if info.closes:
        info.closes.append((lot.tx, outcome, ex.put_call))  # type: ignore[attr-defined]
    else:
        info.closes = [(lot.tx, outcome, ex.put_call)]
    closed = OptionClose(lot, n * side, close_date, outcome, p, -c, e.transaction_id)
    st.option_closes.append(closed)
    desc = ex.description or ex.symbol
    if outcome in (_ASSIGNED, _EXERCISED):
        _to_stock_leg(st, e, lot, closed, oc + c - w, outcome, desc)
        return
    if outcome == _CASH_SETTLED and not is1256:
        st.flags.add(FlagCode.INDEX_ROOT_UNKNOWN, e.account,
                     f"{desc} was settled in cash on {e.trade_date}, so its underlying "
                     f"{ex.underlying} looks like an index that is not in the §1256 list: if "
                     "it is broad-based, add it to [rules] section_1256 (60/40, Form 6781); "
                     "otherwise it stays an equity option on Form 8949",
                     d=e.trade_date, symbol=ex.underlying, tx=e.transaction_id)
    proceeds, cost = (oc, -c + w) if side < 0 else (c, -oc + w)
    if side < 0 and proceeds < cost and settles_next_year(close_date):
        year_end_short_loss(st, e, f"{fmt_qty(n)} {desc}", close_date, proceeds - cost)
    if is1256:
        term = TERM_1256
    elif side < 0:
        term = ST  # §1234(b): written options are always short-term
        if lot.suspended is True and proceeds - cost < 0:
            term = LT  # ITM QCC loss while the shares were LT (§1092(f)(1))
    else:
        term = term_for(lot.hp, close_date) if lot.hp else NEEDS_REVIEW
    piece = Piece(e.account, f"{fmt_qty(n)} {desc}", ex.underlying,
                  ex.asset_category or _OPT, n, lot.acquired,
                  close_date, proceeds, cost, term, outcome, is1256, e.transaction_id, e.seq,
                  f, lot.lot_id, lot.hp, side, desc,
                  e, oc, c, w, bw, lot.broker_hp)  # closing .. broker_hp
    st.pieces.append(piece)
    if proceeds - cost < 0 and not is1256 and lot.families:
        wash.wash_loss(st, piece, lot.families, {id(lot)})


def _to_stock_leg(st: PassState, e: ExecutionRecord, lot: Lot, closed: OptionClose,
                  cash: Decimal, outcome: str, desc: str) -> None:
    """An assignment or exercise: the option's cash joins its stock leg (§1, §2.1)."""
    stock_seq = st.links.get(e.seq)
    if e.expiry and e.trade_date < e.expiry and outcome == _ASSIGNED:
        st.early.append(EarlyAssignment(e, lot, stock_seq))
    if stock_seq is None:
        st.flags.trade(FlagCode.MISSING_STOCK_LEG, e,
                       f"{desc} {outcome} on {e.trade_date} has no stock leg in the ledger; "
                       "its premium stays deferred (it belongs in the shares' basis or "
                       "proceeds, never in income)")
        return
    st.extra_cash[stock_seq] += cash
    ex = lot.ex
    buy_shares = (ex.put_call == "P") == (lot.side < 0)
    st.leg_kind[stock_seq] = (
        ("put_assignment" if lot.side < 0 else "call_exercise") if buy_shares
        else ("assigned_call_shares" if lot.side < 0 else "exercised"))
    closed.stock_seq = stock_seq


def year_end_short_loss(st: PassState, e: ExecutionRecord, what: str, d: date,
                        loss: Decimal) -> None:
    st.flags.add(FlagCode.YEAR_END_SHORT_LOSS, e.account,
                 f"short position {what} closed at a loss of {-loss.quantize(CENT)} on {d}, "
                 f"which settles in {d.year + 1}: the loss is reported in {d.year} (trade "
                 "date); for short stock the loss may belong to the settlement year "
                 "(RR 2002-44)", d=d, symbol=e.underlying, tx=e.transaction_id)
