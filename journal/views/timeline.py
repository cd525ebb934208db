"""A wheel cycle as a story in date order: puts sold, rolls (with the result of each
roll), expiries, the assignment and the lot it made, covered calls, the shares called
away or sold. The figures are the rules' (positions, lots, realized events) and the
results are :func:`journal.views.results.cycle_positions`' own, so the timeline and
``journal cycles show`` cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from journal.views.table import Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.rules.types import RuleResult

TIMELINE_COLUMNS = (
    col("date", "Date", Kind.DATE),
    col("event", "Event", Kind.TEXT),
    col("description", "What", Kind.TEXT),
    col("quantity", "Qty", Kind.QUANTITY),
    col("amount", "Premium / basis / proceeds", Kind.MONEY),
    col("result", "Result", Kind.MONEY),
    col("chain", "Roll chain", Kind.COUNT),
    extra("account", "Account", Kind.ID),
    col("transaction_id", "Transaction", Kind.ID),
    col("lot_id", "Lot", Kind.ID),
)

_OPEN_WORDS = {("P", True): "sold put", ("C", True): "sold call",
               ("P", False): "bought put", ("C", False): "bought call"}
_CLOSE_WORDS = {"bought_to_close": "bought back", "sold_to_close": "sold",
                "expired": "expired", "exercised": "exercised",
                "cash_settled": "cash settled"}


def _close_word(p, rolled: bool) -> str:
    if p.outcome == "assigned":
        return "called away" if p.put_call == "C" and p.contracts < 0 else "assigned"
    if rolled:
        return "rolled"
    return _CLOSE_WORDS.get(p.outcome or "", (p.outcome or "").replace("_", " "))


def _rolled(p, chain_positions: list) -> bool:
    """Closed early and followed in its roll chain by a position opened that day or
    later."""
    if p.outcome not in ("bought_to_close", "sold_to_close") or p.closed is None:
        return False
    return any(q is not p and q.opened >= p.closed and q.opened >= p.opened
               for q in chain_positions)


_SALE_WORDS = {"assigned_call_shares": "shares called away", "cash_merger": "cash merger",
               "merger_boot": "merger cash (boot)", "worthless": "worthless",
               "cash_in_lieu": "cash in lieu"}
_LOT_WORDS = {"put_assignment": "shares assigned", "purchase": "shares bought",
              "call_exercise": "shares from a call", "merger": "shares (later merged)",
              "transfer": "shares transferred in", "spinoff": "shares from a spinoff"}


def _lot_events(x) -> list[tuple]:
    """A lot's acquisition, in the shares and ticker of that day, and each corporate action
    that changed it after (a split, a merger), so later rows read in post-action units."""
    first = x.actions[0] if x.actions else None
    shares = first.shares_before if first is not None and first.shares_before else x.quantity
    symbol = first.old_symbol if first is not None and first.old_symbol else x.symbol
    out = [(x.acquired, 2, {
        "date": x.acquired, "event": _LOT_WORDS.get(x.source, x.source),
        "description": symbol, "quantity": shares, "amount": x.tax_basis, "result": None,
        "chain": None, "account": x.account, "transaction_id": None, "lot_id": x.lot_id})]
    for a in x.actions:
        if a.kind == "transfer in" or a.shares_before == 0:
            continue
        what = " ".join(filter(None, (
            a.ratio, f"{a.old_symbol} → {a.new_symbol}" if a.old_symbol and a.new_symbol
            and a.old_symbol != a.new_symbol else None))) or None
        out.append((a.day, 2, {
            "date": a.day, "event": a.kind, "description": what,
            "quantity": a.shares_after - a.shares_before, "amount": a.basis_after,
            "result": None, "chain": None, "account": x.account, "transaction_id": None,
            "lot_id": x.lot_id}))
    return out


def timeline(result: RuleResult, cycle) -> Table:
    """The events of one cycle (a ``WheelCycle``), oldest first."""
    from journal.views.results import cycle_positions

    rows_by_key = {(r["open_transaction_id"], r["close_transaction_id"], r["description"],
                    r["opened"]): r for r in cycle_positions(result, cycle).rows}
    mine = [p for p in result.option_positions
            if p.cycle_id == cycle.cycle_id and p.account == cycle.account]
    by_chain: dict[int, list] = {}
    events = []
    for p in mine:
        row = rows_by_key.get((p.open_transaction_id, p.close_transaction_id, p.description,
                               p.opened), {})
        chain = row.get("chain")
        if chain is not None:
            by_chain.setdefault(chain, []).append(p)
    for p in mine:
        row = rows_by_key.get((p.open_transaction_id, p.close_transaction_id, p.description,
                               p.opened), {})
        chain = row.get("chain")
        short = p.contracts < 0
        events.append((p.opened, 1, {
            "date": p.opened, "event": _OPEN_WORDS.get((p.put_call, short), "opened"),
            "description": p.description, "quantity": p.contracts, "amount": p.premium_net,
            "result": None, "chain": chain, "account": p.account,
            "transaction_id": p.open_transaction_id, "lot_id": None}))
        if p.closed is None:
            continue
        rolled = _rolled(p, by_chain.get(chain, []) if chain is not None else [])
        events.append((p.closed, 0, {
            "date": p.closed, "event": _close_word(p, rolled), "description": p.description,
            "quantity": -p.contracts,
            "amount": -p.close_cost if p.close_cost else None,
            "result": row.get("result"), "chain": chain, "account": p.account,
            "transaction_id": p.close_transaction_id, "lot_id": None}))
    lot_ids = []
    for x in result.lots:
        if x.cycle_id != cycle.cycle_id or x.account != cycle.account or x.quantity <= 0:
            continue
        lot_ids.append(x.lot_id)
        events += _lot_events(x)
    for e in result.realized:
        if not e.lot_id or e.account != cycle.account or not any(
                e.lot_id == i or e.lot_id.startswith(i + ".") for i in lot_ids):
            continue
        word = _SALE_WORDS.get(e.kind, "shares sold")
        events.append((e.date_sold, 3, {
            "date": e.date_sold, "event": word, "description": e.description,
            "quantity": -e.quantity, "amount": e.proceeds, "result": e.gain, "chain": None,
            "account": e.account, "transaction_id": e.closing_transaction_id,
            "lot_id": e.lot_id}))
    events.sort(key=lambda t: (t[0], t[1], str(t[2]["description"])))
    return table(TIMELINE_COLUMNS, [r for _d, _o, r in events], title="Timeline")


def cycle_row(by_cycle: Table, cycle_id: str) -> Table:
    """The cycle's line of the review (premium, result, days, annualized return)."""
    return by_cycle.with_rows([r for r in by_cycle.rows if r.get("cycle_id") == cycle_id])


def cycles_of(by_cycle: Table, underlying: str) -> Table:
    """The review's cycles of one underlying."""
    want = underlying.upper()
    return by_cycle.with_rows([r for r in by_cycle.rows
                               if str(r.get("underlying") or "").upper() == want])
