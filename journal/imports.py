"""`journal import`: find statement files, parse each, store each in one transaction."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

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


def expand_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given; folders searched recursively for statement files, sorted."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in STATEMENT_SUFFIXES
            )
            yield from found
        else:
            yield p


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def import_file(engine: Engine, path: Path, *, force: bool = False, date_order: str | None = None,
                progress=None) -> FileResult:
    """Import one statement. A file already imported byte for byte is skipped unless
    ``force`` (the keys would make a second pass add nothing anyway)."""
    out = FileResult(path=str(path))
    try:
        out.size = os.path.getsize(path)
        importer = identify(path)
        out.format = importer.name
        digest = sha256_of(path)
        if not force:
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
        out.result = ledger.ingest(engine, events, file_name=path.name,
                                   file_path=str(path.resolve()), sha256=digest,
                                   fmt=importer.name, origin=importer.origin)
    except StatementError as exc:
        out.status, out.error = "failed", str(exc)
    except JournalError as exc:
        out.status, out.error = "failed", f"{path}: {exc}"
    except OSError as exc:
        out.status, out.error = "failed", f"{path}: {exc.strerror or exc}"
    return out

