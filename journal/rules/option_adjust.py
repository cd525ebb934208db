"""Options adjusted by OCC in the pass (tax_rules.md §10, design §7.8; IRC §1234(b): an
adjustment is no close): reported by IB on the option itself, or inferred when the
contract reappears under another strike or name with no row."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from journal.readmodel import ExecutionRecord
from journal.readmodel_actions import CorporateActionRecord
from journal.rules.action_base import ActionGroup, day_state, flag, ratio_text, scale
from journal.rules.indexes import option_root as _root
from journal.rules.money import ZERO, fmt_qty
from journal.rules.records import Lot
from journal.rules.state import PassState
from journal.vocab import ActionKind, FlagCode


def adjust_option(st: PassState, g: ActionGroup, r: CorporateActionRecord) -> None:
    """OCC adjustment reported on the option itself (same conid): contracts × factor."""
    lots = [lot for lot in st.positions.get((g.account, "O", r.conid), ()) if lot.rem > 0]
    held = sum((lot.rem for lot in lots), ZERO)
    if not lots or not r.conid:
        flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no open {r.symbol} contracts then")
        return
    after = held + abs(r.quantity)
    factor = after / held
    scale(lots, factor, after * lots[0].side)
    for lot in lots:  # the contract's terms from now on (descriptions, positions)
        ex = lot.ex
        lot.ex = replace(ex, symbol=r.symbol or ex.symbol,
                         strike=r.strike or (ex.strike / factor if ex.strike else ex.strike),
                         description=r.terms.own_name or ex.description)
        lot.symbol = lot.ex.symbol
    st.opt_open[(g.account, r.underlying)] += after - held
    day_state(st, g.account, r.underlying, g.day)


def infer_option_adjustment(st: PassState, e: ExecutionRecord) -> None:
    """An option row whose conid has open lots under another strike or root: OCC adjusted
    the contract and IB posted no row (the AVGO/LCID case). A whole-number strike ratio n is a
    split: contracts × n, premium and open date kept (§1234(b)), OPTION_ADJUSTED (info).
    Anything else cannot be inferred and is flagged before the row is booked as it is."""
    if not e.conid or e.strike is None:
        return
    lots = [lot for lot in st.positions.get((e.account, "O", e.conid), ()) if lot.rem > 0]
    if not lots:
        return
    old = lots[0].ex
    if old.strike in (None, e.strike):
        if _root(e.symbol) != _root(old.symbol):
            _renamed(st, e, lots)
        return
    ratio = old.strike / e.strike  # type: ignore[operator]
    n = ratio.to_integral_value()
    what = (f"{old.description or old.symbol} (conid {e.conid}) reappears on {e.trade_date} "
            f"as {e.description or e.symbol}")
    if n < 2 or abs(ratio - n) > Decimal("0.005") * n:
        st.flags.add(FlagCode.OPTION_ADJUSTMENT_UNKNOWN, e.account,
                     f"{what}: an OCC adjustment whose new contracts and deliverable cannot "
                     "be inferred; the row is booked as it is", d=e.trade_date,
                     symbol=e.underlying, tx=e.transaction_id)
        return
    held = sum((lot.rem for lot in lots), ZERO)
    scale(lots, n, held * n * lots[0].side)
    for lot in lots:
        lot.ex = replace(lot.ex, symbol=e.symbol, strike=e.strike, description=e.description)
        lot.symbol = e.symbol
    st.opt_open[(e.account, e.underlying)] += held * (n - 1)
    st.flags.add(FlagCode.OPTION_ADJUSTED, e.account,
                 f"{what}: OCC {n}:1 adjustment inferred, no corporate-action row; "
                 f"{fmt_qty(held)} -> {fmt_qty(held * n)} contracts, premium and open date "
                 "kept", d=e.trade_date, symbol=e.underlying, tx=e.transaction_id)


_SPLITS = (ActionKind.FORWARD_SPLIT, ActionKind.STOCK_DIVIDEND, ActionKind.REVERSE_SPLIT)


def _renamed(st: PassState, e: ExecutionRecord, lots: list[Lot]) -> None:
    """The contract reappears under an adjusted root (``KLMN1``) with its strike: OCC
    changed the deliverable, not the contracts (a reverse split, a merger). The shares a
    contract delivers come from the underlying's split in the ledger, else from the stock
    leg of this assignment (shares / contracts); the open lots keep premium, contracts
    and open date (§1234(b)) and take the new name."""
    old = lots[0].ex
    what = (f"{old.description or old.symbol} (conid {e.conid}) reappears on {e.trade_date} "
            f"as {e.description or e.symbol}")
    deliverable, source = _split_deliverable(st, e, lots[0])
    if deliverable is None:
        deliverable, source = _leg_deliverable(st, e)
    for lot in lots:
        lot.ex = replace(lot.ex, symbol=e.symbol, description=e.description)
        lot.symbol = e.symbol
    if deliverable is None and (e.quantity > 0) == (lots[0].side > 0):
        st.flags.add(FlagCode.OPTION_ADJUSTMENT_UNKNOWN, e.account,
                     f"{what}: an OCC adjustment of the deliverable with no corporate-action "
                     "row, split or assignment to say how many shares a contract delivers",
                     d=e.trade_date, symbol=e.underlying, tx=e.transaction_id)
        return
    now = (f"{fmt_qty(deliverable)} shares a contract ({source})" if deliverable is not None
           else "not known (this close delivers no shares, so no number depends on it)")
    st.flags.add(FlagCode.OPTION_ADJUSTED, e.account,
                 f"{what}: OCC adjustment inferred, no corporate-action row; contracts and "
                 f"strike unchanged, deliverable {fmt_qty(old.multiplier)} shares a contract "
                 f"before, {now}; premium and open date kept", d=e.trade_date,
                 symbol=e.underlying, tx=e.transaction_id)


def _split_deliverable(st: PassState, e: ExecutionRecord,
                       lot: Lot) -> tuple[Decimal | None, str]:
    """Shares a contract delivers after the underlying's splits between the option's
    opening and ``e`` (a split is a fact of the security: any account's row says it)."""
    deliverable, seen = lot.ex.multiplier, []
    start = lot.acquired or e.trade_date
    done = set()
    for r in st.data.corporate_actions:
        ratio = r.terms.ratio
        if r.kind in _SPLITS and not r.is_option and r.underlying == e.underlying and \
                start <= r.day <= e.trade_date and ratio and r.group not in done:
            done.add(r.group)
            deliverable *= ratio
            seen.append(f"the {ratio_text(ratio)} split of {r.underlying} on {r.day}")
    if not seen:
        return None, ""
    return deliverable, ", ".join(seen)


def _leg_deliverable(st: PassState, e: ExecutionRecord) -> tuple[Decimal | None, str]:
    """Shares a contract delivered, from the stock leg linked to this assignment or
    exercise (:func:`journal.rules.indexes.link_assignments`)."""
    seq = st.links.get(e.seq)
    leg = next((x for x in st.execs if x.seq == seq), None) if seq is not None else None
    if leg is None or not e.quantity:
        return None, ""
    shares = abs(leg.quantity)
    return shares / abs(e.quantity), (f"seen at the assignment: {fmt_qty(shares)} "
                                      f"{leg.symbol} for {fmt_qty(abs(e.quantity))} "
                                      "contracts")
