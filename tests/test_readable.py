"""Readable, printable lesson workbooks: formats and widths chosen from the values (nothing shows
###), wrapped headers, landscape pages one page wide with print titles, a "Start here" sheet; and
LibreOffice's own rendering of every committed workbook to PDF."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from sheetnet.lessons import LESSONS, lesson
from sheetnet.lessons.readable import DEFAULT_WIDTH, START, display_width, number_format
from sheetnet.store import NUM
from sheetnet.xlsx.reader import read_workbook

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_number_formats_follow_the_values():
    assert number_format(np.array([1.0, 5.0, 3.0])) == "0"
    assert number_format(np.array([150.87380529, 2.9])) == "0.00"
    assert number_format(np.array([1.03016861868, 2.93811052304])) == "0.0000"
    assert number_format(np.array([0.0099999999, 0.001])) == "0.00E+00"
    assert number_format(np.array([183.0, 0.0001])) == "0.00E+00"        # five decades in one column
    assert display_width(-1234.5678, "#,##0.0") == len("-1,234.6")
    assert display_width(0.000123, "0.00E+00") == len("1.23E-04")


@pytest.mark.parametrize("name", LESSONS)
def test_every_number_fits_its_column_and_pages_are_set_up(name):
    found = lesson(name)
    book = found.workbook(found.default_args()).book
    assert book.sheets[0].name == START and book.sheets[0].value("A1").startswith(name)
    for sheet in book.sheets:
        assert sheet.page is not None and sheet.page.fit_width == 1
        formats = np.empty(sheet.values.shape, dtype=object)
        for area, style in sheet.styles:
            formats[area.r0:area.r1 + 1, area.c0:area.c1 + 1] = style.number_format
        v = sheet.values
        for r, c in np.argwhere(v.kind == NUM).tolist():
            fmt = formats[r, c] or "General"
            width = sheet.col_widths.get(c, DEFAULT_WIDTH)
            assert display_width(float(v.num[r, c]), fmt) + 1 <= width, (sheet.name, r, c, v.num[r, c], fmt, width)
    titled = {n.scope for n in book.names if n.name == "_xlnm.Print_Titles"}
    assert titled, "no sheet repeats its header rows when printed"


def test_graddesc_headers_wrap_and_data_is_live():
    found = lesson("graddesc")
    book = found.workbook(found.default_args()).book
    basic = book["basic"]
    wrapped = [st for _, st in basic.styles if st.wrap]
    assert wrapped and basic.row_heights, "the long epoch-block headers wrap and their rows grow"
    data = book["data"]
    assert data.formula_at("B5") == "=$D$2+A5*$B$2"           # y follows the a and b cells


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_prints_every_workbook_without_hashes(libreoffice, tmp_path):
    """The committed workbooks as LibreOffice prints them: no ### anywhere, few pages."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    books = [os.path.join(ROOT, lesson(n).default_out) for n in LESSONS]
    subprocess.run([libreoffice._soffice_path(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *books], check=True, capture_output=True,
                   timeout=300)
    pages = {}
    for path in books:
        pdf = tmp_path / (os.path.splitext(os.path.basename(path))[0] + ".pdf")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "###" not in text, f"{pdf.name} shows ### somewhere"
        pages[pdf.name] = text.count("\f")
    # before: collab 45 pages, graddesc 164, entropy 16, conv 37 (portrait, nothing fitted)
    assert pages["graddesc.pdf"] <= 45 and pages["entropy_example.pdf"] <= 6 and pages["collab_filter.pdf"] <= 12, pages
