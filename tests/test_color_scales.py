"""Colour-scale conditional formats: the writer emits them as Excel does, and
openpyxl (an independent reader) finds them, areas and colours included."""

import zipfile

import pytest

from sheetnet.book import Book
from sheetnet.refs import parse_area
from sheetnet.style import ColorScale
from sheetnet.xlsx.writer import write_workbook


def test_color_scales_are_written_and_read_back(tmp_path):
    book = Book()
    s = book.add_sheet("maps")
    for r in range(4):
        for c in range(4):
            s[(r, c)] = float(r * 4 + c)
    s.color_scales.append(ColorScale((parse_area("A1:D2"),)))
    s.color_scales.append(ColorScale((parse_area("A3:B4"), parse_area("C3:D4")), low="FFFFFF", high="000000"))
    out = tmp_path / "cf.xlsx"
    write_workbook(book, str(out))
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert ('<conditionalFormatting sqref="A1:D2"><cfRule type="colorScale" priority="1"><colorScale>'
            '<cfvo type="min"/><cfvo type="max"/><color rgb="FFFCFCFF"/><color rgb="FFF8696B"/></colorScale>'
            '</cfRule></conditionalFormatting>') in xml
    assert xml.index("</sheetData>") < xml.index("<conditionalFormatting") < xml.index("<pageMargins")
    openpyxl = pytest.importorskip("openpyxl")
    ws = openpyxl.load_workbook(out)["maps"]
    found = {str(cf.sqref): cf.rules[0] for cf in ws.conditional_formatting}
    assert set(found) == {"A1:D2", "A3:B4 C3:D4"}
    rule = found["A3:B4 C3:D4"]
    assert rule.type == "colorScale" and rule.priority == 2
    assert [c.rgb for c in rule.colorScale.color] == ["FFFFFFFF", "FF000000"]
