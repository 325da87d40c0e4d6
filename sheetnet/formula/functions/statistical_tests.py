"""Statistical: hypothesis tests -- T.TEST, F.TEST, Z.TEST, CHISQ.TEST and
their legacy names (TTEST, FTEST, ZTEST, CHITEST).

Samples are read by the aggregate rule (numbers only in ranges); T.TEST's
paired form uses the positions where both arrays hold numbers.  Errors in
the data propagate.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ERR_BASE, NA
from ...store import NUM
from ..values import E_NA, Arr, numbers, numeric_result
from .numpy_forms import LazyModule
from .registry import Category, function
from .samples import collect, line_sum, per_sample_k, result_of

sp = LazyModule("scipy.special")

STATISTICAL = Category.STATISTICAL


def _sum(x: np.ndarray) -> float:
    return line_sum(x)


def _mean_var(x: np.ndarray) -> tuple[int, float, float]:
    n = x.size
    if n < 2:
        raise ZeroDivisionError
    mean = _sum(x) / n
    d = x - mean
    return n, mean, _sum(d * d) / (n - 1)


def _numbers_of(a: Arr) -> tuple[np.ndarray, np.ndarray, int]:
    """(values, is-a-number mask, first error code) of an array, flattened."""
    k = a.kinds().ravel()
    bad = k >= ERR_BASE
    return a.num.ravel(), k == NUM, (int(k[bad][0]) if bad.any() else 0)


def _t_test(x: np.ndarray, xm: np.ndarray, y: np.ndarray, ym: np.ndarray, tails: float, kind: float) -> float:
    tails, kind = math.trunc(tails), math.trunc(kind)
    if tails not in (1, 2) or kind not in (1, 2, 3):
        raise ValueError("tails must be 1 or 2, type 1, 2 or 3")
    if kind == 1:
        if x.size != y.size:
            return NA
        both = xm & ym
        n, mean, var = _mean_var(x[both] - y[both])
        t, df = mean / math.sqrt(var / n), n - 1
    else:
        nx, mx, vx = _mean_var(x[xm])
        ny, my, vy = _mean_var(y[ym])
        if kind == 2:
            df = nx + ny - 2
            pooled = ((nx - 1) * vx + (ny - 1) * vy) / df
            t = (mx - my) / math.sqrt(pooled * (1 / nx + 1 / ny))
        else:
            a, b = vx / nx, vy / ny
            t = (mx - my) / math.sqrt(a + b)
            df = (a + b) ** 2 / (a * a / (nx - 1) + b * b / (ny - 1))   # Welch: fractional df
    return tails * float(sp.stdtr(df, -abs(t)))


def _two_arrays(ctx, a: Arr, b: Arr, ks: list[Arr], fn) -> Arr:
    """fn(x, x_is_number, y, y_is_number, *k floats) per batch element."""
    nd = ctx.nd - 2
    kv = [numbers(k) for k in ks]
    batch = np.broadcast_shapes(a.shape[:nd], b.shape[:nd], *(x.shape[:nd] for x, _ in kv))
    out = np.zeros(batch + (1, 1))
    err = np.zeros(batch + (1, 1), np.uint8)
    for idx in np.ndindex(batch):
        def at(v):
            return v[tuple(i if v.shape[d] > 1 else 0 for d, i in enumerate(idx))]
        x, xm, ex = _numbers_of(a.index(tuple(i if a.shape[d] > 1 else 0 for d, i in enumerate(idx))))
        y, ym, ey = _numbers_of(b.index(tuple(i if b.shape[d] > 1 else 0 for d, i in enumerate(idx))))
        code = ex or ey
        args = []
        for kx, ke in kv:
            if ke is not None and at(ke).flat[0] and not code:
                code = int(at(ke).flat[0])
            args.append(float(at(kx).flat[0]))
        z = code or result_of(fn, x, xm, y, ym, *args)
        if isinstance(z, int):
            err[idx] = z
        else:
            out[idx] = z
    return numeric_result(out, err)


def _t_test_impl(ctx, a: Arr, b: Arr, tails: Arr, kind: Arr) -> Arr:
    """The probability of Student's t test: type 1 paired (the positions where
    both hold numbers; arrays of different sizes #N/A), 2 two samples of equal
    variance, 3 unequal variance (Welch); tails 1 or 2 (truncated), else #NUM!."""
    return _two_arrays(ctx, a, b, [tails, kind], _t_test)


_T_ARGS = "array1: array, array2: array, tails: number, type: number"
function("T.TEST", category=STATISTICAL, prefix="_xlfn.", args=_T_ARGS)(_t_test_impl)
function("TTEST", category=STATISTICAL, args=_T_ARGS)(_t_test_impl)


def _f_test(x, xm, y, ym) -> float:
    nx, _, vx = _mean_var(x[xm])
    ny, _, vy = _mean_var(y[ym])
    if vx == 0 or vy == 0:
        raise ZeroDivisionError
    left = float(sp.fdtr(nx - 1, ny - 1, vx / vy))
    return 2 * min(left, 1 - left)


def _f_test_impl(ctx, a: Arr, b: Arr) -> Arr:
    """The two-tailed probability that the two samples' variances do not
    differ; fewer than 2 numbers or no spread in either: #DIV/0!."""
    return _two_arrays(ctx, a, b, [], _f_test)


function("F.TEST", category=STATISTICAL, prefix="_xlfn.", args="array1: array, array2: array")(_f_test_impl)
function("FTEST", category=STATISTICAL, args="array1: array, array2: array")(_f_test_impl)


def _z_test(x: np.ndarray, mu: float, sigma: float | None = None) -> float:
    n = x.size
    if n == 0:
        return NA
    mean = _sum(x) / n
    if sigma is None:
        _, _, var = _mean_var(x)
        sigma = math.sqrt(var)
    if sigma <= 0:
        raise ZeroDivisionError if sigma == 0 else ValueError("sigma < 0")
    return float(sp.ndtr(-(mean - mu) / (sigma / math.sqrt(n))))


def _z_test_impl(ctx, array, x: Arr, sigma: Arr | None = None) -> Arr:
    """The one-tailed probability of the z test of the sample's mean against
    x, with sigma (default: the sample's standard deviation)."""
    ks = [x] if sigma is None else [x, sigma]
    return per_sample_k(ctx, collect(ctx, [array]), ks, _z_test, prepare=lambda v: v)


_Z_ARGS = "array: numbers, x: number, [sigma: number]"
function("Z.TEST", category=STATISTICAL, prefix="_xlfn.", args=_Z_ARGS)(_z_test_impl)
function("ZTEST", category=STATISTICAL, args=_Z_ARGS)(_z_test_impl)


def _chisq_test_impl(ctx, actual: Arr, expected: Arr) -> Arr:
    """The right-tail probability of the chi-squared statistic of actual
    against expected counts; df (r-1)(c-1), or n-1 for one row or column.
    Sizes differ: #N/A; an expected count of 0: #DIV/0!."""
    if actual.hw != expected.hw:
        return numeric_result(np.zeros(ctx.unit_shape()), np.full(ctx.unit_shape(), E_NA, np.uint8))
    h, w = actual.hw
    df = (h - 1) * (w - 1) if h > 1 and w > 1 else h * w - 1

    def fn(x, xm, y, ym):
        both = xm & ym
        if (y[both] == 0).any():
            raise ZeroDivisionError
        if (y[both] < 0).any() or df < 1:
            raise ValueError("negative expected count or no degrees of freedom")
        d = x[both] - y[both]
        return float(sp.chdtrc(df, _sum(d * d / y[both])))
    return _two_arrays(ctx, actual, expected, [], fn)


_CHI_ARGS = "actual_range: array, expected_range: array"
function("CHISQ.TEST", category=STATISTICAL, prefix="_xlfn.", args=_CHI_ARGS)(_chisq_test_impl)
function("CHITEST", category=STATISTICAL, args=_CHI_ARGS)(_chisq_test_impl)

