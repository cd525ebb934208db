"""Derived state that is never stale: results computed from the ledger, kept in it.

Every report starts from the rules' result, and computing it means reading the whole
ledger and replaying it (seconds on a large one). This package keeps that result, and any
table a view derives from it, in the ledger database itself (``derived_entry`` and
``derived_part``), so that a report on an unchanged ledger only reads and decodes the part
it shows.

An entry is found by

* the **ledger version**: a counter that database triggers raise in the same transaction
  as any import, ``--force`` re-import, cancellation or override (migration 0004), so
  whoever writes the ledger, a committed version names one state of it;
* the **inputs**: everything else the computation read: the rules settings
  (``config.toml`` ``[rules]``/``[accounts]``), the *content* of the prices CSV named in
  ``[checklist] prices_csv``, and whatever else the caller names (parameters, files);
* the **code**: a digest of the program's own source (the ``journal`` package and its
  migrations) and version, so an upgrade or any edit to the rules recomputes.

Why it cannot be stale: the version is read in the same snapshot as the entry; a result
is stored only under the version it was computed from, checked again inside the write
transaction, and the user's files are hashed before and after the computation (edited
meanwhile: not stored). Keeping the cache inside the ledger also means a restored backup
or a copied file carries its own, matching cache.

``analyze`` in :mod:`journal.rules` goes through :func:`rules_result` (as of a day too,
keyed by the day); :func:`journal.views.source.load` pairs the cached result with the
ledger it read through :func:`ledger_and_rules`, and views keep whole tables with
:func:`derived` (``journal.views.source.view``), and a command can keep its finished output
with :func:`rendered`.

Not done on purpose: updating a cached result in place when an import only appends new
days. Measured on the 46.5k-trade ledger (``benchmarks/cache_phases.py``, CPU seconds,
machine shared): a cold read is the ledger read 1.7, the chronological pass 2.7, the
post-pass flags, Form 8949 codes and assembly 2.2, encoding 0.6. An append-only update
could skip most of the first two (replaying a month is ~1/60 of the pass), but the
post-pass flags, the cycles and the assembly look at every record, and the stored result
must be decoded (0.8) and encoded again: about half of a cold read, once per import (every
report after it is warm anyway). It would need the rules to checkpoint their whole state
(open lots and option positions, losses still inside their 30-day wash window, cycles) and
a proof that a replay from the checkpoint equals a full pass.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from journal.cache import codec, store
from journal.errors import JournalError

log = logging.getLogger(__name__)

_CODE: str | None = None


def code_version() -> str:
    """Digest of the program's source files and version (computed once per process:
    about 70 small files)."""
    global _CODE
    if _CODE is None:
        import journal
        from journal.db import migrations_dir

        h = hashlib.sha256(f"{journal.__version__}|{sys.version_info[:2]}".encode())
        for root in (Path(journal.__file__).parent, migrations_dir()):
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                for name in sorted(filenames):
                    if name.endswith(".py"):
                        path = Path(dirpath, name)
                        h.update(str(path.relative_to(root)).encode() + b"\0")
                        h.update(path.read_bytes())
        _CODE = h.hexdigest()
    return _CODE


def _canonical(value) -> Any:
    """A stable, order-independent form of a settings value (for hashing)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__qualname__,
                [[f.name, _canonical(getattr(value, f.name))] for f in dataclasses.fields(value)]]
    if isinstance(value, Mapping):
        return ["M", sorted([repr(k), _canonical(v)] for k, v in value.items())]
    if isinstance(value, (set, frozenset)):
        return ["S", sorted(repr(_canonical(v)) for v in value)]
    if isinstance(value, (list, tuple)):
        return ["L", [_canonical(v) for v in value]]
    return repr(value)


def file_digest(path_text: str | None) -> str:
    """What a computation that reads ``path_text`` depends on: its absolute path and its
    bytes ("-" for no file, "missing" when absent)."""
    if not path_text:
        return "-"
    path = Path(path_text).expanduser().absolute()
    try:
        return f"{path}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    except OSError:
        return f"{path}:missing"


def digest(*values) -> str:
    return hashlib.sha256(repr(_canonical(list(values))).encode()).hexdigest()


def rules_inputs(settings=None) -> str:
    """Fingerprint of what the rules read besides the ledger: the settings (the user's
    config.toml when ``settings`` is None) and then also the prices CSV's content."""
    from journal import rules

    if settings is not None:
        return digest("explicit", settings)
    return digest("user", rules.load_settings(), file_digest(rules.user_prices_path()))


class _Lookup(NamedTuple):
    version: int | None  # None: no cache tables here (work without)
    parts: dict | None  # the entry's parts read in the snapshot (None: not cached)
    entry: int | None = None


def _lookup(engine, name: str, key: str, parts: Iterable[str] | None,
            *others: tuple[str, str]) -> _Lookup:
    """Entry (name, key) of the current ledger version, else the first of ``others``
    (name, key) there is."""
    from journal.dbconn import snapshot

    try:
        with snapshot(engine) as conn:
            version = store.read_version(conn)
            entry = store.find_first(conn, [(name, key), *others], version)
            if entry is None:
                return _Lookup(version, None)
            return _Lookup(version, store.read_parts(conn, entry, parts), entry)
    except store.NoCache as exc:
        log.debug("no cache: %s", exc)
        return _Lookup(None, None)


def _key(name: str, params, inputs: str) -> str:
    return digest(name, params, inputs, code_version())


def _rules_entry(settings, as_of) -> tuple[str, str, str]:
    """Name, key and inputs fingerprint of the rules' result (as of a day: its own name,
    so a daily ``journal status`` never pushes the whole-ledger entry out)."""
    inputs = rules_inputs(settings)
    if as_of is None:
        return "rules", _key("rules", None, inputs), inputs
    return "rules-as-of", _key("rules-as-of", as_of.isoformat(), inputs), inputs


def rules_result(engine, settings=None, *, tax_year: int | None = None, as_of=None):
    """The rules' result for the ledger behind ``engine`` (what ``journal.rules.analyze``
    returns), from the cache when nothing it depends on has changed.

    ``tax_year``: only that year's realized events, wash sales and flags are wanted
    (flags without a tax year too); the other fields are whole. A year view is read from
    the whole result's entry when there is one, else from the year's own entry; computed,
    it makes only that year's records and keeps them as the year's entry (the option
    positions, lots and cycles are assembled when asked, and never for a tax report). A
    field the year's entry lacks is computed when asked, from the same ledger state or not
    at all (:class:`LedgerMoved`), and kept as the whole result's entry. ``as_of``: the
    ledger as it stood that day (a result of its own, keyed by the day).
    """
    from journal import rules
    from journal.cache import results

    name, key, inputs = _rules_entry(settings, as_of)
    if tax_year is None:
        found = _lookup(engine, name, key, None)
        if found.parts is not None:
            cached = _lazy_result(engine, found, None)
            if cached is not None:
                return cached
        with whole_ledger_read(engine):
            result = rules.compute(engine, settings=settings, as_of=as_of)
        if found.version is not None and rules_inputs(settings) == inputs:
            _keep_result(engine, name, key, found.version, result)
        return result
    # the whole result's entry if there is one, else the year's own (one query)
    y_name = f"{name}-year"
    y_key = _key(y_name, tax_year, inputs)
    found = _lookup(engine, name, key, results.wanted_parts(tax_year), (y_name, y_key))
    if found.parts is not None:
        rest = _Rest(engine, settings, as_of, (name, key, inputs), found.version)
        cached = _lazy_result(engine, found, tax_year, rest)
        if cached is not None:
            return cached
    with whole_ledger_read(engine):
        result = rules.compute(engine, settings=settings, as_of=as_of, tax_year=tax_year)
    if found.version is not None and rules_inputs(settings) == inputs and \
            any((result.realized, result.wash_sales, result.flags)):
        _keep_result(engine, y_name, y_key, found.version, result, whole=False)
    return results.year_view(result, tax_year)


class LedgerMoved(JournalError):
    """The ledger changed between reading a year view and asking it for a field its
    cache entry lacks: the two reads would mix two states of the ledger."""

    def __init__(self) -> None:
        super().__init__("the ledger changed while this report read it; run the command "
                         "again")


class _Rest:
    """The whole rules' result of one ledger version and inputs, for the fields a cached
    year view lacks: from the entry if it has them by now, else computed and checked to
    come from that version (versions only grow: equal after the read means the read saw
    it), then kept so the entry is complete."""

    __slots__ = ("as_of", "engine", "entry", "result", "settings", "version")

    def __init__(self, engine, settings, as_of, entry: tuple[str, str, str],
                 version: int | None) -> None:
        self.engine, self.settings, self.as_of = engine, settings, as_of
        self.entry, self.version = entry, version
        self.result = None

    def __call__(self):
        if self.result is None:
            self.result = self._whole()
        return self.result

    def _whole(self):
        from journal import rules

        name, key, inputs = self.entry
        found = _lookup(self.engine, name, key, None)
        if found.version != self.version:
            raise LedgerMoved
        if found.parts is not None:
            cached = _lazy_result(self.engine, found, None)
            if cached is not None:
                return cached
        with whole_ledger_read(self.engine):
            result = rules.compute(self.engine, settings=self.settings, as_of=self.as_of)
        if ledger_version(self.engine) != self.version or \
                rules_inputs(self.settings) != inputs:
            raise LedgerMoved
        assert self.version is not None
        _keep_result(self.engine, name, key, self.version, result, whole=True)
        return result


def ledger_and_rules(engine, load_ledger: Callable[[Any], Any], run: Callable[[Any], Any],
                     *, as_of=None) -> tuple[Any, Any]:
    """The ledger (``load_ledger(engine)``) and the rules' result of that same state of it,
    with the user's settings: ``run(data)`` unless the cache has it.

    The cached result was looked up before the ledger was read; it is used only when the
    ledger version is still the same after the read. Versions only grow, so the read in
    between saw that version too; otherwise ``run(data)`` (not kept: its version is not
    known). A computed result is kept under the looked-up version only if that is still
    the current one when it is written, which likewise proves the read saw it.
    """
    name, key, inputs = _rules_entry(None, as_of)
    found = _lookup(engine, name, key, None)
    with whole_ledger_read(engine):
        data = load_ledger(engine)
    if found.parts is not None and ledger_version(engine) == found.version:
        cached = _lazy_result(engine, found, None)
        if cached is not None:
            return data, cached
    result = run(data)
    if found.version is not None and rules_inputs(None) == inputs:
        _keep_result(engine, name, key, found.version, result)
    return data, result


READ_CACHE_KB = 1024  # SQLite's page cache while the whole ledger is read


@contextmanager
def whole_ledger_read(engine) -> Iterator[None]:
    """Around a read of every execution: a small SQLite page cache while it runs, and
    what it filled given back after.

    Each pooled connection may keep 16 MB of pages (``journal.db``: for imports), and a
    read of every row fills that with pages nothing reads again (the read model holds
    the rows now): 16 MB under everything the rules and the views allocate after it, or
    on top of the grades when their fields are read. A cold summary, review or report
    peaks about 14 MB lower with a small cache for the read and none kept after it
    (46.5k-trade ledger). The cache size is lowered on the connection the read will use,
    which is certain only when the pool has no other (a ``journal`` process; a busy web
    server just keeps its caches); it is restored after. PostgreSQL keeps no such cache
    in the client."""
    from journal import dbconn

    if dbconn.backend(engine) != "sqlite":
        yield
        return
    kept = None
    if _one_connection(engine):
        with dbconn.connect(engine) as conn:
            kept = int(conn.scalar("PRAGMA cache_size"))
            conn.run(f"PRAGMA cache_size=-{READ_CACHE_KB}")
    try:
        yield
    finally:
        with dbconn.connect(engine) as conn:
            conn.run("PRAGMA shrink_memory")
            if kept is not None:
                conn.run(f"PRAGMA cache_size={kept}")


def _one_connection(engine) -> bool:
    """Whether the next connection the pool hands out is the only one it has (none in
    use, at most one idle)."""
    from journal.dbconn import Ledger

    if isinstance(engine, Ledger):
        return engine.alone()
    pool = engine.pool
    idle, busy = getattr(pool, "checkedin", None), getattr(pool, "checkedout", None)
    return idle is not None and busy is not None and idle() <= 1 and busy() == 0


def ledger_version(engine) -> int | None:
    """The ledger's version now: a counter that every import, ``--force`` re-import,
    cancellation and override raises in its own transaction (None: a ledger without the
    cache tables, an old schema opened read-only)."""
    from journal.dbconn import snapshot

    try:
        with snapshot(engine) as conn:
            return store.read_version(conn)
    except store.NoCache:
        return None


def _lazy_result(engine, found: _Lookup, tax_year: int | None, rest=None):
    from journal.cache import results

    assert found.parts is not None
    try:
        return results.lazy(found.parts, tax_year, rest)
    except results.Incomplete:  # kept by a year view: computed, then completed
        return None
    except (codec.Mismatch, KeyError, ValueError, zlib.error) as exc:  # damaged/foreign
        log.debug("cached rules result unreadable: %s", exc)
        store.forget(engine, found.entry)
        return None


def _keep_result(engine, name: str, key: str, version: int, result, *,
                 whole: bool = True) -> None:
    """Store ``result``; ``whole`` False: only the fields computed so far (a year view's
    caller never asks for the option positions, lots and cycles)."""
    from journal.cache import results
    from journal.rules.assemble import LATER, LazyResult

    skip: frozenset = frozenset()
    if not whole and isinstance(result, LazyResult) and not result.assembled() and \
            any((result.realized, result.wash_sales, result.flags)):
        skip = frozenset(LATER)
    elif not _worth_keeping(result):
        return
    try:
        parts = results.encode(result, skip)
    except (codec.Unsupported, TypeError, ValueError) as exc:
        log.debug("rules result not cacheable: %s", exc)
    else:
        store.save(engine, name, key, version, parts)


def _worth_keeping(result) -> bool:
    # An empty ledger computes in no time, and its rules' horizon is today's date: a
    # result that depends on the clock must not be kept.
    return any(getattr(result, f.name) for f in dataclasses.fields(result))


def derived(engine, name: str, compute: Callable[[], Any], *, params=None,
            files: Iterable[str | None] = (), rules_settings=None) -> Any:
    """``compute()`` from the cache: for views that derive a table from the ledger.

    The entry is keyed like the rules' result (ledger version, the rules' inputs, the
    code) plus ``name``, ``params`` (anything hashable the way settings are: the period,
    the account filter, a view's own settings dataclass...) and the content of ``files``
    (paths of user files the computation reads, e.g. the earnings CSV). ``compute`` must
    read the ledger only through ``engine`` and depend on nothing else (not the clock:
    pass the as-of day in ``params``). The value must be made of plain values, Decimal,
    dates, tuples/lists/dicts/sets and journal dataclasses or enums; one that is not is
    returned uncached.
    """
    if not 0 < len(name) <= 64:
        raise ValueError(f"cache entry names have 1 to 64 characters: {name!r}")
    files = tuple(files)
    inputs = digest(rules_inputs(rules_settings), [file_digest(f) for f in files])
    key = _key(name, params, inputs)
    found = _lookup(engine, name, key, ["value"])
    if found.parts is not None and "value" in found.parts:
        try:
            return _decode_value(found.parts["value"])
        except (codec.Mismatch, KeyError, ValueError, zlib.error) as exc:
            log.debug("cached %s unreadable: %s", name, exc)
            store.forget(engine, found.entry)
    value = compute()
    if found.version is not None and \
            digest(rules_inputs(rules_settings), [file_digest(f) for f in files]) == inputs:
        try:
            blob = _encode_value(value)
        except (codec.Unsupported, TypeError, ValueError) as exc:
            log.debug("%s not cacheable: %s", name, exc)
        else:
            store.save(engine, name, key, found.version, {"value": blob})
    return value


def _encode_value(value) -> bytes:
    return codec.encode_compressed(value, 1)


def _decode_value(blob: bytes):
    return codec.decode(zlib.decompress(blob))


def rendered(engine, name: str, render: Callable[[], str], *, params=None,
             files: Iterable[str | None] = (), rules_settings=None) -> str:
    """``render()`` from the cache: a command's finished output (its rows already
    formatted), kept as compressed text and handed back without decoding a value.

    Keyed like :func:`derived` (ledger version, the rules' inputs, the code, ``name``,
    ``params``, the content of ``files``); ``params`` must name everything the text
    depends on besides those, the output's format, width and columns included. A
    ``render`` that raises stores nothing (an error is never replayed as output)."""
    made: list[str] = []

    def parts() -> dict[str, bytes]:
        made.append(render())
        return {"text": zlib.compress(made[0].encode("utf-8"), 1)}

    kept = rendered_parts(engine, name, parts, params=params, files=files,
                          rules_settings=rules_settings)
    if made:
        return made[0]
    try:
        return zlib.decompress(kept["text"]).decode("utf-8")
    except (KeyError, zlib.error, UnicodeDecodeError) as exc:  # damaged: make it again
        log.debug("cached %s unreadable: %s", name, exc)
        return render()


MAX_RENDERED = 64 << 20  # bytes: a larger output is made each time, not kept


def rendered_parts(engine, name: str, render: Callable[[], dict[str, bytes]], *,
                   params=None, files: Iterable[str | None] = (),
                   rules_settings=None) -> dict[str, bytes]:
    """``render()`` (named byte strings: a written file and the line that reports it...)
    from the cache, stored as they are; keyed and guarded as :func:`rendered` says.
    Outputs over :data:`MAX_RENDERED` bytes in all are not kept."""
    if not 0 < len(name) <= 64:
        raise ValueError(f"cache entry names have 1 to 64 characters: {name!r}")
    files = tuple(files)

    def inputs() -> str:
        return digest(rules_inputs(rules_settings), [file_digest(f) for f in files])

    before = inputs()
    key = _key(name, params, before)
    found = _lookup(engine, name, key, None)
    if found.parts:
        return found.parts
    out = render()
    if found.version is not None and sum(map(len, out.values())) <= MAX_RENDERED \
            and inputs() == before:
        store.save(engine, name, key, found.version, out)
    return out


def clear(engine) -> int:
    """Forget every cached result (correctness never needs it; frees space)."""
    return store.clear(engine)


__all__ = ["clear", "code_version", "derived", "file_digest", "ledger_and_rules", "ledger_version",
           "rendered", "rendered_parts", "rules_inputs", "rules_result"]
