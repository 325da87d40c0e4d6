"""The graddesc lesson's cross-check rows: the gradient (analytic, autograd) at
every row of every epoch block, the basic sheet's forward differences and their
exact excess (h, h x^2), and each optimiser end to end -- parameters, state,
annealed lr and error of every epoch -- as the sheet (read by role), the numpy
macros and torch.optim.

Inputs: the lesson's 29 points with the lesson's hyperparameters, reset +
``setting.epochs`` epochs (default 5, the lesson's ``somesteps``: the published
figures b = 1.275463 / 3.189068 / 24.960098 are those).  Trajectories are end to
end: each form runs its own reset and epochs.  The gradient rows evaluate every
form at the sheet's own row inputs (a, b of every row of every epoch block), so
they compare the gradient formula, not trajectories.
"""

from __future__ import annotations

import numpy as np

from ...crosscheck import (DEFAULT_EPOCHS, EPS32, EPS64, MIRROR, SHEET, TORCH, RowSet, Setting, Tol, arr, declare,
                           tolerance_entry)

declare("graddesc", "gradient", Tol(0.0, 4 * EPS64), Tol(0.0, 4e-6),
        "de/db = 2(ax + b - y), de/da = x de/db: autograd evaluates the sheet's operations in the sheet's "
        "order (measured: identical); the allowance covers a fused multiply-add in ax + b on other "
        "hardware. float32 loses digits in the residual ax + b - y (y up to 228; measured 3.9e-7)")
declare("graddesc", "finite_difference", Tol(1e-9), Tol(1.0),
        "(e(p + h) - e(p)) / h with h = 0.01 is evaluated in the sheet's order (measured: identical in "
        "float64); what may differ is a rounding of e, and one ulp of e (up to 2.3e4 here) divided by h "
        "is 3.6e-10. In float32 that ulp / h is 0.2 (measured 0.16): a float32 forward difference with "
        "h = 0.01 has no more than two or three correct digits")
declare("graddesc", "fd_rounding", Tol(0.0, 4 * EPS64), Tol(0.0, 4 * EPS32),
        "relative to S = (max e + 2 (max|r| + h max(1, |x|)) M) / h + max|est|, where e = r^2, r = a x + b - y "
        "and M is the largest term of a residual (|y|, |b| + h, (|a| + h)|x|): (e(p + h) - e(p))/h keeps the "
        "rounding of each e (half an ulp) and of each residual (an ulp or so of M, which moves e by 2|r| times "
        "it), h divides both, and the quotient is rounded once more -- at most about 1.5 eps S per form, 3 eps S "
        "between two. A worst case, not a measurement: on the lesson's data (h = 0.01) it is 7e-9 where 3.7e-10 "
        "is measured (the finite_difference entry, 1e-9, holds only for that data and h). Applies to "
        "the estimates and to their excess over the analytic gradient (h and h x^2)")
declare("graddesc", "parameters", Tol(0.0, 1e-13), Tol(0.0, 5e-5),
        "a, b after up to 5 epochs (header and new b/new a columns): torch's SGD adds -lr g with "
        "alpha (a fused multiply-add), Adam uses lerp and addcdiv, and torch's float64 sqrt is not "
        "correctly rounded (1 ulp off for ~1.3% of inputs): each row differs by an ulp and 145 rows "
        "carry it (measured up to 6.5e-15 relative, Adam at lr = 1). float32 accumulates 24-bit "
        "rounding over 145 steps (measured 4.4e-6 for Adam)")
declare("graddesc", "parameters_long", Tol(0.0, 5e-11), Tol(0.0, 1e-3),
        "a, b after the lesson workbook's saved runs (adam: 20 epochs, adam_ann: 25 epochs, where the fit is "
        "nearly exact and the residuals cancel), torch end to end against Excel's values: the same ulps "
        "amplified (measured 3.4e-12 relative; the float64 numpy replay itself is 8e-14 from Excel's values "
        "there); float32 1.1e-4. crosscheck's long runs do not use it: see LONG_RUNS")
declare("graddesc", "state", Tol(0.0, 1e-12), Tol(0.0, 2e-4),
        "optimiser state after up to 5 epochs (momentum m, RMSProp/Adam v), each column on its own scale: "
        "m relative to the larger of its own largest value and the run's largest gradient |g| of that "
        "parameter, v to the larger of its largest value and |g|^2 -- m and v inherit the gradient's "
        "differences (the parameters' ulps times x and x^2, see parameters), which scale with |g|, not with m "
        "itself, small near the optimum. Measured 4.8e-14 for adam_ann's m_b on the lesson's data, 7.3e-15 "
        "worst over 600 random data sets, 1.25e-13 for one that hypothesis found (adam_ann, betas 0.5, lr 1.63, "
        "v_start 198, all y equal: v grows to 9e6 and each row's ulp of it is carried on); float32 2e-5")
declare("graddesc", "error", Tol(0.0, 16 * EPS64), Tol(0.0, 2e-6),
        "sqrt of the summed squared errors of 29 rows (basic F33): the sum's order differs "
        "(measured exact to the 9 digits the lesson logs); float32 measured 1.8e-7")
declare("graddesc", "error_trajectory", Tol(0.0, 1e-12), Tol(0.0, 3e-4),
        "the error of each epoch (SQRT(SUM(err^2))) when each form computes it on its own trajectory: the "
        "residuals a x + b - y carry the parameters' differences (up to 1e-13 relative, see parameters) "
        "times x, and the error moves by at most their norm; relative to the run's largest error, measured "
        "6e-14 (adam_ann, 5 epochs of the lesson's data; basic/momentum/rmsprop 2e-16). float32 measured "
        "2.6e-5 (adam_ann)")

#: Why runs longer than the lesson's 5 epochs compare torch one epoch at a time.
LONG_RUNS = (
    "past 5 epochs torch runs each epoch from the sheet's state going into it (a, b, m, v, lr, prev_grad2: "
    "the mirror's, which equals the sheet's bit for bit, as the sheet-mirror column shows), so every "
    "tolerance is that of at most 5 epochs, however long the run. End to end the trajectories are not "
    "comparable: near the optimum Adam's step lr m/sqrt(v) keeps its size whatever the gradient's, so the "
    "sign of residual sums that cancel decides each step and one ulp grows (adam_ann, float64: 4e-9 relative "
    "in b after 34 epochs, its error 7.8e-6 apart at 0.15), and the annealing's test G/G_prev > 2 then flips "
    "(epoch 59 of 100: lr 1.5e-11 in one form, 9.1e-13 in the other) -- two different runs from there; "
    "float32 after 20 epochs: 1e-4 relative in b, errors 0.34 apart. The sheet and the mirror are still "
    "compared end to end, bit for bit")

#: What each optimiser's torch form is.
TORCH_FORMS = {"sgd": "optim.SGD", "momentum": "optim.SGD(momentum)", "rmsprop": "LaggedRMSprop",
               "adam": "optim.Adam(eps=0)", "adam_ann": "optim.Adam+GradRatioAnnealing"}


def mirror_epochs(opt: str, x, y, hp, epochs: int):
    """The numpy macros: reset, then the sweep and onestep of each epoch.  Returns the
    state going into each epoch block and each block's sweep."""
    from . import mirror as M

    states, sweeps = [], []
    state = M.reset(opt, x, y, hp)
    for k in range(epochs + 1):
        states.append(state)
        sweeps.append(M.sweep(opt, state, x, y, hp))
        if k < epochs:
            state = M.onestep(opt, state, x, y, hp)
    return states, sweeps


def stepwise_torch(opt: str, x, y, hp, states, **kw):
    """torch's reset and first pass, then each epoch k >= 1 run by torch from the state going into
    epoch k - 1 (`states`, the mirror's = the sheet's): a SheetRun-shaped record (LONG_RUNS)."""
    from dataclasses import replace

    from . import torchref as T

    first = T.train_sheet(opt, x, y, 0, hp, **kw)
    a, b, lr, error = [first.a[0]], [first.b[0]], [first.lr[0]], [first.error[0]]
    state = {k: [v[0]] for k, v in first.state.items()}
    rows = {k: [v[0]] for k, v in first.rows.items()}
    for s in states[:-1]:
        given = {"m_b": s.m[0], "m_a": s.m[1], "v_b": s.v[0], "v_a": s.v[1]}
        prev = None if s.prev_grad2 != s.prev_grad2 else s.prev_grad2        # NaN: none yet
        one = T.train_sheet(opt, x, y, 1, replace(hp, lr=s.lr), reset=False, state=given, prev_grad2=prev,
                            a=s.a, b=s.b, **kw)
        a.append(one.a[1]), b.append(one.b[1]), lr.append(one.lr[1]), error.append(one.error[1])
        for k in state:
            state[k].append(one.state[k][1])
        for k in rows:
            rows[k].append(one.rows[k][1])
    return replace(first, a=np.array(a), b=np.array(b), lr=np.array(lr), error=np.array(error),
                   state={k: np.array(v) for k, v in state.items()}, rows={k: np.array(v) for k, v in rows.items()})


def rows(setting: Setting, x=None, y=None, hypers=None, workbook=None) -> RowSet:
    """The graddesc rows for data ``x``, ``y`` (default the lesson's 29 points) and
    ``hypers`` ({optimiser: :class:`~.mirror.Hyper`}, default the lesson's, for every
    optimiser).  ``workbook=(engine, roles)``: an already recalculated workbook of
    those data and hyperparameters (set through its cells), else one is built."""
    from ...engine import Engine
    from . import mirror as M
    from . import torchref as T
    from .inputs import lesson_data
    from .sheet import build_book, split_epochs

    epochs = setting.epochs
    if x is None or y is None:
        x, y = lesson_data()
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    hypers = dict(hypers) if hypers is not None else {opt: M.lesson_hyper(opt) for opt in M.OPTIMIZERS}
    if workbook is None:
        built = build_book(x, y, epochs, tuple(hypers), hypers)
        engine, roles = Engine(built.book).recalc(), built.roles
    else:
        engine, roles = workbook
    shape = (roles["summary", "epoch"].area.height - 1, roles["data", "x"].area.height)
    if shape != (epochs, x.size):
        raise ValueError(f"the workbook has {shape[0]} epochs of {shape[1]} points, not {epochs} of {x.size}")
    sheets = {opt: M.SHEET_NAMES[opt] for opt in M.OPTIMIZERS if (M.SHEET_NAMES[opt], "epochs.b") in roles}
    kw = dict(device=setting.device, dtype=setting.dtype)
    out = RowSet("graddesc", setting)
    long = epochs > DEFAULT_EPOCHS          # torch one epoch at a time from the sheet's state (LONG_RUNS)

    def column(opt, key):
        return split_epochs(roles.values(engine, sheets[opt], f"epochs.{key}"), x.size)

    def rows_of(opt, key) -> np.ndarray:
        """(epochs + 1, P): a column over every epoch block's data rows."""
        return column(opt, key)[1]

    def header(opt, key) -> np.ndarray:
        return column(opt, key)[0]

    def footer(opt) -> np.ndarray:
        return column(opt, "err2")[2]

    # --- gradients at the sheet's own row inputs, every row of every optimiser sheet
    X = np.broadcast_to(x, (epochs + 1, x.size))
    Y = np.broadcast_to(y, (epochs + 1, y.size))
    sb, sa, mb, ma, tb, ta = [], [], [], [], [], []
    for opt in sheets:
        b_in, a_in = rows_of(opt, "b"), rows_of(opt, "a")
        sb.append(rows_of(opt, "g_b"))
        sa.append(rows_of(opt, "g_a"))
        g = M.analytic_gradient(b_in, a_in, X, Y)
        mb.append(g[0])
        ma.append(g[1])
        t = T.gradients_autograd(a_in, b_in, X, Y, **kw)
        tb.append(t[0])
        ta.append(t[1])
    n_sheets = len(sheets)
    out.add("gradient", "de/db, de/da columns of every epoch block of every optimiser sheet", "gradient",
                [("sheet", SHEET, arr(*sb, *sa)), ("mirror", MIRROR, arr(*mb, *ma)),
                 ("autograd", TORCH, arr(*tb, *ta))], shown=f"{2 * n_sheets * (epochs + 1) * x.size} values")

    if "sgd" in sheets:
        b_in, a_in = rows_of("sgd", "b"), rows_of("sgd", "a")
        h = hypers["sgd"].h
        m_fd = M.forward_difference(b_in, a_in, X, Y, h)
        t_fd = T.gradients_forward_difference(a_in, b_in, X, Y, h=h, **kw)
        # the roundings of e and of the residuals, divided by h, set the scale of every fd row
        e_max = float(np.nanmax(np.abs(arr(rows_of("sgd", "err2"), rows_of("sgd", "e_bh"), rows_of("sgd", "e_ah")))))
        r_max = float(np.nanmax(np.abs(a_in * X + b_in - Y)))
        terms = max(float(np.nanmax(np.abs(Y))), float(np.nanmax(np.abs(b_in))) + h,
                    (float(np.nanmax(np.abs(a_in))) + h) * float(np.max(np.abs(x))))
        est = float(np.nanmax(np.abs(arr(rows_of("sgd", "fd_b"), rows_of("sgd", "fd_a")))))
        fd_scale = (e_max + 2 * (r_max + h * max(1.0, float(np.max(np.abs(x))))) * terms) / h + est
        fd = dict(scale=fd_scale, mirror_bound=tolerance_entry("graddesc", "fd_rounding").float64.bound([fd_scale]))
        out.add("forward_difference", [roles["basic", "epochs.fd_b"], roles["basic", "epochs.fd_a"]], "fd_rounding",
                [("sheet", SHEET, arr(rows_of("sgd", "fd_b"), rows_of("sgd", "fd_a"))),
                 ("mirror", MIRROR, arr(*m_fd)), ("torch", TORCH, arr(*t_fd))],
                shown=f"h = {h:g}", **fd,
                mirror_why="the mirror evaluates the sheet's order, but the bound is the fd rounding's (see fd_rounding)")
        t_g = T.gradients_autograd(a_in, b_in, X, Y, **kw)
        excess_why = ("the identity is exact in real numbers; the sheet's est - de/db carries the forward "
                      "difference's rounding (see fd_rounding)")
        out.add("fd_excess_b = h", [roles["basic", "epochs.xs_b"]], "fd_rounding",
                [("sheet", SHEET, rows_of("sgd", "xs_b")),
                 ("identity", MIRROR, np.broadcast_to(M.forward_difference_error(X, h)[0], X.shape)),
                 ("torch fd-autograd", TORCH, t_fd[0] - t_g[0])],
                shown=f"{h:g}", mirror_why=excess_why, **fd)
        out.add("fd_excess_a = h*x^2", [roles["basic", "epochs.xs_a"]], "fd_rounding",
                [("sheet", SHEET, rows_of("sgd", "xs_a")),
                 ("identity", MIRROR, M.forward_difference_error(X, h)[1]),
                 ("torch fd-autograd", TORCH, t_fd[1] - t_g[1])],
                shown=f"{h * x.min() ** 2:g} .. {h * x.max() ** 2:g}", mirror_why=excess_why, **fd)

    # --- each optimiser end to end: reset + epochs, in the three forms
    for opt, sheet in sheets.items():
        hp = hypers[opt]
        states, sweeps = mirror_epochs(opt, x, y, hp, epochs)
        run = stepwise_torch(opt, x, y, hp, states, **kw) if long else T.train_sheet(opt, x, y, epochs, hp, **kw)
        tname = TORCH_FORMS[opt] + (" epoch by epoch" if long else "")
        a_sheet, b_sheet = header(opt, "a"), header(opt, "b")
        out.add(f"{sheet}.parameters", f"{sheet} a, b of each epoch's header and every row's new a, new b", "parameters",
                [("sheet", SHEET, arr(a_sheet, b_sheet, rows_of(opt, "new_a"), rows_of(opt, "new_b"))),
                 ("mirror", MIRROR, arr([s.a for s in states], [s.b for s in states], [w.new_a for w in sweeps],
                                         [w.new_b for w in sweeps])),
                 (tname, TORCH, arr(run.a, run.b, run.rows["new_a"], run.rows["new_b"]))],
                shown=f"b {b_sheet[-1]:.6f}, a {a_sheet[-1]:.6f}")
        # each state column on the scale of what it averages: m the gradient g, v its square (one row
        # relative to v's 4e7 would let m be anything)
        for k in (k for k in ("m_b", "m_a", "v_b", "v_a") if (sheet, f"epochs.{k}") in roles):
            i = 0 if k.endswith("b") else 1
            g_max = float(np.nanmax(np.abs(rows_of(opt, f"g_{k[-1]}"))))
            out.add(f"{sheet}.{k}", f"{sheet} {k} of each header and row", "state",
                    [("sheet", SHEET, arr(header(opt, k), rows_of(opt, k))),
                     ("mirror", MIRROR, arr([(s.m if k[0] == "m" else s.v)[i] for s in states],
                                            [getattr(w, k) for w in sweeps])),
                     (tname, TORCH, arr(run.state[k], run.rows[k]))],
                    shown=f"{header(opt, k)[-1]:.6g}",
                    scale=max(g_max if k[0] == "m" else g_max ** 2,
                              float(np.nanmax(np.abs(arr(header(opt, k), rows_of(opt, k)))))))
        if opt == "adam_ann":
            out.add(f"{sheet}.lr", f"{roles[sheet, 'epochs.lr']}: each header's (annealed)", "parameters",
                    [("sheet", SHEET, header(opt, "lr")), ("mirror", MIRROR, [s.lr for s in states]),
                     (tname, TORCH, run.lr)], shown=f"{header(opt, 'lr')[-1]:g}")
        err = footer(opt)
        e_key = "error" if opt == "sgd" else "error_trajectory"
        out.add(f"{sheet}.error", f"{roles[sheet, 'epochs.err2']}: each footer's SQRT(SUM(err^2))", e_key,
                [("sheet", SHEET, err), ("mirror", MIRROR, [w.error for w in sweeps]), (tname, TORCH, run.error)],
                shown=f"{err[-1]:.6f}")
    return out
