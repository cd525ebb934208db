"""``journal actions`` and ``journal transfers``: the corporate actions in the ledger, one
row per action (its legs together), and the transfers, with what the rules do with them
and the user's facts about them."""

from __future__ import annotations

from collections.abc import Iterable

from journal.views.table import Kind, Table, col, extra, table

APPLIED = {"forward_split", "reverse_split", "stock_dividend", "issue_change",
           "cash_merger", "stock_merger", "spinoff", "worthless"}

ACTION_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("date", "Date", Kind.DATE),
    col("group", "Action", Kind.ID),
    col("kind", "Kind", Kind.TEXT),
    col("type", "Type", Kind.TEXT),
    col("legs", "Legs", Kind.TEXT),
    col("applied", "Applied", Kind.TEXT),
    col("facts", "Your facts", Kind.TEXT),
    extra("description", "Description", Kind.TEXT),
)


def actions(groups: Iterable, overrides: Iterable) -> Table:
    """Rows from :func:`journal.rules.actions.groups` and the user's overrides."""
    facts: dict[tuple, list[str]] = {}
    for o in overrides:
        facts.setdefault((o.account, o.group), []).append(f"{o.field}={o.value}")
    rows = []
    for g in groups:
        rows.append({
            "account": g.account, "date": g.day, "group": g.key, "kind": g.kind.value,
            "type": g.rows[0].type or "", "description": g.description,
            "legs": ", ".join(f"{r.symbol} {r.quantity.normalize():+f}" for r in g.rows),
            "applied": "yes" if g.kind.value in APPLIED else "flagged",
            "facts": "; ".join(facts.get((g.account, g.key), [])),
        })
    rows.sort(key=lambda r: (r["date"], r["account"], r["group"]))
    return table(ACTION_COLUMNS, rows)


TRANSFER_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("date", "Date", Kind.DATE),
    col("transfer", "Transfer", Kind.ID),
    col("type", "Type", Kind.TEXT),
    col("direction", "In/out", Kind.TEXT),
    col("symbol", "Symbol", Kind.TEXT),
    col("quantity", "Quantity", Kind.QUANTITY),
    col("peer", "Other account", Kind.TEXT),
    col("facts", "Your facts", Kind.TEXT),
    extra("description", "Description", Kind.TEXT),
)


def transfers(rows: Iterable, overrides: Iterable) -> Table:
    """One row per transfer of the read model, with the user's facts about it."""
    facts: dict[tuple, list[str]] = {}
    for o in overrides:
        facts.setdefault((o.account, o.group), []).append(f"{o.field}={o.value}")
    out = [{
        "account": t.account, "date": t.day, "transfer": t.key, "type": t.type or "",
        "direction": t.direction or ("IN" if t.quantity > 0 else "OUT"),
        "symbol": t.symbol, "quantity": t.quantity, "peer": t.peer_account or "",
        "facts": "; ".join(facts.get((t.account, t.key), [])),
        "description": t.description or "",
    } for t in rows]
    out.sort(key=lambda r: (r["date"], r["account"], r["transfer"]))
    return table(TRANSFER_COLUMNS, out)
