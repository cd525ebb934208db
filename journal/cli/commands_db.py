"""`journal db`: schema status, upgrade and backup."""

from __future__ import annotations

import click

from journal.cli import cli


@cli.group()
def db():
    """Inspect, upgrade or back up the ledger database."""


@db.command()
@click.pass_obj
def check(obj):
    """Show the schema revision of the database and of this program; exit 1 if they differ."""
    from journal.db import make_engine, schema_status, table_counts

    from journal.db import known_revision

    engine = make_engine(obj.db)
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        from pathlib import Path

        if not Path(url.database).exists():  # checking must not create the file
            raise click.ClickException(f"no ledger at {url.database}")
    current, heads = schema_status(engine)
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"schema revision: {current or '(empty)'}; latest: {', '.join(heads)}")
    if current in heads:
        for name, n in sorted(table_counts(engine).items()):
            click.echo(f"  {name}: {n}")
        click.echo("ok")
        return
    if current is None:
        click.echo("the database is empty: `journal db upgrade` (or any command) creates it")
    elif not known_revision(current):
        click.echo(f"the database was written by a newer csp-journal (revision {current} is "
                   "unknown here): upgrade the program, not the database")
    else:
        click.echo("the database is older than this program: `journal db upgrade` upgrades "
                   "it (an SQLite file is backed up first)")
    raise SystemExit(1)


@db.command()
@click.pass_obj
def upgrade(obj):
    """Upgrade the database to the latest schema (backing up an SQLite file first)."""
    from journal.db import make_engine, upgrade as do_upgrade

    backup = do_upgrade(make_engine(obj.db))
    if backup:
        click.echo(f"backup written to {backup}")
    click.echo("schema is up to date")


@db.command()
@click.pass_obj
def backup(obj):
    """Write a timestamped copy of an SQLite ledger next to it."""
    from journal.db import backup_sqlite, make_engine

    path = backup_sqlite(make_engine(obj.db))
    if path is None:
        raise click.ClickException("only SQLite ledgers are backed up by journal; "
                                   "use pg_dump for PostgreSQL")
    click.echo(f"backup written to {path}")
