"""Rules commands: `journal positions`, `lots`, `realized`, `flags`, `cycles` (and `cycles
assign`).

Thin: each runs :func:`journal.rules.analyze` once and lays its result out as rows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from journal.cli import cli, emit, format_option
from journal.errors import JournalError

POSITION_COLUMNS = ["account", "kind", "underlying", "description", "quantity", "opened",
                    "expiry", "dte", "strike", "premium", "collateral", "breakeven",
                    "tax_basis", "cycle_id"]
LOT_COLUMNS = ["account", "symbol", "quantity", "remaining", "acquired",
               "holding_period_acquired", "tax_basis", "economic_basis",
               "wash_sale_adjustment", "source", "open", "cycle_id", "lot_id"]
REALIZED_COLUMNS = ["account", "description", "quantity", "date_acquired", "date_sold",
                    "proceeds", "cost", "adjustment_code", "adjustment_amount", "gain", "term",
                    "tax_year", "kind", "section_1256", "ib_fifo_pnl", "closing_transaction_id"]
CYCLE_COLUMNS = ["cycle_id", "account", "underlying", "started", "ended", "days",
                 "premium_net", "realized", "assigned", "roll_chains"]


def _date(value):
    return value.date() if value is not None else None


def _analyze(obj, as_of=None):
    from journal.rules import analyze

    return analyze(obj.engine(), as_of=as_of)


def _select_flags(result, year=None, account=None, codes=()) -> list:
    wanted = {c.upper() for c in codes}
    return [f for f in result.flags if (year is None or f.tax_year == year)
            and (account is None or f.account == account) and (not wanted or f.code in wanted)]


def _flags_note(result, year=None, account=None):
    flags = _select_flags(result, year, account)
    if flags:
        where = f" --year {year}" if year is not None else ""
        click.echo(f"{len(flags)} flag(s) need review: journal flags{where}", err=True)


@cli.command()
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Positions at this date.")
@click.option("--account", help="Only this account id.")
@format_option
@click.pass_obj
def positions(obj, as_of, account, fmt):
    """Open short options (collateral, DTE, breakeven) and open stock lots.

    \b
    Example:
      journal positions --as-of 2025-11-01 --format json
    """
    when = _date(as_of)
    result = _analyze(obj, when)
    today = when or date.today()
    rows = []
    for p in result.option_positions:
        if p.closed is not None or (account and p.account != account):
            continue
        n = abs(p.contracts)
        per_share = p.premium_net / (n * p.multiplier) if n and p.multiplier else Decimal(0)
        short = p.contracts < 0
        collateral = p.strike * p.multiplier * n if (short and p.put_call == "P") else None
        breakeven = None
        if short:
            breakeven = p.strike - per_share if p.put_call == "P" else p.strike + per_share
        rows.append({"account": p.account, "kind": "short option" if short else "long option",
                     "underlying": p.underlying, "description": p.description,
                     "quantity": p.contracts, "opened": p.opened, "expiry": p.expiry,
                     "dte": (p.expiry - today).days if p.expiry else None, "strike": p.strike,
                     "premium": p.premium_net, "collateral": collateral,
                     "breakeven": breakeven.quantize(Decimal("0.0001")) if breakeven else None,
                     "cycle_id": p.cycle_id})
    for lot in result.lots:
        if not lot.open or (account and lot.account != account):
            continue
        basis = lot.tax_basis * lot.remaining / lot.quantity if lot.quantity else lot.tax_basis
        rows.append({"account": lot.account, "kind": "stock", "underlying": lot.symbol,
                     "description": f"{lot.symbol} lot {lot.acquired}",
                     "quantity": lot.remaining, "opened": lot.acquired,
                     "tax_basis": basis.quantize(Decimal("0.01")), "cycle_id": lot.cycle_id})
    rows.sort(key=lambda r: (r["account"], r["underlying"], str(r["opened"])))
    emit(rows, POSITION_COLUMNS, fmt)


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Also list closed lots.")
@click.option("--account", help="Only this account id.")
@click.option("--symbol", help="Only this symbol.")
@click.option("--explain", "explain", metavar="LOT_ID",
              help="Show how this lot's tax and economic basis are made up, line by line.")
@format_option
@click.pass_obj
def lots(obj, show_all, account, symbol, explain, fmt):
    """Stock lots with tax basis (premium of an assigned put and wash-sale adjustments
    included) beside the economic basis (minus the cycle's other premium).

    \b
    Example:
      journal lots --all --format csv
      journal lots --explain U7654321:3718840618
    """
    result = _analyze(obj)
    if explain:
        from journal.rules import explain as explain_mod

        try:
            rows = explain_mod.explain_lot(result, explain)
        except KeyError:
            raise JournalError(f"no lot {explain} (journal lots --all lists them)") from None
        emit(rows, explain_mod.COLUMNS, fmt)
        return
    rows = []
    for lot in result.lots:
        if not (show_all or lot.open):
            continue
        if account and lot.account != account:
            continue
        if symbol and lot.symbol.upper() != symbol.upper():
            continue
        rows.append({c: getattr(lot, c) for c in LOT_COLUMNS})
    emit(rows, LOT_COLUMNS, fmt)


@cli.command()
@click.option("--year", type=int, help="Tax year (trade-date year of the closing event).")
@click.option("--account", help="Only this account id.")
@format_option
@click.pass_obj
def realized(obj, year, account, fmt):
    """Realized gains and losses, one Form 8949 (or 6781) line each.

    \b
    Example:
      journal realized --year 2025 --format csv
    """
    result = _analyze(obj)
    rows = [{c: getattr(e, c) for c in REALIZED_COLUMNS} for e in result.realized
            if (year is None or e.tax_year == year) and (account is None or e.account == account)]
    emit(rows, REALIZED_COLUMNS, fmt)
    if year is not None and year in result.provisional_years:
        click.echo(f"note: {year} is provisional until {year + 1}-01-30 (a wash sale can "
                   "still change it)", err=True)
    _flags_note(result, year, account)


@cli.command()
@click.option("--year", type=int, help="Only flags of this tax year.")
@click.option("--account", help="Only this account id.")
@click.option("--code", "codes", multiple=True, help="Only this flag code (repeatable).")
@format_option
@click.pass_obj
def flags(obj, year, account, codes, fmt):
    """Cases the rules show instead of deciding (README: "Flags to review").

    \b
    Example:
      journal flags --year 2025
      journal flags --code NON_QCC --code STRADDLE_LOSS_DEFERRAL --format csv
    """
    from journal.tax import FLAG_COLUMNS, flag_dicts

    emit(flag_dicts(_select_flags(_analyze(obj), year, account, codes)), FLAG_COLUMNS, fmt)


@cli.group(invoke_without_command=True)
@click.option("--account", help="Only this account id.")
@format_option
@click.pass_context
def cycles(ctx, account, fmt):
    """Wheel cycles and their roll chains: premium, realized result and days.

    \b
    Example:
      journal cycles --format json
      journal cycles assign 3601482288 AMD-autumn
    """
    if ctx.invoked_subcommand is not None:
        return
    result = _analyze(ctx.obj)
    rows = []
    for c in result.cycles:
        if account and c.account != account:
            continue
        row = {k: getattr(c, k) for k in CYCLE_COLUMNS}
        row["roll_chains"] = "; ".join(" > ".join(ch) for ch in c.roll_chains)
        rows.append(row)
    emit(rows, CYCLE_COLUMNS, fmt)


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
    from sqlalchemy import select

    from journal import ledger, models

    if not clear and not label:
        raise JournalError("give a LABEL, or --clear to remove the manual choice")
    ex = models.Execution.__table__
    q = select(ex.c.account_id).where(ex.c.transaction_id == transaction_id)
    if account:
        q = q.where(ex.c.account_id == account)
    engine = obj.engine()
    with engine.connect() as conn:
        accounts = sorted(set(conn.execute(q).scalars().all()))
    if not accounts:
        raise JournalError(f"no execution with transaction id {transaction_id}"
                           + (f" in account {account}" if account else ""))
    if len(accounts) > 1:
        raise JournalError(f"transaction id {transaction_id} exists in accounts "
                           f"{', '.join(accounts)}: pass --account")
    ledger.set_cycle_override(engine, accounts[0], transaction_id, None if clear else label)
    click.echo(f"{accounts[0]} {transaction_id}: "
               + ("manual cycle removed" if clear else f"cycle {label}"))
