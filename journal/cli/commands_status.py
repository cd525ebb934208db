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
    from journal.views.source import load

    day = as_of or today()
    src = load(obj.engine(), as_of=day)
    accounts.check(src.account_ids)
    marks = market.Marks(src.data, day, market.user_prices(checklist.load_settings()))
    parts = views.status(src.data, src.result, day, marks=marks, accounts=accounts)
    if out.fmt == "json":
        doc = {"as_of": day.isoformat(),
               **{k: [{c: json_value(r.get(c)) for c in t.keys} for r in t.rows]
                  for k, t in parts}}
        click.echo(json.dumps(doc, indent=2))
        return
    if out.is_table:
        click.echo(f"As of {day.isoformat()}\n")
    out.emit_sections(parts)
