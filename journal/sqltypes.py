"""Column types shared by the models and the migrations (keep this module stable).

Money and quantities are stored as TEXT holding the exact Decimal string: SQLite has no
decimal type (SQLAlchemy's Numeric goes through float there), and one representation on
every backend keeps SQLite and PostgreSQL ledgers byte-identical.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.types import String, TypeDecorator


class DecimalText(TypeDecorator):
    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            # A float here is a programming error: it has already lost exactness.
            raise TypeError("DecimalText refuses float values; pass Decimal or str")
        return str(Decimal(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(value)
