"""A zip file written on a worker thread, so that deflating it overlaps making its XML.

Why: the journal workbook of the 46.5k-trade ledger is about 110 MB of XML, and its
deflate (zlib), its CRC and the file writes take about 0.5 s of the export. All three
run in C without the GIL, while making the cells' XML is Python that holds it: on a
second core the archive is written while the next rows are made.

What keeps it safe: every operation on the :class:`zipfile.ZipFile` (opening a member,
writing to it, closing it, writing a whole member, closing the archive) runs on the one
worker, in the order it was submitted, so the archive is the same bytes as one written
in line. The main thread only hands over finished bytes; the queue is bounded, so at most
a few megabytes wait. The first error the worker meets is raised in the main thread at
its next submission or at :meth:`ZipWriter.finish`, which every writer calls (the
workbook's ``with``) before the file is renamed into place or removed: the thread never
outlives the archive, and no half-written member is ever renamed into place.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import zipfile
from collections.abc import Callable
from functools import partial
from typing import Any

CHUNK = 1 << 20  # bytes handed over at once: fewer, larger hand-overs between the threads
DEPTH = 4  # chunks waiting at most


class ZipWriter:
    """``zip``'s writing, in submission order, on one worker thread."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zip = zf
        self._jobs: queue.Queue[Callable[[], Any] | None] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._members: list = []  # members the worker has open (closed by abandon)
        self._thread = threading.Thread(target=self._run, name="zip-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._error is None:  # after an error: drain, so the main thread never waits
                try:
                    job()
                except BaseException as exc:  # raised again in the main thread
                    self._error = exc

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._raise()
        self._jobs.put(partial(fn, *args, **kwargs))

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def open(self, name: str) -> Stream:
        """A member to write (streamed, zip64), opened in its turn on the worker."""
        return Stream(self, name)

    def writestr(self, info: zipfile.ZipInfo, data: str | bytes, **kwargs: Any) -> None:
        self.submit(self.zip.writestr, info, data, **kwargs)

    def finish(self, *, check: bool = True) -> None:
        """Wait for everything submitted (``check``: raise the worker's error, if any)."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        if check:
            self._raise()

    def abandon(self) -> None:
        """Wait for the worker, ignoring its error (the caller's is the one to report),
        and close whatever member it left open, so the archive can be closed."""
        self.finish(check=False)
        for member in self._members:
            with contextlib.suppress(Exception):
                member.close()
        self._members.clear()


class Stream:
    """One member being written: ``write`` collects bytes and hands them to the worker a
    chunk at a time; ``close`` hands over the rest and closes the member."""

    def __init__(self, writer: ZipWriter, name: str) -> None:
        self.writer = writer
        self._member: list = []  # the worker's open member (set on the worker)
        self._pending: list[bytes] = []
        self._size = 0
        writer.submit(self._open, name)

    def _open(self, name: str) -> None:
        self._member.append(self.writer.zip.open(name, "w", force_zip64=True))
        self.writer._members.append(self._member[0])

    def _write(self, data: bytes) -> None:
        self._member[0].write(data)

    def _close(self) -> None:
        self._member[0].close()
        self.writer._members.remove(self._member[0])

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._size += len(data)
        if self._size >= CHUNK:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._pending:
            self.writer.submit(self._write, b"".join(self._pending))
            self._pending.clear()
            self._size = 0

    def close(self) -> None:
        self._hand_over()
        self.writer.submit(self._close)
