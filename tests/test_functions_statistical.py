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

from gradients import check_gradient

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
    # too big to read whole (25 columns): the part inside the grid, and the rest counted as empty
    assert _eval('COUNTIF(A:Y, "")', cells) == 25 * MAX_ROWS - 3
    assert _eval("COUNTBLANK(A:Y)", cells) == 25 * MAX_ROWS - 3
    assert _eval('COUNTIFS(A:Y, "<>x", A:Y, "<>5")', cells) == 25 * MAX_ROWS - 2


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


# --- distributions: every CDF against its inverse ------------------------------------------

def _py(name):
    """The plain-Python form of an element-wise registration (the scalar path's)."""
    from sheetnet.formula.functions import FUNCTIONS
    return FUNCTIONS[name].python


probabilities = st.floats(1e-6, 1 - 1e-6)
shapes = st.floats(0.2, 40)
dfs = st.integers(1, 200)


def _close(a, b, rel=1e-7, abs_=1e-9):
    return a == pytest.approx(b, rel=rel, abs=abs_)


@SETTINGS
@given(p=probabilities, mean=st.floats(-50, 50), sd=st.floats(0.01, 20))
def test_normal_and_lognormal_inverses(p, mean, sd):
    assert _close(_py("NORM.DIST")(_py("NORM.INV")(p, mean, sd), mean, sd, True), p)
    assert _close(_py("NORM.S.DIST")(_py("NORM.S.INV")(p), True), p)
    assert _close(_py("LOGNORM.DIST")(_py("LOGNORM.INV")(p, mean / 10, sd / 10), mean / 10, sd / 10, True), p)
    assert _close(_py("GAUSS")(_py("NORM.S.INV")(p)), p - 0.5, abs_=1e-9)


@SETTINGS
@given(p=probabilities, a=shapes, b=shapes, lo=st.floats(-5, 5), width=st.floats(0.1, 10))
def test_gamma_and_beta_inverses(p, a, b, lo, width):
    assert _close(_py("GAMMA.DIST")(_py("GAMMA.INV")(p, a, b), a, b, True), p)
    y = _py("BETA.INV")(p, a, b, 0.0, 1.0)
    if 1e-12 < y < 1 - 1e-12:          # else the quantile itself rounds to an end of [0, 1]
        assert _close(_py("BETA.DIST")(y, a, b, True, 0.0, 1.0), p, rel=1e-6)
    assert _close(_py("BETA.INV")(p, a, b, lo, lo + width), lo + width * y, rel=1e-12, abs_=1e-12)


@SETTINGS
@given(p=probabilities, df=dfs, df2=dfs)
def test_chi_squared_t_and_f_inverses_and_tails(p, df, df2):
    assert _close(_py("CHISQ.DIST")(_py("CHISQ.INV")(p, df), df, True), p)
    assert _close(_py("CHISQ.DIST.RT")(_py("CHISQ.INV.RT")(p, df), df), p)
    t = _py("T.INV")(p, df)
    assert _close(_py("T.DIST")(t, df, True), p)
    assert _close(_py("T.DIST.RT")(t, df) + _py("T.DIST")(t, df, True), 1.0)
    assert _close(_py("T.DIST.2T")(_py("T.INV.2T")(p, df), df), p)
    assert _close(_py("F.DIST")(_py("F.INV")(p, df, df2), df, df2, True), p)
    assert _close(_py("F.DIST.RT")(_py("F.INV.RT")(p, df, df2), df, df2), p)


@SETTINGS
@given(n=st.integers(0, 300), p=st.floats(0.001, 0.999), alpha=probabilities)
def test_binom_inv_is_the_smallest_count_reaching_alpha(n, p, alpha):
    k = _py("BINOM.INV")(n, p, alpha)
    assert 0 <= k <= n and k == int(k)
    assert _py("BINOM.DIST")(k, n, p, True) >= alpha * (1 - 1e-12)
    if k > 0:
        assert _py("BINOM.DIST")(k - 1, n, p, True) < alpha


@SETTINGS
@given(x=st.floats(-0.999, 0.999), y=st.floats(0.01, 170))
def test_fisher_and_gamma_identities(x, y):
    assert _close(_py("FISHERINV")(_py("FISHER")(x)), x, rel=1e-12)
    assert _close(_py("GAMMALN")(y), np.log(_py("GAMMA")(y)), rel=1e-10)
    assert _py("GAMMALN.PRECISE")(y) == _py("GAMMALN")(y)


@SETTINGS
@given(pairs=st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=3, max_size=10))
def test_linest_agrees_with_slope_intercept_and_forecast(pairs):
    xs = [x for x, _ in pairs]
    if max(xs) - min(xs) < 1e-3:
        return
    cells = {}
    for i, (x, y) in enumerate(pairs, start=1):
        cells[f"A{i}"], cells[f"B{i}"] = x, y
    n = len(pairs)
    ys_, xs_ = f"B1:B{n}", f"A1:A{n}"
    formulas = {"C1": f"INDEX(LINEST({ys_},{xs_}),1,1)", "C2": f"SLOPE({ys_},{xs_})",
                "C3": f"INDEX(LINEST({ys_},{xs_}),1,2)", "C4": f"INTERCEPT({ys_},{xs_})",
                "C5": f"INDEX(TREND({ys_},{xs_},7),1,1)", "C6": f"FORECAST(7,{ys_},{xs_})",
                "C7": f"INDEX(LINEST({ys_},{xs_},TRUE,TRUE),3,1)", "C8": f"RSQ({ys_},{xs_})"}
    cells.update({ref: F(f) for ref, f in formulas.items()})
    e = _book(cells)
    v = {ref: e.value("s", ref) for ref in formulas}
    scale = max(1.0, max(abs(y) for _, y in pairs))
    assert _close(v["C1"], v["C2"], rel=1e-6, abs_=1e-9 * scale)
    assert _close(v["C3"], v["C4"], rel=1e-6, abs_=1e-9 * scale)
    assert _close(v["C5"], v["C6"], rel=1e-6, abs_=1e-8 * scale)
    if isinstance(v["C8"], float):
        assert _close(v["C7"], v["C8"], rel=1e-6, abs_=1e-9)


# --- no traceback, whatever the data -------------------------------------------------------

HOSTILE = [1e308, -1e308, 5e-324, 0.0, -1.0, 1.0, 2.5, "text", True, None, F("1/0"), "", "3", 7.0, 7.0]


def test_every_statistical_and_database_function_survives_hostile_data():
    """Each function of these categories, with every argument count it takes
    (up to 4) and arguments drawn from ranges of extreme numbers, text,
    booleans, blanks and errors, gives a value or an Excel error -- never an
    exception (a workbook must not stop `check` or `solve`)."""
    from sheetnet.formula.functions import FUNCTIONS, Category
    cells = {}
    for i, v in enumerate(HOSTILE, start=1):
        for col in "ABC":
            if v is not None:
                cells[f"{col}{i}"] = v if col != "B" or not isinstance(v, float) else -v
    n = len(HOSTILE)
    args = [f"A1:A{n}", f"B1:B{n}", "C3", "2", f"A1:C{n}", "A5"]
    book = Book()
    s = book.add_sheet("s")
    for ref, v in cells.items():
        s.set_formula(ref, str(v)) if isinstance(v, F) else s.set_value(ref, v)
    row = 1
    for name, spec in sorted(FUNCTIONS.items()):
        if spec.category not in (Category.STATISTICAL, Category.DATABASE) or spec.volatile:
            continue
        for count in range(spec.min_args, min(spec.max_args, 4) + 1):
            for shift in range(3):
                chosen = [args[(i + shift) % len(args)] for i in range(count)]
                s.set_formula(f"E{row}", f"{spec.qualified_name}({','.join(chosen)})")
                row += 1
    engine = Engine(book).recalc()
    for r in range(1, row):
        engine.value("s", f"E{r}")


# --- the criteria index answers exactly as the masks do --------------------------------------

cell_values = st.sampled_from([1.0, 2.0, -3.5, 0.0, "a", "A", "b", "1", " 2 ", "TRUE", True, False, None,
                               F("NA()"), F("1/0"), "a*", "2024-07-01", 45474.0])
criteria_values = st.sampled_from(["a", "=a", "A", 1.0, "1", "=2", ">1", "<=2", ">=-3.5", "<0", True, "true",
                                   "#N/A", None, "a*", "<>a", "", ">=2024-07-01", "b", 0.0, "=", "<>"])


@settings(max_examples=25, deadline=None)
@given(col_a=st.lists(cell_values, min_size=8, max_size=8), col_b=st.lists(cell_values, min_size=8, max_size=8),
       crit_a=st.lists(criteria_values, min_size=4, max_size=4),
       crit_b=st.lists(criteria_values, min_size=4, max_size=4))
def test_the_criteria_index_agrees_with_the_masks(col_a, col_b, crit_a, crit_b):
    from sheetnet.formula.functions import criteria
    cells = {}
    for i, (a, b) in enumerate(zip(col_a, col_b), start=1):
        cells[f"A{i}"], cells[f"B{i}"], cells[f"C{i}"] = a, b, float(i * i)
    for i, (ca, cb) in enumerate(zip(crit_a, crit_b), start=1):
        cells[f"D{i}"], cells[f"E{i}"] = ca, cb
    cells = {k: v for k, v in cells.items() if v is not None}
    formulas = {}
    for i in range(1, 5):            # blocks of 4 x 10 = 40 results: the index is used at threshold 0
        for j, f in enumerate(["COUNTIF($A$1:$A$8,D{i})", "COUNTIFS($A$1:$A$8,D{i},$B$1:$B$8,E{i})",
                               "SUMIFS($C$1:$C$8,$A$1:$A$8,D{i},$B$1:$B$8,E{i})",
                               "AVERAGEIFS($C$1:$C$8,$B$1:$B$8,E{i})", "MAXIFS($C$1:$C$8,$A$1:$A$8,D{i})",
                               "COUNTIFS($B$1:$B$8,E{i},$B$1:$B$8,D{i})"]):
            formulas[f"{'GHIJKL'[j]}{i}"] = F(f.format(i=i))
    seen, saved = [], criteria.INDEX_MIN_RESULTS
    try:
        for threshold in (0, 10**9):
            criteria.INDEX_MIN_RESULTS = threshold
            e = _book({**cells, **formulas})
            seen.append({ref: e.value("s", ref) for ref in formulas})
    finally:
        criteria.INDEX_MIN_RESULTS = saved
    assert seen[0] == seen[1]


# --- the Solver differentiates through the torch forms ----------------------------------------

def test_solver_gradients_through_statistical_torch_forms():
    """An objective built from the functions with torch forms: the replay's
    value is the engine's, its gradient the finite differences'."""
    torch = pytest.importorskip("torch")
    del torch
    from sheetnet.book import SolverModel
    from sheetnet.solver import problem_from_book
    from sheetnet.solver.autodiff import TorchReplay
    book = Book()
    s = book.add_sheet("m")
    s.set_values("A1", [[0.3], [1.2], [-0.4], [2.0]])
    s.set_values("B1", [[0.5], [1.7]])
    s.set_formula("D1", "=STDEV.P(A1:A4)+VAR.S(A1:A4)+AVEDEV(A1:A4)+DEVSQ(A1:A4)"
                        "+NORM.DIST(A1,B1,B2,TRUE)+NORM.DIST(A2,B1,B2,FALSE)+LOGNORM.DIST(B2,A1,1,TRUE)"
                        "+GAMMALN(B2)+GAUSS(A2)+PHI(A3)+FISHER(A3)+STANDARDIZE(A4,B1,B2)"
                        "+EXPON.DIST(B2,2,TRUE)+WEIBULL.DIST(B2,1.5,B2,FALSE)+NORM.S.INV(0.5+A3/10)")
    book.set_solver_model(SolverModel(sheet="m", objective="m!$D$1", changing=["m!$A$1:$A$4", "m!$B$1:$B$2"]))
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    x = problem.x()
    check_gradient(problem, replay, x)
