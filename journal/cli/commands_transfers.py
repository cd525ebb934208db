"""`journal transfers` (the transfers in the ledger), `journal transfers basis FILE` (the
basis and acquisition dates of shares transferred in, which IB's statements do not carry)
and `journal transfers set` (the user's facts about a transfer), tax_rules.md §10."""

from __future__ import annotations

import click

from journal.cli import cli
from journal.cli.options import output_options, the_one
from journal.errors import JournalError


@cli.group(invoke_without_command=True)
@output_options
@click.pass_context
def transfers(ctx, out):
    """Shares moved in or out of the account (ACATS, ATON, FOP, internal), one row per
    transfer, with your facts about it.

    \b
    Example:
      journal transfers --format json
      journal transfers set 5112000010 --wash-sale yes
    """
    if ctx.invoked_subcommand is not None:
        return
    from journal.readmodel import load_ledger
    from journal.views.actions import transfers as view

    data = load_ledger(ctx.obj.ledger())
    out.emit(view(data.transfers, data.action_overrides))


@transfers.command("set")
@click.argument("transfer")
@click.option("--account", help="Account of the transfer (needed if several hold it).")
@click.option("--wash-sale", type=click.Choice(["yes", "no"]),
              help="Shares transferred in that were bought within 30 days of a loss sale "
                   "(WASH_SALE_TRANSFER): yes applies the wash sale (IRC §1091), no says "
                   "it is none.")
@click.option("--clear", is_flag=True, help="Remove the facts given for this transfer.")
@click.pass_obj
def transfers_set(obj, transfer, account, wash_sale, clear):
    """Give a fact about TRANSFER (as `journal transfers` lists it). It is stored beside
    the imported rows, which are never edited."""
    from journal import ledger
    from journal.readmodel import load_ledger

    if not clear and wash_sale is None:
        raise JournalError("give --wash-sale yes|no, or --clear")
    engine = obj.engine()
    t = the_one(load_ledger(engine).transfers, transfer, account, "transfer",
                "journal transfers")
    if wash_sale is not None and (t.direction == "OUT" or t.quantity < 0):
        raise JournalError(f"transfer {transfer} is a transfer out: --wash-sale applies to a "
                           "transfer in (shares bought elsewhere)")
    ledger.set_action_override(engine, t.account, t.key, "wash_sale",
                               None if clear else wash_sale)
    click.echo(f"{t.account} {t.key} (transfer {t.direction or ''} {t.symbol}): "
               + ("facts removed" if clear else f"wash_sale={wash_sale}"))


@transfers.command("basis")
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_obj
def transfers_basis(obj, path):
    """Load the basis of shares transferred in from a CSV with the columns
    account,symbol,quantity,acquired,basis (one lot a line, basis the line's total).
    The file replaces what was loaded before for each account and symbol it names.

    \b
    Example:
      journal transfers basis transfer_basis.csv
    """
    from journal import ledger
    from journal.importers.transfer_basis import read_basis_file

    rows = read_basis_file(path)
    n = ledger.set_transfer_basis(obj.engine(), rows, path)
    pairs = sorted({(r.account, r.symbol) for r in rows})
    click.echo(f"{n} lot(s) for " + ", ".join(f"{a} {s}" for a, s in pairs))
