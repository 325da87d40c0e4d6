"""Solving a Solver model: choose the gradient (exact torch replay, else
finite differences), the minimiser (L-BFGS-B or Adam) and the start point,
run it, and leave the engine holding the solution (or, after Ctrl-C, the
best point seen)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import UserError
from . import optimisers
from .autodiff import TorchReplay, Unsupported
from .constraints import Bounds, bounds_for, general_functions, targets_of
from .problem import Problem

CONSISTENCY_RTOL = 1e-9      # torch replay vs numpy engine at the start point

#: What a finite-difference estimate assumes an L-BFGS solve takes (the
#: lesson's models: 80-300 iterations, about 1.1 evaluations each).
TYPICAL_ITERATIONS = 100


@dataclass
class Plan:
    """How a solve will run, known before it starts (what `solve` says first)."""

    gradient: str
    exact: bool
    method: str
    device: str
    seconds_per_evaluation: float | None = None      # finite differences: one recalculation
    evaluations_per_gradient: int | None = None
    estimate_seconds: float | None = None             # finite differences, TYPICAL_ITERATIONS


@dataclass
class SolveResult:
    sheet: str
    objective: str
    objective_start: float
    objective_final: float
    iterations: int
    evaluations: int
    seconds: float
    gradient: str
    converged: bool
    message: str
    x: np.ndarray = field(repr=False)
    x_start: np.ndarray = field(repr=False, default=None)
    method: str = "lbfgs"
    device: str = "cpu"
    interrupted: bool = False
    history: list = field(default_factory=list, repr=False)

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "objective": self.objective, "objective_start": self.objective_start,
                "objective_final": self.objective_final, "iterations": self.iterations,
                "evaluations": self.evaluations, "seconds": self.seconds, "gradient": self.gradient,
                "method": self.method, "device": self.device, "converged": self.converged,
                "interrupted": self.interrupted, "message": self.message}


def _exact(problem: Problem, x0: np.ndarray, f0: float, device: str, targets=()) -> TorchReplay:
    """The torch replay, if it reproduces the engine at the start point."""
    replay = TorchReplay(problem, device, targets)
    if not replay.objective_depends:
        raise Unsupported("the objective does not depend on the changing cells")
    value, _ = replay.objective(x0, want_grad=False)
    if not np.isclose(value, f0, rtol=CONSISTENCY_RTOL, atol=1e-12):
        raise Unsupported(f"the torch replay gives {value!r} where the engine gives {f0!r}")
    bad = replay.mismatch_with_engine(CONSISTENCY_RTOL, 1e-12)
    if bad is not None:
        raise Unsupported(f"the torch replay disagrees with the engine at a cell ({bad})")
    return replay


def _finite_differences(problem: Problem, central: bool):
    """Gradient by recalculating the workbook once per changing cell (twice
    with central differences), as Excel's GRG does."""

    def fun(x):
        f = problem.evaluate(x)
        g = np.empty_like(x)
        for i in range(len(x)):
            h = 1e-7 * max(1.0, abs(x[i]))
            xp = x.copy()
            xp[i] += h
            fp = problem.evaluate(xp)
            if central:
                xm = x.copy()
                xm[i] -= h
                g[i] = (fp - problem.evaluate(xm)) / (2 * h)
            else:
                g[i] = (fp - f) / h
        problem.set_x(x)
        return f, g

    return fun


def _finite_difference_cells(problem: Problem, targets):
    """Values of `targets` and their Jacobian by recalculating once per changing cell."""

    def read():
        return np.array([problem.engine.sheets[s].vals.num[r, c] for s, r, c in targets], dtype=np.float64)

    def cells(x):
        problem.evaluate(x)
        base = read()
        jac = np.empty((len(targets), len(x)))
        for i in range(len(x)):
            h = 1e-7 * max(1.0, abs(x[i]))
            xp = x.copy()
            xp[i] += h
            problem.evaluate(xp)
            jac[:, i] = (read() - base) / h
        problem.evaluate(x)
        return base, jac

    return cells


@contextmanager
def _torch_threads(n: int):
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def random_start(problem: Problem, seed: int, bounds: Bounds) -> np.ndarray:
    """Every changing cell uniform in [0, 1) from `seed` -- Excel's RAND(), as
    the lesson starts its factors -- then moved inside its bounds."""
    x = np.random.default_rng(seed).random(problem.size)
    return bounds.clip(x)


def solve(problem: Problem, *, method: str = "lbfgs", max_iterations: int | None = None, tol: float | None = None,
          seed: int | None = None, device: str = "cpu", lr: float | None = None, progress=None,
          exact: bool = True, on_plan=None, gtol: float | None = None) -> SolveResult:
    """Minimise (or maximise, or hit the target value of) the objective over
    the changing cells; leaves the engine holding the solution.  `on_plan(Plan)`
    is called once the gradient and method are settled, before the first
    iteration.  Ctrl-C stops the optimiser: the result then holds the best
    point seen and says `interrupted`."""
    if method not in optimisers.METHODS:
        raise UserError(f"--method must be one of {', '.join(optimisers.METHODS)} (got {method!r})")
    model = problem.model
    bounds = bounds_for(problem)
    if seed is not None:
        problem.set_x(random_start(problem, seed, bounds))
        problem.engine.recalc()
    x0 = problem.x()
    f0 = problem.objective_value()
    max_iterations = max_iterations or optimisers.DEFAULT_MAX_ITER[method]
    tol = optimisers.DEFAULT_TOL[method] if tol is None else tol
    t0 = time.perf_counter()

    targets = targets_of(bounds.general)
    if gtol is not None and (method != "lbfgs" or bounds.general):
        raise UserError(f"{problem.source}: --gtol applies to L-BFGS-B only: the model on {model.sheet!r} is "
                        f"solved with "
                        f"{'SLSQP (constraints on formula cells)' if bounds.general else '--method ' + method}")
    if bounds.general and method != "lbfgs":
        raise UserError(f"{problem.source}: the Solver model on {model.sheet!r} has constraints on formula cells "
                        f"({bounds.general[0].text}): --method {method} only keeps bounds on changing cells; "
                        f"use --method lbfgs (SLSQP is used for such models)")
    plan = Plan(gradient="", exact=False, method="slsqp" if bounds.general else method, device=str(device))
    fun = cells_fn = None
    if exact:
        try:
            replay = _exact(problem, x0, f0, device, targets)
            fun, cells_fn = replay.objective, replay.cells
            plan.gradient, plan.exact = "exact (torch autograd through the formula graph)", True
        except Unsupported as exc:
            plan.gradient = f"finite differences ({exc})"
    else:
        plan.gradient = "finite differences (as requested)"
    if fun is None:
        if device != "cpu":
            raise UserError(f"--device {device}: the torch replay cannot run this model "
                            f"({plan.gradient.removeprefix('finite differences (').rstrip(')')})")
        fun = _finite_differences(problem, model.central_derivatives)
        cells_fn = _finite_difference_cells(problem, targets)
        plan.device = "cpu"
        _estimate(problem, plan, x0)
    if on_plan is not None:
        on_plan(plan)

    target = model.target
    sign = -1.0 if model.goal == "max" else 1.0

    def minimised(x):
        f, g = fun(x)
        if model.goal == "value":
            return (f - target) ** 2, 2 * (f - target) * g
        return sign * f, sign * g

    def shown(value):          # the objective cell's value from the minimised quantity
        return sign * value if model.goal != "value" else None

    def on_iteration(k, value):
        if progress is not None:
            cell = shown(value)
            progress.update(1, note=f"objective {cell:.9g}" if cell is not None else f"(f - target)^2 {value:.3g}")

    track = optimisers.Tracker(minimised)
    interrupted = False
    # A Solver model is mostly small: BLAS and torch threads cost more than they
    # save (measured: 3.1 s with two OpenBLAS threads, 0.7 s with one; at
    # 100,000 ratings one thread is as fast as two on a shared 2-core machine).
    with threadpool_limits(limits=1), _torch_threads(1):
        try:
            if bounds.general:
                outcome = optimisers.slsqp(track, x0, bounds.scipy(), general_functions(bounds.general, cells_fn),
                                           max_iterations, tol, on_iteration)
            elif method == "lbfgs":
                outcome = optimisers.lbfgs(track, x0, bounds.scipy(), max_iterations, tol, on_iteration,
                                           optimisers.DEFAULT_GTOL if gtol is None else gtol)
            else:
                outcome = optimisers.adam(track, x0, bounds.scipy(), max_iterations, tol, on_iteration,
                                          lr=lr or optimisers.DEFAULT_ADAM_LR)
        except KeyboardInterrupt:
            interrupted = True
            x = track.best_x if track.best_x is not None else x0
            outcome = optimisers.Outcome(x, len(track.history), False,
                                         "interrupted (Ctrl-C): the best point so far is kept")
    problem.set_x(outcome.x)
    problem.engine.recalc()
    final = problem.objective_value()
    return SolveResult(sheet=model.sheet, objective=problem.objective_text, objective_start=f0,
                       objective_final=final, iterations=outcome.iterations, evaluations=track.evaluations,
                       seconds=time.perf_counter() - t0, gradient=plan.gradient, converged=outcome.converged,
                       message=outcome.message, x=outcome.x, x_start=x0, method=plan.method, device=plan.device,
                       interrupted=interrupted, history=list(track.history))


def _estimate(problem: Problem, plan: Plan, x0: np.ndarray) -> None:
    """Finite differences: time one recalculation, and from it the gradient
    and a typical solve."""
    t = time.perf_counter()
    problem.evaluate(x0)
    per = time.perf_counter() - t
    n = problem.size * (2 if problem.model.central_derivatives else 1) + 1
    plan.seconds_per_evaluation = per
    plan.evaluations_per_gradient = n
    plan.estimate_seconds = per * n * TYPICAL_ITERATIONS * 1.1
