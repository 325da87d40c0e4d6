"""Batch forms made from plain-Python functions of one value per parameter.

`lift` runs the Python function once per element of the broadcast arguments
(fine for functions that are rarely hot: ROMAN, BESSELJ, PMT ...); `lift_numpy`
calls a vectorised numpy form once for the whole batch.  Both coerce each
argument by its parameter type first (see registry.PARAM_TYPES), pad arrays
of different sizes with #N/A as Excel pairs them, and let the first error
among the arguments (left to right) win without calling the function.

What a Python form may return: a float or int (non-finite is #NUM!), a bool,
a str, None (an empty value) or an ExcelError.  It may raise ValueError or
another ArithmeticError (#NUM!: math.sqrt(-1), math.exp(1000)) or
ZeroDivisionError (#DIV/0!).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import DIV0, ExcelError, error_from_code
from ...store import BLANK, BOOL, NUM, STR, decode
from ..values import E_NUM, E_VALUE, Arr, align_all, first_error, numbers, numeric_result, to_text, truthy
from .registry import Param

NUM_ERROR = ExcelError("#NUM!")


def coerce(a: Arr, param_type: str):
    """(values, err) of an argument coerced by a parameter type: values a
    float/bool/object array, err codes or None."""
    t = param_type
    if t == "number":
        return numbers(a)
    if t == "integer":
        x, err = numbers(a)
        return np.trunc(x), err
    if t == "strict_number":
        x, err = numbers(a)
        if a.kind is not None and (a.kind == BOOL).any():
            err = first_error(err, np.where(a.kind == BOOL, E_VALUE, 0).astype(np.uint8))
        return x, err
    if t == "boolean":
        return truthy(a)
    kinds = a.kinds()
    if t == "text":
        out = np.empty(a.shape, dtype=object)
        err = np.zeros(a.shape, np.uint8)
        strings = a.strings()
        for idx in np.ndindex(a.shape):
            v = to_text(int(kinds[idx]), float(a.num[idx]), strings[idx])
            if isinstance(v, int):
                err[idx] = v
            else:
                out[idx] = v
        return out, (err if err.any() else None)
    # "any": the value as it is
    out = np.empty(a.shape, dtype=object)
    strings = a.strings()
    for idx in np.ndindex(a.shape):
        out[idx] = decode(int(kinds[idx]), float(a.num[idx]), strings[idx])
    return out, None


def _default(param: Param):
    return None if param.default is None else _python_value(param.default, param)


def _python_value(x, param: Param):
    if param.type == "integer":
        return int(x)
    if param.type in ("number", "strict_number"):
        return float(x)
    if param.type == "boolean":
        return bool(x)
    return x


def lift(fn, params: tuple[Param, ...]):
    """The batch form of a Python function of single values."""

    def impl(ctx, *args: Arr) -> Arr:
        values, err = [], None
        for a, p in zip(align_all(*args), params):
            v, e = coerce(a, p.type)
            values.append(v)
            err = first_error(err, e)
        defaults = [_default(p) for p in params[len(args):]]
        if not values:
            return _build([fn(*defaults)], ctx.unit_shape())
        shape = np.broadcast_shapes(*(np.shape(v) for v in values), *(() if err is None else (err.shape,)))
        values = [np.broadcast_to(v, shape) for v in values]
        err = None if err is None else np.broadcast_to(err, shape)
        out = []
        for idx in np.ndindex(shape):
            if err is not None and err[idx]:
                out.append(error_from_code(int(err[idx])))
                continue
            out.append(call(fn, [_python_value(v[idx], p) for v, p in zip(values, params)] + defaults))
        return _build(out, shape)

    impl.__doc__ = fn.__doc__
    impl.__module__ = fn.__module__
    return impl


def call(fn, args: list):
    """fn(*args), with Python's arithmetic exceptions as Excel's errors."""
    try:
        return fn(*args)
    except ZeroDivisionError:
        return DIV0
    except (ValueError, ArithmeticError):      # OverflowError, decimal's errors ...
        return NUM_ERROR


def _build(results: list, shape: tuple[int, ...]) -> Arr:
    """Python results -> Arr."""
    n = len(results)
    num = np.zeros(n)
    kind = np.full(n, NUM, np.uint8)
    obj = None
    for i, r in enumerate(results):
        if r is True or r is False:
            kind[i], num[i] = BOOL, float(r)
        elif isinstance(r, (float, np.floating)) or (isinstance(r, (int, np.integer)) and not isinstance(r, bool)):
            try:
                x = float(r)
            except OverflowError:          # an int beyond the doubles
                x = math.inf
            if math.isfinite(x):
                num[i] = x
            else:
                kind[i] = E_NUM
        elif isinstance(r, str):
            if obj is None:
                obj = np.empty(n, dtype=object)
            kind[i], obj[i] = STR, r
        elif isinstance(r, ExcelError):
            kind[i] = r.code
        elif r is None:
            kind[i] = BLANK
        else:
            raise TypeError(f"an Excel function returned {type(r).__name__}: {r!r}")
    if (kind == NUM).all():
        return Arr(num.reshape(shape))
    return Arr(num.reshape(shape), kind.reshape(shape), None if obj is None else obj.reshape(shape))


def lift_numpy(numpy_fn, params: tuple[Param, ...]):
    """The batch form of a vectorised numpy function of float arrays
    (boolean parameters arrive as 0.0/1.0)."""
    if any(p.type not in ("number", "integer", "strict_number", "boolean") for p in params):
        raise ValueError("a numpy form takes number, integer and boolean parameters only")

    def impl(ctx, *args: Arr) -> Arr:
        arrays, err = [], None
        for a, p in zip(align_all(*args), params):
            x, e = coerce(a, p.type)
            arrays.append(x.astype(np.float64) if p.type == "boolean" else x)
            err = first_error(err, e)
        arrays += [None if p.default is None else np.asarray(p.default, dtype=np.float64)
                   for p in params[len(args):]]
        with np.errstate(all="ignore"):
            z = numpy_fn(*arrays)
        z = np.asarray(z, dtype=np.float64)
        if z.ndim < ctx.nd:
            z = z.reshape((1,) * (ctx.nd - z.ndim) + z.shape)
        return numeric_result(z, err)

    impl.__doc__ = numpy_fn.__doc__
    return impl


def scalar_form(fn, params: tuple[Param, ...]):
    """The compiled scalar path's form: floats in, the Python form's result out
    (integer parameters truncated, omitted optional ones at their defaults)."""
    kinds = [p.type for p in params]
    defaults = [_default(p) for p in params]
    if "integer" not in kinds and not any(p.optional for p in params):
        return fn               # floats in, every argument given: nothing to adapt

    def scalar(*xs: float):
        args = [int(x) if k == "integer" else x for x, k in zip(xs, kinds)]
        return fn(*args, *defaults[len(xs):])

    return scalar
