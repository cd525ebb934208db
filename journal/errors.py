"""Domain exceptions. The CLI turns every JournalError into a one-line message, exit 1."""

from __future__ import annotations


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
