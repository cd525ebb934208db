"""The dashboard's first page: ``journal status`` (this month, the year to date, open
short options, open lots, what expires soon, flags, statements) and, beside it, the
all-time totals the yearly summary's running columns already carry."""

from __future__ import annotations

from journal.views.table import Kind, Table, col, table

ALL_TIME_COLUMNS = (
    col("period", "Period", Kind.TEXT),
    col("premium_net", "Net premium", Kind.MONEY),
    col("realized_gain", "Realized", Kind.MONEY),
    col("through", "Through", Kind.ID),
)


def all_time(yearly: Table) -> Table:
    """All time: the last year's running totals of the yearly summary (net premium and
    realized gain since the first trade)."""
    rows = []
    if yearly.rows:
        last = yearly.rows[-1]
        rows.append({"period": "All time", "premium_net": last.get("cumulative_premium_net"),
                     "realized_gain": last.get("cumulative_realized_gain"),
                     "through": last.get("year")})
    return table(ALL_TIME_COLUMNS, rows, title="All time")
