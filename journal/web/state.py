"""What the server knows about the ledger between requests: the read model and the
rules' result of its current state, and every table a page derived from them.

A page must render in a few hundred milliseconds on a ledger whose rules pass takes
seconds, so nothing is recomputed while the ledger is unchanged: each request first reads
the ledger's *version* (the counter every write raises in its own transaction, which the
derived-state cache keys on too: :func:`journal.cache.ledger_version`) and the user's
settings files (the rules read config.toml and the CSVs it names); while those are the
same, every table is served from memory. Anything different drops the whole memo.

Why this cannot serve a stale page: the version is read *before* the ledger, so a write
committing in between leaves the memo under the older version, which the next request no
longer matches (the page is then computed again). The read model itself is one snapshot
(``journal.db.snapshot``), so a page never mixes two states of the ledger.

The rules' result without ``as_of`` comes from :func:`journal.views.source.load`, the
read every report shares: on an unchanged ledger the derived-state cache gives it without
running the rules, so a restarted server's first page is fast too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from journal.readmodel import LedgerData
    from journal.rules.types import RuleResult
    from journal.views.source import Source


def _stat(path) -> tuple:
    if not path:
        return ("-",)
    try:
        st = os.stat(os.path.expanduser(str(path)))
    except OSError:
        return (str(path), "missing")
    return (str(path), st.st_mtime_ns, st.st_size)


def ledger_version(engine) -> Hashable:
    """A value that changes with every import, re-import, cancellation and override: the
    ledger version the derived-state cache keys on (:func:`journal.cache.ledger_version`,
    raised by triggers in each write's own transaction), so the server and the cache
    agree on what "unchanged" means. A ledger without it (an old schema opened
    read-only) falls back to the import batches and the cycle overrides."""
    from journal.cache import ledger_version as kept_version

    version = kept_version(engine)
    if version is not None:
        return version
    from sqlalchemy import func, select

    from journal import models
    from journal.db import snapshot

    ib = models.table("import_batch")
    co = models.table("cycle_override")
    with snapshot(engine) as conn:
        batches = tuple(conn.execute(select(func.count(), func.max(ib.c.id))).one())
        overrides = tuple(conn.execute(select(func.count(), func.max(co.c.id))).one())
    return ("aggregates", *batches, *overrides)


@dataclass
class _Generation:
    version: Hashable
    values: dict = field(default_factory=dict)
    locks: dict = field(default_factory=dict)


class LedgerState:
    """The memo of one ledger; safe to share between the server's worker threads (each
    table is computed once even when several requests ask for it together)."""

    def __init__(self, engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._gen = _Generation(None)
        self._settings_key: tuple | None = None
        self._settings_files: tuple = ()

    def _inputs(self) -> tuple:
        """The user's files the rules and the checklist read, by modification time."""
        from journal.config import config_path

        key = _stat(config_path())
        if key != self._settings_key:
            from journal import checklist
            from journal.errors import JournalError

            files: tuple[str, ...]
            try:
                s = checklist.load_settings()
                files = (s.prices_csv, s.earnings_csv, s.cash_csv)
            except JournalError:  # a broken config is reported by the page that reads it
                files = ()
            self._settings_key, self._settings_files = key, files
        return (key, *(_stat(f) for f in self._settings_files))

    def version(self) -> Hashable:
        """The ledger's and the settings' current version (read once per request)."""
        return (ledger_version(self.engine), self._inputs())

    def get(self, version: Hashable, name: Hashable, compute: Callable[[], Any]) -> Any:
        """The value ``name`` of the ledger at ``version``, computed at most once."""
        with self._lock:
            gen = self._gen
            if gen.version != version:
                gen = self._gen = _Generation(version)
            if name in gen.values:
                return gen.values[name]
            lock = gen.locks.setdefault(name, threading.Lock())
        with lock:
            if name in gen.values:
                return gen.values[name]
            value = compute()
            with self._lock:
                gen.values[name] = value
            return value

    def drop(self) -> None:
        """Forget everything (after this server wrote to the ledger)."""
        with self._lock:
            self._gen = _Generation(None)


class View:
    """One request's window on the ledger: everything it reads is of one version."""

    def __init__(self, state: LedgerState):
        self.state = state
        self.version = state.version()

    def memo(self, name: Hashable, compute: Callable[[], Any]) -> Any:
        return self.state.get(self.version, name, compute)

    @property
    def source(self) -> Source:
        from journal.views.source import load

        return self.memo("source", lambda: load(self.state.engine))

    @property
    def data(self) -> LedgerData:
        return self.source.data

    @property
    def result(self) -> RuleResult:
        return self.source.result

    def result_on(self, day: date | None) -> RuleResult:
        """The rules with ``as_of=day`` over the same read (``journal status --as-of``)."""
        if day is None:
            return self.result

        def compute():
            from journal.views.source import rules_for

            return rules_for(self.data, day)

        return self.memo(("result_on", day), compute)
