"""Adding worksheets to an existing package (the Solver answer report):
the new part, its relationship from the workbook, its content type and its
entry at the end of the workbook's sheet list -- everything else untouched.
Appending keeps every existing sheet's position, so sheet-local defined
names (localSheetId) still point where they did."""

from __future__ import annotations

import posixpath
import re
from xml.sax.saxutils import quoteattr

from ..errors import UserError

WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKSHEET_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def appended_parts(pkg, sheets: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """{part name: bytes} to write into a copy of `pkg` (changed parts and
    new ones) so that it also holds `sheets` ([(sheet name, worksheet xml)])."""
    if not sheets:
        return {}
    wb_part = pkg.workbook_part()
    folder, base = posixpath.split(wb_part)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    workbook = pkg.read(wb_part)
    rels = pkg.read(rels_part)
    types = pkg.read("[Content_Types].xml")
    sheet_ids = [int(x) for x in re.findall(rb'<(?:\w+:)?sheet\b[^>]*\ssheetId="(\d+)"', workbook)]
    rel_ids = set(re.findall(rb'\sId="([^"]+)"', rels))
    out: dict[str, bytes] = {}
    next_sheet, k = max(sheet_ids, default=0) + 1, 1
    entries, relationships, overrides = [], [], []
    m = re.search(rb"<(\w+:)?sheets\b", workbook)
    if m is None:
        raise UserError(f"{pkg.path}: {wb_part} has no sheet list")
    prefix = (m.group(1) or b"").decode()
    for name, xml in sheets:
        while posixpath.join(folder, f"worksheets/sheet{k}.xml") in pkg.names:
            k += 1
        part = posixpath.join(folder, f"worksheets/sheet{k}.xml")
        k += 1
        rid, n = "rIdAnswer1", 1
        while rid.encode() in rel_ids:
            n += 1
            rid = f"rIdAnswer{n}"
        rel_ids.add(rid.encode())
        out[part] = xml
        entries.append(f'<{prefix}sheet xmlns:sheetnetr="{REL_NS}" name={quoteattr(name)} sheetId="{next_sheet}" '
                       f'sheetnetr:id="{rid}"/>')
        next_sheet += 1
        target = posixpath.relpath(part, folder)
        relationships.append(f'<Relationship Id="{rid}" Type="{WORKSHEET_TYPE}" Target="{target}"/>')
        overrides.append(f'<Override PartName="/{part}" ContentType="{WORKSHEET_CONTENT}"/>')
    out[wb_part] = _insert_before(workbook, rb"</(?:\w+:)?sheets>", "".join(entries), wb_part, pkg.path)
    out[rels_part] = _insert_before(rels, rb"</(?:\w+:)?Relationships>", "".join(relationships), rels_part, pkg.path)
    out["[Content_Types].xml"] = _insert_before(types, rb"</(?:\w+:)?Types>", "".join(overrides),
                                                "[Content_Types].xml", pkg.path)
    return out


def _insert_before(xml: bytes, closing: bytes, text: str, part: str, path: str) -> bytes:
    m = None
    for m in re.finditer(closing, xml):
        pass
    if m is None:
        raise UserError(f"{path}: part {part} is not what an .xlsx holds there")
    return xml[:m.start()] + text.encode("utf-8") + xml[m.start():]
