"""What a report reads: the ledger (read model) and the rules' result computed from that
same read, so the two can never come from different ledger states (an import committing
between two reads would otherwise mix them, issue 15 §2.2).

Commands that need only the rules' result call :func:`journal.rules.analyze`; those that
also need the ledger's rows (summaries, review, positions, status, exports) call
:func:`load`. This is the one place a derived-state cache would hook in for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult


@dataclass(frozen=True)
class Source:
    data: LedgerData
    result: RuleResult

    @property
    def account_ids(self) -> list[str]:
        return [a.account for a in self.data.accounts]


def rules_for(data: LedgerData, as_of: date | None = None) -> RuleResult:
    """The rules over ``data`` with the user's settings and prices CSV, exactly as
    :func:`journal.rules.analyze` runs them (a seam tests replace with a known result)."""
    from journal import rules
    from journal.settings import load_settings

    return rules.run_rules(rules._with_user_prices(data), load_settings(), as_of)


def load(engine, *, as_of: date | None = None) -> Source:
    from journal.readmodel import load_ledger

    data = load_ledger(engine)
    return Source(data, rules_for(data, as_of))
