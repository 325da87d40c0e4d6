"""One-cell legacy array formulas ({=...} in one cell, thousands of them in
older workbooks such as the conv lesson's): those of one R1C1 shape are one
block, evaluated vectorised in array context, each cell showing its result's
top-left element -- what Excel shows, and what evaluating them one by one
gave."""

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.refs import parse_cell
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook


def _book():
    b = Book()
    s = b.add_sheet("a")
    s.set_values("A1", [[1.0], [2.0], [3.0], [4.0]])
    s.set_values("B1", [[10.0], [20.0], [30.0], [40.0]])
    s.set_value("C1", "x")
    s.set_value("C2", 5.0)
    for row in (1, 2, 3):
        s.set_array_formula(f"E{row}", f"=SUM(A{row}:A{row + 1}*B{row}:B{row + 1})")   # a sliding window
        s.set_array_formula(f"F{row}", f"=A{row + 1}:A{row + 2}")      # a range: its top-left, not intersected
        s.set_array_formula(f"G{row}", f"=MIN(IF($A$1:$A$4>B{row}/10,$A$1:$A$4))")
    s.set_array_formula("H1", "=SUM(IF(ISNUMBER(C1:C3),C1:C3,0))")   # text and a blank in the range
    s.set_array_formula("H2", "=C3")                                   # a blank shows 0
    return b


EXPECTED = {"E1": 50.0, "E2": 130.0, "E3": 250.0, "F1": 2.0, "F2": 3.0, "F3": 4.0,
            "G1": 2.0, "G2": 3.0, "G3": 4.0, "H1": 5.0, "H2": 0.0}


def test_one_shape_is_one_block_and_shows_each_cell_its_top_left():
    e = Engine(_book()).recalc()
    assert {k: e.value("a", k) for k in EXPECTED} == EXPECTED
    shapes = [b for b in e.blocks if b.array_context]
    assert sorted(b.size for b in shapes) == [1, 1, 3, 3, 3]


def test_an_edit_recalculates_them_as_a_full_calculation():
    edits = [("A2", 7.0), ("B3", -1.0), ("C2", "y"), ("A4", None)]
    inc = Engine(_book()).recalc()
    for step, (ref, value) in enumerate(edits):
        inc.set_value("a", ref, value)
        inc.recalc()
        fresh = _book()
        for r, v in edits[:step + 1]:
            fresh["a"].set_value(r, v)
        full = Engine(fresh).recalc()
        for k in EXPECTED:
            assert inc.value("a", k) == full.value("a", k), (ref, k)


def test_libreoffice_agrees(libreoffice, tmp_path):
    path = tmp_path / "arrays.xlsx"
    write_workbook(_book(), path)
    lo = libreoffice.recalculate(path)
    e = Engine(read_workbook(str(path))).recalc()
    assert sum(b.size for b in e.blocks if b.array_context) == len(EXPECTED)    # read back as written
    for k, expected in EXPECTED.items():
        a = parse_cell(k)
        assert lo.value("a", a.row, a.col) == expected == e.value("a", k), k
