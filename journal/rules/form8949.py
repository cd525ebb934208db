"""Form 8949 codes (tax_rules.md §5; i8949 "Column (f)"): where our line differs from the
Form 1099-B, and why.

The 1099-B is what IB reports. Its figures come from the closing execution: IB's ``cost``
is the opening cash it relieved, and ``fifoPnlRealized − cost`` the closing cash it
counted (an assigned call's premium included, as IB folds it). IB applies a wash sale
only within one account and one security (§3.8), so the 1099-B carries those wash-sale
adjustments (basis and holding period) and no others; its holding period starts at the
lot's own acquisition date otherwise.

Per line:

* **B**: the basis differs from the 1099-B's, e.g. a loss washed in another account
  carried into this lot's basis, IB relieving another lot, or a premium IB left out.
  Column (e) shows the 1099-B basis and (g) the correction.
* **E**: the proceeds differ (selling expenses or an option premium not reflected).
  Column (d) shows the 1099-B proceeds and (g) the correction.
* **T**: the term differs (a holding period tacked from a wash sale IB did not see, an
  in-the-money covered call's suspension, §1092(f) long-term losses, or a term under
  straddle review reported short-term).
* **W**: a wash-sale loss disallowed (set by the pass).

Where B and E cancel out (the 1099-B puts an amount in the basis that we take off the
proceeds, as IB does with an exercised long put's premium), the 1099-B's gain is ours:
the line shows its figures with no code.

Codes L (other nondeductible losses), O, M (summary rows) and the rest of i8949 cannot
arise from the ledger: the rules only FLAG straddle deferrals, and never summarise rows.
Each code carries a *cause*, named as :mod:`journal.reconcile` names the same difference.
Differences below half a cent are not differences: the form shows cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from journal.readmodel import ExecutionRecord
from journal.rules.law import LT, NEEDS_REVIEW, ST, term_for
from journal.rules.money import CENT, ZERO, part
from journal.rules.records import Lot, Piece
from journal.rules.state import PassState
from journal.rules.types import Adjustment

_TOLERANCE = Decimal("0.005")

# causes (journal.reconcile.REASONS has their one-line meanings)
WASH_SALE = "WASH_SALE"
WASH_SALE_BASIS = "WASH_SALE_BASIS"
LOT_METHOD = "LOT_METHOD"
ASSIGNMENT_PREMIUM = "ASSIGNMENT_PREMIUM"
COMMISSION = "COMMISSION"
WASH_SALE_TACKING = "WASH_SALE_TACKING"
QCC_SUSPENSION = "QCC_SUSPENSION"
QCC_ITM_LOSS = "QCC_ITM_LOSS"
STRADDLE_REVIEW = "STRADDLE_REVIEW"


def _cents(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def apply(st: PassState, tax_year: int | None = None) -> None:
    """Fill in each Form 8949 piece's 1099-B figures, codes and causes (``tax_year``:
    only the pieces of closings with a piece sold in that year)."""
    lots = _Lots(st)
    # the pieces of one closing execution are made one after the other
    lines = (p for p in st.pieces if p.closing is not None and not p.section_1256)
    for _closing, group in groupby(lines, key=lambda p: id(p.closing)):
        pieces = list(group)
        if tax_year is not None and all(p.date_sold.year != tax_year for p in pieces):
            continue  # IB's figures are split over a closing's pieces: all or none
        assert pieces[0].closing is not None
        d_open, d_close = _ib_differences(pieces[0].closing, pieces)
        for p, do, dc in zip(pieces, d_open, d_close):
            _codes(p, do, dc, lots)


class _Lots:
    """Lots by id, indexed only when a code needs a lot to name its cause."""

    __slots__ = ("by_id", "st")

    def __init__(self, st: PassState) -> None:
        self.st = st
        self.by_id: dict[str, Lot] | None = None

    def get(self, lot_id: str | None) -> Lot | None:
        if self.by_id is None:
            self.by_id = {lot.lot_id: lot for lot in self.st.stock_lots}
            self.by_id.update((lot.lot_id, lot) for lot in self.st.option_lots)
        return self.by_id.get(lot_id or "")


def _ib_differences(e: ExecutionRecord, pieces: list[Piece]) -> tuple[list, list]:
    """Per piece: IB's opening cash minus ours, and IB's closing cash minus ours. Zero
    where IB agrees with us on the row's total (our lots may carry different costs: IB
    then split its total the same way) or where IB says nothing; otherwise IB's total is
    split over the pieces by quantity."""
    zeros = [ZERO] * len(pieces)
    if e.cost is None or "C" not in (e.open_close or ""):
        return zeros, zeros
    if len(pieces) == 1:  # most rows close one lot
        qty, ours, seen_wash, ours_close = (pieces[0].quantity, pieces[0].open_cash,
                                            pieces[0].broker_wash, pieces[0].close_cash)
    else:
        qty = sum((p.quantity for p in pieces), ZERO)
        ours = sum((p.open_cash for p in pieces), ZERO)
        seen_wash = sum((p.broker_wash for p in pieces), ZERO)
        ours_close = sum((p.close_cash for p in pieces), ZERO)
    total = abs(e.quantity)
    if not qty or not total:
        return zeros, zeros
    ib_open = part(e.cost, qty, total)
    d_open = zeros
    # IB's cost may or may not already carry the wash sales it reports itself (code LD)
    if abs(ib_open - ours) >= _TOLERANCE and abs(ib_open - ours + seen_wash) >= _TOLERANCE:
        d_open = [x - p.open_cash for x, p in zip(_spread(ib_open, pieces, qty), pieces)]
    d_close = zeros
    if e.fifo_pnl is not None:
        ib_close = part(e.fifo_pnl - e.cost, qty, total)
        if abs(ib_close - ours_close) >= _TOLERANCE:
            d_close = [x - p.close_cash for x, p in zip(_spread(ib_close, pieces, qty), pieces)]
    return d_open, d_close


def _spread(amount: Decimal, pieces: list[Piece], qty: Decimal) -> list[Decimal]:
    """``amount`` over the pieces by quantity, the pieces adding up to it."""
    out, left, left_qty = [], amount, qty
    for p in pieces:
        share = part(left, p.quantity, left_qty)
        out.append(share)
        left -= share
        left_qty -= p.quantity
    return out


def _codes(p: Piece, d_open: Decimal, d_close: Decimal, lots: _Lots) -> None:
    long = p.side > 0
    _term(p, lots)
    if not d_open and not d_close and p.wash == p.broker_wash:
        # IB's figures are ours (the common case): only the term or a wash sale to code
        p.broker_proceeds, p.broker_cost = p.proceeds, p.cost
        if p.disallowed:
            p.adjustments += (Adjustment("W", p.disallowed, WASH_SALE),)
        return
    open_1099, close_1099 = p.open_cash + d_open, p.close_cash + d_close
    if long:
        p.broker_proceeds, p.broker_cost = close_1099, -open_1099 + p.broker_wash
    else:
        p.broker_proceeds, p.broker_cost = open_1099, -close_1099 + p.broker_wash
    adjustments = list(p.adjustments)  # T, if the term differs
    if _cents(p.broker_cost) != _cents(p.cost):
        unseen_wash = p.wash - p.broker_wash  # carried by us, not by IB (§3.8)
        rest = p.broker_cost - p.cost + unseen_wash
        if unseen_wash:
            adjustments.append(Adjustment("B", -unseen_wash, WASH_SALE_BASIS))
        if rest:
            adjustments.append(Adjustment("B", rest, _basis_cause(p, rest)))
    if _cents(p.broker_proceeds) != _cents(p.proceeds):
        amount = p.proceeds - p.broker_proceeds
        if not long:
            cause = LOT_METHOD  # a short position's proceeds are its opening premium
        elif p.close_folded and abs(amount - p.close_folded) < _TOLERANCE:
            cause = ASSIGNMENT_PREMIUM  # the called-away call's premium, left out by IB
        else:
            cause = COMMISSION
        adjustments.append(Adjustment("E", amount, cause))
    corrections = [a for a in adjustments if a.code in "BE"]
    if corrections and not _cents(sum((a.amount for a in corrections), ZERO)):
        # e.g. a long put's premium in the basis instead of the proceeds: the 1099-B's
        # gain is ours, so its figures stand as they are, with no code
        adjustments = [a for a in adjustments if a.code not in "BE"]
    if p.disallowed:
        adjustments.append(Adjustment("W", p.disallowed, WASH_SALE))
    p.adjustments = tuple(sorted(adjustments, key=lambda a: a.code))


def _term(p: Piece, lots: _Lots) -> None:
    """The 1099-B's term, and code T where the line reports another."""
    if p.hp == p.broker_hp and p.term != NEEDS_REVIEW and (p.side > 0 or p.term == ST):
        p.broker_term = ST if p.side < 0 and p.asset_category != "STK" else p.term
        return  # the same clock as IB's (written options: short-term both)
    p.broker_term = _broker_term(p)
    reported = LT if p.term == LT else ST
    if p.broker_term is not None and p.broker_term != reported:
        p.adjustments = (Adjustment("T", ZERO, _term_cause(p, lots.get(p.lot_id))),)


def _basis_cause(p: Piece, rest: Decimal) -> str:
    if p.side < 0:
        return COMMISSION  # a short position's basis is its cost to close
    if p.open_folded and abs(rest - p.open_folded) < _TOLERANCE:
        return ASSIGNMENT_PREMIUM  # IB left the assigned put's premium out of the basis
    return LOT_METHOD


def _broker_term(p: Piece) -> str | None:
    """The term on the 1099-B: written options are always short-term (§1234(b)); else
    from the holding period IB counts. None where the acquisition date is unknown."""
    if p.side < 0 and p.asset_category != "STK":
        return ST
    if p.broker_hp is None:
        return None
    return term_for(p.broker_hp, p.date_sold)


def _term_cause(p: Piece, lot: Lot | None) -> str:
    if p.term == NEEDS_REVIEW:
        return STRADDLE_REVIEW
    if p.side < 0 and p.asset_category != "STK":
        return QCC_ITM_LOSS
    if lot is not None and lot.clock_suspended:
        return QCC_SUSPENSION
    return WASH_SALE_TACKING
