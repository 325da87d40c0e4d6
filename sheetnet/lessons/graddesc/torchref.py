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

Inputs and outputs are plain: numpy arrays or floats in, a :class:`SheetRun`
of per-epoch numpy arrays out, so the numpy mirror and the engine's values can
be compared with it directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .devices import as_tensor, require_torch, resolve_device, resolve_dtype

torch = require_torch()
nn = torch.nn
Optimizer = torch.optim.Optimizer

SHEETS = ("basic", "momentum", "rmsprop", "adam", "adam_ann")

# Names of each sheet's optimiser state, as (state key in the torch optimiser, [b name, a name]).
STATE_KEYS = {
    "basic": (),
    "momentum": ("m_b", "m_a"),
    "rmsprop": ("v_b", "v_a"),
    "adam": ("m_b", "m_a", "v_b", "v_a"),
    "adam_ann": ("m_b", "m_a", "v_b", "v_a"),
}


@dataclass(frozen=True)
class SheetConfig:
    """One sheet's hyperparameters (the workbook's values after its ``reset``)."""

    sheet: str
    lr: float
    beta1: float = 0.9          # momentum / Adam's m
    beta2: float = 0.9          # RMSProp / Adam's v
    m_init: float = 0.0         # where reset starts m
    v_init: float = 1e4         # where reset starts v
    anneal: bool = False


DEFAULTS = {
    "basic": SheetConfig("basic", lr=1e-4),
    "momentum": SheetConfig("momentum", lr=1e-4),
    "rmsprop": SheetConfig("rmsprop", lr=0.02),
    "adam": SheetConfig("adam", lr=1.0),
    "adam_ann": SheetConfig("adam_ann", lr=1.0, beta2=0.95, anneal=True),
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


def make_optimizer(sheet: str, model: Line, config: SheetConfig, state: dict | None = None,
                   impl: str = "builtin"):
    """The torch optimiser reproducing ``sheet``, its state seeded from ``state``
    (``{"m_b": .., "m_a": .., "v_b": .., "v_a": ..}`` as the sheet names them;
    missing entries start at ``config.m_init`` / ``config.v_init``).

    ``impl="builtin"`` uses torch.optim where it can (SGD, Adam); ``"custom"``
    uses :class:`SheetAdam` for the adam sheets.  RMSProp is always
    :class:`LaggedRMSprop` (torch's RMSprop is a different rule).
    """
    if sheet not in SHEETS:
        raise ValueError(f"unknown sheet {sheet!r} (one of {', '.join(SHEETS)})")
    if impl not in ("builtin", "custom"):
        raise ValueError(f"impl must be 'builtin' or 'custom', not {impl!r}")
    state = dict(state or {})
    params = model.params_ba()
    names = ("b", "a")
    like = params[0]

    def value(key, default):
        return torch.full_like(like, float(state.get(key, default))).detach()

    if sheet == "basic":
        return torch.optim.SGD(params, lr=config.lr)
    if sheet == "momentum":
        opt = torch.optim.SGD(params, lr=config.lr, momentum=config.beta1, dampening=config.beta1)
        for p, n in zip(params, names):
            # seeded, so torch dampens from the first step (an empty buffer would take g undamped)
            opt.state[p]["momentum_buffer"] = value(f"m_{n}", config.m_init)
        return opt
    if sheet == "rmsprop":
        opt = LaggedRMSprop(params, lr=config.lr, alpha=config.beta2, square_avg_init=config.v_init)
        for p, n in zip(params, names):
            opt.state[p]["square_avg"] = value(f"v_{n}", config.v_init)
        return opt
    betas = (config.beta1, config.beta2)
    if impl == "custom":
        opt = SheetAdam(params, lr=config.lr, betas=betas, m_init=config.m_init, v_init=config.v_init)
    else:
        opt = torch.optim.Adam(params, lr=config.lr, betas=betas, eps=0.0)
        step = neutral_adam_step(betas)
        scalar = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
        for p in params:
            opt.state[p]["step"] = torch.tensor(float(step), dtype=scalar)
    for p, n in zip(params, names):
        opt.state[p]["exp_avg"] = value(f"m_{n}", config.m_init)
        opt.state[p]["exp_avg_sq"] = value(f"v_{n}", config.v_init)
    return opt


def optimizer_state(sheet: str, opt, model: Line) -> dict[str, float]:
    """The optimiser's state under the sheet's names (``m_b``, ``m_a``, ``v_b``, ``v_a``)."""
    out = {}
    for p, n in zip(model.params_ba(), ("b", "a")):
        st = opt.state.get(p, {})
        if sheet == "momentum":
            out[f"m_{n}"] = float(st["momentum_buffer"])
        elif sheet == "rmsprop":
            out[f"v_{n}"] = float(st["square_avg"])
        elif sheet in ("adam", "adam_ann"):
            out[f"m_{n}"] = float(st["exp_avg"])
            out[f"v_{n}"] = float(st["exp_avg_sq"])
    return {k: out[k] for k in STATE_KEYS[sheet]}


ROW_KEYS = ("b", "a", "pred", "err2", "grad_b", "grad_a", "new_b", "new_a")


def run_pass(sheet: str, model: Line, opt, x, y) -> dict[str, list[float]]:
    """One recalculation of an optimiser sheet, with the copy-back rule.

    Every row takes an ordinary optimiser step on its own point's loss; the
    last row's step is taken too (so its state update is kept) and then its
    parameter update is undone.  Returns the row columns (inputs b, a, the
    prediction, squared error, gradients, the updated new_b/new_a each row
    computed, and the state after each row).
    """
    keys = ROW_KEYS + STATE_KEYS[sheet]
    rows: dict[str, list[float]] = {k: [] for k in keys}
    n = len(x)
    for i in range(n):
        b_in, a_in = model.b.detach().clone(), model.a.detach().clone()
        opt.zero_grad(set_to_none=True)
        pred = model(x[i])
        err2 = (pred - y[i]) ** 2
        err2.backward()
        opt.step()
        rows["b"].append(float(b_in))
        rows["a"].append(float(a_in))
        rows["pred"].append(float(pred.detach()))
        rows["err2"].append(float(err2.detach()))
        rows["grad_b"].append(float(model.b.grad))
        rows["grad_a"].append(float(model.a.grad))
        rows["new_b"].append(float(model.b.detach()))
        rows["new_a"].append(float(model.a.detach()))
        for k, v in optimizer_state(sheet, opt, model).items():
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

    sheet: str
    config: SheetConfig
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


def _config(sheet: str, lr=None, beta1=None, beta2=None, v_init=None, m_init=None) -> SheetConfig:
    if sheet not in DEFAULTS:
        raise ValueError(f"unknown sheet {sheet!r} (one of {', '.join(SHEETS)})")
    cfg = DEFAULTS[sheet]
    changes = {k: float(v) for k, v in dict(lr=lr, beta1=beta1, beta2=beta2, v_init=v_init, m_init=m_init).items()
               if v is not None}
    return replace(cfg, **changes)


def _data(x, y, device, dtype):
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of one length (got {x.size} and {y.size})")
    tx, ty = as_tensor(x, device, dtype), as_tensor(y, device, dtype)
    return list(tx.unbind()), list(ty.unbind())


def _one_pass_state(sheet, cfg, xs, ys, state, a, b, impl, device, dtype) -> dict[str, float]:
    model = Line(a, b, device, dtype)
    opt = make_optimizer(sheet, model, cfg, state, impl)
    run_pass(sheet, model, opt, xs, ys)
    return optimizer_state(sheet, opt, model)


def reset_state(sheet: str, x, y, *, a: float = 1.0, b: float = 1.0, lr=None, beta1=None, beta2=None,
                v_init=None, impl: str = "builtin", device="cpu", dtype="float64") -> tuple[dict, float | None]:
    """The sheet's ``reset`` warm-up: the optimiser state (and adam_ann's
    prev_grad2) with which epoch 1 starts.  Passes run from the header (a, b)
    at the run's learning rate; see the module docstring for the recipe."""
    cfg = _config(sheet, lr, beta1, beta2, v_init)
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    xs, ys = _data(x, y, device, dtype)

    def one(state):
        return _one_pass_state(sheet, cfg, xs, ys, state, a, b, impl, device, dtype)

    zeros_m = {"m_b": cfg.m_init, "m_a": cfg.m_init}
    start_v = {"v_b": cfg.v_init, "v_a": cfg.v_init}
    if sheet == "basic":
        return {}, None
    if sheet == "momentum":
        return one(zeros_m), None
    if sheet == "rmsprop":
        return one(one(start_v)), None
    if sheet == "adam":
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


def train_sheet(sheet: str, x, y, epochs: int = 5, *, lr=None, beta1=None, beta2=None, v_init=None,
                a: float = 1.0, b: float = 1.0, reset: bool = True, state: dict | None = None,
                prev_grad2: float | None = None, impl: str = "builtin", device="cpu",
                dtype="float64") -> SheetRun:
    """``reset`` (unless ``reset=False``: then ``state``, default m = 0 and
    v = v_init, and ``prev_grad2`` are used as given) followed by ``epochs``
    onestep macros of ``sheet`` on the points ``x``, ``y``.

    >>> run = train_sheet("basic", x, y)          # doctest: +SKIP
    >>> run.b[5]                                   # 1.275463 on the lesson's data
    """
    if epochs < 0:
        raise ValueError("epochs must be >= 0")
    cfg = _config(sheet, lr, beta1, beta2, v_init)
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    xs, ys = _data(x, y, device, dtype)
    if reset:
        state, prev_grad2 = reset_state(sheet, x, y, a=a, b=b, lr=cfg.lr, beta1=cfg.beta1, beta2=cfg.beta2,
                                        v_init=cfg.v_init, impl=impl, device=device, dtype=dtype)
    else:
        state = dict(state or {})
    model = Line(a, b, device, dtype)
    opt = make_optimizer(sheet, model, cfg, state, impl)
    annealer = GradRatioAnnealing(opt, prev_grad2=prev_grad2) if cfg.anneal else None

    keys = STATE_KEYS[sheet]
    A, B, LR, PREV = [a], [b], [cfg.lr], [prev_grad2]
    S = {k: [optimizer_state(sheet, opt, model)[k]] for k in keys} if keys else {}
    rows = []
    for e in range(epochs + 1):         # the last pass only shows the rows after the final epoch
        rows.append(run_pass(sheet, model, opt, xs, ys))
        if e == epochs:
            break
        if annealer is not None:
            annealer.step()
        A.append(float(model.a.detach()))
        B.append(float(model.b.detach()))
        LR.append(opt.param_groups[0]["lr"])
        PREV.append(annealer.prev_grad2 if annealer is not None else None)
        for k, v in optimizer_state(sheet, opt, model).items():
            S[k].append(v)
    row_arrays = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    error = np.sqrt(row_arrays["err2"].sum(axis=1))
    return SheetRun(sheet=sheet, config=cfg, a=np.array(A), b=np.array(B), lr=np.array(LR),
                    state={k: np.array(v) for k, v in S.items()}, rows=row_arrays, error=error,
                    prev_grad2=np.array(PREV, dtype=np.float64) if cfg.anneal else None,
                    impl=impl, device=str(device), dtype=str(dtype).replace("torch.", ""))
