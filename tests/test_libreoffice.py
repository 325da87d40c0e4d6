"""sheetnet.libreoffice: the bridge to LibreOffice Calc (headless).

openpyxl writes formulas without cached values, so every formula value read
back here proves LibreOffice really recalculated the workbook.  All the
workbooks are recalculated together by one module-scoped fixture (one soffice
start); two more short starts check the failure paths.
"""

import json
import math
import os
import subprocess
import tempfile

import openpyxl
import pytest

from sheetnet import _lo_worker
from sheetnet import libreoffice as lo

MAIN = "Inputs & Results"


def _save(path, sheets):
    """Write {sheet name: {"A1": value or formula}} as an .xlsx; {} = empty sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, cells in sheets.items():
        ws = wb.create_sheet(name)
        for ref, value in cells.items():
            ws[ref] = value
    wb.save(path)
    return str(path)


def _basic_book(path):
    return _save(path, {
        MAIN: {
            "A1": 2, "A2": 3, "A3": "=A1*A2+1", "A4": "=SUM(A1:A3)", "A5": "=A4/8",
            "B1": '="ab"&"cd"',
            "B2": "=1/0",
            "B3": "=NA()",
            "B4": "=SQRT(-1)",
            "B5": '=IF(1,"","x")',
            "B6": "=EXP(1000)",
            "B7": '=1+"x"',
            "B8": "=#NULL!",
            "B9": "=NOSUCHFUNCTION(1)",
            "B10": "=TRUE()",
            "B11": "=LEN(B5)",
            # C1 stays empty
            "C2": "=B5",
            "D1": "hello",
            "D3": 4.25,
            "E1": "=C1",
        },
        "Second Sheet": {"A1": f"='{MAIN}'!A4*2", "C3": '=UPPER("x")'},
        "Empty": {},
    })


ERROR_ROWS = 40


def _errors_book(path):
    # More error cells than CELL_BY_CELL_MAX, so the bulk (ERRORTYPE) path runs,
    # on a sheet whose name needs quoting.
    cells = {}
    for r in range(1, ERROR_ROWS + 1):
        cells[f"A{r}"] = "=1/0"
        cells[f"B{r}"] = "=NA()"
        cells[f"C{r}"] = r
        cells[f"D{r}"] = "=SQRT(-1)" if r <= 5 else '=1+"x"'
    cells["E1"] = '=IF(1,"","x")'
    cells["E2"] = "=E2+1"  # circular reference
    # Same again where a whole-row reference would see the bulk method's
    # scratch cells, so the cell-by-cell way must be used.
    guarded = {f"A{r}": "=1/0" for r in range(1, ERROR_ROWS + 1)}
    guarded["B1"] = "=SUM(1:1)"
    guarded["B2"] = "=IFERROR(SUM(2:2),7)"
    return _save(path, {"It's errors": cells,
                        "Sheet1": {"A1": "=SUM('It''s errors'!C1:C40)"},
                        "Guarded": guarded})


@pytest.fixture(scope="module")
def recalculated(libreoffice, tmp_path_factory):
    """Both workbooks through ONE recalculate_many call; also counts soffice starts."""
    folder = tmp_path_factory.mktemp("lo")
    paths = [_basic_book(folder / "basic book.xlsx"), _errors_book(folder / "errors.xlsx")]
    starts = []
    real_popen = subprocess.Popen

    class CountingPopen(real_popen):
        def __init__(self, args, *a, **k):
            if args and os.path.basename(str(args[0])).startswith("soffice"):
                starts.append(args)
            super().__init__(args, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(subprocess, "Popen", CountingPopen)
        results = libreoffice.recalculate_many(paths, timeout=300)
    return paths, results, starts


# ---------------------------------------------------------- with LibreOffice --

@pytest.mark.libreoffice
def test_many_uses_one_start_and_keeps_order(recalculated):
    paths, results, starts = recalculated
    assert len(starts) == 1
    assert [r.path for r in results] == paths
    for r in results:
        assert r.load_s >= 0 and r.recalc_s >= 0 and r.read_s >= 0


@pytest.mark.libreoffice
def test_values_of_basic_book(recalculated):
    res = recalculated[1][0]
    assert list(res.sheets) == [MAIN, "Second Sheet", "Empty"]
    assert res.sheets[MAIN] == [
        [2.0, "abcd", None, "hello", 0.0],
        [3.0, "#DIV/0!", "", None, None],
        [7.0, "#N/A", None, 4.25, None],
        # LibreOffice answers =SQRT(-1) with Err:502 ("invalid argument"),
        # where Excel says #NUM!
        [12.0, "Err:502", None, None, None],
        [1.5, "", None, None, None],
        [None, "#NUM!", None, None, None],
        [None, "#VALUE!", None, None, None],
        [None, "#NULL!", None, None, None],
        [None, "#NAME?", None, None, None],
        [None, 1.0, None, None, None],
        [None, 0.0, None, None, None],
    ]
    assert res.sheets["Second Sheet"] == [[24.0, None, None], [None, None, None],
                                          [None, None, "X"]]
    assert res.sheets["Empty"] == []


@pytest.mark.libreoffice
def test_empty_string_result_is_not_empty_cell(recalculated):
    res = recalculated[1][0]
    assert res.value(MAIN, 4, 1) == ""    # B5 =IF(1,"","x")
    assert res.value(MAIN, 1, 2) == ""    # C2 =B5
    assert res.value(MAIN, 0, 2) is None  # C1 empty
    assert res.value(MAIN, 0, 4) == 0.0   # E1 =C1


@pytest.mark.libreoffice
def test_value_beyond_used_area_is_none(recalculated):
    res = recalculated[1][0]
    assert res.value(MAIN, 0, 0) == 2.0
    assert res.value(MAIN, 500, 0) is None
    assert res.value(MAIN, 0, 500) is None
    assert res.value("Empty", 3, 3) is None
    with pytest.raises(KeyError):
        res.value("No such sheet", 0, 0)


@pytest.mark.libreoffice
def test_error_codes(recalculated):
    res = recalculated[1][0]
    assert res.error_codes[MAIN] == {
        (1, 1): 532, (2, 1): 32767, (3, 1): 502, (5, 1): 503,
        (6, 1): 519, (7, 1): 521, (8, 1): 525,
    }
    assert res.error_codes["Second Sheet"] == {}


@pytest.mark.libreoffice
def test_many_error_cells_in_bulk(recalculated):
    res = recalculated[1][1]
    rows = res.sheets["It's errors"]
    assert len(rows) == ERROR_ROWS
    for r, row in enumerate(rows):
        expected_d = "Err:502" if r < 5 else "#VALUE!"
        assert row[:4] == ["#DIV/0!", "#N/A", float(r + 1), expected_d], r
    assert rows[0][4] == ""
    assert rows[1][4] == "Err:522"
    assert all(row[4] is None for row in rows[2:])
    codes = res.error_codes["It's errors"]
    assert len(codes) == 3 * ERROR_ROWS + 1
    assert codes[(0, 0)] == 532 and codes[(0, 1)] == 32767 and codes[(1, 4)] == 522
    assert res.sheets["Sheet1"] == [[820.0]]
    guarded = res.sheets["Guarded"]
    assert guarded[:3] == [["#DIV/0!", "#DIV/0!"], ["#DIV/0!", 7.0], ["#DIV/0!", None]]
    assert all(row == ["#DIV/0!", None] for row in guarded[3:])
    assert len(res.error_codes["Guarded"]) == ERROR_ROWS + 1


@pytest.mark.libreoffice
def test_not_a_spreadsheet_raises(libreoffice, tmp_path):
    bad = tmp_path / "not a workbook.xlsx"
    bad.write_text("hello, this is not a spreadsheet\n")
    with pytest.raises(lo.LibreOfficeError, match="not a workbook.xlsx"):
        libreoffice.recalculate(bad, timeout=120)


@pytest.mark.libreoffice
def test_timeout_raises_and_cleans_up(libreoffice, tmp_path, monkeypatch):
    book = _save(tmp_path / "slow.xlsx", {"S": {"A1": "=1+1"}})
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*a, **k):
        made.append(real_mkdtemp(*a, **k))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    with pytest.raises(lo.LibreOfficeError, match="slow.xlsx.*timed out"):
        libreoffice.recalculate(book, timeout=0.2)
    assert made and not os.path.exists(made[0])
    if os.path.isdir("/proc"):
        leftovers = []
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if made[0].encode() in f.read():
                        leftovers.append(pid)
            except OSError:
                pass
        assert leftovers == []


# ------------------------------------------------------- without LibreOffice --

def test_missing_file_raises_with_path(tmp_path):
    missing = tmp_path / "nowhere" / "book.xlsx"
    with pytest.raises(lo.LibreOfficeError, match="nowhere.*book.xlsx"):
        lo.recalculate(missing)
    with pytest.raises(lo.LibreOfficeError, match="book.xlsx"):
        lo.recalculate_many([missing])
    assert lo.recalculate_many([]) == []


def test_unavailable_office_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETNET_SOFFICE", str(tmp_path / "no-soffice"))
    ok, why = lo.available()
    assert not ok and "no-soffice" in why
    book = tmp_path / "b.xlsx"
    book.write_bytes(b"x")
    with pytest.raises(lo.LibreOfficeError, match="b.xlsx.*no-soffice"):
        lo.recalculate(book)


def test_error_strings():
    assert lo.error_string(532) == "#DIV/0!"
    assert lo.error_string(503) == "#NUM!"
    assert lo.error_string(519) == "#VALUE!"
    assert lo.error_string(524) == "#REF!"
    assert lo.error_string(525) == "#NAME?"
    assert lo.error_string(32767) == "#N/A"
    assert lo.error_string(521) == "#NULL!"
    assert lo.error_string(522) == "Err:522"
    assert lo.error_string(502) == "Err:502"


def test_value_indexing():
    res = lo.Recalculated(path="x.xlsx", sheets={"S": [[1.0, None], [None, "a", 3.0]]},
                          load_s=0.0, recalc_s=0.0, read_s=0.0)
    assert res.value("S", 1, 2) == 3.0
    assert res.value("S", 0, 2) is None
    assert res.value("S", 9, 0) is None
    with pytest.raises(IndexError):
        res.value("S", -1, 0)


def test_non_finite_floats_survive_transfer(tmp_path):
    out = tmp_path / "out.json"
    _lo_worker.write_json(str(out), {"rows": [[1.5, float("nan"), float("inf"), -math.inf, "x"]]})
    text = out.read_text()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"invalid JSON constant {name}"))
    row = json.loads(text, object_hook=lo._decode_float)["rows"][0]
    assert row[0] == 1.5 and math.isnan(row[1]) and row[2] == math.inf and row[3] == -math.inf
    assert row[4] == "x"
