"""What the corporate actions of the pass share (tax_rules.md §10): an action's legs
grouped (:class:`ActionGroup`), the user's facts about it, its flag, and the mechanics
every action uses on lots: scaling shares with the cash unchanged, moving lots to another
ticker with their wash-sale family."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from journal.corpact import base_symbol
from journal.readmodel_actions import CorporateActionRecord
from journal.rules.money import ZERO
from journal.rules.money import fmt_qty as fmt_qty
from journal.rules.records import Lot
from journal.rules.state import PassState
from journal.rules.transfers import day_state as day_state
from journal.rules.transfers import stock_queue as stock_queue
from journal.vocab import ActionKind, FlagCode

KIND_WORDS = {
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


def override(st: PassState, g: ActionGroup, field: str) -> str | None:
    """The user's fact about this action (``journal actions set``), if any."""
    for o in st.data.action_overrides:
        if o.group == g.key and o.field == field and o.account in (None, g.account):
            return o.value
    return None


def legs(g: ActionGroup) -> str:
    return ", ".join(f"{r.symbol} {r.quantity.normalize():+f}" for r in g.rows)


def flag(st: PassState, g: ActionGroup, code: FlagCode, why: str) -> None:
    r = g.rows[0]
    st.flags.add(code, g.account,
                 f"{KIND_WORDS[g.kind]} on {g.day} ({r.type or 'no type'}: "
                 f"{g.description or '(no description)'}; rows {legs(g)}): {why}; lots "
                 "unchanged, so IB's position may differ from the ledger's",
                 d=g.day, symbol=r.underlying, tx=g.first_key)



def symbol_after(st: PassState, g: ActionGroup, leg: CorporateActionRecord) -> str:
    """The ticker of the new security: that of the ledger's first later trade of its conid
    (IB may report it under another symbol than the ``.NEW`` leg), else the leg's own."""
    if leg.conid:
        for e in st.execs:
            if e.account == g.account and e.conid == leg.conid and e.trade_date >= g.day \
                    and not e.is_option:
                return e.symbol
    return base_symbol(leg.symbol)


def move(st: PassState, account: str, src: str, dst: str, *, same_security: bool = True,
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


def ratio_text(r: Decimal) -> str:
    """New shares for old as people say it: 10:1, 1-for-10."""
    return f"{fmt_qty(r)}:1" if r >= 1 else f"1-for-{fmt_qty(1 / r)}"


_PLACES = Decimal("0.0001")


def short(x: Decimal) -> Decimal:
    """Shares to at most 4 decimals, IB's precision for fractional shares (a 1-for-3
    split or a merger ratio never ends)."""
    return x.quantize(_PLACES) if -x.as_tuple().exponent > 4 else x  # type: ignore[operator]


def scale(lots: list[Lot], ratio: Decimal, total: Decimal) -> None:
    """Shares × ratio, cash (basis, wash adjustments, premium) unchanged; the rounding
    residue of IB's total goes to the largest lot."""
    total = short(total)
    for lot in lots:
        lot.qty = short(lot.qty * ratio)
        lot.rem = short(lot.rem * ratio)
    residue = total - sum((lot.rem * lot.side for lot in lots), ZERO)
    if residue:
        big = max(lots, key=lambda lot: lot.rem)
        big.rem += residue * big.side
        big.qty += residue * big.side
