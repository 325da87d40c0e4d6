"""The Solver's torch replay: every way a reference is read (cells.py) and
the block-wide products (products.py) give the engine's value and the
gradient finite differences of the engine give."""

import numpy as np
import pytest

from sheetnet.book import Book, SolverModel
from sheetnet.refs import cell_name
from sheetnet.lessons.collab import build_workbook, initial_inputs, lesson_ratings, select_top
from sheetnet.solver import problem_from_book
from sheetnet.solver.autodiff import TorchReplay
from sheetnet.solver.cells import _Cells, _Constant, _Elements, _Mixed, _View

from gradients import check_gradient

torch = pytest.importorskip("torch")


def _gathers(replay):
    return {type(ref.gather) for ref in replay.refs.values() if ref.gather is not None}


def test_mixed_constant_and_changing_cells_in_one_range():
    """SUM over a column that is half constants, half changing cells, and a
    SUMSQ over two changing areas: one cat + index_select."""
    book = Book()
    s = book.add_sheet("m")
    s.set_values("A1", [[1.0], [2.0], [0.5], [-1.5]])      # A3:A4 change
    s.set_values("B1", [[0.25], [3.0]])                     # B1:B2 change
    s.set_formula("D1", "=(SUM(A1:A4)-7)^2+SUMSQ(A3:B4)+(B1-1)^2+B2^2")
    book.set_solver_model(SolverModel(sheet="m", objective="m!$D$1", changing=["m!$A$3:$A$4", "m!$B$1:$B$2"]))
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    x = problem.x()
    check_gradient(problem, replay, x, range(len(x)))
    assert _Mixed in _gathers(replay)


def test_recurrence_cells_are_replayed_one_by_one():
    """C2 = C1 * w + B2 down a column (each cell reads the one above): the
    engine evaluates it cell by cell and the replay stacks those cells."""
    book = Book()
    s = book.add_sheet("r")
    s.set_values("B2", np.linspace(0.0, 1.0, 8)[:, None])
    s.set_values("F1", [[0.7], [0.2]])                       # w, c0
    s.set_formula("C1", "=$F$2")
    s.fill("C2:C9", "=C1*$F$1+B2")
    s.set_formula("E1", "=SUMSQ(C1:C9)")
    book.set_solver_model(SolverModel(sheet="r", objective="r!$E$1", changing=["r!$F$1:$F$2"]))
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    assert any(pos >= 0 for _, pos in replay.schedule)
    x = problem.x() + np.array([0.05, -0.3])
    check_gradient(problem, replay, x, range(2))
    assert _Cells in _gathers(replay)


def _embedding_book(users, items, n, kind):
    rng = np.random.default_rng(3)
    k = 3
    ui, ii = rng.integers(0, users, n), rng.integers(0, items, n)
    ratings = rng.integers(1, 6, n).astype(float)
    book = Book()
    s = book.add_sheet("m")
    U = f"A2:{cell_name(users, k - 1)}"
    s.set_values("A2", rng.normal(0, 0.3, (users, k)))
    oc = k + 1                                   # item factors beside
    s.set_values((1, oc), rng.normal(0, 0.3, (items, k)))
    M = f"{cell_name(1, oc)}:{cell_name(items, oc + k - 1)}"
    d = oc + k + 1                               # data: user, item, rating
    s.set_values((1, d), np.column_stack([ui + 1, ii + 1, ratings]))
    u_ref, i_ref, r_ref = (cell_name(1, d + j, False, True) for j in range(3))
    a0 = d + 4                                   # activations: user k, item k
    if kind == "offset":
        s.set_values((0, a0), np.arange(1, k + 1, dtype=float)[None, :])
        s.set_values((0, a0 + k), np.arange(1, k + 1, dtype=float)[None, :])
        s.fill(f"{cell_name(1, a0)}:{cell_name(n, a0 + k - 1)}",
               f"=OFFSET($A$1,{u_ref},{cell_name(0, a0, True, False)}-1)")
        s.fill(f"{cell_name(1, a0 + k)}:{cell_name(n, a0 + 2 * k - 1)}",
               f"=OFFSET({cell_name(0, oc, True, True)},{i_ref},{cell_name(0, a0 + k, True, False)}-1)")
    else:
        oh = a0 + 2 * k + 1                      # one-hot users, then items
        s.set_values((0, oh), np.arange(1, users + 1, dtype=float)[None, :])
        s.set_values((0, oh + users), np.arange(1, items + 1, dtype=float)[None, :])
        s.fill(f"{cell_name(1, oh)}:{cell_name(n, oh + users - 1)}",
               f"=IF({u_ref}={cell_name(0, oh, True, False)},1,0)")
        s.fill(f"{cell_name(1, oh + users)}:{cell_name(n, oh + users + items - 1)}",
               f"=IF({i_ref}={cell_name(0, oh + users, True, False)},1,0)")
        s.set_array_formula(f"{cell_name(1, a0)}:{cell_name(n, a0 + k - 1)}",
                            f"=MMULT({cell_name(1, oh)}:{cell_name(n, oh + users - 1)},{U})")
        s.set_array_formula(f"{cell_name(1, a0 + k)}:{cell_name(n, a0 + 2 * k - 1)}",
                            f"=MMULT({cell_name(1, oh + users)}:{cell_name(n, oh + users + items - 1)},{M})")
    p = a0 + 2 * k + users + items + 2
    s.fill(f"{cell_name(1, p)}:{cell_name(n, p)}",
           f"=SUMPRODUCT({cell_name(1, a0)}:{cell_name(1, a0 + k - 1)},"
           f"{cell_name(1, a0 + k)}:{cell_name(1, a0 + 2 * k - 1)})")
    s.fill(f"{cell_name(1, p + 1)}:{cell_name(n, p + 1)}", f"=({cell_name(1, p)}-{r_ref.replace('$', '')})^2")
    s.set_formula((0, p + 3), f"=SQRT(AVERAGE({cell_name(1, p + 1)}:{cell_name(n, p + 1)}))")
    book.set_solver_model(SolverModel(sheet="m", objective=f"m!{cell_name(0, p + 3, True, True)}",
                                      changing=[f"m!{U}", f"m!{M}"]))
    return book


def test_offset_lookups_are_index_selects():
    book = _embedding_book(6, 9, 40, "offset")
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    x = problem.x()
    check_gradient(problem, replay, x, range(0, len(x), 4))
    kinds = _gathers(replay)
    assert _Elements in kinds and _View in kinds and _Mixed not in kinds


def test_one_hot_mmult_is_multiplied_sparse():
    """The one-hot blocks (150 x 40 and 150 x 30, one 1 a row) are constant sparse operands."""
    from sheetnet.solver.products import _sparse_worthy
    book = _embedding_book(40, 30, 150, "mmult")
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    x = problem.x()
    check_gradient(problem, replay, x, range(0, len(x), 11))
    one_hot = [ref.gather.val for ref in replay.refs.values() if isinstance(ref.gather, _Constant)
               and ref.gather.val.memo and "sparse?" in ref.gather.val.memo]
    assert len(one_hot) == 2
    assert all(_sparse_worthy(v) for v in one_hot)       # 150 x 40 and 150 x 30, one 1 per row


@pytest.mark.parametrize("sheet", ["dotprod", "bias"])
def test_crosstab_sheets_match_the_engine_and_finite_differences(sheet):
    """The filled MMULT of dotprod/bias runs as one U @ M product; blanks in
    the ratings crosstab are masked in the SUMPRODUCT objective."""
    made = build_workbook(initial_inputs(select_top(lesson_ratings(), 15, 15), factors=5, seed=2))
    problem = problem_from_book(made.book, sheet)
    replay = TorchReplay(problem)
    x = problem.x()
    f, _ = replay.objective(x, want_grad=False)
    assert replay.mismatch_with_engine(1e-12, 1e-12) is None
    check_gradient(problem, replay, x, range(0, len(x), 17))


def test_one_cell_array_formulas_are_replayed_in_array_context():
    """A column of one-cell {=SUM(window*weights)} formulas (the conv lesson's
    shape; one block in array context) feeding the objective: the replay
    evaluates them in array context too, and its gradient is the engine's."""
    book = Book()
    s = book.add_sheet("c")
    s.set_values("A1", np.linspace(-1.0, 1.0, 7)[:, None])
    s.set_values("C1", [[0.3], [-0.2]])                      # the two weights change
    for row in range(1, 7):
        s.set_array_formula(f"B{row}", f"=SUM(A{row}:A{row + 1}*$C$1:$C$2)")
    s.set_formula("E1", "=SUMSQ(B1:B6)")
    book.set_solver_model(SolverModel(sheet="c", objective="c!$E$1", changing=["c!$C$1:$C$2"]))
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    assert any(b.array_context for b in problem.engine.blocks)
    check_gradient(problem, replay, problem.x() + np.array([0.1, 0.4]), range(2))
