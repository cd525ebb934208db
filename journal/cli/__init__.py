"""The `journal` command. Thin: parse arguments, call the library, print.

Errors a user can fix (JournalError) become one line on stderr and exit code 1; anything
else is a bug and says so (with the traceback under --debug).
"""

from __future__ import annotations

import gc
import sys

import click

from journal import __version__
from journal.errors import JournalError
from journal.output import FORMATS, render

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Context:
    def __init__(self, db: str | None, debug: bool):
        self.db = db
        self.debug = debug
        self._engine = None

    def engine(self):
        if self._engine is None:
            from journal.db import open_ledger

            self._engine = open_ledger(self.db)
        return self._engine


class JournalGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JournalError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=JournalGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="journal")
@click.option("--db", envvar="JOURNAL_DB", metavar="TARGET",
              help="Ledger database: an SQLite file path or an SQLAlchemy URL "
                   "(postgresql+psycopg://…). Env: JOURNAL_DB. "
                   "Default: $XDG_DATA_HOME/csp-journal/journal.db.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
@click.pass_context
def cli(ctx, db, debug):
    """Trade journal and tax records for cash-secured puts and the wheel at IB.

    \b
    Example:
      journal import ~/statements/          # Flex XML files, recursively
      journal trades --symbol MSFT --format csv
    """
    ctx.obj = Context(db, debug)


def format_option(fn):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(fn)


def emit(rows, columns, fmt):
    click.echo(render(rows, columns, fmt), nl=False)


# The rules and reports keep hundreds of thousands of long-lived objects (a row, a lot, a
# Decimal each); with the default thresholds the cycle collector rescans all of them again
# and again (measured on the 40k ledger: rules 3.1 s -> 2.05 s with these). Cycles are
# still collected, just less often.
GC_THRESHOLDS = (50_000, 20, 20)


def main(argv=None):
    gc.set_threshold(*GC_THRESHOLDS)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="journal")
    except Exception as exc:  # a bug, not a user mistake: user errors exit inside cli.main
        if debug:
            raise
        click.echo(f"Internal error: {type(exc).__name__}: {exc} (run with --debug for the "
                   "traceback, and please report it)", err=True)
        sys.exit(2)


# Commands register themselves on `cli` when their modules are imported.
from journal.cli import commands_db, commands_import, commands_ledger, commands_tax  # noqa: E402,F401,E501
from journal.cli import commands_review  # noqa: E402,F401
from journal.cli import commands_config, commands_fetch  # noqa: E402,F401
from journal.cli import commands_rules  # noqa: E402,F401
