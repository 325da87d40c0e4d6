"""Correctly rounded EXP, LN, LOG10, LOG(x, base), x^y and TANH over numpy arrays.

Why: the engine's values are written into the generated workbooks, and those
must be the same bytes on every machine.  numpy's np.exp, np.log ... pick a
SIMD kernel at run time (AVX2, AVX-512, NEON ...) and the kernels differ in the
last bit; the C library's libm has FMA and non-FMA variants and differs between
systems.  A *correctly rounded* result -- the double nearest the exact value --
has one right answer, so it is the same everywhere however it is computed.

How: each function is evaluated in double-double arithmetic (a value as an
unevaluated sum hi + lo, about 100 bits) built only from +, -, *, / on float64
arrays -- IEEE-754 operations that round identically on every CPU (numpy never
contracts them into fused multiply-adds).  The double-double result is within
a known relative error ``eps`` of the exact value; when ``hi`` is the correct
rounding for every value within that error (the ``lo`` part is clear of the
half-way point between doubles), ``hi`` is the answer.  The rare elements too
close to a half-way point -- about one in 2**20 -- and the subnormal range are
recomputed with Python's ``decimal`` module at 60 significant digits, whose
``exp``/``ln``/``log10`` are correctly rounded by specification and far finer
than the hardest double cases; ``float(Decimal)`` then rounds correctly.

The platform's own kernels appear in one place only: ``np.log`` gives the
starting guess of a Newton step for LN, and the step removes any dependence on
its last bits (the answer is decided by the rounding test, not by the guess).

The error bounds ``_EPS_*`` are generous: tests/test_crmath.py measures the
largest double-double error against ``decimal`` on random and adversarial
inputs and requires it to stay 2**8 below each bound.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal, localcontext

import numpy as np

# --- double-double primitives (Dekker, Knuth): exact transformations in plain float64 ---------

_SPLITTER = 134217729.0            # 2**27 + 1


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a, b):          # |a| >= |b|
    s = a + b
    return s, b - (s - a)


def _split(a):
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_add(ah, al, bh, bl):
    s, e = _two_sum(ah, bh)
    return _fast_two_sum(s, e + (al + bl))


def _dd_mul(ah, al, bh, bl):
    p, e = _two_prod(ah, bh)
    return _fast_two_sum(p, e + (ah * bl + al * bh))


def _dd_div(ah, al, bh, bl):
    q1 = ah / bh
    ph, pl = _dd_mul(q1, 0.0, bh, bl)
    rh, rl = _dd_add(ah, al, -ph, -pl)
    q2 = rh / bh
    return _fast_two_sum(q1, q2)


# --- constants, computed once with decimal (pure software, the same everywhere) ---------------

_CTX = Context(prec=60)


def _dd_const(d: Decimal) -> tuple[float, float]:
    hi = float(d)
    return hi, float(_CTX.subtract(d, Decimal(hi)))


def _split_bits(d: Decimal, bits: int, parts: int) -> list[float]:
    """d as `parts` doubles of `bits` significant bits each (so k * part is exact for small k)."""
    out = []
    for _ in range(parts - 1):
        m, e = math.frexp(float(d))
        part = math.ldexp(math.floor(math.ldexp(m, bits)), e - bits) if m else 0.0
        out.append(part)
        d = _CTX.subtract(d, Decimal(part))
    out.append(float(d))
    return out


_LN2 = _CTX.ln(Decimal(2))
_LN10 = _CTX.ln(Decimal(10))
_TABLE = 64                                              # exp: x = (64 m + j) ln2/64 + r
_INV_STEP = float(_CTX.divide(Decimal(_TABLE), _LN2))    # 64 / ln 2
_STEP1, _STEP2, _STEP3 = _split_bits(_CTX.divide(_LN2, Decimal(_TABLE)), 36, 3)   # ln2/64, |k| < 2**17
_LN2_1, _LN2_2, _LN2_3 = _split_bits(_LN2, 40, 3)                                 # ln 2, |e| < 2**11
_POW2_HI = np.array([_dd_const(_CTX.power(Decimal(2), _CTX.divide(Decimal(j), Decimal(_TABLE))))[0]
                     for j in range(_TABLE)])
_POW2_LO = np.array([_dd_const(_CTX.power(Decimal(2), _CTX.divide(Decimal(j), Decimal(_TABLE))))[1]
                     for j in range(_TABLE)])
_INV_FACT = [_dd_const(_CTX.divide(Decimal(1), Decimal(math.factorial(n)))) for n in range(12)]
_THIRD = _dd_const(_CTX.divide(Decimal(1), Decimal(3)))
_INV_LN10 = _dd_const(_CTX.divide(Decimal(1), _LN10))

# Relative error bounds of the double-double results (measured errors stay below 2**-(bound+8)).
_EPS_EXP = 2.0 ** -84
_EPS_LN = 2.0 ** -80
_EPS_POW = 2.0 ** -80
_EPS_TANH = 2.0 ** -78

_EXP_OVERFLOW = 709.782712893384          # exp(x) > DBL_MAX above this (the double just below ln DBL_MAX)
_EXP_SUBNORMAL = -708.3                   # below: results subnormal or zero, decided by decimal


# --- the rounding test -----------------------------------------------------------------------

def _round(hi, lo, eps, exact_fn, args, scale=None):
    """hi where hi + lo +- eps*|hi| rounds to hi for sure; the others exact_fn(*args).
    With `scale`, (hi, lo) stand for (hi + lo) * 2**scale: the test runs on the unscaled
    pair (no subnormal lo) and hi is then scaled (exact for normal results)."""
    finite = np.isfinite(hi) & (hi != 0)
    half_gap = np.abs(hi - np.nextafter(hi, 0.0)) * 0.5      # the smaller neighbour gap
    unsure = finite & ~(np.abs(lo) + eps * np.abs(hi) < half_gap)
    out = hi.copy() if scale is None else _scale(hi, scale)
    for i in np.flatnonzero(unsure).tolist():
        out.flat[i] = exact_fn(*(float(a.flat[i]) for a in args))
    return out


def _decimal(fn):
    """A correctly rounded double from a 60-digit decimal computation (inf/0 beyond range)."""
    def exact(*xs):
        with localcontext(_CTX):
            try:
                return float(fn(*map(Decimal, xs)))
            except OverflowError:
                return math.inf
    return exact


_BLOCK = 8192     # values per pass: the dozens of temporaries stay in the CPU cache (3x faster at 1e6)


def _blockwise(fn):
    """fn over big arrays in slices of _BLOCK values (element-wise, so the result is the same)."""
    def run(*args):
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
        if arrays[0].size <= _BLOCK:
            return fn(*arrays)
        flat = [a.ravel() for a in arrays]
        out = np.empty(flat[0].size)
        for i in range(0, out.size, _BLOCK):
            out[i:i + _BLOCK] = fn(*(a[i:i + _BLOCK] for a in flat))
        return out.reshape(arrays[0].shape)
    run.__name__, run.__doc__, run.__wrapped__ = fn.__name__, fn.__doc__, fn
    return run


# --- exp -------------------------------------------------------------------------------------

def _expm1_reduced(rh, rl):
    """e**r - 1 for |r| <= ln2/128 (plus a hair), double-double, relative error ~2**-100."""
    # the terms from r**5/5! on are below 2**-35 and computed in double
    tail = rh * (_INV_FACT[5][0] + rh * (_INV_FACT[6][0] + rh * (
        _INV_FACT[7][0] + rh * (_INV_FACT[8][0] + rh * (_INV_FACT[9][0] + rh * _INV_FACT[10][0])))))
    h = _dd_add(_INV_FACT[4][0], _INV_FACT[4][1], tail, 0.0)
    for n in (3, 2):
        h = _dd_add(_INV_FACT[n][0], _INV_FACT[n][1], *_dd_mul(rh, rl, *h))
    h = _dd_add(1.0, 0.0, *_dd_mul(rh, rl, *h))
    return _dd_mul(rh, rl, *h)


def _exp_dd(xh, xl):
    """e**(xh + xl) = (hi + lo) * 2**m for |xh| <= 745, with hi + lo in [0.98, 2.04) to a
    relative error of ~2**-100 (unscaled, so the rounding test sees no subnormal lo), and k."""
    k = np.rint(xh * _INV_STEP)
    r1 = xh - k * _STEP1                         # exact (Sterbenz)
    rh, rl = _two_sum(r1, -k * _STEP2)           # k * _STEP2 exact
    rh, rl = _fast_two_sum(rh, rl + (xl - k * _STEP3))
    j = (k % _TABLE).astype(np.intp)
    m = ((k - j) / _TABLE).astype(np.int64)
    ph, pl = _expm1_reduced(rh, rl)
    th, tl = _POW2_HI[j], _POW2_LO[j]
    qh, ql = _dd_mul(th, tl, ph, pl)
    eh, el = _dd_add(th, tl, qh, ql)
    return eh, el, m, k


def _scale(x, m):
    """x * 2**m, exact for a normal result (2**m alone may overflow when m = 1024)."""
    half = m // 2
    return (x * np.ldexp(1.0, half)) * np.ldexp(1.0, m - half)


@_blockwise
def exp(x) -> np.ndarray:
    """Correctly rounded e**x, element-wise (inf above 709.78, 0 far below)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    with np.errstate(all="ignore"):
        big, small = x > _EXP_OVERFLOW, x < _EXP_SUBNORMAL
        mid = ~(big | small) & ~np.isnan(x)
        out[big] = math.inf
        out[np.isnan(x)] = math.nan
        for i in np.flatnonzero(small).tolist():
            out.flat[i] = _exact_exp(float(x.flat[i]))
        if mid.any():
            xm = x[mid]
            eh, el, m, _ = _exp_dd(xm, np.zeros_like(xm))
            out[mid] = _round(eh, el, _EPS_EXP, _exact_exp, (xm,), scale=m)
    return out


_exact_exp = _decimal(lambda x: x.exp() if x > -800 else Decimal(0))


# --- ln, log10, log base -----------------------------------------------------------------

def _ln_dd(x):
    """ln x for finite x > 0 as (hi, lo), relative error below 2**-88."""
    m, e = np.frexp(x)                            # x = m 2**e exactly, m in [0.5, 1)
    low = m < 0.7071067811865476
    m = np.where(low, m * 2.0, m)                 # m in [sqrt(1/2), sqrt(2))
    e = (e - low).astype(np.float64)
    # ln m: one Newton step from the platform's guess y0: ln m = y0 + log1p(m e**-y0 - 1)
    y0 = np.log(m)
    eh, el, em, _ = _exp_dd(-y0, np.zeros_like(y0))
    eh, el = _scale(eh, em), _scale(el, em)
    ph, pl = _dd_mul(m, 0.0, eh, el)
    dh, dl = _two_sum(ph - 1.0, pl)               # ph - 1 exact (ph is within 2**-50 of 1)
    dl = dl - 0.5 * dh * dh                       # log1p(d) = d - d**2/2 + O(2**-156)
    lh, ll = _dd_add(y0, 0.0, dh, dl)
    # near 1 the step's absolute error would be a large relative one: the atanh series instead
    near = np.abs(m - 1.0) < 2.0 ** -9
    if near.any():
        u = m[near] - 1.0                         # exact
        sh, sl = _dd_div(u, 0.0, *_two_sum(2.0, u))
        wh, wl = _dd_mul(sh, sl, sh, sl)          # s**2 < 2**-20
        tail = wh * (0.2 + wh * (1 / 7 + wh * (1 / 9)))
        ph2, pl2 = _dd_add(_THIRD[0], _THIRD[1], tail, 0.0)
        ph2, pl2 = _dd_mul(wh, wl, ph2, pl2)
        ph2, pl2 = _dd_add(1.0, 0.0, ph2, pl2)
        nh, nl = _dd_mul(sh, sl, ph2, pl2)
        lh[near], ll[near] = 2.0 * nh, 2.0 * nl
    # + e ln 2, ln 2 in three 40-bit parts so e * part is exact
    nh, nl = _two_sum(e * _LN2_1, e * _LN2_2)
    return _dd_add(nh, nl + e * _LN2_3, lh, ll)


def _positive_finite(x):
    return np.isfinite(x) & (x > 0)


def _log_like(x, finish, eps, exact):
    """Shared frame for ln and log10: ln's edge cases (-inf at 0, nan below, inf at inf)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        out = np.where(x == 0, -math.inf, np.where(x == math.inf, math.inf, math.nan))
        ok = _positive_finite(x)
        if ok.any():
            xo = x[ok]
            hi, lo = finish(*_ln_dd(xo))
            out[ok] = _round(hi, lo, eps, exact, (xo,))
    return out


@_blockwise
def log(x) -> np.ndarray:
    """Correctly rounded natural logarithm (Excel's LN), element-wise."""
    return _log_like(x, lambda h, l: (h, l), _EPS_LN, _exact_ln)


@_blockwise
def log10(x) -> np.ndarray:
    """Correctly rounded base-10 logarithm (Excel's LOG10 and one-argument LOG)."""
    return _log_like(x, lambda h, l: _dd_mul(h, l, *_INV_LN10), _EPS_LN, _exact_log10)


@_blockwise
def log_base(x, base) -> np.ndarray:
    """Correctly rounded log of x to `base` (Excel's LOG(x, base)); nan where x or base <= 0,
    +-inf where base is 1."""
    x, b = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(base, dtype=np.float64))
    with np.errstate(all="ignore"):
        out = np.log(x) / np.log(b)               # only the edge cases keep these values:
        out[(x <= 0) | (b <= 0)] = math.nan       # no logarithm (not -0.0 from 0 / -inf)
        ok = _positive_finite(x) & _positive_finite(b) & (b != 1.0)
        if ok.any():
            xo, bo = x[ok], b[ok]
            hi, lo = _dd_div(*_ln_dd(xo), *_ln_dd(bo))
            out[ok] = _round(hi, lo, _EPS_LN, _exact_log_base, (xo, bo))
        ten = ok & (b == 10.0)
        if ten.any():
            out[ten] = log10(x[ten])
    return out


_exact_ln = _decimal(lambda x: x.ln())
_exact_log10 = _decimal(lambda x: x.log10())
_exact_log_base = _decimal(lambda x, b: x.ln() / b.ln())


# --- x^y ---------------------------------------------------------------------------------

@_blockwise
def power(x, y) -> np.ndarray:
    """Correctly rounded x**y, element-wise, with C's pow edge cases: nan for a negative base
    and a fractional exponent, inf on overflow, 0 ** negative = inf."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    with np.errstate(all="ignore"):
        out = np.power(x, y)                      # edge cases only (0, inf, nan, 1 ** y, x ** 0)
        whole = y == np.trunc(y)
        sign = np.where((x < 0) & whole & (np.fmod(y, 2.0) != 0), -1.0, 1.0)
        out = np.where((x < 0) & ~whole & np.isfinite(y), math.nan, out)
        ax = np.abs(x)
        ok = _positive_finite(ax) & np.isfinite(y) & (ax != 1.0) & (y != 0) & ((x > 0) | whole)
        if ok.any():
            xo, yo = ax[ok], y[ok]
            lh, ll = _ln_dd(xo)
            zh, zl = _dd_mul(lh, ll, yo, 0.0)
            res = np.empty_like(zh)
            big, small = zh > _EXP_OVERFLOW + 1e-9, zh < _EXP_SUBNORMAL
            res[big] = math.inf
            mid = ~(big | small)
            if mid.any():
                hi, lo, m, _ = _exp_dd(zh[mid], zl[mid])
                res[mid] = _round(hi, lo, _EPS_POW, _exact_pow, (xo[mid], yo[mid]), scale=m)
            for i in np.flatnonzero(small | (mid & ~np.isfinite(res))).tolist():
                res[i] = _exact_pow(float(xo[i]), float(yo[i]))
            out[ok] = res * sign[ok]
    return out


def _decimal_pow(x: Decimal, y: Decimal) -> Decimal:
    z = y * x.ln()                                # a guard against huge integer powers
    if z > 800:
        return Decimal("Infinity")
    if z < -800:
        return Decimal(0)
    return x ** y


_exact_pow = _decimal(_decimal_pow)


# --- tanh --------------------------------------------------------------------------------

def _tanh_dd(a):
    """tanh(a) for 2**-27 <= a <= 30 as (hi, lo): expm1(2a) / (expm1(2a) + 2)."""
    z = 2.0 * a                                          # exact
    eh, el, m, k = _exp_dd(z, np.zeros_like(z))
    eh, el = _scale(eh, m), _scale(el, m)
    mh, ml = _dd_add(eh, el, -1.0, 0.0)
    small = k == 0                                       # e**z - 1 straight from the series
    if small.any():
        mh[small], ml[small] = _expm1_reduced(z[small], np.zeros(int(small.sum())))
    return _dd_div(mh, ml, *_dd_add(mh, ml, 2.0, 0.0))


@_blockwise
def tanh(x) -> np.ndarray:
    """Correctly rounded hyperbolic tangent, element-wise."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        out = np.where(np.isnan(x), math.nan, np.sign(x))   # |x| > 30 rounds to +-1
        tiny = a < 2.0 ** -27                                # tanh(x) = x(1 - x**2/3) rounds to x
        out[tiny] = x[tiny]
        mid = ~tiny & (a <= 30)
        if mid.any():
            hi, lo = _tanh_dd(a[mid])
            out[mid] = np.copysign(_round(hi, lo, _EPS_TANH, _exact_tanh, (a[mid],)), x[mid])
    return out


def _decimal_tanh(x: Decimal) -> Decimal:
    with localcontext(Context(prec=90)):           # e**2x - 1 cancels up to 2**-27: 30 digits spare
        e = (2 * x).exp()
        return (e - 1) / (e + 1)


_exact_tanh = _decimal(_decimal_tanh)


# --- one value at a time (the engine's scalar path) ---------------------------------------------

def scalar(fn):
    """The one-number form of an array function: raises OverflowError / ValueError where
    the result is not a finite number, as Python's math module does."""
    def one(*xs: float) -> float:
        z = float(fn(*(np.array([float(v)]) for v in xs))[0])
        if math.isnan(z):
            raise ValueError("math domain error")
        if math.isinf(z):
            raise OverflowError("math range error")
        return z
    one.__name__ = fn.__name__
    one.__doc__ = fn.__doc__
    return one
