"""execution: typed columns only for what the rules, reports and keys read

The other attributes of an execution (exchange, settlement and report dates, order type,
exec id, zone suffix, trade money, the orig-/related- references …) were converted and
stored twice: in their own columns and in ``raw``. Nothing read the columns; ``raw`` keeps
every one of them exactly as IB wrote it, so dropping the columns loses nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 07:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import journal.sqltypes

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ('ib_exec_id', lambda: sqlmodel.sql.sqltypes.AutoString(length=80)),
    ('underlying_conid', lambda: sqlmodel.sql.sqltypes.AutoString(length=32)),
    ('time_zone', lambda: sqlmodel.sql.sqltypes.AutoString(length=8)),
    ('report_date', sa.Date),
    ('settle_date', sa.Date),
    ('trade_money', journal.sqltypes.DecimalText),
    ('commission_currency', lambda: sqlmodel.sql.sqltypes.AutoString(length=16)),
    ('exchange', lambda: sqlmodel.sql.sqltypes.AutoString(length=32)),
    ('order_type', lambda: sqlmodel.sql.sqltypes.AutoString(length=32)),
    ('orig_trade_date', sa.Date),
    ('orig_trade_price', journal.sqltypes.DecimalText),
    ('orig_order_id', lambda: sqlmodel.sql.sqltypes.AutoString(length=40)),
    ('related_trade_id', lambda: sqlmodel.sql.sqltypes.AutoString(length=40)),
    ('related_transaction_id', lambda: sqlmodel.sql.sqltypes.AutoString(length=40)),
]


def upgrade() -> None:
    with op.batch_alter_table('execution', schema=None) as batch_op:
        for name, _type in DROPPED:
            batch_op.drop_column(name)


def downgrade() -> None:
    # The values are in each row's raw attributes; the columns come back empty.
    with op.batch_alter_table('execution', schema=None) as batch_op:
        for name, type_ in DROPPED:
            batch_op.add_column(sa.Column(name, type_(), nullable=True))
