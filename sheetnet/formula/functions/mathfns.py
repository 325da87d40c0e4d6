"""Numeric functions: elementwise maths, rounding, matrix products, RAND."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from ...errors import ERR_BASE
from ...store import NUM
from ..values import (E_DIV0, E_NA, E_NUM, E_VALUE, Arr, error, first_error, numbers,
                      numeric_result, seq_sum)
from . import function


def _elementwise(fn, valid=None):
    """An elementwise function of one number; outside `valid` it is #NUM!."""

    def impl(ctx, a: Arr) -> Arr:
        x, err = numbers(a)
        with np.errstate(all="ignore"):
            z = fn(x)
        if valid is not None:
            bad = ~valid(x)
            if bad.any():
                err = first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8))
        return numeric_result(z, err)

    return impl


function("SQRT", min_args=1, max_args=1)(_elementwise(np.sqrt, lambda x: x >= 0))
function("EXP", min_args=1, max_args=1)(_elementwise(np.exp))
function("LN", min_args=1, max_args=1)(_elementwise(np.log, lambda x: x > 0))
function("LOG10", min_args=1, max_args=1)(_elementwise(np.log10, lambda x: x > 0))
function("ABS", min_args=1, max_args=1)(_elementwise(np.abs))
function("INT", min_args=1, max_args=1)(_elementwise(np.floor))
function("SIGN", min_args=1, max_args=1)(_elementwise(np.sign))
function("TANH", min_args=1, max_args=1)(_elementwise(np.tanh))
function("SIN", min_args=1, max_args=1)(_elementwise(np.sin))
function("COS", min_args=1, max_args=1)(_elementwise(np.cos))


@function("LOG", min_args=1, max_args=2)
def LOG(ctx, a: Arr, base: Arr | None = None) -> Arr:
    """Excel's LOG is base 10 unless a base is given (the lesson's quirk)."""
    x, err = numbers(a)
    with np.errstate(all="ignore"):
        if base is None:
            z = np.log10(x)
            bad = x <= 0
        else:
            b, eb = numbers(base)
            err = first_error(err, eb)
            z = np.log(x) / np.log(b)
            bad = (x <= 0) | (b <= 0)
            div0 = (b == 1) & ~bad
            if div0.any():
                err = first_error(err, np.where(div0, E_DIV0, 0).astype(np.uint8))
    if np.any(bad):
        err = first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8))
    return numeric_result(z, err)


@function("POWER", min_args=2, max_args=2)
def POWER(ctx, a: Arr, b: Arr) -> Arr:
    from ..values import arithmetic
    return arithmetic("^", a, b)


@function("MOD", min_args=2, max_args=2)
def MOD(ctx, a: Arr, b: Arr) -> Arr:
    """MOD(n, d) = n - d*INT(n/d): the result takes the divisor's sign."""
    x, ex = numbers(a)
    y, ey = numbers(b)
    err = first_error(ex, ey)
    with np.errstate(all="ignore"):
        z = x - y * np.floor(x / y)
    zero = y == 0
    if np.any(zero):
        err = first_error(err, np.where(zero, E_DIV0, 0).astype(np.uint8))
    return numeric_result(z, err)


@function("PI", min_args=0, max_args=0)
def PI(ctx) -> Arr:
    return Arr(np.full(ctx.unit_shape(), math.pi))


def _round_half_away(x: float, digits: int, mode: str) -> float:
    """Round at `digits` decimals the way Excel does: on the decimal value shown
    with 15 significant digits (so ROUND(2.675, 2) is 2.68, not 2.67)."""
    if not math.isfinite(x):
        return x
    d = Decimal(f"{x:.15g}")
    q = Decimal(1).scaleb(-digits)
    rounding = {"round": ROUND_HALF_UP, "up": "ROUND_UP", "down": "ROUND_DOWN"}[mode]
    return float(d.quantize(q, rounding=rounding)) if digits >= -300 else 0.0


def _rounding(mode: str):
    def impl(ctx, a: Arr, digits: Arr | None = None) -> Arr:
        x, err = numbers(a)
        if digits is None:
            n = np.zeros_like(x)
        else:
            n, en = numbers(digits)
            err = first_error(err, en)
        shape = np.broadcast_shapes(x.shape, n.shape)
        xb, nb = np.broadcast_to(x, shape), np.broadcast_to(np.trunc(n), shape)
        z = np.empty(shape)
        for idx in np.ndindex(shape):
            z[idx] = _round_half_away(float(xb[idx]), int(nb[idx]), mode)
        return numeric_result(z, err)
    return impl


function("ROUND", min_args=1, max_args=2)(_rounding("round"))
function("ROUNDUP", min_args=1, max_args=2)(_rounding("up"))
function("ROUNDDOWN", "TRUNC", min_args=1, max_args=2)(_rounding("down"))


def _quotient_15(q: np.ndarray) -> np.ndarray:
    """x/significance rounded to 15 significant digits, so that CEILING(0.3, 0.1)
    is 0.3 although 0.3/0.1 is 2.9999999999999996 in binary."""
    with np.errstate(all="ignore"):
        mag = np.floor(np.log10(np.where(q == 0, 1.0, np.abs(q))))
        scale = 10.0 ** (14 - mag)
        out = np.round(q * scale) / scale
    return np.where(np.isfinite(out), out, q)


def _multiple(x: np.ndarray, sig: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Round x to a multiple of |sig|, up (toward +inf) where `up` else down."""
    s = np.abs(sig)
    with np.errstate(all="ignore"):
        q = _quotient_15(x / np.where(s == 0, 1.0, s))
    return np.where(s == 0, 0.0, np.where(up, np.ceil(q), np.floor(q)) * s)


def _args2(a, b, default_sig=None):
    x, ex = numbers(a)
    if b is None:
        return x, np.full_like(x, default_sig), ex
    s, es = numbers(b)
    return x, s, first_error(ex, es)


@function("CEILING", min_args=1, max_args=2)
def CEILING(ctx, a: Arr, b: Arr | None = None) -> Arr:
    """CEILING(x, s): up to a multiple of s; a negative x with a negative s
    goes away from zero; a positive x with a negative s is #NUM!."""
    x, s, err = _args2(a, b, 1.0)
    x, s = np.broadcast_arrays(x, s)
    z = _multiple(x, s, ~((x < 0) & (s < 0)))
    bad = (x > 0) & (s < 0)
    return numeric_result(z, first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8)))


@function("FLOOR", min_args=1, max_args=2)
def FLOOR(ctx, a: Arr, b: Arr | None = None) -> Arr:
    """FLOOR(x, s): down to a multiple of s; a negative x with a negative s
    goes toward zero; a positive x with a negative s is #NUM!; s = 0 is #DIV/0!."""
    x, s, err = _args2(a, b, 1.0)
    x, s = np.broadcast_arrays(x, s)
    z = _multiple(x, s, (x < 0) & (s < 0))
    codes = np.where((x > 0) & (s < 0), E_NUM, np.where((s == 0) & (x != 0), E_DIV0, 0))
    return numeric_result(z, first_error(err, codes.astype(np.uint8)))


def _math_rounding(ceiling: bool):
    """CEILING.MATH / FLOOR.MATH: the significance's sign is ignored; a non-zero
    `mode` flips the direction for negative numbers (CEILING: away from zero,
    FLOOR: toward zero)."""

    def impl(ctx, a: Arr, b: Arr | None = None, m: Arr | None = None) -> Arr:
        x, s, err = _args2(a, b, 1.0)
        mode = np.zeros_like(x) if m is None else numbers(m)[0]
        x, s, mode = np.broadcast_arrays(x, s, mode)
        if ceiling:
            up = (x >= 0) | (mode == 0)
        else:
            up = (x < 0) & (mode != 0)
        return numeric_result(_multiple(x, s, up), err)

    return impl


function("CEILING.MATH", min_args=1, max_args=3)(_math_rounding(True))
function("FLOOR.MATH", min_args=1, max_args=3)(_math_rounding(False))


def _precise(up: bool):
    def impl(ctx, a: Arr, b: Arr | None = None) -> Arr:
        x, s, err = _args2(a, b, 1.0)
        x, s = np.broadcast_arrays(x, s)
        return numeric_result(_multiple(x, s, np.full(x.shape, up)), err)
    return impl


function("CEILING.PRECISE", "ISO.CEILING", min_args=1, max_args=2)(_precise(True))
function("FLOOR.PRECISE", min_args=1, max_args=2)(_precise(False))


# --- array maths ----------------------------------------------------------------

def _numeric_only(a: Arr) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers for array functions that treat anything else as 0, plus the
    error codes present (errors still propagate)."""
    if a.kind is None:
        return a.num, None
    k = a.kind
    num = np.where(k == NUM, a.num, 0.0)
    err = np.where(k >= ERR_BASE, k, 0).astype(np.uint8)
    return num, (err if err.any() else None)


def _first_code(err: np.ndarray | None, shape) -> np.ndarray | None:
    """Per batch element: the first error code in reading order, 0 if none."""
    if err is None:
        return None
    flat = np.broadcast_to(err, shape).reshape(shape[:-2] + (-1,))
    has = flat != 0
    pos = np.argmax(has, axis=-1)
    code = np.take_along_axis(flat, pos[..., None], axis=-1)[..., 0]
    return np.where(has.any(axis=-1), code, 0).astype(np.uint8)[..., None, None]


@function("SUMPRODUCT", modes="a", min_args=1, max_args=255)
def SUMPRODUCT(ctx, *arrays: Arr) -> Arr:
    """Sum of elementwise products; text, blanks and booleans count as 0;
    arrays of different shapes are #VALUE!."""
    hw = arrays[0].hw
    if any(a.hw != hw for a in arrays):
        return error(E_VALUE, ctx.unit_shape())
    parts, err = [], None
    for a in arrays:
        x, e = _numeric_only(a)
        parts.append(x)
        err = first_error(err, e)
    h, w = hw
    if h * w <= 64:
        # element by element in reading order, never materialising the products
        total = None
        for i in range(h):
            for j in range(w):
                p = parts[0][..., i, j]
                for x in parts[1:]:
                    p = p * x[..., i, j]
                total = p.copy() if total is None else total + p
        total = total[..., None, None]
    else:
        prod = parts[0]
        for x in parts[1:]:
            prod = prod * x
        total = seq_sum(prod.reshape(prod.shape[:-2] + (-1,)))[..., None, None]
    shape = np.broadcast_shapes(*(x.shape for x in parts))
    return numeric_result(total, _first_code(err, shape))


@function("SUMXMY2", modes="a", min_args=2, max_args=2)
def SUMXMY2(ctx, a: Arr, b: Arr) -> Arr:
    """Sum of (x - y)^2 over the pairs where both are numbers (Excel skips a
    pair with a blank or text; LibreOffice counts a blank as 0)."""
    if a.hw[0] * a.hw[1] != b.hw[0] * b.hw[1]:
        return error(E_NA, ctx.unit_shape())
    if a.hw != b.hw:
        b = Arr(b.num.reshape(b.shape[:-2] + a.hw), None if b.kind is None else b.kind.reshape(b.shape[:-2] + a.hw))
    ka, kb = a.kinds(), b.kinds()
    both = (ka == NUM) & (kb == NUM)
    d = np.where(both, a.num - b.num, 0.0)
    sq = d * d
    err = first_error(np.where(ka >= ERR_BASE, ka, 0).astype(np.uint8), np.where(kb >= ERR_BASE, kb, 0).astype(np.uint8))
    total = seq_sum(sq.reshape(sq.shape[:-2] + (-1,)))[..., None, None]
    return numeric_result(total, _first_code(err if err.any() else None, sq.shape))


@function("MMULT", modes="a", min_args=2, max_args=2)
def MMULT(ctx, a: Arr, b: Arr) -> Arr:
    """Matrix product, each dot product summed left to right; any non-number
    in either array makes the whole result #VALUE!."""
    w1, h2 = a.hw[1], b.hw[0]
    if w1 != h2:
        return error(E_VALUE, ctx.unit_shape())
    bad = None
    for m in (a, b):
        if m.kind is not None:
            nonnum = (m.kind != NUM).reshape(m.shape[:-2] + (-1,)).any(axis=-1)
            bad = nonnum if bad is None else (bad | nonnum)
    x, y = a.num, b.num
    acc = x[..., :, 0:1] * y[..., 0:1, :]
    for k in range(1, w1):
        acc = acc + x[..., :, k:k + 1] * y[..., k:k + 1, :]
    out = numeric_result(acc)
    if bad is not None and bad.any():
        shape = np.broadcast_shapes(out.shape, bad.shape + (1, 1))
        codes = np.broadcast_to(np.where(bad, E_VALUE, 0).astype(np.uint8)[..., None, None], shape)
        from ..values import with_errors
        out = with_errors(out.broadcast(shape), codes)
    return out


@function("TRANSPOSE", modes="a", min_args=1, max_args=1)
def TRANSPOSE(ctx, a: Arr) -> Arr:
    return Arr(np.swapaxes(a.num, -1, -2), None if a.kind is None else np.swapaxes(a.kind, -1, -2),
               None if a.obj is None else np.swapaxes(a.obj, -1, -2))


# --- random numbers (volatile) -------------------------------------------------------

@function("RAND", min_args=0, max_args=0, volatile=True)
def RAND(ctx) -> Arr:
    return Arr(ctx.engine.rng.random(ctx.batch.shape)[..., None, None])


@function("RANDBETWEEN", min_args=2, max_args=2, volatile=True)
def RANDBETWEEN(ctx, lo: Arr, hi: Arr) -> Arr:
    a, ea = numbers(lo)
    b, eb = numbers(hi)
    err = first_error(ea, eb)
    bottom, top = np.ceil(a), np.floor(b)
    shape = np.broadcast_shapes(ctx.batch.shape + (1, 1), bottom.shape, top.shape)
    bottom, top = np.broadcast_to(bottom, shape), np.broadcast_to(top, shape)
    bad = bottom > top
    u = ctx.engine.rng.random(shape)
    z = np.floor(bottom + u * (top - bottom + 1))
    if bad.any():
        err = first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8))
    return numeric_result(np.where(bad, 0.0, z), err)
