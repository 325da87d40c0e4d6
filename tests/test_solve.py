"""`sheetnet solve`: Excel Solver models solved with scipy, exact gradients
through the formula graph."""

import hashlib
import json
import os

import numpy as np
import pytest

from sheetnet.book import Book, SolverModel
from sheetnet.check import check_file
from sheetnet.cli import main
from sheetnet.solver import problem_from_book, solve
from sheetnet.solver.autodiff import TorchReplay
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

torch = pytest.importorskip("torch")

LESSONS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks")


def lesson(name):
    path = os.path.join(LESSONS, name)
    if not os.path.exists(path):
        pytest.skip(f"{name} not found beside the project")
    return path


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.mark.parametrize("sheet,best", [("dotprod", 0.3930), ("bias", 0.3187)])
def test_solves_the_original_lesson_sheets(sheet, best, tmp_path, capsys):
    src = lesson("collab_filter.xlsx")
    before = digest(src)
    out = str(tmp_path / f"{sheet}.xlsx")
    assert main(["solve", src, "--sheet", sheet, "--out", out, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"sheet", "objective_start", "objective_final", "iterations", "seconds"}
    assert result["gradient"].startswith("exact")
    assert result["objective_final"] < result["objective_start"]
    assert result["objective_final"] <= best
    assert digest(src) == before                      # the input is never touched
    report = check_file(out)                          # every cached value is the recomputed one
    assert report.ok
    solved = read_workbook(out)
    assert solved.solver_models()[sheet].objective    # the model is still there
    assert [s.name for s in solved.sheets][:5] == [s.name for s in read_workbook(src).sheets]  # all kept
    assert [s.name for s in solved.sheets][5:] == ["Answer Report 1"]


def test_ref_objective_is_refused(capsys):
    assert main(["solve", lesson("collab_filter.xlsx"), "--sheet", "movielens_emb"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "movielens_emb!#REF!" in err[0]


def test_output_rules(tmp_path, capsys):
    src = lesson("collab_filter.xlsx")
    assert main(["solve", src, "--sheet", "dotprod", "--out", src]) == 2
    assert "--in-place" in capsys.readouterr().err
    assert main(["solve", src, "--sheet", "dotprod", "--out", str(tmp_path / "missing" / "x.xlsx")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "missing")
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(open(src, "rb").read())
    assert main(["solve", str(copy), "--sheet", "dotprod", "--in-place"]) == 0
    assert check_file(str(copy)).ok


# --- small models built here -------------------------------------------------------------

def _line_fit(goal="min", target=0.0, objective="=SQRT(SUMXMY2(B2:B21,C2:C21)/COUNT(B2:B21))"):
    """Fit y = a*x + b to noisy points; a in F1, b in F2."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 20)
    y = 3 * x - 2 + rng.normal(0, 0.5, 20)
    book = Book()
    s = book.add_sheet("fit")
    s.set_values("A2", x[:, None])
    s.set_values("B2", y[:, None])
    s.set_values("F1", [[1.0], [0.0]])
    s.fill("C2:C21", "=$F$1*A2+$F$2")
    s.set_formula("H1", objective)
    book.set_solver_model(SolverModel(sheet="fit", objective="fit!$H$1", changing=["fit!$F$1:$F$2"],
                                      goal=goal, target=target))
    return book, x, y


def test_line_fit_reaches_least_squares():
    book, x, y = _line_fit()
    problem = problem_from_book(book)
    result = solve(problem)
    a, b = np.polyfit(x, y, 1)
    assert result.gradient.startswith("exact")
    assert np.allclose(result.x, [a, b], atol=1e-5)
    assert result.objective_final == pytest.approx(np.sqrt(np.mean((a * x + b - y) ** 2)), rel=1e-9)


def test_exact_gradient_equals_finite_differences():
    book, _, _ = _line_fit()
    problem = problem_from_book(book)
    replay = TorchReplay(problem)
    x0 = problem.x() + np.array([0.3, -0.7])
    f, g = replay.objective(x0)
    assert f == pytest.approx(problem.evaluate(x0), rel=1e-12)
    h = 1e-6
    fd = [(problem.evaluate(x0 + h * e) - problem.evaluate(x0 - h * e)) / (2 * h) for e in np.eye(2)]
    assert np.allclose(g, fd, rtol=1e-6)


def test_goal_value_and_max():
    book, _, _ = _line_fit(goal="value", target=2.0)
    result = solve(problem_from_book(book))
    assert result.objective_final == pytest.approx(2.0, abs=1e-6)
    book, _, _ = _line_fit(goal="max", objective="=-(($F$1-3)^2)-($F$2+1)^2+5")
    result = solve(problem_from_book(book))
    assert result.objective_final == pytest.approx(5.0, abs=1e-8)
    assert np.allclose(result.x, [3.0, -1.0], atol=1e-4)


def test_finite_difference_fallback():
    """ROUND is not differentiable: the solver says so and uses finite differences."""
    book, _, _ = _line_fit(objective="=SQRT(SUMXMY2(B2:B21,C2:C21)/COUNT(B2:B21))+0*ROUND($F$1,0)")
    result = solve(problem_from_book(book))
    assert result.gradient.startswith("finite differences")
    assert "ROUND" in result.gradient
    assert result.objective_final < 0.6


def _embedding_book(kind: str) -> Book:
    """A tiny emb-style (OFFSET) or 1hot-style (MMULT array formula) model."""
    rng = np.random.default_rng(1)
    users, items, n, k = 4, 5, 30, 2
    ui, ii = rng.integers(0, users, n), rng.integers(0, items, n)
    truth = rng.normal(size=(users, k)) @ rng.normal(size=(k, items))
    ratings = truth[ui, ii]
    book = Book()
    s = book.add_sheet("m")
    s.set_values("A2", rng.normal(0, 0.3, (users, k)))      # user factors A2:B5
    s.set_values("D2", rng.normal(0, 0.3, (items, k)))      # item factors D2:E6
    s.set_values("G2", np.column_stack([ui, ii, ratings]))   # G: user idx, H: item idx, I: rating
    s.set_values("K1", [[1, 2]])
    if kind == "offset":
        s.fill(f"K2:L{n + 1}", "=OFFSET($A$1,$G2+1,K$1-1)")
        s.fill(f"M2:N{n + 1}", "=OFFSET($D$1,$H2+1,K$1-1)")
    else:
        s.fill(f"Q2:T{n + 1}", "=IF($G2=COLUMN()-17,1,0)")           # one-hot users in Q:T
        s.fill(f"V2:Z{n + 1}", "=IF($H2=COLUMN()-22,1,0)")           # one-hot items in V:Z
        s.set_array_formula(f"K2:L{n + 1}", f"=MMULT(Q2:T{n + 1},A2:B5)")
        s.set_array_formula(f"M2:N{n + 1}", f"=MMULT(V2:Z{n + 1},D2:E6)")
    s.fill(f"O2:O{n + 1}", "=SUMPRODUCT(K2:L2,M2:N2)")
    s.fill(f"P2:P{n + 1}", "=(O2-I2)^2")
    s.set_formula("AB1", f"=SQRT(AVERAGE(P2:P{n + 1}))")
    book.set_solver_model(SolverModel(sheet="m", objective="m!$AB$1", changing=["m!$A$2:$B$5", "m!$D$2:$E$6"]))
    return book


@pytest.mark.parametrize("kind", ["offset", "mmult"])
def test_embedding_models_get_exact_gradients(kind, tmp_path):
    book = _embedding_book(kind)
    path = str(tmp_path / f"{kind}.xlsx")
    write_workbook(book, path)
    problem = problem_from_book(read_workbook(path), source=path)
    replay = TorchReplay(problem)
    x0 = problem.x()
    f, g = replay.objective(x0)
    h = 1e-6
    for i in range(0, len(x0), 3):
        e = np.zeros_like(x0)
        e[i] = h
        fd = (problem.evaluate(x0 + e) - problem.evaluate(x0 - e)) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    result = solve(problem)
    assert result.gradient.startswith("exact")
    assert result.objective_final < 0.2 * result.objective_start
