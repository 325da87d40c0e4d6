"""Minimising a Solver model's objective with scipy's L-BFGS-B."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from .autodiff import TorchReplay, Unsupported
from .problem import Problem

CONSISTENCY_RTOL = 1e-9      # torch replay vs numpy engine at the start point


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

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "objective": self.objective, "objective_start": self.objective_start,
                "objective_final": self.objective_final, "iterations": self.iterations,
                "evaluations": self.evaluations, "seconds": self.seconds, "gradient": self.gradient,
                "converged": self.converged, "message": self.message}


def _exact(problem: Problem, x0: np.ndarray, f0: float):
    """The torch replay, if it reproduces the engine at the start point."""
    replay = TorchReplay(problem)
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


def solve(problem: Problem, *, max_iterations: int = 15000, progress=None, exact: bool = True) -> SolveResult:
    """Minimise (or maximise, or hit the target value of) the objective over
    the changing cells; leaves the engine holding the solution."""
    model = problem.model
    x0 = problem.x()
    f0 = problem.objective_value()
    t0 = time.perf_counter()
    gradient = "exact (torch autograd through the formula graph)"
    fun = None
    if exact:
        try:
            replay = _exact(problem, x0, f0)
            fun = replay.objective
        except Unsupported as exc:
            gradient = f"finite differences ({exc})"
    else:
        gradient = "finite differences (as requested)"
    if fun is None:
        fun = _finite_differences(problem, model.central_derivatives)

    target = model.target
    calls = [0]

    def objective(x):
        calls[0] += 1
        f, g = fun(x)
        if model.goal == "max":
            return -f, -g
        if model.goal == "value":
            return (f - target) ** 2, 2 * (f - target) * g
        return f, g

    def callback(xk):
        if progress is not None:
            progress.update(1)

    bounds = [(0.0, None)] * len(x0) if model.non_negative else None
    # A Solver model is small: BLAS and torch threads cost more than they
    # save (measured: 3.1 s with two OpenBLAS threads, 0.7 s with one).
    with threadpool_limits(limits=1), _torch_threads(1):
        res = minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
                       options={"maxiter": max_iterations, "maxfun": max_iterations * 2})
    problem.set_x(res.x)
    problem.engine.recalc()
    final = problem.objective_value()
    return SolveResult(sheet=model.sheet, objective=problem.objective_text, objective_start=f0,
                       objective_final=final, iterations=int(res.nit), evaluations=calls[0],
                       seconds=time.perf_counter() - t0, gradient=gradient, converged=bool(res.success),
                       message=str(res.message), x=res.x)
