#!/usr/bin/env python3
"""Benchmarks of `sheetnet solve`, two modes.

Lesson mode (default): solve the collab workbook's dotprod and bias Solver
models for seeds 0-9 -- `sheetnet build collab --seed S` in a temporary
folder, then `sheetnet solve` on each sheet; every run and the medians of the
final RMSE and of the solve time.

    python scripts/bench_solve.py [--seeds 0 1 ... 9] [--json]

Scale mode (--ratings): for each N, a synthetic MovieLens file of N ratings
shaped like ML-100k (943 x 1,682 users x movies at 100,000, both scaled by
(N / 100,000)^0.7 below, so that a small sheet still has fewer changing
cells than ratings), `sheetnet build collab` of it, and on its
movielens_emb sheet, in one run:

* the *floor*: the same model written by hand in torch -- the collab lesson's
  torch reference (``DotProductBias``, nn.Embedding) with
  ``sqrt(F.mse_loss(...))`` -- its objective+gradient time per evaluation,
  and the *floor optimiser*: scipy's L-BFGS-B on that loss from the sheet's
  own start, run to scipy's default convergence (its optimum f*);
* sheetnet's objective+gradient time (the torch replay of the sheet's
  formulas) and its ratio to the floor;
* `sheetnet solve` (the library call the command makes): iterations and wall
  time until the objective is within 1e-6 of f* (or below it), and in total;
* a *control*: the floor optimiser again on the same loss written another
  way, ``sqrt(((pred - r) ** 2).mean())`` -- the same function, rounded
  differently.  The model is not convex and ends in long flat valleys, so
  two exact implementations part ways after a few hundred iterations; the
  control's distance from f* shows how much of sheetnet's distance is that;
* the solved RMSE cell against the torch model's training loss at the solved
  parameters (relative difference), and, with --cli, the whole command
  (read, solve, write) timed and its output passed through `sheetnet check`.

    python scripts/bench_solve.py --ratings 1000 10000 100000 [--device cuda] [--cli] [--tol T] [--gtol G] [--json]

Both sides run with one torch thread and one BLAS thread (the solver's
setting).  Timings on a
shared machine are noisy: run it several times and compare the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from sheetnet.cli import main as sheetnet

HERE = os.path.dirname(os.path.abspath(__file__))
WITHIN = 1e-6               # "reaches the floor's optimum": objective <= f* + WITHIN


# --- lesson mode ---------------------------------------------------------------------------------

def run_lesson(seeds) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="sheetnet-solve-") as folder:
        for seed in seeds:
            book = os.path.join(folder, f"collab_{seed}.xlsx")
            _quiet(["build", "collab", "--seed", str(seed), "--out", book])
            for sheet in ("dotprod", "bias"):
                out = os.path.join(folder, f"collab_{seed}_{sheet}.xlsx")
                result = json.loads(_quiet(["solve", book, "--sheet", sheet, "--out", out, "--json"]))
                result.pop("report", None)
                rows.append({"seed": seed, **result})
    summary = {}
    for sheet in ("dotprod", "bias"):
        runs = [r for r in rows if r["sheet"] == sheet]
        summary[sheet] = {"median_objective_final": float(np.median([r["objective_final"] for r in runs])),
                          "median_seconds": float(np.median([r["seconds"] for r in runs]))}
    return {"runs": rows, "summary": summary}


def _quiet(argv: list[str]) -> str:
    """Run a sheetnet command, returning what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = sheetnet(argv)
    if code != 0:
        raise SystemExit(f"sheetnet {' '.join(argv)} failed")
    return buffer.getvalue()


# --- scale mode ----------------------------------------------------------------------------------

def shape_for(n_ratings: int) -> tuple[int, int]:
    """ML-100k's users x movies scaled by (N / 100,000)^0.7: at 1,000 ratings
    38 x 67 (525 changing cells), at 10,000 188 x 336 (2,620)."""
    f = (n_ratings / 100_000) ** 0.7
    return max(2, round(943 * f)), max(2, round(1682 * f))


def build_sheet(folder: str, n_ratings: int) -> str:
    users, movies = shape_for(n_ratings)
    data = os.path.join(folder, f"ratings_{n_ratings}.data")
    subprocess.run([sys.executable, os.path.join(HERE, "make_synthetic_movielens.py"), "--users", str(users),
                    "--movies", str(movies), "--ratings", str(n_ratings), "--out", data],
                   check=True, capture_output=True)
    book = os.path.join(folder, f"collab_{n_ratings}.xlsx")
    _quiet(["build", "collab", "--ratings", data, "--users", str(users), "--movies", str(movies), "--out", book])
    return book


class Floor:
    """The movielens_emb model written by hand: the collab lesson's torch reference."""

    def __init__(self, book, problem, device):
        import torch
        from sheetnet.lessons import Roles
        from sheetnet.lessons.collab.torchref import DotProductBias
        self.torch = torch
        self.F = torch.nn.functional
        lay = Roles.from_book(book).on("movielens_emb")
        vals = problem.engine.sheets[problem.objective[0]].vals.num
        get = lambda a: vals[a.r0:a.r1 + 1, a.c0:a.c1 + 1]  # noqa: E731
        self.users = torch.as_tensor(get(lay["user_index"]).ravel().astype(np.int64) - 1, device=device)
        self.items = torch.as_tensor(get(lay["movie_index"]).ravel().astype(np.int64) - 1, device=device)
        self.ratings = torch.as_tensor(get(lay["rating_values"]).ravel().copy(), device=device)
        U, M = get(lay["user_factors"]), get(lay["movie_factors"])
        self.split = U.size
        self.model = DotProductBias.from_arrays(U, M, device=device)
        self.params = [self.model.user_factors.weight, self.model.item_factors.weight]

    def loss(self, x, control: bool = False):
        torch = self.torch
        with torch.no_grad():
            self.params[0].copy_(torch.as_tensor(x[:self.split]).reshape(self.params[0].shape))
            self.params[1].copy_(torch.as_tensor(x[self.split:]).reshape(self.params[1].shape))
        for p in self.params:
            p.grad = None
        pred = self.model(self.users, self.items)
        if control:
            return torch.sqrt(((pred - self.ratings) ** 2).mean())
        return torch.sqrt(self.F.mse_loss(pred, self.ratings))

    def __call__(self, x, control: bool = False):
        loss = self.loss(x, control)
        loss.backward()
        grad = np.concatenate([p.grad.detach().cpu().numpy().ravel() for p in self.params])
        return float(loss.detach()), grad


def _per_call(fn, x, repeats: int) -> float:
    """Median seconds of fn(x) over `repeats` calls (after one warm-up)."""
    fn(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


class _Clock:
    """A progress stand-in that timestamps every iteration."""

    def __init__(self):
        self.start = time.perf_counter()
        self.stamps = []

    def update(self, n=1, note=None):
        self.stamps.append(time.perf_counter() - self.start)


def run_scale(n_ratings: int, device: str, repeats: int, cli: bool, folder: str, tol: float | None = None,
              gtol: float | None = None) -> dict:
    import torch
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits
    from sheetnet.check import check_file
    from sheetnet.solver import problem_from_book, solve
    from sheetnet.solver.autodiff import TorchReplay
    from sheetnet.solver.defaults import DEFAULT_GTOL, DEFAULT_TOL
    from sheetnet.xlsx.reader import read_workbook

    torch.set_num_threads(1)
    path = build_sheet(folder, n_ratings)
    t = time.perf_counter()
    book = read_workbook(path)
    problem = problem_from_book(book, "movielens_emb", path)
    load = time.perf_counter() - t
    x0 = problem.x()
    floor = Floor(book, problem, device)
    replay = TorchReplay(problem, device)
    f_floor, g_floor = floor(x0)
    f_sheet, g_sheet = replay.objective(x0)
    row = {"ratings": n_ratings, "users_x_movies": list(shape_for(n_ratings)), "changing_cells": problem.size,
           "device": device, "load_seconds": load,
           "start_objective_rel_diff": abs(f_sheet - f_floor) / f_floor,
           "start_gradient_max_rel_diff": float(np.max(np.abs(g_sheet - g_floor)) / np.max(np.abs(g_floor)))}
    floor_eval = _per_call(floor, x0, repeats)
    sheet_eval = _per_call(replay.objective, x0, repeats)
    row.update(floor_eval_ms=floor_eval * 1e3, sheetnet_eval_ms=sheet_eval * 1e3, eval_ratio=sheet_eval / floor_eval)

    ftol = DEFAULT_TOL["lbfgs"] if tol is None else tol          # the same stopping rules on both sides
    pgtol = DEFAULT_GTOL if gtol is None else gtol
    options = {"maxiter": 15000, "maxfun": 30000, "ftol": ftol, "gtol": pgtol}
    with threadpool_limits(limits=1):               # as `solve` runs scipy: one BLAS thread
        t = time.perf_counter()
        best = minimize(floor, x0, jac=True, method="L-BFGS-B", options=options)
        floor_seconds = time.perf_counter() - t
        control = minimize(lambda x: floor(x, control=True), x0, jac=True, method="L-BFGS-B", options=options)
    f_star = float(best.fun)
    row.update(tol=ftol, gtol=pgtol, floor_optimum=f_star, floor_iterations=int(best.nit), floor_seconds=floor_seconds)
    row.update(control_optimum=float(control.fun), control_iterations=int(control.nit),
               control_gap=float(control.fun) - f_star)

    clock = _Clock()
    result = solve(problem, progress=clock, device=device, tol=tol, gtol=gtol)
    reached = next((k for k, f in enumerate(result.history) if f <= f_star + WITHIN), None)
    row.update(solve_objective=result.objective_final, solve_iterations=result.iterations,
               solve_seconds=result.seconds,
               iterations_to_floor=None if reached is None else reached + 1,
               seconds_to_floor=None if reached is None else clock.stamps[reached],
               reached_floor=reached is not None, solve_gap=result.objective_final - f_star)
    with torch.no_grad():
        torch_loss = float(floor.loss(problem.x()))
    row["rmse_cell_vs_torch_rel_diff"] = abs(result.objective_final - torch_loss) / torch_loss
    if cli:
        out = os.path.join(folder, f"solved_{n_ratings}.xlsx")
        t = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", "sheetnet", "solve", path, "--sheet", "movielens_emb",
                               "--out", out, "--json", "--device", device]
                              + ([] if tol is None else ["--tol", repr(tol)])
                              + ([] if gtol is None else ["--gtol", repr(gtol)]), capture_output=True, text=True)
        row["cli_seconds"] = time.perf_counter() - t
        if code.returncode != 0:
            raise SystemExit(f"sheetnet solve failed: {code.stderr}")
        row["cli_objective"] = json.loads(code.stdout)["objective_final"]
        row["cli_check_ok"] = bool(check_file(out).ok)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--ratings", type=int, nargs="+", metavar="N",
                   help="scale mode: synthetic sheets of N ratings (e.g. 1000 10000 100000)")
    ap.add_argument("--device", default="cpu", help="scale mode: cpu or cuda")
    ap.add_argument("--repeats", type=int, default=20, help="scale mode: timed evaluations per side (median)")
    ap.add_argument("--cli", action="store_true", help="scale mode: also time the whole `sheetnet solve` command")
    ap.add_argument("--tol", type=float, help="scale mode: ftol of the floor optimiser, the control and the solve "
                                             "alike (default solve's, scipy's 2.2e-9)")
    ap.add_argument("--gtol", type=float, help="scale mode: pgtol of all three alike (default scipy's 1e-5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.ratings:
        with tempfile.TemporaryDirectory(prefix="sheetnet-solve-scale-") as folder:
            rows = [run_scale(n, args.device, args.repeats, args.cli, folder, args.tol, args.gtol)
                    for n in args.ratings]
        if args.json:
            print(json.dumps({"scale": rows}, indent=1))
            return 0
        _print_scale(rows)
        return 0
    result = run_lesson(args.seeds)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{'seed':>4}  {'sheet':<8} {'start':>9} {'final':>10} {'iterations':>10} {'seconds':>8}  gradient")
    for r in result["runs"]:
        print(f"{r['seed']:>4}  {r['sheet']:<8} {r['objective_start']:9.4f} {r['objective_final']:10.6f} "
              f"{r['iterations']:>10} {r['seconds']:8.2f}  {r['gradient'].split(' (')[0]}")
    for sheet, s in result["summary"].items():
        print(f"median {sheet}: final RMSE {s['median_objective_final']:.6f}, {s['median_seconds']:.2f} s")
    return 0


def _print_scale(rows) -> None:
    print(f"{'ratings':>8} {'cells':>6} {'floor ms':>9} {'sheet ms':>9} {'ratio':>6} {'floor f*':>10} "
          f"{'floor it':>8} {'floor s':>8} {'solve f':>10} {'it to f*':>8} {'s to f*':>8} {'solve s':>8} "
          f"{'gap':>9} {'ctrl gap':>9} {'rmse-torch':>10}" + ("  cli s  check" if "cli_seconds" in rows[0] else ""))
    for r in rows:
        reached = (f"{r['iterations_to_floor']:>8} {r['seconds_to_floor']:8.2f}" if r["reached_floor"]
                   else f"{'never':>8} {'-':>8}")
        line = (f"{r['ratings']:>8} {r['changing_cells']:>6} {r['floor_eval_ms']:9.2f} {r['sheetnet_eval_ms']:9.2f} "
                f"{r['eval_ratio']:6.2f} {r['floor_optimum']:10.6f} {r['floor_iterations']:>8} "
                f"{r['floor_seconds']:8.2f} {r['solve_objective']:10.6f} {reached} {r['solve_seconds']:8.2f} "
                f"{r['solve_gap']:9.1e} {r['control_gap']:9.1e} {r['rmse_cell_vs_torch_rel_diff']:10.1e}")
        if "cli_seconds" in r:
            line += f"  {r['cli_seconds']:5.1f}  {'OK' if r['cli_check_ok'] else 'FAIL'}"
        print(line)
    print(f"(device {rows[0]['device']}; ftol {rows[0]['tol']:.3g}, gtol {rows[0]['gtol']:.3g}; one torch thread; "
          f"'it to f*': first iteration within {WITHIN:g} of the floor optimiser's optimum f* (or below); gap: "
          f"solve's final objective - f*; ctrl gap: the same for the control)")


if __name__ == "__main__":
    sys.exit(main())
