"""A streaming xlsx writer: sheets written row by row into the zip, so memory stays flat
however long the ledger is.

Why not openpyxl: its write-only mode spends ~25× longer per cell than writing the cell
XML directly (measured on the 46.5k-trade ledger: about 5 µs per cell against 0.2 µs, and
the journal workbook has about two million cells), which alone breaks the export's time
budget (issue 11: ten times the read floor). The format we need is small: typed cells
(numbers, dates, booleans, inline text, formulas with their cached values), a fixed set of
styles, column widths, a frozen header, an autofilter and native charts
(:mod:`journal.exporters.xlsx_charts`). Tests read every workbook back with two
independent readers (calamine for values and types, openpyxl for formats and formulas).

The file is written beside its destination and renamed into place when complete: a
failed export leaves neither a half-written workbook nor a temporary file.
"""

from __future__ import annotations

import contextlib
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from journal.exporters.zip_writer import ZipWriter
from journal.render.text import csv_safe, neutralise

MONEY_FMT = "#,##0.00;[Red]-#,##0.00"
DECIMAL_FMT = "#,##0.00######"  # prices and fractional quantities: cents, never rounded
DATE_FMT = "yyyy-mm-dd"
DATETIME_FMT = "yyyy-mm-dd hh:mm:ss"
COUNT_FMT = "#,##0"
PERCENT_FMT = "0.00%"
MAX_TEXT = 32767  # Excel's limit for one cell
FLUSH_ROWS = 512

# The one style table of every workbook: (number format id, font id, fill id, wrap).
# Ids under 164 are Excel's built-in formats (3 = #,##0, 10 = 0.00%).
_CUSTOM_FORMATS = {164: MONEY_FMT, 165: DECIMAL_FMT, 166: DATE_FMT, 167: DATETIME_FMT}
_STYLES = {
    "default": (0, 0, 0, False),
    "header": (0, 1, 2, True),
    "money": (164, 0, 0, False),
    "count": (3, 0, 0, False),
    "percent": (10, 0, 0, False),
    "date": (166, 0, 0, False),
    "datetime": (167, 0, 0, False),
    "decimal": (165, 0, 0, False),
    "total": (164, 1, 0, False),  # a bold total (money)
    "bold": (0, 1, 0, False),
    "title": (0, 2, 0, False),
    "wrap": (0, 0, 0, True),
}
STYLE_ID = {name: i for i, name in enumerate(_STYLES)}

_EPOCH = date(1899, 12, 30).toordinal()  # Excel's day 0 (1900 date system, as Excel counts)
# XML 1.0 cannot carry these at all (neutralise() already pictures the C0 controls)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# text that needs none of that: no control character, no XML special, no formula start,
# short enough for one cell
_PLAIN = re.compile("[^=+\\-@\x00-\x1f\x7f-\x9f&<>\ufffe\uffff\ud800-\udfff]"
                    "[^\x00-\x08\x0b-\x1f\x7f-\x9f&<>\ufffe\uffff\ud800-\udfff]{0,4000}")


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell and the value it evaluates to (readers that do not calculate, such
    as calamine or a file preview, show the cached value)."""

    text: str  # without the leading "="
    cached: Any = None
    style: str = "total"


def column_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def text_xml(v: str) -> str:
    """Statement text as safe cell text: control characters made visible, text that a
    spreadsheet would take for a formula quoted (as the CSV does), XML escaped."""
    if _PLAIN.fullmatch(v):  # most cells: one C-speed check instead of four passes
        return v
    v = csv_safe(neutralise(v))
    if _NOT_XML.search(v):
        v = _NOT_XML.sub("\ufffd", v)
    return escape(v[:MAX_TEXT])


def number_text(v: Any) -> str | None:
    """The exact number as the XML carries it (Decimal never through float)."""
    if isinstance(v, Decimal):
        return format(v, "f") if v.is_finite() else None
    return repr(v) if isinstance(v, float) else str(int(v))


Encoder = Callable[[Any], str]
EMPTY = "<c/>"  # cells carry no reference: each row lists every cell up to its last


def _number(style: str, scale: Decimal | None = None) -> Encoder:
    open_ = f'<c s="{STYLE_ID[style]}"><v>'

    def enc(v: Any) -> str:
        if type(v) is Decimal and v.is_finite():
            return f"{open_}{v / scale if scale is not None else v!s}</v></c>"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return f"{open_}{Decimal(v) / scale if scale is not None else v}</v></c>"
        return _any(v)

    return enc


_DECIMAL_OPEN = f'<c s="{STYLE_ID["decimal"]}"><v>'
_COUNT_OPEN = f'<c s="{STYLE_ID["count"]}"><v>'


def _whole_or_decimal(v: Any) -> str:
    """Counts stay integers; fractional shares or collateral-days keep their places."""
    if type(v) is Decimal and v.is_finite():
        if v == v.to_integral_value():
            return f"{_COUNT_OPEN}{v!s}</v></c>"
        return f"{_DECIMAL_OPEN}{v!s}</v></c>"
    if type(v) is int:
        return f"{_COUNT_OPEN}{v}</v></c>"
    return _any(v)


_TEXT_CELLS: dict[str, str] = {}  # the same account, symbol or code, millions of times
_TEXT_CACHE_SIZE = 50_000


def _text(v: Any, style: int = 0) -> str:
    if not style and type(v) is str:
        cell = _TEXT_CELLS.get(v)
        if cell is not None:
            return cell
    text = text_xml(v if type(v) is str else str(v))
    s = f' s="{style}"' if style else ""
    cell = f'<c t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>' \
        if text else EMPTY
    if not style and type(v) is str and len(v) <= 64:
        if len(_TEXT_CELLS) >= _TEXT_CACHE_SIZE:  # full of ids seen once: start afresh
            _TEXT_CELLS.clear()
        _TEXT_CELLS[v] = cell
    return cell


def _new_text(v: str) -> str:
    """``_text(v)`` for a str not in the cache (the compiled rows looked it up already)."""
    text = v if _PLAIN.fullmatch(v) else text_xml(v)
    cell = f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>' \
        if text else EMPTY
    if len(v) <= 64:
        if len(_TEXT_CELLS) >= _TEXT_CACHE_SIZE:
            _TEXT_CELLS.clear()
        _TEXT_CELLS[v] = cell
    return cell


_DATE_OPEN = f'<c s="{STYLE_ID["date"]}"><v>'
_DATETIME_OPEN = f'<c s="{STYLE_ID["datetime"]}"><v>'


_DATE_CELLS: dict[date, str] = {}  # a few thousand trading days, each written often


def _date(v: Any) -> str:
    if type(v) is date:
        cell = _DATE_CELLS.get(v)
        if cell is None:
            if len(_DATE_CELLS) >= _TEXT_CACHE_SIZE:
                _DATE_CELLS.clear()
            cell = _DATE_CELLS[v] = f"{_DATE_OPEN}{v.toordinal() - _EPOCH}</v></c>"
        return cell
    return _datetime(v) if isinstance(v, datetime) else _any(v)


def _datetime(v: Any) -> str:
    if not isinstance(v, datetime):
        return _date(v) if isinstance(v, date) else _any(v)
    seconds = v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6
    serial = v.toordinal() - _EPOCH + seconds / 86400
    return f"{_DATETIME_OPEN}{serial!r}</v></c>"


def _bool(v: Any) -> str:
    if not isinstance(v, bool):
        return _any(v)
    return f'<c t="b"><v>{int(v)}</v></c>'


def _list(v: Any) -> str:
    if isinstance(v, (tuple, list, frozenset, set)):
        return _text(", ".join(map(str, v)))
    return _any(v)


def _any(v: Any) -> str:
    """A value by its own type (a column whose kind does not say)."""
    if v is None:
        return EMPTY
    if isinstance(v, bool):
        return _bool(v)
    if isinstance(v, (Decimal, int, float)):
        t = number_text(v)
        return _text(str(v)) if t is None else f"<c><v>{t}</v></c>"
    if isinstance(v, date):
        return _date(v)
    if isinstance(v, (tuple, list, frozenset, set)):
        return _list(v)
    return _text(v)


def _id(v: Any) -> str:
    return _text(v) if type(v) is str else _any(v)


ENCODERS: dict[str, Encoder] = {
    "money": _number("money"),
    "count": _whole_or_decimal,
    "quantity": _whole_or_decimal,
    "number": _whole_or_decimal,
    "percent": _number("percent", Decimal(100)),  # the views carry 12.5 for 12.5 %
    "price": _number("decimal"),
    "date": _date,
    "datetime": _datetime,
    "text": _text,
    "id": _id,
    "bool": _bool,
    "list": _list,
    "any": _any,
}


def styled(style: str) -> Encoder:
    """Text or a number in a named style (titles, bold labels, totals)."""
    s = STYLE_ID[style]

    def enc(v: Any) -> str:
        if isinstance(v, str):
            return _text(v, s)
        t = number_text(v) if isinstance(v, (Decimal, int, float)) else None
        return _any(v) if t is None else f'<c s="{s}"><v>{t}</v></c>'

    return enc


def formula(v: Formula | Any) -> str:
    """A formula cell (any other value as its type says)."""
    if not isinstance(v, Formula):
        return _any(v)
    style = STYLE_ID[v.style]
    s = f' s="{style}"' if style else ""
    cached = "" if v.cached is None else f"<v>{number_text(v.cached)}</v>"
    return f"<c{s}><f>{escape(v.text)}</f>{cached}</c>"


@dataclass
class _Chart:
    xml: str
    col: int
    row: int
    width_cm: float
    height_cm: float


@dataclass
class Sheet:
    """One worksheet being written; rows go straight into the zip."""

    book: Book
    title: str
    index: int
    stream: Any
    rows: int = 0
    filter_ref: str | None = None
    charts: list[_Chart] = field(default_factory=list)
    _buffer: list[str] = field(default_factory=list)

    def append(self, values: Sequence[Any], encoders: Sequence[Encoder]) -> None:
        """One row; ``encoders[i]`` writes ``values[i]`` (None leaves the cell empty)."""
        self.rows += 1
        cells = [EMPTY if v is None else enc(v) for enc, v in zip(encoders, values)]
        while cells and cells[-1] == EMPTY:
            cells.pop()
        self._buffer.append(f'<row r="{self.rows}">{"".join(cells)}</row>')
        if len(self._buffer) >= FLUSH_ROWS:
            self.flush()

    def extend(self, rows: Iterable[Sequence[Any]], kinds: Sequence[str]) -> int:
        """Rows of one table, ``values[i]`` of column kind ``kinds[i]`` (a key of
        :data:`ENCODERS`): the rows :meth:`append` writes with those encoders, made by a
        function compiled for the kinds (:mod:`journal.exporters.xlsx_rows`). Returns
        how many rows."""
        from journal.exporters.xlsx_rows import row_cells

        cells = row_cells(kinds)
        buffer = self._buffer
        first = n = self.rows
        for values in rows:
            n += 1
            text = cells(values)
            while text.endswith(EMPTY):  # no other cell ends so: text is escaped
                text = text[:-4]
            buffer.append(f'<row r="{n}">{text}</row>')
            if len(buffer) >= FLUSH_ROWS:
                self.rows = n
                self.flush()
        self.rows = n
        return n - first

    def copy_rows(self, file: Any, count: int) -> int:
        """``count`` rows whose XML :meth:`extend` wrote to ``file`` (a sheet made apart,
        starting at this row); returns ``count``."""
        self.flush()
        while chunk := file.read(1 << 20):
            self.stream.write(chunk)
        self.rows += count
        return count

    def blank(self, count: int = 1) -> None:
        self.rows += count

    def autofilter(self, columns: int, rows: int | None = None) -> None:
        """The filter buttons on row 1 over ``columns`` columns and ``rows`` rows."""
        last = max(rows if rows is not None else self.rows, 1)
        self.filter_ref = f"A1:{column_letter(columns - 1)}{last}"

    def add_chart(self, xml: str, col: int, row: int, width_cm: float,
                  height_cm: float) -> None:
        """A chart (its chartSpace XML) with its top-left corner on cell (col, row),
        both 0-based."""
        self.charts.append(_Chart(xml, col, row, width_cm, height_cm))

    def flush(self) -> None:
        if self._buffer:
            self.stream.write("".join(self._buffer).encode("utf-8"))
            self._buffer.clear()


def write_bytes(path: str | Path, data: bytes) -> None:
    """A finished workbook (kept from an earlier export) written the way :class:`Book`
    writes one: beside its destination, renamed into place when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class Book:
    """``with Book(path) as book:`` then ``with book.sheet(...) as sh: sh.append(...)``;
    the workbook is complete (and renamed into place) when the ``with`` ends cleanly."""

    # zlib level 2 takes the time of level 1 (0.44 s for the 109 MB of XML of the 46.5k
    # ledger's workbook) for a file 8 % smaller (6.75 MB, not 7.37); level 6: 1.25 s, 5.1 MB
    def __init__(self, path: str | Path, *, compresslevel: int = 2):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.zip = zipfile.ZipFile(self.tmp, "w", zipfile.ZIP_DEFLATED,
                                   compresslevel=compresslevel)
        self.writer = ZipWriter(self.zip)  # deflates on a second core (zip_writer)
        self.sheets: list[Sheet] = []
        self.active = 0
        self._charts = 0

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def sheet(self, title: str, widths: Sequence[float] = (), *,
              freeze: str | None = "A2") -> _SheetContext:
        return _SheetContext(self, title[:31], widths, freeze)

    def _open(self, title: str, widths: Sequence[float], freeze: str | None) -> Sheet:
        index = len(self.sheets) + 1
        stream = self.writer.open(f"xl/worksheets/sheet{index}.xml")
        sh = Sheet(self, title, index, stream)
        self.sheets.append(sh)
        head = [_XML_DECL, f'<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">',
                _sheet_view(freeze, index - 1 == self.active)]
        if widths:
            head.append("<cols>" + "".join(
                f'<col min="{i}" max="{i}" width="{w:.2f}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)) + "</cols>")
        head.append("<sheetData>")
        stream.write("".join(head).encode("utf-8"))
        return sh

    def _close_sheet(self, sh: Sheet) -> None:
        sh.flush()
        tail = ["</sheetData>"]
        if sh.filter_ref:
            tail.append(f'<autoFilter ref="{sh.filter_ref}"/>')
        tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                    'header="0.3" footer="0.3"/>')
        if sh.charts:
            tail.append('<drawing r:id="rId1"/>')
        tail.append("</worksheet>")
        sh.stream.write("".join(tail).encode("utf-8"))
        sh.stream.close()
        if sh.charts:
            self._write_drawing(sh)

    def _write_drawing(self, sh: Sheet) -> None:
        from journal.exporters import xlsx_charts

        n = sh.index
        anchors, rels = [], []
        for k, ch in enumerate(sh.charts, start=1):
            self._charts += 1
            self._put(f"xl/charts/chart{self._charts}.xml", ch.xml)
            rels.append(_rel(f"rId{k}", "chart", f"../charts/chart{self._charts}.xml"))
            anchors.append(xlsx_charts.anchor(k, ch.col, ch.row, ch.width_cm, ch.height_cm))
        self._put(f"xl/drawings/drawing{n}.xml", xlsx_charts.drawing(anchors))
        self._put(f"xl/drawings/_rels/drawing{n}.xml.rels", _rels(rels))
        self._put(f"xl/worksheets/_rels/sheet{n}.xml.rels", _rels(
            [_rel("rId1", "drawing", f"../drawings/drawing{n}.xml")]))

    def _put(self, name: str, text: str) -> None:
        """A whole member, dated like the streamed sheets (the zip's 1980 epoch): the same
        ledger and arguments give the same file, byte for byte, whenever it is written."""
        self.writer.writestr(zipfile.ZipInfo(name), text, compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=self.zip.compresslevel)

    def close(self) -> None:
        try:
            self._put("xl/workbook.xml", self._workbook_xml())
            self._put("xl/_rels/workbook.xml.rels", _rels(
                [_rel(f"rId{sh.index}", "worksheet", f"worksheets/sheet{sh.index}.xml")
                 for sh in self.sheets]
                + [_rel(f"rId{len(self.sheets) + 1}", "styles", "styles.xml")]))
            self._put("xl/styles.xml", _styles_xml())
            self._put("_rels/.rels", _rels([_rel("rId1", "officeDocument", "xl/workbook.xml")]))
            self._put("[Content_Types].xml", self._content_types())
            self.writer.finish()  # the worker's error (a full disk...) is raised here
            self.zip.close()
        except BaseException:
            self.abort()
            raise
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.writer.abandon()  # the first error is the one to report
        with contextlib.suppress(Exception):
            self.zip.close()
        self.tmp.unlink(missing_ok=True)

    def _workbook_xml(self) -> str:
        sheets = "".join(f'<sheet name={quoteattr(sh.title)} sheetId="{sh.index}" '
                         f'r:id="rId{sh.index}"/>' for sh in self.sheets)
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{sh.index - 1}" '
            f'hidden="1">{escape(_quote_sheet(sh.title))}!{_absolute(sh.filter_ref)}'
            "</definedName>" for sh in self.sheets if sh.filter_ref)
        return (f'{_XML_DECL}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
                f'<bookViews><workbookView activeTab="{self.active}"/></bookViews>'
                f"<sheets>{sheets}</sheets>"
                + (f"<definedNames>{names}</definedNames>" if names else "")
                + '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>')

    def _content_types(self) -> str:
        ct = "application/vnd.openxmlformats-officedocument."
        parts = [("/xl/workbook.xml", ct + "spreadsheetml.sheet.main+xml"),
                 ("/xl/styles.xml", ct + "spreadsheetml.styles+xml")]
        for sh in self.sheets:
            parts.append((f"/xl/worksheets/sheet{sh.index}.xml",
                          ct + "spreadsheetml.worksheet+xml"))
            if sh.charts:
                parts.append((f"/xl/drawings/drawing{sh.index}.xml", ct + "drawing+xml"))
        parts += [(f"/xl/charts/chart{i}.xml", ct + "drawingml.chart+xml")
                  for i in range(1, self._charts + 1)]
        return (f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="application/'
                'vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts)
                + "</Types>")


class _SheetContext:
    def __init__(self, book: Book, title: str, widths: Sequence[float], freeze: str | None):
        self.args = (book, title, widths, freeze)
        self.sheet: Sheet | None = None

    def __enter__(self) -> Sheet:
        book, title, widths, freeze = self.args
        self.sheet = book._open(title, widths, freeze)
        return self.sheet

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None and self.sheet is not None:
            self.args[0]._close_sheet(self.sheet)


def widths_for(titles: Sequence[str], samples: Iterable[Sequence[str]], *,
               cap: int = 48) -> list[float]:
    """Column widths (characters) from the headers' words and the first rows' text."""
    widest = [max(min(len(t), 16), max((len(w) for w in t.split()), default=0))
              for t in titles]
    for row in samples:
        for i, text in enumerate(row):
            widest[i] = max(widest[i], len(text))
    return [float(min(cap, w + 2)) for w in widest]


_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str | None) -> str:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref or "")


def _sheet_view(freeze: str | None, selected: bool) -> str:
    tab = ' tabSelected="1"' if selected else ""
    if not freeze or freeze == "A1":
        return f'<sheetViews><sheetView workbookViewId="0"{tab}/></sheetViews>'
    m = re.fullmatch(r"([A-Z]+)(\d+)", freeze)
    if m is None:
        raise ValueError(freeze)
    cols = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1)))) - 1
    rows = int(m.group(2)) - 1
    split = (f' xSplit="{cols}"' if cols else "") + (f' ySplit="{rows}"' if rows else "")
    pane = "bottomRight" if cols and rows else ("bottomLeft" if rows else "topRight")
    return (f'<sheetViews><sheetView workbookViewId="0"{tab}><pane{split} '
            f'topLeftCell="{freeze}" activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{freeze}" sqref="{freeze}"/>'
            "</sheetView></sheetViews>")


def _rel(rid: str, kind: str, target: str) -> str:
    base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    return f'<Relationship Id="{rid}" Type="{base}{kind}" Target="{target}"/>'


def _rels(items: Sequence[str]) -> str:
    return (f'{_XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships">{"".join(items)}</Relationships>')


def _styles_xml() -> str:
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(f)}/>'
                   for i, f in _CUSTOM_FORMATS.items())
    fonts = ('<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
             '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
             '<font><b/><sz val="14"/><name val="Calibri"/><family val="2"/></font>')
    fills = ('<fill><patternFill patternType="none"/></fill>'
             '<fill><patternFill patternType="gray125"/></fill>'
             '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE4EE"/>'
             '<bgColor indexed="64"/></patternFill></fill>')
    xfs = []
    for fmt, font, fill, wrap in _STYLES.values():
        attrs = (f'numFmtId="{fmt}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
                 + (' applyNumberFormat="1"' if fmt else "")
                 + (' applyFont="1"' if font else "") + (' applyFill="1"' if fill else ""))
        if wrap:
            xfs.append(f'<xf {attrs} applyAlignment="1"><alignment wrapText="1" '
                       'vertical="top"/></xf>')
        else:
            xfs.append(f"<xf {attrs}/>")
    return (f'{_XML_DECL}<styleSheet xmlns="{_NS_MAIN}">'
            f'<numFmts count="{len(_CUSTOM_FORMATS)}">{fmts}</numFmts>'
            f'<fonts count="3">{fonts}</fonts><fills count="3">{fills}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            f'borderId="0"/></cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}'
            '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
            'builtinId="0"/></cellStyles></styleSheet>')
