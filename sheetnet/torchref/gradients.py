"""The gradient of the lesson's loss four ways: torch autograd, the analytic
formula, forward and central finite differences -- and ``gradcheck``.

The lesson fits ``y = a x + b`` one point at a time; the loss of point i is::

    e_i(a, b) = (a x_i + b - y_i)^2
    de_i/db   = 2 (a x_i + b - y_i)                 (the sheets' de/db column)
    de_i/da   = x_i * de_i/db                       (de/da)

The ``basic`` sheet also estimates them by a forward difference with
h = 0.01::

    est de/db = (e(a, b + h) - e(a, b)) / h  =  de/db + h          exactly, in real arithmetic
    est de/da = (e(a + h, b) - e(a, b)) / h  =  de/da + h x^2

(e is quadratic: ((r + d)^2 - r^2)/h = 2 r d/h + d^2/h).  A central
difference ``(e(p + h) - e(p - h)) / 2h`` is exact on a quadratic up to
rounding.  Every function here is per point: ``a``, ``b`` may be scalars or
one value per point (the parameters going *into* each row of a sheet), and the
results are numpy arrays of one gradient per point.
"""

from __future__ import annotations

import numpy as np

from .devices import as_tensor, require_torch, resolve_device, resolve_dtype, to_numpy

torch = require_torch()

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


def forward_difference_bias(x, h: float = SHEET_H) -> tuple[np.ndarray, np.ndarray]:
    """The exact amount the forward difference overestimates by: ``(h, h x^2)`` per point."""
    x = np.asarray(x, dtype=np.float64)
    return np.full(x.shape, float(h)), h * x * x


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
