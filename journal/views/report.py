"""What the HTML report and the workbook's Overview show: the headline figures, the open
positions at the end of the statements, and aggregates small enough to read (the monthly
and yearly series, the top underlyings, the most recent cycles and puts), each with the
collateral basis its annualized figure uses.

Everything is measured at the ledger's end (the last day a statement covers), never at
the wall clock, so the same ledger always gives the same page.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from journal.views.filters import ALL, Accounts
from journal.views.table import Column, Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.views.source import Source

ZERO = Decimal(0)
TOP_UNDERLYINGS = 15
RECENT_CYCLES = 15
RECENT_PUTS = 15
RECENT_MONTHS = 24

# Which capital each annualized figure divides by: the three differ on purpose, and a
# reader comparing KO's 1.08 % per underlying with its 12.72 % per cycle needs to know why.
BASIS = {
    "summary": "Annualized % per month or year: the period's realized option gains ÷ the "
               "collateral of the puts open in that period (strike × 100 × contracts, "
               "per day) × 365. Shares held are not counted.",
    "underlying": "Annualized % per underlying: everything realized on it ÷ (put "
                  "collateral-days + the tax basis of its shares for every day they were "
                  "held) × 365, over the whole history. Long-held shares pull it down.",
    "cycle": "Annualized % per cycle: the cycle's realized gain ÷ its own put "
             "collateral-days and share basis-days × 365. A short cycle can show a high "
             "rate.",
    "put": "Annualized % per put sold: premium ÷ collateral × 365 ÷ days to expiry, at "
           "the sale (what the trade offered, not what it made).",
}


@dataclass(frozen=True)
class Review:
    """The tables the report and the workbook share, computed once."""

    as_of: date
    monthly: Table
    yearly: Table
    underlying: Table
    cycle: Table
    grades: Table
    status: dict[str, Table]
    headline: Table
    coverage: Table
    positions: Table  # the open positions at ``as_of`` (the workbook's sheet)


def build(src: Source, settings, accounts: Accounts = ALL, *,
          let_go: bool = False, result_after: bool = False) -> Review:
    """Every table of the review, at the ledger's end. ``let_go``: the caller keeps
    nothing of ``src`` but the tables, so the rules' flags are let go once the status
    has counted them, and, unless the caller reads ``src.result`` after
    (``result_after``), the whole result before the grades (each next table is built in
    the memory they held)."""
    from journal.views import market, positions
    from journal.views import review as views
    from journal.views import status as status_views
    from journal.views.source import RESULT_ROWS
    from journal.views.workbook import coverage

    data = src.data
    as_of = data.ledger_end or date.today()
    prices = market.user_prices(settings)
    marks = market.Marks(data, as_of, prices)
    parts = dict(status_views.status(data, src.result, as_of, marks=marks,
                                     accounts=accounts, periods=False))
    if let_go:
        src.let_go("flags")
    res = src.result
    # one pass over the ledger for the four tables below, not one each
    prep = views.prepare(data, res, accounts)
    monthly = views.summary(data, res, period="month", accounts=accounts, prepared=prep)
    yearly = views.summary(data, res, period="year", accounts=accounts, prepared=prep)
    underlying = views.by_underlying(data, res, accounts=accounts, prepared=prep)
    by_cycle = views.by_cycle(data, res, accounts=accounts, prepared=prep)
    del prep  # its facts and spans are the size of the ledger: not held through the rest
    # marks of its own: a listing's note names the days of the marks it used
    held = positions.positions(res, as_of, accounts=accounts,
                               marks=market.Marks(data, as_of, prices))
    cycle = cycles(by_cycle, res, accounts)
    del res
    if let_go:  # the grades read the ledger only
        if not result_after:
            src.let_go(*RESULT_ROWS)
        src.read_details()
    return Review(
        as_of=as_of, monthly=_noted(monthly, "summary"), yearly=_noted(yearly, "summary"),
        underlying=_noted(underlying, "underlying"), cycle=cycle,
        grades=_noted(views.grades(data, settings, accounts=accounts), "put"),
        status=parts, headline=headline(monthly, yearly, parts, as_of),
        coverage=coverage(data, accounts), positions=held)


def cached(engine, settings, accounts: Accounts = ALL, *,
           built: Callable[[Source], None] | None = None) -> tuple[list[str], Review]:
    """The ledger's account ids and :func:`build`, from the derived-state cache (a warm
    report reads these tables, not the ledger). ``built(src)`` is called with the source
    when the review is computed, once it is built (the workbook then uses that result's
    parts instead of decoding them again)."""
    from journal.views.source import files_of, undated, view

    def make(src: Source) -> Review:
        review = build(src, settings, accounts, let_go=True, result_after=built is not None)
        if built is not None:
            built(src)
        return review

    return view(engine, "report", make, params=(accounts, settings, undated(engine)),
                files=files_of(settings))


def _noted(t: Table, basis: str) -> Table:
    """The table with the basis of its annualized column as its (only) note."""
    return replace(t, notes=(BASIS[basis],) if t.rows else ())


HEADLINE_KEYS = ("premium_net_total", "realized_total", "premium_net_ytd", "realized_ytd",
                 "annualized_ytd", "win_rate_ytd", "capital_in_use", "open_puts",
                 "put_collateral", "open_calls", "open_lots", "flags", "statements_to")


def headline(monthly: Table, yearly: Table, status: dict[str, Table], as_of: date) -> Table:
    """One row: the figures a wheel trader looks at first, at ``as_of`` (the last day
    of both summaries, so the year's row is the year to date)."""
    last = monthly.rows[-1] if monthly.rows else {}
    ytd = next((r for r in yearly.rows if r.get("year") == as_of.year), {})
    options = status["open_options"].rows
    puts = [r for r in options if r.get("collateral") is not None]
    statements = [r["statements_to"] for r in status["statements"].rows
                  if r.get("statements_to")]
    year = as_of.year
    columns = (
        col("premium_net_total", "Net premium, all time", Kind.MONEY),
        col("realized_total", "Realized, all time", Kind.MONEY),
        col("premium_net_ytd", f"Net premium {year}", Kind.MONEY),
        col("realized_ytd", f"Realized {year}", Kind.MONEY),
        col("annualized_ytd", f"Annualized % {year} (on put collateral)", Kind.PERCENT),
        col("win_rate_ytd", f"Win rate {year}", Kind.PERCENT),
        col("capital_in_use", "Capital in use", Kind.MONEY),
        col("open_puts", "Open short puts", Kind.COUNT),
        col("put_collateral", "Their collateral", Kind.MONEY),
        col("open_calls", "Open short calls", Kind.COUNT),
        col("open_lots", "Open stock lots", Kind.COUNT),
        col("flags", "Flags to review", Kind.COUNT),
        col("statements_to", "Statements to", Kind.DATE),
    )
    row: dict[str, Any] = {
        "premium_net_total": last.get("cumulative_premium_net"),
        "realized_total": last.get("cumulative_realized_gain"),
        "premium_net_ytd": ytd.get("premium_net"), "realized_ytd": ytd.get("realized_gain"),
        "annualized_ytd": ytd.get("return_on_collateral_annualized"),
        "win_rate_ytd": ytd.get("win_rate"), "capital_in_use": ytd.get("capital_in_use"),
        "open_puts": len(puts),
        "put_collateral": sum((r["collateral"] for r in puts), ZERO) if puts else None,
        "open_calls": len(options) - len(puts), "open_lots": len(status["open_lots"].rows),
        "flags": sum(r["count"] for r in status["flags"].rows),
        "statements_to": max(statements) if statements else None,
    }
    return table(columns, [row], title=f"At {as_of.isoformat()}",
                 notes=(BASIS["summary"],))


def top(t: Table, key: str, n: int, *, what: str) -> Table:
    """The ``n`` rows with the largest ``key`` (absolute value: big losses count too), in
    the table's own order, and a note saying how many were left out."""
    if len(t.rows) <= n:
        return t
    ranked = sorted(range(len(t.rows)), key=lambda i: -abs(t.rows[i].get(key) or ZERO))
    keep = sorted(ranked[:n])
    note = f"The {n} {what} with the largest {t.column(key).title.lower()} of " \
           f"{len(t.rows):,}; the workbook (journal export --xlsx) has them all."
    return replace(t, rows=[t.rows[i] for i in keep], notes=(*t.notes, note))


def recent(t: Table, key: str, n: int, *, what: str) -> Table:
    """The last ``n`` rows by ``key`` (a date), newest first."""
    rows = sorted(t.rows, key=lambda r: r.get(key) or date.min, reverse=True)
    if len(rows) <= n:
        return replace(t, rows=rows)
    note = f"The {n} most recent {what} of {len(rows):,}; the workbook " \
           "(journal export --xlsx) has them all."
    return replace(t, rows=rows[:n], notes=(*t.notes, note))


def from_first_activity(t: Table) -> Table:
    """The period table from its first period with any premium, result or capital:
    leading empty periods squeeze a chart's history for nothing."""
    keys = [c.key for c in t.columns[1:] if c.kind in (Kind.MONEY, Kind.COUNT)]
    for i, r in enumerate(t.rows):
        if any(r.get(k) for k in keys):
            return replace(t, rows=list(t.rows)[i:])
    return replace(t, rows=[])


def last_months(t: Table, n: int = RECENT_MONTHS) -> Table:
    if len(t.rows) <= n:
        return t
    note = f"The last {n} of {len(t.rows)} months; the charts above and the workbook " \
           "show them all."
    return replace(t, rows=list(t.rows)[-n:], notes=(*t.notes, note))


CYCLE_EXTRA = (
    col("rolls", "Roll chains", Kind.COUNT),
    extra("roll_chains", "Roll chain transactions", Kind.TEXT),
)


def cycles(by_cycle: Table, result, accounts: Accounts = ALL) -> Table:
    """The review's cycles (days in stock, collateral-days, annualized) with their roll
    chains (a count, and the transactions as text)."""
    from journal.views.results import chain_text

    chains = {(c.account, c.cycle_id): c.roll_chains for c in accounts.rows(result.cycles)}
    rows = []
    for r in by_cycle.rows:
        ch = chains.get((r.get("account"), r.get("cycle_id")), ())
        rows.append({**r, "rolls": len(ch), "roll_chains": chain_text(ch)})
    return table((*by_cycle.columns, *CYCLE_EXTRA), rows, title=by_cycle.title,
                 notes=(BASIS["cycle"],) if rows else ())


OPTION_COLUMNS = (
    col("account", "Account", Kind.ID),
    col("underlying", "Underlying", Kind.TEXT),
    col("description", "Position", Kind.TEXT),
    extra("put_call", "P/C", Kind.TEXT),
    extra("strike", "Strike", Kind.PRICE),
    col("expiry", "Expiry", Kind.DATE),
    col("contracts", "Contracts", Kind.QUANTITY),
    col("opened", "Opened", Kind.DATE),
    col("closed", "Closed", Kind.DATE),
    col("outcome", "Outcome", Kind.TEXT),
    col("premium_net", "Premium", Kind.MONEY),
    col("close_cost", "Close cost", Kind.MONEY),
    col("result", "Result", Kind.MONEY),
    col("cycle_id", "Cycle", Kind.ID),
    extra("open_transaction_id", "Opening transaction", Kind.ID),
    extra("close_transaction_id", "Closing transaction", Kind.ID),
)


def option_positions(result, accounts: Accounts = ALL) -> tuple[Table, list[tuple]]:
    """Every option position the rules matched, open or closed, oldest first: the table's
    columns and notes, and each row's values in column order (the workbook writes 25k of
    them on the 46.5k ledger: a tuple each, not a dict)."""
    from journal.views.results import position_result

    rows = [(p.account, p.underlying, p.description, p.put_call, p.strike, p.expiry,
             p.contracts, p.opened, p.closed, (p.outcome or "open").replace("_", " "),
             p.premium_net, p.close_cost, position_result(p), p.cycle_id,
             p.open_transaction_id, p.close_transaction_id)
            for p in accounts.rows(result.option_positions)]
    rows.sort(key=_OPENED_ACCOUNT_POSITION)
    hint = "An assigned option's premium is in the shares' basis or proceeds (its result " \
           "is blank)."
    return table(OPTION_COLUMNS, (), notes=(hint,) if rows else ()), rows


_OPENED_ACCOUNT_POSITION = operator.itemgetter(7, 0, 2)  # OPTION_COLUMNS' indexes


def key_columns(t: Table) -> Table:
    """Only the key columns (the page shows those; the workbook has every one)."""
    return t.select(t.default_keys())


def as_columns(t: Table) -> list[tuple[Column, Any]]:
    """A one-row table as (column, value) pairs (the headline read down a page)."""
    row = t.rows[0] if t.rows else {}
    return [(c, row.get(c.key)) for c in t.columns]
