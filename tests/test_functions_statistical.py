"""Statistical functions: the laws they obey (hypothesis) and the cases the
reference workbooks do not pin down (whole columns, array criteria).  Excel's
own values are checked by tests/test_reference_workbooks.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.book import Book
from sheetnet.engine import Engine
from sheetnet.errors import ExcelError
from sheetnet.formula.functions.criteria import parse_criterion
from sheetnet.refs import MAX_ROWS
from sheetnet.store import BLANK

SETTINGS = settings(max_examples=40, deadline=None)


class F(str):
    """A formula (without its "=") among a test's cell values."""


def _book(cells: dict) -> Engine:
    book = Book()
    s = book.add_sheet("s")
    for ref, v in cells.items():
        if isinstance(v, F):
            s.set_formula(ref, str(v))
        else:
            s.set_value(ref, v)
    return Engine(book).recalc()


def _eval(formula: str, cells: dict | None = None):
    cells = dict(cells or {})
    cells["Z100"] = F(formula)
    return _book(cells).value("s", "Z100")


# --- criteria ------------------------------------------------------------------------------------

operators = st.sampled_from(["", "=", "<>", "<", ">", "<=", ">="])
operands = st.one_of(st.sampled_from(["", "3", "-1.5", "abc", "a*", "?b", "TRUE", "false", "#N/A", "50%"]),
                     st.text(max_size=4))


@SETTINGS
@given(op=operators, operand=operands)
def test_a_criterion_says_truly_whether_an_empty_cell_meets_it(op, operand):
    """`blank` (used for the empty cells beyond the used grid of a whole
    column) agrees with the test itself on an empty cell."""
    c = parse_criterion(op + operand)
    kind = np.array([[BLANK]], np.uint8)
    assert bool(c.test(kind, np.zeros((1, 1)), np.empty((1, 1), object))[0, 0]) == c.blank


@pytest.mark.parametrize("criterion, expected", [
    (23.0, 2), ("=23", 2), ("<>23", 4), ("<30", 1), ("", 1), ("=", 1), ("<>", 4), ("<", 0),
    (True, 1), ("true", 1), ("<>TRUE", 4), ("#N/A", 0), ("b*", 1), ("<>b*", 4),
])
def test_countif_criteria_follow_excel(criterion, expected):
    # A1 23, A2 "23" (text), A3 TRUE, A4 "bc", A5 empty
    cells = {"A1": 23, "A2": "23", "A3": True, "A4": "bc"}
    assert _eval("COUNTIF(A1:A5, B1)", {**cells, "B1": criterion}) == expected


def test_an_empty_criterion_cell_is_the_number_zero():
    assert _eval("COUNTIF(A1:A3, B1)", {"A1": 0, "A2": "x"}) == 1


def test_error_criteria_match_errors_of_that_kind_only():
    cells = {"A1": F("NA()"), "A2": "#N/A", "A3": F("1/0")}
    assert _eval("COUNTIF(A1:A3, B1)", {**cells, "B1": F("NA()")}) == 1
    assert _eval('COUNTIF(A1:A3, "#DIV/0!")', cells) == 1
    assert _eval('COUNTIF(A1:A3, "<>#N/A")', cells) == 2


def test_whole_columns_count_the_empty_cells_beyond_the_used_grid():
    cells = {"A1": "x", "A2": 5, "A3": "y"}
    assert _eval('COUNTIF(A:A, "<>x")', cells) == MAX_ROWS - 1
    assert _eval('COUNTIF(A:A, "")', cells) == MAX_ROWS - 3
    assert _eval('COUNTIFS(A:A, "<>x", B:B, "")', cells) == MAX_ROWS - 1
    assert _eval('COUNTIFS(A:A, "<>x", B:B, "<>")', {**cells, "B2": 1}) == 1
    assert _eval("COUNTBLANK(A:A)", cells) == MAX_ROWS - 3
    assert _eval('COUNTIF(1:1, "<>")', {"A1": 1, "C1": 2}) == 2


def test_ifs_ranges_of_different_sizes_are_value_errors():
    assert _eval('COUNTIFS(A1:A3, "x", B1:B4, "y")') == ExcelError("#VALUE!")
    assert _eval('AVERAGEIFS(C1:C2, A1:A3, "x")') == ExcelError("#VALUE!")


def test_array_criteria_give_an_array():
    cells = {"A1": "a", "A2": "b", "A3": "a", "A4": "c"}
    assert _eval('SUMPRODUCT(COUNTIF(A1:A4, {"a","b","z"}))', cells) == 3
    assert _eval('INDEX(COUNTIF(A1:A4, {"a";"c"}), 2, 1)', cells) == 1


def test_conditional_means_and_extremes():
    cells = {"A1": "r", "A2": "g", "A3": "r", "A4": "r", "B1": 4, "B2": 10, "B3": "t", "B4": -2}
    assert _eval('AVERAGEIF(A1:A4, "r", B1:B1)', cells) == 1.0     # sum range sized like range
    assert _eval('AVERAGEIFS(B1:B4, A1:A4, "r")', cells) == 1.0
    assert _eval('MAXIFS(B1:B4, A1:A4, "r")', cells) == 4
    assert _eval('MINIFS(B1:B4, A1:A4, "r", B1:B4, ">0")', cells) == 4
    assert _eval('MAXIFS(B1:B4, A1:A4, "zz")', cells) == 0
    assert _eval('AVERAGEIFS(B1:B4, A1:A4, "zz")', cells) == ExcelError("#DIV/0!")


# --- samples: the laws of spread and order ---------------------------------------------------

samples = st.lists(st.one_of(st.floats(-1e3, 1e3), st.integers(-5, 5).map(float)), min_size=4, max_size=12)


def _sample_book(xs: list[float], formulas: dict[str, str]) -> dict:
    cells = {f"A{i + 1}": x for i, x in enumerate(xs)}
    cells.update({ref: F(f.replace("X", f"A1:A{len(xs)}")) for ref, f in formulas.items()})
    e = _book(cells)
    return {ref: e.value("s", ref) for ref in formulas}


@SETTINGS
@given(xs=samples)
def test_spread_laws(xs):
    v = _sample_book(xs, {"B1": "STDEV.P(X)", "B2": "VAR.P(X)", "B3": "STDEV.S(X)", "B4": "VAR.S(X)",
                          "B5": "DEVSQ(X)", "B6": "VARA(X)", "B7": "STDEVPA(X)"})
    n = len(xs)
    assert v["B1"] ** 2 == pytest.approx(v["B2"], rel=1e-9, abs=1e-9)
    assert v["B3"] ** 2 == pytest.approx(v["B4"], rel=1e-9, abs=1e-9)
    assert v["B2"] * n == pytest.approx(v["B5"], rel=1e-9, abs=1e-9)
    assert v["B4"] * (n - 1) == pytest.approx(v["B5"], rel=1e-9, abs=1e-9)
    assert v["B6"] == v["B4"] and v["B7"] == v["B1"]         # only numbers: the A forms agree
    assert v["B2"] == pytest.approx(float(np.var(xs)), rel=1e-9, abs=1e-9)


@SETTINGS
@given(xs=samples, k1=st.floats(0, 1), k2=st.floats(0, 1))
def test_percentiles_are_monotone_and_meet_median_and_quartiles(xs, k1, k2):
    lo, hi = sorted((k1, k2))
    v = _sample_book(xs, {"B1": f"PERCENTILE.INC(X, {lo!r})", "B2": f"PERCENTILE.INC(X, {hi!r})",
                          "B3": "MEDIAN(X)", "B4": "PERCENTILE.INC(X, 0.5)", "B5": "QUARTILE.INC(X, 1)",
                          "B6": "PERCENTILE.INC(X, 0.25)", "B7": "SMALL(X, 1)", "B8": "MIN(X)",
                          "B9": "LARGE(X, 1)", "B10": "PERCENTILE.INC(X, 1)"})
    assert v["B1"] <= v["B2"] + 1e-9 * max(1.0, abs(v["B2"]))
    assert v["B3"] == pytest.approx(v["B4"], rel=1e-12, abs=1e-12)
    assert v["B5"] == v["B6"]
    assert v["B7"] == v["B8"] and v["B9"] == v["B10"] == max(xs)


@SETTINGS
@given(xs=samples, i=st.integers(0, 3))
def test_ranks(xs, i):
    v = _sample_book(xs, {"B1": f"RANK.EQ(A{i + 1}, X)", "B2": f"RANK.AVG(A{i + 1}, X)",
                          "B3": f"RANK.EQ(A{i + 1}, X, 1)", "B4": f"COUNTIF(X, A{i + 1})"})
    n, ties = len(xs), v["B4"]
    assert v["B1"] <= v["B2"] <= v["B1"] + (ties - 1) / 2 + 1e-12
    assert v["B1"] + v["B3"] == n + 2 - ties
