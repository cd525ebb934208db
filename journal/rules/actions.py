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
* **An option adjusted by OCC**, with a row (same conid, the added contracts) or inferred
  when the contract reappears under another strike or root: contracts × factor or a new
  deliverable, premium and open date unchanged; not a close (§1234(b))
  (:mod:`journal.rules.option_adjust`).
* **Cash merger** (§1001): a sale of the shares for the cash on the action's date.
* **Delisted worthless** (§165(g)(1)): a sale for 0.00 on December 31 of the action's
  year, flagged ``DELISTED_WORTHLESS`` (the year is a question of fact).
* **Transfers** (:mod:`journal.rules.transfers`).

* **ISIN/CUSIP/ticker change** (§1036, §1223(1)), and shares tendered one for one to a
  contra CUSIP: the lots move to the new ticker with their wash-sale family (identity
  follows the security).
* **Stock merger**, with or without cash (§354, §356, §358): new shares per lot, gain
  recognized up to the cash, basis carried; ``MERGER_TREATMENT`` (info)
  (:mod:`journal.rules.mergers`).
* **Spinoff** (§355, §358(b)-(c)): child lots with the parent's dates and basis 0.00
  until the FMV split is known, ``SPINOFF_ALLOCATION``.

Everything else (tenders with cash or another ratio, rights and other published codes,
unknown codes, splits that change the ticker, legs that cannot be paired) is **never
silent**: it is flagged with
what it is, and the lots stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal

from journal import vocab
from journal.corpact import base_symbol
from journal.readmodel import ExecutionRecord
from journal.readmodel_actions import CorporateActionRecord, TransferRecord
from journal.rules import mergers, transfers
from journal.rules.action_base import KIND_WORDS as _KIND_WORDS
from journal.rules.action_base import ActionGroup, override
from journal.rules.action_base import flag as _flag
from journal.rules.action_base import move as _move
from journal.rules.action_base import ratio_text as _ratio
from journal.rules.action_base import scale as _scale
from journal.rules.action_base import short as _short
from journal.rules.action_base import symbol_after as _symbol_after
from journal.rules.money import ZERO, fmt_qty
from journal.rules.option_adjust import adjust_option as _adjust_option
from journal.rules.option_adjust import infer_option_adjustment  # noqa: F401 - the pass's
from journal.rules.records import Lot, before, noted
from journal.rules.state import PassState
from journal.vocab import ActionKind, FlagCode

_AFTER_CLOSE = time(20, 25)
_SPLITS = (ActionKind.FORWARD_SPLIT, ActionKind.STOCK_DIVIDEND, ActionKind.REVERSE_SPLIT)
_RATIO_TOLERANCE = Decimal("0.0001")  # IB rounds fractional legs to 4 dp


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
    in_scope = [t for t in st.data.transfers if as_of is None or t.day <= as_of]
    for t in transfers.pair(st, in_scope):
        if isinstance(t, transfers.TransferPair):
            # a move between two ledger accounts: at the start of its earlier side's day
            out.append(((t.day, datetime.combine(t.day, time.min), -2, t.seq), t))
            continue
        out_going = transfers.outgoing(t)
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
    if isinstance(item, transfers.TransferPair):
        transfers.apply_pair(st, item)
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
        yield from mergers.stock_merger(st, g)
    elif g.kind is ActionKind.SPINOFF:
        _spinoff(st, g)
    else:
        _flag(st, g, FlagCode.CORPORATE_ACTION_UNHANDLED, "not applied yet")


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


def _one_for_one(g: ActionGroup) -> bool:
    """Shares tendered to a contra CUSIP one for one, with no cash yet (the cash comes
    later, as a merger of the contra security)."""
    return (len(g.rows) == 2 and not any(r.proceeds or r.is_option for r in g.rows)
            and g.rows[0].quantity == -g.rows[1].quantity)


def _scale_pending(st: PassState, symbol: str, ratio: Decimal) -> None:
    # a loss still waiting for its replacement is matched in post-split shares
    for fam, pend in st.wash.pending.items():
        if fam[0] == "S" and fam[1] == symbol:
            for piece in pend:
                piece.unmatched_qty *= ratio


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
