"""Alembic environment for the journal ledger.

Used two ways: by ``journal`` itself (journal.db.upgrade passes its open connection in
``config.attributes["connection"]``), and by developers running ``alembic`` from the repo
root (pyproject's [tool.alembic]); then the database is ``-x db=…``, ``JOURNAL_DB`` or the
default ledger.
"""

from alembic import context
from sqlalchemy import create_engine

import journal.models
from journal.config import database_url

target_metadata = journal.models.metadata
config = context.config


def _configure(**kw):
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch recreates tables
        compare_type=True,
        **kw,
    )


def run_migrations_offline() -> None:
    _configure(url=database_url(context.get_x_argument(as_dictionary=True).get("db")),
               literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = database_url(context.get_x_argument(as_dictionary=True).get("db"))
    engine = create_engine(url)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
