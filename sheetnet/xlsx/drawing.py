"""XML for the parts around a worksheet: cell notes (comments plus the
legacy VML shapes Excel needs to show them) and native charts."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..charts import Chart
from ..refs import cell_name, parse_cell, split_sheet

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_C_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


# --- notes ----------------------------------------------------------------------

def comments_xml(notes: dict[tuple[int, int], str]) -> str:
    items = "".join(
        f'<comment ref="{cell_name(r, c)}" authorId="0"><text><r><t xml:space="preserve">{escape(text)}</t></r>'
        f"</text></comment>" for (r, c), text in sorted(notes.items()))
    return (_XML_HEAD + f'<comments xmlns="{_MAIN_NS}"><authors><author>sheetnet</author></authors>'
            f"<commentList>{items}</commentList></comments>")


def notes_vml(notes: dict[tuple[int, int], str]) -> str:
    """Excel draws a note from a VML shape; hidden until the cell is hovered."""
    shapes = []
    for i, ((r, c), _) in enumerate(sorted(notes.items()), start=1):
        shapes.append(
            f'<v:shape id="_x0000_s{1024 + i}" type="#_x0000_t202" '
            'style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;width:180pt;height:60pt;'
            'z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
            '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"/>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:Anchor>{c + 1}, 15, {r}, 2, {c + 4}, 15, {r + 4}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{r}</x:Row><x:Column>{c}</x:Column></x:ClientData>"
            "</v:shape>")
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            + "".join(shapes) + "</xml>")


# --- charts -----------------------------------------------------------------------

# Explicit series colours: the workbook carries no theme for charts to draw from.
PALETTE = ["4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47", "264478", "9E480E"]

def drawing_xml(charts: list[Chart], first_rel: int = 1, buttons=()) -> str:
    """One twoCellAnchor per chart (chart i uses relationship rId{first_rel + i}),
    then one per macro button (:func:`button_anchor`)."""
    anchors = []
    for i, chart in enumerate(charts):
        a = parse_cell(chart.anchor.replace("$", ""))
        anchors.append(
            f"<xdr:twoCellAnchor><xdr:from><xdr:col>{a.col}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{a.row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{a.col + chart.width}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{a.row + chart.height}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{i + 2}" name="Chart {i + 1}"/>'
            "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{_C_NS}"><c:chart xmlns:c="{_C_NS}" r:id="rId{first_rel + i}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>")
    for k, button in enumerate(buttons):
        anchors.append(button_anchor(button, shape_id=len(charts) + k + 2))
    return (_XML_HEAD + f'<xdr:wsDr xmlns:xdr="{_XDR_NS}" xmlns:a="{_A_NS}" xmlns:r="{_R_NS}">'
            + "".join(anchors) + "</xdr:wsDr>")


def button_anchor(button, shape_id: int) -> str:
    """A rounded rectangle over the button's cells with its macro assigned
    (``macro="[0]!Module.Sub"``, [0] meaning this workbook), as Excel writes a
    shape the user gave a macro with "Assign Macro...".  Printed: no."""
    a = button.area
    return (f'<xdr:twoCellAnchor editAs="oneCell"><xdr:from><xdr:col>{a.c0}</xdr:col><xdr:colOff>38100</xdr:colOff>'
            f"<xdr:row>{a.r0}</xdr:row><xdr:rowOff>19050</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{a.c1 + 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{a.r1 + 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:sp macro="[0]!{escape(button.macro)}" textlink="">'
            f'<xdr:nvSpPr><xdr:cNvPr id="{shape_id}" name="Button {escape(button.text)}"/><xdr:cNvSpPr/></xdr:nvSpPr>'
            '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></a:xfrm>'
            '<a:prstGeom prst="roundRect"><a:avLst/></a:prstGeom>'
            '<a:solidFill><a:srgbClr val="DDEBF7"/></a:solidFill>'
            '<a:ln w="9525"><a:solidFill><a:srgbClr val="4472C4"/></a:solidFill></a:ln></xdr:spPr>'
            '<xdr:txBody><a:bodyPr vertOverflow="clip" horzOverflow="clip" rtlCol="0" anchor="ctr"/><a:lstStyle/>'
            f'<a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="en-US" sz="1000" b="1"><a:solidFill><a:srgbClr val="000000"/>'
            f"</a:solidFill></a:rPr><a:t>{escape(button.text)}</a:t></a:r></a:p></xdr:txBody></xdr:sp>"
            '<xdr:clientData fPrintsWithSheet="0"/></xdr:twoCellAnchor>')


def _rich(text: str) -> str:
    return (f'<c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>{escape(text)}</a:t></a:r></a:p></c:rich></c:tx>'
            '<c:overlay val="0"/>')


def _num_ref(ref: str, values: list) -> str:
    pts = "".join(f'<c:pt idx="{i}"><c:v>{v!r}</c:v></c:pt>' for i, v in enumerate(values)
                  if isinstance(v, float))
    return (f"<c:numRef><c:f>{escape(ref)}</c:f><c:numCache><c:formatCode>General</c:formatCode>"
            f'<c:ptCount val="{len(values)}"/>{pts}</c:numCache></c:numRef>')


def chart_xml(chart: Chart, resolve) -> str:
    """`resolve(ref)` gives the cached values of a range (floats, None for non-numbers)."""
    series = []
    for i, s in enumerate(chart.series):
        cat = ""
        if s.categories:
            tag = "c:xVal" if chart.kind == "scatter" else "c:cat"
            cat = f"<{tag}>{_num_ref(s.categories, resolve(s.categories))}</{tag}>"
        val_tag = "c:yVal" if chart.kind == "scatter" else "c:val"
        marker = '<c:marker><c:symbol val="none"/></c:marker>'
        smooth = '<c:smooth val="0"/>'
        colour = PALETTE[i % len(PALETTE)]
        line = (f'<c:spPr><a:ln w="22225" cap="rnd"><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
                '<a:round/></a:ln></c:spPr>')
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/>'
            f"<c:tx><c:v>{escape(s.name)}</c:v></c:tx>"
            f'{line}{marker}{cat}'
            f"<{val_tag}>{_num_ref(s.values, resolve(s.values))}</{val_tag}>{smooth}</c:ser>")
    if chart.kind == "scatter":
        plot = (f'<c:scatterChart><c:scatterStyle val="lineMarker"/><c:varyColors val="0"/>{"".join(series)}'
                '<c:axId val="1001"/><c:axId val="1002"/></c:scatterChart>')
        x_axis = _val_axis(1001, 1002, "b", chart.x_title, False)
    else:
        plot = (f'<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>{"".join(series)}'
                '<c:marker val="1"/><c:axId val="1001"/><c:axId val="1002"/></c:lineChart>')
        x_axis = (f'<c:catAx><c:axId val="1001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
                  f'<c:delete val="0"/><c:axPos val="b"/>{_axis_title(chart.x_title)}'
                  '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="low"/>'
                  '<c:crossAx val="1002"/><c:crosses val="autoZero"/><c:auto val="1"/>'
                  '<c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>')
    y_axis = _val_axis(1002, 1001, "l", chart.y_title, chart.log_y)
    return (_XML_HEAD + f'<c:chartSpace xmlns:c="{_C_NS}" xmlns:a="{_A_NS}" xmlns:r="{_R_NS}">'
            '<c:roundedCorners val="0"/>'
            f'<c:chart><c:title>{_rich(chart.title)}</c:title><c:autoTitleDeleted val="0"/>'
            f"<c:plotArea><c:layout/>{plot}{x_axis}{y_axis}</c:plotArea>"
            '<c:legend><c:legendPos val="r"/><c:overlay val="0"/></c:legend>'
            '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')


def _axis_title(text: str | None) -> str:
    return f"<c:title>{_rich(text)}</c:title>" if text else ""


def _val_axis(ax_id: int, cross: int, pos: str, title: str | None, log: bool) -> str:
    scaling = '<c:logBase val="10"/>' if log else ""
    return (f'<c:valAx><c:axId val="{ax_id}"/><c:scaling>{scaling}<c:orientation val="minMax"/></c:scaling>'
            f'<c:delete val="0"/><c:axPos val="{pos}"/>'
            + ('<c:majorGridlines/>' if pos == "l" else "")
            + f'{_axis_title(title)}<c:numFmt formatCode="General" sourceLinked="1"/>'
            f'<c:tickLblPos val="low"/><c:crossAx val="{cross}"/><c:crosses val="autoZero"/>'
            '<c:crossBetween val="between"/></c:valAx>')


def range_values(book, ref: str) -> list:
    """The cached numbers of "Sheet!$A$1:$A$9" in reading order (None where not a number)."""
    sheet_name, area = split_sheet(ref)
    sheet, a = book.resolve_area(ref, sheet_name)
    out = []
    for r, c in a.cells():
        v = sheet.values.get(r, c)
        out.append(float(v) if isinstance(v, float) and not isinstance(v, bool) else None)
    return out
