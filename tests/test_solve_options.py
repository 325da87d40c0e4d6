"""`sheetnet solve` options: --method adam (Adam as torch computes it, the
one-cycle schedule), --max-iter, --tol, --seed, --device, the progress bar,
Ctrl-C, the finite-difference notice, Excel Solver's limits, constraints and
the answer report."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sheetnet.book import Book, SolverModel
from sheetnet.check import check_file
from sheetnet.cli import main
from sheetnet.progress import Progress
from sheetnet.solver import optimisers, problem_from_book, solve
from sheetnet.xlsx.reader import read_workbook
from sheetnet.xlsx.writer import write_workbook

torch = pytest.importorskip("torch")
from sheetnet.devices import available_devices  # noqa: E402  (needs torch)


def _line_fit(options=None, changing="fit!$F$1:$F$2", objective="=SQRT(SUMXMY2(B2:B21,C2:C21)/COUNT(B2:B21))"):
    """Fit y = a*x + b to noisy points; a in F1, b in F2 (F3 = a + b)."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 20)
    y = 3 * x - 2 + rng.normal(0, 0.5, 20)
    book = Book()
    s = book.add_sheet("fit")
    s.set_values("A2", x[:, None])
    s.set_values("B2", y[:, None])
    s.set_values("F1", [[1.0], [0.0]])
    s.set_formula("F3", "=F1+F2")
    s.fill("C2:C21", "=$F$1*A2+$F$2")
    s.set_formula("H1", objective)
    book.set_solver_model(SolverModel(sheet="fit", objective="fit!$H$1", changing=[changing],
                                      options=dict(options or {})))
    return book, x, y


def _file(book, tmp_path, name="model.xlsx"):
    path = str(tmp_path / name)
    write_workbook(book, path)
    return path


def _solve_json(capsys, *argv):
    code = main(["solve", *argv, "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


# --- Adam and its schedule ----------------------------------------------------------------------

def test_adam_steps_are_torch_adam_under_one_cycle():
    rng = np.random.default_rng(0)
    A, b = rng.normal(size=(6, 4)), rng.normal(size=6)
    seen = []

    def fun(x):
        seen.append(np.array(x))
        return float(((A @ x - b) ** 2).sum()), 2 * A.T @ (A @ x - b)

    x0, steps = rng.normal(size=4), 40
    optimisers.adam(optimisers.Tracker(fun), x0, None, steps, 0.0, lambda k, f: None, lr=0.1)
    p = torch.nn.Parameter(torch.tensor(x0))
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.99))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps, pct_start=0.25,
                                                base_momentum=0.85, max_momentum=0.95)
    expected = [x0]
    for _ in range(steps):
        xt = p.detach().numpy()
        p.grad = torch.tensor(2 * A.T @ (A @ xt - b))
        opt.step()
        sched.step()
        expected.append(p.detach().numpy().copy())
    assert np.abs(np.array(seen[:steps + 1]) - np.array(expected)).max() < 1e-13


def test_adam_reaches_the_least_squares_line(tmp_path, capsys):
    book, x, y = _line_fit()
    code, out, _ = _solve_json(capsys, _file(book, tmp_path), "--out", str(tmp_path / "o.xlsx"),
                               "--method", "adam", "--lr", "0.5", "--max-iter", "1500")
    assert code == 0 and out["method"] == "adam" and out["iterations"] <= 1500
    a, b = np.polyfit(x, y, 1)
    best = np.sqrt(np.mean((a * x + b - y) ** 2))
    assert out["objective_final"] == pytest.approx(best, rel=1e-6)


def test_max_iter_and_tol(tmp_path, capsys):
    path = _file(_line_fit()[0], tmp_path)
    _, full, _ = _solve_json(capsys, path, "--out", str(tmp_path / "a.xlsx"))
    _, short, _ = _solve_json(capsys, path, "--out", str(tmp_path / "b.xlsx"), "--max-iter", "2")
    _, loose, _ = _solve_json(capsys, path, "--out", str(tmp_path / "c.xlsx"), "--tol", "0.5")
    assert short["iterations"] == 2 and not short["converged"]
    assert loose["iterations"] < full["iterations"]
    assert full["objective_final"] < short["objective_final"]
    code, _, err = _solve_json(capsys, path, "--out", str(tmp_path / "d.xlsx"), "--tol", "-1")
    assert code == 2 and err.strip().startswith("sheetnet: error: --tol must be positive")


def test_gtol_is_the_projected_gradient_stop(tmp_path, capsys):
    """--gtol: a loose one stops sooner; a tight one (with a tight --tol) ends
    on the least-squares line to rounding; it is L-BFGS-B's alone."""
    book, x, y = _line_fit()
    path = _file(book, tmp_path)
    _, full, _ = _solve_json(capsys, path, "--out", str(tmp_path / "a.xlsx"))
    _, loose, _ = _solve_json(capsys, path, "--out", str(tmp_path / "b.xlsx"), "--gtol", "1")
    _, tight, _ = _solve_json(capsys, path, "--out", str(tmp_path / "c.xlsx"), "--gtol", "1e-12", "--tol", "1e-15")
    assert loose["iterations"] < full["iterations"] <= tight["iterations"]
    a, b = np.polyfit(x, y, 1)
    best = np.sqrt(np.mean((a * x + b - y) ** 2))
    assert tight["objective_final"] <= full["objective_final"]
    assert tight["objective_final"] == pytest.approx(best, rel=1e-12)
    code, _, err = _solve_json(capsys, path, "--out", str(tmp_path / "d.xlsx"), "--method", "adam", "--gtol", "1e-9")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--gtol applies to L-BFGS-B only" in err
    assert not os.path.exists(tmp_path / "d.xlsx")


def test_seed_starts_from_seeded_uniform_values(tmp_path, capsys):
    path = _file(_line_fit()[0], tmp_path)
    runs = [_solve_json(capsys, path, "--out", str(tmp_path / f"{i}.xlsx"), "--seed", "7")[1] for i in range(2)]
    start = np.random.default_rng(7).random(2)
    assert [v["start"] for v in runs[0]["report"]["variables"]] == start.tolist()
    assert runs[0]["objective_start"] == runs[1]["objective_start"] != 0
    assert open(tmp_path / "0.xlsx", "rb").read() == open(tmp_path / "1.xlsx", "rb").read()


@pytest.mark.parametrize("device", available_devices())
def test_devices_give_the_same_solution(device, tmp_path, capsys):
    path = _file(_line_fit()[0], tmp_path)
    _, cpu, _ = _solve_json(capsys, path, "--out", str(tmp_path / "cpu.xlsx"))
    _, dev, _ = _solve_json(capsys, path, "--out", str(tmp_path / "dev.xlsx"), "--device", device)
    assert dev["device"] == device and dev["gradient"].startswith("exact")
    assert dev["objective_final"] == pytest.approx(cpu["objective_final"], rel=1e-9)


@pytest.mark.skipif("cuda" in available_devices(), reason="a CUDA device is present")
def test_missing_cuda_is_one_line(tmp_path, capsys):
    path = _file(_line_fit()[0], tmp_path)
    code, _, err = _solve_json(capsys, path, "--device", "cuda")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cuda" in err.lower()
    assert not os.path.exists(tmp_path / "model.solved.xlsx")


# --- progress, interruption, finite differences, limits ----------------------------------------

def test_progress_shows_the_objective_per_iteration():
    stream = io.StringIO()
    problem = problem_from_book(_line_fit()[0])
    with Progress("solving fit", stream=stream, enabled=True, min_interval=0.0) as bar:
        result = solve(problem, progress=bar)
    assert bar.done == result.iterations > 3
    assert f"objective {result.history[-1]:.9g}" in stream.getvalue()


def test_ctrl_c_writes_the_best_point_so_far(tmp_path):
    """SIGINT to a running `sheetnet solve` (finite differences, slow): exit
    130, and the output holds the best point found, checked."""
    book, _, _ = _line_fit()
    path = _file(book, tmp_path)
    out = str(tmp_path / "stopped.xlsx")
    env = dict(os.environ, SHEETNET_NO_PROGRESS="1")
    proc = subprocess.Popen([sys.executable, "-m", "sheetnet.cli", "solve", path, "--out", out, "--json",
                             "--finite-differences", "--method", "adam", "--max-iter", "1000000", "--tol", "1e-300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc.stderr.readline()                       # the finite-difference note: the solve has started
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    result = json.loads(stdout)
    assert result["interrupted"] and result["objective_final"] < result["objective_start"]
    assert check_file(out).ok
    assert read_workbook(out).sheets[-1].name == "Answer Report 1"


def test_without_torch_finite_differences_are_announced_with_an_estimate(tmp_path, capsys, monkeypatch):
    import sheetnet.solver.autodiff as autodiff
    monkeypatch.setattr(autodiff, "torch", None)
    path = _file(_line_fit()[0], tmp_path)
    code, out, err = _solve_json(capsys, path, "--out", str(tmp_path / "o.xlsx"))
    assert code == 0 and out["gradient"] == "finite differences (torch is not installed)"
    note = err.strip().splitlines()[0]
    assert note.startswith("sheetnet: note: gradients by finite differences (torch is not installed): "
                           "3 recalculations per iteration at ")   # forward differences: 1 + 2 cells
    assert "for a typical 100 iterations" in note


def test_excel_solver_limits_are_noted_not_enforced(tmp_path, capsys):
    """201 changing cells and a 101-cell constraint: solved, with two notes."""
    book = Book()
    s = book.add_sheet("big")
    s.set_values("A1", np.zeros((201, 1)))
    s.set_values("B1", np.arange(201.0)[:, None] / 100)
    s.set_formula("D1", "=SUMXMY2(A1:A201,B1:B201)")
    options = {"solver_num": "1", "solver_lhs1": "big!$A$1:$A$101", "solver_rel1": "3", "solver_rhs1": "0"}
    book.set_solver_model(SolverModel(sheet="big", objective="big!$D$1", changing=["big!$A$1:$A$201"],
                                      options=options))
    code, out, err = _solve_json(capsys, _file(book, tmp_path), "--out", str(tmp_path / "o.xlsx"))
    assert code == 0 and out["objective_final"] < 1e-12
    assert "'big' has 201 changing cells; Excel's built-in Solver stops at 200" in err
    assert "'big' has 101 constraints; Excel's built-in Solver stops at 100" in err
    assert len(out["notes"]) == 2


# --- constraints and the answer report ----------------------------------------------------------

def test_bound_constraint_on_a_changing_cell(tmp_path, capsys):
    """a <= 2.5 binds: b is then the least-squares intercept for that slope."""
    book, x, y = _line_fit({"solver_num": "1", "solver_lhs1": "fit!$F$1", "solver_rel1": "1",
                            "solver_rhs1": "2.5"})
    code, out, _ = _solve_json(capsys, _file(book, tmp_path), "--out", str(tmp_path / "o.xlsx"))
    a, b = (v["final"] for v in out["report"]["variables"])
    assert a == pytest.approx(2.5, abs=1e-9) and b == pytest.approx(np.mean(y - 2.5 * x), abs=1e-5)
    (row,) = out["report"]["constraints"]
    assert row["cell"] == "fit!F1" and row["relation"] == "<=" and row["status"] == "Binding"


@pytest.mark.parametrize("gradients", [[], ["--finite-differences"]])
def test_general_constraint_on_a_formula_cell(gradients, tmp_path, capsys):
    """a + b >= 4 (F3 is a formula): SLSQP, with the replay's Jacobian or
    finite differences; the answer lies on a + b = 4 and matches the
    equality-constrained least squares (a KKT system)."""
    book, x, y = _line_fit({"solver_num": "1", "solver_lhs1": "fit!$F$3", "solver_rel1": "3",
                            "solver_rhs1": "4"}, objective="=SUMXMY2(B2:B21,C2:C21)")
    code, out, _ = _solve_json(capsys, _file(book, tmp_path), "--out", str(tmp_path / "o.xlsx"), *gradients)
    assert code == 0 and out["method"] == "slsqp"
    X = np.column_stack([x, np.ones_like(x)])
    kkt = np.block([[2 * X.T @ X, np.ones((2, 1))], [np.ones((1, 2)), np.zeros((1, 1))]])
    a, b, _ = np.linalg.solve(kkt, np.concatenate([2 * X.T @ y, [4.0]]))
    got = [v["final"] for v in out["report"]["variables"]]
    assert got == pytest.approx([a, b], abs=1e-5)
    (row,) = out["report"]["constraints"]
    assert row["cell"] == "fit!F3" and row["status"] == "Binding" and abs(row["slack"]) < 1e-6


def test_integer_constraints_are_refused(tmp_path, capsys):
    book, _, _ = _line_fit({"solver_num": "1", "solver_lhs1": "fit!$F$1", "solver_rel1": "4",
                            "solver_rhs1": "integer"})
    code, _, err = _solve_json(capsys, _file(book, tmp_path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "integer constraint" in err
    assert not os.path.exists(tmp_path / "model.solved.xlsx")


def test_answer_report_sheet_and_json(tmp_path, capsys):
    path = _file(_line_fit()[0], tmp_path)
    once, twice = str(tmp_path / "once.xlsx"), str(tmp_path / "twice.xlsx")
    _, out, _ = _solve_json(capsys, path, "--out", once)
    report = out["report"]
    assert report["objective"] == {"cell": "fit!H1", "goal": "min", "start": out["objective_start"],
                                   "final": out["objective_final"]}
    assert [v["cell"] for v in report["variables"]] == ["fit!F1", "fit!F2"]
    assert [v["start"] for v in report["variables"]] == [1.0, 0.0]
    assert report["constraints"] == [] and out["report_sheet"] == "Answer Report 1"
    assert check_file(once).ok
    sheet = read_workbook(once).sheets[-1]
    cells = {(r, c): sheet.values.get(r, c) for r in range(sheet.values.num.shape[0]) for c in range(3)}
    row = next(r for (r, c), v in cells.items() if v == "fit!H1")
    assert cells[(row, 1)] == out["objective_start"] and cells[(row, 2)] == out["objective_final"]
    again = str(tmp_path / "again.xlsx")
    _solve_json(capsys, path, "--out", again)
    assert open(once, "rb").read() == open(again, "rb").read()          # no times, no dates
    _solve_json(capsys, once, "--out", twice)
    assert [s.name for s in read_workbook(twice).sheets][-2:] == ["Answer Report 1", "Answer Report 2"]
    _solve_json(capsys, path, "--out", str(tmp_path / "bare.xlsx"), "--no-report")
    assert [s.name for s in read_workbook(str(tmp_path / "bare.xlsx")).sheets] == ["fit"]


def test_solved_rmse_cell_is_the_torch_models_training_loss(tmp_path, capsys):
    """movielens_emb of a synthetic 2,000-rating file: after the solve, the
    RMSE cell equals the collab lesson's torch model (nn.Embedding) at the
    solved factors to 1e-12."""
    from sheetnet.lessons import Roles
    from sheetnet.lessons.collab.torchref import DotProductBias
    here = os.path.dirname(__file__)
    data = str(tmp_path / "r.data")
    subprocess.run([sys.executable, os.path.join(here, "..", "scripts", "make_synthetic_movielens.py"),
                    "--users", "60", "--movies", "90", "--ratings", "2000", "--out", data], check=True,
                   capture_output=True)
    book = str(tmp_path / "c.xlsx")
    assert main(["build", "collab", "--ratings", data, "--users", "60", "--movies", "90", "--max-cells", "1000",
                 "--out", book]) == 0
    capsys.readouterr()
    out = str(tmp_path / "solved.xlsx")
    code, result, _ = _solve_json(capsys, book, "--sheet", "movielens_emb", "--out", out, "--max-iter", "60")
    assert code == 0
    solved = read_workbook(out)
    lay = Roles.from_book(solved).on("movielens_emb")
    from sheetnet.engine import Engine
    engine = Engine(solved).recalc()
    vals = engine.sheet_state("movielens_emb").vals.num
    get = lambda a: vals[a.r0:a.r1 + 1, a.c0:a.c1 + 1]  # noqa: E731
    model = DotProductBias.from_arrays(get(lay["user_factors"]), get(lay["movie_factors"]))
    users = torch.as_tensor(get(lay["user_index"]).ravel().astype(np.int64) - 1)
    items = torch.as_tensor(get(lay["movie_index"]).ravel().astype(np.int64) - 1)
    ratings = torch.as_tensor(get(lay["rating_values"]).ravel().copy())
    with torch.no_grad():
        loss = float(torch.sqrt(torch.nn.functional.mse_loss(model(users, items), ratings)))
    rmse = float(get(lay["rmse"])[0, 0])
    assert rmse == result["objective_final"]
    assert abs(rmse - loss) <= 1e-12 * loss
    assert check_file(out).ok


@pytest.mark.libreoffice
def test_libreoffice_opens_the_solved_copy_with_its_report(libreoffice, tmp_path, capsys):
    """The appended answer report is a sheet LibreOffice reads, and its
    recalculation of the solved copy gives sheetnet's RMSE."""
    book = str(tmp_path / "collab.xlsx")
    assert main(["build", "collab", "--out", book]) == 0
    capsys.readouterr()
    out = str(tmp_path / "solved.xlsx")
    code, result, _ = _solve_json(capsys, book, "--sheet", "dotprod", "--out", out)
    assert code == 0
    recalculated = libreoffice.recalculate(out)
    report = recalculated.sheets["Answer Report 1"]
    assert report[0][0] == "sheetnet solve: Answer Report"
    cell = result["report"]["objective"]["cell"]                    # dotprod!V41
    row = next(r for r in report if r and r[0] == cell)
    assert row[1:3] == [result["objective_start"], result["objective_final"]]
    from sheetnet.refs import parse_cell
    at = parse_cell(cell.split("!")[1])
    assert recalculated.sheets["dotprod"][at.row][at.col] == pytest.approx(result["objective_final"], rel=1e-9)
