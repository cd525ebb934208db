"""The one account filter every listing and report uses (``--account``, repeatable)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from journal.errors import JournalError


@dataclass(frozen=True)
class Accounts:
    """Accounts to keep; empty keeps all."""

    wanted: frozenset[str] = frozenset()

    @classmethod
    def of(cls, accounts: Iterable[str] | str | None) -> Accounts:
        if accounts is None:
            return cls()
        if isinstance(accounts, str):
            accounts = (accounts,)
        return cls(frozenset(a for a in accounts if a))

    def __bool__(self) -> bool:
        return bool(self.wanted)

    def keep(self, account: str | None) -> bool:
        return not self.wanted or account in self.wanted

    def rows(self, items: Iterable, attr: str = "account") -> list:
        """The items (records with an ``account``) this filter keeps."""
        if not self.wanted:
            return list(items)
        return [x for x in items if getattr(x, attr) in self.wanted]

    def check(self, known: Iterable[str]) -> None:
        """Refuse an account the ledger does not hold: a typo would otherwise print an
        empty listing (or zeros on a tax form) as if that were the answer."""
        known = sorted(set(known))
        missing = sorted(self.wanted - set(known))
        if missing:
            has = ", ".join(known) if known else "none yet: run journal import first"
            noun = "account" if len(missing) == 1 else "accounts"
            verb = "is" if len(missing) == 1 else "are"
            raise JournalError(f"{noun} {', '.join(missing)} {verb} not in the ledger "
                               f"(it has {has})")

    @property
    def sorted(self) -> tuple[str, ...]:
        return tuple(sorted(self.wanted))


ALL = Accounts()  # the default filter: every account
