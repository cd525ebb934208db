"""Flags raised after the pass, when every lot and realized piece is known: straddle and
covered-call cases (§2.2), early assignments (§7), statement gaps, and losses that a call
bought, a put written or another option may have washed (§3). All of them show a case;
none changes a number.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from journal import coverage
from journal.rules.law import NON_QCC, QCC_ITM, WASH_DAYS, previous_business_day, term_for
from journal.rules.money import CENT
from journal.rules.records import EarlyAssignment, Lot, Piece
from journal.rules.state import PassState
from journal.vocab import FlagCode

_WINDOW = timedelta(days=WASH_DAYS)


@dataclass(slots=True)
class _Index:
    """Lot id (and every id a wash-sale split came from) -> its realized pieces and its
    lots, so a flag can find what became of a lot without scanning every piece."""

    pieces_by_lot: defaultdict
    stock_pieces_by_tx: defaultdict
    stock_losses: defaultdict  # underlying -> stock pieces at a loss
    lots_by_id: defaultdict


def _ancestors(lot_id: str) -> Iterable[str]:
    while lot_id:
        yield lot_id
        lot_id = lot_id.rpartition(".")[0]


def _index(st: PassState) -> _Index:
    """Only the lots the flags ask about are indexed: calls written against shares, the
    shares they cover, and the shares of early assignments."""
    ix = _Index(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    wanted = set()
    for call in st.calls_written:
        wanted.add(call.lot_id)
        wanted.update(s.lot_id for s in call.covered)
    if st.early:
        tx_of = {e.seq: e.transaction_id for e in st.execs}
        wanted.update(f"{x.option_leg.account}:{tx_of.get(x.stock_seq)}" for x in st.early
                      if x.stock_seq is not None)
    if not wanted and not st.early:
        return ix
    for p in st.pieces:
        if p.lot_id:
            for lid in _ancestors(p.lot_id):
                if lid in wanted:
                    ix.pieces_by_lot[lid].append(p)
        if st.early and p.asset_category == "STK":
            ix.stock_pieces_by_tx[p.tx].append(p)
            if p.gain < 0:
                ix.stock_losses[p.underlying].append(p)
    for lot in st.stock_lots + st.option_lots:
        for lid in _ancestors(lot.lot_id):
            if lid in wanted:
                ix.lots_by_id[lid].append(lot)
    return ix


def post_pass(st: PassState, tax_year: int | None = None) -> None:
    """``tax_year``: every flag of that year is raised (some of them by another year's
    trades), others may be left out."""
    ix = _index(st)
    _gap_flags(st)
    _covered_call_flags(st, ix, tax_year)
    _early_assignment_flags(st, ix)
    _loss_window_flags(st, tax_year)


def _gap_flags(st: PassState) -> None:
    spans: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for account, start, end in st.data.periods:
        spans[account].append((start, end))
    for account, periods in spans.items():
        for start, end in coverage.gaps(periods):
            if st.as_of is not None and start > st.as_of:
                continue
            for a, b in coverage.by_year(start, end):
                st.flags.add(FlagCode.STATEMENT_GAP, account,
                             f"no imported statement covers {a} to {b}: trades, expiries and "
                             "assignments of those days are missing from the ledger; import "
                             "a statement for that period", d=a)


def _held_until(ix: _Index, lot: Lot) -> date | None:
    """Last day any of the lot (or its splits) was closed; None while some is open.
    (An assigned call leaves no realized piece of its own, so pieces can't tell.)"""
    family = ix.lots_by_id[lot.lot_id] or [lot]
    if any(x.rem > 0 for x in family):
        return None
    return max((x.closed_on for x in family if x.closed_on), default=None)


def _open_at(last: date | None, d: date) -> bool:
    return last is None or last > d


def _covered_call_flags(st: PassState, ix: _Index, tax_year: int | None = None) -> None:
    """Year-end straddle cases of calls written against shares (§2.2), and dividends
    received while an in-the-money or non-qualified call was open. All FLAGs: the
    deferral depends on unrecognized gain (prices) and the law leaves room.

    ``tax_year``: each straddle case is dated on one of the call's or the shares' pieces
    sold after it was written, each dividend case on a dividend paid after: a call with
    neither in that year raises no flag of it."""
    if not st.calls_written:
        return
    divs: dict[tuple, list[date]] = defaultdict(list)
    for dv in st.data.dividends:
        divs[(dv.account, dv.symbol)].append(dv.paid)
    for call in st.calls_written:
        assert call.acquired is not None
        written = call.acquired
        if tax_year is not None and written.year > tax_year:
            continue
        call_pieces = [p for p in ix.pieces_by_lot[call.lot_id] if p.kind != "mark_to_market"]
        stock_pieces = [p for s in call.covered for p in ix.pieces_by_lot[s.lot_id]
                        if p.date_sold >= written]
        call_last, asked = None, False  # _held_until(ix, call), made when needed
        if tax_year is None or any(p.date_sold.year == tax_year
                                   for p in call_pieces + stock_pieces):
            if call.qcc == NON_QCC:
                call_last, asked = _held_until(ix, call), True
                stock_last = [_held_until(ix, s) for s in call.covered]
                _straddle_deferrals(st, call, call_pieces, stock_pieces, call_last, stock_last)
            else:
                _qcc_year_end(st, call, call_pieces, stock_pieces)
        if call.qcc in (QCC_ITM, NON_QCC):
            after = [d for d in divs.get((call.account, call.ex.underlying), ()) if written <= d]
            if after:
                if not asked:
                    call_last = _held_until(ix, call)
                _dividend_flag(st, call, after, call_last or st.horizon)


def _dividend_flag(st: PassState, call: Lot, after: list[date], end: date) -> None:
    ex = call.ex
    paid = [d for d in after if d <= end]
    if paid:
        st.flags.add(FlagCode.DIVIDEND_HOLDING_PERIOD, call.account,
                     f"{ex.underlying} dividend paid {paid[0]} while "
                     f"{ex.description or ex.symbol} "
                     f"({'in the money' if call.qcc == QCC_ITM else 'non-qualified'})"
                     " was open: the days under the call may not count toward the "
                     "qualified-dividend holding period (§246(c)(4)); check 1099-DIV "
                     "box 1b", d=paid[0], symbol=ex.underlying, tx=call.tx)


def _straddle_deferrals(st: PassState, call: Lot, call_pieces: list[Piece],
                        stock_pieces: list[Piece], call_last: date | None,
                        stock_last: list[date | None]) -> None:
    ex = call.ex
    for p in call_pieces:
        ye = date(p.date_sold.year, 12, 31)
        if p.gain < 0 and any(_open_at(x, ye) for x in stock_last):
            st.flags.add(FlagCode.STRADDLE_LOSS_DEFERRAL, p.account,
                         f"loss of {-p.gain.quantize(CENT)} on {p.description} closed "
                         f"{p.date_sold} while the {ex.underlying} shares it was "
                         f"written against were still held at {ye}: the loss is "
                         "deferred to the extent of their unrecognized gain (§1092(a)); "
                         "not adjusted", d=p.date_sold, symbol=ex.underlying, tx=p.tx)
    for p in stock_pieces:
        ye = date(p.date_sold.year, 12, 31)
        if p.gain < 0 and _open_at(call_last, p.date_sold) and _open_at(call_last, ye):
            st.flags.add(FlagCode.STRADDLE_LOSS_DEFERRAL, p.account,
                         f"loss of {-p.gain.quantize(CENT)} on {p.description} sold "
                         f"{p.date_sold} while the non-qualified call "
                         f"{ex.description or ex.symbol} was still open at {ye}: the loss is "
                         "deferred to the extent of the call's unrecognized gain (§1092(a)); "
                         "not adjusted", d=p.date_sold, symbol=ex.underlying, tx=p.tx)


def _qcc_year_end(st: PassState, call: Lot, call_pieces: list[Piece],
                  stock_pieces: list[Piece]) -> None:
    """§1092(c)(4)(E): a loss leg closed in one year, the other leg's gain in a later
    year, and that leg not held 30 more days: the QCC exemption is lost."""
    ex = call.ex
    for loss_legs, gain_legs in ((call_pieces, stock_pieces), (stock_pieces, call_pieces)):
        for p in loss_legs:
            if p.gain >= 0:
                continue
            for q in gain_legs:
                if q.gain > 0 and q.date_sold.year > p.date_sold.year and \
                        0 <= (q.date_sold - p.date_sold).days < WASH_DAYS:
                    st.flags.add(FlagCode.QCC_YEAR_END, p.account,
                                 f"loss on {p.description} closed {p.date_sold} and gain on "
                                 f"{q.description} closed {q.date_sold}, less than 30 days "
                                 "later in the next year: the covered call "
                                 f"{ex.description or ex.symbol} loses its qualified status "
                                 "(§1092(c)(4)(E)) and the loss may be deferred",
                                 d=p.date_sold, symbol=ex.underlying, tx=p.tx)
                    break


def _early_assignment_flags(st: PassState, ix: _Index) -> None:
    """§7: IB dates an early assignment the day after OCC's exercise (E+1). Tax uses IB's
    date. Every early assignment is flagged (issue 3), and the flag says whether E and
    E+1 fall on two sides of a year end, a long-term anniversary or a 30-day wash window,
    where the choice of day changes a result (tax_rules.md §7)."""
    if not st.early:
        return
    tx_of = {e.seq: e.transaction_id for e in st.execs}
    for early in st.early:
        e, lot = early.option_leg, early.lot
        day = e.trade_date
        exercised = previous_business_day(day)
        reasons = []
        if exercised.year != day.year:
            reasons.append(f"the year end ({exercised.year}/{day.year})")
        stock_tx = tx_of.get(early.stock_seq) if early.stock_seq is not None else None
        reasons += _early_reasons(st, ix, early, stock_tx, exercised)
        ex = lot.ex
        if reasons:
            why = (f"the two days fall on either side of {' and '.join(reasons)}, so the "
                   "choice of day matters here")
        else:
            why = "no year end, long-term anniversary or wash window lies between them"
        st.flags.add(FlagCode.EARLY_ASSIGNMENT, e.account,
                     f"{ex.description or ex.symbol} assigned early (expiry {ex.expiry}): IB "
                     f"dates it {day}, the day after OCC's exercise ({exercised}); {why}. "
                     "IB's date is used", d=day, symbol=e.underlying, tx=e.transaction_id)


def _window(a: date, b: date) -> bool:
    return abs((a - b).days) <= WASH_DAYS


def _early_reasons(st: PassState, ix: _Index, early: EarlyAssignment,
                   stock_tx: str | None, exercised: date) -> list[str]:
    """Whether OCC's day or IB's day changes an LT anniversary or a wash window."""
    e, lot = early.option_leg, early.lot
    day = e.trade_date
    reasons = []
    buys = lot.ex.put_call == "P"  # a short put assigned delivers shares to us
    mine: list[Piece] = []
    if stock_tx and buys:  # what became of the shares the assignment bought
        mine = ix.pieces_by_lot.get(f"{e.account}:{stock_tx}", [])
    elif stock_tx:  # the shares the assignment delivered
        mine = ix.stock_pieces_by_tx.get(stock_tx, [])
    for p in mine:
        if not p.hp:
            continue
        start = (exercised, day) if buys else (p.hp, p.hp)
        end = (p.date_sold, p.date_sold) if buys else (exercised, day)
        if term_for(start[0], end[0]) != term_for(start[1], end[1]):
            reasons.append(f"a long-term anniversary ({p.description} sold {p.date_sold})")
            break
    if buys:  # the assignment is a purchase: a replacement for nearby losses
        near = [p for p in ix.stock_losses.get(e.underlying, ())
                if _window(p.date_sold, exercised) != _window(p.date_sold, day)]
    else:  # the assignment is a sale: at a loss, nearby purchases replace it
        near = [p for p in mine if p.gain < 0 and any(
            _window(x.acquired, exercised) != _window(x.acquired, day)
            for x in st.stock_lots if x.acquired and x.underlying == e.underlying
            and x.side > 0 and x.lot_id != p.lot_id)]
    if near:
        reasons.append(f"a wash-sale window ({near[0].description} {near[0].date_sold})")
    return reasons


def _loss_window_flags(st: PassState, tax_year: int | None = None) -> None:
    """Losses with an option opened within 30 days that the rules do not apply: a call
    bought (§3.1), an in-the-money put written (RR 85-87), another option on the same
    underlying (§3.4, with option_wash_scope = identical). Each is dated on the loss
    sale: ``tax_year`` needs that year's losses only."""
    opens_by_und: dict[str, list[tuple[date, int, Lot]]] = defaultdict(list)
    seen = set()
    first, last = date.min, date.max  # opened within 30 days of a loss of tax_year
    if tax_year is not None:
        first, last = date(tax_year, 1, 1) - _WINDOW, date(tax_year, 12, 31) + _WINDOW
    for lot in st.option_lots:
        if lot.acquired is None or lot.is1256 or (lot.account, lot.tx) in seen:
            continue
        seen.add((lot.account, lot.tx))
        if first <= lot.acquired <= last:
            opens_by_und[lot.underlying].append((lot.acquired, lot.seq, lot))
    for v in opens_by_und.values():
        v.sort(key=lambda t: (t[0], t[1]))
    puts_asp = {e.seq: asp for e, asp in st.puts_written}
    identical = st.settings.option_wash_scope == "identical"
    for p in st.pieces:
        if (tax_year is not None and p.date_sold.year != tax_year) or \
                p.proceeds - p.cost >= 0 or p.section_1256 or p.kind == "mark_to_market":
            continue
        opens = opens_by_und.get(p.underlying)
        if not opens:
            continue
        lo = bisect.bisect_left(opens, (p.date_sold - _WINDOW, -1))
        hi = bisect.bisect_right(opens, (p.date_sold + _WINDOW, float("inf")))
        if p.asset_category == "STK" and p.side > 0:
            _stock_loss_options(st, p, opens[lo:hi], puts_asp)
        elif p.asset_category != "STK" and p.unmatched_qty > 0 and identical:
            _option_loss_options(st, p, opens[lo:hi])


def _stock_loss_options(st: PassState, p: Piece, opens: list[tuple[date, int, Lot]],
                        puts_asp: dict[int, Decimal | None]) -> None:
    for d, _seq, lot in opens:
        ex = lot.ex
        if ex.put_call == "C" and lot.side > 0:
            st.flags.add(FlagCode.WASH_SALE_CALL, p.account,
                         f"loss on {p.description} sold {p.date_sold}: call "
                         f"{ex.description or ex.symbol} bought {d} within 30 days is "
                         "an option to acquire (§1091(a)); the loss may be "
                         "disallowed, not adjusted automatically",
                         d=p.date_sold, symbol=p.underlying, tx=p.tx)
        elif ex.put_call == "P" and lot.side < 0:
            price = puts_asp.get(lot.seq)
            if price is not None and ex.strike is not None and ex.strike > price:
                st.flags.add(FlagCode.RR_85_87, p.account,
                             f"put {ex.description or ex.symbol} written {d} in the "
                             f"money (strike {ex.strike}, price {price}) within 30 "
                             f"days of the loss sale of {p.description} on "
                             f"{p.date_sold}: it may be a replacement (RR 85-87)",
                             d=p.date_sold, symbol=p.underlying, tx=ex.transaction_id)


def _option_loss_options(st: PassState, p: Piece, opens: list[tuple[date, int, Lot]]) -> None:
    for d, _seq, lot in opens:
        ex = lot.ex
        if lot.side == p.side and lot.lot_id != p.lot_id and \
                (ex.description or ex.symbol) != p.symbol and \
                p.symbol.split()[-1:] == (ex.description or "").split()[-1:]:
            st.flags.add(FlagCode.WASH_SALE_OPTION, p.account,
                         f"loss on {p.description} closed {p.date_sold}: "
                         f"{ex.description or ex.symbol} opened {d} on the same "
                         "underlying may be substantially identical (unsettled, §3.4); "
                         "not adjusted with option_wash_scope = identical",
                         d=p.date_sold, symbol=p.underlying, tx=p.tx)
            break
