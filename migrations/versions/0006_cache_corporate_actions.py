"""the ledger version also moves with corporate actions, transfers and the user's facts

Migration 0004 made every write to the rules' input tables raise ``ledger_state.version``
(the key of the derived-state cache and of journal serve's memo). The tables of 0005 are
inputs of the rules too: IB's corporate actions and transfers, the user's transfer basis
(``journal transfers basis``) and corporate-action overrides (``journal actions set``),
the last two written without any import.

Revision ID: 0006_cache_corporate_actions
Revises: 0005_corporate_actions
Create Date: 2026-11-30 10:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006_cache_corporate_actions'
down_revision: str | None = '0005_corporate_actions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL = ("INSERT", "UPDATE", "DELETE")
TRIGGERS = {"corporate_action": ALL, "transfer": ALL, "transfer_basis": ALL,
            "corporate_action_override": ALL}


def trigger_ddl(dialect: str, table: str, ops: Sequence[str]) -> list[str]:
    """As in 0004 (a migration keeps its own copy: it must not change with later code)."""
    if dialect == "postgresql":
        events = " OR ".join(ops) + (" OR TRUNCATE" if "DELETE" in ops else "")
        return [(f"CREATE TRIGGER ledger_version_{table} AFTER {events} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION journal_bump_ledger_version()")]
    return [f"CREATE TRIGGER ledger_version_{table}_{o.lower()} AFTER {o} ON {table} "
            "FOR EACH ROW BEGIN UPDATE ledger_state SET version = version + 1 WHERE id = 1; END"
            for o in ops]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, ops in TRIGGERS.items():
        for statement in trigger_ddl(dialect, table, ops):
            op.execute(statement)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for table, ops in TRIGGERS.items():
        for o in ops if not pg else ("",):
            name = f"ledger_version_{table}{'_' + o.lower() if o else ''}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else ""))
