"""Spreadsheet-semantics optimisers: the gradient-descent lesson's sheets and
macros, mirrored in numpy so that every number agrees with the sheet bit for
bit.

The lesson fits ``y = a*x + b`` one data point at a time (batch size 1).  An
optimiser sheet has one row per data point; row ``i`` takes the parameters
``p = (b, a)`` left by row ``i-1``, computes the gradient of the squared error
``e = (a*x + b - y)^2`` and writes the updated parameters for row ``i+1``.
One *epoch* is one pass over the rows; between epochs the lesson's VBA macros
copy values back to the top of the sheet.  This module reproduces both, with
the macros' quirks as defaults and every deviation a flag.

Parameters and optimiser state are kept as pairs ordered like the sheet's
columns: **(b, a)** = (intercept, slope), gradients ``g = (de/db, de/da)``.

Update rules for one row (``g`` the row's gradient; every operation is one
IEEE double operation, in the sheet formula's order):

==========  ==================================================================
sgd         p' = p - g*lr
momentum    m' = m*beta1 + (1-beta1)*g;   p' = p - m'*lr
rmsprop     p' = p - g*lr / sqrt(v);      v' = v*beta2 + (1-beta2)*g^2
            (the lesson divides by the *previous* row's v, no epsilon;
            ``rmsprop_current=True`` uses v' instead)
adam        m' = m*beta1 + (1-beta1)*g;   v' = v*beta2 + (1-beta2)*g^2;
            p' = p - m'*lr / sqrt(v')     (no bias correction, no epsilon;
            ``bias_correction=True`` divides m', v' by 1-beta^t, ``eps``
            is added to the square root, as torch.optim.Adam does)
adam_ann    adam with beta2 = 0.95, plus learning-rate annealing between
            epochs (see :func:`onestep`)
==========  ==================================================================

The macros (``reset``, ``onestep``, ``somesteps``):

* :func:`onestep` -- one epoch.  Sweep the rows from the current
  :class:`State`; then copy back, as values, the last row's optimiser state
  (its updated m and v) and the **parameters going into the last row** -- the
  last row's own parameter update is thrown away every epoch
  (``copy_updated=True`` keeps it instead).  For adam_ann the annealing
  check follows: ``gradrat = avg_grad2/prev_grad2`` with ``avg_grad2 =
  sqrt(v_b) + sqrt(v_a)`` of the copied-back v; if ``gradrat > 2`` the
  learning rate is divided by 4; if ``avg_grad2 < prev_grad2``,
  ``prev_grad2`` takes its value.
* :func:`somesteps` -- ``n`` (5 in the lesson) x onestep.
* :func:`reset` -- a = b = 1, then the optimiser state is warmed up by whole
  passes with a and b held fixed (each pass starts again from a = b = 1):
  momentum: m from one pass starting at m = 0; rmsprop: v from two passes
  starting at v = 10000; adam: m = 0, v = 10000, then (the macro pastes under
  automatic recalculation, every paste recalculating) v from pass 1, m from
  pass 2, v from pass 3, m from pass 4 -- v is the 3rd pass's, m the 4th's;
  adam_ann: m and v from two passes starting at (0, 10000), and
  ``prev_grad2`` left at the value ``avg_grad2`` had after pass 1 (stale under
  manual recalculation).

:class:`State` is what a sheet holds between epochs (its input cells):
``b, a`` (C1, C2), ``m = (m_b, m_a)``, ``v = (v_b, v_a)`` (row 33), ``lr``,
``prev_grad2`` (adam_ann), ``t`` (rows folded into m and v since reset, for
bias correction) and ``epoch``.  ``m`` is (0, 0) for sgd and rmsprop, ``v``
is (0, 0) for sgd and momentum.

Gradients: :func:`analytic_gradient`, the sheet's :func:`forward_difference`
(step h = 0.01), :func:`central_difference`, and
:func:`forward_difference_error`, the forward difference's exact excess over
the analytic gradient on this loss: h for de/db and h*x^2 for de/da.

Replaying the lesson (``python -m sheetnet.lessons.graddesc.mirror`` prints it): after reset +
5 epochs basic b = 1.275463 (error log 104.749 ... 103.993), rmsprop b =
3.189068, adam b = 24.960098.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
import numpy as np

from ...errors import UserError

__all__ = [
    "OPTIMIZERS", "SHEET_NAMES",
    "Hyper", "State", "Sweep", "EpochRecord", "Run",
    "lesson_hyper", "canonical_name",
    "analytic_gradient", "forward_difference", "central_difference", "forward_difference_error",
    "sgd_update", "momentum_update", "rmsprop_update", "adam_update",
    "initial_state", "sweep", "reset", "onestep", "somesteps", "error", "run",
]

#: The optimisers, in the lesson's order; each has a sheet in the workbook.
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adam_ann")
#: The lesson's sheet name for each optimiser.
SHEET_NAMES = {"sgd": "basic", "momentum": "momentum", "rmsprop": "rmsprop", "adam": "adam", "adam_ann": "adam_ann"}

def canonical_name(name: str) -> str:
    """'sgd', 'basic' (the lesson's sheet), 'Adam' ... -> the optimiser's name; UserError if unknown."""
    key = name.strip().lower()
    if key == "basic":
        return "sgd"
    if key in OPTIMIZERS:
        return key
    raise UserError(f"unknown optimiser {name.strip()!r} (choose from {', '.join(OPTIMIZERS)})")


@dataclass(frozen=True)
class Hyper:
    """Hyperparameters and variant flags.  Defaults are the lesson's; see
    :func:`lesson_hyper` for each optimiser's learning rate and betas."""

    lr: float
    beta1: float = 0.9           # momentum's beta; adam's first-moment decay
    beta2: float = 0.9           # rmsprop's and adam's second-moment decay (adam_ann: 0.95)
    h: float = 0.01              # the basic sheet's finite-difference step
    v_init: float = 10000.0      # v before reset's warm-up passes
    start: tuple[float, float] = (1.0, 1.0)   # (b, a) set by reset
    # variants (all off = the lesson)
    copy_updated: bool = False   # copy back the last row's *updated* parameters
    rmsprop_current: bool = False  # rmsprop divides by sqrt of the current row's v
    bias_correction: bool = False  # adam: m/(1-beta1^t), v/(1-beta2^t)
    eps: float = 0.0             # adam: p - lr*m/(sqrt(v)+eps)
    anneal: bool = True          # adam_ann: the annealing check after each epoch
    anneal_ratio: float = 2.0    # cut when avg_grad2/prev_grad2 > this
    anneal_factor: float = 4.0   # ... by dividing lr by this


_LESSON_HYPER = {
    "sgd": dict(lr=1e-4),
    "momentum": dict(lr=1e-4, beta1=0.9),
    "rmsprop": dict(lr=0.02, beta2=0.9),
    "adam": dict(lr=1.0, beta1=0.9, beta2=0.9),
    "adam_ann": dict(lr=1.0, beta1=0.9, beta2=0.95),
}


def lesson_hyper(opt: str, **changes) -> Hyper:
    """The lesson's hyperparameters for `opt` (lr 1e-4, 1e-4, 0.02, 1, 1;
    betas 0.9, adam_ann's beta2 0.95), with `changes` applied."""
    opt = canonical_name(opt)
    values = dict(_LESSON_HYPER[opt])
    values.update({k: v for k, v in changes.items() if v is not None})
    return Hyper(**values)


@dataclass(frozen=True)
class State:
    """What an optimiser sheet holds between epochs -- its input cells."""

    b: float
    a: float
    m: tuple[float, float] = (0.0, 0.0)   # (m_b, m_a)
    v: tuple[float, float] = (0.0, 0.0)   # (v_b, v_a)
    lr: float = 0.0
    prev_grad2: float = math.nan          # adam_ann only
    t: int = 0                            # rows folded into m, v since reset (bias correction)
    epoch: int = 0


@dataclass
class Sweep:
    """Every column of one epoch's rows (arrays of length P), as the sheet shows them."""

    b: np.ndarray          # parameters going into each row
    a: np.ndarray
    pred: np.ndarray       # a*x + b
    err2: np.ndarray       # (y - pred)^2
    g_b: np.ndarray        # analytic gradient 2(ax+b-y)
    g_a: np.ndarray        # x * g_b
    e_bh: np.ndarray       # squared error with b+h, with a+h (the basic sheet's G, I)
    e_ah: np.ndarray
    fd_b: np.ndarray       # forward-difference estimates (the basic sheet's H, J)
    fd_a: np.ndarray
    m_b: np.ndarray        # optimiser state after each row (zeros where unused)
    m_a: np.ndarray
    v_b: np.ndarray
    v_a: np.ndarray
    new_b: np.ndarray      # updated parameters (the next row's inputs)
    new_a: np.ndarray
    error: float           # sqrt of the rows' summed squared errors (SUM left to right)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    a: float
    b: float
    error: float
    lr: float


@dataclass
class Run:
    """An optimiser's trajectory: records for epochs 0..n (0 = the reset
    state); when it diverged, `diverged_at` is the first epoch whose a, b or
    error is not finite, and the records stop before it."""

    optimizer: str
    records: list[EpochRecord] = field(default_factory=list)
    diverged_at: int | None = None


# --- gradients -----------------------------------------------------------------

def analytic_gradient(b, a, x, y):
    """(de/db, de/da) of e = (ax + b - y)^2: de/db = 2(ax + b - y), de/da = x * de/db
    (the sheets' ``2*(D*A+C-B)`` and ``F*A``)."""
    g_b = 2 * (a * x + b - y)
    return g_b, g_b * x


def _sq(v):
    return v * v          # the engine's x^2 (correctly rounded, like numpy's and torch's **2)


def _fd_parts(b, a, x, y, h):
    e = _sq(y - (b + a * x))                 # F: =(B-E)^2, E = C+D*A
    eb = _sq(((b + h) + x * a) - y)          # G: =(((C+h)+A*D)-B)^2
    ea = _sq(((a + h) * x + b) - y)          # I: =(((D+h)*A+C)-B)^2
    return e, eb, ea, (eb - e) / h, (ea - e) / h


def forward_difference(b, a, x, y, h=0.01):
    """The basic sheet's finite differences: ((e(b+h) - e) / h, (e(a+h) - e) / h),
    computed exactly as its cells F:J are."""
    _, _, _, fd_b, fd_a = _fd_parts(b, a, x, y, h)
    return fd_b, fd_a


def central_difference(b, a, x, y, h=1e-3):
    """((e(b+h) - e(b-h)) / 2h, (e(a+h) - e(a-h)) / 2h): exact on this quadratic
    loss up to rounding."""
    def e(bb, aa):
        return _sq(aa * x + bb - y)
    return (e(b + h, a) - e(b - h, a)) / (2 * h), (e(b, a + h) - e(b, a - h)) / (2 * h)


def forward_difference_error(x, h=0.01):
    """The forward difference's exact excess over the analytic gradient on
    e = (ax + b - y)^2 (r = ax + b - y):

        ((r + h)^2 - r^2) / h   = 2r + h          -> de/db over by h
        ((r + h x)^2 - r^2) / h = 2rx + h x^2     -> de/da over by h x^2

    Returns (h, h*x^2), whatever a, b and y are."""
    return h, h * x * x


# --- one-row update rules ------------------------------------------------------
# p, g, m, v are float64 arrays [b-part, a-part]; each rule returns new arrays
# and performs the sheet's operations in its formula's order.

def sgd_update(p, g, lr):
    """p' = p - g*lr  (basic: ``=C4-K4*$F$1``)."""
    return p - g * lr


def momentum_update(p, g, m, lr, beta1):
    """m' = m*beta1 + (1-beta1)*g;  p' = p - m'*lr  (``=J3*$J$1+$K$1*F4``, ``=C4-J4*$D$2``).
    Returns (p', m')."""
    m = m * beta1 + (1 - beta1) * g
    return p - m * lr, m


def rmsprop_update(p, g, v, lr, beta2, current=False):
    """Lesson: p' = p - g*lr/sqrt(v) with the *previous* row's v;
    v' = v*beta2 + (1-beta2)*g^2  (``=C4-F4*$D$2/SQRT(J3)``, ``=J3*$J$1+$K$1*F4^2``).
    ``current=True``: p' = p - g*lr/sqrt(v').  Returns (p', v')."""
    v_new = v * beta2 + (1 - beta2) * (g * g)
    return p - g * lr / np.sqrt(v_new if current else v), v_new


def adam_update(p, g, m, v, lr, beta1, beta2, t=1, bias_correction=False, eps=0.0):
    """m' = m*beta1 + (1-beta1)*g;  v' = v*beta2 + (1-beta2)*g^2;
    p' = p - m'*lr/sqrt(v')  (``=C4-J4*$D$2/SQRT(L4)``: no bias correction, no eps).
    With ``bias_correction``: p' = p - (m'/(1-beta1^t))*lr/(sqrt(v'/(1-beta2^t)) + eps),
    t the 1-based count of rows folded in; ``eps`` alone: p' = p - m'*lr/(sqrt(v')+eps).
    Returns (p', m', v')."""
    m = m * beta1 + (1 - beta1) * g
    v = v * beta2 + (1 - beta2) * (g * g)
    if bias_correction:
        mh, vh = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    else:
        mh, vh = m, v
    root = np.sqrt(vh)
    if eps:
        root = root + eps
    return p - mh * lr / root, m, v


# --- sweeps and macros ------------------------------------------------------------

def _pairs(x, y) -> tuple[list[float], list[float]]:
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise UserError(f"x and y differ in length ({x.size} and {y.size})")
    if x.size == 0:
        raise UserError("no data points")
    return x.tolist(), y.tolist()


def sweep(opt: str, state: State, x, y, hp: Hyper | None = None) -> Sweep:
    """One pass over the rows from `state`, every cell as the optimiser's sheet computes it."""
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    xs, ys = _pairs(x, y)
    n = len(xs)
    cols = {k: np.empty(n) for k in ("b", "a", "pred", "err2", "g_b", "g_a", "e_bh", "e_ah", "fd_b", "fd_a",
                                      "m_b", "m_a", "v_b", "v_a", "new_b", "new_a")}
    p = np.array([state.b, state.a], dtype=np.float64)
    m = np.array(state.m, dtype=np.float64)
    v = np.array(state.v, dtype=np.float64)
    lr, t = state.lr, state.t
    with np.errstate(all="ignore"):
        for i, (xi, yi) in enumerate(zip(xs, ys)):
            b, a = p[0], p[1]
            pred = b + a * xi
            g_b, g_a = analytic_gradient(b, a, xi, yi)
            g = np.array([g_b, g_a])
            err2, e_bh, e_ah, fd_b, fd_a = _fd_parts(b, a, xi, yi, hp.h)
            t += 1
            if opt == "sgd":
                p_new = sgd_update(p, g, lr)
            elif opt == "momentum":
                p_new, m = momentum_update(p, g, m, lr, hp.beta1)
            elif opt == "rmsprop":
                p_new, v = rmsprop_update(p, g, v, lr, hp.beta2, hp.rmsprop_current)
            else:
                p_new, m, v = adam_update(p, g, m, v, lr, hp.beta1, hp.beta2, t, hp.bias_correction, hp.eps)
            row = dict(b=b, a=a, pred=pred, err2=err2, g_b=g_b, g_a=g_a, e_bh=e_bh, e_ah=e_ah, fd_b=fd_b,
                       fd_a=fd_a, m_b=m[0], m_a=m[1], v_b=v[0], v_a=v[1], new_b=p_new[0], new_a=p_new[1])
            for k, val in row.items():
                cols[k][i] = val
            p = p_new
        total = 0.0
        for e in cols["err2"].tolist():       # SUM, left to right
            total += e
        err = math.sqrt(total) if total >= 0 else math.nan
    return Sweep(error=err, **cols)


def _after(opt: str, state: State, sw: Sweep, hp: Hyper) -> State:
    """The state the macros leave after the sweep `sw` of `state`."""
    if hp.copy_updated:
        b, a = float(sw.new_b[-1]), float(sw.new_a[-1])
    else:
        b, a = float(sw.b[-1]), float(sw.a[-1])
    m = (float(sw.m_b[-1]), float(sw.m_a[-1]))
    v = (float(sw.v_b[-1]), float(sw.v_a[-1]))
    return replace(state, b=b, a=a, m=m, v=v, t=state.t + len(sw.b), epoch=state.epoch + 1)


def _anneal(state: State, hp: Hyper) -> State:
    """adam_ann's check after an epoch (the lesson's somesteps)."""
    with np.errstate(all="ignore"):
        avg = float(np.sqrt(state.v[0]) + np.sqrt(state.v[1]))
        lr, prev = state.lr, state.prev_grad2
        if avg / prev > hp.anneal_ratio:
            lr = lr / hp.anneal_factor
        if avg < prev:
            prev = avg
    return replace(state, lr=lr, prev_grad2=prev)


def initial_state(opt: str, hp: Hyper | None = None) -> State:
    """a, b = hp.start, m = 0, v = hp.v_init (rmsprop, adam*), lr = hp.lr: the
    values reset writes before its warm-up passes."""
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    v0 = hp.v_init if opt in ("rmsprop", "adam", "adam_ann") else 0.0
    return State(b=float(hp.start[0]), a=float(hp.start[1]), m=(0.0, 0.0), v=(v0, v0), lr=float(hp.lr))


def reset(opt: str, x, y, hp: Hyper | None = None, warmup: bool = True) -> State:
    """The lesson's reset macro: a = b = 1 and the optimiser state warmed up by
    passes with a, b held fixed (see the module docstring).  ``warmup=False``
    returns :func:`initial_state` (and, for adam_ann, prev_grad2 = inf: no
    cut after the first epoch).  ``t`` is 0 afterwards."""
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    s0 = initial_state(opt, hp)
    if not warmup:
        return replace(s0, prev_grad2=math.inf) if opt == "adam_ann" else s0

    def last(sw: Sweep) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(sw.m_b[-1]), float(sw.m_a[-1])), (float(sw.v_b[-1]), float(sw.v_a[-1]))

    if opt == "sgd":
        return s0
    if opt == "momentum":
        m1, _ = last(sweep(opt, s0, x, y, hp))
        return replace(s0, m=m1)
    if opt == "rmsprop":
        _, v1 = last(sweep(opt, s0, x, y, hp))
        _, v2 = last(sweep(opt, replace(s0, v=v1), x, y, hp))
        return replace(s0, v=v2)
    if opt == "adam":
        _, v1 = last(sweep(opt, s0, x, y, hp))                          # pass 1 -> paste v
        m2, _ = last(sweep(opt, replace(s0, v=v1), x, y, hp))           # pass 2 -> paste m
        _, v3 = last(sweep(opt, replace(s0, m=m2, v=v1), x, y, hp))     # pass 3 -> paste v
        m4, _ = last(sweep(opt, replace(s0, m=m2, v=v3), x, y, hp))     # pass 4 -> paste m
        return replace(s0, m=m4, v=v3)
    # adam_ann
    m1, v1 = last(sweep(opt, s0, x, y, hp))
    m2, v2 = last(sweep(opt, replace(s0, m=m1, v=v1), x, y, hp))
    with np.errstate(all="ignore"):
        stale = float(np.sqrt(v1[0]) + np.sqrt(v1[1]))
    return replace(s0, m=m2, v=v2, prev_grad2=stale)


def onestep(opt: str, state: State, x, y, hp: Hyper | None = None) -> State:
    """One epoch: sweep from `state`, copy back the last row's m, v and the
    parameters going into the last row (``hp.copy_updated``: its updated ones);
    for adam_ann then the annealing check (``hp.anneal``)."""
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    new = _after(opt, state, sweep(opt, state, x, y, hp), hp)
    if opt == "adam_ann" and hp.anneal:
        new = _anneal(new, hp)
    return new


def somesteps(opt: str, state: State, x, y, hp: Hyper | None = None, n: int = 5) -> list[State]:
    """`n` epochs (the lesson's button does 5); the states after each."""
    out = []
    for _ in range(n):
        state = onestep(opt, state, x, y, hp)
        out.append(state)
    return out


def error(opt: str, state: State, x, y, hp: Hyper | None = None) -> float:
    """The sheet's error cell for `state`: sqrt of the summed squared errors of
    the sweep from it (basic's ``=SQRT(SUM(F4:F32))``, logged after each epoch)."""
    return sweep(opt, state, x, y, hp).error


def run(opt: str, x, y, epochs: int, hp: Hyper | None = None, warmup: bool = True,
        state: State | None = None) -> Run:
    """Records for epochs 0..`epochs` (epoch 0 = `state`, by default
    :func:`reset`'s): a, b going into each epoch's first row and that epoch's
    error.  Stops at the first epoch whose a, b or error is not finite."""
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    state = state if state is not None else reset(opt, x, y, hp, warmup=warmup)
    result = Run(opt)
    for k in range(epochs + 1):
        sw = sweep(opt, state, x, y, hp)
        rec = EpochRecord(k, state.a, state.b, sw.error, state.lr)
        if not all(math.isfinite(val) for val in (rec.a, rec.b, rec.error)):
            result.diverged_at = k
            break
        result.records.append(rec)
        if k == epochs:
            break
        state = _after(opt, state, sw, hp)
        if opt == "adam_ann" and hp.anneal:
            state = _anneal(state, hp)
    return result


def _replay_lesson() -> str:
    """The lesson's figures, replayed (``python -m sheetnet.lessons.graddesc.mirror``)."""
    from .inputs import lesson_data
    x, y = lesson_data()
    lines = ["a / b after each epoch of reset + somesteps (lesson data):"]
    for opt in OPTIMIZERS:
        s = reset(opt, x, y)
        states = somesteps(opt, s, x, y)
        lines.append(f"  {SHEET_NAMES[opt]:9s} " + "  ".join(f"{st.a:.6f} / {st.b:.6f}" for st in states))
    s = reset("sgd", x, y)
    log = [error("sgd", st, x, y) for st in somesteps("sgd", s, x, y)]
    lines.append("basic error log: " + ", ".join(f"{e:.6f}" for e in log))
    return "\n".join(lines)


if __name__ == "__main__":   # pragma: no cover
    print(_replay_lesson())
