"""The `journal` command. Thin: parse arguments, call the library, print.

Errors a user can fix become one line on stderr and exit code 1: a JournalError, or a
fault of the database or the disk worded by :func:`journal.errors.describe_fault`.
Anything else is a bug and says so (with the traceback under --debug).

Start-up stays light: ``journal --help`` and ``--version`` load no database layer. This
module and every command module import only click and light journal modules at their top;
a command imports what it needs (SQLAlchemy, pandas, openpyxl…) inside its function.
tests/test_startup.py fails when a command module breaks that.
"""

from __future__ import annotations

import gc
import importlib
import re
import sys
from typing import TYPE_CHECKING, Any

import click

from journal import __version__
from journal.errors import JournalError, describe_bug, describe_fault

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from journal.dbconn import Source

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

FORMATS = ("table", "csv", "json")  # = journal.render.FORMATS (tests/test_startup.py)

# Each top-level command and the module under journal/cli that defines it. A module is
# imported only when one of its commands runs (or `--help` lists them all), so
# `journal --version` and `journal trades` do not pay for every other command's imports.
COMMAND_MODULES = {
    "accounts": "commands_ledger", "trades": "commands_ledger",
    "actions": "commands_actions",
    "calc": "commands_review", "export": "commands_review", "report": "commands_review",
    "review": "commands_review", "summary": "commands_review",
    "config": "commands_config",
    "cycles": "commands_rules", "flags": "commands_rules", "lots": "commands_rules",
    "positions": "commands_rules", "realized": "commands_rules",
    "db": "commands_db",
    "fetch": "commands_fetch",
    "import": "commands_import",
    "serve": "commands_serve",
    "status": "commands_status",
    "tax": "commands_tax",
    "transfers": "commands_transfers",
}

CREATING_COMMANDS = frozenset({("import",), ("fetch",), ("db", "upgrade")})
"""Commands that may create a new ledger; every other one refuses a missing ledger."""


class Context:
    def __init__(self, db: str | None, debug: bool):
        self.db = db
        self.debug = debug
        self._engine: Engine | None = None
        self._ledger: Source | None = None

    def engine(self, *, create: bool | None = None) -> Engine:
        """The ledger, opened on first use. Only CREATING_COMMANDS create it when missing
        (``create`` overrides); an SQLite ledger that cannot be written is opened read-only
        for the commands that only read it."""
        if self._engine is None:
            from journal.db import open_ledger
            from journal.dbconn import engine_of

            if create is None:
                create = _command_path() in CREATING_COMMANDS
            if self._ledger is not None and not create:
                self._engine = engine_of(self._ledger)  # the same ledger, opened already
            else:
                self._engine = open_ledger(self.db, create=create)
        return self._engine

    def ledger(self) -> Source:
        """The ledger for reading it (and its cache) only, opened on first use: an SQLite
        ledger is read through sqlite3 without loading SQLAlchemy
        (:func:`journal.db.open_reader`); never created."""
        if self._ledger is None:
            if self._engine is not None:
                self._ledger = self._engine
            else:
                from journal.db import open_reader

                self._ledger = open_reader(self.db)
        return self._ledger

    def ledger_label(self) -> str:
        """The ledger as messages name it: a path, or a URL without its password."""
        from journal.config import database_url

        url = database_url(self.db)
        if url.startswith("sqlite:///"):
            return url[len("sqlite:///"):]
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def _command_path() -> tuple[str, ...]:
    ctx = click.get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return tuple(reversed(names))


class JournalGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"journal.cli.{COMMAND_MODULES[cmd_name]}")
        return self.commands.get(cmd_name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except JournalError as exc:
            raise click.ClickException(str(exc)) from exc
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            obj = ctx.obj
            if obj is None or obj.debug:
                raise
            line = describe_fault(exc, obj.ledger_label())
            if line is None:
                raise
            raise click.ClickException(line) from None


@click.group(cls=JournalGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="journal")
@click.option("--db", envvar="JOURNAL_DB", metavar="TARGET",
              help="Ledger database: an SQLite file path or an SQLAlchemy URL "
                   "(postgresql+psycopg://…). Env: JOURNAL_DB. "
                   "Default: $XDG_DATA_HOME/csp-journal/journal.db.")
@click.option("--debug", is_flag=True, help="Show tracebacks (with SQL) for errors.")
@click.pass_context
def cli(ctx, db, debug):
    """Trade journal and tax records for cash-secured puts and the wheel at IB.

    \b
    Example:
      journal import ~/statements/          # Flex XML files, recursively
      journal trades --symbol MSFT --format csv
    """
    ctx.obj = Context(db, debug)


class _LazyModule:
    """Stands for a module and imports it on first attribute access."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


def lazy_module(name: str) -> Any:
    """``review = lazy_module("journal.review")`` at the top of a command module: the
    module is imported when a command first uses it, not when ``journal --help`` runs."""
    return _LazyModule(name)


def format_option(fn):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="Output format.")(fn)


def emit(rows, columns, fmt):
    from journal.output import render

    click.echo(render(rows, columns, fmt), nl=False)


# The rules and reports keep hundreds of thousands of long-lived objects (a row, a lot, a
# Decimal each); with the default thresholds the cycle collector rescans all of them again
# and again (measured on the 40k ledger: rules 3.1 s -> 2.05 s with these). Cycles are
# still collected, just less often.
GC_THRESHOLDS = (50_000, 20, 20)


_EXITING = False  # main() runs: the process ends when the command returns


def keep_until_exit(*values: object) -> None:
    """Leave ``values`` to the operating system: in a ``journal`` process, which ends when
    the command returns, freeing a large result one object at a time is wasted work (the
    rules' result of the 46.5k-trade ledger: 0.17 s CPU, whether freed when the command
    returns or at interpreter exit). Anywhere else (tests, the web server) a no-op.
    Nothing that holds an open connection or file may be passed: it is never closed."""
    if _EXITING:
        cell: list = [values]
        cell.append(cell)  # garbage only the cycle collector could free...
        gc.freeze()  # ...which never looks at frozen objects again, exit included


def main(argv=None):
    global _EXITING
    gc.set_threshold(*GC_THRESHOLDS)
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    _EXITING = True
    try:
        cli.main(args=argv, prog_name="journal")
    except Exception as exc:  # a bug, not a user mistake: user errors exit inside cli.main
        if debug:
            raise
        click.echo(f"Internal error: {describe_bug(exc)} (run with --debug for the "
                   "traceback, and please report it)", err=True)
        sys.exit(2)
    finally:
        _EXITING = False


def all_commands() -> dict[str, click.Command]:
    """Every top-level command, their modules imported (for listings and the docs)."""
    for module in sorted(set(COMMAND_MODULES.values())):
        importlib.import_module(f"journal.cli.{module}")
    return dict(cli.commands)
