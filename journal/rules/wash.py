"""Wash sales (tax_rules.md §3): a loss waits up to 30 days for a replacement, and a new
lot looks back 30 days for a loss to absorb.

Positions are grouped into *families* of substantially identical positions: shares of
one symbol; for options the identical contract (``option_wash_scope = "identical"``, what
a 1099-B shows) or every option of the same type on the underlying (``"underlying"``).
§1256 contracts have no family: no wash-sale logic runs on them (§6).

Replacement shares are matched in acquisition order, and each replacement absorbs only
one loss (§3.6): a lot bigger than the loss is split, and the part that absorbed it
becomes a lot of its own with its own basis and holding period.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from journal.rules.law import WASH_DAYS
from journal.rules.money import ZERO, part
from journal.rules.records import Lot, Piece
from journal.rules.state import PassState, position_key
from journal.rules.types import WashSale
from journal.vocab import FlagCode

_WINDOW = timedelta(days=WASH_DAYS)


def families(lot: Lot, scope: str) -> tuple:
    if not lot.is_option:
        return (("S", lot.symbol, lot.side),)
    if lot.is1256:
        return ()  # §6: no wash-sale logic on §1256 contracts
    ex = lot.ex
    if scope == "underlying":
        return (("OU", ex.underlying, ex.put_call, lot.side),)
    return (("O", ex.underlying, ex.put_call, ex.strike, ex.expiry, lot.side),)


def register(st: PassState, lot: Lot) -> None:
    """A new lot: it absorbs the open losses it replaces, or waits as a replacement."""
    fams = lot.families = families(lot, st.settings.option_wash_scope)
    (st.option_lots if lot.is_option else st.stock_lots).append(lot)  # st.lots_of(lot)
    book = st.wash
    pending = book.pending
    for fam in fams:
        if pending.get(fam):
            _absorb_pending(st, fam, lot)
    if not lot.absorbed:
        for fam in fams:
            lots = book.family_lots[fam]
            lots.append(lot)
            # (every limit is at least 64: a shorter list needs no look-up)
            if len(lots) > 64 and len(lots) > book.prune_at.get(fam, 64):
                # keep the list short: drop lots that can no longer be replacements
                lots[:] = [x for x in lots if x.rem > 0 and not x.absorbed]
                book.prune_at[fam] = 2 * len(lots) + 64


def split(st: PassState, lot: Lot, m: Decimal) -> Lot:
    """Cut ``m`` units off the front of ``lot`` into a new lot (a wash-sale replacement
    carries its own basis and holding period)."""
    lot.splits += 1
    frac_cost = part(lot.orig_cost, m, lot.qty) if lot.qty else ZERO
    folded = part(lot.folded, m, lot.rem) if lot.folded else ZERO
    lot.folded -= folded
    oc, w, p, bw = lot.take(m)
    new = Lot(f"{lot.lot_id}.{lot.splits}", lot.account, lot.ex, lot.symbol, lot.underlying,
              lot.side, m, oc, lot.acquired, lot.is_option, lot.is1256, lot.source)
    new.prem, new.wash, new.hp, new.qcc = p, w, lot.hp, lot.qcc
    new.broker_wash, new.broker_hp, new.folded = bw, lot.broker_hp, folded
    new.needs_review, new.mtm_year = lot.needs_review, lot.mtm_year
    new.orig_cost = -oc + w
    lot.orig_cost -= frac_cost
    lot.qty -= m
    new.families, new.actions = lot.families, list(lot.actions)
    queue = st.positions[position_key(lot.ex)]
    queue.insert(queue.index(lot) if lot in queue else len(queue), new)
    st.lots_of(lot).append(new)
    return new


def _description(lot: Lot) -> str:
    ex = lot.ex
    return (ex.description or ex.symbol) if lot.is_option else lot.symbol


def absorb(st: PassState, piece: Piece, lot: Lot, m: Decimal, *,
           bought_elsewhere: bool = False) -> None:
    """``m`` shares of ``lot`` replace that many of ``piece``'s loss shares: the loss is
    disallowed, added to their basis and their holding period tacked (IRA: lost).
    ``bought_elsewhere``: shares bought at another broker and transferred in, a purchase
    IB never saw, so its 1099-B keeps the loss."""
    target = lot if m == lot.rem else split(st, lot, m)
    disallowed = part(piece.unmatched_loss, m, piece.unmatched_qty)
    piece.unmatched_loss -= disallowed
    piece.unmatched_qty -= m
    piece.disallowed += disallowed
    target.absorbed = True
    carried = target.account not in st.settings.ira_accounts
    if carried:
        target.wash += disallowed
        target.wash_total += disallowed
        target.orig_cost += disallowed
        if piece.hp is not None and target.acquired is not None:
            # §3.5 tacking: add the days the loss shares were held
            target.hp = target.acquired - (piece.date_sold - piece.hp)
        # §3.8: IB applies a wash sale itself only within one account and one security
        if not bought_elsewhere and target.account == piece.account \
                and _description(target) == piece.symbol:
            target.broker_wash += disallowed
            if piece.broker_hp is not None and target.acquired is not None:
                target.broker_hp = target.acquired - (piece.date_sold - piece.broker_hp)
    else:
        st.flags.add(FlagCode.WASH_SALE_IRA, piece.account,
                     f"loss on {piece.description} sold {piece.date_sold} is disallowed by "
                     + ("shares transferred into" if bought_elsewhere else "a replacement in")
                     + f" IRA {target.account}: the loss is lost, no basis carried",
                     d=piece.date_sold, symbol=piece.symbol, tx=piece.tx)
    assert target.acquired is not None  # replacements are lots with a date
    st.wash.sales.append(WashSale(
        piece.account, piece.symbol, piece.tx, piece.date_sold, target.account, target.tx,
        target.acquired, m, disallowed, carried, piece.date_sold.year, target.lot_id))


def wash_loss(st: PassState, piece: Piece, fams: tuple, exclude: set[int]) -> None:
    """A loss: replacements bought in the 30 days before absorb it now, the rest waits
    for acquisitions in the 30 days after (``exclude``: the lots the sale itself closed)."""
    piece.unmatched_qty = piece.quantity
    piece.unmatched_loss = piece.cost - piece.proceeds
    for fam in fams:
        lots = st.wash.family_lots.get(fam)
        if lots:
            for lot in _candidates(lots, piece.date_sold, exclude):
                if piece.unmatched_qty <= 0:
                    break
                absorb(st, piece, lot, min(piece.unmatched_qty, lot.rem))
        if piece.unmatched_qty > 0:
            st.wash.pending[fam].append(piece)


def _candidates(lots: list[Lot], sold: date, exclude: set[int]) -> list[Lot]:
    """The family's lots acquired in the 30 days up to ``sold`` that can still replace a
    loss, in acquisition order. Lots join a family in the pass's date order, so those are
    the tail of the list."""
    start = sold - _WINDOW
    i = len(lots)
    while i and lots[i - 1].acquired >= start:  # type: ignore[operator]
        i -= 1
    return [x for x in lots[i:] if x.rem > 0 and not x.absorbed
            and x.acquired <= sold and id(x) not in exclude]  # type: ignore[operator]


def _absorb_pending(st: PassState, fam: tuple, lot: Lot) -> None:
    pend = st.wash.pending.get(fam)
    while pend and not lot.absorbed and lot.rem > 0:
        p = pend[0]
        if p.unmatched_qty <= 0 or p.date_sold + _WINDOW < lot.acquired:
            pend.popleft()
            continue
        absorb(st, p, lot, min(p.unmatched_qty, lot.rem))
        if p.unmatched_qty <= 0:
            pend.popleft()
