"""Writing a Book as an .xlsx with live formulas and correct cached values.

* Formulas are written with the values sheetnet's engine computed, so
  viewers, pandas, openpyxl(data_only=True) and LibreOffice (which trusts
  stored values on opening) all see numbers.
* A formula filled over a rectangle is one shared formula, as Excel writes
  it; legacy array formulas keep their {=...} form and range.
* Output is byte-for-byte deterministic (fixed zip timestamps, stable part
  and style order) and written atomically: a failure leaves no partial file.
"""

from __future__ import annotations

import os
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from ..book import Book, FormulaGroup, Sheet, Table
from ..errors import ERR_BASE, ERROR_NAMES, FormulaSyntaxError, UserError
from ..formula.ast import Call, StructRef, walk
from ..formula.prefixes import file_prefix
from ..formula.render import render, render_for_file
from ..refs import cell_name, col_letters
from ..store import BLANK, BOOL, NUM, STR
from ..style import Style
from . import drawing as drawing_parts
from .rich_error_parts import METADATA_CONTENT, RICH_ERROR_CODES, RichErrors, metadata_xml
from .package import zip_output

_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def number_xml(x: float) -> str:
    """Shortest text that reads back as the same double."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def write_workbook(book: Book, path: str, *, recalc: bool = True, overwrite: bool = True,
                   shared_formulas: bool = True) -> None:
    """Write `book` to `path` (.xlsx).  With recalc (the default) the engine
    first computes every formula so the cached values are right.  Without
    shared_formulas every cell gets its formula written out in full, as
    LibreOffice, openpyxl or pandas write them (for benchmarks and tests)."""
    path = str(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"{path}: the folder {folder} does not exist")
    if not overwrite and os.path.exists(path):
        raise UserError(f"{path}: already exists")
    if recalc:
        from ..engine import Engine
        Engine(book).recalc()
    parts = _Parts(book, shared_formulas).build()
    with zip_output(path, compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            # big sheets: fast compression (level 1 is ~3x faster than 6)
            zf.writestr(info, data, compresslevel=1 if len(data) > (8 << 20) else 6)


class _Styles:
    """Unique styles -> cellXfs indices (0 is the default style)."""

    def __init__(self):
        self.styles: list[Style] = [Style()]
        self.index: dict[Style, int] = {Style(): 0}

    def id(self, style: Style) -> int:
        if style not in self.index:
            self.index[style] = len(self.styles)
            self.styles.append(style)
        return self.index[style]

    def xml(self) -> str:
        fonts, fills, numfmts, xfs = [], [], [], []
        font_ids: dict = {}
        fill_ids: dict = {}
        fmt_ids: dict = {}

        def font(s: Style) -> int:
            key = (s.bold, s.italic, s.color)
            if key not in font_ids:
                font_ids[key] = len(fonts)
                parts = ("<b/>" if s.bold else "") + ("<i/>" if s.italic else "")
                colour = f'<color rgb="FF{s.color}"/>' if s.color else ""
                fonts.append(f'<font>{parts}<sz val="11"/>{colour}<name val="Calibri"/><family val="2"/></font>')
            return font_ids[key]

        def fill(s: Style) -> int:
            if s.fill is None:
                return 0
            if s.fill not in fill_ids:
                fill_ids[s.fill] = len(fills) + 2      # 0 and 1 are reserved by Excel
                fills.append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{s.fill}"/>'
                             f'<bgColor indexed="64"/></patternFill></fill>')
            return fill_ids[s.fill]

        def numfmt(s: Style) -> int:
            if s.number_format is None:
                return 0
            if s.number_format not in fmt_ids:
                fmt_ids[s.number_format] = 164 + len(numfmts)
                numfmts.append(f'<numFmt numFmtId="{164 + len(numfmts)}" formatCode={quoteattr(s.number_format)}/>')
            return fmt_ids[s.number_format]

        for s in self.styles:
            f, fl, nf = font(s), fill(s), numfmt(s)
            border = 1 if s.border else 0
            align = ""
            if s.align or s.wrap:
                attrs = (f' horizontal="{s.align}"' if s.align else "") + (' wrapText="1"' if s.wrap else "")
                align = f"<alignment{attrs}/>"
            applies = (' applyFont="1"' if f else "") + (' applyFill="1"' if fl else "") + \
                (' applyNumberFormat="1"' if nf else "") + (' applyBorder="1"' if border else "") + \
                (' applyAlignment="1"' if align else "")
            xfs.append(f'<xf numFmtId="{nf}" fontId="{f}" fillId="{fl}" borderId="{border}" xfId="0"{applies}>'
                       f'{align}</xf>' if align else
                       f'<xf numFmtId="{nf}" fontId="{f}" fillId="{fl}" borderId="{border}" xfId="0"{applies}/>')
        num_xml = f'<numFmts count="{len(numfmts)}">{"".join(numfmts)}</numFmts>' if numfmts else ""
        fills_xml = ('<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
                     + "".join(fills))
        borders = ('<border><left/><right/><top/><bottom/><diagonal/></border>'
                   '<border><left style="thin"><color rgb="FFBFBFBF"/></left><right style="thin"><color rgb="FFBFBFBF"/>'
                   '</right><top style="thin"><color rgb="FFBFBFBF"/></top><bottom style="thin"><color rgb="FFBFBFBF"/>'
                   '</bottom><diagonal/></border>')
        return (_XML_HEAD + f'<styleSheet xmlns="{_MAIN_NS}">{num_xml}'
                f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
                f'<fills count="{len(fills) + 2}">{fills_xml}</fills>'
                f'<borders count="2">{borders}</borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                '</styleSheet>')


class _SharedStrings:
    def __init__(self):
        self.items: list[str] = []
        self.index: dict[str, int] = {}
        self.count = 0

    def id(self, text: str) -> int:
        self.count += 1
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(text)
        return self.index[text]

    def xml(self) -> str:
        body = "".join(f'<si><t xml:space="preserve">{_xml_text(t)}</t></si>' for t in self.items)
        return (_XML_HEAD + f'<sst xmlns="{_MAIN_NS}" count="{self.count}" uniqueCount="{len(self.items)}">'
                f"{body}</sst>")


def _xml_text(text: str) -> str:
    """Escape for XML text; control characters Excel cannot store become _xHHHH_
    (and a literal "_xHHHH_" keeps its underscore as _x005F_, as the reader
    expects)."""
    out = escape(text)
    if "_x" in out:
        out = re.sub(r"_(?=x[0-9A-Fa-f]{4}_)", "_x005F_", out)
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in out):
        out = "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 and ch not in "\t\n\r" else ch for ch in out)
    return out


class _Parts:
    def __init__(self, book: Book, shared_formulas: bool = True):
        self.book = book
        self.shared_formulas = shared_formulas
        self.styles = _Styles()
        self.sst = _SharedStrings()

    def build(self) -> list[tuple[str, bytes]]:
        self.extra_parts: list[tuple[str, str]] = []
        self.content_overrides: list[tuple[str, str]] = []
        self.chart_count = 0
        self.table_count = 0
        self.has_dynamic = any(g.dynamic for sh in self.book.sheets for g in sh.groups)
        self.code_names = _code_names(self.book) if self.book.vba_modules is not None else {}
        self.rich_errors = RichErrors()          # #SPILL!/#CALC! cells: vm numbers, filled by the sheets
        sheets = [self._sheet_xml(s, i) for i, s in enumerate(self.book.sheets, start=1)]
        self.has_metadata = self.has_dynamic or bool(self.rich_errors)
        self.rich_parts = self.rich_errors.parts() if self.rich_errors else []
        parts = [
            ("[Content_Types].xml", self._content_types()),
            ("_rels/.rels", self._root_rels()),
            ("docProps/app.xml", self._app()),
            ("docProps/core.xml", self._core()),
            ("xl/workbook.xml", self._workbook()),
            ("xl/_rels/workbook.xml.rels", self._workbook_rels()),
            ("xl/styles.xml", self.styles.xml()),
            ("xl/sharedStrings.xml", self.sst.xml()),
        ]
        for i, xml in enumerate(sheets, start=1):
            parts.append((f"xl/worksheets/sheet{i}.xml", xml))
        if self.has_metadata:
            parts.append(("xl/metadata.xml", metadata_xml(self.has_dynamic, self.rich_errors)))
        parts.extend((f"xl/{name}", xml) for name, xml, _, _ in self.rich_parts)
        if self.book.vba_modules is not None:
            parts.append(("xl/vbaProject.bin", _vba_project(self.book, self.code_names)))
        parts.extend(self.extra_parts)
        return [(name, data.encode("utf-8") if isinstance(data, str) else data) for name, data in parts]

    # --- package boilerplate ------------------------------------------------------------

    def _content_types(self) -> str:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.book.sheets) + 1))
        return (_XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>'
                '<Override PartName="/xl/workbook.xml" '
                f'ContentType="{self._main_content_type()}"/>'
                f"{overrides}"
                + "".join(f'<Override PartName="/{name}" ContentType="{ctype}"/>'
                          for name, ctype in self.content_overrides)
                + (f'<Override PartName="/xl/metadata.xml" ContentType="{METADATA_CONTENT}"/>'
                   if self.has_metadata else "")
                + "".join(f'<Override PartName="/xl/{name}" ContentType="{ctype}"/>'
                          for name, _, _, ctype in self.rich_parts)
                + ('<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                   if self.book.vba_modules is not None else "")
                + '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                "</Types>")

    def _main_content_type(self) -> str:
        """An .xlsm's workbook part says it holds macros; Excel refuses a mismatch with the suffix."""
        if self.book.vba_modules is not None:
            return "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

    def _root_rels(self) -> str:
        return (_XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
                f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                'metadata/core-properties" Target="docProps/core.xml"/>'
                f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>")

    def _app(self) -> str:
        return (_XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
                'properties"><Application>sheetnet</Application></Properties>')

    def _core(self) -> str:
        return (_XML_HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
                'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>sheetnet</dc:creator>'
                '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
                '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>'
                "</cp:coreProperties>")

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name={quoteattr(s.name)} sheetId="{i}"{" state=" + chr(34) + "hidden" + chr(34) if s.hidden else ""} '
            f'r:id="rId{i}"/>' for i, s in enumerate(self.book.sheets, start=1))
        index = {s.name.casefold(): i for i, s in enumerate(self.book.sheets)}
        names = []
        for n in sorted(self.book.names, key=lambda n: (n.name.casefold(), n.scope or "")):
            local = ""
            if n.scope is not None:
                if n.scope.casefold() not in index:
                    continue
                local = f' localSheetId="{index[n.scope.casefold()]}"'
            hidden = ' hidden="1"' if n.hidden else ""
            names.append(f"<definedName name={quoteattr(n.name)}{local}{hidden}>{escape(n.refers_to)}</definedName>")
        names_xml = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (_XML_HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                f'{self._workbook_pr()}<bookViews><workbookView activeTab="0"/></bookViews>'
                f"<sheets>{sheets}</sheets>{names_xml}"
                f'<calcPr calcId="191029"{self._iteration()} fullCalcOnLoad="1"/></workbook>')

    def _workbook_pr(self) -> str:
        """A macro workbook names its VBA document module (ThisWorkbook)."""
        if self.book.vba_modules is not None:
            return '<workbookPr codeName="ThisWorkbook"/>'
        return "<workbookPr/>"

    def _iteration(self) -> str:
        """Iterative calculation settings, kept from the book (see Engine.iteration)."""
        props = self.book.calc_props
        if props.get("calcPr.iterate") not in ("1", "true"):
            return ""
        return (f' iterate="1" iterateCount="{int(props.get("calcPr.iterateCount", "100"))}"'
                f' iterateDelta="{float(props.get("calcPr.iterateDelta", "0.001"))!r}"')

    def _workbook_rels(self) -> str:
        n = len(self.book.sheets)
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, n + 1))
        rels += (f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{n + 2}" Type="{_REL_NS}/sharedStrings" Target="sharedStrings.xml"/>')
        if self.has_metadata:
            rels += f'<Relationship Id="rId{n + 3}" Type="{_REL_NS}/sheetMetadata" Target="metadata.xml"/>'
        rels += "".join(f'<Relationship Id="rId{n + 4 + k}" Type="{rtype}" Target="{name}"/>'
                        for k, (name, _, rtype, _) in enumerate(self.rich_parts))
        if self.book.vba_modules is not None:
            rels += ('<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/'
                     'vbaProject" Target="vbaProject.bin"/>')
        return _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{rels}</Relationships>'

    # --- worksheets -----------------------------------------------------------------------

    def _sheet_extras(self, sheet: Sheet, i: int) -> str:
        """Notes and charts: their parts, the sheet's relationships, and the
        elements the worksheet needs to point at them."""
        rels, tail = [], ""
        if sheet.charts or sheet.buttons:
            drawing = f"xl/drawings/drawing{i}.xml"
            chart_rels = []
            for k, chart in enumerate(sheet.charts, start=1):
                self.chart_count += 1
                name = f"xl/charts/chart{self.chart_count}.xml"
                self.extra_parts.append((name, drawing_parts.chart_xml(
                    chart, lambda ref: drawing_parts.range_values(self.book, ref))))
                self.content_overrides.append(
                    (name, "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"))
                chart_rels.append(f'<Relationship Id="rId{k}" Type="{_REL_NS}/chart" '
                                  f'Target="../charts/chart{self.chart_count}.xml"/>')
            self.extra_parts.append((drawing, drawing_parts.drawing_xml(sheet.charts, buttons=sheet.buttons)))
            if chart_rels:
                self.extra_parts.append((f"xl/drawings/_rels/drawing{i}.xml.rels",
                                         _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{"".join(chart_rels)}'
                                         "</Relationships>"))
            self.content_overrides.append((drawing, "application/vnd.openxmlformats-officedocument.drawing+xml"))
            rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{_REL_NS}/drawing" '
                        f'Target="../drawings/drawing{i}.xml"/>')
            tail += f'<drawing r:id="rId{len(rels)}"/>'
        if sheet.notes:
            comments = f"xl/comments{i}.xml"
            self.extra_parts.append((comments, drawing_parts.comments_xml(sheet.notes)))
            self.extra_parts.append((f"xl/drawings/vmlDrawing{i}.vml", drawing_parts.notes_vml(sheet.notes)))
            self.content_overrides.append(
                (comments, "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"))
            rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{_REL_NS}/comments" '
                        f'Target="../comments{i}.xml"/>')
            rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{_REL_NS}/vmlDrawing" '
                        f'Target="../drawings/vmlDrawing{i}.vml"/>')
            tail += f'<legacyDrawing r:id="rId{len(rels)}"/>'
        tables = [t for t in self.book.tables if t.sheet.casefold() == sheet.name.casefold()]
        if tables:
            parts = []
            for t in tables:
                self.table_count += 1
                name = f"xl/tables/table{self.table_count}.xml"
                self.extra_parts.append((name, _table_xml(t, self.table_count)))
                self.content_overrides.append(
                    (name, "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"))
                rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{_REL_NS}/table" '
                            f'Target="../tables/table{self.table_count}.xml"/>')
                parts.append(f'<tablePart r:id="rId{len(rels)}"/>')
            tail += f'<tableParts count="{len(parts)}">{"".join(parts)}</tableParts>'
        if rels:
            self.extra_parts.append((f"xl/worksheets/_rels/sheet{i}.xml.rels",
                                     _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{"".join(rels)}'
                                     "</Relationships>"))
        return tail

    def _sheet_xml(self, sheet: Sheet, i: int) -> str:
        tail = self._sheet_extras(sheet, i)
        cells = _SheetCells(sheet, self.styles, self.book, self.shared_formulas)
        rows_xml = cells.rows_xml(self.sst, self.rich_errors)
        dim = cells.dimension()
        views = '<sheetViews><sheetView workbookViewId="0"'
        if sheet is self.book.sheets[0]:
            views += ' tabSelected="1"'
        if sheet.freeze:
            fr, fc = sheet.freeze
            top_left = cell_name(fr, fc)
            pane_name = "bottomRight" if fr and fc else ("bottomLeft" if fr else "topRight")
            split = (f' xSplit="{fc}"' if fc else "") + (f' ySplit="{fr}"' if fr else "")
            views += (f'><pane{split} topLeftCell="{top_left}" activePane="{pane_name}" state="frozen"/>'
                      f'<selection pane="{pane_name}" activeCell="{top_left}" sqref="{top_left}"/></sheetView>'
                      "</sheetViews>")
        else:
            views += "/></sheetViews>"
        cols = ""
        if sheet.col_widths:
            cols = "<cols>" + "".join(
                f'<col min="{c + 1}" max="{c + 1}" width="{w:g}" customWidth="1"/>'
                for c, w in sorted(sheet.col_widths.items())) + "</cols>"
        page = sheet.page
        sheet_pr, setup = "", ""
        margins = 'left="0.7" right="0.7" top="0.75" bottom="0.75"'
        if page is not None:
            margins = 'left="0.5" right="0.5" top="0.6" bottom="0.6"'
            fit = f' fitToWidth="{page.fit_width}" fitToHeight="{page.fit_height}"' if page.fit_width else ""
            sheet_pr = '<pageSetUpPr fitToPage="1"/>' if page.fit_width else ""
            setup = f'<pageSetup paperSize="9" orientation="{"landscape" if page.landscape else "portrait"}"{fit}/>'
        code_name = f" codeName={quoteattr(self.code_names[sheet.name])}" if sheet.name in self.code_names else ""
        if sheet_pr or code_name:
            sheet_pr = f"<sheetPr{code_name}>{sheet_pr}</sheetPr>" if sheet_pr else f"<sheetPr{code_name}/>"
        return (_XML_HEAD + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                f'{sheet_pr}<dimension ref="{dim}"/>{views}<sheetFormatPr defaultRowHeight="15"/>{cols}'
                f'<sheetData>{rows_xml}</sheetData>{_color_scales_xml(sheet)}<pageMargins {margins} '
                f'header="0.3" footer="0.3"/>{setup}{tail}</worksheet>')


def _code_names(book: Book) -> dict[str, str]:
    """sheet name -> VBA code name for a macro workbook: the sheet's own, else its name made
    an identifier ("Start here" -> "Start_here"), unique among the sheets and modules."""
    taken = {"thisworkbook"} | {m.name.casefold() for m in book.vba_modules or ()}
    out = {}
    for sheet in book.sheets:
        base = sheet.code_name or re.sub(r"[^A-Za-z0-9_]", "_", sheet.name)
        if not base[:1].isalpha():
            base = "Sheet_" + base
        base = base[:28]
        name, k = base, 1
        while name.casefold() in taken:
            k += 1
            name = f"{base}{k}"
        taken.add(name.casefold())
        out[sheet.name] = name
    return out


def _vba_project(book: Book, code_names: dict[str, str]) -> bytes:
    """xl/vbaProject.bin: the workbook's and each sheet's (empty) document module, then the book's modules."""
    from ..vba import Module, vba_project_bin
    from ..vba.project import WORKBOOK_BASE, WORKSHEET_BASE
    documents = [Module("ThisWorkbook", "", WORKBOOK_BASE)]
    documents += [Module(code_names[s.name], "", WORKSHEET_BASE) for s in book.sheets]
    return vba_project_bin(documents + list(book.vba_modules))


def _color_scales_xml(sheet: Sheet) -> str:
    """Two-colour scales, the first with the highest priority (1), as Excel writes them."""
    out = []
    for priority, scale in enumerate(sheet.color_scales, start=1):
        sqref = " ".join(a.a1 for a in scale.areas)
        out.append(f'<conditionalFormatting sqref="{sqref}"><cfRule type="colorScale" priority="{priority}">'
                   f'<colorScale><cfvo type="min"/><cfvo type="max"/><color rgb="FF{scale.low}"/>'
                   f'<color rgb="FF{scale.high}"/></colorScale></cfRule></conditionalFormatting>')
    return "".join(out)


class _SheetCells:
    """Every cell to write on one sheet, in row-major order, with its formula
    element, value and style -- built as whole lists, not cell by cell, so a
    1.4-million-formula sheet writes in seconds."""

    def __init__(self, sheet: Sheet, styles: _Styles, book: Book | None = None, shared: bool = True):
        self.sheet = sheet
        self.book = book
        self.shared = shared
        v = sheet.values
        R, C = v.num.shape
        # formula elements: an id per cell into self.elements ("" = none)
        self.elements: list[str] = [""]
        self.fid = np.zeros((R, C), dtype=np.int32)
        self.dynamic: set[tuple[int, int]] = set()      # anchors of dynamic arrays: cm="1"
        si = 0
        for g in sheet.groups:
            si = self._formula_elements(g, si)
        style_grid = None
        if sheet.styles:
            # later areas are painted over earlier ones
            style_grid = np.zeros((R, C), dtype=np.int32)
            for area, style in sheet.styles:
                style_grid[area.r0:area.r1 + 1, area.c0:area.c1 + 1] = styles.id(style)
        self.style_grid = style_grid
        occupied = (v.kind != BLANK) | (self.fid != 0)
        if style_grid is not None:
            occupied |= style_grid != 0
        self.rows, self.cols = np.nonzero(occupied)     # row-major already

    def _element(self, text: str) -> int:
        self.elements.append(text)
        return len(self.elements) - 1

    def _formula_elements(self, g: FormulaGroup, si: int) -> int:
        text = escape(_file_text(g, self.book, self.sheet))
        if g.array is not None:
            a = g.array
            self.fid[a.r0:a.r1 + 1, a.c0:a.c1 + 1] = 0
            self.fid[g.anchor] = self._element(f'<f t="array" ref="{a.a1}">{text}</f>')
            if g.dynamic:
                self.dynamic.add(g.anchor)
            # the rest of the range only carries values; mark it occupied
            self.fid[a.r0:a.r1 + 1, a.c0:a.c1 + 1][self.fid[a.r0:a.r1 + 1, a.c0:a.c1 + 1] == 0] = -1
            return si
        n = len(g)
        if n == 1:
            self.fid[g.anchor] = self._element(f"<f>{text}</f>")
            return si
        r0, r1 = int(g.rows.min()), int(g.rows.max())
        c0, c1 = int(g.cols.min()), int(g.cols.max())
        if self.shared and (r1 - r0 + 1) * (c1 - c0 + 1) == n:
            top_left = (r0, c0)
            master = text if g.anchor == top_left else escape(_file_text(g, self.book, self.sheet, top_left))
            self.fid[g.rows, g.cols] = self._element(f'<f t="shared" si="{si}"/>')
            self.fid[top_left] = self._element(
                f'<f t="shared" ref="{cell_name(r0, c0)}:{cell_name(r1, c1)}" si="{si}">{master}</f>')
            return si + 1
        # scattered cells: each gets its own formula text
        for r, c in zip(g.rows.tolist(), g.cols.tolist()):
            self.fid[r, c] = self._element("<f>" + escape(_file_text(g, self.book, self.sheet, (r, c))) + "</f>")
        return si

    def dimension(self) -> str:
        if len(self.rows) == 0:
            return "A1"
        return f"A1:{cell_name(int(self.rows.max()), int(self.cols.max()))}"

    def rows_xml(self, sst: _SharedStrings, rich: RichErrors) -> str:
        rows, cols = self.rows, self.cols
        if len(rows) == 0:
            return _rows_in_order(self.sheet, {}, _row_attributes(self.sheet))
        v = self.sheet.values
        kind = v.kind[rows, cols]
        num = v.num[rows, cols]
        letters = [col_letters(c) for c in range(int(cols.max()) + 1)]
        refs = [letters[c] + r for c, r in zip(cols.tolist(), map(str, (rows + 1).tolist()))]
        elements = self.elements + [""]            # fid -1 (inside an array range) -> ""
        fid = self.fid[rows, cols]
        formulas = [elements[i] for i in fid.tolist()]
        if self.style_grid is not None:
            style_attr = [""] + [f' s="{i}"' for i in range(1, int(self.style_grid.max()) + 1)]
            styles = [style_attr[i] for i in self.style_grid[rows, cols].tolist()]
        else:
            styles = [""] * len(rows)
        values, types = _value_texts(kind, num, v.obj[rows, cols], fid != 0, sst, rich)
        if self.dynamic:
            where = {(int(r), int(c)): i for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist()))
                     if (r, c) in self.dynamic}
            for i in where.values():
                # Excel's attribute order: t, cm, vm
                types[i] = types[i].replace(' vm=', ' cm="1" vm=') if ' vm=' in types[i] else types[i] + ' cm="1"'
        cells = [(f'<c r="{r}"{s}{t}>{f}<v>{x}</v></c>' if x is not None else
                  f'<c r="{r}"{s}>{f}</c>' if f else f'<c r="{r}"{s}/>')
                 for r, s, t, f, x in zip(refs, styles, types, formulas, values)]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        ends = np.r_[starts[1:], len(rows)]
        attributes = _row_attributes(self.sheet)
        if not (self.sheet.hidden_rows or self.sheet.filtered_rows):
            return "".join(f'<row r="{row + 1}"{attributes.get(row, "")}>' + "".join(cells[a:b]) + "</row>"
                           for row, a, b in zip(rows[starts].tolist(), starts.tolist(), ends.tolist()))
        return _rows_in_order(self.sheet, {row: "".join(cells[a:b]) for row, a, b
                                           in zip(rows[starts].tolist(), starts.tolist(), ends.tolist())},
                              attributes)


def _row_attributes(sheet: Sheet) -> dict[int, str]:
    """A row's attributes beyond r, by row: a set height, hidden="1" (by hand
    or by a filter: a file marks both alike)."""
    out = {r: f' ht="{h:g}" customHeight="1"' for r, h in sheet.row_heights.items()}
    for r in sheet.hidden_rows | sheet.filtered_rows:
        out[r] = out.get(r, "") + ' hidden="1"'
    return out


def _rows_in_order(sheet: Sheet, cells: dict[int, str], attributes: dict[int, str]) -> str:
    """Every <row> in row order: those with cells, and hidden rows without any."""
    rows = sorted(set(cells) | sheet.hidden_rows | sheet.filtered_rows)
    return "".join(f'<row r="{r + 1}"{attributes.get(r, "")}>{cells[r]}</row>' if r in cells
                   else f'<row r="{r + 1}"{attributes.get(r, "")}/>' for r in rows)


def _file_text(g: FormulaGroup, book: Book | None, sheet: Sheet, at: tuple[int, int] | None = None) -> str:
    """A group's formula as Excel stores it (see render_for_file), seen from
    `at` (default: the anchor).  Text that needs no marker is written as the
    author wrote it."""
    at = g.anchor if at is None else at
    try:
        tree = g.ast
    except FormulaSyntaxError:
        return g.text
    if not _needs_file_form(tree):
        return g.text if at == g.anchor else render(tree, at)
    table = book.table_at(sheet.name, *at) if book is not None else None
    return render_for_file(tree, at, table.name if table is not None else None)


def _needs_file_form(tree) -> bool:
    for n in walk(tree):
        if isinstance(n, Call) and file_prefix(n.name):      # also @ and A1#, written as calls
            return True
        if isinstance(n, StructRef) and n.table is None:
            return True
    return False


def _table_xml(t: Table, table_id: int) -> str:
    """xl/tables/tableN.xml: the table's range, columns (with calculated-column
    and totals-row formulas) and style."""
    ref = t.area.a1
    filter_end = cell_name(t.area.r1 - t.totals_rows, t.area.c1)
    attrs = f'id="{table_id}" name={quoteattr(t.name)} displayName={quoteattr(t.name)} ref="{ref}"'
    if not t.header_rows:
        attrs += ' headerRowCount="0"'
    attrs += f' totalsRowCount="{t.totals_rows}"' if t.totals_rows else ' totalsRowShown="0"'
    columns = []
    for i, col in enumerate(t.columns, start=1):
        extra = ""
        if col.totals_function:
            extra += f' totalsRowFunction="{col.totals_function}"'
        if col.totals_label:
            extra += f" totalsRowLabel={quoteattr(col.totals_label)}"
        inner = ""
        if col.formula:
            inner += (f"<calculatedColumnFormula>{escape(_column_formula(t, i - 1, col.formula))}"
                      "</calculatedColumnFormula>")
        if col.totals_formula:
            inner += f"<totalsRowFormula>{escape(col.totals_formula)}</totalsRowFormula>"
        name = quoteattr(_xml_text(col.name))
        columns.append(f'<tableColumn id="{i}" name={name}{extra}>{inner}</tableColumn>'
                       if inner else f'<tableColumn id="{i}" name={name}{extra}/>')
    auto = f'<autoFilter ref="{cell_name(t.area.r0, t.area.c0)}:{filter_end}"/>' if t.header_rows else ""
    style = (f'<tableStyleInfo name={quoteattr(t.style)} showFirstColumn="0" showLastColumn="0" '
             f'showRowStripes="1" showColumnStripes="0"/>' if t.style else "")
    return (_XML_HEAD + f'<table xmlns="{_MAIN_NS}" {attrs}>{auto}'
            f'<tableColumns count="{len(columns)}">{"".join(columns)}</tableColumns>{style}</table>')


def _column_formula(t: Table, index: int, text: str) -> str:
    """A calculated column's formula (as in its first data cell) in file form."""
    from ..formula.parser import parse
    at = (t.data_rows[0], t.area.c0 + index)
    try:
        tree = parse(text, at)
    except FormulaSyntaxError:
        return text
    return render_for_file(tree, at, t.name) if _needs_file_form(tree) else text


def _value_texts(kind: np.ndarray, num: np.ndarray, obj: np.ndarray, is_formula: np.ndarray,
                 sst: _SharedStrings, rich: RichErrors) -> tuple[list, list[str]]:
    """The <v> text (None for no value) and the t attribute of every cell
    (with vm for an error newer than the file format, stored as #VALUE!)."""
    n = len(kind)
    values = np.full(n, None, dtype=object)
    types = np.full(n, "", dtype=object)
    numeric = np.flatnonzero(kind == NUM)
    if len(numeric):
        x = num[numeric]
        whole = (x == np.trunc(x)) & (np.abs(x) < 1e15)
        texts = np.empty(len(x), dtype=object)
        texts[whole] = list(map(str, x[whole].astype(np.int64).tolist()))
        texts[~whole] = list(map(repr, x[~whole].tolist()))
        values[numeric] = texts
    for i in np.flatnonzero(kind == STR).tolist():
        if is_formula[i]:
            types[i], values[i] = ' t="str"', _xml_text(obj[i])
        else:
            types[i], values[i] = ' t="s"', str(sst.id(obj[i]))
    for i in np.flatnonzero(kind == BOOL).tolist():
        types[i], values[i] = ' t="b"', str(int(num[i]))
    for i in np.flatnonzero(kind >= ERR_BASE).tolist():
        code = int(kind[i])
        if code in RICH_ERROR_CODES:
            types[i], values[i] = f' t="e" vm="{rich.vm(code)}"', "#VALUE!"
        else:
            types[i], values[i] = ' t="e"', ERROR_NAMES[code]
    return values.tolist(), types.tolist()
