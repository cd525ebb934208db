"""User settings for the rules layer: ``[rules]`` and ``[accounts."<id>"]`` of
``config.toml``, read and checked by :mod:`journal.config`.

A missing file means the defaults: IB's own lot pairing where the statement has
closed-lot detail and FIFO where it has none (tax_rules.md §4, so the ledger
matches the 1099-B whatever method the account uses at IB; ``lot_method = "FIFO"`` ignores
IB's pairing, Reg. §1.1012-1(c)(1)), option wash sales only between identical contracts
(what a 1099-B shows), and the built-in §1256 list.

Example::

    [rules]
    lot_method = "IB"                # IB (default) | FIFO | LIFO | HIFO | SPECIFIC
    option_wash_scope = "identical"  # identical | underlying
    section_1256 = ["XND", "MRUT"]   # extra broad-based index roots

    [accounts."U1234567"]
    lot_method = "HIFO"
    ira = false                      # true: wash-sale replacements here carry no basis
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from journal import config


@dataclass(frozen=True)
class Settings:
    lot_method: str = "IB"
    account_lot_methods: Mapping[str, str] = field(default_factory=dict)
    option_wash_scope: str = "identical"
    section_1256_extra: frozenset = frozenset()
    ira_accounts: frozenset = frozenset()

    def lot_method_for(self, account: str) -> str:
        return self.account_lot_methods.get(account, self.lot_method)


def from_mapping(doc: Mapping[str, Any], where: str = "config.toml") -> Settings:
    """The rules' settings from a whole ``config.toml`` document (checked by
    :func:`journal.config.validate`: an unknown key or a bad value is a ConfigError)."""
    checked = config.validate(doc, where)
    rules = checked.get("rules", {})
    accounts = checked.get(config.ACCOUNTS, {})
    return Settings(
        lot_method=rules.get("lot_method", Settings.lot_method),
        account_lot_methods={acc: conf["lot_method"] for acc, conf in accounts.items()
                             if "lot_method" in conf},
        option_wash_scope=rules.get("option_wash_scope", Settings.option_wash_scope),
        section_1256_extra=frozenset(rules.get("section_1256", ())),
        ira_accounts=frozenset(acc for acc, conf in accounts.items() if conf.get("ira")))


def load_settings(path: Path | None = None) -> Settings:
    """The rules' settings from ``config.toml`` (the defaults when there is none)."""
    return from_mapping(config.load(path), str(path or config.config_path()))
