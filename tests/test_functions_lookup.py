"""Lookup & reference functions (XLOOKUP, XMATCH ...): hand-computed values
and hypothesis properties for their laws (XLOOKUP's exact match is
INDEX/MATCH; a binary search finds what a linear search finds on sorted
data).  Excel's own cached values are checked by
tests/test_reference_workbooks.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError

from gradients import check_gradient

NA, VALUE = ExcelError("#N/A"), ExcelError("#VALUE!")
LAWS = settings(max_examples=40, deadline=None)


def _col(i: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def evaluate(formulas: dict[str, str], rows: list[list] | None = None, spill: dict[str, str] | None = None):
    """Values from A1 (None leaves a cell empty), formulas by cell, and the engine after recalculation."""
    b = Book()
    s = b.add_sheet("s")
    for r, row in enumerate(rows or []):
        for c, v in enumerate(row):
            if v is not None:
                s.set_value(f"{_col(c)}{r + 1}", v)
    for ref, f in formulas.items():
        s.set_formula(ref, f)
    for ref, f in (spill or {}).items():
        s.spill(ref, f)
    return Engine(b).recalc()


def value(formula: str, rows: list[list] | None = None):
    return evaluate({"Z1": formula}, rows).value("s", "Z1")


# --- hand-computed values -------------------------------------------------------------

TABLE = [["id", "name", "score"], [3, "ann", 7.5], [1, "Bob", 6], [2, "cy", None], [1, "dup", 1]]


def test_xlookup_exact_and_reverse():
    assert value("=XLOOKUP(1,A2:A5,B2:B5)", TABLE) == "Bob"
    assert value("=XLOOKUP(1,A2:A5,B2:B5,,,-1)", TABLE) == "dup"
    assert value('=XLOOKUP("BOB",B2:B5,A2:A5)', TABLE) == 1          # text without regard to case
    assert value("=XLOOKUP(9,A2:A5,B2:B5)", TABLE) == NA
    assert value('=XLOOKUP(9,A2:A5,B2:B5,"none")', TABLE) == "none"
    assert value("=XLOOKUP(2,A2:A5,C2:C5)", TABLE) == 0               # an empty cell found shows as 0
    assert value("=XLOOKUP(1/0,A2:A5,B2:B5)", TABLE) == ExcelError("#DIV/0!")


def test_xlookup_approximate_and_wildcard():
    assert value("=XLOOKUP(2.5,A2:A5,B2:B5,,-1)", TABLE) == "cy"
    assert value("=XLOOKUP(2.5,A2:A5,B2:B5,,1)", TABLE) == "ann"
    assert value("=XLOOKUP(0,A2:A5,B2:B5,,-1)", TABLE) == NA
    assert value('=XLOOKUP("c*",B2:B5,A2:A5,,2)', TABLE) == 2
    assert value('=XLOOKUP("?o?",B2:B5,A2:A5,,2)', TABLE) == 1
    assert value('=XLOOKUP("d.p",B2:B5,A2:A5,,3)', TABLE) == 1         # a regular expression


def test_xlookup_refusals():
    assert value("=XLOOKUP(1,A2:B5,B2:B5)", TABLE) == VALUE            # not a vector
    assert value("=XLOOKUP(1,A2:A5,B2:B4)", TABLE) == VALUE            # lengths differ
    assert value("=XLOOKUP(1,A2:A5,B2:B5,,5)", TABLE) == VALUE
    assert value("=XLOOKUP(1,A2:A5,B2:B5,,,0)", TABLE) == VALUE
    assert value('=XLOOKUP("a*",B2:B5,A2:A5,,2,2)', TABLE) == VALUE    # wildcards never bisect


def test_xlookup_returns_the_found_row_and_arrays():
    e = evaluate({}, TABLE, spill={"E1": "=XLOOKUP(2,A2:A5,A2:C5)", "E3": "=XLOOKUP(A1:C1,A1:C1,A2:C2)",
                                   "E5": "=XLOOKUP({1;3},A2:A5,B2:B5)"})
    assert [e.value("s", c) for c in ("E1", "F1", "G1")] == [2, "cy", 0]
    assert [e.value("s", c) for c in ("E3", "F3", "G3")] == [3, "ann", 7.5]
    assert [e.value("s", c) for c in ("E5", "E6")] == ["Bob", "ann"]


def test_xmatch():
    assert value("=XMATCH(1,A2:A5)", TABLE) == 2
    assert value("=XMATCH(1,A2:A5,0,-1)", TABLE) == 4
    assert value("=XMATCH(2.5,A2:A5,1)", TABLE) == 1
    assert value('=XMATCH("*y",B2:B5,2)', TABLE) == 3
    assert value("=XMATCH(7,A2:A5)", TABLE) == NA
    assert value("=XMATCH(2,{1,2,3},0,2)") == 2


def test_xlookup_fills_a_block():
    rows = [[k, f"v{k}", k % 3] for k in range(1, 31)]
    b = Book()
    s = b.add_sheet("s")
    s.set_values("A1", rows)
    s.fill("D1:D30", "=XLOOKUP(C1,$A$1:$A$30,$B$1:$B$30,\"-\")")
    e = Engine(b).recalc()
    assert [e.value("s", f"D{i}") for i in range(1, 31)] == [{0: "-", 1: "v1", 2: "v2"}[k % 3] for k in range(1, 31)]


# --- laws -----------------------------------------------------------------------------

keys = st.one_of(st.integers(0, 6).map(float), st.sampled_from(["a", "B", "b", "c"]), st.booleans())


@given(data=st.lists(keys, min_size=1, max_size=8), probe=keys)
@LAWS
def test_xlookup_exact_is_index_match(data, probe):
    """XLOOKUP(x, keys, values) = INDEX(values, MATCH(x, keys, 0)) for every x."""
    n = len(data)
    rows = [[k, i * 10] for i, k in enumerate(data)]
    e = evaluate({"D1": f"=XLOOKUP(C1,A1:A{n},B1:B{n})", "E1": f"=INDEX(B1:B{n},MATCH(C1,A1:A{n},0))"},
                 [r + ([probe] if i == 0 else []) for i, r in enumerate(rows)])
    assert e.value("s", "D1") == e.value("s", "E1")


@given(data=st.lists(st.integers(0, 9), min_size=1, max_size=10), probe=st.floats(-1, 10),
       mode=st.sampled_from([0, -1, 1]), descending=st.booleans())
@LAWS
def test_xmatch_binary_search_finds_what_a_linear_search_finds_on_sorted_data(data, probe, mode, descending):
    """On sorted data the value found by a binary search is the value a linear
    search finds (positions may differ among equal values)."""
    data = sorted(data, reverse=descending)
    n = len(data)
    rows = [[float(v)] + ([probe] if i == 0 else []) for i, v in enumerate(data)]
    search = -2 if descending else 2
    e = evaluate({"D1": f"=XLOOKUP(B1,A1:A{n},A1:A{n},\"none\",{mode},1)",
                  "E1": f"=XLOOKUP(B1,A1:A{n},A1:A{n},\"none\",{mode},{search})",
                  "F1": f"=XMATCH(B1,A1:A{n},{mode},1)", "G1": f"=XMATCH(B1,A1:A{n},{mode},{search})"}, rows)
    assert e.value("s", "D1") == e.value("s", "E1")
    linear, binary = e.value("s", "F1"), e.value("s", "G1")
    assert (linear == NA) == (binary == NA)
    if linear != NA:
        assert data[int(linear) - 1] == data[int(binary) - 1]


# --- LOOKUP, ADDRESS, TRIMRANGE and the classic look-ups' edge cases -------------------

SCALE = [[4.14, "red"], [4.19, "orange"], [5.17, "yellow"], [5.77, "green"]]


def test_lookup_vector_and_array_forms():
    assert value("=LOOKUP(5.2,A1:A4,B1:B4)", SCALE) == "yellow"
    assert value("=LOOKUP(9,A1:A4,B1:B4)", SCALE) == "green"
    assert value("=LOOKUP(4,A1:A4,B1:B4)", SCALE) == NA
    assert value("=LOOKUP(5.2,A1:B4)", SCALE) == "yellow"                  # taller: first column, last column
    assert value('=LOOKUP("b",{"a","b","c";1,2,3})') == 2                  # wider: first row, last row
    assert value("=LOOKUP(7.5,{1,2,3,4,5,6,7,8})") == 7
    assert value("=LOOKUP(5.2,A1:A4,B1:B2)", SCALE) == NA                  # past the result vector
    assert value("=LOOKUP(1/0,A1:A4,B1:B4)", SCALE) == ExcelError("#DIV/0!")


def test_address():
    assert value("=ADDRESS(2,3)") == "$C$2"
    assert [value(f"=ADDRESS(23,45,{k})") for k in (1, 2, 3, 4)] == ["$AS$23", "AS$23", "$AS23", "AS23"]
    assert [value(f"=ADDRESS(23,45,{k},FALSE)") for k in (1, 2, 3, 4)] == ["R23C45", "R23C[45]", "R[23]C45",
                                                                          "R[23]C[45]"]
    assert value('=ADDRESS(1,1,1,TRUE,"A sheet")') == "'A sheet'!$A$1"
    assert value('=ADDRESS(1,1,1,TRUE,"S2")') == "'S2'!$A$1"              # a name that looks like a cell
    assert value('=ADDRESS(1,1,4,TRUE,"")') == "!A1"
    assert value("=ADDRESS(23.9,34.7,2)") == "AH$23"
    for bad in ("=ADDRESS(0,1)", "=ADDRESS(1,16385)", "=ADDRESS(1048577,1)", "=ADDRESS(1,1,5)"):
        assert value(bad) == VALUE


def test_trimrange_spills_the_used_part():
    rows = [[None, None, None], [None, 1, None], [None, None, 2], [None, None, None]]
    e = evaluate({"E1": "=ROWS(TRIMRANGE(A1:C4))", "F1": "=COLUMNS(TRIMRANGE(A1:C4))",
                  "G1": "=ROWS(TRIMRANGE(A1:C4,2))", "H1": "=COLUMNS(TRIMRANGE(A1:C4,0,1))",
                  "I1": "=TRIMRANGE(A1:C4,4)", "J1": "=TRIMRANGE(D1:D4)"}, rows,
                 spill={"E3": "=TRIMRANGE(A1:C4)"})
    assert [e.value("s", c) for c in ("E1", "F1", "G1", "H1")] == [2, 2, 3, 2]
    assert [e.value("s", c) for c in ("E3", "F3", "E4", "F4")] == [1, 0, 0, 2]
    assert e.value("s", "I1") == VALUE and e.value("s", "J1") == ExcelError("#REF!")


def test_offset_sizes_as_excel_reads_them():
    rows = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert value("=SUM(OFFSET(C3,0,0,-2,-2))", rows) == 5 + 6 + 8 + 9     # a negative size reaches up / left
    assert value("=SUM(OFFSET(A1,0,0,2,0.9))", rows) == 1 + 4             # a fraction of a cell is one
    assert value("=SUM(OFFSET(A1,0,0,2.9,2.2))", rows) == 1 + 2 + 4 + 5   # otherwise truncated
    assert value("=SUM(OFFSET(A1,0,0,0,1))", rows) == ExcelError("#REF!")
    assert value("=SUM(OFFSET(A1,0,0,-2,1))", rows) == ExcelError("#REF!")  # above row 1


def test_index_area_and_table_lookups_edge_cases():
    rows = [[1, "a"], [2, "b"]]
    assert value("=INDEX(A1:B2,2,2,1)", rows) == "b"
    assert value("=INDEX(A1:B2,2,2,2)", rows) == ExcelError("#REF!")
    assert value("=INDEX({1,2,3},1,0,2)") == ExcelError("#REF!")
    assert value("=INDEX({1,2,3},1,2,0)") == VALUE
    assert value('=VLOOKUP(1,"Nothing",1)') == VALUE                      # a text in place of the table
    assert value("=VLOOKUP(1,3,1)") == NA                                  # a number is a one-cell table
    assert value("=VLOOKUP(2,A1:B2,2,1/0)", rows) == ExcelError("#DIV/0!")
    assert value("=HLOOKUP(2,{1,2;\"x\",\"y\"},2,FALSE)") == "y"
    assert value("=VLOOKUP(2,A1:B2,2,)", rows) == "b"                       # an omitted range_lookup is FALSE


# --- names Excel does not know ---------------------------------------------------------

def test_a_name_excel_does_not_know_is_name_error_while_a_missing_excel_function_is_unsupported():
    b = Book()
    s = b.add_sheet("s")
    s.set_formula("A1", '=IFERROR(SUMM(1,2),"caught")')
    s.set_formula("A2", "=XYZ(1)")
    s.set_formula("A3", '=CUBEVALUE("conn","x")')
    s.set_formula("A4", "=_xlfn.FUTUREFUNCTION(1)")      # Excel wrote the prefix: a function it knows
    e = Engine(b, unsupported="cached").recalc()
    assert e.value("s", "A1") == "caught" and e.value("s", "A2") == ExcelError("#NAME?")
    unsupported = {name for blk in e.blocks for name in blk.unsupported}
    assert unsupported == {"CUBEVALUE", "FUTUREFUNCTION"}


def test_every_registered_function_is_in_excels_list():
    """The list is Excel's, written down by hand: a registration outside it is a typo on one side."""
    from sheetnet.formula.functions import FUNCTIONS
    from sheetnet.formula.functions.excel_names import excel_function_names
    assert set(FUNCTIONS) - excel_function_names() == set()


# --- the Solver differentiates through a look-up ------------------------------------

def test_solver_gradients_flow_through_the_value_found():
    """XLOOKUP / VLOOKUP / HLOOKUP / LOOKUP into a table whose values change:
    the torch replay's gradient equals finite differences of the engine, so
    `solve` keeps exact gradients (the position found is constant nearby)."""
    import numpy as np
    import pytest
    pytest.importorskip("torch")
    from sheetnet.book import SolverModel
    from sheetnet.solver import problem_from_book
    from sheetnet.solver.autodiff import TorchReplay

    b = Book()
    s = b.add_sheet("m")
    s.set_values("A1", [[1.0, 0.5], [2.0, -1.5], [3.0, 2.0], [4.0, 0.25]])     # keys, changing values
    s.set_values("D1", [[3.0], [1.0], [9.0], [2.5]])                           # probes
    s.set_values("A6", [[1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4]])         # a row table, row 2 changes
    s.fill("E1:E4", '=XLOOKUP(D1,$A$1:$A$4,$B$1:$B$4,7,-1)')
    s.fill("F1:F4", "=VLOOKUP(D1,$A$1:$B$4,2)")
    s.fill("G1:G4", "=HLOOKUP(D1,$A$6:$D$7,2,TRUE)")
    s.fill("H1:H4", "=LOOKUP(D1,$A$1:$A$4,$B$1:$B$4)")
    s.set_values("L1", [["ann"], ["bob"], ["cy"], ["dee"]])                  # text keys beside the values
    s.set_formula("J1", "=SUMSQ(E1:E4)+SUM(F1:F4)^2+SUMPRODUCT(G1:G4,G1:G4)+SUM(H1:H4)*3+XLOOKUP(9,A1:A4,B1:B4,B2)"
                        '+XLOOKUP("CY",L1:L4,B1:B4)*XLOOKUP("dee",L1:L4,B1:B4)')
    b.set_solver_model(SolverModel(sheet="m", objective="m!$J$1", changing=["m!$B$1:$B$4", "m!$A$7:$D$7"]))
    problem = problem_from_book(b)
    replay = TorchReplay(problem)
    x = problem.x()
    g = check_gradient(problem, replay, x)
    assert np.count_nonzero(g) >= 6
