"""numpy mirrors of the entropy lesson: what each sheet computes, in a few
lines each.

Conventions
-----------
* ``log`` is ``"natural"`` (LN, what PyTorch uses) or ``"base10"`` (Excel's
  ``LOG``, what the lesson's workbook uses).  A base-10 loss is the natural
  loss divided by ln 10 (:data:`LN10`): 0.30103 instead of 0.693147 for p = 0.5.
* Scores, probabilities and one-hot targets put the classes on ``axis``
  (default the last one, as in PyTorch's ``(images, classes)``; the lesson's
  softmax sheet has one column per image, i.e. ``axis=0``).
* Class indices from :func:`match_index` are 1-based, as MATCH returns them;
  subtract 1 for a PyTorch target.

Each function mirrors the sheet's formula literally (the naive softmax really
overflows; the binary cross-entropy really is ``-y*log p - (1-y)*log(1-p)``),
so the engine's values can be compared with them to a few ulps.
"""

from __future__ import annotations

import math

import numpy as np

# EXP, LN and LOG as the engine computes them: correctly rounded, the same bits on every CPU
from ...formula import crmath

LN10 = math.log(10.0)   # natural loss = base-10 loss * LN10
LOGS = ("natural", "base10")

#: The largest score whose EXP is finite in double precision (ln of the
#: largest double): the naive softmax overflows above it.
EXP_LIMIT = math.log(np.finfo(np.float64).max)   # 709.782712893384


def logarithm(x, log: str = "natural"):
    """LN(x) for ``log="natural"``, Excel's LOG(x) (base 10) for ``"base10"``."""
    if log == "natural":
        return crmath.log(x)
    if log == "base10":
        return crmath.log10(x)
    raise ValueError(f"log must be 'natural' or 'base10', not {log!r}")


def softmax(scores, axis: int = -1):
    """The sheet's naive softmax: ``EXP(s) / SUM(EXP(s))``.

    Overflows (inf/inf = nan) once a score exceeds :data:`EXP_LIMIT`."""
    e = crmath.exp(np.asarray(scores, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


def safe_softmax(scores, axis: int = -1):
    """The numerically safe softmax: subtract the largest score first.

    ``EXP(s - MAX(s)) / SUM(EXP(s - MAX(s)))`` equals :func:`softmax`
    mathematically (softmax ignores a constant added to every score), but the
    largest exponent is now EXP(0) = 1, so nothing overflows and the sum is
    at least 1."""
    s = np.asarray(scores, dtype=np.float64)
    e = crmath.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(scores):
    """The sheet's "binary" column: ``e / (1 + e)`` with ``e = EXP(score)``
    (the sigmoid, 1 / (1 + EXP(-score)), written the way the lesson does)."""
    e = crmath.exp(np.asarray(scores, dtype=np.float64))
    return e / (1.0 + e)


def binary_cross_entropy(y, p, log: str = "natural"):
    """Sum form, per row: ``-y*log(p) - (1-y)*log(1-p)``."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return -y * logarithm(p, log) - (1.0 - y) * logarithm(1.0 - p, log)


def binary_cross_entropy_if(y, p, log: str = "natural"):
    """IF form, per row: ``-IF(y=1, log(p), log(1-p))``."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    return -np.where(y == 1, logarithm(p, log), logarithm(1.0 - p, log))


def onehot(index, n_classes: int):
    """Rows of one-hot targets from 0-based class indices."""
    index = np.asarray(index, dtype=np.int64)
    return (index[..., None] == np.arange(n_classes)).astype(np.float64)


def match_index(targets, axis: int = -1):
    """``MATCH(1, one-hot row, 0)``: the 1-based position of the first 1.

    Raises ValueError where a row holds no 1 (MATCH would give #N/A)."""
    t = np.moveaxis(np.asarray(targets, dtype=np.float64), axis, -1)
    hit = t == 1
    if not hit.any(axis=-1).all():
        raise ValueError("a target row holds no 1 (MATCH(1, row, 0) gives #N/A)")
    return hit.argmax(axis=-1) + 1


def cross_entropy_onehot(targets, probs, log: str = "natural", axis: int = -1):
    """One-hot dot product, per row: ``-SUMPRODUCT(targets, log(probs))``."""
    t = np.asarray(targets, dtype=np.float64)
    return -(t * logarithm(probs, log)).sum(axis=axis)


def cross_entropy_lookup(targets, probs, log: str = "natural", axis: int = -1):
    """Index look-up, per row: ``-log(INDEX(probs, MATCH(1, targets, 0)))``:
    only the true class's probability is read."""
    idx = match_index(targets, axis=axis)
    p = np.moveaxis(np.asarray(probs, dtype=np.float64), axis, -1)
    picked = np.take_along_axis(p, (idx - 1)[..., None], axis=-1)[..., 0]
    return -logarithm(picked, log)


def cross_entropy(scores, targets, log: str = "natural", axis: int = -1):
    """Multi-class cross-entropy per image: the safe softmax of the scores,
    then the look-up of the true class (PyTorch's
    ``F.cross_entropy(scores, idx - 1, reduction="none")`` for ``"natural"``)."""
    return cross_entropy_lookup(targets, safe_softmax(scores, axis=axis), log, axis=axis)


# --------------------------------------------------------------- the workbook --

def book_values(inputs, log: str = "natural", faithful: bool = False) -> dict[tuple[str, str], np.ndarray]:
    """Every quantity of the generated workbook, keyed by role (sheet, name) like
    :meth:`Layout.roles` and shaped like its area (a 2-D array per key).

    ``inputs`` is a :class:`~sheetnet.lessons.entropy.build.EntropyInputs`."""
    other = "base10" if log == "natural" else "natural"
    K, N = inputs.scores.shape
    out: dict[tuple[str, str], np.ndarray] = {}
    col = lambda v: np.asarray(v, dtype=np.float64).reshape(-1, 1)
    one = lambda v: np.asarray(v, dtype=np.float64).reshape(1, 1)

    # softmax sheet: one column of class rows per image
    s = inputs.scores
    e = crmath.exp(s)
    for i in range(N):
        n = i + 1
        out[("softmax", f"scores.{n}")] = col(s[:, i])
        out[("softmax", f"exp.{n}")] = col(e[:, i])
        out[("softmax", f"exp_sum.{n}")] = one(e[:, i].sum())
        out[("softmax", f"softmax.{n}")] = col(softmax(s[:, i]))
        out[("softmax", f"softmax_sum.{n}")] = one(softmax(s[:, i]).sum())
        out[("softmax", f"sigmoid.{n}")] = col(sigmoid(s[:, i]))
        if not faithful:
            m = s[:, i].max()
            shifted = s[:, i] - m
            out[("softmax", f"max.{n}")] = one(m)
            out[("softmax", f"shifted.{n}")] = col(shifted)
            out[("softmax", f"safe_exp.{n}")] = col(crmath.exp(shifted))
            out[("softmax", f"safe_exp_sum.{n}")] = one(crmath.exp(shifted).sum())
            out[("softmax", f"safe_softmax.{n}")] = col(safe_softmax(s[:, i]))
            out[("softmax", f"safe_softmax_sum.{n}")] = one(safe_softmax(s[:, i]).sum())

    # entropy sheet: binary cross-entropy two ways
    y, p = inputs.y, inputs.p
    out[("entropy", "y")] = col(y)
    out[("entropy", "p")] = col(p)
    out[("entropy", "bce_sum")] = col(binary_cross_entropy(y, p, log))
    out[("entropy", "bce_if")] = col(binary_cross_entropy_if(y, p, log))
    if not faithful:
        out[("entropy", "bce_other")] = col(binary_cross_entropy_if(y, p, other))
        nat, b10 = binary_cross_entropy_if(y, p, "natural"), binary_cross_entropy_if(y, p, "base10")
        out[("entropy", "ratio")] = col(nat / b10)
        out[("entropy", "ln_10")] = one(LN10)

    # log_entropy sheet: the same loss as a one-hot dot product and a look-up
    t2 = np.stack([y, 1.0 - y], axis=1)            # isCat, isDog
    p2 = np.stack([p, 1.0 - p], axis=1)            # Preds, 1 - Preds
    logp2 = logarithm(p2, log)
    idx2 = match_index(t2)
    picked = np.take_along_axis(logp2, (idx2 - 1)[:, None], axis=1)[:, 0]
    out[("log_entropy", "y")] = col(y)
    out[("log_entropy", "y_other")] = col(1.0 - y)
    out[("log_entropy", "p")] = col(p)
    out[("log_entropy", "logp")] = col(logp2[:, 0])
    out[("log_entropy", "logq")] = col(logp2[:, 1])
    out[("log_entropy", "nll")] = col(-y * logp2[:, 0] - (1.0 - y) * logp2[:, 1])
    out[("log_entropy", "idx")] = col(idx2)
    out[("log_entropy", "idx_pred")] = col(picked)
    if not faithful:
        out[("log_entropy", "idx_pred_index")] = col(picked)
        out[("log_entropy", "nll_lookup")] = col(cross_entropy_lookup(t2, p2, log))

    # cross_entropy sheet: images are rows, as in PyTorch
    S = s.T                                         # (N, K)
    T = onehot(inputs.targets, K)
    m = S.max(axis=1, keepdims=True)
    E = crmath.exp(S - m)
    P = E / E.sum(axis=1, keepdims=True)
    idx = match_index(T)
    p_true = np.take_along_axis(P, (idx - 1)[:, None], axis=1)[:, 0]
    loss = -logarithm(p_true, log)
    loss_onehot = cross_entropy_onehot(T, P, log)
    loss_other = -logarithm(p_true, other)
    out[("cross_entropy", "scores")] = S
    out[("cross_entropy", "max")] = m
    out[("cross_entropy", "exp")] = E
    out[("cross_entropy", "exp_sum")] = col(E.sum(axis=1))
    out[("cross_entropy", "probs")] = P
    out[("cross_entropy", "logp")] = logarithm(P, log)
    out[("cross_entropy", "targets")] = T
    out[("cross_entropy", "idx")] = col(idx)
    out[("cross_entropy", "p_true")] = col(p_true)
    out[("cross_entropy", "loss")] = col(loss)
    out[("cross_entropy", "loss_onehot")] = col(loss_onehot)
    out[("cross_entropy", "loss_other")] = col(loss_other)
    out[("cross_entropy", "mean_loss")] = one(loss.mean())
    out[("cross_entropy", "mean_loss_onehot")] = one(loss_onehot.mean())
    out[("cross_entropy", "mean_loss_other")] = one(loss_other.mean())
    nat, b10 = (loss, loss_other) if log == "natural" else (loss_other, loss)
    out[("cross_entropy", "mean_ratio")] = one(nat.mean() / b10.mean())
    return out
