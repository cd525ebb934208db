"""The trail behind a tax figure: a Form 8949 line, the lot it sold and why that lot's
basis is what it is, and the statement rows (file, line, IB transaction id) each step
comes from. fava's habit (every number links to the entries behind it) for the wheel.

The explanation itself is :func:`journal.rules.explain.explain_lot`'s; this module only
names, for each of its lines, the executions the line is made of.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from journal.views.table import Kind, Table, col, extra, table
from journal.views.tax import ROW_COLUMNS

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult
    from journal.tax import TaxReport

SOURCES = extra("sources", "Statement rows", Kind.LIST)


def _position_txs(p) -> list[str]:
    return [t for t in (p.open_transaction_id, p.close_transaction_id,
                        p.stock_leg_transaction_id) if t]


def explanation(result: RuleResult, lot_id: str, data: LedgerData | None = None) -> Table:
    """``journal lots --explain LOT`` with, on each line, the transactions it is made of
    (``sources``: ``[[account, transaction id], …]``); a corporate action's or transfer's
    line names IB's rows of it when ``data`` is given. KeyError for an unknown lot."""
    from journal.rules.explain import _stock_tx, explain_lot, fmt_contracts
    from journal.views.results import EXPLAIN_COLUMNS

    lines = explain_lot(result, lot_id)
    lot = next(x for x in result.lots if x.lot_id == lot_id)
    account, stock_tx = lot.account, _stock_tx(lot)
    if stock_tx and lot.source == "spinoff":  # child shares: the parent's purchase
        stock_tx = stock_tx.split(">", 1)[0]
    elif stock_tx and lot.source == "transfer":  # bought elsewhere: IB's transfer row
        stock_tx = stock_tx.rsplit(":", 1)[0]
    put = next((p for p in result.option_positions
                if stock_tx and p.stock_leg_transaction_id == stock_tx
                and p.outcome == "assigned" and p.put_call == "P"), None)
    # the economic lines name a position of the cycle by its description and date
    by_text: dict[tuple, list] = {}
    for p in result.option_positions:
        if lot.cycle_id and p.cycle_id == lot.cycle_id and p.account == lot.account:
            key = (f"{p.description} ({fmt_contracts(p.contracts)})", p.closed or p.opened)
            by_text.setdefault(key, []).append(p)
    washes = [w for w in result.wash_sales
              if w.replacement_lot_id and lot_id.startswith(w.replacement_lot_id)]
    acted = _action_sources(lot, data) if data is not None else {}
    rows = []
    for line in lines:
        pairs: list[tuple[str, str]] = []
        step = line["step"]
        if line["basis"] == "tax" and (step, line["date"]) in acted:
            pairs += acted[(step, line["date"])]
        elif step == "cost" and stock_tx:
            pairs.append((account, stock_tx))
        elif step == "assigned put" and put is not None:
            pairs += [(put.account, t) for t in _position_txs(put)]
        elif step == "wash sale":
            for w in washes:
                pairs += [(w.account, t) for t in (w.loss_transaction_id,) if t]
                pairs += [(w.replacement_account, t)
                          for t in (w.replacement_transaction_id,) if t]
        elif line["basis"] == "economic":
            for p in by_text.get((line["description"], line["date"]), ()):
                pairs += [(p.account, t) for t in _position_txs(p)]
        rows.append({**line, "sources": _unique(pairs)})
    return table((*EXPLAIN_COLUMNS, SOURCES), rows, title=f"Lot {lot_id}")


def _action_sources(lot, data: LedgerData) -> dict[tuple, list[tuple[str, str]]]:
    """(kind, day) of each action line of the lot -> IB's rows behind it: the action's
    legs in the lot's account on that day naming one of the lot's symbols (before or
    after), or the transfer of the lot's shares."""
    from journal.corpact import base_symbol

    out: dict[tuple, list[tuple[str, str]]] = {}
    for a in lot.actions:
        names = {n for n in (lot.symbol, a.old_symbol, a.new_symbol) if n}
        if a.kind == "transfer in":
            keys = [t.key for t in data.transfers if t.account == lot.account
                    and t.day == a.day and t.symbol in names]
        else:
            keys = [r.key for r in data.corporate_actions if r.account == lot.account
                    and r.day == a.day and base_symbol(r.symbol) in names]
        out.setdefault((a.kind, a.day), []).extend((lot.account, k) for k in keys)
    return out


def _unique(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    seen: list[list[str]] = []
    for a, t in pairs:
        if [a, t] not in seen:
            seen.append([a, t])
    return seen


LOT_COLUMNS = (
    col("lot_id", "Lot", Kind.ID),
    col("symbol", "Symbol", Kind.TEXT),
    col("quantity", "Shares", Kind.QUANTITY),
    col("remaining", "Open", Kind.QUANTITY),
    col("acquired", "Acquired", Kind.DATE),
    col("holding_period_acquired", "Held from", Kind.DATE),
    col("tax_basis", "Tax basis", Kind.MONEY),
    col("economic_basis", "Economic basis", Kind.MONEY),
    col("wash_sale_adjustment", "Wash sale adj.", Kind.MONEY),
    col("source", "Source", Kind.TEXT),
    col("cycle_id", "Cycle", Kind.ID),
)


def lot(result: RuleResult, lot_id: str) -> Table:
    """One lot as a one-row table (KeyError when unknown)."""
    x = next((x for x in result.lots if x.lot_id == lot_id), None)
    if x is None:
        raise KeyError(lot_id)
    return table(LOT_COLUMNS, [{c.key: getattr(x, c.key) for c in LOT_COLUMNS}])


REALIZED_COLUMNS = (
    col("description", "Description", Kind.TEXT),
    col("date_acquired", "Acquired", Kind.DATE),
    col("date_sold", "Sold", Kind.DATE),
    col("proceeds", "Proceeds", Kind.MONEY),
    col("cost", "Cost", Kind.MONEY),
    col("adjustment_code", "Code", Kind.TEXT),
    col("adjustment_amount", "Adjustment", Kind.MONEY),
    col("gain", "Gain", Kind.MONEY),
    col("term", "Term", Kind.TEXT),
    col("tax_year", "Tax year", Kind.ID),
    extra("account", "Account", Kind.ID),
    extra("closing_transaction_id", "Closing transaction", Kind.ID),
    extra("lot_id", "Lot", Kind.ID),
)


def realized_of(result: RuleResult, *, lot_id: str | None = None,
                account: str | None = None, transaction_id: str | None = None) -> Table:
    """The realized events (8949/6781 lines before rounding) of a lot (and the lots split
    from it), or closed by one transaction."""
    rows = []
    for e in result.realized:
        if lot_id is not None:
            if not e.lot_id or not (e.lot_id == lot_id or e.lot_id.startswith(lot_id + ".")):
                continue
        elif e.account != account or e.closing_transaction_id != transaction_id:
            continue
        rows.append({c.key: getattr(e, c.key) for c in REALIZED_COLUMNS})
    return table(REALIZED_COLUMNS, rows, title="Realized (Form 8949 / 6781 lines)")


SOURCE_COLUMNS = (
    col("file_name", "Statement file", Kind.TEXT),
    col("source_line", "Line", Kind.COUNT),
    col("transaction_id", "IB transaction", Kind.ID),
    col("account", "Account", Kind.ID),
    col("trade_date", "Date", Kind.DATE),
    extra("date_time", "Date/time", Kind.DATETIME),
    col("description", "Description", Kind.TEXT),
    col("quantity", "Qty", Kind.QUANTITY),
    col("price", "Price", Kind.PRICE),
    col("net_cash", "Net cash", Kind.MONEY),
    col("currency", "Ccy", Kind.TEXT),
    col("open_close", "O/C", Kind.TEXT),
    col("notes", "Notes", Kind.TEXT),
    col("status", "Status", Kind.TEXT),
    extra("file_format", "Format", Kind.TEXT),
    extra("imported_at", "Imported", Kind.DATETIME),
    extra("batch_id", "Import", Kind.COUNT),
)


def sources(records: Sequence) -> Table:
    """The statement rows (``provenance.SourceRecord``) as a table, oldest first."""
    return table(SOURCE_COLUMNS, ({c.key: getattr(r, c.key) for c in SOURCE_COLUMNS}
                                  for r in records), title="Statement rows")


def raw_attributes(record) -> list[tuple[str, str]]:
    """Every attribute IB wrote on the row, in the statement's order."""
    if not record.raw:
        return []
    try:
        doc = json.loads(record.raw)
    except ValueError:
        return [("raw", record.raw)]
    if not isinstance(doc, dict):
        return [("raw", record.raw)]
    return [(str(k), "" if v is None else str(v)) for k, v in doc.items()]


POSITION_COLUMNS = (
    col("description", "Position", Kind.TEXT),
    col("contracts", "Contracts", Kind.QUANTITY),
    col("opened", "Opened", Kind.DATE),
    col("closed", "Closed", Kind.DATE),
    col("outcome", "Outcome", Kind.TEXT),
    col("premium_net", "Premium", Kind.MONEY),
    col("close_cost", "Close cost", Kind.MONEY),
    col("cycle_id", "Cycle", Kind.ID),
    extra("account", "Account", Kind.ID),
    col("open_transaction_id", "Opening transaction", Kind.ID),
    col("close_transaction_id", "Closing transaction", Kind.ID),
    extra("stock_leg_transaction_id", "Stock leg", Kind.ID),
)


def positions_of(result: RuleResult, account: str, transaction_id: str) -> Table:
    """The option positions an execution opened, closed or delivered shares for."""
    rows = [{c.key: (getattr(p, c.key) or "open").replace("_", " ")
             if c.key == "outcome" else getattr(p, c.key) for c in POSITION_COLUMNS}
            for p in result.option_positions
            if p.account == account and transaction_id in _position_txs(p)]
    return table(POSITION_COLUMNS, rows, title="Option positions")


def lots_of(result: RuleResult, account: str, transaction_id: str) -> list[str]:
    """Ids of the lots an execution opened (its own lot and those split from it)."""
    head = f"{account}:{transaction_id}"
    return [x.lot_id for x in result.lots
            if x.lot_id == head or x.lot_id.startswith(head + ".")]


#### the tax year ###########################################################################

# the tax view's Form 8949 columns (one definition), leading to the lot behind each line
F8949_COLUMNS = (*(c for c in ROW_COLUMNS if c.key not in ("form", "part", "wash_sale")),
                 extra("lot_id", "Lot", Kind.ID))


def form8949(report: TaxReport) -> list[tuple[str, Table]]:
    """Form 8949 by part and box: [(title, table)], each row with the lot it sold."""
    parts = []
    for part, rows in (("I", report.part1), ("II", report.part2)):
        term = "short-term" if part == "I" else "long-term"
        for box in sorted({r.box for r in rows}):
            mine = [{"box": r.box, "line": r.line, "description": r.description,
                     "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
                     "proceeds": r.proceeds, "cost_basis": r.cost, "code": r.code,
                     "adjustment": r.adjustment, "gain_loss": r.gain, "term": r.term,
                     "account": r.account, "kind": r.kind,
                     "transaction_id": r.transaction_id, "lot_id": r.lot_id}
                    for r in rows if r.box == box]
            parts.append((f"Part {part} ({term}), box {box}", table(F8949_COLUMNS, mine)))
    return parts


SCHEDULE_D_COLUMNS = (
    col("line", "Line", Kind.TEXT),
    col("text", "What", Kind.TEXT),
    col("proceeds", "(d) Proceeds", Kind.MONEY),
    col("cost", "(e) Cost", Kind.MONEY),
    col("adjustment", "(g) Adjustments", Kind.MONEY),
    col("gain", "(h) Gain or loss", Kind.MONEY),
)


def schedule_d(report: TaxReport) -> Table:
    return table(SCHEDULE_D_COLUMNS, report.schedule_d(), title="Schedule D")


F6781_COLUMNS = (
    col("description", "Description", Kind.TEXT),
    col("date_acquired", "Acquired", Kind.DATE),
    col("date_closed", "Closed", Kind.DATE),
    col("kind", "Kind", Kind.TEXT),
    col("proceeds", "Proceeds", Kind.MONEY),
    col("cost", "Cost", Kind.MONEY),
    col("gain", "Gain", Kind.MONEY),
    extra("account", "Account", Kind.ID),
    extra("transaction_id", "Transaction", Kind.ID),
)

SECTION_1256_COLUMNS = (
    col("gain", "Net §1256 gain", Kind.MONEY),
    col("short_term_40", "Short-term (40 %)", Kind.MONEY),
    col("long_term_60", "Long-term (60 %)", Kind.MONEY),
)


def form6781(report: TaxReport) -> tuple[Table, Table]:
    """Form 6781 Part I rows and the 60/40 split."""
    rows = table(F6781_COLUMNS, ({c.key: getattr(r, c.key) for c in F6781_COLUMNS}
                                 for r in report.form6781), title="Form 6781 Part I")
    s = report.section_1256
    split = table(SECTION_1256_COLUMNS, [{"gain": s.gain, "short_term_40": s.short_term_40,
                                          "long_term_60": s.long_term_60}], title="60/40")
    return rows, split


WASH_COLUMNS = (
    col("description", "Loss sale", Kind.TEXT),
    col("date_sold", "Sold", Kind.DATE),
    col("disallowed", "Disallowed", Kind.MONEY),
    col("code", "Code", Kind.TEXT),
    col("replacements", "Replacement", Kind.TEXT),
    extra("account", "Account", Kind.ID),
    extra("transaction_id", "Transaction", Kind.ID),
    extra("lot_id", "Lot", Kind.ID),
)


def wash_sales(report: TaxReport) -> Table:
    """The year's 8949 lines with a wash-sale adjustment and what replaced them."""
    rows = []
    for r in report.wash_sales:
        reps = report.replacements(r)
        rows.append({
            "description": r.description, "date_sold": r.date_sold, "disallowed": r.wash_sale,
            "code": r.code, "account": r.account, "transaction_id": r.transaction_id,
            "lot_id": r.lot_id,
            "replacements": "; ".join(
                f"{w.quantity.normalize():f} on {w.replacement_date} "
                f"({w.replacement_account}{'' if w.basis_carried else ', IRA: loss lost'})"
                for w in reps)})
    return table(WASH_COLUMNS, rows, title="Wash sales")
