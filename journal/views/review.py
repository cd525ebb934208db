"""Review views: the weekly/monthly/yearly summary, results per underlying and per
wheel cycle, and the checklist grade of every put sold (:mod:`journal.review` and
:mod:`journal.grades` compute; this names and types the columns)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from journal.views.filters import ALL, Accounts
from journal.views.table import Kind, Table, col, extra, table

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.review import Prepared
    from journal.rules.types import RuleResult

PERIOD_TITLES = {"week": "Week", "month": "Month", "year": "Year"}

SUMMARY_COLUMNS = (
    col("puts_sold_contracts", "Puts sold", Kind.COUNT),
    col("calls_sold_contracts", "Calls sold", Kind.COUNT),
    extra("premium_gross", "Premium", Kind.MONEY),
    col("premium_net", "Net premium", Kind.MONEY),
    col("closed_early", "Closed early", Kind.COUNT),
    col("expired", "Expired", Kind.COUNT),
    col("assigned", "Assigned", Kind.COUNT),
    col("called_away", "Called away", Kind.COUNT),
    col("realized_gain", "Realized", Kind.MONEY),
    col("win_rate", "Win rate", Kind.PERCENT),
    extra("collateral_days", "Collateral-days", Kind.NUMBER),
    col("return_on_collateral_annualized", "Annualized %", Kind.PERCENT),
    col("capital_in_use", "Capital in use", Kind.MONEY),
    extra("cumulative_premium_net", "Cum. net premium", Kind.MONEY),
    extra("cumulative_realized_gain", "Cum. realized", Kind.MONEY),
)

UNDERLYING_COLUMNS = (
    col("underlying", "Underlying", Kind.TEXT),
    col("puts_sold_contracts", "Puts sold", Kind.COUNT),
    col("calls_sold_contracts", "Calls sold", Kind.COUNT),
    extra("premium_gross", "Premium", Kind.MONEY),
    col("premium_net", "Net premium", Kind.MONEY),
    extra("closed_puts", "Puts closed", Kind.COUNT),
    col("assigned", "Assigned", Kind.COUNT),
    col("assignment_rate", "Assignment rate", Kind.PERCENT),
    col("called_away", "Called away", Kind.COUNT),
    col("realized_gain", "Realized", Kind.MONEY),
    col("premium_captured_pct", "Premium kept", Kind.PERCENT),
    col("days_in_stock", "Days in stock", Kind.COUNT),
    extra("collateral_days", "Collateral-days", Kind.NUMBER),
    col("return_on_collateral_annualized", "Annualized %", Kind.PERCENT),
)

CYCLE_COLUMNS = (
    col("cycle_id", "Cycle", Kind.ID),
    extra("account", "Account", Kind.ID),
    extra("underlying", "Underlying", Kind.TEXT),
    col("started", "Started", Kind.DATE),
    col("ended", "Ended", Kind.DATE),
    col("days", "Days", Kind.COUNT),
    col("premium_net", "Net premium", Kind.MONEY),
    col("realized_gain", "Realized", Kind.MONEY),
    col("assigned", "Assigned", Kind.BOOL),
    col("days_in_stock", "Days in stock", Kind.COUNT),
    extra("collateral_days", "Collateral-days", Kind.NUMBER),
    col("return_on_collateral_annualized", "Annualized %", Kind.PERCENT),
)

GRADE_COLUMNS = (
    extra("account", "Account", Kind.ID),
    col("trade_date", "Date", Kind.DATE),
    extra("underlying", "Underlying", Kind.TEXT),
    col("contract", "Contract", Kind.TEXT),
    col("contracts", "Qty", Kind.QUANTITY),
    extra("strike", "Strike", Kind.PRICE),
    extra("expiry", "Expiry", Kind.DATE),
    col("dte", "DTE", Kind.COUNT),
    col("premium", "Premium", Kind.PRICE),
    col("price", "Price", Kind.PRICE),
    col("otm_pct", "% OTM", Kind.PERCENT),
    col("annualized_pct", "Annualized %", Kind.PERCENT),
    extra("open_after", "Open after", Kind.QUANTITY),
    extra("check_otm", "OTM check", Kind.TEXT),
    extra("check_dte", "DTE check", Kind.TEXT),
    extra("check_premium", "Premium check", Kind.TEXT),
    extra("check_size", "Size check", Kind.TEXT),
    extra("check_cash", "Cash check", Kind.TEXT),
    extra("check_earnings", "Earnings check", Kind.TEXT),
    col("score", "Score", Kind.TEXT),
    col("grade", "Grade", Kind.TEXT),
    col("reasons", "Reasons", Kind.TEXT),
    extra("transaction_id", "Transaction", Kind.ID),
)

SECTION_LABELS = {"underlying": "Per underlying", "cycle": "Per wheel cycle",
                  "put": "Checklist grade per put sold"}
BASIS_NOTE = {
    "underlying": "Annualized %: realized gain ÷ (put collateral-days + the shares' "
                  "basis-days) × 365.",
    "cycle": "Annualized %: the cycle's realized gain ÷ its own collateral- and "
             "basis-days × 365 (a short cycle can show a high rate).",
}


def prepare(data: LedgerData, result: RuleResult | None,
            accounts: Accounts = ALL) -> Prepared:
    """The input :func:`summary`, :func:`by_underlying` and :func:`by_cycle` share: build
    it once when making several of them from the same ledger, result and accounts."""
    from journal import review

    return review.prepare(data.executions, result, accounts)


def summary(data: LedgerData, result: RuleResult | None, *, period: str = "month",
            by_date: str = "trade", accounts: Accounts = ALL,
            as_of: date | None = None, prepared: Prepared | None = None) -> Table:
    """``prepared`` (from :func:`prepare` with the same data, result and accounts) saves
    the passes over the ledger."""
    from journal import review

    prep = prepared or prepare(data, result, accounts)
    rows = review.summary_of(prep, period=period, by_date=by_date,
                             as_of=as_of or data.ledger_end)
    first = col(period, PERIOD_TITLES[period], Kind.ID)
    notes: tuple[str, ...] = ()
    if by_date != "trade":
        hint = f"Premium, outcomes and results attributed by the position's {by_date} date."
        notes = (hint,)
    return table((first, *SUMMARY_COLUMNS), rows, notes=notes)


def by_underlying(data: LedgerData, result: RuleResult | None, *,
                  accounts: Accounts = ALL, as_of: date | None = None,
                  prepared: Prepared | None = None) -> Table:
    from journal import review

    prep = prepared or prepare(data, result, accounts)
    rows = review.by_underlying_of(prep, as_of=as_of or data.ledger_end)
    return table(UNDERLYING_COLUMNS, rows, title=SECTION_LABELS["underlying"],
                 notes=(BASIS_NOTE["underlying"],) if rows else ())


def by_cycle(data: LedgerData, result: RuleResult | None, *,
             accounts: Accounts = ALL, as_of: date | None = None,
             prepared: Prepared | None = None) -> Table:
    from journal import review

    if prepared is None:
        rows = review.by_cycle(result, accounts=accounts, as_of=as_of or data.ledger_end)
    else:
        rows = review.by_cycle_of(prepared, as_of=as_of or data.ledger_end)
    return table(CYCLE_COLUMNS, rows, title=SECTION_LABELS["cycle"],
                 notes=(BASIS_NOTE["cycle"],) if rows else ())


def grades(data: LedgerData, settings, *, accounts: Accounts = ALL) -> Table:
    """The checklist grade of every put sold, with the statements' prices and cash."""
    from journal import checklist
    from journal import grades as grading
    from journal.views import market

    marketdata = checklist.MarketData.from_settings(
        settings, market.statement_prices(data), market.statement_cash(data))
    rows = grading.grades(data.executions, accounts=accounts, settings=settings,
                          market=marketdata)
    return table(GRADE_COLUMNS, rows, title=SECTION_LABELS["put"])


def sections(data: LedgerData, result: RuleResult | None, settings, *,
             accounts: Accounts = ALL, done_with_result: Callable[[], None] | None = None
             ) -> dict[str, Table]:
    """``done_with_result`` is called once the rules' result is no longer read (the
    grades need only the ledger): a caller holding nothing else of it lets it go there,
    and the grades are made in its memory."""
    prep = prepare(data, result, accounts)
    underlying = by_underlying(data, result, accounts=accounts, prepared=prep)
    cycle = by_cycle(data, result, accounts=accounts, prepared=prep)
    del prep, result
    if done_with_result is not None:
        done_with_result()
    return {"underlying": underlying, "cycle": cycle,
            "put": grades(data, settings, accounts=accounts)}
