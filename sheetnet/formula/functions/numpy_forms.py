"""Registering an element-wise function from ONE vectorised definition.

Many statistical functions are numpy/scipy expressions of float arrays
(NORM.DIST is scipy.special.ndtr of a z score).  `numpy_elementwise`
registers such an expression as the batch form and derives the plain-Python
form (hence the scalar path's) from the very same expression evaluated on
0-d arrays, so the two can never disagree.  Where Excel gives #NUM! the
expression gives NaN (or an infinity); `where` builds that from a domain
condition.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .registry import Category, elementwise


def where(ok, value):
    """value where ok holds, NaN (#NUM!) elsewhere."""
    return np.where(ok, value, np.nan)


def python_form(numpy_fn: Callable) -> Callable:
    """The plain-Python form of a numpy form: floats in, a float out,
    ValueError (#NUM!) where the numpy form is not finite."""
    def fn(*xs):
        with np.errstate(all="ignore"):
            z = float(numpy_fn(*(None if x is None else np.float64(x) for x in xs)))
        if not math.isfinite(z):
            raise ValueError("outside the function's domain")
        return z
    fn.__doc__ = numpy_fn.__doc__
    fn.__module__ = numpy_fn.__module__
    return fn


def guarded(numpy_fn: Callable) -> Callable:
    """numpy_fn, NaN (#NUM!) where it raises: scipy.stats' Boost kernels raise
    OverflowError for some extreme arguments (a denormal probability) instead
    of returning NaN, and one such element must not fail the whole batch."""
    def fn(*arrays):
        try:
            return numpy_fn(*arrays)
        except (ArithmeticError, ValueError):
            pass
        given = [i for i, a in enumerate(arrays) if a is not None]
        parts = np.broadcast_arrays(*(np.asarray(arrays[i], dtype=np.float64) for i in given))
        out = np.empty(parts[0].shape if parts else ())
        for idx in np.ndindex(out.shape):
            one = list(arrays)
            for i, part in zip(given, parts):
                one[i] = part[idx]
            try:
                out[idx] = numpy_fn(*one)
            except (ArithmeticError, ValueError):
                out[idx] = np.nan
        return out
    fn.__doc__ = numpy_fn.__doc__
    fn.__module__ = numpy_fn.__module__
    return fn


def numpy_elementwise(*names: str, category: Category, args: str, prefix: str = "", torch=None):
    """Decorator: register numpy_fn(*float arrays) under `names` (every name
    with the same prefix) as an element-wise Excel function."""
    def register(numpy_fn):
        safe = guarded(numpy_fn)
        elementwise(*names, category=category, args=args, prefix=prefix, numpy=safe,
                    torch=torch)(python_form(safe))
        return numpy_fn
    return register


def exact_value(t, numpy_fn, *args):
    """A torch form's tensor `t` carrying the batch form's value, bit for bit:
    t's gradient, numpy_fn(*args)'s value (t + (exact - t).detach()).  For
    functions whose torch kernels are less accurate than scipy's (lgamma
    near its zeros) or that Excel computes with a cancellation torch cannot
    reproduce (GAUSS = NORM.S.DIST - 0.5)."""
    import torch
    arrays = [a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a for a in args]
    with np.errstate(all="ignore"):
        exact = np.asarray(numpy_fn(*arrays), dtype=np.float64)
    return t + (torch.as_tensor(exact, dtype=t.dtype, device=t.device) - t).detach()


class LazyModule:
    """A module imported on first use: scipy.stats takes seconds to import,
    and a workbook without a distribution must not pay for it (every
    `sheetnet` command imports the whole function library)."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            import importlib
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)
