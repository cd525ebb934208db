"""`journal transfers basis FILE`: the basis and acquisition dates of shares transferred in,
which IB's statements do not carry (tax_rules.md §10)."""

from __future__ import annotations

import click

from journal.cli import cli


@cli.group()
def transfers():
    """Shares moved in or out of the account (ACATS, ATON, FOP, internal)."""


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
