"""`journal fetch` as a library: find the token, download a statement, save it safely.

The token is read from an environment variable or ``[flex]`` of config.toml, never from
the command line (argv is visible to other users in ``ps`` and lands in shell history).
The statement is downloaded before the ledger is opened and saved before it is imported,
so the ledger's write lock is held only while the import writes, and a failed import can
be retried with ``journal import FILE``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from journal import config
from journal.errors import ConfigError, JournalError, fault_reason
from journal.files import write_atomically
from journal.flexws import DEFAULT_URL, FlexWebClient, Statement

DEFAULT_TOKEN_ENV = "IB_FLEX_TOKEN"


def resolve_token(token_env: str | None) -> str:
    """The token from ``$token_env`` when named, else $IB_FLEX_TOKEN, else [flex] token."""
    name = token_env or DEFAULT_TOKEN_ENV
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if token_env:  # the user named a variable: do not silently fall back to another source
        raise ConfigError(f"the environment variable {name} is not set or empty")
    token = str(config.section("flex").get("token", "")).strip()
    if token:
        return token
    raise ConfigError(
        f"no Flex Web Service token: set {DEFAULT_TOKEN_ENV} (or the variable named by "
        f"--token-env), or put token = \"…\" under [flex] in {config.config_path()}")


def service_url(url: str | None) -> str:
    """``--url``, else ``url`` under [flex], else IB's endpoint."""
    return url or config.section("flex").get("url") or DEFAULT_URL


def default_save_dir() -> Path:
    return config.data_dir() / "statements"


def download(query_id: str, *, token: str, url: str,
             log: Callable[[str], None] | None = None, **client_options: Any) -> Statement:
    """The statement of Flex query ``query_id`` (its bytes, and "xml" or "csv")."""
    return FlexWebClient(token, base_url=url, log=log, **client_options).fetch(query_id)


def save_statement(content: bytes, folder: Path, query_id: str, kind: str) -> Path:
    """Write ``flex_<query>_<stamp>.<kind>`` into ``folder``, readable by the owner only
    (statements hold names and amounts). Written under a ``.part`` name, flushed and then
    renamed, so a crash or a full disk never leaves a truncated statement to import."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"flex_{query_id}_{stamp}.{kind}"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"flex_{query_id}_{stamp}_{n}.{kind}"
        write_atomically(path, content, exclusive=True)
    except OSError as exc:
        raise JournalError(f"cannot save the statement in {folder}: {fault_reason(exc)}; "
                           "nothing was imported (--save DIR picks another folder)") from None
    return path
