"""#SPILL! and #CALC! written the way Excel stores them: #VALUE! in the cell,
the real error in a rich value the cell's vm points to (issue 9: a workbook
that opens clean in Excel).  Both the writer and `solve`'s in-place patcher."""

from __future__ import annotations

import re
import zipfile
from xml.etree import ElementTree as ET

import pytest

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.refbooks import shared_dir
from sheetnet.xlsx.patch import write_patched
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.rich_error_merge import _extend_metadata
from sheetnet.xlsx.writer import write_workbook

CALC, SPILL = ExcelError("#CALC!"), ExcelError("#SPILL!")
RICH_PARTS = ("xl/metadata.xml", "xl/richData/rdrichvalue.xml", "xl/richData/rdrichvaluestructure.xml",
              "xl/richData/rdRichValueTypes.xml")
RICH = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"


def _cells(z: zipfile.ZipFile, part: str = "xl/worksheets/sheet1.xml") -> dict[str, str]:
    """{A1: the <c> element's text} of a sheet."""
    xml = z.read(part).decode()
    return {m.group(1): m.group(0) for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>.*?</c>)', xml)}


def _values(path, sheet: str, refs: str) -> list:
    e = Engine(read_workbook(str(path))).recalc()
    return [e.value(sheet, ref) for ref in refs.split()]


def _errors_book() -> Book:
    b = Book()
    s = b.add_sheet("s")
    s.set_formula("A1", "=SEQUENCE(0)")          # #CALC!: an empty array
    s.set_formula("A2", "=1/0")
    s.spill("B1", "=SEQUENCE(3)")                # #SPILL!: B2 is in the way
    s.set_value("B2", 5)
    s.set_value("C1", CALC)
    s.set_value("C2", ExcelError("#N/A"))
    t = b.add_sheet("t")
    t.set_formula("A1", "=#SPILL!")
    t.set_formula("A2", "=ERROR.TYPE(s!A1)")
    return b


def test_written_newer_errors_read_back_as_themselves_and_classic_ones_stay_literal(tmp_path):
    path = tmp_path / "errors.xlsx"
    write_workbook(_errors_book(), path)
    assert _values(path, "s", "A1 A2 B1 C1 C2") == [CALC, ExcelError("#DIV/0!"), SPILL, CALC, ExcelError("#N/A")]
    assert _values(path, "t", "A1 A2") == [SPILL, 14]
    with zipfile.ZipFile(path) as z:
        s, t = _cells(z), _cells(z, "xl/worksheets/sheet2.xml")
        assert s["A1"] == '<c r="A1" t="e" vm="1"><f>_xlfn.SEQUENCE(0)</f><v>#VALUE!</v></c>'
        assert s["B1"].startswith('<c r="B1" t="e" cm="1" vm="2">') and "<v>#VALUE!</v>" in s["B1"]
        assert s["C1"] == '<c r="C1" t="e" vm="1"><v>#VALUE!</v></c>'      # one rich value per kind
        assert t["A1"] == '<c r="A1" t="e" vm="2"><f>#SPILL!</f><v>#VALUE!</v></c>'
        assert s["A2"] == '<c r="A2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        assert s["C2"] == '<c r="C2" t="e"><v>#N/A</v></c>'
        values = ET.fromstring(z.read("xl/richData/rdrichvalue.xml"))
        assert [[v.text for v in rv] for rv in values] == [["13", "0"], ["8", "0"]]
        meta = ET.fromstring(z.read("xl/metadata.xml"))
        assert [t.get("name") for t in meta.find("{*}metadataTypes")] == ["XLDAPR", "XLRICHVALUE"]
        assert [rc.attrib for rc in meta.iterfind("{*}valueMetadata/{*}bk/{*}rc")] == [{"t": "2", "v": "0"},
                                                                                     {"t": "2", "v": "1"}]
        assert [rc.attrib for rc in meta.iterfind("{*}cellMetadata/{*}bk/{*}rc")] == [{"t": "1", "v": "0"}]


def test_writing_is_deterministic_and_books_without_newer_errors_get_no_rich_parts(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(_errors_book(), a)
    write_workbook(_errors_book(), b)
    assert a.read_bytes() == b.read_bytes()
    plain = Book()
    plain.add_sheet("s").set_formula("A1", "=1/0")
    write_workbook(plain, a)
    with zipfile.ZipFile(a) as z:
        assert not any(n.startswith("xl/richData/") or n == "xl/metadata.xml" for n in z.namelist())


def _canonical(xml: bytes) -> list:
    return [(el.tag, sorted(el.attrib.items()), (el.text or "").strip()) for el in ET.fromstring(xml).iter()]


def _rich_package(z: zipfile.ZipFile) -> tuple[set, set]:
    """(the rich data's content-type overrides, the workbook's relationships to them)."""
    types = {(o.get("PartName"), o.get("ContentType")) for o in ET.fromstring(z.read("[Content_Types].xml"))
             if "rdrich" in o.get("PartName", "").lower() or "metadata" in o.get("PartName", "")}
    rels = {(r.get("Type"), r.get("Target")) for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            if "richData" in r.get("Target") or "metadata" in r.get("Target")}
    return types, rels


def test_rich_error_parts_are_the_ones_excel_writes(tmp_path):
    """ERROR.TYPE.xlsx (saved by Excel) holds a #CALC! and a #SPILL! typed into
    cells; sheetnet writing the same book makes the same four parts, element
    for element, with the same content types, relationships and vm numbers."""
    shared = shared_dir()
    excel = shared / "reference-workbooks/ironcalc/INFORMATION/ERROR.TYPE.xlsx" if shared else None
    if excel is None or not excel.is_file():
        pytest.skip("../shared/reference-workbooks/ironcalc/INFORMATION/ERROR.TYPE.xlsx not found (SHEETNET_SHARED)")
    ours = tmp_path / "ours.xlsx"
    write_workbook(read_workbook(str(excel)), ours)
    with zipfile.ZipFile(excel) as theirs, zipfile.ZipFile(ours) as z:
        for part in RICH_PARTS:
            assert _canonical(z.read(part)) == _canonical(theirs.read(part)), part
        assert _rich_package(z) == _rich_package(theirs)
        vm = re.compile(r'<c r="(\w+)"[^>]*\svm="(\d+)"')
        assert vm.findall(z.read("xl/worksheets/sheet1.xml").decode()) == \
            vm.findall(theirs.read("xl/worksheets/sheet1.xml").decode())


# --- solve's patcher: the user's own workbook, rewritten in place ---------------------------------

def _switch_book() -> Book:
    """A1 decides what B1..B3 hold; D1 spills, so the file has dynamic-array metadata."""
    b = Book()
    s = b.add_sheet("s")
    s.set_value("A1", 1)
    s.set_formula("B1", "=IF(A1=1,1,IF(A1=2,SEQUENCE(0),#SPILL!))")
    s.set_formula("B2", "=IF(A1=1,#CALC!,IF(A1=2,2,#N/A))")
    s.set_formula("B3", "=IF(A1=3,SEQUENCE(0),#SPILL!)")
    s.spill("D1", "=SEQUENCE(2)")
    return b


def _patched(tmp_path, src, a1: int, name: str = "patched.xlsx"):
    book = read_workbook(str(src))
    book["s"].set_value("A1", a1)
    Engine(book).recalc()
    out = tmp_path / name
    write_patched(book, str(src), str(out))
    return out


def test_patching_adds_rich_values_and_keeps_the_files_own_metadata(tmp_path):
    src = tmp_path / "src.xlsx"
    write_workbook(_switch_book(), src)          # holds #CALC! (vm 1) and #SPILL! (vm 2) already
    out = _patched(tmp_path, src, 2)
    assert _values(out, "s", "A1 B1 B2 B3 D1 D2") == [2, CALC, 2, SPILL, 1, 2]
    with zipfile.ZipFile(src) as before, zipfile.ZipFile(out) as z:
        for part in RICH_PARTS:                  # both kinds existed: reused, nothing appended
            assert z.read(part) == before.read(part)
        cells = _cells(z)
        assert cells["B1"] == '<c r="B1" t="e" vm="1"><f>IF(A1=1,1,IF(A1=2,_xlfn.SEQUENCE(0),#SPILL!))</f>' \
                              '<v>#VALUE!</v></c>'
        assert cells["B2"] == '<c r="B2"><f>IF(A1=1,#CALC!,IF(A1=2,2,#N/A))</f><v>2</v></c>'    # vm gone
        assert cells["D1"].startswith('<c r="D1" cm="1"')
    out3 = _patched(tmp_path, out, 3, "three.xlsx")
    assert _values(out3, "s", "B1 B2 B3") == [SPILL, ExcelError("#N/A"), CALC]
    assert '<c r="B2" t="e"><f>' in _cells(zipfile.ZipFile(out3))["B2"]                   # classic: literal


def test_patching_a_workbook_without_rich_data_creates_it(tmp_path):
    plain = Book()
    s = plain.add_sheet("s")
    s.set_value("A1", 1)
    s.set_formula("B1", "=IF(A1=1,1,SEQUENCE(0))")
    s.set_formula("B2", "=IF(A1<0,#SPILL!,2)")
    s.spill("D1", "=SEQUENCE(2)")               # metadata.xml with XLDAPR only
    src = tmp_path / "src.xlsx"
    write_workbook(plain, src)
    calc = _patched(tmp_path, src, 0, "calc.xlsx")          # creates the rich data, #CALC! only
    assert _values(calc, "s", "B1 B2 D1 D2") == [CALC, 2, 1, 2]
    out = _patched(tmp_path, calc, -1)                      # appends #SPILL! to it
    assert _values(out, "s", "B1 B2 D1 D2") == [CALC, SPILL, 1, 2]
    with zipfile.ZipFile(out) as z:
        meta = ET.fromstring(z.read("xl/metadata.xml"))
        assert [t.get("name") for t in meta.find("{*}metadataTypes")] == ["XLDAPR", "XLRICHVALUE"]
        assert [f.get("name") for f in meta.iterfind("{*}futureMetadata")] == ["XLDAPR", "XLRICHVALUE"]
        assert [el.tag.rsplit("}")[-1] for el in meta] == ["metadataTypes", "futureMetadata", "futureMetadata",
                                                           "cellMetadata", "valueMetadata"]   # schema order
        assert [rc.attrib for rc in meta.iterfind("{*}cellMetadata/{*}bk/{*}rc")] == [{"t": "1", "v": "0"}]
        assert meta.find("{*}valueMetadata").get("count") == "2"
        values = ET.fromstring(z.read("xl/richData/rdrichvalue.xml"))
        assert values.get("count") == "2" and [[v.text for v in rv] for rv in values] == [["13", "0"], ["8", "0"]]
        assert [c for c in _cells(z).values() if "vm=" in c] == [
            '<c r="B1" t="e" vm="1"><f>IF(A1=1,1,_xlfn.SEQUENCE(0))</f><v>#VALUE!</v></c>',
            '<c r="B2" t="e" vm="2"><f>IF(A1&lt;0,#SPILL!,2)</f><v>#VALUE!</v></c>']
        types, rels = _rich_package(z)
        assert {target for _, target in rels} == {"metadata.xml", "richData/rdrichvalue.xml",
                                                  "richData/rdrichvaluestructure.xml",
                                                  "richData/rdRichValueTypes.xml"}
        assert {name for name, _ in types} == {"/xl/metadata.xml", "/xl/richData/rdrichvalue.xml",
                                               "/xl/richData/rdrichvaluestructure.xml",
                                               "/xl/richData/rdRichValueTypes.xml"}
    assert _patched(tmp_path, calc, -1, "again.xlsx").read_bytes() == out.read_bytes()


_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_LITERAL = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_DOC}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_DOC}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_DOC}/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="e"><f>_xlfn.SEQUENCE(0)</f><v>#CALC!</v></c>'
    '<c r="B1" t="e"><v>#N/A</v></c></row></sheetData></worksheet>',
}


def test_patching_rewrites_a_literal_newer_error_and_creates_the_metadata(tmp_path):
    """A file with #CALC! literally in <v> (as sheetnet wrote it before) and no
    metadata part at all comes out the way Excel stores the error."""
    src = tmp_path / "literal.xlsx"
    with zipfile.ZipFile(src, "w") as z:
        for name, text in _LITERAL.items():
            z.writestr(name, text)
    book = read_workbook(str(src))
    Engine(book).recalc()
    out = tmp_path / "out.xlsx"
    assert write_patched(book, str(src), str(out)) == 1
    assert _values(out, "s", "A1 B1") == [CALC, ExcelError("#N/A")]
    with zipfile.ZipFile(out) as z:
        assert _cells(z)["A1"] == '<c r="A1" t="e" vm="1"><f>_xlfn.SEQUENCE(0)</f><v>#VALUE!</v></c>'
        meta = ET.fromstring(z.read("xl/metadata.xml"))
        assert [t.get("name") for t in meta.find("{*}metadataTypes")] == ["XLRICHVALUE"]
        types, rels = _rich_package(z)
        assert len(types) == len(rels) == 4


def test_metadata_with_a_prefix_and_other_rich_values_is_extended_not_renumbered():
    xml = ('<x:metadata xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<x:metadataTypes count="1"><x:metadataType name="XLMDX"/></x:metadataTypes>'
           '<x:valueMetadata count="1"><x:bk><x:rc t="1" v="0"/></x:bk></x:valueMetadata></x:metadata>').encode()
    new, first_vm = _extend_metadata(xml, first_value=3, n=2, part="xl/metadata.xml", path="book.xlsx")
    assert first_vm == 2
    meta = ET.fromstring(new)
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert [t.get("name") for t in meta.find(main + "metadataTypes")] == ["XLMDX", "XLRICHVALUE"]
    assert meta.find(main + "metadataTypes").get("count") == "2"
    assert [rvb.get("i") for rvb in meta.iter(f"{{{RICH}}}rvb")] == ["3", "4"]
    assert [rc.attrib for rc in meta.iterfind(f"{main}valueMetadata/{main}bk/{main}rc")] == [
        {"t": "1", "v": "0"}, {"t": "2", "v": "0"}, {"t": "2", "v": "1"}]
    assert meta.find(main + "valueMetadata").get("count") == "3"


@pytest.mark.libreoffice
def test_libreoffice_opens_the_written_and_the_patched_errors(libreoffice, tmp_path):
    path, src = tmp_path / "errors.xlsx", tmp_path / "switch.xlsx"
    write_workbook(_errors_book(), path)
    write_workbook(_switch_book(), src)
    patched = _patched(tmp_path, src, 2)
    written, rewritten = libreoffice.recalculate_many([path, patched], timeout=300)
    # LibreOffice knows no rich values: a typed #CALC! shows as the stored #VALUE!
    # (formulas it calculates itself; this version knows no SEQUENCE or #CALC!)
    rows = written.sheets["s"]
    assert rows[0][2] == "#VALUE!"
    assert rows[1][0] == "#DIV/0!" and rows[1][2] == "#N/A" and rows[1][1] == 5.0
    assert rewritten.sheets["s"][0][0] == 2.0 and rewritten.sheets["s"][1][1] == 2.0   # the patched A1, B2
