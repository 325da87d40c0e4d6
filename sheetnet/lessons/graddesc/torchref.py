r"""The lesson's spreadsheet optimisers in PyTorch, run the way the sheets run them.

Each optimiser sheet of ``graddesc.xlsm`` fits ``y = a x + b`` one data point per
row (batch size 1), with ``g = de/dp`` of ``e = (a x + b - y)^2`` for
``p`` in ``(b, a)``.  Where a ``torch.optim`` configuration reproduces a
sheet's update it is used; where none does, a small
:class:`torch.optim.Optimizer` subclass states the sheet's rule:

==========  ===================================================================  ==================================
sheet       update per row (p = b and a separately)                              torch
==========  ===================================================================  ==================================
basic       p <- p - lr g                                                        ``SGD(lr)``
momentum    m <- 0.9 m + 0.1 g;  p <- p - lr m                                   ``SGD(lr, momentum=.9, dampening=.9)``,
                                                                                 ``momentum_buffer`` seeded with m0
rmsprop     p <- p - lr g / sqrt(v_prev);  v <- 0.9 v + 0.1 g^2                  :class:`LaggedRMSprop` (none built in)
adam        m <- .9 m + .1 g;  v <- .9 v + .1 g^2;  p <- p - lr m / sqrt(v)      ``Adam(lr, betas=(.9, .9), eps=0)``, state
                                                                                 seeded, ``step`` large (bias correction
                                                                                 exactly 1) -- or :class:`SheetAdam`
adam_ann    adam with beta2 = 0.95, plus :class:`GradRatioAnnealing` per epoch   the same + the annealing rule
==========  ===================================================================  ==================================

An *epoch* is the sheet's ``onestep`` macro: the rows run from the parameters
in the sheet's header; afterwards the last row's optimiser state is pasted
above the first row, and the parameters going **into** the last row (not its
updated outputs) become the new header -- the last row's parameter update is
thrown away each epoch while its state update is kept.  :func:`run_pass`
implements that copy-back with torch: it takes the last row's step and then
copies the saved parameters back.

``reset`` sets a = b = 1 and warms the state up with the header held at
(1, 1): momentum's m0 is the m after one pass from 0; rmsprop's v0 the v after
two passes from 10000; adam alternates (paste v, paste m) twice from m = 0,
v = 10000 -- v from the 3rd pass, m from the 4th; adam_ann takes both after two
passes and its ``prev_grad2`` from the first.

Optimisers are named and configured as in the numpy mirror (``sgd`` -- the
sheet ``basic`` --, ``momentum`` ...; :class:`~.mirror.Hyper`, whose defaults
are the lesson's).  Inputs and outputs are plain: numpy arrays or floats in, a
:class:`SheetRun` of per-epoch numpy arrays out, so the numpy mirror and the
engine's values can be compared with it directly.

The gradient of the lesson's loss itself comes four ways at the end of the
module: autograd, the analytic formula, the basic sheet's forward difference and
a central difference -- and ``gradcheck``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...devices import as_tensor, require_torch, resolve_device, resolve_dtype, to_numpy
from .mirror import Hyper, canonical_name, lesson_hyper

torch = require_torch()
nn = torch.nn
Optimizer = torch.optim.Optimizer

#: Each optimiser's state, under the names the sheets' columns have.
STATE_KEYS = {
    "sgd": (),
    "momentum": ("m_b", "m_a"),
    "rmsprop": ("v_b", "v_a"),
    "adam": ("m_b", "m_a", "v_b", "v_a"),
    "adam_ann": ("m_b", "m_a", "v_b", "v_a"),
}


# --------------------------------------------------------------------------- optimisers

class LaggedRMSprop(Optimizer):
    r"""RMSProp as the lesson's ``rmsprop`` sheet computes it.

    .. math::
        p_t &= p_{t-1} - \gamma\, g_t / \sqrt{v_{t-1}} \\
        v_t &= \alpha v_{t-1} + (1 - \alpha)\, g_t^2

    with :math:`v_0` = ``square_avg_init`` (the sheet's reset starts at 10000).

    How it differs from :class:`torch.optim.RMSprop`: torch first updates
    :math:`v_t` and then divides by :math:`\sqrt{v_t} + \epsilon`; the sheet
    divides by the square root of the *previous* row's average and has no
    epsilon.  The operations are evaluated in the sheet's order,
    ``p - (g * lr) / sqrt(v)`` and ``v * alpha + g^2 * (1 - alpha)``.
    """

    def __init__(self, params, lr: float = 0.02, alpha: float = 0.9, square_avg_init: float = 1e4):
        if lr < 0:
            raise ValueError(f"invalid learning rate: {lr}")
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"invalid alpha: {alpha}")
        if square_avg_init <= 0:
            raise ValueError(f"square_avg_init must be positive (the first step divides by its root): {square_avg_init}")
        super().__init__(params, {"lr": lr, "alpha": alpha, "square_avg_init": square_avg_init})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, alpha = group["lr"], group["alpha"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "square_avg" not in state:
                    state["square_avg"] = torch.full_like(p, group["square_avg_init"])
                v = state["square_avg"]
                g = p.grad
                p.sub_(g.mul(lr).div_(v.sqrt()))                 # p - (g lr) / sqrt(v_{t-1})
                v.mul_(alpha).add_(g.square().mul_(1 - alpha))   # v alpha + g^2 (1 - alpha)
        return loss


class SheetAdam(Optimizer):
    r"""Adam as the lesson's ``adam`` sheets compute it: no bias correction, no epsilon.

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        p_t &= p_{t-1} - \gamma\, m_t / \sqrt{v_t}

    How it differs from :class:`torch.optim.Adam`: torch divides m by
    :math:`1 - \beta_1^t` and v by :math:`1 - \beta_2^t` and adds
    :math:`\epsilon` to :math:`\sqrt{v}`; it also updates m with ``lerp``
    (:math:`m + (1 - \beta_1)(g - m)`, the same number rounded differently).
    ``Adam(betas, eps=0)`` with a large seeded ``step`` computes the same rule
    (see :func:`make_optimizer`); this class computes it in the sheet's order of
    operations.  State starts at ``m = m_init``, ``v = v_init`` (with v = 0 a
    zero gradient would give 0/0).
    """

    def __init__(self, params, lr: float = 1.0, betas=(0.9, 0.9), m_init: float = 0.0, v_init: float = 0.0):
        if lr < 0:
            raise ValueError(f"invalid learning rate: {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"invalid betas: {betas}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "m_init": m_init, "v_init": v_init})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, (beta1, beta2) = group["lr"], group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.full_like(p, group["m_init"])
                    state["exp_avg_sq"] = torch.full_like(p, group["v_init"])
                m, v, g = state["exp_avg"], state["exp_avg_sq"], p.grad
                m.mul_(beta1).add_(g.mul(1 - beta1))                  # m beta1 + (1 - beta1) g
                v.mul_(beta2).add_(g.square().mul_(1 - beta2))        # v beta2 + (1 - beta2) g^2
                p.sub_(m.mul(lr).div_(v.sqrt()))                      # p - (m lr) / sqrt(v)
        return loss


class GradRatioAnnealing:
    r"""The ``adam_ann`` sheet's learning-rate annealing, applied after each epoch.

    .. math::
        G &= \textstyle\sum_p \sqrt{v_p} \qquad (\text{avg\_grad2} = \sqrt{v_b} + \sqrt{v_a}) \\
        \text{if } G / G_{prev} > \text{ratio}&: \quad \gamma \leftarrow \gamma / \text{divisor} \\
        \text{if } G < G_{prev}&: \quad G_{prev} \leftarrow G

    (ratio 2, divisor 4 on the sheet; both tests use the old :math:`G_{prev}`).
    ``v`` is read from the optimiser's ``exp_avg_sq`` (Adam) or
    ``square_avg`` (RMSProp) state.  Unlike torch's schedulers it looks at the
    optimiser state, not at a step count or a metric; called like
    ``ReduceLROnPlateau``: ``scheduler.step()`` once per epoch.  Without a
    starting ``prev_grad2`` the first call only records G.
    """

    def __init__(self, optimizer, ratio: float = 2.0, divisor: float = 4.0, prev_grad2: float | None = None):
        self.optimizer = optimizer
        self.ratio = ratio
        self.divisor = divisor
        self.prev_grad2 = prev_grad2
        self.last_grad2: float | None = None

    def grad2(self) -> float:
        total = 0.0
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                state = self.optimizer.state.get(p, {})
                v = state.get("exp_avg_sq", state.get("square_avg"))
                if v is None:
                    raise RuntimeError("GradRatioAnnealing needs an optimiser with a squared-gradient average")
                for value in v.detach().reshape(-1).tolist():
                    total += math.sqrt(value)
        return total

    def step(self) -> bool:
        """Apply the rule; True when the learning rate was cut."""
        g = self.grad2()
        self.last_grad2 = g
        cut = False
        if self.prev_grad2 is None:
            self.prev_grad2 = g
            return False
        if g / self.prev_grad2 > self.ratio:
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] / self.divisor
            cut = True
        if g < self.prev_grad2:
            self.prev_grad2 = g
        return cut

    def state_dict(self) -> dict:
        return {"ratio": self.ratio, "divisor": self.divisor, "prev_grad2": self.prev_grad2}

    def load_state_dict(self, state: dict) -> None:
        self.ratio, self.divisor, self.prev_grad2 = state["ratio"], state["divisor"], state["prev_grad2"]


# --------------------------------------------------------------------------- the model and one pass

class Line(nn.Module):
    """``y = a x + b`` with the two parameters in the sheets' column order (b, a)."""

    def __init__(self, a: float = 1.0, b: float = 1.0, device="cpu", dtype="float64"):
        super().__init__()
        device, dtype = resolve_device(device), resolve_dtype(dtype)
        self.b = nn.Parameter(torch.tensor(float(b), device=device, dtype=dtype))
        self.a = nn.Parameter(torch.tensor(float(a), device=device, dtype=dtype))

    def forward(self, x):
        return self.a * x + self.b

    def params_ba(self) -> list:
        return [self.b, self.a]


def neutral_adam_step(betas) -> int:
    """A ``step`` count at which torch's Adam bias corrections ``1 - beta**step`` are exactly 1.0.

    In float64 ``1 - beta**t == 1`` once ``beta**t < 2**-54``.  2**24 is
    exactly representable in the float32 ``step`` tensor and suffices for any
    beta below 0.999998.
    """
    step = 1 << 24
    for beta in betas:
        if beta > 0 and 1.0 - beta ** float(step + 1) != 1.0:
            raise ValueError(f"beta {beta} is too close to 1 to neutralise torch's bias correction; "
                             "use impl='custom' (SheetAdam)")
    return step


def make_optimizer(opt: str, model: Line, hp: Hyper | None = None, state: dict | None = None,
                   impl: str = "builtin"):
    """The torch optimiser reproducing optimiser `opt`'s sheet, its state seeded from
    ``state`` (``{"m_b": .., "m_a": .., "v_b": .., "v_a": ..}`` as the sheet names them;
    missing entries start at m = 0 and v = ``hp.v_init``).

    ``impl="builtin"`` uses torch.optim where it can (SGD, Adam); ``"custom"``
    uses :class:`SheetAdam` for the adam sheets.  RMSProp is always
    :class:`LaggedRMSprop` (torch's RMSprop is a different rule).
    """
    opt = canonical_name(opt)
    hp = hp or lesson_hyper(opt)
    if impl not in ("builtin", "custom"):
        raise ValueError(f"impl must be 'builtin' or 'custom', not {impl!r}")
    state = dict(state or {})
    params = model.params_ba()
    names = ("b", "a")
    like = params[0]

    def value(key, default):
        return torch.full_like(like, float(state.get(key, default))).detach()

    if opt == "sgd":
        return torch.optim.SGD(params, lr=hp.lr)
    if opt == "momentum":
        optimizer = torch.optim.SGD(params, lr=hp.lr, momentum=hp.beta1, dampening=hp.beta1)
        for p, n in zip(params, names):
            # seeded, so torch dampens from the first step (an empty buffer would take g undamped)
            optimizer.state[p]["momentum_buffer"] = value(f"m_{n}", 0.0)
        return optimizer
    if opt == "rmsprop":
        optimizer = LaggedRMSprop(params, lr=hp.lr, alpha=hp.beta2, square_avg_init=hp.v_init)
        for p, n in zip(params, names):
            optimizer.state[p]["square_avg"] = value(f"v_{n}", hp.v_init)
        return optimizer
    betas = (hp.beta1, hp.beta2)
    if impl == "custom":
        optimizer = SheetAdam(params, lr=hp.lr, betas=betas, m_init=0.0, v_init=hp.v_init)
    else:
        optimizer = torch.optim.Adam(params, lr=hp.lr, betas=betas, eps=0.0)
        step = neutral_adam_step(betas)
        scalar = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
        for p in params:
            optimizer.state[p]["step"] = torch.tensor(float(step), dtype=scalar)
    for p, n in zip(params, names):
        optimizer.state[p]["exp_avg"] = value(f"m_{n}", 0.0)
        optimizer.state[p]["exp_avg_sq"] = value(f"v_{n}", hp.v_init)
    return optimizer


def optimizer_state(opt: str, optimizer, model: Line) -> dict[str, float]:
    """The optimiser's state under the sheet's names (``m_b``, ``m_a``, ``v_b``, ``v_a``)."""
    out = {}
    for p, n in zip(model.params_ba(), ("b", "a")):
        st = optimizer.state.get(p, {})
        if opt == "momentum":
            out[f"m_{n}"] = float(st["momentum_buffer"])
        elif opt == "rmsprop":
            out[f"v_{n}"] = float(st["square_avg"])
        elif opt in ("adam", "adam_ann"):
            out[f"m_{n}"] = float(st["exp_avg"])
            out[f"v_{n}"] = float(st["exp_avg_sq"])
    return {k: out[k] for k in STATE_KEYS[opt]}


#: The row columns a pass records, named as the mirror's :class:`~.mirror.Sweep` names them.
ROW_KEYS = ("b", "a", "pred", "err2", "g_b", "g_a", "new_b", "new_a")


def run_pass(opt: str, model: Line, optimizer, x, y) -> dict[str, list[float]]:
    """One recalculation of an optimiser sheet, with the copy-back rule.

    Every row takes an ordinary optimiser step on its own point's loss; the
    last row's step is taken too (so its state update is kept) and then its
    parameter update is undone.  Returns the row columns (inputs b, a, the
    prediction, squared error, gradients, the updated new_b/new_a each row
    computed, and the state after each row).
    """
    keys = ROW_KEYS + STATE_KEYS[opt]
    rows: dict[str, list[float]] = {k: [] for k in keys}
    n = len(x)
    for i in range(n):
        b_in, a_in = model.b.detach().clone(), model.a.detach().clone()
        optimizer.zero_grad(set_to_none=True)
        pred = model(x[i])
        err2 = (pred - y[i]) ** 2
        err2.backward()
        optimizer.step()
        rows["b"].append(float(b_in))
        rows["a"].append(float(a_in))
        rows["pred"].append(float(pred.detach()))
        rows["err2"].append(float(err2.detach()))
        rows["g_b"].append(float(model.b.grad))
        rows["g_a"].append(float(model.a.grad))
        rows["new_b"].append(float(model.b.detach()))
        rows["new_a"].append(float(model.a.detach()))
        for k, v in optimizer_state(opt, optimizer, model).items():
            rows[k].append(v)
        if i == n - 1:
            with torch.no_grad():           # the copy-back rule: the last row's update is thrown away
                model.b.copy_(b_in)
                model.a.copy_(a_in)
    return rows


# --------------------------------------------------------------------------- reset and epochs

@dataclass
class SheetRun:
    """A sheet after ``reset`` (index 0) and after each of ``epochs`` onestep macros (index e).

    ``a``, ``b``: the header parameters; ``state[name]``: the pasted state
    (``m_b`` ...); ``lr``: the learning rate in the header; ``prev_grad2``
    (adam_ann): the annealing's reference value -- all shape (epochs + 1,).
    ``rows[col]``: shape (epochs + 1, n), what the sheet's rows show at that
    point (``rows["new_b"][e]`` ...); ``error``: sqrt of the summed squared
    errors of those rows (the ``basic`` sheet's F33, which its macro logs).
    """

    optimizer: str
    hyper: Hyper
    a: np.ndarray
    b: np.ndarray
    lr: np.ndarray
    state: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    error: np.ndarray
    prev_grad2: np.ndarray | None = None
    impl: str = "builtin"
    device: str = "cpu"
    dtype: str = "float64"
    extras: dict = field(default_factory=dict)


def _hyper(opt: str, hp: Hyper | None, changes: dict) -> Hyper:
    hp = hp or lesson_hyper(opt, **changes)
    if hp.copy_updated or hp.rmsprop_current or hp.bias_correction or hp.eps:
        raise ValueError(f"{opt}: the torch reference follows the lesson's rules only "
                         f"(no copy_updated / rmsprop_current / bias_correction / eps)")
    return hp


def _anneals(opt: str, hp: Hyper) -> bool:
    return opt == "adam_ann" and hp.anneal


def _data(x, y, device, dtype):
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of one length (got {x.size} and {y.size})")
    tx, ty = as_tensor(x, device, dtype), as_tensor(y, device, dtype)
    return list(tx.unbind()), list(ty.unbind())


def _one_pass_state(opt, hp, xs, ys, state, impl, device, dtype) -> dict[str, float]:
    model = Line(hp.start[1], hp.start[0], device, dtype)
    optimizer = make_optimizer(opt, model, hp, state, impl)
    run_pass(opt, model, optimizer, xs, ys)
    return optimizer_state(opt, optimizer, model)


def reset_state(opt: str, x, y, hp: Hyper | None = None, *, impl: str = "builtin", device="cpu",
                dtype="float64", **changes) -> tuple[dict, float | None]:
    """The sheet's ``reset`` warm-up: the optimiser state (and adam_ann's
    prev_grad2) with which epoch 1 starts.  Passes run from the start values
    (a, b) at the run's learning rate; see the module docstring for the recipe.
    ``changes`` (lr=, beta1= ...) adjust the lesson's hyperparameters when no
    ``hp`` is given."""
    opt = canonical_name(opt)
    hp = _hyper(opt, hp, changes)
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    xs, ys = _data(x, y, device, dtype)

    def one(state):
        return _one_pass_state(opt, hp, xs, ys, state, impl, device, dtype)

    zeros_m = {"m_b": 0.0, "m_a": 0.0}
    start_v = {"v_b": hp.v_init, "v_a": hp.v_init}
    if opt == "sgd":
        return {}, None
    if opt == "momentum":
        return one(zeros_m), None
    if opt == "rmsprop":
        return one(one(start_v)), None
    if opt == "adam":
        state = {**zeros_m, **start_v}
        for _ in range(2):
            after = one(state)
            state = {**state, "v_b": after["v_b"], "v_a": after["v_a"]}
            after = one(state)
            state = {**state, "m_b": after["m_b"], "m_a": after["m_a"]}
        return state, None
    # adam_ann (manual recalculation): two full passes; prev_grad2 is left at pass 1's value
    first = one({**zeros_m, **start_v})
    prev = math.sqrt(first["v_b"]) + math.sqrt(first["v_a"])
    return one(first), prev


def train_sheet(opt: str, x, y, epochs: int = 5, hp: Hyper | None = None, *, reset: bool = True,
                state: dict | None = None, prev_grad2: float | None = None, a: float | None = None,
                b: float | None = None, impl: str = "builtin", device="cpu", dtype="float64",
                **changes) -> SheetRun:
    """``reset`` (unless ``reset=False``: then ``state``, default m = 0 and
    v = v_init, ``prev_grad2``, and ``a``, ``b`` -- default the start values --
    are used as given) followed by ``epochs`` onestep macros of optimiser
    ``opt`` (``"sgd"`` or its sheet's name ``"basic"``, ``"momentum"`` ...) on the
    points ``x``, ``y``.  ``hp`` defaults to the lesson's hyperparameters with
    ``changes`` (lr=, beta1=, beta2=, v_init=) applied.

    >>> run = train_sheet("basic", x, y)          # doctest: +SKIP
    >>> run.b[5]                                   # 1.275463 on the lesson's data
    """
    if epochs < 0:
        raise ValueError("epochs must be >= 0")
    opt = canonical_name(opt)
    hp = _hyper(opt, hp, changes)
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    xs, ys = _data(x, y, device, dtype)
    if reset:
        state, prev_grad2 = reset_state(opt, x, y, hp, impl=impl, device=device, dtype=dtype)
    else:
        state = dict(state or {})
    a = hp.start[1] if a is None or reset else a
    b = hp.start[0] if b is None or reset else b
    model = Line(a, b, device, dtype)
    optimizer = make_optimizer(opt, model, hp, state, impl)
    annealer = (GradRatioAnnealing(optimizer, hp.anneal_ratio, hp.anneal_factor, prev_grad2)
                if _anneals(opt, hp) else None)

    keys = STATE_KEYS[opt]
    A, B, LR, PREV = [a], [b], [hp.lr], [prev_grad2]
    S = {k: [optimizer_state(opt, optimizer, model)[k]] for k in keys} if keys else {}
    rows = []
    for e in range(epochs + 1):         # the last pass only shows the rows after the final epoch
        rows.append(run_pass(opt, model, optimizer, xs, ys))
        if e == epochs:
            break
        if annealer is not None:
            annealer.step()
        A.append(float(model.a.detach()))
        B.append(float(model.b.detach()))
        LR.append(optimizer.param_groups[0]["lr"])
        PREV.append(annealer.prev_grad2 if annealer is not None else None)
        for k, v in optimizer_state(opt, optimizer, model).items():
            S[k].append(v)
    row_arrays = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    error = np.sqrt(row_arrays["err2"].sum(axis=1))
    return SheetRun(optimizer=opt, hyper=hp, a=np.array(A), b=np.array(B), lr=np.array(LR),
                    state={k: np.array(v) for k, v in S.items()}, rows=row_arrays, error=error,
                    prev_grad2=np.array(PREV, dtype=np.float64) if _anneals(opt, hp) else None,
                    impl=impl, device=str(device), dtype=str(dtype).replace("torch.", ""))


# --------------------------------------------------------------------------- the gradient, four ways
#
# The gradient of the lesson's loss four ways: torch autograd, the analytic
# formula, forward and central finite differences -- and ``gradcheck``.
#
# The lesson fits ``y = a x + b`` one point at a time; the loss of point i is::
#
#     e_i(a, b) = (a x_i + b - y_i)^2
#     de_i/db   = 2 (a x_i + b - y_i)                 (the sheets' de/db column)
#     de_i/da   = x_i * de_i/db                       (de/da)
#
# The ``basic`` sheet also estimates them by a forward difference with
# h = 0.01::
#
#     est de/db = (e(a, b + h) - e(a, b)) / h  =  de/db + h          exactly, in real arithmetic
#     est de/da = (e(a + h, b) - e(a, b)) / h  =  de/da + h x^2
#
# (e is quadratic: ((r + d)^2 - r^2)/h = 2 r d/h + d^2/h).  A central
# difference ``(e(p + h) - e(p - h)) / 2h`` is exact on a quadratic up to
# rounding.  Every function here is per point: ``a``, ``b`` may be scalars or
# one value per point (the parameters going *into* each row of a sheet), and the
# results are numpy arrays of one gradient per point.

SHEET_H = 0.01          # the basic sheet's finite-difference step


def _inputs(a, b, x, y, device, dtype):
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), shape)
    b = np.broadcast_to(np.asarray(b, dtype=np.float64), shape)
    y = np.broadcast_to(np.asarray(y, dtype=np.float64), shape)
    return (as_tensor(a, device, dtype), as_tensor(b, device, dtype),
            as_tensor(x, device, dtype), as_tensor(y, device, dtype))


def line_loss(a, b, x, y):
    """``e = (a x + b - y)^2`` on tensors, per point (the sheets' err^2 column)."""
    return (a * x + b - y) ** 2


def loss(a, b, x, y, device="cpu", dtype="float64") -> np.ndarray:
    """The per-point squared error as a numpy array."""
    return to_numpy(line_loss(*_inputs(a, b, x, y, device, dtype)))


def gradients_autograd(a, b, x, y, device="cpu", dtype="float64") -> tuple[np.ndarray, np.ndarray]:
    """``(de/db, de/da)`` per point by ``torch.autograd``.

    Each point gets its own leaf copies of a and b, so one backward pass of
    ``sum(e)`` yields every point's own gradient (``d sum_j e_j / d b_i = de_i/db_i``).
    """
    ta, tb, tx, ty = _inputs(a, b, x, y, device, dtype)
    ta.requires_grad_(True)
    tb.requires_grad_(True)
    line_loss(ta, tb, tx, ty).sum().backward()
    return to_numpy(tb.grad), to_numpy(ta.grad)


def gradients_analytic(a, b, x, y, device="cpu", dtype="float64") -> tuple[np.ndarray, np.ndarray]:
    """``(de/db, de/da) = (2 (a x + b - y), x * de/db)`` written out."""
    ta, tb, tx, ty = _inputs(a, b, x, y, device, dtype)
    de_db = 2 * (ta * tx + tb - ty)
    return to_numpy(de_db), to_numpy(de_db * tx)


def gradients_forward_difference(a, b, x, y, h: float = SHEET_H, device="cpu",
                                 dtype="float64") -> tuple[np.ndarray, np.ndarray]:
    """The ``basic`` sheet's estimates, evaluated in the sheet's order::

        err   = (y - (b + a x))^2
        errb1 = (((b + h) + x a) - y)^2        est de/db = (errb1 - err) / h
        erra1 = (((a + h) x + b) - y)^2        est de/da = (erra1 - err) / h

    Overestimates de/db by h and de/da by h x^2 (plus rounding: ulp(e)/h).
    """
    ta, tb, tx, ty = _inputs(a, b, x, y, device, dtype)
    err = (ty - (tb + ta * tx)) ** 2
    errb1 = (((tb + h) + tx * ta) - ty) ** 2
    erra1 = (((ta + h) * tx + tb) - ty) ** 2
    return to_numpy((errb1 - err) / h), to_numpy((erra1 - err) / h)


def gradients_central_difference(a, b, x, y, h: float = SHEET_H, device="cpu",
                                 dtype="float64") -> tuple[np.ndarray, np.ndarray]:
    """``(e(p + h) - e(p - h)) / 2h`` for p = b and p = a: exact on this quadratic up to rounding."""
    ta, tb, tx, ty = _inputs(a, b, x, y, device, dtype)
    db = (line_loss(ta, tb + h, tx, ty) - line_loss(ta, tb - h, tx, ty)) / (2 * h)
    da = (line_loss(ta + h, tb, tx, ty) - line_loss(ta - h, tb, tx, ty)) / (2 * h)
    return to_numpy(db), to_numpy(da)


def gradcheck(a, b, x, y, device="cpu", eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """``torch.autograd.gradcheck`` of ``(a, b) -> e`` (all points' losses) at the given scalar a, b.

    gradcheck compares autograd's Jacobian with central differences of step
    ``eps``; it needs float64, so this always runs in float64.  Raises
    ``torch.autograd.gradcheck.GradcheckError`` on a mismatch, returns True otherwise.
    """
    device = resolve_device(device)
    tx = as_tensor(x, device, "float64")
    ty = as_tensor(y, device, "float64")
    ta = torch.tensor(float(a), dtype=torch.float64, device=device, requires_grad=True)
    tb = torch.tensor(float(b), dtype=torch.float64, device=device, requires_grad=True)
    return torch.autograd.gradcheck(lambda p, q: line_loss(p, q, tx, ty), (ta, tb), eps=eps, atol=atol,
                                    rtol=rtol, raise_exception=True)
