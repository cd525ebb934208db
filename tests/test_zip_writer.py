"""The workbook's archive is written on a worker thread (journal.exporters.zip_writer):
the same bytes as written in line, the worker's errors raised in the caller, and no
thread or temporary file left behind."""

from __future__ import annotations

import threading
import zipfile

import pytest

from journal.exporters import xlsx_stream as xs
from journal.exporters import zip_writer


def _write(path, rows: int = 3000) -> None:
    with xs.Book(path) as book:
        for name in ("A", "B"):
            with book.sheet(name, [10.0, 12.0]) as sh:
                sh.append(["id", "amount"], [xs.styled("header")] * 2)
                sh.extend(((f"T{i:06d}", i * 7) for i in range(rows)), ["id", "count"])
                sh.autofilter(2)


class _InLine:
    """What ZipWriter does, on the calling thread."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zip = zf

    def open(self, name: str):
        return self.zip.open(name, "w", force_zip64=True)

    def writestr(self, *args, **kwargs) -> None:
        self.zip.writestr(*args, **kwargs)

    def finish(self, *, check: bool = True) -> None:
        pass

    def abandon(self) -> None:
        pass


def _writers() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name == "zip-writer"}


def test_same_bytes_as_written_in_line(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_writer, "CHUNK", 4096)  # many hand-overs, a full queue
    _write(tmp_path / "threaded.xlsx")
    monkeypatch.setattr(xs, "ZipWriter", _InLine)
    _write(tmp_path / "inline.xlsx")
    threaded = (tmp_path / "threaded.xlsx").read_bytes()
    assert threaded == (tmp_path / "inline.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "threaded.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert sheet.count("<row ") == 3001 and "T002999" in sheet
    assert not _writers()


def test_worker_error_raised_and_nothing_left(tmp_path, monkeypatch):
    monkeypatch.setattr(zip_writer, "CHUNK", 4096)
    calls = []

    def full_disk(self, data):
        calls.append(len(data))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, data)

    real = zip_writer.Stream._write
    monkeypatch.setattr(zip_writer.Stream, "_write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        _write(tmp_path / "out.xlsx", rows=20000)
    assert not list(tmp_path.iterdir())  # neither the workbook nor its temporary file
    assert not _writers()


def test_error_in_the_caller_stops_the_worker(tmp_path):
    with pytest.raises(RuntimeError), xs.Book(tmp_path / "out.xlsx") as book:
        with book.sheet("A") as sh:
            sh.extend(([i] for i in range(5000)), ["count"])
        raise RuntimeError("a view failed")
    assert not list(tmp_path.iterdir())
    assert not _writers()
