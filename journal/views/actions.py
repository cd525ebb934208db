"""``journal actions``: the corporate actions in the ledger, one row per action (its legs
together), with what the rules do with it and the user's facts about it."""

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
