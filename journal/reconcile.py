"""Reconciliation of our realized gains with IB's ``fifoPnlRealized``.

Pure: for every closing execution of the year, our gain (the sum of the realized events
the rules layer tied to that execution) is compared with IB's figure, and any difference
is explained by reason codes, each carrying an amount:

- ``ASSIGNMENT_PREMIUM``: the premium of an assigned/exercised option lives in the stock
  leg for us (put → basis, call → proceeds; tax_rules.md §1, §2.1), IB may show it on the
  option leg or leave it out of the stock leg;
- ``WASH_SALE``: a loss we disallowed (code W) that IB's P/L still counts;
- ``WASH_SALE_BASIS``: a disallowed loss carried into the basis of the lot sold;
- ``LOT_METHOD``: IB relieved a different basis (other lots matched);
- ``COMMISSION``: commissions/fees treated differently;
- ``SECTION_1256_MTM``: the part of a §1256 result already taken at a year-end mark;
- ``CURRENCY``: IB reports P/L in the trade currency;
- ``EXPIRY_INFERRED``: an expiry the rules inferred without an IB closing row.

Lines born of corporate actions (tax_rules.md §10) compare with the action row's own
figure (IB's ``fifoPnlRealized`` on the CorporateAction row; cash in lieu is IB's own
``FracShare`` trade row, compared like any trade). IB's figure counts in the year of the
statement that carries it (the row's report date), ours in our tax year, so each year
ties out to IB's statements of that year; the known differences:

- ``REPORT_YEAR``: IB reports the row in another year's statement than our tax date (a
  merger dated December 31 and reported in January);
- ``WORTHLESS_DATE``: IB books a delisting's loss on the delisting date, we on December 31
  of the year it became worthless (§165(g)): the date and term always, the year when the
  user says so;
- ``MERGER_BOOT``: IB realizes a merger's whole cash, we recognize min(cash, gain) (§356),
  and the shares received carry the difference in their basis (§358);
- ``SPINOFF_BASIS``: IB's cost of spun-off shares against the allocation (§358(b)-(c));
- ``TRANSFER_BASIS``: IB's cost of shares transferred in (0 or market value) against the
  user's basis file or IB's own lot records;
- ``WASH_SALE_ID_CHANGE``: a wash sale across a CUSIP/ISIN change, which IB does not see
  (it keys washes by CUSIP).

Where a line's Form 8949 codes (B, E) come from the same difference, the code's cause is
tried first, so both name it alike; each line also lists its codes and their causes
(``form8949``), the term (T) included, which has no amount to reconcile.

A difference is explained when a set of candidate amounts (smallest set first) adds up
to it within a cent; otherwise it is listed as ``UNEXPLAINED``. Nothing is forced to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations

from journal.rules.types import RealizedEvent, RuleResult

TOLERANCE = Decimal("0.01")
ZERO = Decimal(0)
MAX_SUBSET = 4

REASONS = {
    "ASSIGNMENT_PREMIUM": "option premium folded into the stock leg on assignment/exercise",
    "WASH_SALE": "wash-sale loss disallowed by us, counted by IB",
    "WASH_SALE_BASIS": "disallowed loss carried into the basis of the lot sold",
    "LOT_METHOD": "IB relieved a different basis (different lots matched)",
    "COMMISSION": "commission/fees treated differently",
    "SECTION_1256_MTM": "§1256 gain/loss already taken at a year-end mark",
    "CURRENCY": "IB's P/L is in the trade currency",
    "EXPIRY_INFERRED": "expiry inferred by the rules; no IB closing row",
    "WASH_SALE_TACKING": "holding period tacked from a wash sale IB does not apply (term)",
    "QCC_SUSPENSION": "holding period suspended by an in-the-money covered call (term)",
    "QCC_ITM_LOSS": "loss on an in-the-money covered call is long-term, §1092(f) (term)",
    "STRADDLE_REVIEW": "term under straddle review, reported short-term (term)",
    "NO_IB_ROW": "realized by us, no IB closing row found",
    "NOT_REALIZED_BY_US": "IB realized P/L on a row we did not treat as a disposal",
    "OPENING_AT_IB": "IB books this row as opening; we realized a result on it",
    "UNEXPLAINED": "difference not explained",
    "REPORT_YEAR": "IB reports this row in another year's statement (report date) than our "
                   "tax date; the amount is the part booked in the other year",
    "WORTHLESS_DATE": "IB books a delisting's loss on its date, we on Dec 31 of the year "
                      "the shares became worthless, §165(g) (date, term; year if set)",
    "MERGER_BOOT": "merger cash: IB realizes all of it, we recognize min(cash, gain), §356;"
                   " the shares received carry the difference in their basis, §358",
    "SPINOFF_BASIS": "IB's cost of spun-off shares vs the basis allocation, §358(b)-(c)",
    "TRANSFER_BASIS": "IB's cost of shares transferred in (0 or market value) vs your "
                      "basis file or IB's lot records",
    "WASH_SALE_ID_CHANGE": "wash sale across a CUSIP/ISIN change: IB keys washes by CUSIP "
                           "and does not apply it",
}

def _lot_cause(lot) -> str | None:
    """Why IB's basis of a lot may differ from ours, where an action on it says: a spinoff
    split its basis (parent or child), a merger's cash went into it, it came by transfer."""
    kinds = {a.kind for a in lot.actions}
    if "spinoff" in kinds:
        return "SPINOFF_BASIS"
    if any(a.kind == "stock merger" and a.cash for a in lot.actions):
        return "MERGER_BOOT"  # shares for shares only carry the basis unchanged
    if lot.source == "transfer" or "transfer in" in kinds:
        return "TRANSFER_BASIS"
    return None

# lot actions that keep the security (and so IB's wash-sale identity is lost only by name)
_SAME_SECURITY = ("ISIN/ticker change", "tender")


@dataclass(frozen=True)
class ClosingExecution:
    """What reconciliation needs of one IB execution (read by the CLI from the ledger)."""

    account: str
    transaction_id: str
    trade_date: date
    description: str
    asset_category: str
    underlying: str
    quantity: Decimal
    fifo_pnl: Decimal | None
    commission: Decimal = ZERO
    cost: Decimal | None = None  # IB's basis relieved (negative for a long sold)
    notes: str = ""
    open_close: str = ""
    put_call: str | None = None
    currency: str | None = None
    fx_rate_to_base: Decimal | None = None
    date_time: datetime | None = None
    action: str | None = None  # vocab.ActionKind of a CorporateAction row, None for trades
    report_date: date | None = None  # a CorporateAction row's: the statement carrying it

    @property
    def ib_year(self) -> int:
        """The year of the statement that carries IB's figure."""
        return (self.report_date or self.trade_date).year

    @property
    def note_codes(self) -> set:
        return {c.strip() for c in (self.notes or "").split(";") if c.strip()}

    @property
    def is_closing(self) -> bool:
        return "C" in (self.open_close or "").upper().split(";") or bool(self.fifo_pnl)


@dataclass(frozen=True)
class ReconLine:
    account: str
    transaction_id: str | None
    trade_date: date
    description: str
    ib_pnl: Decimal | None
    ours: Decimal
    difference: Decimal  # ours − IB
    reasons: tuple = ()  # ((code, amount), ...)
    unexplained: Decimal = ZERO
    status: str = "match"  # match | explained | unexplained | no_ib_figure
    form8949: str = ""  # the line's Form 8949 codes and causes, e.g. "BT: B WASH_SALE_BASIS
    #                     -1000.00; T WASH_SALE_TACKING"

    @property
    def explained(self) -> Decimal:
        # An unexplained line's reason only names what kind of gap it is (an action's line
        # may have explained part of it: a year shift).
        if self.status == "unexplained":
            return self.difference - self.unexplained
        return sum((a for _, a in self.reasons), ZERO)

    @property
    def reason_text(self) -> str:
        return "; ".join(f"{c} {format(a, 'f')}" for c, a in self.reasons)


@dataclass(frozen=True)
class Reconciliation:
    year: int
    lines: tuple
    ib_total: Decimal
    our_total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.our_total - self.ib_total

    @property
    def explained_total(self) -> Decimal:
        return sum((ln.explained for ln in self.lines), ZERO)

    @property
    def unexplained_total(self) -> Decimal:
        return sum((ln.unexplained for ln in self.lines), ZERO)

    @property
    def unexplained(self) -> tuple:
        return tuple(ln for ln in self.lines if ln.status == "unexplained")

    def by_reason(self) -> dict:
        out: dict = {}
        for ln in self.lines:
            for code, amt in ln.reasons:
                out[code] = out.get(code, ZERO) + amt
            if ln.status == "unexplained":
                out["UNEXPLAINED"] = out.get("UNEXPLAINED", ZERO) + ln.unexplained
        return out


RECON_COLUMNS = ["account", "trade_date", "transaction_id", "description", "ib_pnl", "ours",
                 "difference", "explained", "unexplained", "status", "reasons", "form8949"]


def recon_dicts(rec: Reconciliation) -> list[dict]:
    return [{"account": ln.account, "trade_date": ln.trade_date,
             "transaction_id": ln.transaction_id, "description": ln.description,
             "ib_pnl": ln.ib_pnl, "ours": ln.ours, "difference": ln.difference,
             "explained": ln.explained, "unexplained": ln.unexplained, "status": ln.status,
             "reasons": ln.reason_text, "form8949": ln.form8949} for ln in rec.lines]


def _explain(diff: Decimal, candidates: Sequence[tuple]) -> tuple | None:
    """Smallest set of candidate (code, amount) pairs adding up to ``diff``; ties go to
    the earlier (more specific) candidates."""
    cands = [c for c in candidates if c[1] != 0]
    for n in range(1, min(MAX_SUBSET, len(cands)) + 1):
        for combo in combinations(cands, n):
            if abs(sum((a for _, a in combo), ZERO) - diff) <= TOLERANCE:
                return combo
    return None


def _premium_share(pos, shares: Decimal) -> Decimal:
    per = abs(pos.contracts) * (pos.multiplier or Decimal(100))
    if not per:
        return ZERO
    return pos.premium_net * min(shares, per) / per


@dataclass(frozen=True)
class _Index:
    """What the candidate reasons look up in the rules' result."""

    lots: dict
    positions: list
    pos_by_close: dict
    pos_by_stock_leg: dict
    mtm: list
    washes_by_lot: dict
    washes_by_loss: dict

    @classmethod
    def of(cls, result: RuleResult) -> _Index:
        positions = list(result.option_positions)
        pos_by_stock_leg: dict = {}
        for p in positions:
            if p.stock_leg_transaction_id:
                pos_by_stock_leg.setdefault((p.account, p.stock_leg_transaction_id),
                                            []).append(p)
        washes_by_lot: dict = {}
        washes_by_loss: dict = {}
        for w in result.wash_sales:
            lot_id = getattr(w, "replacement_lot_id", None)
            if lot_id:
                washes_by_lot.setdefault(lot_id, []).append(w)
            if getattr(w, "loss_transaction_id", None):
                washes_by_loss.setdefault((w.account, w.loss_transaction_id), []).append(w)
        return cls({lot.lot_id: lot for lot in result.lots}, positions,
                   {(p.account, p.close_transaction_id): p for p in positions
                    if p.close_transaction_id},
                   pos_by_stock_leg, [ev for ev in result.realized if ev.kind == "mark_to_market"],
                   washes_by_lot, washes_by_loss)

    def cause(self, code: str, evs: Iterable[RealizedEvent]) -> str:
        """The cause of a difference, named by the corporate action or transfer behind it
        where there is one (a lot spun off, transferred in or merged with cash; a wash
        sale across an ID change), else as the rules named it."""
        for ev in evs:
            lot = self.lots.get(ev.lot_id) if ev.lot_id else None
            if code == "LOT_METHOD" and lot is not None:
                named = _lot_cause(lot)
                if named:
                    return named
            if code == "WASH_SALE_BASIS" and lot is not None and any(
                    self._across_id_change(w) for w in self.washes_by_lot.get(lot.lot_id, ())):
                return "WASH_SALE_ID_CHANGE"
            if code == "WASH_SALE" and any(
                    self._across_id_change(w)
                    for w in self.washes_by_loss.get((ev.account, ev.closing_transaction_id),
                                                     ())):
                return "WASH_SALE_ID_CHANGE"
        return code

    def _across_id_change(self, w) -> bool:
        """Whether the replacement shares were bought under another name than the one
        the loss was sold under: the same security for us, another CUSIP for IB."""
        lot = self.lots.get(w.replacement_lot_id or "")
        if lot is None:
            return False
        bought_as = next((a.old_symbol for a in lot.actions
                          if a.kind in _SAME_SECURITY and a.old_symbol), lot.symbol)
        return bought_as != w.symbol


def reconcile(result: RuleResult, executions: Iterable[ClosingExecution], year: int, *,
              accounts: Sequence[str] = ()) -> Reconciliation:
    wanted = set(accounts)

    def included(acct):
        return not wanted or acct in wanted

    by_tx: dict = {}
    for ev in result.realized:
        if ev.closing_transaction_id and included(ev.account):
            by_tx.setdefault((ev.account, ev.closing_transaction_id), []).append(ev)
    executions = list(executions)
    trades = [e for e in executions if not e.action]
    # An execution IB calls opening but we realized something on is compared too.
    execs = [e for e in trades
             if included(e.account) and e.trade_date and e.trade_date.year == year
             and (e.is_closing or (e.account, e.transaction_id) in by_tx)]
    exec_keys = {(e.account, e.transaction_id) for e in executions}
    index = _Index.of(result)
    paired = []
    ib_total = our_total = ZERO
    for e in execs:
        evs = by_tx.get((e.account, e.transaction_id), [])
        our_total += sum((ev.gain for ev in evs if ev.tax_year == year), ZERO)
        if e.fifo_pnl is not None:
            ib_total += e.fifo_pnl
        paired.append(_execution_line(e, evs, index))
    for e in executions:
        if not e.action or not included(e.account):
            continue
        evs = by_tx.get((e.account, e.transaction_id), [])
        if not ((e.ib_year == year and e.fifo_pnl) or any(ev.tax_year == year for ev in evs)):
            continue  # neither IB nor we realized anything on the row this year
        line = _action_line(e, evs, year, index)
        our_total += line.ours
        ib_total += line.ib_pnl or ZERO
        paired.append(line)
    lines = sorted(paired, key=lambda x: (x.account, x.trade_date, x.transaction_id or ""))
    # Our results with no IB closing row in the statements (year-end marks, inferred expiries).
    for ev in result.realized:
        if ev.tax_year != year or not included(ev.account):
            continue
        if ev.closing_transaction_id and (ev.account, ev.closing_transaction_id) in exec_keys:
            continue
        our_total += ev.gain
        if ev.kind == "mark_to_market":
            reasons, status, unexpl = (("SECTION_1256_MTM", ev.gain),), "explained", ZERO
        elif ev.kind == "expired":
            reasons, status, unexpl = (("EXPIRY_INFERRED", ev.gain),), "explained", ZERO
        else:
            reasons, status, unexpl = (("NO_IB_ROW", ev.gain),), "unexplained", ev.gain
        lines.append(ReconLine(ev.account, ev.closing_transaction_id, ev.date_sold,
                               ev.description, None, ev.gain, ev.gain, reasons, unexpl, status,
                               _form8949_text([ev], index)))
    return Reconciliation(year, tuple(lines), ib_total, our_total)


def _action_line(e: ClosingExecution, evs: list[RealizedEvent], year: int,
                 index: _Index) -> ReconLine:
    """A CorporateAction row against the lines the rules booked from it. IB's figure
    counts in the year of its statement, ours in our tax year: what one side has in
    another year is that year's (REPORT_YEAR, or WORTHLESS_DATE for a delisting); the
    rest is explained like a trade's difference, plus the merger boot."""
    mine = [ev for ev in evs if ev.tax_year == year]
    ours = sum((ev.gain for ev in mine), ZERO)
    codes = _form8949_text(mine, index)
    # our date where we book something this year, else IB's (its statement's, when the
    # row is dated in another year)
    ib_day = e.trade_date if e.trade_date.year == year else e.report_date or e.trade_date
    day = min((ev.date_sold for ev in mine), default=ib_day)
    if e.fifo_pnl is None:  # IB gives no figure for the row (an Activity CSV may not)
        return ReconLine(e.account, e.transaction_id, day, e.description, None, ours, ZERO,
                         status="no_ib_figure", form8949=codes)
    ib = e.fifo_pnl if e.ib_year == year else None
    diff = ours - (ib or ZERO)
    shift = "WORTHLESS_DATE" if e.action == "worthless" else "REPORT_YEAR"
    moved = (e.fifo_pnl if ib is None else ZERO) - sum((ev.gain for ev in evs
                                                        if ev.tax_year != year), ZERO)
    reasons: list[tuple] = [(shift, moved)] if moved else []
    if e.action == "worthless" and mine and not moved and day != e.trade_date:
        reasons.append((shift, Decimal("0.00")))  # same amount, another date (and term)
    rest = diff - moved
    unexplained = ZERO
    if abs(rest) > TOLERANCE:
        causes = _code_causes(evs, index)
        boot = [ev for ev in evs if ev.kind == "merger_boot"]
        cands = causes + ([("MERGER_BOOT", -sum((ev.cost for ev in boot), ZERO))]
                          if boot else []) + _candidates(e, evs, index)
        combo = _explain(rest, cands)
        if combo is None:
            unexplained = rest
            if not evs:  # e.g. an action on shares the ledger never held (flagged)
                reasons.append(("NOT_REALIZED_BY_US", rest))
        else:
            reasons.extend(combo)
            unexplained = rest - sum((a for _, a in combo), ZERO)
    status = ("unexplained" if abs(unexplained) > TOLERANCE
              else "explained" if reasons else "match")
    return ReconLine(e.account, e.transaction_id, day, e.description, ib, ours, diff,
                     tuple(reasons), unexplained, status, codes)


def _execution_line(e: ClosingExecution, evs: list[RealizedEvent], index: _Index) -> ReconLine:
    ours = sum((ev.gain for ev in evs), ZERO)
    codes = _form8949_text(evs, index)
    if e.fifo_pnl is None:
        return ReconLine(e.account, e.transaction_id, e.trade_date, e.description, None, ours,
                         ZERO, status="no_ib_figure", form8949=codes)
    diff = ours - e.fifo_pnl
    if abs(diff) <= TOLERANCE:
        return ReconLine(e.account, e.transaction_id, e.trade_date, e.description,
                         e.fifo_pnl, ours, diff, form8949=codes)
    causes = _code_causes(evs, index)
    if causes and abs(sum((a for _, a in causes), ZERO) - diff) <= TOLERANCE:
        combo: tuple | None = tuple(causes)  # the codes account for the whole difference
    else:
        combo = _explain(diff, causes + _candidates(e, evs, index))
    if combo is None:
        if not evs:
            code = "NOT_REALIZED_BY_US"
        elif not e.is_closing:
            code = "OPENING_AT_IB"
        else:
            code = "UNEXPLAINED"
        reasons = ((code, diff),) if code != "UNEXPLAINED" else ()
        return ReconLine(e.account, e.transaction_id, e.trade_date, e.description,
                         e.fifo_pnl, ours, diff, reasons, diff, "unexplained", codes)
    residual = diff - sum((a for _, a in combo), ZERO)
    return ReconLine(e.account, e.transaction_id, e.trade_date, e.description, e.fifo_pnl,
                     ours, diff, tuple(combo), residual, "explained", codes)


def _code_causes(evs: list[RealizedEvent], index: _Index) -> list[tuple]:
    """The causes behind the lines' B, E and W codes, with their amounts: a difference in
    basis or proceeds from the 1099-B is a difference from IB's P/L too."""
    by_cause: dict[str, Decimal] = {}
    for ev in evs:
        for a in ev.adjustments:
            if a.code in ("B", "E", "W") and a.amount:
                cause = index.cause(a.cause, (ev,))
                by_cause[cause] = by_cause.get(cause, ZERO) + a.amount
    return list(by_cause.items())


def _form8949_text(evs: Iterable[RealizedEvent], index: _Index) -> str:
    """``BT: B WASH_SALE_BASIS -1000.00; T WASH_SALE_TACKING``: the lines' codes and why."""
    amounts: dict[tuple[str, str], Decimal] = {}
    for ev in evs:
        for a in ev.adjustments:
            key = (a.code, index.cause(a.cause, (ev,)))
            amounts[key] = amounts.get(key, ZERO) + a.amount
    if not amounts:
        return ""
    codes = "".join(sorted({code for code, _ in amounts}))
    parts = [f"{code} {cause}" + (f" {format(amount, 'f')}" if code != "T" else "")
             for (code, cause), amount in sorted(amounts.items())]
    return f"{codes}: " + "; ".join(parts)


def _candidates(  # noqa: C901 - one branch per way IB can book a close (see below)
        e: ClosingExecution, evs: list[RealizedEvent], index: _Index) -> list[tuple]:
    lots, positions, mtm = index.lots, index.positions, index.mtm
    pos_by_close, pos_by_stock_leg = index.pos_by_close, index.pos_by_stock_leg
    washes_by_lot = index.washes_by_lot
    out: list[tuple] = []
    ib = e.fifo_pnl or ZERO
    notes = e.note_codes
    # Option leg of an assignment/exercise: we realize nothing there, the premium is in
    # the stock leg; whatever IB realized on it is that premium.
    pos = pos_by_close.get((e.account, e.transaction_id))
    if e.asset_category in ("OPT", "FOP") and not evs and (
            notes & {"A", "Ex"} or (pos is not None and pos.outcome in ("assigned", "exercised"))):
        out.append(("ASSIGNMENT_PREMIUM", -ib))
    if e.asset_category == "STK":
        # Shares called away: the call premium joins our proceeds.
        called = pos_by_stock_leg.get((e.account, e.transaction_id), [])
        if not called and "A" in notes:
            called = [p for p in positions if p.account == e.account
                      and p.underlying == e.underlying and p.put_call == "C"
                      and p.outcome == "assigned" and p.closed == e.trade_date]
        shares = abs(e.quantity)
        if called:
            out.append(("ASSIGNMENT_PREMIUM", sum((_premium_share(p, shares) for p in called),
                                                  ZERO)))
        # Shares from an assigned put: its premium lowered our basis.
        put_prem = ZERO
        for ev in evs:
            lot = lots.get(ev.lot_id) if ev.lot_id else None
            if lot is None or lot.source != "put_assignment":
                continue
            for p in positions:
                if (p.account == lot.account and p.underlying == lot.symbol
                        and p.put_call == "P" and p.outcome == "assigned"
                        and p.closed == lot.acquired):
                    put_prem += _premium_share(p, ev.quantity)
        if put_prem:
            out.append(("ASSIGNMENT_PREMIUM", put_prem))
    # A loss disallowed earlier and carried into the basis of the lot (share or option)
    # this execution closes: IB's FIFO P/L does not carry it (or not across accounts).
    basis_carry = ZERO
    for ev in evs:
        carried = sum((w.disallowed * min(Decimal(1), ev.quantity / w.quantity)
                       for w in washes_by_lot.get(ev.lot_id, ())
                       if w.basis_carried and w.quantity), ZERO) if ev.lot_id else ZERO
        lot = lots.get(ev.lot_id) if ev.lot_id else None
        if not carried and lot is not None and lot.wash_sale_adjustment and lot.quantity:
            carried = lot.wash_sale_adjustment * ev.quantity / lot.quantity
        basis_carry += carried
    if basis_carry:
        out.append(("WASH_SALE_BASIS", -basis_carry))
    wash = sum((ev.adjustment_amount for ev in evs if "W" in ev.adjustment_code), ZERO)
    if wash:
        out.append(("WASH_SALE", wash))
    prior = ZERO
    for ev in evs:
        if ev.section_1256:
            prior += sum((m.gain for m in mtm if m.account == ev.account
                          and m.description == ev.description and m.date_sold < ev.date_sold),
                         ZERO)
    if prior:
        out.append(("SECTION_1256_MTM", -prior))
    if e.asset_category == "STK" and e.cost is not None and evs:
        ib_basis = -e.cost if e.quantity < 0 else e.cost
        our_basis = sum((ev.cost for ev in evs), ZERO)
        if ib_basis != our_basis:
            out.append(("LOT_METHOD", ib_basis - our_basis))
    if e.commission:
        out.append(("COMMISSION", e.commission))
        out.append(("COMMISSION", -e.commission))
    if e.currency and e.currency != "USD" and e.fx_rate_to_base not in (None, Decimal(1)):
        out.append(("CURRENCY", ib * (e.fx_rate_to_base - 1)))
    return [(index.cause(code, evs), amount) for code, amount in out]
