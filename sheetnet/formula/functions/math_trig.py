"""Math & trig: elementwise maths, rounding, sums and products, matrix
products, random numbers."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal

import numpy as np

from ...errors import ERR_BASE
from ...store import NUM
from .. import crmath
from ..batch import RefVal
from ..values import (E_DIV0, E_NA, E_NUM, E_VALUE, Arr, arithmetic, error, first_error, numbers,
                      numeric_result, seq_sum, with_errors)
from .aggregate import collect
from .criteria import conditional_numbers, resized
from .registry import Category, elementwise, function
from .torchforms import TorchUnsupported

MATH = Category.MATH

_exp_scalar, _ln_scalar, _log10_scalar, _log_base_scalar, _tanh_scalar = map(
    crmath.scalar, (crmath.exp, crmath.log, crmath.log10, crmath.log_base, crmath.tanh))


# --- elementwise functions of one number ---------------------------------------------------

@elementwise("SQRT", category=MATH, args="number: number", numpy=np.sqrt, torch=lambda x: x.sqrt())
def SQRT(x: float) -> float:
    return math.sqrt(x)


# EXP, LN, LOG10, LOG, TANH and ^ are correctly rounded (crmath): the same bits on every CPU,
# where numpy's SIMD kernels differ in the last one.

@elementwise("EXP", category=MATH, args="number: number", numpy=crmath.exp, torch=lambda x: x.exp())
def EXP(x: float) -> float:
    return _exp_scalar(x)


@elementwise("LN", category=MATH, args="number: number", numpy=crmath.log, torch=lambda x: x.log())
def LN(x: float) -> float:
    return _ln_scalar(x)


@elementwise("LOG10", category=MATH, args="number: number", numpy=crmath.log10, torch=lambda x: x.log10())
def LOG10(x: float) -> float:
    return _log10_scalar(x)


@elementwise("ABS", category=MATH, args="number: number", numpy=np.abs, torch=lambda x: x.abs())
def ABS(x: float) -> float:
    return abs(x)


@elementwise("INT", category=MATH, args="number: number", numpy=np.floor)
def INT(x: float) -> float:
    return float(math.floor(x))


@elementwise("SIGN", category=MATH, args="number: number", numpy=np.sign)
def SIGN(x: float) -> float:
    return float((x > 0) - (x < 0))


@elementwise("TANH", category=MATH, args="number: number", numpy=crmath.tanh)
def TANH(x: float) -> float:
    return _tanh_scalar(x)


@elementwise("SIN", category=MATH, args="number: number", numpy=np.sin)
def SIN(x: float) -> float:
    return math.sin(x)


@elementwise("COS", category=MATH, args="number: number", numpy=np.cos)
def COS(x: float) -> float:
    return math.cos(x)


@elementwise("SQRTPI", category=MATH, args="number: number",
             numpy=lambda x: np.sqrt(x * np.pi), torch=lambda x: (x * math.pi).sqrt())
def SQRTPI(x: float) -> float:
    """SQRTPI(x) = SQRT(x * PI()); #NUM! for x < 0."""
    return math.sqrt(x * math.pi)


def _log_scalar(x: float, base: float | None = None) -> float:
    # ValueError (x or base <= 0) and ZeroDivisionError (base 1) send the cell
    # to the general evaluator, which gives #NUM! / #DIV/0!
    return _log10_scalar(x) if base is None else _log_base_scalar(x, base)


def _log_torch(x, base=None):
    return x.log10() if base is None else x.log() / base.log()


@function("LOG", category=MATH, args="number: number, [base: number]", scalar=_log_scalar, torch=_log_torch)
def LOG(ctx, a: Arr, base: Arr | None = None) -> Arr:
    """Excel's LOG is base 10 unless a base is given (the lesson's quirk)."""
    x, err = numbers(a)
    with np.errstate(all="ignore"):
        if base is None:
            z = crmath.log10(x)
            bad = x <= 0
        else:
            b, eb = numbers(base)
            err = first_error(err, eb)
            z = crmath.log_base(x, b)
            bad = (x <= 0) | (b <= 0)
            div0 = (b == 1) & ~bad
            if div0.any():
                err = first_error(err, np.where(div0, E_DIV0, 0).astype(np.uint8))
    if np.any(bad):
        err = first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8))
    return numeric_result(z, err)


@function("POWER", category=MATH, args="number: number, power: number", torch=lambda a, b: a.pow(b))
def POWER(ctx, a: Arr, b: Arr) -> Arr:
    """a^b exactly as the ^ operator (0^0 #NUM!, 0^-1 #DIV/0!)."""
    return arithmetic("^", a, b)


@function("MOD", category=MATH, args="number: number, divisor: number")
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


@function("PI", category=MATH)
def PI(ctx) -> Arr:
    return Arr(np.full(ctx.unit_shape(), math.pi))


# --- rounding ----------------------------------------------------------------------------

_DECIMAL = Context(prec=1000, Emax=10**6, Emin=-10**6)
_ROUNDING = {"round": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}


def _round_half_away(x: float, digits: int, mode: str) -> float:
    """Round at `digits` decimals the way Excel does: on the decimal value shown
    with 15 significant digits (so ROUND(2.675, 2) is 2.68, not 2.67).  Beyond
    400 digits either way nothing changes any more (a double has at most
    ~340 decimals), so huge digit counts are clipped, never an error."""
    if not math.isfinite(x):
        return x
    digits = max(-400, min(400, digits))
    d = Decimal(f"{x:.15g}")
    q = Decimal(1).scaleb(-digits, _DECIMAL)
    return float(d.quantize(q, rounding=_ROUNDING[mode], context=_DECIMAL))


@elementwise("ROUND", category=MATH, args="number: number, [num_digits: integer = 0]")
def ROUND(x: float, digits: int) -> float:
    return _round_half_away(x, digits, "round")


@elementwise("ROUNDUP", category=MATH, args="number: number, [num_digits: integer = 0]")
def ROUNDUP(x: float, digits: int) -> float:
    return _round_half_away(x, digits, "up")


@elementwise("ROUNDDOWN", "TRUNC", category=MATH, args="number: number, [num_digits: integer = 0]")
def ROUNDDOWN(x: float, digits: int) -> float:
    return _round_half_away(x, digits, "down")


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


@function("CEILING", category=MATH, args="number: number, [significance: number]")
def CEILING(ctx, a: Arr, b: Arr | None = None) -> Arr:
    """CEILING(x, s): up to a multiple of s; a negative x with a negative s
    goes away from zero; a positive x with a negative s is #NUM!."""
    x, s, err = _args2(a, b, 1.0)
    x, s = np.broadcast_arrays(x, s)
    z = _multiple(x, s, ~((x < 0) & (s < 0)))
    bad = (x > 0) & (s < 0)
    return numeric_result(z, first_error(err, np.where(bad, E_NUM, 0).astype(np.uint8)))


@function("FLOOR", category=MATH, args="number: number, [significance: number]")
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


_MATH_ROUNDING_ARGS = "number: number, [significance: number], [mode: number]"
function("CEILING.MATH", category=MATH, prefix="_xlfn.", args=_MATH_ROUNDING_ARGS)(_math_rounding(True))
function("FLOOR.MATH", category=MATH, prefix="_xlfn.", args=_MATH_ROUNDING_ARGS)(_math_rounding(False))


def _precise(up: bool):
    def impl(ctx, a: Arr, b: Arr | None = None) -> Arr:
        x, s, err = _args2(a, b, 1.0)
        x, s = np.broadcast_arrays(x, s)
        return numeric_result(_multiple(x, s, np.full(x.shape, up)), err)
    return impl


_PRECISE_ARGS = "number: number, [significance: number]"
function("CEILING.PRECISE", category=MATH, prefix="_xlfn.", args=_PRECISE_ARGS)(_precise(True))
function("ISO.CEILING", category=MATH, args=_PRECISE_ARGS)(_precise(True))
function("FLOOR.PRECISE", category=MATH, prefix="_xlfn.", args=_PRECISE_ARGS)(_precise(False))


# --- sums (the aggregate rule: see aggregate.py) ------------------------------------------------

def _sum_scalar(values: list[float]) -> float:
    total = 0.0
    for i, v in enumerate(values):            # left to right, as the sheet adds
        total = v if i == 0 else total + v
    return total


def _sum_torch(parts):
    total = None
    for t, m in parts:
        s = (t * m).sum(dim=-1)
        total = s if total is None else total + s
    return total


@function("SUM", category=MATH, args="number: numbers, [number: numbers]...", scalar=_sum_scalar,
          torch=_sum_torch)
def SUM(ctx, *args) -> Arr:
    c = collect(ctx, args)
    return numeric_result(c.total(c.num), c.first_error())


def _sumsq_torch(parts):
    return _sum_torch([(t * t, m) for t, m in parts])


@function("SUMSQ", category=MATH, args="number: numbers, [number: numbers]...",
          scalar=lambda values: _sum_scalar([v * v for v in values]), torch=_sumsq_torch)
def SUMSQ(ctx, *args) -> Arr:
    c = collect(ctx, args)
    return numeric_result(c.total(c.num * c.num), c.first_error())


def _product_torch(parts):
    total, counted = None, 0
    for t, m in parts:                      # values and 0/1 "counts" masks, shape batch + (k,)
        p = (t * m + (1 - m)).prod(dim=-1)
        total = p if total is None else total * p
        counted = counted + m.sum(dim=-1)
    return total * (counted > 0)             # no numbers at all: 0


@function("PRODUCT", category=MATH, args="number: numbers, [number: numbers]...",
          scalar=lambda values: math.prod(values) if values else 0.0, torch=_product_torch)
def PRODUCT(ctx, *args) -> Arr:
    """The product of the numbers (ranges: numbers only; typed: converted); 0 when none."""
    c = collect(ctx, args)                   # aggregate.py: the SUM-style reading
    factors = np.where(c.counts, c.num, 1.0)
    product = np.cumprod(factors, axis=-1)[..., -1:][..., None]     # left to right, as Excel
    none = ~c.counts.any(axis=-1)[..., None, None]
    return numeric_result(np.where(none, 0.0, product), c.first_error())


def conditional_totals(ctx, rng, crit: Arr, values) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """For each result element: (sum of matching values, count of matches,
    error) of SUMIF/AVERAGEIF, each of shape batch + (h, w) ((h, w): the
    criteria's array shape, 1 x 1 unless it is an array); (None, None, None)
    when a range is not a reference.  Criteria as criteria.py reads them."""
    if not isinstance(rng, RefVal) or not (values is None or isinstance(values, RefVal)):
        return None, None, None
    # Excel sizes the sum range like the criteria range, from its top-left.
    target = rng if values is None else resized(values, rng.h, rng.w)
    found = conditional_numbers(ctx, target, [rng], [crit])
    if found is None:
        return None, None, None
    shape, items = found
    total, count, err = np.zeros(shape), np.zeros(shape), np.zeros(shape, np.uint8)
    for idx, nums, code in items:
        total[idx] = seq_sum(nums[None, :])[0]
        count[idx] = nums.size
        err[idx] = code
    return total, count, err


@function("SUMIF", category=MATH, args="range: reference, criteria: any, [sum_range: reference]")
def SUMIF(ctx, rng, crit, values=None) -> Arr:
    total, _, err = conditional_totals(ctx, rng, crit, values)
    if total is None:
        return error(E_VALUE, ctx.unit_shape())
    return numeric_result(total, err)


# --- products of arrays --------------------------------------------------------------------------

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


def _sumproduct_torch(*values):
    import torch
    prod = None
    for v in values:
        t = v.t if v.kind is None else v.t * torch.from_numpy((v.kind == NUM).astype(np.float64)).to(v.t.device)
        prod = t if prod is None else prod * t
    return prod.sum(dim=(-2, -1), keepdim=True), None


@function("SUMPRODUCT", category=MATH, args="array: array, [array: array]...", torch=_sumproduct_torch)
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


def _sumxmy2_torch(a, b):
    import torch
    both = np.ones(1, bool)
    for v in (a, b):
        if v.kind is not None:
            both = both & (v.kind == NUM)
    d = a.t - b.t
    if both.size > 1 or not both.all():
        d = d * torch.from_numpy(np.broadcast_to(both, tuple(d.shape)).astype(np.float64)).to(d.device)
    return (d * d).sum(dim=(-2, -1), keepdim=True), None


@function("SUMXMY2", category=MATH, args="array_x: array, array_y: array", torch=_sumxmy2_torch)
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


def _mmult_torch(a, b):
    if a.kind is not None or b.kind is not None:
        raise TorchUnsupported("MMULT over non-numbers")
    return a.t @ b.t, None


@function("MMULT", category=MATH, args="array1: array, array2: array", torch=_mmult_torch)
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
        out = with_errors(out.broadcast(shape), codes)
    return out


# --- random numbers (volatile) -------------------------------------------------------------------

@function("RAND", category=MATH, volatile=True)
def RAND(ctx) -> Arr:
    return Arr(ctx.engine.rng.random(ctx.batch.shape)[..., None, None])


@function("RANDBETWEEN", category=MATH, args="bottom: number, top: number", volatile=True)
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
