"""Where the ledger lives and where user settings are read from."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "csp-journal"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME


def default_db_path() -> Path:
    return data_dir() / "journal.db"


def database_url(target: str | os.PathLike | None = None) -> str:
    """Turn ``--db``/``JOURNAL_DB`` into an SQLAlchemy URL.

    A value containing ``://`` is taken as a URL (``postgresql+psycopg://…``,
    ``sqlite:///…``); anything else is a path to an SQLite file.
    """
    if target is None or str(target) == "":
        target = os.environ.get("JOURNAL_DB") or default_db_path()
    text = str(target)
    if "://" in text:
        if text.startswith("postgresql://") or text.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
            text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    path = Path(text).expanduser()
    return f"sqlite:///{path}"
