"""Transfers of shares between brokers or accounts in the pass (tax_rules.md §10).

A transfer is no tax event (IRC §1012; Reg. §1.6045A-1): shares keep their original
basis and acquisition date.

* **Out**: the lots leave FIFO, with no sale and no gain or loss; the wash-sale
  adjustments in their basis leave with them.
* **In**: IB's ``Transfer`` row never carries basis (``positionAmount`` is the market
  value). The lots come from the user's basis file (``journal transfers basis FILE``;
  it wins over IB, ``TRANSFER_BASIS_CONFLICT`` when they differ), else from IB's own lot
  records of the shares (OpenPositions LOT rows reported after the transfer, opened
  before it, not opened by a trade in the ledger); otherwise no lot is invented:
  ``TRANSFER_BASIS_MISSING`` says so, and a sale of those
  shares is shown with IB's cost, acquisition date VARIOUS and term NEEDS_REVIEW
  (``MISSING_OPENING_LOT``), never with a silent zero basis.

A transferred-in lot was not bought by this account, so it is never a wash-sale
replacement here; bought elsewhere within 30 days of a loss sale of the same security in
the ledger, it is flagged ``WASH_SALE_TRANSFER`` and applied once the user confirms it
(``journal transfers set TRANSFER --wash-sale yes``; the product owner's rule): the loss
is disallowed, added to the lot's basis and its holding period tacked (§1091(a), (d);
§1223(3)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from journal import vocab
from journal.readmodel import ExecutionRecord
from journal.readmodel_actions import IbLotRecord, TransferRecord
from journal.rules import wash
from journal.rules.law import WASH_DAYS
from journal.rules.money import ZERO, fmt_qty, part
from journal.rules.records import Lot, Piece
from journal.rules.state import PassState
from journal.vocab import FlagCode


def stock_queue(st: PassState, account: str, symbol: str) -> list[Lot]:
    return [lot for lot in st.positions.get((account, "S", symbol), ()) if lot.rem > 0]


def day_state(st: PassState, account: str, underlying: str, day: date) -> None:
    st.day_state[(account, underlying, day)] = (st.stock_qty[(account, underlying)],
                                                st.opt_open[(account, underlying)])


def outgoing(t: TransferRecord) -> bool:
    return t.direction == "OUT" or (t.direction is None and t.quantity < 0)


def apply(st: PassState, t: TransferRecord) -> None:
    if not t.symbol or t.asset_category == vocab.AssetCategory.CASH.value:
        return  # cash moved between brokers: no lot, no tax event
    out = outgoing(t)
    what = (f"transfer {'out' if out else 'in'} ({t.type or '?'}) of "
            f"{fmt_qty(abs(t.quantity))} {t.symbol} on {t.day}")
    if vocab.is_option(t.asset_category, t.put_call):
        st.flags.add(FlagCode.CORPORATE_ACTION_UNHANDLED, t.account,
                     f"{what}: options moved by transfer are not applied; lots unchanged",
                     d=t.day, symbol=t.underlying, tx=t.key)
    elif out:
        _out(st, t, what)
    else:
        _in(st, t, what)


def _out(st: PassState, t: TransferRecord, what: str) -> None:
    left = abs(t.quantity)
    for lot in stock_queue(st, t.account, t.symbol):  # FIFO: the queue's order
        if left <= 0 or lot.side < 0:
            break
        n = min(left, lot.rem)
        lot.take(n)
        lot.closed_on = t.day
        left -= n
    moved = abs(t.quantity) - left
    queue = st.positions.get((t.account, "S", t.symbol))
    if queue:
        queue[:] = [lot for lot in queue if lot.rem > 0]
    st.stock_qty[(t.account, t.symbol)] -= moved
    day_state(st, t.account, t.symbol, t.day)
    if left > 0:
        st.flags.add(FlagCode.TRANSFER_NO_LOT, t.account,
                     f"{what}: the ledger holds only {fmt_qty(moved)} of these shares",
                     d=t.day, symbol=t.underlying, tx=t.key)


def _in(st: PassState, t: TransferRecord, what: str) -> None:
    records = _ib_records(st, t)
    users = _user_records(st, t, what)
    if users:
        if records and sorted((r.quantity, r.opened, r.cost) for r in records) != sorted(
                (u.quantity, u.opened, u.cost) for u in users):
            st.flags.add(FlagCode.TRANSFER_BASIS_CONFLICT, t.account,
                         f"{what}: your basis file and IB's lot records differ; your file "
                         "is used", d=t.day, symbol=t.underlying, tx=t.key)
        records = users
    source = "your basis file" if users else "IB's lot records"
    if not records:
        st.flags.add(FlagCode.TRANSFER_BASIS_MISSING, t.account,
                     f"{what}: no basis or acquisition date in IB's rows or lot records; no "
                     "lot is created, so a sale of these shares shows IB's cost, date "
                     "acquired VARIOUS, term NEEDS_REVIEW (MISSING_OPENING_LOT) until you "
                     "supply them", d=t.day, symbol=t.underlying, tx=t.key)
        return
    queue = st.positions[(t.account, "S", t.symbol)]
    made = []
    for i, r in enumerate(records):
        ex = ExecutionRecord(
            -t.seq, t.account, f"{t.key}:{i}", vocab.AssetCategory.STK.value, t.symbol,
            t.symbol, t.description, t.conid, None, None, None, Decimal(1), t.day, None,
            r.quantity, None, -(r.cost or ZERO), None, None, frozenset(), "O", None, None,
            t.currency)
        lot = Lot(f"{t.account}:{t.key}:{i}", t.account, ex, t.symbol, t.symbol, 1,
                  r.quantity, -(r.cost or ZERO), r.opened, False, source="transfer")
        lot.families = (("S", t.symbol, 1),)  # not bought here: never a replacement
        lot.note(t.day, "transfer in", r.quantity, lot.orig_cost,
                 detail=f"{t.type or '?'}, basis and date from {source}")
        queue.append(lot)
        st.stock_lots.append(lot)
        made.append(lot)
    queue.sort(key=lambda lot: (lot.acquired or date.min, lot.seq))
    st.stock_qty[(t.account, t.symbol)] += t.quantity
    day_state(st, t.account, t.symbol, t.day)
    _bought_near_a_loss(st, t, what, made)


def fact(st: PassState, t: TransferRecord, field: str) -> str | None:
    """The user's fact about this transfer (``journal transfers set``), if any."""
    for o in st.data.action_overrides:
        if o.group == t.key and o.field == field and o.account in (None, t.account):
            return o.value
    return None


def _bought_near_a_loss(st: PassState, t: TransferRecord, what: str,
                        lots: list[Lot]) -> None:
    """Shares bought elsewhere within 30 days of a loss sale of the same security in the
    ledger replace it (§1091(a)): shown until the user confirms (the product owner's
    rule, like Rev. Rul. 85-87's purchase in another form), then applied; the user may
    also say it is none (``--wash-sale no``)."""
    answer = fact(st, t, "wash_sale")
    if answer == "no":
        return
    for lot in lots:
        if lot.acquired is None:
            continue
        for p in st.pieces:
            if p.symbol == t.symbol and p.side > 0 and p.proceeds < p.cost and \
                    abs((p.date_sold - lot.acquired).days) <= WASH_DAYS:
                if answer == "yes":
                    _replace(st, p, lot)
                    continue
                st.flags.add(FlagCode.WASH_SALE_TRANSFER, t.account,
                             f"{what}: {fmt_qty(lot.qty)} of them were bought on "
                             f"{lot.acquired}, within 30 days of the loss on {p.description} "
                             f"sold {p.date_sold}; a wash sale if confirmed, not applied; "
                             f"confirm with: journal transfers set {t.key} --wash-sale yes "
                             "(or --wash-sale no)", d=p.date_sold, symbol=t.underlying,
                             tx=t.key)
                return


def _replace(st: PassState, piece: Piece, lot: Lot) -> None:
    """The confirmed wash sale: the part of ``piece``'s loss not yet replaced is disallowed
    by the shares of ``lot`` (each share replaces one loss share, §3.6), added to their
    basis (§1091(d)) and their holding period tacked (§1223(3)). IB saw no purchase, so
    its 1099-B keeps the loss: the Form 8949 line carries code W."""
    m = min(piece.unmatched_qty, lot.rem)
    if m > 0 and not lot.absorbed:
        wash.absorb(st, piece, lot, m, bought_elsewhere=True)


def _user_records(st: PassState, t: TransferRecord, what: str) -> list[IbLotRecord]:
    """The user's lots of this symbol not taken by an earlier transfer, in acquisition
    order, when they add up to the shares transferred (else the flag says by how much)."""
    free = [b for b in st.data.transfer_basis
            if b.account == t.account and b.symbol == t.symbol.upper()
            and b.seq not in st.basis_used]
    if not free:
        return []
    taken, total = [], ZERO
    for b in free:
        if total >= t.quantity:
            break
        taken.append(b)
        total += b.quantity
    if total != t.quantity:
        st.flags.add(FlagCode.TRANSFER_BASIS_MISSING, t.account,
                     f"{what}: your basis file gives {fmt_qty(total)} shares for it, not "
                     f"{fmt_qty(t.quantity)} ({taken[0].source}); not used",
                     d=t.day, symbol=t.underlying, tx=t.key)
        return []
    st.basis_used.update(b.seq for b in taken)
    return [IbLotRecord(t.account, t.day, t.symbol, t.conid, b.quantity, b.acquired,
                        b.basis, None) for b in taken]


def _ib_records(st: PassState, t: TransferRecord) -> list[IbLotRecord]:
    """IB's lot records of the shares that came in: at the first report after the
    transfer, the lots of the security opened before it and not by a trade in the ledger;
    used only when they account for every share transferred."""
    traded = {e.transaction_id for e in st.execs if e.account == t.account}
    mine = [r for r in st.data.ib_lots
            if r.account == t.account and r.report_date >= t.day and r.cost is not None
            and r.opened is not None and r.opened < t.day
            and (r.symbol == t.symbol or (t.conid and r.conid == t.conid))
            and (not r.origin_tx or r.origin_tx == "0" or r.origin_tx not in traded)]
    if not mine:
        return []
    first = min(r.report_date for r in mine)
    lots = [r for r in mine if r.report_date == first]
    if sum((r.quantity for r in lots), ZERO) != t.quantity:
        return []
    return sorted(lots, key=lambda r: r.opened or date.min)


_PAIR_DAYS = 5  # IB may date the two sides of one move a few days apart


@dataclass(frozen=True, slots=True)
class TransferPair:
    """The two sides of one move between accounts that are both in the ledger."""

    out: TransferRecord
    into: TransferRecord

    @property
    def day(self) -> date:
        return min(self.out.day, self.into.day)

    @property
    def seq(self) -> int:
        return min(self.out.seq, self.into.seq)


def _shares(t: TransferRecord) -> bool:
    return bool(t.symbol) and t.asset_category != vocab.AssetCategory.CASH.value and \
        not vocab.is_option(t.asset_category, t.put_call)


def _sides_match(o: TransferRecord, i: TransferRecord) -> bool:
    """An OUT of one account and an IN of another: the same security and shares, a few
    days apart, and where a row names the other account, that account."""
    return (o.account != i.account and abs(o.quantity) == abs(i.quantity)
            and (o.symbol == i.symbol or bool(o.conid and o.conid == i.conid))
            and abs((o.day - i.day).days) <= _PAIR_DAYS
            and o.peer_account in (None, "", i.account)
            and i.peer_account in (None, "", o.account))


def pair(st: PassState, rows: list[TransferRecord]) -> list[TransferRecord | TransferPair]:
    """The transfers with each move between two ledger accounts as one pair (design §7.9):
    an OUT and an IN that match only each other. A side with more than one match stays
    on its own, flagged ``TRANSFER_PAIR_AMBIGUOUS``."""
    outs = [t for t in rows if _shares(t) and outgoing(t)]
    ins = [t for t in rows if _shares(t) and not outgoing(t)]
    if not outs or not ins:
        return list(rows)
    of_out = {o.seq: [i for i in ins if _sides_match(o, i)] for o in outs}
    of_in = {i.seq: [o for o in outs if _sides_match(o, i)] for i in ins}
    pairs: list[TransferRecord | TransferPair] = []
    taken: set[int] = set()
    for o in outs:
        cands = of_out[o.seq]
        if len(cands) == 1 and len(of_in[cands[0].seq]) == 1:
            pairs.append(TransferPair(o, cands[0]))
            taken.update((o.seq, cands[0].seq))
        elif cands:
            others = sorted({x.account for x in cands} | {o.account} | {
                y.account for x in cands for y in of_in[x.seq]})
            st.flags.add(FlagCode.TRANSFER_PAIR_AMBIGUOUS, o.account,
                         f"transfer out ({o.type or '?'}) of {fmt_qty(abs(o.quantity))} "
                         f"{o.symbol} on {o.day} matches {len(cands)} transfers in, and the "
                         f"sides involve accounts {', '.join(others)}: not paired, so the "
                         "shares received keep no basis from this account's lots",
                         d=o.day, symbol=o.underlying, tx=o.key)
    return pairs + [t for t in rows if t.seq not in taken]


def apply_pair(st: PassState, p: TransferPair) -> None:
    """Move the delivering account's lots (FIFO) to the receiving account with their basis,
    acquisition date, holding period and wash-sale adjustments: no tax event (no sale or
    exchange, IRC §1001; basis §1012). A lot that could still replace a loss keeps that
    role (§1091 looks at the taxpayer, not the account)."""
    o, i = p.out, p.into
    what = (f"transfer ({i.type or o.type or '?'}) of {fmt_qty(abs(i.quantity))} {i.symbol} "
            f"from {o.account} to {i.account} on {p.day}")
    left, moved = abs(i.quantity), list[Lot]()
    for lot in stock_queue(st, o.account, o.symbol):  # FIFO: the queue's order
        if left <= 0 or lot.side < 0:
            break
        n = min(left, lot.rem)
        left -= n
        moved.append(_move_lot(st, p, lot, n, len(moved)))
    src = st.positions.get((o.account, "S", o.symbol))
    if src:
        src[:] = [lot for lot in src if lot.rem > 0]
    queue = st.positions[(i.account, "S", i.symbol)]
    queue.extend(moved)
    queue.sort(key=lambda lot: (lot.acquired or date.min, lot.seq))
    got = abs(i.quantity) - left
    st.stock_qty[(o.account, o.symbol)] -= got
    st.stock_qty[(i.account, i.symbol)] += got
    day_state(st, o.account, o.symbol, p.day)
    day_state(st, i.account, i.symbol, p.day)
    if left > 0:
        st.flags.add(FlagCode.TRANSFER_NO_LOT, o.account,
                     f"{what}: {o.account} holds only {fmt_qty(got)} of these shares in the "
                     f"ledger; {fmt_qty(left)} reach {i.account} with no lot (no basis)",
                     d=p.day, symbol=o.underlying, tx=o.key)


def _move_lot(st: PassState, p: TransferPair, lot: Lot, n: Decimal, k: int) -> Lot:
    """``n`` shares of ``lot`` as a lot of the receiving account, carrying everything."""
    o, i = p.out, p.into
    folded = part(lot.folded, n, lot.rem) if lot.folded else ZERO
    lot.folded -= folded
    oc, w, prem, bw = lot.take(n)
    lot.closed_on = p.day
    ex = ExecutionRecord(
        -i.seq, i.account, f"{i.key}:{k}", vocab.AssetCategory.STK.value, i.symbol,
        i.symbol, i.description, i.conid, None, None, None, Decimal(1), p.day, None, n,
        None, oc, None, None, frozenset(), "O", None, None, i.currency)
    new = Lot(f"{i.account}:{i.key}:{k}", i.account, ex, i.symbol, i.symbol, 1, n, oc,
              lot.acquired, False, source="transfer")
    new.prem, new.folded, new.wash, new.wash_total, new.broker_wash = prem, folded, w, w, bw
    new.orig_cost = -oc + w
    new.hp, new.broker_hp, new.needs_review = lot.hp, lot.broker_hp, lot.needs_review
    new.absorbed, new.clock_suspended = lot.absorbed, lot.clock_suspended
    new.actions = list(lot.actions)
    family = new.families = (("S", i.symbol, 1),)
    replacements = st.wash.family_lots.get(("S", o.symbol, 1))
    if not new.absorbed and replacements and any(x is lot for x in replacements):
        target = st.wash.family_lots[family[0]]
        target.append(new)
        target.sort(key=lambda x: x.acquired or date.min)  # replacements in date order
    new.note(p.day, "transfer in", n, new.orig_cost,
             detail=f"{i.type or o.type or '?'} from {o.account}, basis, dates and "
                    "wash-sale adjustments carried")
    st.stock_lots.append(new)
    return new
