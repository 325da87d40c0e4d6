"""The entropy lesson's cross-check rows: softmax (naive and safe) and its sum,
the sigmoid, binary cross-entropy in both forms and bases, the two-class
one-hot / look-up NLL, the multi-class cross-entropy and its means, and the
ln 10 factor between the bases -- each as the sheet (read by role), the numpy
mirror and torch (``torch.softmax``, ``F.binary_cross_entropy``,
``F.cross_entropy``, ``F.nll_loss``).

Inputs: the default seeded inputs (5 classes, 4 images, seed 0), built with
Excel's base-10 LOG as in the lesson; the workbook also carries every loss in
the natural base, so both bases are checked.
"""

from __future__ import annotations

import math

import numpy as np

from ...crosscheck import EPS32, EPS64, MIRROR, SEED, SHEET, TORCH, RowSet, Setting, Tol, arr, declare, num

declare("entropy", "softmax", Tol(4 * EPS64), Tol(4 * EPS32),
        "torch.softmax subtracts the maximum before exp and divides once: a probability (<= 1) differs "
        "from EXP(s)/SUM(EXP(s)) by an ulp (measured 1.1e-16; float32 1.5e-8)")
declare("entropy", "sigmoid", Tol(4 * EPS64), Tol(4 * EPS32),
        "torch.sigmoid computes 1/(1 + exp(-s)); the sheet e/(1 + e): the same value rounded "
        "differently (measured 1.1e-16; float32 2.1e-8)")
declare("entropy", "cross_entropy", Tol(16 * EPS64), Tol(2e-6),
        "natural log divided by ln 10 versus Excel's base-10 LOG: two roundings versus one on a loss "
        "<= 2 (measured 5.6e-17); F.binary_cross_entropy and F.nll_loss add only a sign. float32 "
        "rounds p, so log(1 - p) moves by ulp(p)/(1 - p) (measured 1.2e-7)")
declare("entropy", "softmax_sum", Tol(8 * EPS64), Tol(8 * EPS32),
        "a sum of K probabilities is 1 only up to rounding: each probability carries half an ulp and each of "
        "the K - 1 additions another, about K eps at worst for K <= 8 (5 classes here; the sheet's SUM, "
        "numpy's and torch's each round their own way)")
declare("entropy", "cross_entropy_logits", Tol(16 * EPS64, 4 * EPS64), Tol(2e-6, 4 * EPS32),
        "-log of the true class's softmax probability (the sheet) versus F.cross_entropy's log-softmax "
        "(s - max - log(sum exp)): the probability is rounded before its log, which adds an ulp of 1 to the "
        "loss, and the loss itself (up to ~7 here) is rounded to its own ulp -- hence a relative part. "
        "float32 rounds the scores (up to 5 here) once: ulp(5) in the loss")
declare("entropy", "ln10", Tol(0.0, 8 * EPS64), Tol(0.0, 8 * EPS32),
        "ln 10 = 2.302585...: LN(10), math.log(10) and torch.log(10.) round it alike; a ratio natural / base-10 "
        "of the same probability's logs carries each log's rounding (an ulp, relative) and the division's, "
        "and a ratio of two means adds the sums' roundings (up to N - 1 ulps for N positive losses): a few "
        "ulps of ln 10, relative. float32: the same in 24-bit arithmetic")

KERNELS_WHY = ("EXP, LN and LOG: numpy picks a SIMD kernel or the C library's function by CPU and array "
               "layout, and the engine's evaluation of a block may take the other one; each is within an "
               "ulp, so the two agree bit for bit on some machines and to an ulp on others (measured on "
               "another x86-64 machine: 2.8e-17 on a probability, 5.6e-17 on a sigmoid) -- the float64 "
               "part of the row's tolerance")


def rows(setting: Setting, inputs=None) -> RowSet:
    """The entropy rows for ``inputs`` (an :class:`~.inputs.EntropyInputs`, default
    ``seeded_inputs()``: 5 classes, 4 images, seed 0), in a base-10 workbook."""
    from ...devices import as_tensor, require_torch, to_numpy
    from ...engine import Engine
    from . import mirror as M
    from . import torchref as T
    from .inputs import seeded_inputs
    from .sheet import build_book

    torch = require_torch()
    F = torch.nn.functional
    device, dtype = setting.device, setting.dtype
    inputs = seeded_inputs(seed=SEED) if inputs is None else inputs
    built = build_book(inputs, log="base10")
    engine, roles = Engine(built.book).recalc(), built.roles
    want = M.book_values(inputs, "base10")
    kw = dict(device=device, dtype=dtype)
    K, N = inputs.scores.shape
    out = RowSet("entropy", setting, lambda key: dict(mirror_key=key, mirror_why=KERNELS_WHY))

    def v(key) -> np.ndarray:
        return roles.values(engine, *key)

    def cells(*keys):
        return [roles[k] for k in keys]

    imgs = range(1, N + 1)
    S = inputs.scores                                  # (K, N): a column per image
    naive = [("softmax", f"softmax.{i}") for i in imgs]
    safe = [("softmax", f"safe_softmax.{i}") for i in imgs]
    out.add("softmax", cells(naive[0], naive[-1]), "softmax",
            [("sheet EXP/SUM", SHEET, arr(*[v(k) for k in naive])),
             ("mirror", MIRROR, arr(*[want[k] for k in naive])),
             ("torch.softmax", TORCH, T.softmax(S, dim=0, **kw).T),
             ("torch exp/sum", TORCH, T.softmax_by_exp(S, dim=0, **kw).T)],
            shown=f"{K}x{N} values")
    out.add("safe_softmax", cells(safe[0], safe[-1], ("cross_entropy", "probs")), "softmax",
            [("sheet EXP(s-MAX)", SHEET, arr(*[v(k) for k in safe], v(("cross_entropy", "probs")))),
             ("mirror", MIRROR, arr(*[want[k] for k in safe], want[("cross_entropy", "probs")])),
             ("torch.softmax", TORCH, arr(T.softmax(S, dim=0, **kw).T, T.softmax(S.T, dim=1, **kw)))],
            shown=f"2x{K}x{N} values")
    sums = [("softmax", f"softmax_sum.{i}") for i in imgs] + [("softmax", f"safe_softmax_sum.{i}") for i in imgs]
    t_soft = T.softmax(S, dim=0, **kw)
    out.add("softmax_sums_to_1", cells(sums[0], sums[-1]), "softmax_sum",
            [("sheet SUM", SHEET, arr(*[v(k) for k in sums])), ("mirror", MIRROR, arr(*[want[k] for k in sums])),
             ("1", MIRROR, np.ones(2 * N)),
             ("torch", TORCH, arr(t_soft.sum(axis=0), t_soft.sum(axis=0)))],
            shown=f"{2 * N} sums", mirror_why="a sum of rounded probabilities is 1 only up to its roundings (see its "
                                              "tolerance)")
    sig = [("softmax", f"sigmoid.{i}") for i in imgs]
    out.add("sigmoid", cells(sig[0], sig[-1]), "sigmoid",
            [("sheet e/(1+e)", SHEET, arr(*[v(k) for k in sig])), ("mirror", MIRROR, arr(*[want[k] for k in sig])),
             ("torch.sigmoid", TORCH, T.sigmoid(S, **kw).T)], shown=f"{K}x{N} values")

    # binary cross-entropy, both forms, both bases
    y, p = inputs.y, inputs.p
    out.add("bce_base10", cells(("entropy", "bce_sum"), ("entropy", "bce_if")), "cross_entropy",
            [("sheet sum", SHEET, v(("entropy", "bce_sum"))),
             ("sheet IF", SHEET, v(("entropy", "bce_if"))),
             ("mirror sum", MIRROR, M.binary_cross_entropy(y, p, "base10")),
             ("mirror IF", MIRROR, M.binary_cross_entropy_if(y, p, "base10")),
             ("F.bce", TORCH, T.binary_cross_entropy(p, y, "torch", base=10, **kw)),
             ("torch sum", TORCH, T.binary_cross_entropy(p, y, "sum", base=10, **kw)),
             ("torch IF", TORCH, T.binary_cross_entropy(p, y, "where", base=10, **kw))],
            shown=f"{y.size} values")
    out.add("bce_natural", cells(("entropy", "bce_other")), "cross_entropy",
            [("sheet IF LN", SHEET, v(("entropy", "bce_other"))),
             ("mirror", MIRROR, M.binary_cross_entropy_if(y, p, "natural")),
             ("F.binary_cross_entropy", TORCH, T.binary_cross_entropy(p, y, "torch", **kw))],
            shown=f"{y.size} values")

    # the binary loss as two classes: one-hot dot product and look-up
    two = T.binary_as_two_classes(p)
    t2 = np.stack([y, 1.0 - y], axis=1)
    target2 = (y == 0).astype(np.int64)                 # class 0 = "is the first class"
    out.add("nll_onehot_vs_lookup", cells(("log_entropy", "nll"), ("log_entropy", "nll_lookup")), "cross_entropy",
            [("sheet 1hot", SHEET, v(("log_entropy", "nll"))),
             ("sheet INDEX", SHEET, v(("log_entropy", "nll_lookup"))),
             ("sheet OFFSET", SHEET, -v(("log_entropy", "idx_pred"))),
             ("mirror 1hot", MIRROR, M.cross_entropy_onehot(t2, two, "base10")),
             ("mirror INDEX", MIRROR, M.cross_entropy_lookup(t2, two, "base10")),
             ("F.nll_loss", TORCH, T.cross_entropy_from_probs(two, target2, "nll_loss", base=10, **kw))],
            shown=f"{y.size} values")

    # multi-class cross-entropy from the scores
    St, tgt = S.T, np.array(inputs.targets)       # a writable copy for torch
    T1 = M.onehot(tgt, K)
    probs = want[("cross_entropy", "probs")]
    t_ce = T.cross_entropy_from_logits(St, tgt, "cross_entropy", **kw)
    t_nll = T.cross_entropy_from_logits(St, tgt, "nll_loss", **kw)
    out.add("ce_base10", cells(("cross_entropy", "loss"), ("cross_entropy", "loss_onehot")), "cross_entropy_logits",
            [("sheet INDEX", SHEET, v(("cross_entropy", "loss"))),
             ("sheet 1hot", SHEET, v(("cross_entropy", "loss_onehot"))),
             ("mirror INDEX", MIRROR, M.cross_entropy_lookup(T1, probs, "base10")),
             ("mirror 1hot", MIRROR, M.cross_entropy_onehot(T1, probs, "base10")),
             ("F.cross_entropy", TORCH, t_ce / T.LN10)],
            shown=f"{N} values")
    out.add("ce_natural", cells(("cross_entropy", "loss_other")), "cross_entropy_logits",
            [("sheet INDEX", SHEET, v(("cross_entropy", "loss_other"))),
             ("mirror", MIRROR, M.cross_entropy_lookup(T1, probs, "natural")),
             ("mirror from scores", MIRROR, M.cross_entropy(St, T1, "natural")),
             ("F.cross_entropy", TORCH, t_ce), ("F.nll_loss", TORCH, t_nll)],
            shown=f"{N} values")
    ts = as_tensor(St, device, dtype)
    tt = torch.as_tensor(tgt, device=ts.device)
    t_mean = float(F.cross_entropy(ts, tt))
    s_mean = v(("cross_entropy", "mean_loss_other"))
    out.add("ce_mean_natural", cells(("cross_entropy", "mean_loss_other")), "cross_entropy_logits",
            [("sheet AVERAGE", SHEET, s_mean), ("mirror", MIRROR, want[("cross_entropy", "mean_loss_other")]),
             ("F.cross_entropy", TORCH, [t_mean])], shown=num(float(s_mean.ravel()[0])))
    s_m10 = arr(v(("cross_entropy", "mean_loss")), v(("cross_entropy", "mean_loss_onehot")))
    out.add("ce_mean_base10", cells(("cross_entropy", "mean_loss"), ("cross_entropy", "mean_loss_onehot")), "cross_entropy_logits",
            [("sheet AVERAGE", SHEET, s_m10),
             ("mirror", MIRROR, arr(want[("cross_entropy", "mean_loss")], want[("cross_entropy", "mean_loss_onehot")])),
             ("F.cross_entropy", TORCH, [t_mean / T.LN10] * 2)], shown=num(float(s_m10[0])))

    # the ln 10 factor between the bases: torch's own natural and base-10 logs of the same numbers
    tp, ty = as_tensor(p, device, dtype), as_tensor(y, device, dtype)
    t_nat = -torch.where(ty == 1, torch.log(tp), torch.log(1 - tp))
    t_b10 = -torch.where(ty == 1, torch.log10(tp), torch.log10(1 - tp))
    p_true = torch.softmax(ts, dim=1).gather(1, tt[:, None])
    t_ratios = arr(to_numpy(torch.log(torch.tensor(10.0, dtype=ts.dtype, device=ts.device))),
                    to_numpy(t_nat / t_b10),
                    [float((-torch.log(p_true)).mean() / (-torch.log10(p_true)).mean())])
    keys = (("entropy", "ln_10"), ("entropy", "ratio"), ("cross_entropy", "mean_ratio"))
    out.add("ln10_factor", cells(*keys), "ln10",
            [("sheet", SHEET, arr(*[v(k) for k in keys])),
             ("mirror", MIRROR, arr(*[want[k] for k in keys])),
             ("math.log(10)", MIRROR, np.full(2 + y.size, math.log(10.0))),
             ("torch log/log10", TORCH, t_ratios)],
            shown=num(float(v(("entropy", "ln_10")).ravel()[0])),
            mirror_why="a ratio of two separately rounded losses is within a few ulps of ln 10")
    return out
