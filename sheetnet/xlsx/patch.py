"""Writing new cell values into a copy of an existing workbook, leaving
everything else in the package byte for byte as it was (pivot tables,
charts, VBA, styles, the formulas themselves).  A #SPILL! or #CALC! is
stored as Excel stores it (#VALUE! with value metadata, rich_error_merge.py);
a rewritten cell loses the value metadata of the value it no longer holds.

Used by `sheetnet solve`: the solved changing cells and every recomputed
cached value go into the copy; the input file is never touched unless the
caller asks for it.
"""

from __future__ import annotations

import re
import zipfile

import numpy as np

from ..book import Book
from ..errors import ERR_BASE, ERROR_CODES, ERROR_NAMES, UserError
from ..refs import cell_name
from ..store import BLANK, BOOL, NUM, STR
from .append import appended_parts
from .package import Package, zip_output
from .rich_error_merge import rich_error_vms
from .rich_error_parts import RICH_ERROR_CODES
from .rich_errors import rich_error_codes
from .writer import _xml_text, number_xml
from .scan import T_BOOL, T_ERROR, T_FORMULA_STRING, T_NUMBER, scan_sheet_data

_T_ATTR = re.compile(rb'\s+t="[^"]*"')
_VM_ATTR = re.compile(rb'\s+vm="[^"]*"')
_VALUE = ERROR_CODES["#VALUE!"]
_F_ELEMENT = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>.*?</(?:\w+:)?f>)", re.S)


def _cell_bytes(original: bytes, kind: int, num: float, obj, prefix: bytes, vm_of: dict[int, int]) -> bytes:
    """The <c> element with a new value: same attributes (t and vm adjusted),
    same formula element, new <v>."""
    head_end = original.index(b">")
    self_closing = original[head_end - 1:head_end] == b"/"
    head = original[:head_end - 1] if self_closing else original[:head_end]
    head = _VM_ATTR.sub(b"", _T_ATTR.sub(b"", head))
    f = _F_ELEMENT.search(original)
    formula = f.group(0) if f else b""
    if kind == NUM:
        t, v = b"", number_xml(num).encode()
    elif kind == BOOL:
        t, v = b' t="b"', b"1" if num else b"0"
    elif kind in RICH_ERROR_CODES:
        t, v = f' t="e" vm="{vm_of[int(kind)]}"'.encode(), b"#VALUE!"
    elif kind >= ERR_BASE:
        t, v = b' t="e"', ERROR_NAMES[int(kind)].encode()
    elif kind == STR:
        if not formula:
            raise UserError("a text constant cannot be patched into the file")
        t, v = b' t="str"', _xml_text(obj).encode("utf-8")   # CHAR(1) is _x0001_, as Excel writes it
    else:
        return head + b">" + formula + b"</" + prefix + b"c>" if formula else head + b"/>"
    return head + t + b">" + formula + b"<" + prefix + b"v>" + v + b"</" + prefix + b"v></" + prefix + b"c>"


def _patch_sheet(xml: bytes, sheet, where: str, known: dict[int, int] | None = None,
                 vm_of: dict[int, int] | None = None) -> tuple[bytes, int]:
    """The sheet's xml with every value the book holds; `known` is the file's
    {vm: newer error code}, `vm_of` the {code: vm} to store newer errors with."""
    known, vm_of = known or {}, vm_of or {}
    scan = scan_sheet_data(xml)
    n = len(scan.rows)
    if n == 0:
        return xml, 0
    grid = sheet.values
    R, C = grid.num.shape
    rows, cols = scan.rows.astype(np.int64), scan.cols.astype(np.int64)
    inside = (rows < R) & (cols < C)
    rr, cc = np.where(inside, rows, 0), np.where(inside, cols, 0)
    kind = np.where(inside, grid.kind[rr, cc], BLANK)
    num = np.where(inside, grid.num[rr, cc], 0.0)
    old_kind = np.full(n, BLANK, dtype=np.int64)
    t, has = scan.types, scan.has_value
    old_kind[has & (t == T_NUMBER)] = NUM
    old_kind[has & (t == T_BOOL)] = BOOL
    old_num = np.where(np.isnan(scan.numbers), 0.0, scan.numbers)
    changed = np.zeros(n, dtype=bool)
    numeric = (kind == NUM) | (kind == BOOL)
    changed |= numeric & ((old_kind != kind) | (old_num != num))
    # formula cells whose result is text or an error: compare with what is stored
    formula_cells = np.zeros(n, dtype=bool)
    formula_cells[scan.f_cell] = True
    for i in np.flatnonzero(~numeric & formula_cells).tolist():
        if kind[i] == STR:
            changed[i] = not (t[i] == T_FORMULA_STRING and scan.texts.get(i) == grid.obj[rr[i], cc[i]])
        elif kind[i] >= ERR_BASE:
            changed[i] = t[i] != T_ERROR or _stored_error(scan.texts.get(i, ""), int(scan.vm[i]), known) != kind[i]
    present = np.zeros((R, C), dtype=bool)
    present[rr[inside], cc[inside]] = True
    missing = np.argwhere((grid.kind != BLANK) & ~present)
    if len(missing):
        r, c = (int(x) for x in missing[0])
        raise UserError(f"{where}: cell {sheet.name}!{cell_name(r, c)} has a value but no cell in the file "
                        f"to write it into")
    prefix = _prefix(xml)
    idx = np.flatnonzero(changed)
    # a number replacing a number: only the <v> text changes (most of a solve's cells)
    just_value = ((kind == NUM) & (old_kind == NUM) & (t == T_NUMBER) & (scan.v_span[:, 0] >= 0)
                  & (scan.vm == 0))[idx]
    spans = np.where(just_value[:, None], scan.v_span[idx], scan.c_span[idx]).tolist()
    values = num[idx].tolist()
    pieces, last = [], 0
    for j, i in enumerate(idx.tolist()):
        start, end = spans[j]
        pieces.append(xml[last:start])
        if just_value[j]:
            pieces.append(number_xml(values[j]).encode())
        else:
            pieces.append(_cell_bytes(xml[start:end], int(kind[i]), values[j], grid.obj[rr[i], cc[i]], prefix,
                                      vm_of))
        last = end
    pieces.append(xml[last:])
    return b"".join(pieces), int(changed.sum())


def _stored_error(text: str, vm: int, known: dict[int, int]) -> int | None:
    """The error a cell's stored text and value metadata say (as the reader
    reads it); None for a newer error stored literally (older sheetnet wrote
    them so; Excel may refuse the file), so that it is rewritten."""
    code = ERROR_CODES.get(text.strip().upper())
    if code in RICH_ERROR_CODES:
        return None
    return known.get(vm, code) if code == _VALUE else code


def _prefix(xml: bytes) -> bytes:
    """The namespace prefix of the sheet's cells ("x:" in some writers)."""
    m = re.search(rb"<(\w+:)?sheetData", xml)
    return m.group(1) or b"" if m else b""


def write_patched(book: Book, src: str, dst: str, add_sheets: list[tuple[str, bytes]] = ()) -> int:
    """Copy `src` to `dst` with every cell value the book now holds (and the
    worksheets `add_sheets`, [(name, xml)], appended).  Returns the number of
    cells rewritten.  Atomic: no partial `dst` on failure."""
    if not book.parts:
        raise UserError(f"{src}: the workbook was not read from a file; write it with write_workbook")
    replacements, total = {}, 0
    with Package(src) as pkg:
        sheets = [(sheet, book.parts[sheet.name]) for sheet in book.sheets if sheet.name in book.parts]
        replacements.update(appended_parts(pkg, list(add_sheets)))
        known = rich_error_codes(pkg, pkg.relationships(pkg.workbook_part()))
        needed = {code for code in RICH_ERROR_CODES for sheet, _ in sheets if (sheet.values.kind == code).any()}
        vm_of, rich_parts = rich_error_vms(pkg, known, needed,
                                           lambda name: replacements[name] if name in replacements else pkg.read(name))
        for sheet, part in sheets:
            new, count = _patch_sheet(pkg.read(part), sheet, src, known, vm_of)
            if count:
                replacements[part] = new
                total += count
        replacements.update(rich_parts)
        with zip_output(dst) as out:
            for info in pkg.zip.infolist():
                data = replacements.pop(info.filename, None)
                if data is None:
                    data = pkg.zip.read(info)
                out.writestr(info, data, compress_type=info.compress_type)
            for name, data in replacements.items():          # new parts, in a fixed order
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return total
