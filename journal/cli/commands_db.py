"""`journal db`: check, upgrade and back up the ledger database."""

from __future__ import annotations

import click

from journal.cli import cli


@cli.group()
def db():
    """Check, upgrade or back up the ledger database."""


@db.command()
@click.pass_obj
def check(obj):
    """Check the ledger: its schema revision against this program's, its tables and
    columns, and (SQLite) every page and index (PRAGMA integrity_check). Exit 1 unless
    all is well.

    \b
    Example:
      journal db check
    """
    from sqlalchemy.exc import DatabaseError

    from journal import db as jdb
    from journal.errors import NoLedger

    try:
        engine = jdb.engine_for(obj.db, create=False)
    except NoLedger as exc:
        if not exc.exists:
            raise
        engine = jdb.make_engine(obj.db, read_only=True)  # an empty file: say so below
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
    for leftover in jdb.partial_backups(engine):
        click.echo(f"note: {leftover} is what remains of an interrupted backup; delete it")
    try:
        current, heads = jdb.schema_status(engine)
    except DatabaseError:  # even the schema revision cannot be read
        _damaged(jdb.integrity_problems(engine), engine)
    click.echo(f"schema revision: {current or '(empty)'}; latest: {', '.join(heads)}")
    if current not in heads:
        click.echo(_revision_advice(current, jdb.known_revision(current) if current else True))
        raise SystemExit(1)
    problems = jdb.integrity_problems(engine)
    if not problems:  # reading the schema of a damaged file fails on its damage
        problems = jdb.schema_problems(engine)
    if problems:
        _damaged(problems, engine)
    for name, n in sorted(jdb.table_counts(engine).items()):
        click.echo(f"  {name}: {n}")
    click.echo("ok")


def _damaged(problems, engine):
    from journal.db import sqlite_file

    for p in problems or ["the database cannot be read"]:
        click.echo(f"  problem: {p}")
    path = sqlite_file(engine.url)
    backups = f" ({path.name}.bak-* next to it)" if path else ""
    click.echo(f"not ok: the ledger is damaged — restore its newest backup{backups}, or "
               "import the statements again into a new ledger")
    raise SystemExit(1)


def _revision_advice(current: str | None, known: bool) -> str:
    if current is None:
        return "the database is empty: `journal db upgrade` (or `journal import`) creates it"
    if not known:
        return (f"the database was written by a newer csp-journal (revision {current} is "
                "unknown here): upgrade the program, not the database")
    return ("the database is older than this program: `journal db upgrade` upgrades it (an "
            "SQLite file is backed up first)")


@db.command()
@click.pass_obj
def upgrade(obj):
    """Upgrade the database to the latest schema (backing up an SQLite file first); create
    it when it does not exist."""
    from journal import db as jdb

    backup = jdb.upgrade(jdb.engine_for(obj.db, create=True))
    if backup:
        click.echo(f"backup written to {backup}")
    click.echo("schema is up to date")


@db.command()
@click.pass_obj
def backup(obj):
    """Write a timestamped copy of an SQLite ledger next to it (LEDGER.bak-manual-STAMP)."""
    from journal import db as jdb

    path = jdb.backup_sqlite(jdb.engine_for(obj.db, create=False))
    if path is None:
        raise click.ClickException("only SQLite ledgers are backed up by journal; "
                                   "use pg_dump for PostgreSQL")
    click.echo(f"backup written to {path}")
