"""Stock mergers in the pass (tax_rules.md §10): shares for shares, with or without cash,
as a reorganization by default (IRC §354, §356, §358, §1223(1); the product owner's rule,
``MERGER_TREATMENT``), or as the taxable exchange the user says it is (§1001, §1012)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from journal import vocab
from journal.corpact import base_symbol
from journal.readmodel import ExecutionRecord
from journal.readmodel_actions import CorporateActionRecord
from journal.rules.action_base import (
    ActionGroup,
    day_state,
    flag,
    move,
    override,
    ratio_text,
    scale,
    short,
    stock_queue,
    symbol_after,
)
from journal.rules.law import NEEDS_REVIEW, term_for
from journal.rules.money import ZERO, fmt_qty
from journal.rules.records import Lot, Piece, before
from journal.rules.state import PassState
from journal.vocab import FlagCode

TAXABLE, REORGANIZATION = "taxable", "reorganization"  # the user's treatment of a merger


def stock_merger(st: PassState, g: ActionGroup) -> Iterator[ExecutionRecord]:
    """Shares for shares, with or without cash: a reorganization (§368) unless the user
    marked it taxable (``journal actions set GROUP --treat-as taxable``); yields the sale
    and the purchase a taxable merger is, for the pass to book like any execution."""
    old = [r for r in g.rows if r.quantity < 0 and not r.is_option]
    new = [r for r in g.rows if r.quantity > 0 and not r.is_option]
    if len(old) != 1 or len(new) != 1 or len(g.rows) != 2:
        flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "legs the journal cannot pair")
        return
    o, n = old[0], new[0]
    src, dst = base_symbol(o.symbol), symbol_after(st, g, n)
    lots = [lot for lot in stock_queue(st, g.account, src) if lot.side > 0]
    if not lots:
        flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
             f"the ledger holds no {src} shares then: import the statements from before")
        return
    treatment = override(st, g, "treatment")
    if treatment == TAXABLE:
        if n.value:
            yield from _taxable(st, g, o, n, src, dst, lots)
            return
        flag(st, g, FlagCode.CORPORATE_ACTION_TERMS, "marked taxable, but IB gives no "
             "market value of the new shares, which a taxable exchange needs (§1001): "
             "the reorganization kept")
    _reorganize(st, g, o, n, src, dst, lots, confirmed=treatment == REORGANIZATION)


def _reorganize(st: PassState, g: ActionGroup, o: CorporateActionRecord,
                n: CorporateActionRecord, src: str, dst: str, lots: list[Lot], *,
                confirmed: bool) -> None:
    """Per old lot: new shares by its weight, the same holding period (§1223(1)); of its
    realized gain only the cash is recognized (§356(a)(1)), never a loss (§356(c)); the
    new basis is the old − cash + gain recognized (§358(a)(1))."""
    q_old, cash, value = -o.quantity, o.proceeds, n.value
    if cash and not value:
        flag(st, g, FlagCode.CORPORATE_ACTION_TERMS, "IB gives no market value of the new "
             "shares: the whole cash is taken as gain recognized")
    held, befores = sum((lot.rem for lot in lots), ZERO), before(lots)
    for lot in lots:
        share = lot.rem / q_old
        c = cash * share
        basis = -lot.open_cash + lot.wash
        if c:
            gain = c if not value else value * share + c - basis
            recognized = max(ZERO, min(c, gain))
            boot_line(st, g, o, lot, c, recognized, src)
            lot.open_cash += c - recognized
            lot.prem += c - recognized
            lot.orig_cost -= c - recognized
        lot.source = "merger"
    # IB's new shares over the lots by weight (the residue of rounding to the largest)
    scale(lots, n.quantity / q_old, n.quantity * held / q_old)
    for lot, qty, basis in befores:
        lot.note(g.day, "stock merger", qty, basis, ratio=ratio_text(q_old / n.quantity),
                 old_symbol=src, new_symbol=dst, cash=cash * qty / q_old if cash else None)
    if cash and not confirmed:
        st.flags.add(FlagCode.MERGER_TREATMENT, g.account,
                     f"{src} merged into {dst} on {g.day} with {cash:.2f} cash "
                     f"({g.description}): treated as a tax-free reorganization, gain "
                     "recognized up to the cash (§356); if the issuer's Form 8937 says "
                     "taxable: journal actions set "
                     f"{g.key} --treat-as taxable (or --treat-as reorganization to confirm)",
                     d=g.day, symbol=src, tx=g.first_key)
    st.stock_qty[(g.account, src)] += sum((lot.rem for lot in lots), ZERO) - held
    move(st, g.account, src, dst, same_security=False)
    day_state(st, g.account, dst, g.day)


def _taxable(st: PassState, g: ActionGroup, o: CorporateActionRecord,
             n: CorporateActionRecord, src: str, dst: str,
             lots: list[Lot]) -> Iterator[ExecutionRecord]:
    """A taxable exchange (the user's fact): the old shares are sold on the action date for
    what was received, the new shares at IB's market value plus the cash (§1001), and the
    new shares are bought at that market value (§1012): a new lot, a new holding period,
    and an acquisition that can replace a loss (§1091(a) counts an exchange in which all
    gain or loss is recognized)."""
    assert n.value is not None
    q_old = -o.quantity
    held = sum((lot.rem for lot in lots), ZERO)
    shares = min(held, q_old)
    if shares < q_old:
        flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
             f"the ledger holds {fmt_qty(held)} of the {fmt_qty(q_old)} {src} shares "
             "exchanged: import the statements from before")
    share = shares / q_old
    received = (n.value + o.proceeds) * share
    value, got = n.value * share, short(n.quantity * share)
    st.action_labels[o.key] = ("taxable_merger", "taxable merger")
    stk = vocab.AssetCategory.STK.value
    yield ExecutionRecord(
        -o.seq, g.account, o.key, stk, src, src, o.description, o.conid, None, None, None,
        Decimal(1), g.day, g.moment, -shares, received / shares, received, None, None,
        frozenset({"C"}), "C", None, None, o.currency, received, ZERO, ZERO)
    yield ExecutionRecord(
        -n.seq, g.account, n.key, stk, dst, dst, n.description, n.conid, None, None, None,
        Decimal(1), g.day, g.moment, got, value / got, -value, None, None, frozenset(), "O",
        None, None, n.currency, -value, ZERO, ZERO)
    for lot in stock_queue(st, g.account, dst):
        if lot.tx == n.key:
            lot.source = "taxable_merger"
            lot.note(g.day, "taxable merger", ZERO, lot.orig_cost, old_symbol=src,
                     new_symbol=dst)


def boot_line(st: PassState, g: ActionGroup, o: CorporateActionRecord, lot: Lot,
              cash: Decimal, recognized: Decimal, src: str) -> None:
    """The cash of a merger as a Form 8949 line: proceeds the cash, cost the part not
    recognized, dates of the old lot."""
    e = ExecutionRecord(
        -o.seq, g.account, o.key, vocab.AssetCategory.STK.value, src, src, o.description,
        o.conid, None, None, None, Decimal(1), g.day, g.moment, ZERO, None, cash, None,
        None, frozenset({"C"}), "C", None, None, o.currency, cash, ZERO, ZERO)
    term = term_for(lot.hp, g.day) if lot.acquired and lot.hp else NEEDS_REVIEW
    st.pieces.append(Piece(
        g.account, f"{fmt_qty(lot.rem)} {src} (merger boot)", src,
        vocab.AssetCategory.STK.value, lot.rem, lot.acquired, g.day, cash,
        cash - recognized, term, "merger_boot", False, o.key, -o.seq, None, lot.lot_id,
        lot.hp, 1, src, closing=e, close_cash=cash))
