"""Rules commands: `journal positions`, `lots`, `realized`, `flags`, `cycles` (with
`cycles show` and `cycles assign`).

Thin: each reads the rules' result (and, where marks are needed, the ledger), asks a view
for its table and prints it.
"""

from __future__ import annotations

import click

from journal.cli import cli
from journal.cli.options import account_option, as_of_option, output_options, today
from journal.errors import JournalError
from journal.views.filters import Accounts


def _analyze(obj, accounts=None, as_of=None):
    """The rules' result, after checking the --account filter against the ledger."""
    from journal.rules import analyze

    engine = obj.ledger()
    if accounts:
        from journal import (  # SQLModel: only when an account filter is checked
            readmodel_accounts,
        )

        accounts.check(readmodel_accounts.load_account_ids(engine))
    return analyze(engine, as_of=as_of)


def _flags_note(result, year=None, accounts=None):
    from journal.views import flags as flag_views

    selected = flag_views.select(result.flags, year=year, accounts=accounts or Accounts())
    if selected:
        where = f" --year {year}" if year is not None else ""
        click.echo(f"{len(selected)} flag(s) need review: journal flags{where}", err=True)


def provisional_note(result, year: int, ledger_end) -> str | None:
    """Why a year is still provisional, and what would settle it: a statement that
    covers the first 30 days of the next year (a purchase then can still wash a loss)."""
    if year not in result.provisional_years:
        return None
    from datetime import date, timedelta

    window_end = date(year + 1, 1, 30)
    start = date(year + 1, 1, 1)
    if ledger_end is not None and ledger_end >= start:
        start = ledger_end + timedelta(days=1)
    missing = (f"January {year + 1}" if start.day == 1 and start.month == 1
               else f"{start}..{window_end}")
    ends = f"the ledger ends {ledger_end}" if ledger_end else "the ledger is empty"
    return (f"note: {year} is provisional: no statement covers {missing} yet ({ends}); a "
            f"purchase up to {window_end} can still disallow a {year} loss as a wash sale. "
            f"Import the statement that covers it.")


@cli.command()
@as_of_option("Positions as they stood on this day; DTE counts from it [default: today].")
@account_option
@output_options
@click.pass_obj
def positions(obj, as_of, accounts, out):
    """Open options (collateral, DTE, breakeven and, where a mark is known, the mark,
    unrealized P/L, % out of the money, ITM) and open stock lots.

    Marks come from the statements' Open Positions (markPrice) and the prices CSV
    ([checklist] prices_csv), the latest on or before the day.

    \b
    Example:
      journal positions --as-of 2025-11-01 --format json
    """
    from journal.checklist import load_settings
    from journal.views import market
    from journal.views import positions as views
    from journal.views.source import view

    day = as_of or today()
    settings = load_settings()

    def build(src):
        marks = market.Marks(src.data, day, market.user_prices(settings))
        return views.positions(src.result, day, accounts=accounts, marks=marks)

    known, table = view(obj.ledger(), "positions", build, as_of=as_of,
                        params=(day, accounts, settings), files=(settings.prices_csv,))
    accounts.check(known)
    out.emit(table)


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Also list closed lots.")
@account_option
@click.option("--symbol", help="Only this symbol.")
@click.option("--explain", "explain", metavar="LOT_ID",
              help="Show how this lot's tax and economic basis are made up, line by line.")
@output_options
@click.pass_obj
def lots(obj, show_all, accounts, symbol, explain, out):
    """Stock lots with tax basis (premium of an assigned put and wash-sale adjustments
    included) beside the economic basis (minus the cycle's other premium).

    \b
    Example:
      journal lots --all --format csv
      journal lots --explain U7654321:3718840618
    """
    from journal.views import results

    result = _analyze(obj, accounts)
    if explain:
        try:
            out.emit(results.explain(result, explain))
        except KeyError:
            raise JournalError(_no_lot(result, explain)) from None
        return
    out.emit(results.lots(result, accounts=accounts, show_all=show_all, symbol=symbol))


def _no_lot(result, text: str) -> str:
    from journal.views import results

    near = results.lot_candidates(result, text)
    if near:
        return f"no lot {text}; did you mean {' or '.join(near)}? (lot ids start with the " \
               "account: ACCOUNT:TRANSACTION)"
    if ":" not in text:
        return (f"no lot {text}: lot ids are ACCOUNT:TRANSACTION (e.g. U1234567:{text}); "
                "journal lots --all lists them")
    return f"no lot {text} (journal lots --all lists them)"


@cli.command()
@click.option("--year", type=int, help="Tax year (trade-date year of the closing event).")
@account_option
@output_options
@click.pass_obj
def realized(obj, year, accounts, out):
    """Realized gains and losses, one Form 8949 (or 6781) line each.

    On screen amounts show cents; csv and json carry them exactly.

    \b
    Example:
      journal realized --year 2025 --format csv
    """
    from journal.views import results

    result = _analyze(obj, accounts)
    out.emit(results.realized(result, accounts=accounts, year=year))
    if year is not None and year in result.provisional_years:
        from journal import readmodel_accounts

        click.echo(provisional_note(result, year, readmodel_accounts.load_ledger_end(obj.ledger())),
                   err=True)
    _flags_note(result, year, accounts)


@cli.command()
@click.option("--year", type=int, help="Only flags of this tax year.")
@account_option
@click.option("--code", "codes", multiple=True, help="Only this flag code (repeatable).")
@click.option("--detail", is_flag=True, help="Every flag with its message, not one row per "
                                             "code.")
@output_options
@click.pass_obj
def flags(obj, year, accounts, codes, detail, out):
    """Cases the rules show instead of deciding (README: "Flags to review"), one row per
    code: how many, which years, how serious, what it means.

    \b
    Example:
      journal flags --year 2025
      journal flags --detail --code NON_QCC --code STRADDLE_LOSS_DEFERRAL --format csv
    """
    from journal.views import flags as views

    selected = views.select(_analyze(obj, accounts).flags, year=year, accounts=accounts,
                            codes=codes)
    out.emit(views.detail(selected) if detail else views.groups(selected))


@cli.group(invoke_without_command=True)
@account_option
@output_options
@click.pass_context
def cycles(ctx, accounts, out):
    """Wheel cycles: premium, realized result, days and how many roll chains.

    \b
    Example:
      journal cycles --format json
      journal cycles show U7654321:AMD:2025-09-08
      journal cycles assign 3601482288 AMD-autumn
    """
    if ctx.invoked_subcommand is not None:
        return
    from journal.views import results

    out.emit(results.cycles(_analyze(ctx.obj, accounts), accounts=accounts))


@cycles.command("show")
@click.argument("cycle_id")
@output_options
@click.pass_obj
def cycles_show(obj, cycle_id, out):
    """The option positions of one cycle, each with its roll chain.

    \b
    Example:
      journal cycles show U7654321:AMD:2025-09-08
    """
    from journal.views import results

    result = _analyze(obj)
    cycle = results.find_cycle(result, cycle_id)
    if cycle is None:
        near = [c.cycle_id for c in result.cycles if cycle_id.lower() in c.cycle_id.lower()]
        hint = f"; did you mean {', '.join(near[:5])}?" if near else " (journal cycles lists them)"
        raise JournalError(f"no cycle {cycle_id}{hint}")
    out.emit(results.cycle_positions(result, cycle))


@cycles.command("assign")
@click.argument("transaction_id")
@click.argument("label", required=False)
@click.option("--account", help="Account of the execution (needed if the id is ambiguous).")
@click.option("--clear", is_flag=True, help="Remove the manual choice for this execution.")
@click.pass_obj
def cycles_assign(obj, transaction_id, label, account, clear):
    """Put an execution into the cycle LABEL by hand (stored as an override; the imported
    rows are not changed).

    \b
    Example:
      journal cycles assign 3601482288 AMD-autumn
      journal cycles assign 3601482288 --clear
    """
    from journal import ledger, readmodel_accounts

    if not clear and not label:
        raise JournalError("give a LABEL, or --clear to remove the manual choice")
    engine = obj.engine()
    holder = readmodel_accounts.holder_of(engine, transaction_id, account, "pass --account")
    ledger.set_cycle_override(engine, holder, transaction_id, None if clear else label)
    click.echo(f"{holder} {transaction_id}: "
               + ("manual cycle removed" if clear else f"cycle {label}"))
