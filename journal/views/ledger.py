"""Views of the ledger itself: the executions as IB reported them, and the accounts with
the span their statements cover."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from journal.views.table import Kind, Table, col, extra, table

TRADE_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("trade_date", "Date", Kind.DATE),
    extra("date_time", "Date/time", Kind.DATETIME),
    col("symbol", "Symbol", Kind.TEXT),
    extra("underlying", "Underlying", Kind.TEXT),
    extra("asset", "Asset", Kind.TEXT),
    extra("put_call", "P/C", Kind.TEXT),
    extra("strike", "Strike", Kind.PRICE),
    extra("expiry", "Expiry", Kind.DATE),
    col("buy_sell", "B/S", Kind.TEXT),
    col("open_close", "O/C", Kind.TEXT),
    col("quantity", "Qty", Kind.QUANTITY),
    col("price", "Price", Kind.PRICE),
    extra("proceeds", "Proceeds", Kind.MONEY),
    extra("commission", "Commission", Kind.MONEY),
    col("net_cash", "Net cash", Kind.MONEY),
    col("currency", "Ccy", Kind.TEXT),
    col("notes", "Notes", Kind.TEXT),
    extra("type", "Type", Kind.TEXT),
    extra("status", "Status", Kind.TEXT),
    col("transaction_id", "Transaction", Kind.ID),
)


def trades(records: Iterable, *, symbol: str | None = None) -> Table:
    """``journal trades``: one row per execution (``readmodel.TradeRecord``)."""
    want = symbol.upper() if symbol else None
    rows = []
    for r in records:
        if want and want not in (r.underlying.upper(), (r.symbol or "").upper()):
            continue
        rows.append({c.key: getattr(r, c.key) for c in TRADE_COLUMNS})
    return table(TRADE_COLUMNS, rows)


ACCOUNT_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("alias", "Alias", Kind.TEXT),
    col("base_currency", "Base", Kind.TEXT),
    col("executions", "Executions", Kind.COUNT),
    col("first_trade", "First trade", Kind.DATE),
    col("last_trade", "Last trade", Kind.DATE),
    extra("option_events", "Option events", Kind.COUNT),
    extra("cash_transactions", "Cash rows", Kind.COUNT),
    extra("imports", "Imports", Kind.COUNT),
    col("statements_from", "Statements from", Kind.DATE),
    col("statements_to", "Statements to", Kind.DATE),
    col("gaps", "Gaps (no statement)", Kind.TEXT),
)


def gap_text(periods: Sequence[tuple]) -> str | None:
    from journal import coverage

    return "; ".join(f"{a}..{b}" for a, b in coverage.gaps(periods)) or None


def account_rows(overviews: Iterable) -> list[dict]:
    return [{
        "account": a.account, "alias": a.alias, "base_currency": a.base_currency,
        "executions": a.executions, "first_trade": a.first_trade,
        "last_trade": a.last_trade, "option_events": a.option_events,
        "cash_transactions": a.cash_transactions, "imports": a.imports,
        **_span(a.periods)} for a in overviews]


def _span(periods: Sequence[tuple]) -> dict:
    """The first and last day the statements cover, and the gaps between them."""
    from journal import coverage

    spans = coverage.merge(periods)
    return {"statements_from": spans[0][0] if spans else None,
            "statements_to": spans[-1][1] if spans else None, "gaps": gap_text(periods)}


def accounts(overviews: Iterable) -> Table:
    """``journal accounts`` (``readmodel_accounts.AccountOverview`` records)."""
    return table(ACCOUNT_COLUMNS, account_rows(overviews))


COVERAGE_KEYS = ("account", "statements_from", "statements_to", "gaps")


def coverage(periods: Iterable[tuple[str, Sequence[tuple]]]) -> Table:
    """The statements' span and gaps per account (workbook and report): ``periods`` is
    (account, its statements' (from, to) periods) per account."""
    cols = [c for c in ACCOUNT_COLUMNS if c.key in COVERAGE_KEYS]
    return table(cols, ({"account": account, **_span(p)} for account, p in periods))
