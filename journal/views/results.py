"""The rules' results as listings: stock lots (and why a lot's basis is what it is),
realized events (Form 8949 lines), wheel cycles with their roll chains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from journal.views.filters import ALL, Accounts
from journal.views.table import Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.rules.types import RuleResult

LOT_COLUMNS = (
    extra("account", "Account", Kind.ID),
    col("symbol", "Symbol", Kind.TEXT),
    col("quantity", "Shares", Kind.QUANTITY),
    col("remaining", "Open", Kind.QUANTITY),
    col("acquired", "Acquired", Kind.DATE),
    col("holding_period_acquired", "Held from", Kind.DATE),
    col("tax_basis", "Tax basis", Kind.MONEY),
    col("economic_basis", "Economic basis", Kind.MONEY),
    col("wash_sale_adjustment", "Wash sale adj.", Kind.MONEY),
    extra("source", "Source", Kind.TEXT),
    extra("open", "Still open", Kind.BOOL),
    extra("cycle_id", "Cycle", Kind.ID),
    col("lot_id", "Lot", Kind.ID),
)


def lots(result: RuleResult, *, accounts: Accounts = ALL, show_all: bool = False,
         symbol: str | None = None) -> Table:
    """``journal lots``: tax basis beside economic basis, holding period after tacking."""
    want = symbol.upper() if symbol else None
    rows = [{c.key: getattr(x, c.key) for c in LOT_COLUMNS}
            for x in accounts.rows(result.lots)
            if (show_all or x.open) and (want is None or x.symbol.upper() == want)]
    hint = "journal lots --explain LOT shows how a lot's basis is made up."
    return table(LOT_COLUMNS, rows, notes=(hint,) if rows else ())


EXPLAIN_COLUMNS = (
    col("basis", "Basis", Kind.TEXT),
    col("step", "Step", Kind.TEXT),
    col("description", "What", Kind.TEXT),
    col("date", "Date", Kind.DATE),
    col("amount", "Amount", Kind.MONEY),
    col("total", "Running total", Kind.MONEY),
)


def explain(result: RuleResult, lot_id: str) -> Table:
    """``journal lots --explain LOT``; KeyError when no lot has that id."""
    from journal.rules.explain import explain_lot

    return table(EXPLAIN_COLUMNS, explain_lot(result, lot_id))


def lot_candidates(result: RuleResult, text: str) -> list[str]:
    """Lot ids a mistyped ``--explain`` may have meant: the same transaction id under its
    account prefix (``U…:``), or a lot split from it."""
    bare = text.split(":", 1)[-1]
    return sorted(x.lot_id for x in result.lots
                  if x.lot_id.split(":", 1)[-1].split(".", 1)[0].rstrip(":?") == bare
                  or x.lot_id.startswith(text + "."))


REALIZED_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("description", "Description", Kind.TEXT),
    extra("quantity", "Qty", Kind.QUANTITY),
    col("date_acquired", "Acquired", Kind.DATE),
    col("date_sold", "Sold", Kind.DATE),
    col("proceeds", "Proceeds", Kind.MONEY),
    col("cost", "Cost", Kind.MONEY),
    col("adjustment_code", "Code", Kind.TEXT),
    col("adjustment_amount", "Adjustment", Kind.MONEY),
    col("gain", "Gain", Kind.MONEY),
    col("term", "Term", Kind.TEXT),
    extra("tax_year", "Tax year", Kind.ID),
    extra("kind", "Kind", Kind.TEXT),
    extra("section_1256", "§1256", Kind.BOOL),
    extra("ib_fifo_pnl", "IB FIFO P/L", Kind.MONEY),
    extra("closing_transaction_id", "Closing transaction", Kind.ID),
)


def realized(result: RuleResult, *, accounts: Accounts = ALL,
             year: int | None = None) -> Table:
    """``journal realized``: one Form 8949 (or 6781) line per realized event; amounts
    exact (JSON/CSV), cents on screen."""
    rows = [{c.key: getattr(e, c.key) for c in REALIZED_COLUMNS}
            for e in accounts.rows(result.realized) if year is None or e.tax_year == year]
    return table(REALIZED_COLUMNS, rows)


CYCLE_COLUMNS = (
    col("cycle_id", "Cycle", Kind.ID),
    extra("account", "Account", Kind.ID),
    col("underlying", "Underlying", Kind.TEXT),
    col("started", "Started", Kind.DATE),
    col("ended", "Ended", Kind.DATE),
    col("days", "Days", Kind.COUNT),
    col("premium_net", "Net premium", Kind.MONEY),
    col("realized", "Realized", Kind.MONEY),
    col("assigned", "Assigned", Kind.BOOL),
    col("rolls", "Roll chains", Kind.COUNT),
    extra("roll_chains", "Roll chain transactions", Kind.TEXT),
)


def chain_text(chains) -> str:
    return "; ".join(" > ".join(ch) for ch in chains)


def cycles(result: RuleResult, *, accounts: Accounts = ALL) -> Table:
    """``journal cycles``: the roll chains as a count (``journal cycles show ID`` lists
    them; CSV and JSON carry them in full)."""
    rows = []
    for c in accounts.rows(result.cycles):
        row = {k.key: getattr(c, k.key, None) for k in CYCLE_COLUMNS}
        row["rolls"] = len(c.roll_chains)
        row["roll_chains"] = chain_text(c.roll_chains)
        rows.append(row)
    notes = ("journal cycles show CYCLE lists a cycle's positions and roll chains.",) \
        if rows else ()
    return table(CYCLE_COLUMNS, rows, notes=notes)


CYCLE_POSITION_COLUMNS = (
    col("chain", "Roll chain", Kind.COUNT),
    col("description", "Position", Kind.TEXT),
    col("contracts", "Contracts", Kind.QUANTITY),
    col("opened", "Opened", Kind.DATE),
    col("closed", "Closed", Kind.DATE),
    col("outcome", "Outcome", Kind.TEXT),
    col("premium_net", "Premium", Kind.MONEY),
    col("close_cost", "Close cost", Kind.MONEY),
    col("result", "Result", Kind.MONEY),
    extra("open_transaction_id", "Opening transaction", Kind.ID),
    col("close_transaction_id", "Closing transaction", Kind.ID),
)


def position_result(p):
    """What an option position made once it ended (premium less the cost to close);
    None while open, and for an assignment, whose premium went into the shares' basis
    or proceeds."""
    if p.outcome is None or p.outcome == "assigned":
        return None
    return p.premium_net - p.close_cost


def find_cycle(result: RuleResult, cycle_id: str):
    """The cycle with this id, else None."""
    return next((c for c in result.cycles if c.cycle_id == cycle_id), None)


def cycle_positions(result: RuleResult, cycle) -> Table:
    """``journal cycles show ID``: the option positions of one cycle in order, each with
    the roll chain it belongs to (numbered as the cycle lists them)."""
    chain_of: dict[str, int] = {}
    for n, chain in enumerate(cycle.roll_chains, start=1):
        for tx in chain:
            chain_of[tx] = n
    rows = []
    for p in result.option_positions:
        if p.cycle_id != cycle.cycle_id or p.account != cycle.account:
            continue
        chain = chain_of.get(p.open_transaction_id or "") or chain_of.get(
            p.close_transaction_id or "")
        rows.append({
            "chain": chain, "description": p.description, "contracts": p.contracts,
            "opened": p.opened, "closed": p.closed,
            "outcome": (p.outcome or "open").replace("_", " "),
            "premium_net": p.premium_net, "close_cost": p.close_cost,
            "result": position_result(p),
            "open_transaction_id": p.open_transaction_id,
            "close_transaction_id": p.close_transaction_id,
        })
    rows.sort(key=lambda r: (r["opened"], r["description"]))
    title = (f"{cycle.cycle_id}: {cycle.underlying}, {cycle.started}"
             f"{' to ' + str(cycle.ended) if cycle.ended else ' (open)'}, "
             f"{len(cycle.roll_chains)} roll chain(s)")
    hint = ("An assigned option's premium is in the shares' basis or proceeds (its result "
            "is blank).")
    return table(CYCLE_POSITION_COLUMNS, rows, title=title, notes=(hint,) if rows else ())
