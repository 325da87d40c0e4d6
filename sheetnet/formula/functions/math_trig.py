"""Math & trig: elementwise maths, rounding, sums and products, matrix
products, random numbers."""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from fractions import Fraction

import numpy as np

from ..ast import Missing
from ...errors import ERR_BASE, ExcelError
from ...store import BLANK, BOOL, NUM
from .. import crmath
from ..batch import NotVectorizable, RefVal
from ..values import (E_DIV0, E_NA, E_NUM, E_VALUE, Arr, arithmetic, error, first_error, left_to_right, numbers,
                      numeric_result, parse_number_text, seq_sum, with_errors)
from .aggregate import Collected, collect
from .criteria import conditional_numbers, resized
from .lifting import coerce as lift_coerce
from .registry import Category, elementwise, function
from .torchforms import TorchUnsupported

MATH = Category.MATH
VALUE_ERROR = ExcelError("#VALUE!")
NUM_ERROR = ExcelError("#NUM!")
DIV0_ERROR = ExcelError("#DIV/0!")

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




@elementwise("SQRTPI", category=MATH, args="number: number",
             numpy=lambda x: np.sqrt(x * np.pi), torch=lambda x: (x * math.pi).sqrt())
def SQRTPI(x: float) -> float:
    """SQRTPI(x) = SQRT(x * PI()); #NUM! for x < 0."""
    return math.sqrt(x * math.pi)


# --- trigonometry -------------------------------------------------------------------------

def _reciprocal(x: float) -> float:
    if x == 0:
        raise ZeroDivisionError
    return 1.0 / x


# Excel reduces the argument of SIN, COS, TAN and their reciprocals modulo
# pi/2 with pi rounded to 64 bits (the x87 constant), not with the exact pi
# the C library uses: near a multiple of pi/2, where the result is tiny,
# that shows (COT(PI()-1E-12) is -999788629259.2037 in Excel, -999788679403.58
# with exact reduction).  Arguments of 2^27 and beyond are #NUM!.
_HALF_PI_64 = Fraction(0xC90FDAA22168C235, 2 ** 63)
_TRIG_LIMIT = 2.0 ** 27


def _sin_cos(x: float) -> tuple[float, float]:
    """(sin x, cos x) as Excel computes them."""
    if abs(x) >= _TRIG_LIMIT:
        raise ValueError("Excel's trigonometric functions stop at 2^27")
    k = round(Fraction(x) / _HALF_PI_64)
    r = float(Fraction(x) - k * _HALF_PI_64)
    s, c = math.sin(r), math.cos(r)
    return ((s, c), (c, -s), (-s, -c), (-c, s))[k % 4]


def _trig_numpy(python_form, library):
    """The library's function where the reduction does not matter (far from
    a multiple of pi/2, |x| < 1e5); the exact Excel form elsewhere."""

    def numpy_form(x):
        z = library(x)
        with np.errstate(all="ignore"):
            k = np.round(x / (math.pi / 2))
            near = (np.abs(x - k * (math.pi / 2)) < 1e-3) & (k != 0) | (np.abs(x) >= 1e5)
        if near.any():
            z = np.array(z, dtype=np.float64, copy=True)
            for idx in zip(*np.nonzero(near)):
                z[idx] = _call_or_nan(python_form, float(x[idx]))
        return z

    return numpy_form


def _call_or_nan(fn, x: float) -> float:
    try:
        return fn(x)
    except (ArithmeticError, ValueError):
        return math.nan


def _sin(x: float) -> float:
    return _sin_cos(x)[0]


def _cos(x: float) -> float:
    return _sin_cos(x)[1]


def _tan(x: float) -> float:
    s, c = _sin_cos(x)
    return s / c


@elementwise("SIN", category=MATH, args="number: number", numpy=_trig_numpy(_sin, np.sin),
             torch=lambda x: x.sin())
def SIN(x: float) -> float:
    return _sin(x)


@elementwise("COS", category=MATH, args="number: number", numpy=_trig_numpy(_cos, np.cos),
             torch=lambda x: x.cos())
def COS(x: float) -> float:
    return _cos(x)


@elementwise("TAN", category=MATH, args="number: number", numpy=_trig_numpy(_tan, np.tan),
             torch=lambda x: x.tan())
def TAN(x: float) -> float:
    return _tan(x)


@elementwise("ASIN", category=MATH, args="number: number", torch=lambda x: x.asin())
def ASIN(x: float) -> float:
    return math.asin(x)


@elementwise("ACOS", category=MATH, args="number: number", torch=lambda x: x.acos())
def ACOS(x: float) -> float:
    return math.acos(x)


@elementwise("ATAN", category=MATH, args="number: number", torch=lambda x: x.atan())
def ATAN(x: float) -> float:
    return math.atan(x)


@elementwise("ATAN2", category=MATH, args="x_num: number, y_num: number")
def ATAN2(x: float, y: float) -> float:
    """The angle of the point (x, y) -- note Excel's argument order; (0, 0) is #DIV/0!."""
    if x == 0 and y == 0:
        raise ZeroDivisionError
    return math.atan2(y, x)


@elementwise("SINH", category=MATH, args="number: number", torch=lambda x: x.sinh())
def SINH(x: float) -> float:
    return math.sinh(x)


@elementwise("COSH", category=MATH, args="number: number", torch=lambda x: x.cosh())
def COSH(x: float) -> float:
    return math.cosh(x)


@elementwise("ASINH", category=MATH, args="number: number", torch=lambda x: x.asinh())
def ASINH(x: float) -> float:
    return math.asinh(x)


@elementwise("ACOSH", category=MATH, args="number: number", torch=lambda x: x.acosh())
def ACOSH(x: float) -> float:
    return math.acosh(x)


@elementwise("ATANH", category=MATH, args="number: number", torch=lambda x: x.atanh())
def ATANH(x: float) -> float:
    return math.atanh(x)          # ValueError (#NUM!) at |x| >= 1


@elementwise("COT", category=MATH, prefix="_xlfn.", args="number: number")
def COT(x: float) -> float:
    s, c = _sin_cos(x)
    return c / s if s != 0 else _reciprocal(0.0)


@elementwise("CSC", category=MATH, prefix="_xlfn.", args="number: number")
def CSC(x: float) -> float:
    return _reciprocal(_sin(x))


@elementwise("SEC", category=MATH, prefix="_xlfn.", args="number: number")
def SEC(x: float) -> float:
    return _reciprocal(_cos(x))


@elementwise("COTH", category=MATH, prefix="_xlfn.", args="number: number")
def COTH(x: float) -> float:
    return _reciprocal(math.tanh(x))


@elementwise("CSCH", category=MATH, prefix="_xlfn.", args="number: number")
def CSCH(x: float) -> float:
    if abs(x) > 710:
        return 0.0
    return _reciprocal(math.sinh(x))


@elementwise("SECH", category=MATH, prefix="_xlfn.", args="number: number")
def SECH(x: float) -> float:
    if abs(x) > 710:
        return 0.0
    return 1.0 / math.cosh(x)


@elementwise("ACOT", category=MATH, prefix="_xlfn.", args="number: number")
def ACOT(x: float) -> float:
    return math.pi / 2 - math.atan(x)


@elementwise("ACOTH", category=MATH, prefix="_xlfn.", args="number: number")
def ACOTH(x: float) -> float:
    if abs(x) <= 1:
        raise ValueError("ACOTH is defined for |x| > 1")
    return 0.5 * math.log((x + 1) / (x - 1))


@elementwise("DEGREES", category=MATH, args="angle: number", torch=lambda x: x * (180 / math.pi))
def DEGREES(x: float) -> float:
    return x * (180 / math.pi)


@elementwise("RADIANS", category=MATH, args="angle: number", torch=lambda x: x * (math.pi / 180))
def RADIANS(x: float) -> float:
    return x * (math.pi / 180)


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


def _mod_scalar(x: float, y: float) -> float:
    return x % y          # the divisor's sign, exactly; ZeroDivisionError at 0


@function("MOD", category=MATH, args="number: number, divisor: number", scalar=_mod_scalar)
def MOD(ctx, a: Arr, b: Arr) -> Arr:
    """MOD(n, d) = n - d*INT(n/d), computed exactly (as C's fmod, then moved
    to the divisor's sign): MOD(5, 1E-10) is 9.99998E-11, not 0."""
    x, ex = numbers(a)
    y, ey = numbers(b)
    err = first_error(ex, ey)
    with np.errstate(all="ignore"):
        z = np.remainder(x, y)
    zero = y == 0
    if np.any(zero):
        err = first_error(err, np.where(zero, E_DIV0, 0).astype(np.uint8))
    return numeric_result(z, err)


@elementwise("QUOTIENT", category=MATH, args="numerator: strict_number, denominator: strict_number")
def QUOTIENT(x: float, y: float) -> float:
    """The integer part of x / y (toward zero); booleans are #VALUE!."""
    return float(math.trunc(x / y))


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
        if m is None:
            mode = np.zeros_like(x)
        else:
            mode, em = numbers(m)
            err = first_error(err, em)
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
    return left_to_right(values)


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
    with np.errstate(over="ignore"):              # a square beyond the doubles is #NUM!
        squares = c.num * c.num
    return numeric_result(c.total(squares), c.first_error())


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


@function("SUMIFS", category=MATH, args="sum_range: reference, criteria_range: reference, "
          "criteria: any, [criteria_range: reference, criteria: any]...")
def SUMIFS(ctx, values, *pairs) -> Arr:
    """The sum of the numbers in sum_range whose cells meet every criterion in
    the criteria ranges (all the same size as sum_range, else #VALUE!); an
    error among the summed cells, or as a criterion, is the result."""
    if len(pairs) % 2:
        return error(E_VALUE, ctx.unit_shape())
    found = conditional_numbers(ctx, values, list(pairs[0::2]), list(pairs[1::2]))
    if found is None:
        return error(E_VALUE, ctx.unit_shape())
    shape, items = found
    total, err = np.zeros(shape), np.zeros(shape, np.uint8)
    for idx, nums, code in items:
        total[idx] = seq_sum(nums[None, :])[0]
        err[idx] = code
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
    """Matrix product, each dot product summed left to right.  An error in
    either array is the whole result (the first in reading order, array1
    first); any other non-number makes it #VALUE!, as do mismatched sizes."""
    w1, h2 = a.hw[1], b.hw[0]
    if w1 != h2:
        return error(E_VALUE, ctx.unit_shape())
    code = None
    for m in (b, a):                   # a's errors win: applied last
        if m.kind is not None:
            flat = m.kind.reshape(m.shape[:-2] + (-1,))
            errs = _first_code(np.where(flat >= ERR_BASE, flat, 0).astype(np.uint8)[..., None, :], flat.shape[:-1] + (1, flat.shape[-1]))
            nonnum = np.where((flat != NUM).any(axis=-1), E_VALUE, 0)[..., None, None].astype(np.uint8)
            here = np.where(errs != 0, errs, nonnum).astype(np.uint8)
            code = here if code is None else np.where(here != 0, here, code).astype(np.uint8)
    x, y = a.num, b.num
    with np.errstate(all="ignore"):
        acc = x[..., :, 0:1] * y[..., 0:1, :]
        for k in range(1, w1):
            acc = acc + x[..., :, k:k + 1] * y[..., k:k + 1, :]
    out = numeric_result(acc)
    if code is not None and code.any():
        shape = np.broadcast_shapes(out.shape, code.shape)
        out = with_errors(out.broadcast(shape), np.broadcast_to(code, shape))
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


# --- Roman numerals ----------------------------------------------------------------------------

_ROMAN_CHARS = "MDCLXVI"
_ROMAN_VALUES = (1000, 500, 100, 50, 10, 5, 1)


def roman(value: int, form: int) -> str:
    """Excel's ROMAN: form 0 classic (499 = CDXCIX) to 4 simplified (499 = ID);
    each form allows subtractions one step further (LibreOffice's algorithm,
    which Excel's results agree with)."""
    out = []
    last = len(_ROMAN_VALUES) - 1
    for i in range(0, last + 1, 2):
        digit = value // _ROMAN_VALUES[i]
        if digit % 5 == 4:
            i2 = i - 1 if digit == 4 else i - 2
            j, steps = i, 0
            while steps < form and j < last:
                steps += 1
                if _ROMAN_VALUES[i2] - _ROMAN_VALUES[j + 1] <= value:
                    j += 1
                else:
                    steps = form
            out.append(_ROMAN_CHARS[j] + _ROMAN_CHARS[i2])
            value += _ROMAN_VALUES[j] - _ROMAN_VALUES[i2]
        else:
            if digit > 4:
                out.append(_ROMAN_CHARS[i - 1])
            out.append(_ROMAN_CHARS[i] * (digit % 5))
            value %= _ROMAN_VALUES[i]
    return "".join(out)


@elementwise("ROMAN", category=MATH, args="number: number, [form: any = 0]")
def ROMAN(x: float, form) -> str:
    """ROMAN(number, [form]): 0 <= number < 4000 (truncated); form 0-4, TRUE
    (0) or FALSE (4); anything else #VALUE!."""
    if isinstance(form, ExcelError):
        return form
    if form is True or form is False:
        form = 0 if form else 4
    else:
        form = 0.0 if form is None else (parse_number_text(form) if isinstance(form, str) else form)
        if form is None:
            return VALUE_ERROR
        form = math.trunc(form)
    n = math.trunc(x)
    if not (0 <= n < 4000 and 0 <= form <= 4):
        return VALUE_ERROR
    return roman(n, form)


_ARABIC = dict(zip(_ROMAN_CHARS, _ROMAN_VALUES))


@elementwise("ARABIC", category=MATH, prefix="_xlfn.", args="text: any")
def ARABIC(text) -> float:
    """ARABIC(text): a Roman numeral (any case, optionally negative) read
    leniently, as Excel does: right to left, a numeral smaller than the one
    after it is subtracted ("IM" is 999, "XIXI" 20); "" is 0; anything but
    text is #VALUE!."""
    if isinstance(text, ExcelError):
        return text
    if not isinstance(text, str) or len(text) > 255:
        return VALUE_ERROR
    sign = -1 if text.startswith("-") else 1
    total, previous = 0, 0
    for ch in reversed(text[1:] if sign < 0 else text):
        v = _ARABIC.get(ch.upper())
        if v is None:
            return VALUE_ERROR
        total += v if v >= previous else -v
        previous = v
    return float(sign * total)


# --- integers: GCD, LCM, FACT, COMBIN ... -------------------------------------------------------

@elementwise("MROUND", category=MATH, args="number: strict_number, multiple: strict_number")
def MROUND(x: float, m: float) -> float:
    """x rounded half away from zero to a multiple of m (signs must agree:
    else #NUM!; m = 0 gives 0); the quotient is read to 15 digits first."""
    if m == 0 or x == 0:
        return 0.0
    if (x > 0) != (m > 0):
        raise ValueError("MROUND: number and multiple have different signs")
    ratio = x / m
    if not math.isfinite(ratio):
        raise OverflowError("MROUND overflows")
    q = Decimal(f"{ratio:.15g}").quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_DECIMAL)
    return float(q) * m


@elementwise("EVEN", category=MATH, args="number: number")
def EVEN(x: float) -> float:
    """Away from zero to the nearest even integer."""
    n = math.ceil(abs(x) / 2) * 2 or (2 if x else 0)      # abs(x) / 2 underflows for the tiniest x
    return float(math.copysign(n, x)) if n else 0.0


@elementwise("ODD", category=MATH, args="number: number")
def ODD(x: float) -> float:
    """Away from zero to the nearest odd integer (ODD(0) is 1)."""
    n = math.ceil((abs(x) - 1) / 2) * 2 + 1
    return float(n if x >= 0 else -n)


@elementwise("FACT", category=MATH, args="number: number")
def FACT(x: float) -> float:
    """n! of the truncated number; #NUM! below 0 (and beyond 170!)."""
    if x < 0:
        raise ValueError("FACT of a negative number")
    if x >= 171:                     # 171! is beyond the largest double
        raise OverflowError("FACT overflows")
    return float(math.factorial(math.trunc(x)))


@elementwise("FACTDOUBLE", category=MATH, args="number: strict_number")
def FACTDOUBLE(x: float) -> float:
    """n!! = n (n-2) (n-4) ...; FACTDOUBLE(-1) and (0) are 1; #NUM! below -1."""
    n = math.trunc(x)
    if n < -1:
        raise ValueError("FACTDOUBLE below -1")
    if n > 301:                      # 302!! is beyond the largest double
        raise OverflowError("FACTDOUBLE overflows")
    return float(math.prod(range(n, 0, -2)))


def _binomial(n: int, k: int) -> float:
    """C(n, k) as a double; #NUM! (OverflowError) when it is beyond the
    largest one -- decided from logarithms before any big integer is built."""
    k = min(k, n - k)
    if math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) > 710:
        raise OverflowError("the number of combinations overflows")
    return float(math.comb(n, k))


@elementwise("COMBIN", category=MATH, args="number: number, number_chosen: number")
def COMBIN(n: float, k: float) -> float:
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0 or k > n:
        raise ValueError("COMBIN needs 0 <= k <= n")
    return _binomial(n, k)


@elementwise("COMBINA", category=MATH, prefix="_xlfn.", args="number: number, number_chosen: number")
def COMBINA(n: float, k: float) -> float:
    """Combinations with repetitions: C(n + k - 1, k)."""
    n, k = math.trunc(n), math.trunc(k)
    if n < 0 or k < 0 or (n == 0 and k > 0):
        raise ValueError("COMBINA needs n, k >= 0")
    return _binomial(n + k - 1, k) if n + k > 0 else 1.0


_MAX_EXACT = 2.0 ** 53


def _integer_values(ctx, nodes) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """GCD/LCM's reading of their arguments, as Excel's results show it: every
    value is coerced as a number (numeric text counts, other text and
    booleans are #VALUE!, also inside ranges); an empty cell inside a
    multi-cell range is 0, an empty single cell is skipped, and only empty
    single cells is #VALUE!.  Returns (values, used, first error), shape batch + (k,)."""
    parts = []
    for node in nodes:
        v = ctx.ev.value(node, ctx.batch, ctx.arr)
        single = not isinstance(v, RefVal) or v.h * v.w == 1
        a = ctx.deref(v)
        x, err = numbers(a)
        k = a.kinds()
        err = np.zeros(k.shape, np.uint8) if err is None else err
        err = np.where((k == BOOL) & (err == 0), E_VALUE, err).astype(np.uint8)
        used = (k != BLANK) if single else np.ones(k.shape, bool)
        flat = a.shape[:-2] + (-1,)
        parts.append((np.reshape(x, flat), np.reshape(used, flat), np.reshape(err, flat)))
    batch = np.broadcast_shapes(*(p[0].shape[:-1] for p in parts))

    def cat(i):
        return np.concatenate([np.broadcast_to(p[i], batch + p[i].shape[-1:]) for p in parts], axis=-1)

    values, used, err = cat(0), cat(1), cat(2)
    first = Collected(values, used, err, None, None).first_error()
    none = ~used.any(axis=-1)[..., None, None]
    if none.any():
        fill = np.where(none, E_VALUE, 0).astype(np.uint8)
        first = fill if first is None else np.where(first != 0, first, fill).astype(np.uint8)
    return values, used, first


def _gcd_lcm(lcm: bool):
    def impl(ctx, nodes) -> Arr:
        if any(isinstance(n, Missing) for n in nodes):
            return error(E_NA, ctx.unit_shape())        # an empty argument: Excel says #N/A
        values, used, err = _integer_values(ctx, nodes)
        out = np.zeros(values.shape[:-1])
        codes = np.zeros(values.shape[:-1], np.uint8)
        for idx in np.ndindex(out.shape):
            xs = values[idx][used[idx]]
            if ((xs < 0) | (xs >= _MAX_EXACT)).any():
                codes[idx] = E_NUM
                continue
            acc = (1 if len(xs) else 0) if lcm else 0
            for n in np.trunc(xs).astype(np.int64).tolist():
                acc = math.lcm(acc, n) if lcm else math.gcd(acc, n)
            if acc >= _MAX_EXACT:
                codes[idx] = E_NUM
            out[idx] = float(acc)
        err = first_error(err, codes[..., None, None])
        return numeric_result(out[..., None, None], err)
    return impl


_INTEGERS = "number: lazy, [number: lazy]..."
function("GCD", category=MATH, args=_INTEGERS, lazy=True)(_gcd_lcm(False))
function("LCM", category=MATH, args=_INTEGERS, lazy=True)(_gcd_lcm(True))


@function("MULTINOMIAL", category=MATH, args=_INTEGERS, lazy=True)
def MULTINOMIAL(ctx, nodes) -> Arr:
    """(a + b + ...)! / (a! b! ...) of the truncated numbers, read as GCD reads
    them; a negative number is #NUM!."""
    if any(isinstance(n, Missing) for n in nodes):
        return error(E_NA, ctx.unit_shape())
    values, used, err = _integer_values(ctx, nodes)
    out = np.zeros(values.shape[:-1])
    codes = np.zeros(values.shape[:-1], np.uint8)
    for idx in np.ndindex(out.shape):
        ns = np.trunc(values[idx][used[idx]])
        if (ns < 0).any() or ns.sum() > 170:
            codes[idx] = E_NUM
            continue
        ints = ns.astype(np.int64).tolist()
        out[idx] = float(math.factorial(sum(ints)) // math.prod(math.factorial(n) for n in ints))
    return numeric_result(out[..., None, None], first_error(err, codes[..., None, None]))


_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@elementwise("BASE", category=MATH, prefix="_xlfn.", args="number: number, radix: number, [min_length: number = 0]")
def BASE(x: float, radix: float, min_length: float) -> str:
    """The truncated number (0 <= n < 2^53) in base 2-36, zero-padded to
    min_length (0-255); outside these ranges #NUM!."""
    n, radix, width = math.trunc(x), math.trunc(radix), math.trunc(min_length)
    if not (0 <= n < _MAX_EXACT and 2 <= radix <= 36 and 0 <= width <= 255):
        raise ValueError("BASE out of range")
    digits = []
    while n:
        n, d = divmod(n, radix)
        digits.append(_DIGITS[d])
    return "".join(reversed(digits)).rjust(max(width, 1), "0")


@elementwise("DECIMAL", category=MATH, prefix="_xlfn.", args="text: text, radix: number")
def DECIMAL(text: str, radix: float) -> float:
    """Text of digits in base 2-36 (any case) as a number; a digit outside
    the base, or a radix outside 2-36, is #NUM!."""
    radix = math.trunc(radix)
    if not 2 <= radix <= 36:
        raise ValueError("DECIMAL radix out of range")
    if len(text) > 255:
        return VALUE_ERROR
    value = 0
    for ch in text.upper():
        d = _DIGITS.find(ch)
        if d < 0 or d >= radix:
            raise ValueError("not a digit of the base")
        value = value * radix + d
    return float(value)


@function("SERIESSUM", category=MATH, args="x: strict_number, n: strict_number, m: strict_number, "
                                           "coefficients: array")
def SERIESSUM(ctx, x: Arr, n: Arr, m: Arr, coefficients: Arr) -> Arr:
    """sum of a_i * x^(n + i*m) over the coefficients in reading order; 0^0
    (x = 0 with a non-positive power) is #NUM!; non-numbers are #VALUE!."""
    args = [x, n, m]
    coerced = [lift_coerce(a, "strict_number") for a in args]
    err = None
    for _, e in coerced:
        err = first_error(err, e)
    kc = coefficients.kinds()
    cerr = np.where(kc >= ERR_BASE, kc, np.where(kc != NUM, E_VALUE, 0)).astype(np.uint8)
    cerr = _first_code(cerr if cerr.any() else None, kc.shape)
    a = coefficients.num.reshape(coefficients.shape[:-2] + (-1,))
    (xv, _), (nv, _), (mv, _) = coerced
    shape = np.broadcast_shapes(xv.shape[:-2], nv.shape[:-2], mv.shape[:-2], a.shape[:-1])
    out = np.zeros(shape)
    codes = np.zeros(shape, np.uint8)
    for idx in np.ndindex(shape):
        def at(arr):
            return arr[tuple(i if arr.shape[d] > 1 else 0 for d, i in enumerate(idx))]
        xi, ni, mi = float(at(xv)[0, 0]), float(at(nv)[0, 0]), float(at(mv)[0, 0])
        total = 0.0
        for i, ai in enumerate(at(a).tolist()):
            p = ni + i * mi
            if xi == 0 and p <= 0:
                codes[idx] = E_NUM
                break
            total += ai * xi ** p
        out[idx] = total
    err = first_error(first_error(err, cerr), codes[..., None, None])
    return numeric_result(out[..., None, None], err)


def _paired_squares(combine):
    """SUMX2MY2 / SUMX2PY2: over the pairs (in reading order) where both are
    numbers; arrays with different counts of elements are #N/A."""

    def impl(ctx, a: Arr, b: Arr) -> Arr:
        if a.hw[0] * a.hw[1] != b.hw[0] * b.hw[1]:
            return error(E_NA, ctx.unit_shape())
        fa, fb = a.num.reshape(a.shape[:-2] + (-1,)), b.num.reshape(b.shape[:-2] + (-1,))
        ka, kb = a.kinds().reshape(fa.shape), b.kinds().reshape(fb.shape)
        both = (ka == NUM) & (kb == NUM)
        terms = np.where(both, combine(fa * fa, fb * fb), 0.0)
        err = first_error(np.where(ka >= ERR_BASE, ka, 0).astype(np.uint8), np.where(kb >= ERR_BASE, kb, 0).astype(np.uint8))
        flat_err = err[..., None, :]
        code = _first_code(flat_err if flat_err.any() else None, flat_err.shape)
        return numeric_result(seq_sum(terms)[..., None, None], code)

    return impl


function("SUMX2MY2", category=MATH, args="array_x: array, array_y: array")(_paired_squares(np.subtract))
function("SUMX2PY2", category=MATH, args="array_x: array, array_y: array")(_paired_squares(np.add))


# --- matrices ------------------------------------------------------------------------------------

def _square_matrices(a: Arr) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(matrices, error codes per batch cell) of a square numeric array; None
    matrices when it is not square (#VALUE!)."""
    h, w = a.hw
    if h != w:
        return None, None
    k = a.kinds()
    flat = k.reshape(k.shape[:-2] + (-1,))
    errs = np.where(flat >= ERR_BASE, flat, np.where(flat != NUM, E_VALUE, 0)).astype(np.uint8)
    return a.num, _first_code(errs[..., None, :] if errs.any() else None, errs.shape[:-1] + (1, errs.shape[-1]))


@function("MDETERM", category=MATH, args="array: array")
def MDETERM(ctx, a: Arr) -> Arr:
    """The determinant (LU with partial pivoting); non-square or non-numbers #VALUE!."""
    m, err = _square_matrices(a)
    if m is None:
        return error(E_VALUE, ctx.unit_shape())
    with np.errstate(all="ignore"):
        det = np.linalg.det(np.where(np.isfinite(m), m, 0.0))
    return numeric_result(np.asarray(det)[..., None, None], err)


@function("MINVERSE", category=MATH, args="array: array")
def MINVERSE(ctx, a: Arr) -> Arr:
    """The inverse matrix; a singular matrix is #NUM!; non-square or
    non-numbers #VALUE!."""
    m, err = _square_matrices(a)
    if m is None:
        return error(E_VALUE, ctx.unit_shape())
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.zeros(m.shape)
    singular = np.zeros(m.shape[:-2], bool)
    for idx in np.ndindex(m.shape[:-2]):
        det = np.linalg.det(m[idx])
        if det == 0 or not np.isfinite(det):
            singular[idx] = True
        else:
            out[idx] = np.linalg.inv(m[idx])
    codes = np.where(singular, E_NUM, 0).astype(np.uint8)[..., None, None]
    return numeric_result(out, first_error(err, codes))


@function("MUNIT", category=MATH, prefix="_xlfn.", args="dimension: number")
def MUNIT(ctx, n: Arr) -> Arr:
    """The n x n identity matrix (n truncated; below 1 #VALUE!)."""
    x, err = numbers(n.first())
    if err is not None and err.any():
        return Arr(np.zeros(err.shape), err.astype(np.uint8))
    sizes = np.unique(np.trunc(x))
    if len(sizes) != 1:
        raise NotVectorizable("MUNIT sizes differ between cells")
    size = int(sizes[0])
    if size < 1:
        return error(E_VALUE, ctx.unit_shape())
    return Arr(np.eye(size).reshape((1,) * (ctx.nd - 2) + (size, size)))
