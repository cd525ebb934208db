"""The journal workbook's Ledger sheet, made by a child process while the export computes
everything else.

Why: the Ledger sheet lists every execution as IB reported it, and on the 46.5k-trade
ledger reading those rows and writing their million cells takes about 1.9 s, all of it
Python that holds the GIL, so no thread can overlap it. It depends on nothing but the
ledger's rows, not on the rules or the review, which take most of a cold export. A child
forked when the export starts reads and writes it on the second core: its rows' XML go
to an unlinked temporary file, exactly the bytes :meth:`Sheet.extend` would write, and the
parent copies them into the workbook when the sheet's turn comes.

What keeps it safe:

* The child never touches a database connection it inherited (SQLite forbids using one
  across ``fork``, closing included): it opens its own engine, read-only, and ends with
  ``os._exit``, which runs no finalizer, so the inherited ones are never closed either.
* One state of the ledger: the child reads the ledger version before and after its read
  (versions only grow: equal means the read saw that version), and the parent uses the
  sheet only when that is the version its review and rules' result come from; else it
  reads the rows itself, as without a child.
* Any failure of the child (an error, a signal, a version that moved) only means the
  parent reads the rows itself; the parent always reaps the child, also when the export
  fails or is interrupted, and kills it first if its sheet is no longer wanted.
* Only where ``fork`` is the platform's own (Linux), on a ledger file, with no other
  thread running (a fork copies only the calling thread); elsewhere the parent writes
  the sheet in line, as before.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import IO, Any

ENABLED = True  # tests turn it off to compare with the sheet written in line


@dataclass
class Rendered:
    """A sheet's rows already written: the column widths its first rows gave, how many
    rows, and their XML (for the rows after the header) in ``file``."""

    widths: list[float]
    rows: int
    file: IO[bytes]


class Job:
    """The child making the sheet: :meth:`result` waits for it, :meth:`cancel` ends it."""

    def __init__(self, pid: int, out: IO[bytes], meta: int) -> None:
        self.pid, self.out, self.meta = pid, out, meta
        self.done = False

    def result(self, version: int | None) -> Rendered | None:
        """The sheet, if the child made it from ledger ``version``; else None (the caller
        then reads the rows itself)."""
        with os.fdopen(self.meta, "rb") as pipe:
            text = pipe.read()
        self.meta = -1
        ok = self._reap()
        if not ok or version is None:
            return None
        try:
            made = json.loads(text)
        except ValueError:
            return None
        if made.get("version") != version:
            return None
        self.out.seek(0)
        return Rendered([float(w) for w in made["widths"]], int(made["rows"]), self.out)

    def _reap(self) -> bool:
        if self.done:
            return False
        self.done = True
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status) == 0

    def cancel(self) -> None:
        """Stop the child if it still runs, reap it, and drop its file."""
        if not self.done:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap()
        if self.meta >= 0:
            os.close(self.meta)
            self.meta = -1
        self.out.close()


def start(source, accounts) -> Job | None:
    """Fork a child that makes the Ledger sheet of ``accounts`` (``source``: a
    :class:`journal.dbconn.Ledger` or an engine); None where a child is not used (the
    caller then writes the sheet itself)."""
    if not ENABLED or not sys.platform.startswith("linux") or not _alone():
        return None
    url = _url_of(source)
    if url is None:
        return None  # an in-memory database: a new connection would see another one
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the Job closes it, after the sheet)
    read_end, write_end = os.pipe()
    sys.stdout.flush()  # else the child's copy of unwritten output could be written twice
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: write the sheet in line
        out.close()
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: never returns
        _child(url, accounts, out, read_end, write_end)
    os.close(write_end)
    return Job(pid, out, read_end)


def _alone() -> bool:
    """No other thread runs: a fork copies only this one, and a lock another thread held
    would stay locked in the child for ever. The kernel's count, not only threading's:
    a library's own threads (numpy's BLAS pool, started when pandas loads) count too."""
    if threading.active_count() != 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _url_of(source) -> str | None:
    """The URL a new engine on ``source``'s ledger is made from; None for an in-memory
    SQLite database."""
    from journal.dbconn import Ledger

    if isinstance(source, Ledger):
        return source.url if source.backend != "sqlite" or source.path is not None else None
    from journal.db import sqlite_file

    if source.dialect.name == "sqlite" and sqlite_file(source.url) is None:
        return None
    return source.url.render_as_string(hide_password=False)


def _child(url: str, accounts, out: IO[bytes], read_end: int, write_end: int) -> None:
    """Make the sheet and exit: 0 once its widths, row count and version are written to
    the pipe; any failure exits 1 (os._exit in ``finally`` drops the exception: the
    parent then reads the rows itself)."""
    code = 1
    try:
        os.close(read_end)
        gc.disable()  # nothing inherited is ever freed (see the module's note)
        made = render(url, accounts, out)
        out.flush()
        os.write(write_end, json.dumps(made).encode())
        code = 0
    finally:
        os._exit(code)


def render(url: str, accounts, out: IO[bytes]) -> dict[str, Any]:
    """Write the Ledger sheet's rows (after its header row) to ``out``, read through a
    new read-only engine on ``url``; returns the widths, the row count and the ledger
    version the rows were read at (None: it moved during the read)."""
    from journal.cache import ledger_version
    from journal.db import make_engine
    from journal.exporters.xlsx_journal import kinds, sized
    from journal.exporters.xlsx_stream import Sheet
    from journal.readmodel_trades import trade_rows
    from journal.views import ledger
    from journal.views.workbook import LEDGER

    engine = make_engine(url, read_only=True)
    try:
        before = ledger_version(engine)
        t = ledger.trades(())
        widths, rows = sized(t, trade_rows(engine, accounts=accounts.sorted))
        sheet = Sheet(None, LEDGER, 0, out, rows=1)  # type: ignore[arg-type]  # no book needed
        n = sheet.extend(rows, kinds(t))
        sheet.flush()
        after = ledger_version(engine)
    finally:
        engine.dispose()  # its own connections (a PostgreSQL session ends cleanly)
    return {"version": before if before == after else None, "widths": widths, "rows": n}
