"""The minimisers `sheetnet solve` offers, behind one interface.

Each takes ``fun(x) -> (f, g)`` (the value to *minimise* and its gradient, as
numpy), a start point, optional bounds, and reports every iteration to
``on_iteration(k, f)``.  The best point seen is kept by :class:`Tracker`, so
an interrupted run (Ctrl-C) still has something to write.

* ``lbfgs`` -- scipy's L-BFGS-B.  ``tol`` is its ``ftol``: stop when an
  iteration lowers the objective by less than ``tol * max(|f|, 1)``
  (scipy's default, 2.2e-9, unless given); ``gtol`` its ``pgtol``: stop when
  no component of the projected gradient exceeds it (scipy's 1e-5).  In the
  long flat valleys of a factor model the gradient test usually ends the run:
  two exact gradients rounded differently stop at different points of the
  valley, and a smaller ``gtol`` takes both on towards its floor.
* ``adam`` -- full-batch Adam (``torch.optim.Adam``'s arithmetic) with the
  collab lesson's learning-rate schedule, one cycle (``OneCycleLR`` as
  ``fit_one_cycle`` and ``sheetnet train-collab`` use it: warm up from lr/25
  over the first quarter of the steps, cosine-anneal to lr/25e4, beta1
  cycled 0.95 -> 0.85 -> 0.95, beta2 0.99) over ``max_iter`` steps.  It stops early when the best
  objective improved by less than ``tol * max(|f|, 1)`` over the last
  ``ADAM_WINDOW`` steps.  Bounds are kept by clipping after each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import math

import numpy as np
from scipy.optimize import minimize

from .defaults import ADAM_WINDOW, DEFAULT_ADAM_LR, DEFAULT_GTOL, DEFAULT_MAX_ITER, DEFAULT_TOL, METHODS  # noqa: F401


@dataclass
class Tracker:
    """Counts evaluations and keeps the best (lowest) point evaluated."""

    fun: object
    evaluations: int = 0
    best_f: float = np.inf
    best_x: np.ndarray | None = None
    history: list = field(default_factory=list)      # objective after each iteration

    def __call__(self, x):
        f, g = self.fun(x)
        self.evaluations += 1
        if np.isfinite(f) and f < self.best_f:
            self.best_f, self.best_x = float(f), np.array(x, dtype=np.float64)
        return f, g


@dataclass
class Outcome:
    x: np.ndarray
    iterations: int
    converged: bool
    message: str


def lbfgs(track: Tracker, x0, bounds, max_iter: int, tol: float, on_iteration,
          gtol: float = DEFAULT_GTOL) -> Outcome:
    def callback(intermediate_result):
        track.history.append(float(intermediate_result.fun))
        on_iteration(len(track.history), float(intermediate_result.fun))

    res = minimize(track, x0, jac=True, method="L-BFGS-B", bounds=bounds, callback=callback,
                   options={"maxiter": max_iter, "maxfun": max(max_iter * 2, 100), "ftol": tol, "gtol": gtol})
    return Outcome(np.asarray(res.x, dtype=np.float64), int(res.nit), bool(res.success), str(res.message))


def one_cycle(step: int, total: int, max_lr: float, pct_start: float = 0.25, div_factor: float = 25.0,
              final_div_factor: float = 1e4, base_momentum: float = 0.85, max_momentum: float = 0.95):
    r"""(learning rate, beta1) for 0-based `step` of `total`, as torch's
    ``OneCycleLR`` (cosine annealing, two phases, momentum cycled) gives them:

    .. math::
        \text{cos}(a, b, p) &= b + \tfrac{a - b}{2} (\cos \pi p + 1) \\
        s \le s_1 = \text{pct\_start}\,T - 1 &: \; lr = \text{cos}(lr_0, lr_{max}, s / s_1), \;
            \beta_1 = \text{cos}(m_{max}, m_{base}, s / s_1) \\
        s > s_1 &: \; lr = \text{cos}(lr_{max}, lr_{min}, \tfrac{s - s_1}{T - 1 - s_1}), \;
            \beta_1 = \text{cos}(m_{base}, m_{max}, \cdot)

    with :math:`lr_0 = lr_{max} / \text{div\_factor}`, :math:`lr_{min} = lr_0 / \text{final\_div\_factor}`.
    """
    initial = max_lr / div_factor
    phases = ((float(pct_start * total) - 1, initial, max_lr, max_momentum, base_momentum),
              (total - 1, max_lr, initial / final_div_factor, base_momentum, max_momentum))
    begin = 0.0
    for i, (end, lr_a, lr_b, m_a, m_b) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            pct = (step - begin) / (end - begin)
            cos = lambda a, b: b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)  # noqa: E731
            return cos(lr_a, lr_b), cos(m_a, m_b)
        begin = end
    raise AssertionError("unreachable")


def adam(track: Tracker, x0, bounds, max_iter: int, tol: float, on_iteration, lr: float = DEFAULT_ADAM_LR,
         beta2: float = 0.99, eps: float = 1e-8) -> Outcome:
    r"""Full-batch Adam under the one-cycle schedule, step by step as
    ``torch.optim.Adam`` computes it (beta1 changing with the schedule):

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        x &\leftarrow x - \frac{lr}{1 - \beta_1^t} \cdot \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon}

    then x is clipped into its bounds.  Written in numpy: ``torch.optim``
    costs seconds of imports before its first step.
    """
    x = np.array(x0, dtype=np.float64)
    m, v = np.zeros_like(x), np.zeros_like(x)
    lower = upper = None
    if bounds is not None:
        lower = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
        upper = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    total = max(max_iter, 2)
    message = f"ran the {max_iter} steps of the one-cycle schedule"
    converged = True                       # a schedule run to its end is a finished run
    best_before = []
    for t in range(1, max_iter + 1):
        f, g = track(x)
        if not np.isfinite(f):
            message = f"the objective became {f} at step {t}"
            converged = False
            break
        step_lr, beta1 = one_cycle(t - 1, total, lr)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
        x = x - (step_lr / (1 - beta1 ** t)) * (m / denom)
        if lower is not None:
            x = np.clip(x, lower, upper)
        track.history.append(float(f))
        on_iteration(t, float(f))
        best_before.append(track.best_f)
        if t > ADAM_WINDOW:
            then = best_before[-ADAM_WINDOW - 1]
            if then - track.best_f <= tol * max(abs(track.best_f), 1.0):
                message = f"the objective improved by less than {tol:g} (relative) over {ADAM_WINDOW} steps"
                break
    track(x)                               # the final point counts too
    best = track.best_x if track.best_x is not None else x
    return Outcome(np.array(best), len(track.history), converged, message)


def slsqp(track: Tracker, x0, bounds, constraints, max_iter: int, tol: float, on_iteration) -> Outcome:
    """scipy's SLSQP, for models with constraints on formula cells (``tol`` is its ``ftol``)."""
    def callback(intermediate_result):
        track.history.append(float(intermediate_result.fun))
        on_iteration(len(track.history), float(intermediate_result.fun))

    res = minimize(track, x0, jac=True, method="SLSQP", bounds=bounds, constraints=constraints, callback=callback,
                   options={"maxiter": max_iter, "ftol": tol})
    return Outcome(np.asarray(res.x, dtype=np.float64), int(res.nit), bool(res.success), str(res.message))
