"""Reading real .xlsx / .xlsm workbooks into a Book.

Only what calculation needs is parsed: the workbook's sheet list, defined
names and calculation settings, shared strings, and each worksheet's cells
and formulas.  Everything else in the package (pivot tables and their caches,
charts, drawings, VBA projects, printer settings) is left untouched -- never
parsed, never executed -- which is why files that break other readers (the
lesson's collab_filter.xlsx and its pivot caches) load here.
"""

from __future__ import annotations

import re

import numpy as np

from .. import limits
from ..book import Book, FormulaGroup, Table, TableColumn
from ..errors import ERROR_CODES, UserError
from ..formula.shapes import group_by_shape
from ..refs import cell_name, parse_area
from ..store import BOOL, NUM, STR
from .hidden_rows import filtered_ranges, outside_cells, split_hidden
from .package import Package
from .rich_errors import rich_error_codes
from .scan import (F_ARRAY, F_DATATABLE, F_SHARED, T_BOOL, T_DATE, T_ERROR, T_FORMULA_STRING,
                   T_INLINE_STRING, T_NUMBER, T_SHARED_STRING, ScanError, parse_shared_strings,
                   scan_sheet_data)

# Reading a worksheet's XML takes a few times its size in memory (the scan's
# arrays, then the value grid): checked against the budget before anything
# is read.  Measured: the 100,000-rating benchmark's 96 MiB of XML peak at 650 MB.
READ_BYTES_PER_XML_BYTE = 3
# Each cell an array formula's range covers is a formula cell to place, calculate
# and compare, beyond its place in the grid.  Measured: `check` of one array
# formula over 2,020,000 cells peaks 160 MB above the interpreter, ~80 bytes a cell.
ARRAY_BYTES_PER_CELL = 64

_WORKSHEET = "/worksheet"
# sheets of other kinds hold no cells sheetnet calculates: charts, dialogs, Excel 4 macros
_OTHER_SHEETS = ("/chartsheet", "/dialogsheet", "/macrosheet", "/xlMacrosheet", "/xlIntlMacrosheet")
_MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                    "http://purl.oclc.org/ooxml/spreadsheetml/main")
_TABLE = "/table"
_SHARED_STRINGS = "/sharedStrings"
_SHEET_METADATA = "/sheetMetadata"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el, name: str):
    """An attribute by local name, whatever its namespace (r:id comes in two)."""
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    return None


def read_workbook(path: str) -> Book:
    """Load a workbook; every problem a user can cause is one UserError line."""
    if str(path).lower().endswith(".xls"):
        raise UserError(f"{path}: the old binary .xls format is not supported; save it as .xlsx")
    with Package(path) as pkg:
        return _read(pkg)


def _read(pkg: Package) -> Book:
    book = Book(pkg.path)
    wb_part = pkg.workbook_part()
    root = pkg.xml(wb_part)
    if _local(root.tag) != "workbook" or root.tag.split("}")[0].lstrip("{") not in _MAIN_NAMESPACES:
        raise UserError(f"{pkg.path}: {wb_part} is not a workbook (its root element is <{_local(root.tag)}>; "
                        f"is this an Excel file?)")
    rels = pkg.relationships(wb_part)
    book.has_vba = any(name.lower().endswith("vbaproject.bin") for name in pkg.names)

    sheets_el = [el for el in root.iter() if _local(el.tag) == "sheet"]
    if not sheets_el:
        raise UserError(f"{pkg.path}: the workbook lists no sheets (Excel needs at least one); is it damaged?")
    all_sheet_names = [el.get("name") for el in sheets_el]
    parts = _sheet_parts(pkg, wb_part, sheets_el, rels)
    _check_read_size(pkg, [part for part in parts.values() if part] +
                     [t for rt, t in rels.values() if rt.endswith(_SHARED_STRINGS) and pkg.has(t)])
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("calcPr", "workbookPr"):
            book.calc_props.update({f"{tag}.{k}": v for k, v in el.attrib.items()})

    shared: list[str] = []
    for rtype, target in rels.values():
        if rtype.endswith(_SHARED_STRINGS) and pkg.has(target):
            try:
                shared = [_xstring(t) for t in parse_shared_strings(pkg.read(target))]
            except ScanError as exc:
                raise UserError(f"{pkg.path}: shared strings are damaged ({exc})") from None

    dynamic = _dynamic_array_metadata(pkg, rels)
    rich_errors = rich_error_codes(pkg, rels)
    for name, part in parts.items():
        if part is None:
            continue            # chart sheets, macro sheets, dialog sheets: nothing to calculate
        sheet = book.add_sheet(name)
        sheet.hidden = sheets_el[all_sheet_names.index(name)].get("state") in ("hidden", "veryHidden")
        book.parts[name] = part
        xml = pkg.read(part)
        try:
            scan = scan_sheet_data(xml)
        except ScanError as exc:
            raise UserError(f"{pkg.path}: sheet {name!r} ({part}) is damaged: {exc}") from None
        if scan.hidden_rows.size:
            _load_hidden_rows(pkg, sheet, part, scan.hidden_rows, outside_cells(xml))
        del xml
        _load_cells(book, sheet, scan, shared, pkg.path, rich_errors)
        # after _load_cells has returned: its per-cell temporaries are gone
        # before the formulas' (a big sheet's peak memory)
        _load_formulas(sheet, scan, pkg.path, dynamic)
        del scan
        _load_tables(pkg, book, sheet, part)

    for el in root.iter():
        if _local(el.tag) != "definedName":
            continue
        name = el.get("name")
        if not name:
            raise UserError(f"{pkg.path}: {wb_part} has a defined name without a name attribute (damaged?)")
        local = el.get("localSheetId")
        scope = None
        if local is not None:
            if not (local.isascii() and local.isdigit()):
                raise UserError(f"{pkg.path}: {wb_part}: the defined name {name!r} has localSheetId={local!r}, "
                                f"not a sheet number (damaged?)")
            idx = int(local)
            scope = all_sheet_names[idx] if idx < len(all_sheet_names) else None
            if scope is None:
                continue
        book.define_name(name, (el.text or "").strip(), scope, el.get("hidden") in ("1", "true"))
    return book


def _sheet_parts(pkg: Package, wb_part: str, sheets_el, rels) -> dict:
    """Sheet name -> worksheet part (None for chart, dialog and macro sheets),
    in workbook order.  A sheet the workbook lists but whose part cannot be
    found is an error naming that sheet: checking the rest and saying OK
    would hide it."""
    out: dict = {}
    seen: set = set()
    for position, el in enumerate(sheets_el, start=1):
        name = el.get("name")
        if not name:
            raise UserError(f"{pkg.path}: sheet {position} in {wb_part} has no name (damaged?)")
        if name.casefold() in seen:
            raise UserError(f"{pkg.path}: {wb_part} lists two sheets named {name!r} (damaged?)")
        seen.add(name.casefold())
        rid = _attr(el, "id")
        if rid is None:
            raise UserError(f"{pkg.path}: sheet {name!r} has no r:id, so its part cannot be found (damaged?)")
        rel = rels.get(rid)
        if rel is None:
            why = "the workbook has no relationships part" if not rels else f"no relationship {rid!r}"
            raise UserError(f"{pkg.path}: sheet {name!r} cannot be found ({why}; damaged?)")
        rtype, target = rel
        if rtype.endswith(_OTHER_SHEETS):
            out[name] = None
            continue
        if not rtype.endswith(_WORKSHEET):
            raise UserError(f"{pkg.path}: sheet {name!r} points to {target}, which is not a worksheet "
                            f"({rtype.rsplit('/', 1)[-1]})")
        if not pkg.has(target):
            raise UserError(f"{pkg.path}: sheet {name!r} is listed in the workbook but its part {target} is "
                            f"missing (damaged or truncated?)")
        out[name] = target
    return out


def _check_read_size(pkg: Package, part_names) -> None:
    """The parts about to be read, by their declared sizes, against the memory budget."""
    xml_bytes = sum(pkg.names[p].file_size for p in set(part_names))
    limits.require(xml_bytes * READ_BYTES_PER_XML_BYTE,
                   f"{pkg.path}: its sheets expand to {limits.format_bytes(xml_bytes)} of XML; reading them")


def _load_hidden_rows(pkg: Package, sheet, part: str, hidden: np.ndarray, sheet_xml: bytes) -> None:
    """The sheet's hidden rows: by a filter (its own AutoFilter's or a
    Table's) or by hand (see hidden_rows.py)."""
    ranges = filtered_ranges(sheet_xml)
    for rtype, target in pkg.relationships(part).values():
        if rtype.endswith(_TABLE) and pkg.has(target):
            ranges += filtered_ranges(pkg.read(target))
    by_hand, by_filter = split_hidden(hidden, ranges)
    sheet.hide_rows(by_hand.tolist())
    sheet.hide_rows(by_filter.tolist(), by_filter=True)


def _load_tables(pkg: Package, book: Book, sheet, part: str) -> None:
    """The Excel Tables (xl/tables/tableN.xml) a worksheet links to."""
    for rtype, target in pkg.relationships(part).values():
        if not rtype.endswith(_TABLE) or not pkg.has(target):
            continue
        root = pkg.xml(target)
        name = root.get("displayName") or root.get("name")
        try:
            area = parse_area(root.get("ref", ""))
            header_rows = int(root.get("headerRowCount", "1"))
            totals_rows = int(root.get("totalsRowCount", "0"))
        except ValueError:
            raise UserError(f"{pkg.path}: table {name!r} on sheet {sheet.name!r} has a bad ref or row count") from None
        columns = []
        for el in root.iter():
            if _local(el.tag) != "tableColumn":
                continue
            col = TableColumn(_xstring(el.get("name", "")), totals_function=el.get("totalsRowFunction"),
                              totals_label=el.get("totalsRowLabel"))
            for child in el:
                tag = _local(child.tag)
                if tag == "calculatedColumnFormula":
                    col.formula = (child.text or "").strip() or None
                elif tag == "totalsRowFormula":
                    col.totals_formula = (child.text or "").strip() or None
            columns.append(col)
        style = next((el.get("name") for el in root.iter() if _local(el.tag) == "tableStyleInfo"), None)
        if not name or len(columns) != area.width:
            raise UserError(f"{pkg.path}: table {name!r} on sheet {sheet.name!r} does not match its range")
        book.tables.append(Table(name, sheet.name, area, columns, header_rows, totals_rows, style))


_XSTRING_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xstring(text: str) -> str:
    """Text as OOXML stores it (ST_Xstring: cell text, table column names): a
    character XML cannot hold, such as CHAR(1) or a line break in a name, is
    written _x0001_, and a literal "_x0001_" _x005F_x0001_."""
    if "_x" not in text:
        return text
    return _XSTRING_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _dynamic_array_metadata(pkg: Package, rels) -> set[int]:
    """The cm values (cell metadata indices, 1-based) that mark a formula as a
    dynamic array, from xl/metadata.xml: cellMetadata entries of type XLDAPR
    whose future metadata says fDynamic="1"."""
    target = next((t for rtype, t in rels.values() if rtype.endswith(_SHEET_METADATA)), None)
    if target is None or not pkg.has(target):
        return set()
    root = pkg.xml(target)
    kids = {_local(el.tag): el for el in root}
    types = [el.get("name") for el in kids["metadataTypes"]] if "metadataTypes" in kids else []
    future = {}
    for el in root:
        if _local(el.tag) == "futureMetadata":
            future[el.get("name")] = [any(_local(x.tag) == "dynamicArrayProperties" and x.get("fDynamic") in ("1", "true")
                                          for x in bk.iter()) for bk in el if _local(bk.tag) == "bk"]
    out = set()
    cell_meta = kids.get("cellMetadata")
    for k, bk in enumerate(cell_meta if cell_meta is not None else [], start=1):
        for rc in bk:
            try:
                name = types[int(rc.get("t", "0")) - 1]
                if future.get(name, [])[int(rc.get("v", "0"))]:
                    out.add(k)
            except (ValueError, IndexError):
                continue
    return out


def _load_cells(book: Book, sheet, scan, shared: list[str], path: str,
                rich_errors: dict[int, int] | None = None) -> None:
    n = len(scan.rows)
    if n == 0:
        return
    types, has = scan.types, scan.has_value
    kind = np.zeros(n, dtype=np.uint8)
    num = np.zeros(n, dtype=np.float64)
    obj = np.empty(n, dtype=object)

    def refuse(mask, what):
        i = int(np.flatnonzero(mask)[0])
        raise UserError(f"{path}: {sheet.name}!{cell_name(int(scan.rows[i]), int(scan.cols[i]))} {what(i)} (damaged?)")

    numeric = has & (types == T_NUMBER)
    kind[numeric] = NUM
    num[numeric] = scan.numbers[numeric]
    bools = has & (types == T_BOOL)
    if bools.any() and not np.isin(scan.numbers[bools], (0.0, 1.0)).all():
        refuse(bools & ~np.isin(scan.numbers, (0.0, 1.0)),
               lambda i: f"is a boolean cell holding {scan.numbers[i]:g}; a boolean is stored as 0 or 1")
    kind[bools] = BOOL
    num[bools] = scan.numbers[bools]
    sst = has & (types == T_SHARED_STRING)
    if sst.any():
        index = scan.numbers
        wrong = sst & ~((index >= 0) & (index < len(shared)) & (index == np.floor(index)))
        if wrong.any():
            refuse(wrong, lambda i: f"refers to shared string {scan.numbers[i]:g}, which does not exist "
                                    f"(the file has {len(shared):,})")
        kind[sst] = STR
        obj[sst] = np.array(shared, dtype=object)[index[sst].astype(np.int64)]
    # a formula whose result is "" stores <v></v>: an empty string, not "no value"
    empty_text = (types == T_FORMULA_STRING) & ~has & (scan.v_span[:, 0] >= 0)
    kind[empty_text] = STR
    obj[empty_text] = ""
    for i, text in scan.texts.items():
        t = types[i]
        if t in (T_FORMULA_STRING, T_INLINE_STRING, T_DATE):
            kind[i], obj[i] = STR, _xstring(text)
        elif t == T_ERROR:
            code = ERROR_CODES.get(text.strip().upper())
            if code is None:
                refuse(np.arange(n) == i, lambda i: f"holds the error value {text.strip()[:40]!r}, which is not "
                                                    f"one of Excel's")
            # a #CALC! or #SPILL! is stored as #VALUE! with value metadata saying which
            kind[i] = (rich_errors or {}).get(int(scan.vm[i]), code) if code == ERROR_CODES["#VALUE!"] else code

    formula_cells = np.zeros(n, dtype=bool)
    formula_cells[scan.f_cell] = True
    # a constant too large for a double (1e309) is #NUM!, as a cell cannot hold
    # infinity; a formula's cached infinity stays, for `check` to report
    overflow = numeric & ~formula_cells & ~np.isfinite(num)
    kind[overflow], num[overflow] = ERROR_CODES["#NUM!"], 0.0
    keep = (kind != 0) | formula_cells
    rows, cols = scan.rows[keep], scan.cols[keep]
    _check_grid(sheet.name, scan, rows, cols, path)
    sheet.values.set_cells(rows, cols, kind[keep], num[keep], obj[keep])


def _check_grid(name: str, scan, rows, cols, path: str) -> None:
    """The sheet's value grid spans A1 to its farthest cell (or array formula
    range): its memory against the budget, before it is made."""
    far_row = int(rows.max()) if len(rows) else 0
    far_col = int(cols.max()) if len(cols) else 0
    arrays = [i for i in np.flatnonzero(scan.f_kind == F_ARRAY).tolist() if scan.f_ref[i]]
    array_cells = 0
    for i in arrays:
        try:
            area = parse_area(scan.f_ref[i])
        except ValueError:
            continue
        far_row, far_col = max(far_row, area.r1), max(far_col, area.c1)
        array_cells += area.size
    cells = (far_row + 1) * (far_col + 1)
    if len(rows) or arrays:
        what = f"{path}: sheet {name!r} reaches {cell_name(far_row, far_col)}: its grid of {far_row + 1:,} x " \
               f"{far_col + 1:,} cells" + (f" with {array_cells:,} cells of array formulas" if array_cells else "")
        limits.require(cells * limits.GRID_BYTES_PER_CELL + array_cells * ARRAY_BYTES_PER_CELL, what)


def _load_formulas(sheet, scan, path: str, dynamic: set[int] = frozenset()) -> None:
    """Formula groups from the scan.  Shared-formula followers (the vast
    majority of a big sheet's formula cells) are grouped with numpy; only the
    elements that carry text are visited one by one."""
    rows, cols = scan.rows, scan.cols
    nf = len(scan.f_cell)
    if nf == 0:
        return
    texts, has_text = scan.f_text, scan.f_has_text
    normal = has_text & (scan.f_kind != F_SHARED) & (scan.f_kind != F_ARRAY) & (scan.f_kind != F_DATATABLE)
    masters: dict[int, tuple[int, str]] = {}
    for j in np.flatnonzero(has_text & ~normal).tolist():
        cell = int(scan.f_cell[j])
        kind = scan.f_kind[j]
        text = texts[j]
        if kind == F_SHARED:
            masters[int(scan.f_si[j])] = (cell, text)
        elif kind == F_ARRAY:
            try:
                area = parse_area(scan.f_ref[j] or "")
            except ValueError:
                area = parse_area(cell_name(int(rows[cell]), int(cols[cell])))
            if (area.r0, area.c0) != (int(rows[cell]), int(cols[cell])):
                raise UserError(f"{path}: {sheet.name}!{cell_name(int(rows[cell]), int(cols[cell]))} holds an "
                                f"array formula for {area.a1}, which does not start at that cell (damaged?)")
            sheet.values.ensure(area.r1 + 1, area.c1 + 1)
            sheet.add_group(FormulaGroup(text, np.array([rows[cell]], np.int32),
                                         np.array([cols[cell]], np.int32), array=area,
                                         dynamic=int(scan.cm[cell]) in dynamic))
        else:
            _note(sheet, "data table (TABLE)", 1)
    # formulas written out in every cell: grouped by R1C1 shape before any is parsed
    plain = np.flatnonzero(normal)
    if len(plain):
        cells = scan.f_cell[plain].astype(np.int64)
        plain_texts = [texts[j] for j in plain.tolist()]
        for members in group_by_shape(plain_texts, rows[cells], cols[cells]):
            at = cells[members]
            sheet.add_group(FormulaGroup(plain_texts[int(members[0])], rows[at].astype(np.int32),
                                         cols[at].astype(np.int32)))
    datatables = (scan.f_kind == F_DATATABLE) & ~has_text
    if datatables.any():
        _note(sheet, "data table (TABLE)", int(datatables.sum()))
    followers = (scan.f_kind == F_SHARED) & ~has_text
    fc = scan.f_cell[followers].astype(np.int64)
    fs = scan.f_si[followers].astype(np.int64)
    # stable: members stay in document order; as 16-bit keys (a sheet rarely
    # has 32,768 shared formulas) numpy sorts by radix, several times faster
    order = np.argsort(fs.astype(np.int16) if len(fs) and fs.max() < 1 << 15 else fs, kind="stable")
    fc, fs = fc[order], fs[order]
    bounds = np.flatnonzero(np.diff(fs)) + 1
    groups = dict(zip(fs[np.r_[0, bounds]].tolist(), np.split(fc, bounds))) if len(fs) else {}
    for si, (cell, text) in masters.items():
        members = groups.pop(si, np.zeros(0, np.int64))
        cells = np.concatenate([[cell], members])
        sheet.add_group(FormulaGroup(text, rows[cells].astype(np.int32), cols[cells].astype(np.int32)))
    if groups:   # followers of a shared formula whose master is missing: keep their cached values
        _note(sheet, "shared formula without its master cell", sum(len(v) for v in groups.values()))


def _note(sheet, feature: str, cells: int) -> None:
    sheet.unsupported_features[feature] = sheet.unsupported_features.get(feature, 0) + cells
