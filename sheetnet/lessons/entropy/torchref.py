r"""Softmax, sigmoid and cross-entropy in PyTorch, beside the sheets' forms.

The ``entropy_example`` sheets compute, with Excel's base-10 ``LOG``::

    softmax      EXP(s) / SUM(EXP(s))                  torch.softmax(s, dim)
    "binary"     e / (1 + e),  e = EXP(s)              torch.sigmoid(s)
    BCE          -y LOG(p) - (1 - y) LOG(1 - p)        F.binary_cross_entropy(p, y) / ln 10
                 -IF(y = 1, LOG(p), LOG(1 - p))
    NLL          -(onehot . LOG(p))                    F.nll_loss(log p, target) / ln 10
                 -OFFSET(log p, 0, MATCH(1, onehot))   F.cross_entropy(log p, target) / ln 10

PyTorch's losses use the natural log; the sheets' are those divided by ln 10
(0.30103 for p = 0.5).  ``base=10`` here divides by ``math.log(10)``;
``base="e"`` (the default) leaves the natural log.  Softmax is invariant to
adding a constant to every score; the sigmoid is not
(:func:`softmax_shift_gap`).  Inputs are numpy arrays, outputs numpy arrays.
"""

from __future__ import annotations

import math

import numpy as np

from ...devices import as_tensor, require_torch, resolve_device, to_numpy

torch = require_torch()
F = torch.nn.functional

LN10 = math.log(10.0)


def _divisor(base) -> float:
    if base in ("e", None) or base == math.e:
        return 1.0
    if base in (10, "10", 10.0):
        return LN10
    if isinstance(base, (int, float)) and base > 0 and base != 1:
        return math.log(base)
    raise ValueError(f"base must be 'e', 10 or a positive number other than 1, not {base!r}")


def softmax(scores, dim: int = 0, device="cpu", dtype="float64") -> np.ndarray:
    """``torch.softmax`` (the sheet lays classes down a column: ``dim=0``)."""
    return to_numpy(torch.softmax(as_tensor(scores, device, dtype), dim=dim))


def softmax_by_exp(scores, dim: int = 0, device="cpu", dtype="float64") -> np.ndarray:
    """The sheet's form with torch ops: ``exp(s) / exp(s).sum()`` (no max subtracted)."""
    e = torch.exp(as_tensor(scores, device, dtype))
    return to_numpy(e / e.sum(dim=dim, keepdim=True))


def sigmoid(scores, device="cpu", dtype="float64") -> np.ndarray:
    """``torch.sigmoid``: the sheet's "binary" column ``e/(1+e)``."""
    return to_numpy(torch.sigmoid(as_tensor(scores, device, dtype)))


def softmax_shift_gap(scores, shift: float, dim: int = 0, device="cpu", dtype="float64") -> tuple[float, float]:
    """``(max |softmax(s + c) - softmax(s)|, max |sigmoid(s + c) - sigmoid(s)|)``:
    rounding-level for softmax, of order ``c`` for the sigmoid."""
    s = as_tensor(scores, device, dtype)
    d_soft = (torch.softmax(s + shift, dim=dim) - torch.softmax(s, dim=dim)).abs().max()
    d_sig = (torch.sigmoid(s + shift) - torch.sigmoid(s)).abs().max()
    return float(d_soft), float(d_sig)


# --------------------------------------------------------------------------- binary cross-entropy

BCE_FORMS = ("torch", "sum", "where")


def binary_cross_entropy(p, y, form: str = "torch", base="e", device="cpu", dtype="float64") -> np.ndarray:
    """Per-example binary cross-entropy of probability ``p`` for label ``y`` (0/1).

    ``form``: ``"torch"`` -- ``F.binary_cross_entropy(p, y, reduction="none")``
    (which clamps each log at -100); ``"sum"`` -- ``-y log p - (1 - y) log(1 - p)``
    (the sheet's D column); ``"where"`` -- ``-where(y == 1, log p, log(1 - p))``
    (its E column).
    """
    tp, ty = as_tensor(p, device, dtype), as_tensor(y, device, dtype)
    if form == "torch":
        loss = F.binary_cross_entropy(tp, ty, reduction="none")
    elif form == "sum":
        loss = -ty * torch.log(tp) - (1 - ty) * torch.log(1 - tp)
    elif form == "where":
        loss = -torch.where(ty == 1, torch.log(tp), torch.log(1 - tp))
    else:
        raise ValueError(f"form must be one of {BCE_FORMS}, not {form!r}")
    return to_numpy(loss / _divisor(base))


# --------------------------------------------------------------------------- categorical cross-entropy

CE_FORMS = ("onehot", "index", "nll_loss", "cross_entropy")


def cross_entropy_from_probs(probs, target, form: str = "nll_loss", base="e", device="cpu",
                             dtype="float64") -> np.ndarray:
    """Per-example cross-entropy ``-log p[target]`` from class probabilities (rows sum to 1).

    ``form``: ``"onehot"`` -- ``-(one_hot(target) * log p).sum(1)`` (the
    ``log_entropy`` sheet's NLL column); ``"index"`` -- ``-log p.gather(target)``
    (its MATCH/OFFSET look-up); ``"nll_loss"`` -- ``F.nll_loss(log p, target)``;
    ``"cross_entropy"`` -- ``F.cross_entropy(log p, target)``, which treats log p
    as logits and re-normalises them (the same when the rows sum to 1, up to
    rounding).
    """
    device = resolve_device(device)
    P = as_tensor(probs, device, dtype)
    if P.ndim != 2:
        raise ValueError("probs must be examples x classes")
    t = torch.as_tensor(np.asarray(target, dtype=np.int64), device=device)
    logp = torch.log(P)
    if form == "onehot":
        loss = -(F.one_hot(t, P.shape[1]).to(P.dtype) * logp).sum(dim=1)
    elif form == "index":
        loss = -logp.gather(1, t.unsqueeze(1)).squeeze(1)
    elif form == "nll_loss":
        loss = F.nll_loss(logp, t, reduction="none")
    elif form == "cross_entropy":
        loss = F.cross_entropy(logp, t, reduction="none")
    else:
        raise ValueError(f"form must be one of {CE_FORMS}, not {form!r}")
    return to_numpy(loss / _divisor(base))


def cross_entropy_from_logits(logits, target, form: str = "cross_entropy", base="e", device="cpu",
                              dtype="float64") -> np.ndarray:
    """Per-example cross-entropy from scores: ``F.cross_entropy`` (``form="cross_entropy"``),
    ``F.nll_loss(F.log_softmax(s))`` (``"nll_loss"``) or ``-log(softmax(s))[target]`` (``"softmax"``)."""
    device = resolve_device(device)
    S = as_tensor(logits, device, dtype)
    t = torch.as_tensor(np.asarray(target, dtype=np.int64), device=device)
    if form == "cross_entropy":
        loss = F.cross_entropy(S, t, reduction="none")
    elif form == "nll_loss":
        loss = F.nll_loss(F.log_softmax(S, dim=1), t, reduction="none")
    elif form == "softmax":
        loss = -torch.log(torch.softmax(S, dim=1)).gather(1, t.unsqueeze(1)).squeeze(1)
    else:
        raise ValueError(f"form must be cross_entropy, nll_loss or softmax, not {form!r}")
    return to_numpy(loss / _divisor(base))


def binary_as_two_classes(p) -> np.ndarray:
    """The ``log_entropy`` sheet's layout: a probability p of class 0 (cat) as rows ``[p, 1 - p]``."""
    p = np.asarray(p, dtype=np.float64)
    return np.stack([p, 1.0 - p], axis=-1)
