"""Domain exceptions, and the one place that words faults a user can fix.

The CLI turns every JournalError into a one-line message and exit code 1. Faults of the
database or the disk (full, read-only, locked, damaged, a lost PostgreSQL connection)
arrive as driver exceptions instead; :func:`describe_fault` words them in one line that
says what happened and what to do. Such a line never quotes SQL or bound parameters (the
driver's messages can carry whole trade rows, account ids included): those are shown only
under ``--debug``, with the traceback.
"""

from __future__ import annotations

import errno

MAX_QUOTE = 200
"""Characters of a foreign message (a driver's, a server's) that a line may quote."""


class JournalError(Exception):
    """Base class for errors a user can act on (bad input, bad settings)."""


class StatementError(JournalError):
    """A statement file cannot be read. The message starts with ``path:line:`` when known."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class SchemaError(JournalError):
    """The database schema does not match this version of the code."""


class ConfigError(JournalError):
    """A setting (command line, environment, config file) is invalid."""


class LedgerError(JournalError):
    """The ledger cannot be opened, read or written as asked; the message says why."""


class NoLedger(LedgerError):
    """There is no ledger where one was asked for (``exists``: a file or database is
    there, but empty)."""

    def __init__(self, message: str, exists: bool = False):
        self.exists = exists
        super().__init__(message)


def quote(text: object, limit: int = MAX_QUOTE) -> str:
    """The first line of ``text``, cut to ``limit`` characters."""
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[:limit] + f"… ({len(line) - limit:,} more)"


def _causes(exc: BaseException):
    """The exception, the driver's own exception inside it, and their causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__, e.__context__]


_SQLITE = (  # (words in SQLite's message, what happened: {0} is the ledger)
    ("database or disk is full",
     ("the disk holding the ledger {0} is full: nothing was written — free some space and "
      "run the command again")),
    ("readonly database",
     ("the ledger {0} is read-only: nothing was written — check the permissions of the file "
      "and of its folder, or pass --db")),
    ("database is locked",
     ("the ledger {0} is locked by another journal process (an import?) and stayed locked "
      "too long — run the command again when it has finished")),
    ("database table is locked",
     ("the ledger {0} is locked by another journal process — run the command again when it "
      "has finished")),
    ("file is not a database",
     "{0} is not a journal ledger (not an SQLite database) — check --db"),
    ("malformed",
     ("the ledger {0} is damaged (database disk image is malformed) — `journal db check` "
      "shows what is wrong; restore its newest backup ({0}.bak-*, written by `journal db "
      "backup` and before upgrades)")),
    ("disk i/o error",
     ("cannot read or write the ledger {0}: disk I/O error — check the disk, then "
      "`journal db check`")),
    ("unable to open database file",
     "cannot open the ledger {0}: check that its folder exists and can be written"),
)

_PG_STATES = {  # SQLSTATE -> what happened on the PostgreSQL server
    "53100": "the PostgreSQL server's disk is full: nothing was written — free some space "
             "on the server and run the command again",
    "53200": "the PostgreSQL server ran out of memory — run the command again later",
    "55P03": "the ledger {} is locked by another journal process — run the command again "
             "when it has finished",
    "57014": "the PostgreSQL server cancelled the command (a statement or lock timeout) — "
             "run it again when the ledger is not busy",
    "25006": "the PostgreSQL database {} is read-only: nothing was written",
    "42501": "the PostgreSQL user may not read or write the ledger {}: grant it access, or "
             "pass --db with another user",
    "28P01": "the PostgreSQL server refused the password for {}",
    "28000": "the PostgreSQL server refused the connection for {} (check pg_hba.conf and "
             "the user name)",
    "3D000": "the PostgreSQL database of {} does not exist — create it (createdb) or "
             "check --db",
}

_OS = {  # errno -> what happened to a file we were writing or reading
    errno.ENOSPC: "the disk is full — free some space and run the command again",
    errno.EDQUOT: "the disk quota is used up — free some space and run the command again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "the folder does not exist",
    errno.EIO: "disk I/O error — check the disk",
}


def describe_ledger(exc: BaseException, ledger: str) -> str | None:
    """One line for a database fault a user can fix, naming ``ledger``; None otherwise."""
    for e in _causes(exc):
        state = getattr(e, "sqlstate", None)
        module = type(e).__module__
        if state in _PG_STATES:
            return _PG_STATES[state].format(ledger)
        if module.startswith("psycopg") and (
                (state or "").startswith(("08", "57P")) or _is_psycopg_connection_error(e)):
            # "connection failed: …" is psycopg's word for a connection never made
            what = ("cannot connect to" if str(e).startswith("connection failed")
                    else "lost the connection to")
            return (f"{what} the PostgreSQL server of {ledger}: {quote(e)} — check that the "
                    "server is running and reachable, then run the command again")
        if module == "sqlite3":
            text = str(e).lower()
            for words, line in _SQLITE:
                if words in text:
                    return line.format(ledger)
    return None


def _is_psycopg_connection_error(e: BaseException) -> bool:
    # psycopg raises OperationalError without a SQLSTATE when the connection itself fails
    # (refused, reset, closed by the server): the client never got an answer.
    return type(e).__name__ == "OperationalError" and getattr(e, "sqlstate", None) is None


def describe_fault(exc: BaseException, ledger: str) -> str | None:
    """One line for a fault a user can fix (database, disk, files), else None: a bug."""
    line = describe_ledger(exc, ledger)
    if line is not None:
        return line
    for e in _causes(exc):
        if isinstance(e, OSError) and e.errno in _OS:
            return f"cannot write or read {e.filename or 'a file'}: {_OS[e.errno]}"
    return None


def fault_reason(exc: BaseException) -> str:
    """A few words for why a file could not be written (for messages that say which file
    and what was left unchanged themselves)."""
    for e in _causes(exc):
        if isinstance(e, OSError) and e.errno in _OS:
            return _OS[e.errno]
        text = str(e).lower()
        if "database or disk is full" in text:
            return _OS[errno.ENOSPC]
        if "readonly database" in text:
            return _OS[errno.EROFS]
    return quote(getattr(exc, "strerror", None) or exc)


def describe_bug(exc: BaseException) -> str:
    """The one line shown for an unexpected error: its type and the start of its message,
    from the driver's own exception when there is one (SQLAlchemy's message quotes the SQL
    and its parameters)."""
    inner = getattr(exc, "orig", None) or exc
    return f"{type(inner).__name__}: {quote(inner)}"
