"""The pre-trade calculator's answer as a typed one-row table (shown field by field in
the terminal)."""

from __future__ import annotations

from journal.views.table import Kind, Table, col, table

PUT_COLUMNS = (
    col("premium", "Premium per share", Kind.PRICE),
    col("strike", "Strike", Kind.PRICE),
    col("dte", "Days to expiry", Kind.COUNT),
    col("contracts", "Contracts", Kind.COUNT),
    col("price", "Underlying price", Kind.PRICE),
    col("annualized_roi_pct", "Annualized %", Kind.PERCENT),
    col("annualized_roi_net_pct", "Annualized % after commission", Kind.PERCENT),
    col("premium_gross", "Premium", Kind.MONEY),
    col("commission", "Commission", Kind.MONEY),
    col("premium_net", "Net premium", Kind.MONEY),
    col("cash_required", "Cash required", Kind.MONEY),
    col("otm_pct", "% OTM", Kind.PERCENT),
    col("breakeven", "Breakeven", Kind.PRICE),
    col("breakeven_net", "Breakeven after commission", Kind.PRICE),
    col("checks", "Checks", Kind.TEXT),
    col("grade", "Grade", Kind.TEXT),
    col("verdict", "Verdict", Kind.TEXT),
    col("reasons", "Reasons", Kind.TEXT),
    col("ledger_open_puts", "Puts open (ledger)", Kind.COUNT),
    col("ledger_warnings", "Warnings (ledger)", Kind.TEXT),
)

CALL_COLUMNS = (
    col("premium", "Premium per share", Kind.PRICE),
    col("strike", "Strike", Kind.PRICE),
    col("dte", "Days to expiry", Kind.COUNT),
    col("contracts", "Contracts", Kind.COUNT),
    col("price", "Share price", Kind.PRICE),
    col("annualized_roi_pct", "Annualized %", Kind.PERCENT),
    col("premium_gross", "Premium", Kind.MONEY),
    col("commission", "Commission", Kind.MONEY),
    col("premium_net", "Net premium", Kind.MONEY),
    col("shares_needed", "Shares needed", Kind.QUANTITY),
    col("shares_held", "Shares held", Kind.QUANTITY),
    col("tax_basis_per_share", "Tax basis per share", Kind.PRICE),
    col("economic_basis_per_share", "Economic basis per share", Kind.PRICE),
    col("if_called_proceeds", "Proceeds if called", Kind.MONEY),
    col("if_called_tax_gain", "Tax gain if called", Kind.MONEY),
    col("if_called_economic_gain", "Economic gain if called", Kind.MONEY),
    col("if_called_term", "Term if called", Kind.TEXT),
    col("qcc", "Covered call class", Kind.TEXT),
    col("ledger_warnings", "Warnings (ledger)", Kind.TEXT),
)


def put(row: dict) -> Table:
    return table(PUT_COLUMNS, [row])


def call(row: dict) -> Table:
    return table(CALL_COLUMNS, [row])
