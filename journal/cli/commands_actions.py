"""`journal actions` (the corporate actions in the ledger) and `journal actions set` (the
facts only the user has: a spinoff's basis split, the year shares became worthless, a
stock merger the issuer says is taxable)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import click

from journal.cli import cli
from journal.cli.options import output_options, the_one
from journal.errors import JournalError


@cli.group(invoke_without_command=True)
@output_options
@click.pass_context
def actions(ctx, out):
    """Corporate actions (splits, mergers, ISIN changes, spinoffs …), one row per action,
    with whether the rules apply it or flag it, and your facts about it.

    \b
    Example:
      journal actions --format json
      journal actions set 129258970 --parent-fraction 0.8889
      journal actions set 88109001 --treat-as taxable
    """
    if ctx.invoked_subcommand is not None:
        return
    from journal.readmodel import load_ledger
    from journal.rules.actions import groups
    from journal.views.actions import actions as view

    data = load_ledger(ctx.obj.ledger())
    out.emit(view(groups(data.corporate_actions), data.action_overrides))


@actions.command("set")
@click.argument("group")
@click.option("--account", help="Account of the action (needed if several hold it).")
@click.option("--parent-fraction", metavar="F",
              help="Spinoff: the parent's share of the basis (Form 8937), e.g. 0.8889.")
@click.option("--worthless-year", type=click.IntRange(1900, 2200),
              help="Delisted shares: the year they became worthless.")
@click.option("--treat-as", type=click.Choice(["taxable", "reorganization"]),
              help="Stock merger: taxable (the old shares sold at the market value of what "
                   "was received, IRC §1001) or a reorganization (the default, §368; "
                   "confirms it).")
@click.option("--clear", is_flag=True, help="Remove the facts given for this action.")
@click.pass_obj
def actions_set(obj, group, account, parent_fraction, worthless_year, treat_as,
                clear):
    """Give a fact about the corporate action GROUP (as `journal actions` lists it). It is
    stored beside the imported rows, which are never edited."""
    from journal import ledger
    from journal.readmodel import load_ledger
    from journal.rules.actions import groups

    engine = obj.engine()
    data = load_ledger(engine)
    g = the_one(groups(data.corporate_actions), group, account, "corporate action",
                "journal actions")
    if parent_fraction is not None:
        try:
            fraction = Decimal(parent_fraction)
        except InvalidOperation:
            fraction = Decimal(-1)
        if not 0 < fraction <= 1:
            raise JournalError(f"--parent-fraction {parent_fraction}: a number above 0 and "
                               "at most 1 (the parent's share of the basis)")
    facts = {"parent_fraction": parent_fraction,
             "worthless_year": None if worthless_year is None else str(worthless_year),
             "treatment": treat_as}
    wanted = {"parent_fraction": "spinoff", "worthless_year": "worthless",
              "treatment": "stock_merger"}
    if not clear and all(v is None for v in facts.values()):
        raise JournalError("give --parent-fraction, --worthless-year or --treat-as, or "
                           "--clear")
    for field, value in facts.items():
        if value is not None and g.kind.value != wanted[field]:
            option = "treat-as" if field == "treatment" else field.replace("_", "-")
            raise JournalError(f"action {group} is a {g.kind.value}: --{option} applies to "
                               f"a {wanted[field]}")
        if clear or value is not None:
            ledger.set_action_override(engine, g.account, g.key, field,
                                       None if clear else value)
    click.echo(f"{g.account} {g.key} ({g.kind.value}): "
               + ("facts removed" if clear else
                  ", ".join(f"{k}={v}" for k, v in facts.items() if v is not None)))
