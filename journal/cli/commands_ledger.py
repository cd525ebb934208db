"""Listing commands over the imported ledger: `journal trades`, `journal accounts`."""

from __future__ import annotations

import click

from journal.cli import cli
from journal.cli.options import account_option, output_options


@cli.command()
@account_option
@click.option("--symbol", help="Only this underlying or symbol (e.g. MSFT).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="From trade date.")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="To trade date.")
@click.option("--all", "include_voided", is_flag=True,
              help="Also list cancel rows and the trades they void.")
@output_options
@click.pass_obj
def trades(obj, accounts, symbol, date_from, date_to, include_voided, out):
    """List executions (fills and bookings) in the ledger, as IB reported them.

    \b
    Example:
      journal trades --symbol MSFT --from 2025-01-01 --format csv
      journal trades --all-columns
    """
    from journal import readmodel, readmodel_accounts
    from journal.views import ledger

    engine = obj.ledger()
    accounts.check(readmodel_accounts.load_account_ids(engine))
    records = readmodel.load_trades(
        engine, accounts=accounts.sorted, date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None, include_voided=include_voided)
    out.emit(ledger.trades(records, symbol=symbol))


@cli.command()
@output_options
@click.pass_obj
def accounts(obj, out):
    """List accounts with their base currency, what the ledger holds for them and the
    span their statements cover (with the gaps between them).

    \b
    Example:
      journal accounts --format json
    """
    from journal import readmodel_accounts
    from journal.views import ledger

    out.emit(ledger.accounts(readmodel_accounts.load_accounts(obj.ledger())))
