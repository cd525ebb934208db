"""Reading a statement file: the checksum of the bytes parsed, and no control characters.

The checksum recorded for an import must be that of the bytes the parser actually read:
a checksum taken before parsing describes another file when the file is rewritten in
between, and a later import of the true file would then be skipped as "unchanged". So
:class:`StatementReader` hashes every byte as the parser reads it.

Control characters (ESC, BEL, the C1 range …) have no place in a statement. Stored, they
reach the terminal raw (an ESC sequence can clear the screen or retitle the window) and
make every spreadsheet export fail. Text formats (CSV) lose them here, byte by byte, before
decoding; the XML parser refuses C0 characters itself and cleans the rest with
:func:`strip_controls` on the rows where :func:`may_hold_controls` saw any.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from journal.errors import StatementError

_C0 = bytes(range(0x09)) + b"\x0b\x0c" + bytes(range(0x0e, 0x20)) + b"\x7f"
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def may_hold_controls(chunk: bytes) -> bool:
    """True when an XML chunk could carry control characters into attribute values."""
    # ``in`` scans at memchr speed; the pattern alone crawled through every chunk.
    if b"&#" in chunk:
        return True
    return b"\xc2" in chunk and _C1_UTF8.search(chunk) is not None


class StatementReader(io.RawIOBase):
    """A statement file read once, front to back, with the sha256 of what was read.

    ``text=True`` also drops control characters (counted in ``removed``) as the bytes go
    by, so every field the CSV parser sees is clean and the line structure is intact
    (tab, CR and LF are kept)."""

    def __init__(self, path: str | Path, *, text: bool = False, progress=None):
        super().__init__()
        try:
            self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise StatementError(str(path), f"cannot read file: {exc.strerror}") from exc
        self._hash = hashlib.sha256()
        self._text = text
        self._carry = b""  # a trailing \xc2 whose second byte is in the next read
        self.removed = 0
        self.bytes_read = 0
        self.progress = progress  # called with the byte count of each read

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def readable(self) -> bool:
        return True

    def read_chunk(self, size: int) -> bytes:
        """Up to ``size`` bytes (cleaned, for text); b"" only at the end of the file."""
        while True:
            data = self._fh.read(size)
            if data:
                self._hash.update(data)
                self.bytes_read += len(data)
                if self.progress is not None:
                    self.progress(len(data))
            if not self._text:
                return data
            if not data:
                out, self._carry = self._carry, b""
                return out
            data = self._carry + data
            self._carry = b""
            if data[-1:] == b"\xc2":
                data, self._carry = data[:-1], b"\xc2"
            clean = data.translate(None, _C0)
            if b"\xc2" in clean:
                clean = _C1_UTF8.sub(b"", clean)
            self.removed += len(data) - len(clean)
            if clean:
                return clean

    def readinto(self, buffer) -> int:
        data = self.read_chunk(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def text_stream(self) -> io.TextIOWrapper:
        """The file as text (UTF-8, a BOM dropped), newlines kept for the csv module."""
        # Kept referenced: a wrapper collected early would close this reader with it.
        self._stream = io.TextIOWrapper(io.BufferedReader(self, 1 << 16),
                                        encoding="utf-8-sig", newline="")
        return self._stream

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()

    def finish(self) -> str:
        """Read whatever the parser left unread (so the checksum covers the whole file)
        and return the checksum."""
        while self.read_chunk(1 << 20):
            pass
        return self.sha256
