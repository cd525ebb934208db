"""User settings for the rules layer, read from ``config.toml`` in the config directory.

Only the sections this module owns are read (``[rules]`` and ``[accounts."<id>"]``); other
sections of the same file (e.g. ``[checklist]``) belong to other parts of the program and
are ignored here. A missing file means the defaults: IB's own lot pairing where the
statement has closed-lot detail and FIFO where it has none (tax_rules.md §4, so the ledger
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

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from journal.config import config_dir
from journal.errors import ConfigError

# IB: the lots IB relieved (closed-lot rows) where the statement has them, else FIFO;
# SPECIFIC: the same, but a sale without closed-lot detail is FLAGged.
LOT_METHODS = ("FIFO", "IB", "LIFO", "HIFO", "SPECIFIC")
WASH_SCOPES = ("identical", "underlying")
# tax_rules.md §3 calls the stricter method "same_underlying"; accept both spellings.
_SCOPE_ALIASES = {"same_underlying": "underlying"}


@dataclass(frozen=True)
class Settings:
    lot_method: str = "IB"
    account_lot_methods: Mapping[str, str] = field(default_factory=dict)
    option_wash_scope: str = "identical"
    section_1256_extra: frozenset = frozenset()
    ira_accounts: frozenset = frozenset()

    def lot_method_for(self, account: str) -> str:
        return self.account_lot_methods.get(account, self.lot_method)


def config_path() -> Path:
    return config_dir() / "config.toml"


def _lot_method(value, where: str) -> str:
    v = str(value).strip().upper()
    if v not in LOT_METHODS:
        raise ConfigError(f"{where}: lot_method {value!r} is not one of {', '.join(LOT_METHODS)}")
    return v


def from_mapping(doc: dict, where: str = "config.toml") -> Settings:
    rules = doc.get("rules", {}) or {}
    if not isinstance(rules, dict):
        raise ConfigError(f"{where}: [rules] must be a table")
    lot_method = _lot_method(rules.get("lot_method", "IB"), f"{where} [rules]")
    scope = str(rules.get("option_wash_scope", "identical")).strip().lower()
    scope = _SCOPE_ALIASES.get(scope, scope)
    if scope not in WASH_SCOPES:
        raise ConfigError(f"{where} [rules]: option_wash_scope {scope!r} is not one of "
                          f"{', '.join(WASH_SCOPES)}")
    extra = rules.get("section_1256", [])
    if isinstance(extra, str):
        extra = [extra]
    if not isinstance(extra, list):
        raise ConfigError(f"{where} [rules]: section_1256 must be a list of symbols")
    per_account: dict[str, str] = {}
    ira: set[str] = set()
    accounts = doc.get("accounts", {}) or {}
    if not isinstance(accounts, dict):
        raise ConfigError(f"{where}: [accounts] must be a table of [accounts.\"<id>\"] tables")
    for acc, conf in accounts.items():
        if not isinstance(conf, dict):
            raise ConfigError(f"{where}: [accounts.\"{acc}\"] must be a table")
        if "lot_method" in conf:
            per_account[acc] = _lot_method(conf["lot_method"], f"{where} [accounts.\"{acc}\"]")
        if conf.get("ira"):
            ira.add(acc)
    return Settings(lot_method=lot_method, account_lot_methods=per_account,
                    option_wash_scope=scope,
                    section_1256_extra=frozenset(str(s).strip().upper() for s in extra),
                    ira_accounts=frozenset(ira))


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return from_mapping(doc, str(path))
