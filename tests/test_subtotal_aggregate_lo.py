"""SUBTOTAL and AGGREGATE against LibreOffice: every AGGREGATE function
number under every option, and SUBTOTAL 1-11 and 101-111, over ranges with
rows hidden by hand, errors, text, blanks and nested subtotals, in a generated
workbook LibreOffice recalculates."""

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
    assert compared == 19 * 8 * 2 + 22 * 2
    assert {cell: str(ours) for cell, ours, _ in diffs} == EXCEL_DECIDES
