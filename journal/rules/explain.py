"""Why a lot's basis is what it is: the tax basis and the economic basis, line by line.

Users are split between the two views (anchors_features.md §4 E/F) and other tools get
them wrong, so ``journal lots --explain LOT`` shows which premiums moved which number:

* tax basis = what the shares cost (strike × shares and costs, as the stock row paid)
  − the net premium of the put whose assignment bought them (§1) + wash-sale adjustments;
* economic basis = tax basis − this lot's share (by shares) of every other premium of the
  same wheel cycle: puts that expired, were bought back or rolled, covered calls (also
  those called away) and premium still open.

A pure function over a :class:`RuleResult`; the lines always add up to the rules' numbers
(a residual line says so if a wash-sale adjustment inside the cycle moved them).
"""

from __future__ import annotations

from decimal import Decimal

from journal.rules.types import LotAction, RuleResult, StockLot

ZERO = Decimal(0)
COLUMNS = ["basis", "step", "description", "date", "amount", "total"]


def _stock_tx(lot: StockLot) -> str | None:
    """The transaction of the stock row that opened the lot (splits keep their parent's)."""
    head = lot.lot_id.split(".", 1)[0]
    _account, _, tx = head.partition(":")
    return tx.rstrip(":?") or None


def _bought(lot: StockLot) -> Decimal:
    """The lot's shares as bought: a split since then says so on its own line."""
    return (abs(lot.actions[0].shares_before) if lot.actions else ZERO) or abs(lot.quantity)


def _option_share(p) -> Decimal:
    """What an option position of the cycle contributed besides the assigned put."""
    if p.outcome is None:  # still open: the premium received so far
        return p.premium_net
    if p.outcome == "assigned" and p.put_call == "C" and p.contracts < 0:
        return p.premium_net  # called away: it went into the share proceeds
    return p.premium_net - p.close_cost  # expired, bought back, sold: its result


def explain_lot(result: RuleResult, lot_id: str) -> list[dict]:
    lot = next((x for x in result.lots if x.lot_id == lot_id), None)
    if lot is None:
        raise KeyError(lot_id)
    rows: list[dict] = []

    def line(basis, step, description, day, amount, total):
        rows.append({"basis": basis, "step": step, "description": description, "date": day,
                     "amount": amount, "total": total})

    stock_tx = _stock_tx(lot)
    put = next((p for p in result.option_positions
                if p.stock_leg_transaction_id == stock_tx and p.outcome == "assigned"
                and p.put_call == "P" and stock_tx), None)
    shares = abs(lot.quantity)
    bought = _bought(lot)
    named = (lot.actions[0].old_symbol if lot.actions and lot.actions[0].shares_before
             else None) or lot.symbol
    put_premium = ZERO
    if put is not None:
        # a lot split off by a wash sale carries its share of the put, by shares; the
        # shares the assignment delivered are its stock leg's (an OCC-adjusted contract
        # delivers other than contracts × 100)
        delivered = sum((_bought(x) for x in result.lots if _stock_tx(x) == stock_tx),
                        ZERO) or abs(put.contracts) * put.multiplier
        put_premium = put.premium_net * bought / delivered if delivered else put.premium_net
        put_premium = min(put_premium, put.premium_net)
    moved = sum((a.basis_after - a.basis_before for a in lot.actions), ZERO)
    cost = lot.tax_basis + put_premium - lot.wash_sale_adjustment - moved
    line("tax", "cost", f"{bought.normalize():f} {named} "
         f"({lot.source.replace('_', ' ')}, costs included)", lot.acquired, cost, cost)
    total = cost
    if put is not None:
        total -= put_premium
        line("tax", "assigned put", f"premium of {put.description} (tax_rules.md §1)",
             put.opened, -put_premium, total)
    if lot.wash_sale_adjustment:
        total += lot.wash_sale_adjustment
        line("tax", "wash sale", "disallowed loss added to the basis (§3.5)", None,
             lot.wash_sale_adjustment, total)
    for a in lot.actions:
        change = a.basis_after - a.basis_before
        total += change
        line("tax", a.kind, describe_action(a), a.day, change, total)
    line("tax", "tax basis", "", None, None, lot.tax_basis)

    total = lot.tax_basis
    if lot.cycle_id:
        cycle_lots = [x for x in result.lots if x.cycle_id == lot.cycle_id and x.quantity > 0]
        cycle_shares = sum((abs(x.quantity) for x in cycle_lots), ZERO) or shares
        for p in result.option_positions:
            if p.cycle_id != lot.cycle_id or p is put or (
                    p.outcome == "assigned" and p.put_call == "P"):
                continue
            amount = _option_share(p) * shares / cycle_shares
            if not amount:
                continue
            total -= amount
            what = p.outcome.replace("_", " ") if p.outcome else "open"
            if p.outcome == "assigned" and p.put_call == "C":
                what = "called away"
            line("economic", what, f"{p.description} ({fmt_contracts(p.contracts)})",
                 p.closed or p.opened, -amount, total)
    if total != lot.economic_basis:
        line("economic", "other", "wash-sale adjustments inside the cycle", None,
             lot.economic_basis - total, lot.economic_basis)
    line("economic", "economic basis", "", None, None, lot.economic_basis)
    return rows


def _sh(q: Decimal) -> str:
    return f"{abs(q).normalize():,f}"


def describe_action(a: LotAction) -> str:
    """One corporate action or transfer as the explanation says it (amounts in cents; the
    line's amount and running total carry them exact)."""
    shares = f"{_sh(a.shares_before)} → {_sh(a.shares_after)} sh"
    basis = ("basis unchanged" if a.basis_after == a.basis_before
             else f"basis {a.basis_before:,.2f} → {a.basis_after:,.2f}")
    if a.kind == "transfer in":
        return f"transferred in ({a.detail}): {_sh(a.shares_after)} sh, basis " \
               f"{a.basis_after:,.2f}"
    if a.kind == "stock merger":
        cash = f" + {a.cash:,.2f} cash" if a.cash else ""
        return (f"stock merger {a.old_symbol} → {a.new_symbol} {a.ratio}: {shares}{cash}, "
                f"basis {a.basis_after:,.2f} carried")
    if a.kind == "taxable merger":
        return (f"taxable stock merger {a.old_symbol} → {a.new_symbol}: {_sh(a.shares_after)} "
                f"sh received at their market value {a.basis_after:,.2f}, a new lot and "
                "holding period (§1001, §1012)")
    if a.kind == "spinoff":
        if not a.shares_before:
            return f"spinoff from {a.old_symbol}: {_sh(a.shares_after)} {a.new_symbol} " \
                   f"received, {a.detail}"
        return f"spinoff of {a.new_symbol}: {a.detail}, {basis}"
    if a.kind == "ISIN/ticker change":
        rename = f"{a.old_symbol} → {a.new_symbol}" if a.old_symbol != a.new_symbol \
            else a.old_symbol
        return f"ISIN/ticker change {rename}: lot carried over, {basis}"
    return f"{a.ratio} {a.kind}: {shares}, {basis}"


def fmt_contracts(contracts: Decimal) -> str:
    n = abs(contracts).normalize()
    return f"{'short' if contracts < 0 else 'long'} {n:f}"
