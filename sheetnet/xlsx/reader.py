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

from ..book import Book, FormulaGroup, Table, TableColumn
from ..errors import ERROR_CODES, UserError
from ..refs import cell_name, parse_area
from ..store import BOOL, NUM, STR
from .package import Package
from .scan import (F_ARRAY, F_DATATABLE, F_SHARED, T_BOOL, T_DATE, T_ERROR, T_FORMULA_STRING,
                   T_INLINE_STRING, T_NUMBER, T_SHARED_STRING, ScanError, parse_shared_strings,
                   scan_sheet_data)

MAX_GRID_CELLS = 400_000_000      # a dense grid beyond this is refused, not attempted

_WORKSHEET = "/worksheet"
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
    rels = pkg.relationships(wb_part)
    root = pkg.xml(wb_part)
    book.has_vba = any(name.lower().endswith("vbaproject.bin") for name in pkg.names)

    sheets_el = [el for el in root.iter() if _local(el.tag) == "sheet"]
    all_sheet_names = [el.get("name") for el in sheets_el]
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
    for el in sheets_el:
        name = el.get("name")
        rel = rels.get(_attr(el, "id"))
        if rel is None or not rel[0].endswith(_WORKSHEET) or not pkg.has(rel[1]):
            continue            # chart sheets, macro sheets, dialog sheets: nothing to calculate
        sheet = book.add_sheet(name)
        sheet.hidden = el.get("state") in ("hidden", "veryHidden")
        book.parts[name] = rel[1]
        try:
            scan = scan_sheet_data(pkg.read(rel[1]))
        except ScanError as exc:
            raise UserError(f"{pkg.path}: sheet {name!r} is damaged ({exc})") from None
        _load_cells(book, sheet, scan, shared, pkg.path, dynamic)
        _load_tables(pkg, book, sheet, rel[1])

    for el in root.iter():
        if _local(el.tag) != "definedName":
            continue
        local = el.get("localSheetId")
        scope = None
        if local is not None:
            idx = int(local)
            scope = all_sheet_names[idx] if 0 <= idx < len(all_sheet_names) else None
            if scope is None:
                continue
        book.define_name(el.get("name"), (el.text or "").strip(), scope, el.get("hidden") in ("1", "true"))
    return book


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


def _load_cells(book: Book, sheet, scan, shared: list[str], path: str, dynamic: set[int] = frozenset()) -> None:
    n = len(scan.rows)
    if n == 0:
        return
    types, has = scan.types, scan.has_value
    kind = np.zeros(n, dtype=np.uint8)
    num = np.zeros(n, dtype=np.float64)
    obj = np.empty(n, dtype=object)

    numeric = has & (types == T_NUMBER)
    kind[numeric] = NUM
    num[numeric] = scan.numbers[numeric]
    bools = has & (types == T_BOOL)
    kind[bools] = BOOL
    num[bools] = scan.numbers[bools]
    sst = has & (types == T_SHARED_STRING)
    if sst.any():
        idx = scan.numbers[sst].astype(np.int64)
        if idx.min() < 0 or idx.max() >= len(shared):
            raise UserError(f"{path}: sheet {sheet.name!r} refers to a shared string that does not exist")
        kind[sst] = STR
        obj[sst] = np.array(shared, dtype=object)[idx]
    # a formula whose result is "" stores <v></v>: an empty string, not "no value"
    empty_text = (types == T_FORMULA_STRING) & ~has & (scan.v_span[:, 0] >= 0)
    kind[empty_text] = STR
    obj[empty_text] = ""
    for i, text in scan.texts.items():
        t = types[i]
        if t in (T_FORMULA_STRING, T_INLINE_STRING, T_DATE):
            kind[i], obj[i] = STR, _xstring(text)
        elif t == T_ERROR:
            kind[i] = ERROR_CODES.get(text.strip().upper(), ERROR_CODES["#VALUE!"])

    formula_cells = np.zeros(n, dtype=bool)
    formula_cells[scan.f_cell] = True
    keep = (kind != 0) | formula_cells
    rows, cols = scan.rows[keep], scan.cols[keep]
    if len(rows):
        extent = (int(rows.max()) + 1) * (int(cols.max()) + 1)
        if extent > MAX_GRID_CELLS:
            raise UserError(f"{path}: sheet {sheet.name!r} spans {extent:,} cells "
                            f"(too sparse for sheetnet's dense grid)")
    sheet.values.set_cells(rows, cols, kind[keep], num[keep], obj[keep])
    _load_formulas(sheet, scan, path, dynamic)


def _load_formulas(sheet, scan, path: str, dynamic: set[int] = frozenset()) -> None:
    """Formula groups from the scan.  Shared-formula followers (the vast
    majority of a big sheet's formula cells) are grouped with numpy; only the
    elements that carry text are visited one by one."""
    rows, cols = scan.rows, scan.cols
    nf = len(scan.f_cell)
    if nf == 0:
        return
    texts = scan.f_text
    has_text = np.fromiter((bool(t) for t in texts), dtype=bool, count=nf)
    masters: dict[int, tuple[int, str]] = {}
    for j in np.flatnonzero(has_text).tolist():
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
            sheet.add_group(FormulaGroup(text, np.array([rows[cell]], np.int32),
                                         np.array([cols[cell]], np.int32), array=area,
                                         dynamic=int(scan.cm[cell]) in dynamic))
        elif kind == F_DATATABLE:
            _note(sheet, "data table (TABLE)", 1)
        else:
            sheet.add_group(FormulaGroup(text, np.array([rows[cell]], np.int32), np.array([cols[cell]], np.int32)))
    datatables = (scan.f_kind == F_DATATABLE) & ~has_text
    if datatables.any():
        _note(sheet, "data table (TABLE)", int(datatables.sum()))
    followers = (scan.f_kind == F_SHARED) & ~has_text
    fc = scan.f_cell[followers].astype(np.int64)
    fs = scan.f_si[followers].astype(np.int64)
    order = np.argsort(fs, kind="stable")
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
