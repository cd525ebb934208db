"""Native Excel charts (DrawingML) for the streaming writer: column and line charts whose
series refer to cells of the workbook, so they follow any edit of those cells.

Elements are written in the order the schema requires (Excel refuses a chart whose
children are out of order, where more forgiving readers would not notice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

_NS = ('xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
       'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
EMU_PER_CM = 360000
CAT_AXIS, VAL_AXIS = 500010, 500020
DOLLARS = '"$"#,##0;[Red]-"$"#,##0'


@dataclass(frozen=True)
class Series:
    name_ref: str  # the header cell: 'Monthly'!$E$1
    values_ref: str  # 'Monthly'!$E$2:$E$85
    color: str  # RRGGBB


def ref(sheet: str, col: str, first: int, last: int | None = None) -> str:
    """An absolute reference to a cell or a column range on ``sheet``."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    if last is None:
        return f"{quoted}!${col}${first}"
    return f"{quoted}!${col}${first}:${col}${last}"


def _title(text: str) -> str:
    return ('<c:title><c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="1200" b="1"/>'
            f'</a:pPr><a:r><a:rPr lang="en-US" sz="1200" b="1"/><a:t>{escape(text)}</a:t>'
            '</a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>')


def _fill(color: str) -> str:
    return f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'


def _line(color: str) -> str:
    return (f'<c:spPr><a:ln w="22225" cap="rnd"><a:solidFill><a:srgbClr val="{color}"/>'
            '</a:solidFill><a:round/></a:ln></c:spPr>')


def _series(i: int, s: Series, categories: str, *, line: bool) -> str:
    style = (_line(s.color) + '<c:marker><c:symbol val="none"/></c:marker>' if line
             else _fill(s.color) + '<c:invertIfNegative val="0"/>')
    return (f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/>'
            f"<c:tx><c:strRef><c:f>{escape(s.name_ref)}</c:f></c:strRef></c:tx>{style}"
            f"<c:cat><c:strRef><c:f>{escape(categories)}</c:f></c:strRef></c:cat>"
            f"<c:val><c:numRef><c:f>{escape(s.values_ref)}</c:f></c:numRef></c:val>"
            + ('<c:smooth val="0"/>' if line else "") + "</c:ser>")


def _axes(value_format: str, label_skip: int) -> str:
    skip = (f'<c:tickLblSkip val="{label_skip}"/><c:tickMarkSkip val="{label_skip}"/>'
            if label_skip > 1 else "")
    return (f'<c:catAx><c:axId val="{CAT_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
            '</c:scaling><c:delete val="0"/><c:axPos val="b"/>'
            '<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="out"/>'
            '<c:minorTickMark val="none"/><c:tickLblPos val="low"/>'
            f'<c:crossAx val="{VAL_AXIS}"/><c:crosses val="autoZero"/><c:auto val="1"/>'
            f'<c:lblAlgn val="ctr"/><c:lblOffset val="100"/>{skip}'
            '<c:noMultiLvlLbl val="0"/></c:catAx>'
            f'<c:valAx><c:axId val="{VAL_AXIS}"/><c:scaling><c:orientation val="minMax"/>'
            '</c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines>'
            '<c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill>'
            '</a:ln></c:spPr></c:majorGridlines>'
            f'<c:numFmt formatCode="{escape(value_format, {chr(34): "&quot;"})}" '
            'sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
            f'<c:tickLblPos val="nextTo"/><c:crossAx val="{CAT_AXIS}"/>'
            '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>')


def chart(title: str, categories: str, series: Sequence[Series], *, kind: str = "bar",
          value_format: str = DOLLARS, label_skip: int = 1) -> str:
    """The chartSpace XML of a column (``bar``) or ``line`` chart; ``label_skip`` shows
    every n-th category label (12: one per year of months)."""
    line = kind == "line"
    sers = "".join(_series(i, s, categories, line=line) for i, s in enumerate(series))
    axes_ids = f'<c:axId val="{CAT_AXIS}"/><c:axId val="{VAL_AXIS}"/>'
    if line:
        plot = (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{sers}'
                f'<c:marker val="1"/>{axes_ids}</c:lineChart>')
    else:
        plot = ('<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
                f'<c:varyColors val="0"/>{sers}<c:gapWidth val="40"/>{axes_ids}'
                "</c:barChart>")
    legend = ('<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
              if len(series) > 1 else "")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<c:chartSpace {_NS}><c:roundedCorners val="0"/><c:chart>{_title(title)}'
            f'<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>{plot}'
            f"{_axes(value_format, label_skip)}</c:plotArea>{legend}"
            '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')


def anchor(rid: int, col: int, row: int, width_cm: float, height_cm: float) -> str:
    """A chart placed with its top-left corner on a cell and a fixed size (columns
    widened later do not stretch it)."""
    cx, cy = int(width_cm * EMU_PER_CM), int(height_cm * EMU_PER_CM)
    return ('<xdr:oneCellAnchor>'
            f'<xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff>'
            f'<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:ext cx="{cx}" cy="{cy}"/>'
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
            f'<xdr:cNvPr id="{rid + 1}" name="Chart {rid}"/><xdr:cNvGraphicFramePr/>'
            '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/>'
            '</xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
            'drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/'
            f'drawingml/2006/chart" r:id="rId{rid}"/></a:graphicData></a:graphic>'
            '</xdr:graphicFrame><xdr:clientData/></xdr:oneCellAnchor>')


def drawing(anchors: Sequence[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
            'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/'
            'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships">{"".join(anchors)}</xdr:wsDr>')
