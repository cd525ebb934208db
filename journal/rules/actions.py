"""Corporate actions and transfers in the pass (tax_rules.md §10, issue 14).

An action is applied atomically, at its own moment (IB's ``dateTime``, 20:25 after the
close; never ``reportDate``), to every open lot of the security in the account: the pass
never sees the zero between an ``.OLD`` leg and its new leg. What is applied:

* **Forward split / stock dividend** (IRC §305(a), §307(a), §1223(5)) and **reverse
  split** (§368(a)(1)(E), §354, §358, §1036, §1223(1)): every lot's shares × ratio; total
  basis, acquisition date, holding period and wash-sale adjustments unchanged. Never an
  acquisition, so never a wash-sale replacement (§1091(a)). Cash in lieu of a fraction
  arrives as IB's own ``FracShare`` trade at the same moment and is booked after the
  action as the sale it is (Rev. Rul. 66-365).
* **An option adjusted by OCC with a row** (same conid, the added contracts): contracts ×
  factor, premium and open date unchanged; not a close (§1234(b)).
* **Cash merger** (§1001): a sale of the shares for the cash on the action's date.
* **Delisted worthless** (§165(g)(1)): a sale for 0.00 on December 31 of the action's
  year, flagged ``DELISTED_WORTHLESS`` (the year is a question of fact).
* **Transfers** (:mod:`journal.rules.transfers`).

* **ISIN/CUSIP/ticker change** (§1036, §1223(1)), and shares tendered one for one to a
  contra CUSIP: the lots move to the new ticker with their wash-sale family (identity
  follows the security).
* **Stock merger**, with or without cash (§354, §356, §358): new shares per lot, gain
  recognized up to the cash, basis carried; ``MERGER_TREATMENT`` (info).
* **Spinoff** (§355, §358(b)-(c)): child lots with the parent's dates and basis 0.00
  until the FMV split is known, ``SPINOFF_ALLOCATION``.

Everything else (tenders with cash or another ratio, rights and other published codes,
unknown codes, splits that change the ticker, legs that cannot be paired) is **never
silent**: it is flagged with
what it is, and the lots stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal

from journal import vocab
from journal.corpact import base_symbol
from journal.readmodel import ExecutionRecord
from journal.readmodel_actions import CorporateActionRecord, TransferRecord
from journal.rules import transfers
from journal.rules.law import NEEDS_REVIEW, term_for
from journal.rules.money import ZERO, fmt_qty
from journal.rules.records import Lot, Piece, before, noted
from journal.rules.state import PassState
from journal.vocab import ActionKind, FlagCode

_AFTER_CLOSE = time(20, 25)
_SPLITS = (ActionKind.FORWARD_SPLIT, ActionKind.STOCK_DIVIDEND, ActionKind.REVERSE_SPLIT)
_RATIO_TOLERANCE = Decimal("0.0001")  # IB rounds fractional legs to 4 dp
_KIND_WORDS = {
    ActionKind.FORWARD_SPLIT: "split", ActionKind.REVERSE_SPLIT: "reverse split",
    ActionKind.STOCK_DIVIDEND: "stock dividend", ActionKind.ISSUE_CHANGE: "ISIN/ticker change",
    ActionKind.TENDER: "tender", ActionKind.CASH_MERGER: "cash merger",
    ActionKind.STOCK_MERGER: "stock merger", ActionKind.SPINOFF: "spinoff",
    ActionKind.WORTHLESS: "delisting (worthless)", ActionKind.UNHANDLED: "corporate action",
    ActionKind.UNKNOWN: "corporate action of unknown type",
}


@dataclass(frozen=True, slots=True)
class ActionGroup:
    """The legs of one corporate action in one account (IB's ``actionID``)."""

    account: str
    key: str
    kind: ActionKind
    day: date
    moment: datetime
    rows: tuple[CorporateActionRecord, ...]

    @property
    def description(self) -> str:
        return self.rows[0].description

    @property
    def first_key(self) -> str:
        return self.rows[0].key


def events(st: PassState) -> list[tuple[tuple, object]]:
    """The actions and transfers in scope, each with its place in the pass's order
    ``(date, moment, phase, seq)``: an action before the executions of its moment (the
    ``FracShare`` sale of its fraction), a transfer in at the start of its day (a sale that
    day finds the lot), a transfer out at its end."""
    as_of = st.as_of
    out: list[tuple[tuple, object]] = []
    for g in groups(st.data.corporate_actions):
        if as_of is None or g.day <= as_of:
            out.append(((g.day, g.moment, -1, g.rows[0].seq), g))
    for t in st.data.transfers:
        if as_of is not None and t.day > as_of:
            continue
        out_going = t.direction == "OUT" or (t.direction is None and t.quantity < 0)
        moment = datetime.combine(t.day, time.max if out_going else time.min)
        out.append(((t.day, moment, 2 if out_going else -2, t.seq), t))
    return out


def groups(rows) -> list[ActionGroup]:
    """The corporate-action rows grouped into actions (one per account and actionID)."""
    by_key: dict[tuple, list[CorporateActionRecord]] = {}
    for r in rows:
        by_key.setdefault((r.account, r.group), []).append(r)
    groups = []
    for (account, key), legs in by_key.items():
        first = legs[0]
        kind = first.kind
        if kind in (ActionKind.STOCK_MERGER, ActionKind.CASH_MERGER):
            # IB's TC covers both: a leg that receives shares makes it a stock merger
            kind = (ActionKind.STOCK_MERGER
                    if any(r.quantity > 0 and not r.is_option for r in legs)
                    else ActionKind.CASH_MERGER)
        elif any(r.kind is ActionKind.UNKNOWN for r in legs):
            kind = ActionKind.UNKNOWN
        moment = first.moment or datetime.combine(first.day, _AFTER_CLOSE)
        groups.append(ActionGroup(account, key, kind, first.day, moment, tuple(legs)))
    return groups


def apply(st: PassState, item: object) -> Iterator[ExecutionRecord]:
    """Apply one action group or transfer; yields the sales it books (a cash merger), for
    the pass to run like any execution."""
    if isinstance(item, TransferRecord):
        transfers.apply(st, item)
        return
    assert isinstance(item, ActionGroup)
    g = item
    if g.kind is ActionKind.UNKNOWN:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNKNOWN,
              f"type {g.rows[0].type or '(none)'} is not one the journal knows")
    elif g.kind in _SPLITS:
        _split(st, g)
    elif g.kind is ActionKind.CASH_MERGER:
        yield from _cash_merger(st, g)
    elif g.kind is ActionKind.WORTHLESS:
        yield from _worthless(st, g)
    elif g.kind is ActionKind.ISSUE_CHANGE or (g.kind is ActionKind.TENDER
                                               and _one_for_one(g)):
        _issue_change(st, g)  # a tender to a contra CUSIP: the same shares, renamed
    elif g.kind is ActionKind.STOCK_MERGER:
        _stock_merger(st, g)
    elif g.kind is ActionKind.SPINOFF:
        _spinoff(st, g)
    else:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "not applied yet")


def override(st: PassState, g: ActionGroup, field: str) -> str | None:
    """The user's fact about this action (``journal actions set``), if any."""
    for o in st.data.action_overrides:
        if o.group == g.key and o.field == field and o.account in (None, g.account):
            return o.value
    return None


def _legs(g: ActionGroup) -> str:
    return ", ".join(f"{r.symbol} {r.quantity.normalize():+f}" for r in g.rows)


def _flag(st: PassState, g: ActionGroup, code: FlagCode, why: str) -> None:
    r = g.rows[0]
    st.flags.add(code, g.account,
                 f"{_KIND_WORDS[g.kind]} on {g.day} ({r.type or 'no type'}: "
                 f"{g.description or '(no description)'}; rows {_legs(g)}): {why}; lots "
                 "unchanged, so IB's position may differ from the ledger's",
                 d=g.day, symbol=r.underlying, tx=g.first_key)


_stock_queue = transfers.stock_queue


def _split(st: PassState, g: ActionGroup) -> None:
    options = [r for r in g.rows if r.is_option]
    stock = [r for r in g.rows if not r.is_option]
    for r in options:
        _adjust_option(st, g, r)
    if not stock:
        return
    old = [r for r in stock if r.quantity < 0]
    new = [r for r in stock if r.quantity > 0]
    if len(stock) == 1:
        symbol = base_symbol(stock[0].symbol)
        target = symbol
    elif len(old) == 1 and len(new) == 1:
        symbol, target = base_symbol(old[0].symbol), base_symbol(new[0].symbol)
    else:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "legs the journal cannot pair")
        return
    if target != symbol:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED,
              f"the split also changes the ticker {symbol} -> {target}: not applied yet")
        return
    lots = _stock_queue(st, g.account, symbol)
    held = sum((lot.rem * lot.side for lot in lots), ZERO)
    if not lots or held <= 0:
        _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no {symbol} shares then: import the statements from before")
        return
    if len(stock) == 1:  # one row: the shares added (or removed)
        after = held + stock[0].quantity
    else:
        after = new[0].quantity * held / -old[0].quantity  # IB's ratio, our shares
    ratio = after / held
    stated = g.rows[0].terms.ratio
    if stated is not None and abs(stated - ratio) > _RATIO_TOLERANCE * max(stated, Decimal(1)):
        st.flags.add(FlagCode.CORPORATE_ACTION_MISMATCH, g.account,
                     f"{_KIND_WORDS[g.kind]} of {symbol} on {g.day}: {fmt_qty(held)} shares "
                     f"in the ledger become {fmt_qty(after)} by IB's rows, but the "
                     f"description says {stated}:1 ({g.description}); IB's rows used",
                     d=g.day, symbol=symbol, tx=g.first_key)
    befores = before(lots)
    _scale(lots, ratio, after)
    noted(befores, g.day, _KIND_WORDS[g.kind], ratio=_ratio(ratio))
    _scale_pending(st, symbol, ratio)
    st.stock_qty[(g.account, symbol)] += after - held
    _day_state(st, g.account, symbol, g.day)


def _issue_change(st: PassState, g: ActionGroup) -> None:
    """CUSIP/ISIN/ticker change: the lots carry over unchanged (§1036, §1223(1)) and move
    to the symbol the security trades under afterwards, with their wash-sale family: a
    loss waiting for a replacement finds it under the new ticker, and the new ticker's
    purchases find the losses of the old one."""
    old = [r for r in g.rows if r.quantity < 0 and not r.is_option]
    new = [r for r in g.rows if r.quantity > 0 and not r.is_option]
    if len(old) != 1 or len(new) != 1 or len(g.rows) != 2:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "legs the journal cannot pair")
        return
    src, dst = base_symbol(old[0].symbol), _symbol_after(st, g, new[0])
    lots = _stock_queue(st, g.account, src)
    held = sum((lot.rem * lot.side for lot in lots), ZERO)
    if not lots:
        _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no {src} shares then: import the statements from before")
        return
    if held != -old[0].quantity:
        st.flags.add(FlagCode.CORPORATE_ACTION_MISMATCH, g.account,
                     f"{_KIND_WORDS[g.kind]} of {src} on {g.day}: the ledger holds "
                     f"{fmt_qty(held)} shares, IB changed {fmt_qty(-old[0].quantity)}; "
                     "every lot carried over", d=g.day, symbol=src, tx=g.first_key)
    if any(lot.rem > 0 for (acc, kind, _c), queue in st.positions.items()
           if acc == g.account and kind == "O" for lot in queue if lot.underlying == src):
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED,
              f"options on {src} open across the change are not adjusted")
    noted(before(lots), g.day, _KIND_WORDS[g.kind], old_symbol=src, new_symbol=dst)
    if dst != src:
        _move(st, g.account, src, dst)
    _day_state(st, g.account, dst, g.day)


def _stock_merger(st: PassState, g: ActionGroup) -> None:
    """Shares for shares, with or without cash: a reorganization by default (§368). Per old
    lot: new shares by its weight, the same holding period (§1223(1)); of its realized
    gain only the cash is recognized (§356(a)(1)), never a loss (§356(c)); the new basis is
    the old − cash + gain recognized (§358(a)(1))."""
    old = [r for r in g.rows if r.quantity < 0 and not r.is_option]
    new = [r for r in g.rows if r.quantity > 0 and not r.is_option]
    if len(old) != 1 or len(new) != 1 or len(g.rows) != 2:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "legs the journal cannot pair")
        return
    o, n = old[0], new[0]
    src, dst = base_symbol(o.symbol), _symbol_after(st, g, n)
    lots = [lot for lot in _stock_queue(st, g.account, src) if lot.side > 0]
    if not lots:
        _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no {src} shares then: import the statements from before")
        return
    q_old, cash, value = -o.quantity, o.proceeds, n.value
    if cash and not value:
        _flag(st, g, FlagCode.CORPORATE_ACTION_TERMS, "IB gives no market value of the new "
              "shares: the whole cash is taken as gain recognized")
    held, befores = sum((lot.rem for lot in lots), ZERO), before(lots)
    for lot in lots:
        share = lot.rem / q_old
        c = cash * share
        basis = -lot.open_cash + lot.wash
        if c:
            gain = c if not value else value * share + c - basis
            recognized = max(ZERO, min(c, gain))
            _boot_line(st, g, o, lot, c, recognized, src)
            lot.open_cash += c - recognized
            lot.prem += c - recognized
            lot.orig_cost -= c - recognized
        lot.source = "merger"
    # IB's new shares over the lots by weight (the residue of rounding to the largest)
    _scale(lots, n.quantity / q_old, n.quantity * held / q_old)
    for lot, qty, basis in befores:
        lot.note(g.day, "stock merger", qty, basis, ratio=_ratio(q_old / n.quantity),
                 old_symbol=src, new_symbol=dst, cash=cash * qty / q_old if cash else None)
    if cash:
        st.flags.add(FlagCode.MERGER_TREATMENT, g.account,
                     f"{src} merged into {dst} on {g.day} with {cash:.2f} cash "
                     f"({g.description}): treated as a tax-free reorganization, gain "
                     "recognized up to the cash (§356); if the issuer's Form 8937 says "
                     "taxable, the lines change", d=g.day, symbol=src, tx=g.first_key)
    st.stock_qty[(g.account, src)] += sum((lot.rem for lot in lots), ZERO) - held
    _move(st, g.account, src, dst, same_security=False)
    _day_state(st, g.account, dst, g.day)


def _spinoff(st: PassState, g: ActionGroup) -> None:
    """A spinoff: child shares per parent lot, with the parent's holding period (§1223(1));
    the basis split needs the issuer's FMV ratio (§358(b)-(c), Form 8937), so until the
    user gives it the child's basis is 0.00 and the flag says so. Never an acquisition."""
    legs = [r for r in g.rows if r.quantity > 0 and not r.is_option]
    parent = g.rows[0].terms.head_symbol
    if len(legs) != 1 or len(g.rows) != 1 or not parent:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "legs the journal cannot pair")
        return
    r = legs[0]
    src, child = base_symbol(parent), base_symbol(r.symbol)
    lots = [lot for lot in _stock_queue(st, g.account, src) if lot.side > 0]
    held = sum((lot.rem for lot in lots), ZERO)
    if not lots:
        _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no {src} shares then: import the statements from before")
        return
    fraction = override(st, g, "parent_fraction")
    keep = Decimal(fraction) if fraction is not None else Decimal(1)
    queue = st.positions[(g.account, "S", child)]
    how = (f"basis allocated {fmt_qty(keep)} / {fmt_qty(1 - keep)}" if fraction is not None
           else "basis allocation pending (SPINOFF_ALLOCATION)")
    for lot in lots:
        qty, cost = lot.qty, lot.orig_cost
        ex = replace(lot.ex, symbol=child, underlying=child, conid=r.conid,
                     transaction_id=f"{r.key}:{lot.tx}", description=r.description)
        given, wash = lot.open_cash * (1 - keep), lot.wash * (1 - keep)
        kid = Lot(f"{lot.lot_id}>{child}", g.account, ex, child, child, 1,
                  _short(r.quantity * lot.rem / held), given, lot.acquired, False,
                  source="spinoff")
        kid.hp, kid.broker_hp = lot.hp, lot.broker_hp
        kid.wash = kid.wash_total = wash
        kid.orig_cost = -given + wash
        lot.orig_cost -= kid.orig_cost
        lot.open_cash -= given
        lot.prem -= given
        lot.wash -= wash
        kid.families = (("S", child, 1),)  # not a replacement: nothing was bought
        facts = {"old_symbol": src, "new_symbol": child, "detail": how}
        lot.note(g.day, "spinoff", qty, cost, **facts)
        kid.note(g.day, "spinoff", ZERO, ZERO, **facts)
        queue.append(kid)
        st.stock_lots.append(kid)
    st.stock_qty[(g.account, child)] += r.quantity
    _day_state(st, g.account, child, g.day)
    if fraction is not None:
        return
    basis = sum((-lot.open_cash + lot.wash for lot in lots), ZERO)
    st.flags.add(FlagCode.SPINOFF_ALLOCATION, g.account,
                 f"{fmt_qty(r.quantity)} {child} spun off from {src} on {g.day} "
                 f"({g.description}): their basis is 0.00 and {src} keeps all "
                 f"{basis:.2f} until the issuer's fair-market-value split (Form 8937) is "
                 "applied (§358(b)-(c)); IB's market value of the new shares is "
                 f"{(r.value or ZERO):.2f}; give the parent's share with: journal actions "
                 f"set {g.key} --parent-fraction F", d=g.day, symbol=child, tx=r.key)


def _boot_line(st: PassState, g: ActionGroup, o: CorporateActionRecord, lot: Lot,
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


def _one_for_one(g: ActionGroup) -> bool:
    """Shares tendered to a contra CUSIP one for one, with no cash yet (the cash comes
    later, as a merger of the contra security)."""
    return (len(g.rows) == 2 and not any(r.proceeds or r.is_option for r in g.rows)
            and g.rows[0].quantity == -g.rows[1].quantity)


def _symbol_after(st: PassState, g: ActionGroup, leg: CorporateActionRecord) -> str:
    """The ticker of the new security: that of the ledger's first later trade of its conid
    (IB may report it under another symbol than the ``.NEW`` leg), else the leg's own."""
    if leg.conid:
        for e in st.execs:
            if e.account == g.account and e.conid == leg.conid and e.trade_date >= g.day \
                    and not e.is_option:
                return e.symbol
    return base_symbol(leg.symbol)


def _move(st: PassState, account: str, src: str, dst: str, *, same_security: bool = True,
          ) -> None:
    """Move the open lots of ``src`` to ``dst``. The same security (a change of name) takes
    its waiting losses along; another company's shares (a merger) do not (§1091)."""
    queue = st.positions.get((account, "S", src)) or []
    moved = [lot for lot in queue if lot.rem > 0]
    target = st.positions[(account, "S", dst)]
    book = st.wash
    for lot in moved:
        for fam in lot.families:
            lots = book.family_lots.get(fam)
            if lots and lot in lots:
                lots.remove(lot)
        lot.ex = replace(lot.ex, symbol=dst, underlying=dst)
        lot.symbol = lot.underlying = dst
        lot.families = (("S", dst, lot.side),)
        if not lot.absorbed:
            book.family_lots[lot.families[0]].append(lot)
    for side in (1, -1):
        fam_from, fam_to = ("S", src, side), ("S", dst, side)
        lots = book.family_lots.get(fam_to)
        if lots:
            lots.sort(key=lambda x: x.acquired or date.min)  # replacements in date order
        pend = book.pending.get(fam_from) if same_security else None
        if pend:
            mine = [p for p in pend if p.account == account]
            for p in mine:
                pend.remove(p)
            book.pending[fam_to].extend(mine)
            book.pending[fam_to] = type(pend)(sorted(book.pending[fam_to],
                                                     key=lambda p: p.date_sold))
    target.extend(moved)
    target.sort(key=lambda lot: (lot.acquired or date.min, lot.seq))
    queue[:] = [lot for lot in queue if lot.rem > 0 and lot not in moved]
    qty = st.stock_qty.pop((account, src), ZERO)
    st.stock_qty[(account, dst)] += qty


def _ratio(r: Decimal) -> str:
    """New shares for old as people say it: 10:1, 1-for-10."""
    return f"{fmt_qty(r)}:1" if r >= 1 else f"1-for-{fmt_qty(1 / r)}"


_PLACES = Decimal("0.0001")


def _short(x: Decimal) -> Decimal:
    """Shares to at most 4 decimals, IB's precision for fractional shares (a 1-for-3
    split or a merger ratio never ends)."""
    return x.quantize(_PLACES) if -x.as_tuple().exponent > 4 else x  # type: ignore[operator]


def _scale(lots: list[Lot], ratio: Decimal, total: Decimal) -> None:
    """Shares × ratio, cash (basis, wash adjustments, premium) unchanged; the rounding
    residue of IB's total goes to the largest lot."""
    total = _short(total)
    for lot in lots:
        lot.qty = _short(lot.qty * ratio)
        lot.rem = _short(lot.rem * ratio)
    residue = total - sum((lot.rem * lot.side for lot in lots), ZERO)
    if residue:
        big = max(lots, key=lambda lot: lot.rem)
        big.rem += residue * big.side
        big.qty += residue * big.side


def _scale_pending(st: PassState, symbol: str, ratio: Decimal) -> None:
    # a loss still waiting for its replacement is matched in post-split shares
    for fam, pend in st.wash.pending.items():
        if fam[0] == "S" and fam[1] == symbol:
            for piece in pend:
                piece.unmatched_qty *= ratio


def _adjust_option(st: PassState, g: ActionGroup, r: CorporateActionRecord) -> None:
    """OCC adjustment reported on the option itself (same conid): contracts × factor."""
    lots = [lot for lot in st.positions.get((g.account, "O", r.conid), ()) if lot.rem > 0]
    held = sum((lot.rem for lot in lots), ZERO)
    if not lots or not r.conid:
        _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
              f"the ledger holds no open {r.symbol} contracts then")
        return
    after = held + abs(r.quantity)
    factor = after / held
    _scale(lots, factor, after * lots[0].side)
    for lot in lots:  # the contract's terms from now on (descriptions, positions)
        ex = lot.ex
        lot.ex = replace(ex, symbol=r.symbol or ex.symbol,
                         strike=r.strike or (ex.strike / factor if ex.strike else ex.strike),
                         description=r.terms.own_name or ex.description)
        lot.symbol = lot.ex.symbol
    st.opt_open[(g.account, r.underlying)] += after - held
    _day_state(st, g.account, r.underlying, g.day)


def infer_option_adjustment(st: PassState, e: ExecutionRecord) -> None:
    """An option row whose conid has open lots under another strike: OCC adjusted the
    contract and IB posted no row (the AVGO/LCID case). A whole-number strike ratio n is a
    split: contracts × n, premium and open date kept (§1234(b)), OPTION_ADJUSTED (info).
    Anything else cannot be inferred and is flagged before the row is booked as it is."""
    if not e.conid or e.strike is None:
        return
    lots = [lot for lot in st.positions.get((e.account, "O", e.conid), ()) if lot.rem > 0]
    if not lots or lots[0].ex.strike in (None, e.strike):
        return
    old = lots[0].ex
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
    _scale(lots, n, held * n * lots[0].side)
    for lot in lots:
        lot.ex = replace(lot.ex, symbol=e.symbol, strike=e.strike, description=e.description)
        lot.symbol = e.symbol
    st.opt_open[(e.account, e.underlying)] += held * (n - 1)
    st.flags.add(FlagCode.OPTION_ADJUSTED, e.account,
                 f"{what}: OCC {n}:1 adjustment inferred, no corporate-action row; "
                 f"{fmt_qty(held)} -> {fmt_qty(held * n)} contracts, premium and open date "
                 "kept", d=e.trade_date, symbol=e.underlying, tx=e.transaction_id)


def _cash_merger(st: PassState, g: ActionGroup) -> Iterator[ExecutionRecord]:
    for r in g.rows:
        if r.quantity >= 0 or r.is_option:
            if r.is_option:
                _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED,
                      f"an option leg ({r.symbol}) of a cash merger is not applied")
            continue
        symbol = base_symbol(r.symbol)
        held = sum((lot.rem for lot in _stock_queue(st, g.account, symbol)
                    if lot.side > 0), ZERO)
        shares = min(held, -r.quantity)
        if shares < -r.quantity:
            _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT,
                  f"the ledger holds {fmt_qty(held)} of the {fmt_qty(-r.quantity)} {symbol} "
                  "shares cashed out: import the statements from before")
        if shares <= 0:
            continue
        cash = r.proceeds * shares / -r.quantity
        fifo = r.fifo_pnl * shares / -r.quantity if r.fifo_pnl is not None else None
        st.action_labels[r.key] = ("cash_merger", "cash merger")
        yield ExecutionRecord(
            -r.seq, g.account, r.key, vocab.AssetCategory.STK.value, symbol, symbol,
            r.description, r.conid, None, None, None, Decimal(1), g.day, g.moment, -shares,
            cash / shares, cash, None, fifo, frozenset({"C"}), "C", None, None, r.currency,
            cash, ZERO, ZERO)


def _worthless(st: PassState, g: ActionGroup) -> Iterator[ExecutionRecord]:
    """Delisted worthless: a loss as if sold for nothing on the last day of the year
    (IRC §165(g)(1)); the year is a question of fact, so the flag asks."""
    year = override(st, g, "worthless_year")
    year_end = date(int(year) if year else g.day.year, 12, 31)
    for r in g.rows:
        if r.is_option or r.quantity >= 0:
            continue
        symbol = base_symbol(r.symbol)
        held = sum((lot.rem for lot in _stock_queue(st, g.account, symbol)
                    if lot.side > 0), ZERO)
        shares = min(held, -r.quantity)
        if shares <= 0:
            _flag(st, g, FlagCode.CORPORATE_ACTION_NO_LOT, "the ledger holds none of these "
                  "shares then: import the statements from before")
            continue
        if year is None:
            st.flags.add(FlagCode.DELISTED_WORTHLESS, g.account,
                         f"{fmt_qty(shares)} {symbol} delisted on {g.day} ({g.description}):"
                         f" booked as sold for 0.00 on {year_end} (§165(g)); if they became "
                         "worthless in another year: journal actions set "
                         f"{g.key} --worthless-year YEAR", d=year_end, symbol=symbol,
                         tx=r.key)
        st.action_labels[r.key] = ("worthless", "worthless")
        yield ExecutionRecord(
            -r.seq, g.account, r.key, vocab.AssetCategory.STK.value, symbol, symbol,
            r.description, r.conid, None, None, None, Decimal(1), year_end, g.moment,
            -shares, ZERO, ZERO, None, None, frozenset({"C"}), "C", None, None, r.currency,
            ZERO, ZERO, ZERO)
        _day_state(st, g.account, symbol, g.day)  # the shares left that day (cycles end)


_day_state = transfers.day_state


def label_pieces(st: PassState) -> None:
    """Sales booked by an action say so on Form 8949: "100 CSHM (cash merger)", and so
    does IB's sale of a fraction after a split: "0.5 XYZ (cash in lieu)"."""
    in_lieu = st.data.cash_in_lieu
    if not st.action_labels and not in_lieu:
        return
    for p in st.pieces:
        label = st.action_labels.get(p.tx or "")
        if label is None and p.seq in in_lieu:
            label = ("cash_in_lieu", "cash in lieu")
        if label is not None and p.closing is not None and p.closing.seq == p.seq:
            p.kind = label[0]
            p.description = f"{p.description} ({label[1]})"
