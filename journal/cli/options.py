"""Options every listing shares, as decorators (sqlite-utils' ``output_options`` habit):
the output format and column choice, the one ``--account`` filter and ``--as-of``.

Each decorator hands the command one value instead of several flags: ``out`` (an
:class:`Output` that renders typed tables), ``accounts`` (a
:class:`~journal.views.filters.Accounts`), ``as_of`` (a date or None).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

import click

from journal.views.filters import Accounts
from journal.views.table import Table, sections_table

FORMATS = ("table", "csv", "json")


class OptionError(click.ClickException):
    """A mistake in the options: one line (``Error: …``), exit code 2 like click's usage
    errors, without the usage text that buries the message."""

    exit_code = 2


def one_of(**flags: bool) -> None:
    """Refuse flags that exclude each other (``--monthly --yearly``) instead of letting
    one silently win."""
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        names = [f"--{n.replace('_', '-')}" for n in flags]
        raise OptionError(f"use only one of {', '.join(names[:-1])} and {names[-1]} "
                          f"(got {' and '.join('--' + g.replace('_', '-') for g in given)})")


class DecimalType(click.ParamType):
    """A number typed on the command line, kept exact (no float on the way)."""

    name = "number"

    def convert(self, value, param, ctx):
        if isinstance(value, Decimal):
            return value
        try:
            d = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            d = None
        if d is None or not d.is_finite():
            where = f"{param.opts[0]}: " if param is not None else ""
            raise OptionError(f"{where}{value!r} is not a number")
        return d


NUMBER = DecimalType()


class Output:
    def __init__(self, fmt: str = "table", columns: Sequence[str] | None = None,
                 all_columns: bool = False):
        self.fmt = fmt
        self.columns = list(columns) if columns else None
        self.all_columns = all_columns

    @property
    def is_table(self) -> bool:
        return self.fmt == "table"

    def text(self, table: Table) -> str:
        from journal.render import render

        return render(table, self.fmt, columns=self.columns, all_columns=self.all_columns)

    def emit(self, table: Table) -> None:
        from journal.render import render_chunks

        for chunk in render_chunks(table, self.fmt, columns=self.columns,
                                   all_columns=self.all_columns):
            click.echo(chunk, nl=False)

    def emit_sections(self, parts: Sequence[tuple[str, Table]]) -> None:
        click.echo(self.sections_text(parts), nl=False)

    def sections_text(self, parts: Sequence[tuple[str, Table]]) -> str:
        """Several tables: one after another on screen (each titled), one listing with a
        ``section`` column in CSV and JSON."""
        if not self.is_table:
            return self.text(sections_table(parts))
        keys = set(self.columns or ())
        if keys:
            from journal.errors import JournalError

            known = {k for _n, t in parts for k in t.keys}
            if keys - known:
                raise JournalError(f"unknown column {', '.join(sorted(keys - known))} "
                                   f"(columns: {', '.join(sorted(known))})")
        from journal.render import render

        texts = []
        for _name, t in parts:
            if keys:
                # A section with none of the chosen columns is left out: it would be a
                # table of no columns.
                chosen = [k for k in self.columns or () if k in t.keys]
                if not chosen:
                    continue
                t = t.select(chosen)
            texts.append(render(t, "table", all_columns=self.all_columns))
        return "\n".join(texts)


def _split(_ctx, _param, value: str | None):
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def output_options(fn):
    """--format, --columns, --all-columns, handed to the command as ``out``."""
    @functools.wraps(fn)
    def wrapper(*args, fmt, columns, all_columns, **kwargs):
        return fn(*args, out=Output(fmt, columns, all_columns), **kwargs)

    for decorator in reversed((
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                     show_default=True, help="Output format (csv and json: every column, "
                                             "exact values)."),
        click.option("--columns", callback=_split, metavar="KEY,…",
                     help="Only these columns, in this order (keys as in csv/json)."),
        click.option("--all-columns", is_flag=True,
                     help="Every column in the terminal, not only the key ones."),
    )):
        wrapper = decorator(wrapper)
    return wrapper


def account_option(fn):
    """--account (repeatable), handed to the command as ``accounts``."""
    @functools.wraps(fn)
    def wrapper(*args, account, **kwargs):
        return fn(*args, accounts=Accounts.of(account), **kwargs)

    return click.option("--account", multiple=True, metavar="ACCOUNT",
                        help="Only this account (repeatable).")(wrapper)


def as_of_option(help_text: str = "The day to measure at [default: today]."):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, as_of, **kwargs):
            return fn(*args, as_of=as_of.date() if as_of else None, **kwargs)

        return click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
                            help=help_text)(wrapper)
    return decorate


def today() -> date:
    """The wall-clock day: only ever a default for --as-of."""
    return date.today()


def the_one(items, key: str, account: str | None, noun: str, lister: str):
    """The item whose ``key`` the user named (``--account`` narrows it): one line naming
    ``lister`` when there is none, and asking for ``--account`` when several accounts
    hold it."""
    from journal.errors import JournalError

    found = [i for i in items if i.key == key and (not account or i.account == account)]
    if not found:
        raise JournalError(f"no {noun} {key}" + (f" in account {account}" if account else "")
                           + f" ({lister} lists them)")
    accounts = sorted({i.account for i in found})
    if len(accounts) > 1:
        raise JournalError(f"{noun} {key} is in accounts {', '.join(accounts)}: "
                           "pass --account")
    return found[0]
