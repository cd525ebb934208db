"""`journal import`: find statement files, parse each, store each in one transaction."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from journal import ledger
from journal.errors import JournalError, StatementError
from journal.importers import STATEMENT_SUFFIXES, identify


@dataclass
class FileResult:
    path: str
    format: str | None = None
    status: str = "imported"  # imported | unchanged | failed
    result: ledger.IngestResult | None = None
    error: str | None = None
    previous_batch: int | None = None
    size: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class Found:
    """What a search for statements found: the files, in order; each folder given that
    holds none; and notes on what was passed over (symbolic link loops, broken links)."""

    files: list[Path] = field(default_factory=list)
    empty: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_statements(paths: Iterable[str | Path]) -> Found:
    """Files as given; folders searched recursively (following symbolic links, each real
    folder once) for statement files, sorted."""
    found = Found()
    for p in map(Path, paths):
        if not p.is_dir():
            found.files.append(p)
            continue
        files = _walk(p, found.notes)
        if not files:
            found.empty.append(p)
        found.files.extend(files)
    return found


def _walk(top: Path, notes: list[str]) -> list[Path]:
    out: list[Path] = []
    seen: set[str] = set()

    def visit(folder: Path) -> None:
        real = os.path.realpath(folder)
        if real in seen:
            notes.append(f"{folder}: symbolic link loop (it leads back to {real}); "
                         "not followed")
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            notes.append(f"{folder}: cannot read the folder ({exc.strerror})")
            return
        for entry in entries:
            path = folder / entry.name
            if entry.is_dir():  # follows links; a loop is caught by its real path above
                visit(path)
            elif entry.is_file():
                if path.suffix.lower() in STATEMENT_SUFFIXES:
                    out.append(path)
            elif entry.is_symlink():
                notes.append(f"{path}: broken symbolic link; skipped")

    visit(top)
    return sorted(out)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The statement files :func:`find_statements` finds (without its notes)."""
    return find_statements(paths).files


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_file(engine: Engine, path: Path, *, force: bool = False, date_order: str | None = None,
                progress=None) -> FileResult:
    """Import one statement. A file already imported byte for byte is skipped unless
    ``force`` (the keys would make a second pass add nothing anyway).

    The checksum taken here only finds a file imported before; the batch records the
    checksum of the bytes the parser actually read, and the ledger checks it again under
    its write lock (a second process importing the same file meanwhile adds no batch)."""
    out = FileResult(path=str(path))
    try:
        out.size = os.path.getsize(path)
        importer = identify(path)
        out.format = importer.name
        digest = None
        if not force and ledger.has_batches(engine):  # an empty ledger holds no file yet
            digest = sha256_of(path)
            prev = ledger.find_batch_by_sha256(engine, digest)
            if prev is not None:
                out.status = "unchanged"
                out.previous_batch = prev.id
                return out
        kwargs = {}
        if importer.origin == "flex":
            # Flex rows carry IB's transactionID: rows the ledger already holds (an
            # overlapping or re-read statement) are recognised before any conversion.
            known = ledger.known_keys(engine)
            kwargs["known"] = known if any(known) else None
        events = importer.parse(path, date_order=date_order, progress=progress, **kwargs)
        result = ledger.ingest(engine, events, file_name=path.name,
                               file_path=str(path.resolve()), sha256=digest,
                               fmt=importer.name, origin=importer.origin, skip_known=not force)
        if result.unchanged_batch is not None:
            out.status = "unchanged"
            out.previous_batch = result.unchanged_batch
            return out
        out.result = result
    except StatementError as exc:
        out.status, out.error = "failed", str(exc)
    except JournalError as exc:
        out.status, out.error = "failed", f"{path}: {exc}"
    except OSError as exc:
        out.status, out.error = "failed", f"{path}: {exc.strerror or exc}"
    return out
