"""Statement importers. Each one only parses: ``parse(path) -> Iterator[event]``.

:func:`identify` picks the importer from the file's first bytes (never from its name,
which users rename), and refuses to guess when no importer claims the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from journal.errors import StatementError
from journal.importers import activity_csv, flex, flex_csv


class Importer(NamedTuple):
    name: str  # stored as ImportBatch.format
    origin: str  # stored as Execution.origin
    identify: Callable[[bytes], bool]
    parse: Callable[..., Iterator]


IMPORTERS: list[Importer] = [
    Importer(flex.FORMAT, "flex", flex.identify, flex.parse),
    Importer(flex_csv.FORMAT, "flex", flex_csv.identify, flex_csv.parse),
    Importer(activity_csv.FORMAT, activity_csv.ORIGIN, activity_csv.identify, activity_csv.parse),
]

STATEMENT_SUFFIXES = (".xml", ".csv")


def identify(path: str | Path) -> Importer:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise StatementError(str(path), f"cannot read file: {exc.strerror}") from exc
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise StatementError(str(path), "the file is empty")
    matches = [imp for imp in IMPORTERS if imp.identify(head)]
    if not matches:
        raise StatementError(str(path), "not an IB statement (expected a Flex Query as XML "
                                        "or CSV, or an Activity Statement CSV)", 1)
    if len(matches) > 1:
        raise StatementError(str(path), "claimed by several importers: "
                             + ", ".join(m.name for m in matches))
    return matches[0]
