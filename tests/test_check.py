"""`sheetnet check`: the lesson workbooks, and every way a user can hand it bad input."""

import json
import os
import shutil
import zipfile

import pytest

from sheetnet.book import Book
from sheetnet.check import check_file
from sheetnet.cli import main
from sheetnet.xlsx.writer import write_workbook

LESSONS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks")
LESSON_FILES = ["collab_filter.xlsx", "graddesc.xlsm", "entropy_example.xlsx"]


def lesson(name: str) -> str:
    path = os.path.join(LESSONS, name)
    if not os.path.exists(path):
        pytest.skip(f"lesson workbook {name} not found beside the project (../shared/lesson-workbooks)")
    return path


@pytest.mark.parametrize("name", LESSON_FILES)
def test_lesson_workbooks_match_excel_exactly(name):
    report = check_file(lesson(name))
    assert report.ok and not report.unsupported
    assert report.total("compared") + report.total("volatile") == report.total("cells")


def test_lesson_figures():
    report = check_file(lesson("collab_filter.xlsx"))
    assert report.total("compared") == 12937
    grad = check_file(lesson("graddesc.xlsm"))
    # the data sheet's RANDBETWEEN column is volatile: reported, not compared,
    # and everything computed from its stored draws is still verified
    assert grad.total("volatile") == 29
    assert {s.name: s.volatile for s in grad.sheets}["data"] == 29
    # basic and rmsprop reproduce Excel bit for bit
    exact = check_file(lesson("graddesc.xlsm"), rtol=0, atol=0)
    assert exact.ok


def test_check_json_shape(capsys):
    code = main(["check", "--json", lesson("entropy_example.xlsx")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["ok"]
    f = out["files"][0]
    for key in ("cells", "compared", "matched", "mismatched", "volatile", "unsupported"):
        assert key in f
    assert f["cells"] == f["compared"] == f["matched"] == 75
    assert f["mismatched"] == [] and f["unsupported"] == {}


def _written(tmp_path, build, name="book.xlsx") -> str:
    book = Book()
    build(book.add_sheet("S"))
    path = str(tmp_path / name)
    write_workbook(book, path)
    return path


def test_mismatch_is_reported_with_both_values(tmp_path, capsys):
    path = _written(tmp_path, lambda s: (s.__setitem__("A1", 2), s.__setitem__("B1", "=A1*3")))
    # tamper with the stored constant: the cached B1 (6) no longer follows
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"<v>2</v>", b"<v>5</v>")
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    code = main(["check", path])
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH S!B1: cached 6.0, computed 15.0" in out
    code = main(["check", "--json", path])
    data = json.loads(capsys.readouterr().out)
    assert data["files"][0]["mismatched"] == [
        {"sheet": "S", "cell": "B1", "cached": 6.0, "computed": 15.0, "abs_err": 9.0, "rel_err": 1.5}]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sheetnet: error: ") and "Traceback" not in err[0]
    return err[0]


def test_missing_file(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.xlsx")]) == 2
    assert "nope.xlsx: no such file" in _one_error_line(capsys)


def test_not_a_zip(tmp_path, capsys):
    path = tmp_path / "text.xlsx"
    path.write_text("just some text, not a workbook\n")
    assert main(["check", str(path)]) == 2
    assert "not an .xlsx/.xlsm workbook" in _one_error_line(capsys)


def test_truncated_zip(tmp_path, capsys):
    src = lesson("entropy_example.xlsx")
    data = open(src, "rb").read()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert main(["check", str(path)]) == 2
    assert "truncated.xlsx" in _one_error_line(capsys)


def test_damaged_member(tmp_path, capsys):
    """A member whose bytes do not inflate (a corrupt download)."""
    path = tmp_path / "damaged.xlsx"
    shutil.copy(_written(tmp_path, lambda s: s.fill("A1:A200", "=ROW()*2")), path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + min(info.compress_size, 60)):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))
    assert main(["check", str(path)]) == 2
    assert "damaged.xlsx" in _one_error_line(capsys)


def test_zip_bomb(tmp_path, capsys):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(60):                 # 60 MiB of zeros, ~60 KiB compressed
                fh.write(chunk)
    assert main(["check", str(path)]) == 2
    assert "zip bomb" in _one_error_line(capsys)


def test_unknown_function_is_reported_and_the_rest_checked(tmp_path, capsys):
    def build(s):
        s["A1"] = 3
        s["B1"] = "=A1*2"
        s["C1"] = "=B1+1"

    path = _written(tmp_path, build)
    # rename a function to one sheetnet does not know; its cached value stays
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].replace(b"<f>A1*2</f>", b"<f>_xludf.WIDGET(A1)</f>")
    parts["xl/worksheets/sheet1.xml"] = xml
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = check_file(path)
    assert report.unsupported == {"WIDGET": 1}
    assert report.total("compared") == 1 and report.ok      # C1 still checked, from B1's stored value
    assert main(["check", path]) == 2
    out = capsys.readouterr()
    assert "INCOMPLETE" in out.out
    assert "WIDGET x1" in out.err and len(out.err.strip().splitlines()) == 1


def test_circular_reference(tmp_path, capsys):
    book = Book()
    s = book.add_sheet("S")
    s["A1"] = "=B1+1"
    s["B1"] = "=A1*2"
    path = str(tmp_path / "cycle.xlsx")
    write_workbook(book, path, recalc=False)     # Excel would refuse to calculate it too
    assert main(["check", path]) == 2
    line = _one_error_line(capsys)
    assert "cycle.xlsx: circular reference: S!A1 -> S!B1 -> S!A1" in line


def test_several_files_and_one_bad(tmp_path, capsys):
    good = lesson("entropy_example.xlsx")
    assert main(["check", good, str(tmp_path / "missing.xlsx")]) == 2
    captured = capsys.readouterr()
    assert "OK: every formula cell" in captured.out
    assert "missing.xlsx: no such file" in captured.err
