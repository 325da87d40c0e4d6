"""Hostile and broken inputs, built from scratch (no file is committed).

`package(...)` writes a minimal .xlsx package from XML parts a test chooses,
so every damage is one argument away: a sheet listed but missing, a garbage
part, a value Excel would never write, a zip entry flagged encrypted.  The
regression tests (tests/test_hostile_*.py) and the fuzz suite
(tests/test_fuzz_hostile.py) share these builders.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = REL_NS + "/officeDocument"
WORKSHEET = REL_NS + "/worksheet"
SHARED_STRINGS = REL_NS + "/sharedStrings"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

CONTENT_TYPES = (HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/></Types>')
ROOT_RELS = (HEAD + f'<Relationships xmlns="{PKG_REL_NS}">'
             f'<Relationship Id="rId1" Type="{OFFICE_DOC}" Target="xl/workbook.xml"/></Relationships>')


def cell(ref: str, value=None, formula: str | None = None, t: str | None = None) -> str:
    """One <c>: value and/or formula written as given (no escaping: tests
    choose the exact bytes)."""
    attrs = f' r="{ref}"' + (f' t="{t}"' if t else "")
    inner = (f"<f>{formula}</f>" if formula is not None else "") + (f"<v>{value}</v>" if value is not None else "")
    return f"<c{attrs}>{inner}</c>" if inner else f"<c{attrs}/>"


def sheet_xml(cells: list[str] | str, extra: str = "") -> str:
    """A worksheet part from <c> texts; rows are grouped by the number in each
    cell's reference (cells must come in row order)."""
    if isinstance(cells, str):
        data = cells
    else:
        rows: dict[str, list[str]] = {}
        for c in cells:
            ref = c.split('r="', 1)[1].split('"', 1)[0]
            rows.setdefault("".join(ch for ch in ref if ch.isdigit()), []).append(c)
        data = "".join(f'<row r="{r}">{"".join(cs)}</row>' for r, cs in rows.items())
    return HEAD + f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>{data}</sheetData>{extra}</worksheet>'


def workbook_xml(sheet_tags: str, names: str = "") -> str:
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return HEAD + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{sheet_tags}</sheets>{defined}</workbook>'


def shared_strings_xml(items: list[str] | str) -> str:
    body = items if isinstance(items, str) else "".join(f"<si><t>{s}</t></si>" for s in items)
    return HEAD + f'<sst xmlns="{MAIN_NS}">{body}</sst>'


def parts(sheets: dict[str, str] | None = None, names: str = "", shared: list[str] | str | None = None,
          sheet_tags: str | None = None) -> dict[str, bytes]:
    """The parts of a well-formed workbook: `sheets` maps sheet name -> worksheet
    XML (default one sheet "S" with A1 = 2, B1 = A1*3 cached 6)."""
    if sheets is None:
        sheets = {"S": sheet_xml([cell("A1", 2), cell("B1", 6, "A1*3")])}
    rels = [f'<Relationship Id="rId{i}" Type="{WORKSHEET}" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)]
    out = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS}
    if shared is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{SHARED_STRINGS}" Target="sharedStrings.xml"/>')
        out["xl/sharedStrings.xml"] = shared_strings_xml(shared)
    tags = sheet_tags if sheet_tags is not None else "".join(
        f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, start=1))
    out["xl/workbook.xml"] = workbook_xml(tags, names)
    out["xl/_rels/workbook.xml.rels"] = HEAD + f'<Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}</Relationships>'
    for i, xml in enumerate(sheets.values(), start=1):
        out[f"xl/worksheets/sheet{i}.xml"] = xml
    return {k: v.encode() if isinstance(v, str) else v for k, v in out.items()}


def write_zip(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return str(path)


def package(path, sheets=None, names: str = "", shared=None, sheet_tags=None, drop=(), replace=None,
            compression=zipfile.ZIP_DEFLATED) -> str:
    """Write a workbook package; `drop` removes parts, `replace` swaps their bytes."""
    members = parts(sheets, names, shared, sheet_tags)
    for name in drop:
        members.pop(name, None)
    for name, data in (replace or {}).items():
        members[name] = data.encode() if isinstance(data, str) else data
    return write_zip(path, members, compression)


def one_formula_book(path, formula: str, cached="0", more_cells=()) -> str:
    """A workbook whose sheet S has A1 = 1 and the formula in B1."""
    return package(path, {"S": sheet_xml([cell("A1", 1), cell("B1", cached, formula), *more_cells])})


def patch_zip_entries(path, flag_bits: int | None = None, method: int | None = None, only: str | None = None) -> str:
    """Rewrite the general-purpose flags and/or compression method of the
    entries (both local and central headers), as a zip produced by other
    tools might carry them: flag bit 0 = encrypted, method 9 = Deflate64."""
    data = bytearray(open(path, "rb").read())
    for sig, flag_at, method_at, name_len_at, name_at in ((b"PK\x03\x04", 6, 8, 26, 30),
                                                          (b"PK\x01\x02", 8, 10, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            name = bytes(data[pos + name_at:pos + name_at + n]).decode()
            if only is None or name == only:
                if flag_bits is not None:
                    struct.pack_into("<H", data, pos + flag_at,
                                     struct.unpack_from("<H", data, pos + flag_at)[0] | flag_bits)
                if method is not None:
                    struct.pack_into("<H", data, pos + method_at, method)
            pos = data.find(sig, pos + 4)
    with open(path, "wb") as fh:
        fh.write(data)
    return str(path)


def many_big_sheets(path, sheets: int, cells_per_sheet: int) -> str:
    """`sheets` sheets each holding `cells_per_sheet` numbers: each part
    compresses well but inflates to many MiB (the total, not one part, is the
    bomb)."""
    row = "".join(f'<c r="{col}1"><v>1</v></c>' for col in ("A",))
    body = "".join(f'<row r="{r}">{row.replace("A1", f"A{r}")}</row>' for r in range(1, cells_per_sheet + 1))
    xml = sheet_xml(body)
    return package(path, {f"S{i}": xml for i in range(sheets)})


def docx(path) -> str:
    """A Word document (a zip with word/document.xml, no workbook)."""
    members = {
        "[Content_Types].xml": CONTENT_TYPES.encode(),
        "_rels/.rels": (HEAD + f'<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{OFFICE_DOC}" '
                        'Target="word/document.xml"/></Relationships>').encode(),
        "word/document.xml": (HEAD + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
                              '2006/main"><w:body><w:p><w:r><w:t>hello</w:t></w:r></w:p></w:body>'
                              '</w:document>').encode(),
    }
    return write_zip(path, members)


def file_digest(path) -> bytes:
    with open(path, "rb") as fh:
        return zlib.crc32(fh.read()).to_bytes(4, "little") + os.path.getsize(path).to_bytes(8, "little")


def write_raw_zip(path, members: list[tuple[str, bytes, int, int]]) -> str:
    """A zip from already-deflated members (name, deflated bytes, crc32, size):
    one compressed sheet can then be stored under many names at no cost."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        raw = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    with open(path, "wb") as fh:
        fh.write(out + central + end)
    return str(path)


def sheets_bomb(path, sheets: int = 58, mib_each: int = 46) -> str:
    """The issue's package: `sheets` worksheets that each inflate to `mib_each`
    MiB (every part well under the per-part limits; the total is the bomb)."""
    row = "<row>" + '<c><v>1</v></c>' * 10 + "</row>"
    xml = sheet_xml(row * (mib_each * 2**20 // len(row))).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = packer.compress(xml) + packer.flush()
    crc = zlib.crc32(xml)
    members = {k: v for k, v in parts({f"S{i}": "x" for i in range(sheets)}).items() if "worksheets" not in k}
    listed = []
    for name, data in members.items():
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        listed.append((name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)))
    listed += [(f"xl/worksheets/sheet{i}.xml", deflated, crc, len(xml)) for i in range(1, sheets + 1)]
    return write_raw_zip(path, listed)
