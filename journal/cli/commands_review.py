"""Review commands: `summary`, `review`, `calc`, `export --xlsx`, `report --html`.

Thin: read the ledger and the rules' result (one read), ask the views for typed tables,
render them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click

from journal import checklist
from journal.cli import cli, keep_until_exit
from journal.cli.options import NUMBER, account_option, one_of, output_options, today
from journal.errors import JournalError


@cli.command()
@click.option("--weekly", is_flag=True, help="One row per week (Monday to Sunday).")
@click.option("--monthly", is_flag=True, help="One row per month (the default).")
@click.option("--yearly", is_flag=True, help="One row per year.")
@click.option("--by-date", type=click.Choice(["trade", "open", "close"]), default="trade",
              show_default=True,
              help="Which date puts a figure in a period: each on its own trade date, or a "
                   "position's premium, outcome and result all on the day it was opened "
                   "(open) or closed (close).")
@account_option
@output_options
@click.pass_obj
def summary(obj, weekly, monthly, yearly, by_date, accounts, out):
    """Premium, outcomes, realized gains and capital per week, month or year.

    Periods run from the first trade to the end of the latest statement; empty ones are
    listed so the progression shows. Percentages are percent numbers.

    \b
    Example:
      journal summary --monthly --format json
      journal summary --weekly --by-date close
      journal summary --yearly --account U1234567
    """
    one_of(weekly=weekly, monthly=monthly, yearly=yearly)
    chosen = [p for p, on in (("week", weekly), ("month", monthly), ("year", yearly)) if on]
    from journal.views import review as views
    from journal.views.source import view

    period = chosen[0] if chosen else "month"
    known, table = view(obj.ledger(), "summary", lambda src: views.summary(
        src.data, src.result, period=period, by_date=by_date, accounts=accounts),
        params=(period, by_date, accounts), unused=("flags",))
    accounts.check(known)
    out.emit(table)


@cli.command("review")
@click.option("--by", type=click.Choice(["all", "underlying", "cycle", "put"]), default="all",
              show_default=True, help="Which table; 'all' prints the three one after another "
                                      "(csv/json: one list with a 'section' key).")
@account_option
@output_options
@click.pass_obj
def review_(obj, by, accounts, out):
    """Results per underlying and per wheel cycle, and a checklist grade per put sold.

    The checklist is set in the [checklist] section of the config file (see
    `journal config show`); checks the ledger cannot answer say "unknown".

    \b
    Example:
      journal review
      journal review --by put --format csv
    """
    from journal.views import review as views
    from journal.views.source import view

    settings = checklist.load_settings()

    def build(src):
        if by != "all":
            make = {"underlying": views.by_underlying, "cycle": views.by_cycle}.get(by)
            if make:
                return make(src.data, src.result, accounts=accounts)
            _done_with_result(src)
            return views.grades(src.data, settings, accounts=accounts)
        return list(views.sections(
            src.data, src.result, settings, accounts=accounts,
            done_with_result=lambda: _done_with_result(src)).items())

    files = (settings.earnings_csv, settings.cash_csv, settings.prices_csv)
    params = (by, accounts, settings)

    def chunks() -> Iterator[str]:
        known, shown = view(obj.ledger(), "review", build, params=params, files=files,
                            unused=("flags",))
        accounts.check(known)  # refused: nothing is kept
        if out.fmt != "json":
            yield out.text(shown) if by != "all" else out.sections_text(shown)
            return
        from journal.render import choose, json_chunks
        from journal.views.table import sections_table

        whole = sections_table(shown) if by == "all" else shown
        yield from json_chunks(choose(whole, "json", out.columns, out.all_columns))

    # the graded puts alone are tens of thousands of rows: formatting them took longer
    # than reading the kept table, so the finished text is kept too
    _echo_kept(obj.ledger(), "out:review", chunks, params=(params, _shape(out)), files=files)


def _echo_kept(engine, name: str, chunks: Callable[[], Iterable[str]], *, params,
               files) -> None:
    """Print a command's text, kept as :func:`journal.cache.rendered` keeps it (one
    compressed "text" part, read back by either): made and written piece by piece the
    first time, so a 24 MB listing is never held whole, nor twice."""
    from journal.cache import rendered_parts

    made = []

    def render() -> dict[str, bytes]:
        pack = zlib.compressobj(1)
        packed = []
        for chunk in chunks():
            click.echo(chunk, nl=False)
            packed.append(pack.compress(chunk.encode("utf-8")))
        packed.append(pack.flush())
        made.append(True)
        return {"text": b"".join(packed)}

    kept = rendered_parts(engine, name, render, params=params, files=files)
    if made:
        return
    try:
        text = zlib.decompress(kept["text"]).decode("utf-8")
    except (KeyError, zlib.error, UnicodeDecodeError):  # damaged: make it again
        text = "".join(chunks())
    click.echo(text, nl=False)


def _done_with_result(src) -> None:
    """What the grades are made after: the rules' result let go, and the executions'
    deferred fields read with the page cache of that read given back."""
    from journal.views.source import RESULT_ROWS

    src.let_go(*RESULT_ROWS)
    src.read_details()


def _shape(out) -> tuple:
    """What a command's printed text depends on besides its data: the format, the
    columns asked for and, for the terminal table, the width."""
    from journal.render import terminal_width

    return (out.fmt, out.columns, out.all_columns, terminal_width() if out.is_table else None)


@cli.command()
@click.option("--premium", "premium", type=NUMBER, required=True, help="Premium per share.")
@click.option("--strike", type=NUMBER, required=True, help="Strike price.")
@click.option("--dte", type=int, required=True, help="Days to expiry.")
@click.option("--price", type=NUMBER, help="Underlying price now (for % out of the money).")
@click.option("--contracts", type=int, default=1, show_default=True)
@click.option("--commission", type=NUMBER, default=Decimal(0), show_default=True,
              help="Total commission for the trade.")
@click.option("--cash", type=NUMBER, help="Cash available (for the cash check).")
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
@output_options
@click.pass_obj
def calc(obj, premium, strike, dte, price, contracts, commission, cash, symbol, open_contracts,
         sale_date, covered_call, account, out):
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
    from journal import calc as calc_mod
    from journal.views import calc as views

    inp = calc_mod.CalcInput(premium=premium, strike=strike, dte=dte, price=price,
                             contracts=contracts, commission=commission, cash=cash,
                             symbol=symbol)
    calc_mod.check(inp)  # bad input is refused before the ledger is read
    day, result = _ledger_on(obj, sale_date, symbol)
    if covered_call:
        lots = ()
        if result is not None:
            lots = tuple(x for x in result.lots if x.symbol.upper() == symbol.upper()
                         and (account is None or x.account == account) and x.quantity > 0)
        row, warnings = calc_mod.calculate_call(
            calc_mod.CalcInput(premium=premium, strike=strike, dte=dte, price=price,
                               contracts=contracts, commission=commission, symbol=symbol,
                               sale_date=day), lots)
        _emit_calc(out, views.call(row), warnings)
        return
    settings = checklist.load_settings()
    earnings = checklist.read_earnings(settings.earnings_csv) if settings.earnings_csv else None
    ledger_open, warnings = None, ()
    if result is not None:
        from journal.settings import load_settings as load_rule_settings

        ledger_open, warnings = calc_mod.ledger_checks(
            result, symbol, day, strike, price, expiry=day + timedelta(days=dte),
            scope=load_rule_settings().option_wash_scope)
    if open_contracts is None:
        open_contracts = ledger_open or 0
    row = calc_mod.calculate(calc_mod.CalcInput(
        premium=premium, strike=strike, dte=dte, price=price, contracts=contracts,
        commission=commission, cash=cash, symbol=symbol, open_contracts=open_contracts,
        sale_date=day, ledger_warnings=warnings, ledger_open_puts=ledger_open),
        settings, earnings)
    _emit_calc(out, views.put(row), warnings)


def _emit_calc(out, table, warnings) -> None:
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if out.is_table and not out.columns:
        from journal.render.terminal import vertical

        table = vertical(table)
    out.emit(table)


def _ledger_on(obj, sale_date, symbol):
    """The day of a pre-trade check and, when it names a symbol, the rules' view of the
    ledger on that day (a past --date sees the ledger as it stood then)."""
    day = sale_date.date() if sale_date else today()
    if not symbol:
        return day, None
    from journal.rules import analyze

    return day, analyze(obj.ledger(), as_of=day if sale_date else None)


@cli.command()
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Workbook to write.")
@account_option
@click.pass_obj
def export(obj, xlsx_path, accounts):
    """Write the whole journal as one Excel workbook.

    An Overview sheet first (headline figures and charts of premium, realized gain and
    capital in use), then one table per sheet: Monthly, Yearly, Open positions, Per
    underlying, Cycles, Puts sold, Realized, Lots, Option positions, Ledger, Flags by
    code, Flags and Coverage (the statements' span and gaps per account).

    \b
    Example:
      journal export --xlsx journal.xlsx
    """
    import json
    from functools import partial

    from journal.cache import rendered_parts
    from journal.exporters import ledger_sheet
    from journal.exporters.xlsx_journal import write_workbook
    from journal.exporters.xlsx_stream import write_bytes
    from journal.views import source, workbook

    engine = obj.ledger()
    settings = checklist.load_settings()
    written: list[bool] = []

    def make() -> dict[str, bytes]:
        # the Ledger sheet needs only the ledger's rows: a child process makes it on the
        # second core while this one computes the rules and the review (ledger_sheet)
        child = ledger_sheet.start(engine, accounts)
        try:
            known, review, result, version = workbook.cached_at(engine, settings, accounts)
            accounts.check(known)  # refused: nothing is kept
            sheets = workbook.journal_sheets(
                engine, result, review, accounts,
                ledger_made=None if child is None else partial(child.result, version))
            counts = write_workbook(xlsx_path, review, sheets, title=_title(accounts))
        finally:
            if child is not None:
                child.cancel()
        keep_until_exit(review, result)  # ~100k records and rows: the OS frees them at once
        written.append(True)
        return {"xlsx": xlsx_path.read_bytes(), "counts": json.dumps(counts).encode()}

    # the workbook is the same bytes for the same ledger state and arguments (no clock in
    # it): kept whole, a warm export writes it without formatting a million cells again
    try:
        kept = rendered_parts(engine, "out:export-xlsx", make, files=source.files_of(settings),
                              params=(accounts, settings, source.undated(engine)))
        if not written:
            write_bytes(xlsx_path, kept["xlsx"])
    except OSError as exc:
        raise JournalError(f"{xlsx_path}: cannot write: {exc.strerror or exc}") from exc
    counts = json.loads(kept["counts"])
    click.echo(f"wrote {xlsx_path} (" + ", ".join(f"{t}: {n:,}" for t, n in counts)
               + " rows)")


def _title(accounts) -> str:
    return "csp-journal" + (f" — {', '.join(accounts.sorted)}" if accounts else "")


@cli.command()
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="HTML file to write.")
@account_option
@click.pass_obj
def report(obj, html_path, accounts):
    """Write one self-contained HTML page of the review.

    Headline figures and open positions first, then charts of premium, realized gain
    and capital in use over the whole history, the yearly and recent monthly figures,
    the top underlyings, recent cycles and puts, the flags by code and the statements'
    coverage. The page loads nothing from the network; open it in any browser.

    \b
    Example:
      journal report --html review.html
    """
    from journal.exporters import html_report
    from journal.views import report as views

    known, review = views.cached(obj.ledger(), checklist.load_settings(), accounts)
    accounts.check(known)
    page = html_report.render(review, _title(accounts).replace("csp-journal",
                                                                "csp-journal review"),
                              accounts.sorted or known)
    try:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{html_path}: cannot write: {exc.strerror or exc}") from exc
    click.echo(f"wrote {html_path} ({len(page.encode()):,} bytes)")
