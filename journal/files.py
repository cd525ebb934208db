"""Writing files so that a crash, a kill or a full disk never leaves a half-written one
under the final name: write a ``.part`` sibling, flush it to the disk, then rename it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL_SUFFIX = ".part"


def fsync_path(path: Path) -> None:
    """Flush a file's data (or a folder's entries: a rename in it) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(*paths: Path) -> None:
    """Remove leftovers of a failed write; a read-only or vanished folder is no error."""
    for path in paths:
        try:
            path.unlink()
        except OSError:
            pass


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yields the temporary sibling to write; on success it becomes ``path`` (flushed,
    renamed, the rename flushed), on any failure it is removed and ``path`` is untouched."""
    part = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        yield part
        fsync_path(part)
        os.replace(part, path)
        fsync_path(path.parent)
    except BaseException:
        remove_quietly(part, Path(f"{part}-journal"))
        raise


def write_atomically(path: Path, data: bytes, *, mode: int = 0o600,
                     exclusive: bool = False) -> None:
    """``data`` into ``path`` through :func:`replacing`; ``mode`` is the new file's
    permissions (statements and settings are the owner's only)."""
    with replacing(path) as part:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
        with os.fdopen(os.open(part, flags, mode), "wb") as fh:
            fh.write(data)
