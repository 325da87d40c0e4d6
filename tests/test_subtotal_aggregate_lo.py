"""SUBTOTAL and AGGREGATE against LibreOffice: every AGGREGATE function
number under every option, and SUBTOTAL 1-11 and 101-111, over ranges with
rows hidden by hand, errors, text, blanks and nested subtotals, in a generated
workbook LibreOffice recalculates."""

import re
import zipfile

import pytest

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

# the second argument of AGGREGATE's array form, per function number
K = {14: "2", 15: "2", 16: "0.3", 17: "1", 18: "0.4", 19: "3"}
COLUMNS = ("A", "B")            # A: no errors; B: #N/A and #NUM! inside
# Where LibreOffice (7.x) differs from Excel, Excel's documented rule decides:
EXCEL_DECIDES = {
    # AGGREGATE(9,4,B): option 4 ignores nothing, so the range's first error
    # propagates (#N/A); LibreOffice says Err:502 (invalid argument)
    (8, 12): "#N/A",
    # AGGREGATE(13,3|7,B): MODE.SNGL of numbers none of which repeats is #N/A
    # (MODE.SNGL's documentation); LibreOffice says #VALUE!
    (12, 11): "#N/A",
    (12, 15): "#N/A",
}


# arguments of other shapes: arrays, typed values, truncated and textual numbers
ARGUMENTS = ["AGGREGATE(9,6,data!A1:A4*2)", "AGGREGATE(9,6,{1,2,3})", "AGGREGATE(9,0,5)",
             "AGGREGATE(14,6,{1,2,3},1)", "AGGREGATE(9,6,data!A1:A2,data!A1*2)", "AGGREGATE(9,,data!A1:A4)",
             "AGGREGATE(9.9,6.9,data!A1:A4)", "SUBTOTAL(9,{1,2,3})", "SUBTOTAL(9,data!A1:A3*2)",
             "SUBTOTAL(109.9,data!A1:A4)", "SUBTOTAL(NA(),data!A1:A3)", 'AGGREGATE("9",6,data!A1:A4)',
             'AGGREGATE(1,6,data!A1:A4,"x")', "AGGREGATE(14,6,data!A1:A12,{1,2})"]


def aggregate_book() -> Book:
    book = Book()
    data = book.add_sheet("data")
    values = [3, 1, "t", 4, None, 5, None, 2, 6, 5, 3, 8]
    for r, v in enumerate(values):
        data.set_value((r, 0), v)
        data.set_value((r, 1), v)
    data.set_formula("A7", "SUBTOTAL(9,A1:A6)")          # a nested subtotal
    data.set_formula("B7", "AGGREGATE(9,6,B1:B6)")
    data.set_formula("B4", "NA()")
    data.set_formula("B11", "SQRT(-1)")
    data.hide_rows([1, 9])                                # rows 2 and 10, by hand
    calc = book.add_sheet("calc")
    for j, col in enumerate(COLUMNS):
        rng = f"data!{col}1:{col}12"
        for f in range(1, 20):
            for option in range(8):
                k = f",{K[f]}" if f in K else ""
                calc.set_formula((f - 1, 8 * j + option), f"AGGREGATE({f},{option},{rng}{k})")
        for i, f in enumerate([*range(1, 12), *range(101, 112)]):
            calc.set_formula((20 + i, j), f"SUBTOTAL({f},{rng})")
    for i, f in enumerate(ARGUMENTS):
        calc.set_formula((50 + i, 0), f)
    return book


def compare(engine: Engine, lo) -> tuple[int, list]:
    """(cells compared, [(cell, ours, LibreOffice's)] where they differ)."""
    book = engine.book
    cells = [(r, c) for g in book["calc"].groups for r, c in zip(g.rows.tolist(), g.cols.tolist())]
    diffs = []
    for r, c in sorted(cells):
        ours, theirs = engine.value("calc", (r, c)), lo.value("calc", r, c)
        if isinstance(ours, ExcelError) or isinstance(theirs, str):
            same = str(ours) == str(theirs)
        else:
            same = theirs == pytest.approx(ours, rel=1e-12, abs=1e-12)
        if not same:
            diffs.append(((r, c), ours, theirs))
    return len(cells), diffs


@pytest.mark.libreoffice
@pytest.mark.slow
def test_libreoffice_agrees_on_subtotal_and_aggregate(libreoffice, tmp_path):
    path = tmp_path / "aggregate.xlsx"
    write_workbook(aggregate_book(), path)
    lo = libreoffice.recalculate(path)
    compared, diffs = compare(Engine(read_workbook(str(path))).recalc(), lo)
    assert compared == 19 * 8 * 2 + 22 * 2 + len(ARGUMENTS)
    assert {cell: str(ours) for cell, ours, _ in diffs} == EXCEL_DECIDES


def _with_auto_filter(source, target, sheet_ref: str, column: int, keep: str) -> None:
    """Copy of a one-sheet workbook with an AutoFilter on sheet_ref keeping
    the rows whose column holds `keep`, as Excel writes one: <sheetPr
    filterMode="1">, <autoFilter> after the cells, and the sheet's hidden
    _xlnm._FilterDatabase name (LibreOffice needs it to see a filter)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                assert "<sheetPr" not in data
                data = data.replace("<dimension", '<sheetPr filterMode="1"/><dimension', 1)
                data = data.replace("</sheetData>", f'</sheetData><autoFilter ref="{sheet_ref}"><filterColumn '
                                    f'colId="{column}"><filters><filter val="{keep}"/></filters></filterColumn>'
                                    '</autoFilter>', 1)
            elif item.filename == "xl/workbook.xml":
                assert "<definedNames>" not in data
                absolute = re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", sheet_ref)
                data = data.replace("</sheets>", '</sheets><definedNames><definedName name="_xlnm._FilterDatabase" '
                                    f'localSheetId="0" hidden="1">S!{absolute}</definedName></definedNames>', 1)
            zout.writestr(item, data.encode())


@pytest.mark.libreoffice
def test_libreoffice_agrees_on_rows_a_filter_hides(libreoffice, tmp_path):
    """Rows hidden under an AutoFilter are filtered (SUBTOTAL 1-11 leave them
    out); a row hidden by hand outside it is not (1-11 keep it)."""
    book = Book()
    s = book.add_sheet("S")
    s.set_values("A1", [["k", "v"], ["x", 1], ["y", 10], ["x", 100], ["y", 1000], ["x", 10000], [None, None],
                        ["z", 100000]])
    formulas = ["SUBTOTAL(9,B2:B8)", "SUBTOTAL(109,B2:B8)", "AGGREGATE(9,4,B2:B8)", "AGGREGATE(9,5,B2:B8)",
                "SUBTOTAL(3,A2:A8)", "SUBTOTAL(103,A2:A8)"]
    for r, f in enumerate(formulas):
        s.set_formula((r, 3), f)
    s.hide_rows([2, 4])              # the "y" rows, which the filter hides
    s.hide_rows([7])                 # row 8, by hand
    plain, filtered = tmp_path / "plain.xlsx", tmp_path / "filtered.xlsx"
    write_workbook(book, plain)
    _with_auto_filter(plain, filtered, "A1:B6", 0, "x")
    back = read_workbook(str(filtered))
    assert back["S"].filtered_rows == {2, 4} and back["S"].hidden_rows == {7}
    ours = Engine(back).recalc()
    lo = libreoffice.recalculate(filtered)
    got = [ours.value("S", (r, 3)) for r in range(len(formulas))]
    assert got == [110101, 10101, 111111, 10101, 4, 3]
    assert got == [lo.value("S", r, 3) for r in range(len(formulas))]
