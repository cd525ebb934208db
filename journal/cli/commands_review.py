"""Review commands: `summary`, `review`, `calc`, `export --xlsx`, `report --html`."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import click

from journal.cli import cli, emit, format_option, lazy_module
from journal.errors import JournalError
from journal.output import table

calc_mod = lazy_module("journal.calc")
checklist = lazy_module("journal.checklist")
queries = lazy_module("journal.queries")
review = lazy_module("journal.review")


def analyze(engine, **kw):
    from journal.rules import analyze as run

    return run(engine, **kw)

SECTION_LABELS = {"underlying": "Per underlying", "cycle": "Per wheel cycle",
                  "put": "Checklist grade per put sold"}


def _rules(engine):
    """The rules' result (a seam the tests replace to feed hand-built results)."""
    return analyze(engine)


class _Data:
    def __init__(self, obj, account=None):
        engine = obj.engine()
        self.engine = engine
        self.account = account
        self.executions = review.read_executions(engine, account)
        self.as_of = review.ledger_end(engine)
        self.result = _rules(engine)
        self.settings = checklist.load_settings()
        self.market = checklist.MarketData.from_settings(
            self.settings, review.read_statement_prices(engine),
            review.read_statement_cash(engine))

    def flags(self):
        from journal.tax import FLAG_COLUMNS, flag_dicts

        return FLAG_COLUMNS, flag_dicts(f for f in self.result.flags
                                        if not self.account or f.account == self.account)

    def coverage(self):
        columns = ["account", "statements_from", "statements_to", "gaps"]
        rows = [{c: r[c] for c in columns} for r in queries.accounts(self.engine)
                if not self.account or r["account"] == self.account]
        return columns, rows

    def summary(self, period):
        return review.summary(self.executions, self.result, period=period,
                              account=self.account, as_of=self.as_of)

    def sections(self):
        return {
            "underlying": (review.UNDERLYING_COLUMNS, review.by_underlying(
                self.executions, self.result, account=self.account, as_of=self.as_of)),
            "cycle": (review.CYCLE_COLUMNS, review.by_cycle(
                self.result, account=self.account, as_of=self.as_of)),
            "put": (review.GRADE_COLUMNS, review.grades(
                self.executions, account=self.account, settings=self.settings,
                market=self.market)),
        }


def _account_option(fn):
    return click.option("--account", help="Only this account id.")(fn)


@cli.command()
@click.option("--monthly", "period", flag_value="month", default=True, help="One row per month.")
@click.option("--yearly", "period", flag_value="year", help="One row per year.")
@_account_option
@format_option
@click.pass_obj
def summary(obj, period, account, fmt):
    """Premium, outcomes, realized gains and capital per month or year.

    Months run from the first trade to the end of the latest statement; empty months
    are listed so the progression shows. Percentages are percent numbers.

    \b
    Example:
      journal summary --monthly --format json
      journal summary --yearly --account U1234567
    """
    data = _Data(obj, account)
    emit(data.summary(period),
         review.MONTHLY_COLUMNS if period == "month" else review.YEARLY_COLUMNS, fmt)


@cli.command("review")
@click.option("--by", type=click.Choice(["all", "underlying", "cycle", "put"]), default="all",
              show_default=True, help="Which table; 'all' prints the three one after another "
                                      "(csv/json: one list with a 'section' key).")
@_account_option
@format_option
@click.pass_obj
def review_(obj, by, account, fmt):
    """Results per underlying and per wheel cycle, and a checklist grade per put sold.

    The checklist is set in the [checklist] section of the config file (see
    `journal config show`); checks the ledger cannot answer say "unknown".

    \b
    Example:
      journal review
      journal review --by put --format csv
    """
    data = _Data(obj, account)
    sections = data.sections()
    if by != "all":
        columns, rows = sections[by]
        emit(rows, columns, fmt)
        return
    if fmt == "table":
        for name, (columns, rows) in sections.items():
            click.echo(f"{SECTION_LABELS[name]}\n")
            click.echo(table(rows, columns))
        return
    columns, rows = ["section"], []
    for name, (cols, rs) in sections.items():
        columns += [c for c in cols if c not in columns]
        rows += [{"section": name, **r} for r in rs]
    emit(rows, columns, fmt)


@cli.command()
@click.option("--premium", "premium", type=Decimal, required=True, help="Premium per share.")
@click.option("--strike", type=Decimal, required=True, help="Strike price.")
@click.option("--dte", type=int, required=True, help="Days to expiry.")
@click.option("--price", type=Decimal, help="Underlying price now (for % out of the money).")
@click.option("--contracts", type=int, default=1, show_default=True)
@click.option("--commission", type=Decimal, default=Decimal(0), show_default=True,
              help="Total commission for the trade.")
@click.option("--cash", type=Decimal, help="Cash available (for the cash check).")
@click.option("--symbol", help="Underlying: for the earnings check and, with the ledger, "
                                "open puts and wash-sale traps.")
@click.option("--open", "open_contracts", type=int, default=None,
              help="Puts already open on this underlying [default: from the ledger with "
                   "--symbol, else 0].")
@click.option("--date", "sale_date", type=click.DateTime(["%Y-%m-%d"]),
              help="Day of the sale [default: today].")
@click.option("--call", "covered_call", is_flag=True,
              help="A covered call instead of a put: with --symbol, what assignment would "
                   "realize against the shares the ledger holds.")
@click.option("--account", help="With --call: only this account's shares.")
@format_option
@click.pass_obj
def calc(obj, premium, strike, dte, price, contracts, commission, cash, symbol, open_contracts,
         sale_date, covered_call, account, fmt):
    """Pre-trade calculator for a cash-secured put (or, with --call, a covered call).

    Annualized ROI = premium ÷ strike × 365 ÷ days to expiry; also net premium, cash
    required, % out of the money, breakeven and the checklist verdict. With --symbol it
    also reads the ledger: the puts already open on the underlying (for the size check)
    and whether an assignment would wash a recent stock loss.

    With --call the ROI is on the share price (--price, else the strike), and with
    --symbol it shows the tax and economic basis of the shares that would be delivered
    (FIFO), the gain if called away, and warns about a strike under basis, uncovered
    contracts and calls that are not qualified covered calls.

    \b
    Example:
      journal calc --premium 2.10 --strike 410 --dte 30 --price 425
      journal calc --premium 2.10 --strike 410 --dte 30 --symbol MSFT
      journal calc --call --premium 3.20 --strike 420 --dte 45 --symbol MSFT --price 415
    """
    if covered_call:
        _calc_call(obj, premium, strike, dte, price, contracts, commission, symbol, sale_date,
                   account, fmt)
        return
    settings = checklist.load_settings()
    earnings = checklist.read_earnings(settings.earnings_csv) if settings.earnings_csv else None
    day, result = _ledger_on(obj, sale_date, symbol)
    ledger_open, warnings = None, ()
    if result is not None:
        from journal.settings import load_settings as load_rule_settings

        ledger_open, warnings = calc_mod.ledger_checks(
            result, symbol, day, strike, price, expiry=day + timedelta(days=dte),
            scope=load_rule_settings().option_wash_scope)
    if open_contracts is None:
        open_contracts = ledger_open or 0
    result = calc_mod.calculate(calc_mod.CalcInput(
        premium=premium, strike=strike, dte=dte, price=price, contracts=contracts,
        commission=commission, cash=cash, symbol=symbol, open_contracts=open_contracts,
        sale_date=day, ledger_warnings=warnings, ledger_open_puts=ledger_open),
        settings, earnings)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if fmt == "table":
        emit([{"field": k, "value": result[k]} for k in calc_mod.COLUMNS], ["field", "value"], fmt)
    else:
        emit([result], calc_mod.COLUMNS, fmt)


def _ledger_on(obj, sale_date, symbol):
    """The day of a pre-trade check and, when it names a symbol, the rules' view of the
    ledger on that day (a past --date sees the ledger as it stood then)."""
    day = sale_date.date() if sale_date else date.today()
    if not symbol:
        return day, None
    return day, analyze(obj.engine(), as_of=day if sale_date else None)


def _calc_call(obj, premium, strike, dte, price, contracts, commission, symbol, sale_date,
               account, fmt):
    day, result = _ledger_on(obj, sale_date, symbol)
    lots = ()
    if result is not None:
        lots = tuple(x for x in result.lots if x.symbol.upper() == symbol.upper()
                     and (account is None or x.account == account) and x.quantity > 0)
    row, warnings = calc_mod.calculate_call(calc_mod.CalcInput(
        premium=premium, strike=strike, dte=dte, price=price, contracts=contracts,
        commission=commission, symbol=symbol, sale_date=day), lots)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if fmt == "table":
        emit([{"field": k, "value": row.get(k)} for k in calc_mod.CALL_COLUMNS],
             ["field", "value"], fmt)
    else:
        emit([row], calc_mod.CALL_COLUMNS, fmt)


def _record_rows(items) -> tuple[list[str], list[dict]]:
    rows = []
    for x in items:
        d = dataclasses.asdict(x)
        rows.append({k: (", ".join(map(str, v)) if isinstance(v, (tuple, list)) else v)
                     for k, v in d.items()})
    columns = list(rows[0]) if rows else []
    return columns, rows


def _workbook_sheets(data: _Data) -> list:
    res = data.result
    monthly = data.summary("month")
    sections = data.sections()
    ledger = queries.trades(data.engine, account=data.account)
    sheets = [("Ledger", queries.TRADE_COLUMNS, ledger)]
    positions = [p for p in res.option_positions
                 if not data.account or p.account == data.account]
    lots = [x for x in res.lots if not data.account or x.account == data.account]
    cycles = [c for c in res.cycles if not data.account or c.account == data.account]
    for title, items in (("Positions", positions), ("Lots", lots), ("Cycles", cycles)):
        cols, rows = _record_rows(items)
        sheets.append((title, cols or ["(no rows)"], rows))
    sheets.append(("Monthly", review.MONTHLY_COLUMNS, monthly))
    review_cols, review_rows = ["section"], []
    for name, (cols, rs) in sections.items():
        review_cols += [c for c in cols if c not in review_cols]
        review_rows += [{"section": name, **r} for r in rs]
    sheets.append(("Review", review_cols, review_rows))
    sheets.append(("Flags", *data.flags()))
    sheets.append(("Coverage", *data.coverage()))
    return sheets


@cli.command()
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Workbook to write.")
@_account_option
@click.pass_obj
def export(obj, xlsx_path, account):
    """Write the whole journal as one Excel workbook.

    Sheets: Ledger, Positions, Lots, Cycles, Monthly (with charts), Review, Flags (cases
    to review) and Coverage (the statements' span and gaps per account).

    \b
    Example:
      journal export --xlsx journal.xlsx
    """
    from journal.exporters.xlsx_journal import write_workbook

    data = _Data(obj, account)
    sheets = _workbook_sheets(data)
    try:
        write_workbook(xlsx_path, sheets)
    except OSError as exc:
        raise JournalError(f"{xlsx_path}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"wrote {xlsx_path} ({', '.join(f'{t}: {len(r)}' for t, _, r in sheets)} rows)")


@cli.command()
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="HTML file to write.")
@_account_option
@click.pass_obj
def report(obj, html_path, account):
    """Write one self-contained HTML page: charts, monthly table and the review.

    The page loads nothing from the network; open it in any browser.

    \b
    Example:
      journal report --html review.html
    """
    from journal import report_html

    data = _Data(obj, account)
    sections = data.sections()
    page = report_html.render(
        "csp-journal review" + (f" — {account}" if account else ""),
        (review.MONTHLY_COLUMNS, data.summary("month")),
        [(f"{SECTION_LABELS[k]}", c, r) for k, (c, r) in sections.items()]
        + [("Yearly", review.YEARLY_COLUMNS, data.summary("year")),
           ("Flags to review", *data.flags()), ("Statement coverage", *data.coverage())],
        note=report_html.as_of_text(data.as_of))
    try:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{html_path}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"wrote {html_path}")

