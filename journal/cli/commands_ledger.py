"""Listing commands over the imported ledger: `journal trades`, `journal accounts`."""

from __future__ import annotations

import click

from journal.cli import cli, emit, format_option, lazy_module

queries = lazy_module("journal.queries")


@cli.command()
@click.option("--account", help="Only this account id.")
@click.option("--symbol", help="Only this underlying or symbol (e.g. MSFT).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="From trade date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="To trade date.")
@click.option("--all", "include_voided", is_flag=True,
              help="Also list cancel rows and the trades they void.")
@format_option
@click.pass_obj
def trades(obj, account, symbol, date_from, date_to, include_voided, fmt):
    """List executions (fills and bookings) in the ledger.

    \b
    Example:
      journal trades --symbol MSFT --from 2025-01-01 --format csv
    """
    rows = queries.trades(obj.engine(), account=account, symbol=symbol,
                          date_from=date_from.date() if date_from else None,
                          date_to=date_to.date() if date_to else None,
                          include_voided=include_voided)
    emit(rows, queries.TRADE_COLUMNS, fmt)


@cli.command()
@format_option
@click.pass_obj
def accounts(obj, fmt):
    """List accounts with their base currency and what the ledger holds for them.

    \b
    Example:
      journal accounts --format json
    """
    emit(queries.accounts(obj.engine()), queries.ACCOUNT_COLUMNS, fmt)
