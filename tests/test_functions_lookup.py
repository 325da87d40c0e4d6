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


@given(data=st.lists(st.integers(0, 9), min_size=1, max_size=10), probe=st.floats(-1, 10), mode=st.sampled_from([0, -1, 1]),
       descending=st.booleans())
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
