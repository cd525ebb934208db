"""`journal status`: where the wheel stands today (or on --as-of)."""

from __future__ import annotations

import click

from journal.cli import cli
from journal.cli.options import account_option, as_of_option, output_options, today


@cli.command()
@as_of_option("The day to look from: this month, DTE and marks are taken on it "
              "[default: today].")
@account_option
@output_options
@click.pass_obj
def status(obj, as_of, accounts, out):
    """This month and the year to date, open short options with their marks, open lots,
    what expires within 7 days, flags by code and how far the statements reach.

    csv: one list with a 'section' column; json: an object with one list per section.

    \b
    Example:
      journal status
      journal status --as-of 2025-11-14 --format json
    """
    import json

    from journal import checklist
    from journal.render.text import json_value
    from journal.views import market
    from journal.views import status as views
    from journal.views.source import view

    day = as_of or today()
    settings = checklist.load_settings()

    def build(src):
        flagged = views.flag_groups(src.result, accounts)
        src.let_go("flags")  # counted: the periods table is made in their memory
        marks = market.Marks(src.data, day, market.user_prices(settings))
        return views.status(src.data, src.result, day, marks=marks, accounts=accounts,
                            flagged=flagged)

    known, parts = view(obj.ledger(), "status", build, as_of=day,
                        params=(accounts, settings), files=(settings.prices_csv,))
    accounts.check(known)
    if out.fmt == "json":
        doc = {"as_of": day.isoformat(),
               **{k: [{c: json_value(r.get(c)) for c in t.keys} for r in t.rows]
                  for k, t in parts}}
        click.echo(json.dumps(doc, indent=2))
        return
    if out.is_table:
        click.echo(f"As of {day.isoformat()}\n")
    out.emit_sections(parts)
