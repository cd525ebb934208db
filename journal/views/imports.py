"""What an import did, file by file: ``journal import``'s table and the dashboard's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from journal.views.table import Kind, Table, col, extra, table

IMPORT_COLUMNS = (
    # an id: a file name is never broken over lines (the other columns wrap first)
    col("file", "File", Kind.ID),
    extra("format", "Format", Kind.TEXT),
    col("status", "Status", Kind.TEXT),
    col("new_executions", "New executions", Kind.COUNT),
    col("duplicates_skipped", "Duplicates skipped", Kind.COUNT),
    col("cancels", "Cancels", Kind.COUNT),
    col("option_events", "Option events", Kind.COUNT),
    col("cash_transactions", "Cash rows", Kind.COUNT),
    col("accounts", "Accounts", Kind.LIST),
    extra("corrections", "Corrections", Kind.COUNT),
    extra("open_positions", "Open positions", Kind.COUNT),
    extra("closed_lots", "Closed lots", Kind.COUNT),
    extra("corporate_actions", "Corporate actions", Kind.COUNT),
    extra("transfers", "Transfers", Kind.COUNT),
    extra("skipped", "Skipped by level", Kind.TEXT),  # detail: --format json
    col("warnings", "Warnings", Kind.COUNT),
    extra("batch", "Import", Kind.COUNT),
    extra("error", "Error", Kind.TEXT),  # every face prints the errors in full below
)


def summary(fr, name: str | None = None) -> dict:
    """One file's result (``journal.imports.FileResult``) as a row; ``name`` replaces
    the path the file was read from (an upload's temporary copy)."""
    r = fr.result
    row: dict = {"file": name or fr.path, "format": fr.format, "status": fr.status,
                 "error": fr.error, "warnings": None, "warning_texts": []}
    if r is not None:
        skipped = {k[len("skipped_"):]: v for k, v in sorted(r.counts.items())
                   if k.startswith("skipped_")}
        row.update({
            "accounts": list(r.accounts), "new_executions": r.new_executions,
            "duplicates_skipped": r.duplicate_executions, "cancels": r.cancels,
            "corrections": r.corrections, "option_events": r.new_option_events,
            "cash_transactions": r.new_cash_transactions,
            "open_positions": r.new_open_positions, "closed_lots": r.new_closed_lots,
            "corporate_actions": r.new_corporate_actions, "transfers": r.new_transfers,
            "skipped": ", ".join(f"{k}: {v}" for k, v in skipped.items()) or None,
            "warnings": len(r.warnings), "warning_texts": list(r.warnings),
            "batch": r.batch_id})
    if fr.status == "unchanged":
        row.update({"new_executions": 0, "batch": fr.previous_batch,
                    "warning_texts": [f"already imported (import {fr.previous_batch})"]})
    return row


def results(rows: Sequence[Mapping]) -> Table:
    return table(IMPORT_COLUMNS, rows, title="Import")
