"""TurboTax TXF V042 export of Form 8949 rows, and a reader for it (tests read our own
output back). Record layout: tax_rules.md §5 "Import formats" (taxdataexchange.org).

One record per 8949 row: ``TD / N<ref> / C1 / L1 / P<description> / D<acquired> /
D<sold> / $<cost> / $<proceeds> [/ $<wash-sale disallowed>] / ^``. Cost comes before
proceeds. The reference number carries the box (321 A, 711 B, 712 C, 323 D, 713 E, 714 F).
§1256 results belong on Form 6781 and are not written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from journal.errors import JournalError
from journal.render.text import neutralise

REF_BY_BOX = {"A": 321, "B": 711, "C": 712, "D": 323, "E": 713, "F": 714}
BOX_BY_REF = {v: k for k, v in REF_BY_BOX.items()}
PROGRAM = "WheelJournal"


def _d(v: date | None) -> str:
    return "VARIOUS" if v is None else v.strftime("%m/%d/%Y")


def _amt(v: Decimal) -> str:
    return format(Decimal(v).quantize(Decimal("0.01")), "f")


def _text(s: str) -> str:
    # A line break inside a description would start a bogus record; other control
    # characters (ESC, BEL…) from a statement are made visible, never passed on.
    return " ".join(neutralise(str(s)).split())


def render(rows: Iterable, *, exported: date | None = None) -> str:
    """TXF text for Form 8949 rows (:class:`journal.tax.Form8949Row`). Rows whose
    adjustment is not a wash sale cannot be expressed in TXF; the tax layer flags those."""
    exported = exported or date.today()
    lines = ["V042", f"A{PROGRAM}", f"D{exported.strftime('%m/%d/%Y')}", "^"]
    for r in rows:
        lines += ["TD", f"N{REF_BY_BOX[r.box]}", "C1", "L1", f"P{_text(r.description)}",
                  f"D{_d(r.date_acquired)}", f"D{_d(r.date_sold)}", f"${_amt(r.cost)}",
                  f"${_amt(r.proceeds)}"]
        if r.wash_sale:  # (g) may also hold B/E corrections TXF cannot express
            lines.append(f"${_amt(r.wash_sale)}")
        lines.append("^")
    return "\n".join(lines) + "\n"


def write(path, rows, *, exported: date | None = None) -> None:
    with open(path, "w", encoding="ascii", errors="replace", newline="\r\n") as fh:
        fh.write(render(rows, exported=exported))


@dataclass(frozen=True)
class TxfRecord:
    ref: int
    box: str
    description: str
    date_acquired: date | None  # None = VARIOUS
    date_sold: date
    cost: Decimal
    proceeds: Decimal
    wash_sale: Decimal


def _parse_date(s: str, where: str) -> date | None:
    if s.upper() == "VARIOUS":
        return None
    try:
        return datetime.strptime(s, "%m/%d/%Y").date()
    except ValueError as exc:
        raise JournalError(f"{where}: bad TXF date {s!r}") from exc


def parse(text: str, source: str = "<txf>") -> tuple[dict, list[TxfRecord]]:
    """Read TXF V042 text: (header, records). Strict enough to catch our own mistakes:
    unknown record lines, missing fields and amounts that are not numbers all raise."""
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) < 4 or lines[0] != "V042":
        raise JournalError(f"{source}:1: not a TXF V042 file")
    header = {"version": lines[0], "program": lines[1][1:], "date": lines[2][1:]}
    if not lines[1].startswith("A") or not lines[2].startswith("D") or lines[3] != "^":
        raise JournalError(f"{source}: bad TXF header")
    records: list[TxfRecord] = []
    cur: dict[str, Any] | None = None
    start = 0
    for i, ln in enumerate(lines[4:], start=5):
        where = f"{source}:{i}"
        if ln == "TD":
            cur, start = {"D": [], "$": []}, i
        elif cur is None:
            raise JournalError(f"{where}: TXF field outside a record: {ln!r}")
        elif ln == "^":
            try:
                ref = int(cur["N"])
                box = BOX_BY_REF[ref]
                acquired, sold = cur["D"]
                amounts = [Decimal(a) for a in cur["$"]]
            except (KeyError, ValueError, ArithmeticError) as exc:
                raise JournalError(f"{source}:{start}: incomplete TXF record") from exc
            if len(amounts) not in (2, 3) or cur.get("C") != "1" or cur.get("L") != "1":
                raise JournalError(f"{source}:{start}: TXF record needs C1, L1 and 2-3 amounts")
            sold_day = _parse_date(sold, where)
            if sold_day is None:
                raise JournalError(f"{source}:{start}: the date sold cannot be VARIOUS")
            records.append(TxfRecord(ref, box, cur.get("P", ""),
                                     _parse_date(acquired, where), sold_day,
                                     amounts[0], amounts[1],
                                     amounts[2] if len(amounts) == 3 else Decimal("0.00")))
            cur = None
        elif ln[:1] in ("D", "$"):
            cur[ln[0]].append(ln[1:])
        elif ln[:1] in ("N", "C", "L", "P"):
            cur[ln[0]] = ln[1:]
        else:
            raise JournalError(f"{where}: unknown TXF line {ln!r}")
    if cur is not None:
        raise JournalError(f"{source}: last TXF record has no closing ^")
    return header, records
