"""Engineering: the Bessel functions BESSELI, BESSELJ, BESSELK, BESSELY.

Excel does not compute the exact functions (scipy.special.iv/jv/kv/yv):
its values carry the error, up to a few parts in 1e8, of the classic
polynomial and rational approximations of orders 0 and 1 (Abramowitz &
Stegun 9.4 and 9.8, in the arrangement popularised by Numerical Recipes),
with higher orders by recurrence -- e.g. BESSELJ(0, 0) is 1.00000000283141
and BESSELK(2, 0) is exactly 0.11389388.  Excel's cached values decide, so
this module computes those approximations, not scipy's functions:

* I0, I1: A&S 9.8.1-9.8.4; In (n >= 2): Miller's downward recurrence,
  normalised by I0;
* K0, K1: A&S 9.8.5-9.8.8; Kn: upward recurrence;
* J0, J1, Y0, Y1: rational fits below 8 and the asymptotic forms above;
  Jn: upward recurrence when |x| > n, else Miller's downward recurrence
  normalised by the sum rule; Yn: upward recurrence.  Excel's J1 for
  x >= 8 has an extra term (see `_P1_J`): BESSELJ(10, 1) is 1.1E-5 off.

The order n is truncated toward zero; n < 0 is #NUM!, so is x <= 0 for K
and Y.  Arguments are read as the Analysis ToolPak reads numbers (numeric
text yes, booleans #VALUE!).
"""

from __future__ import annotations

import math

from .registry import Category, elementwise

ENGINEERING = Category.ENGINEERING
TWO_OVER_PI = 0.636619772              # the approximations' own rounding of 2/pi
BIG, SMALL = 1.0e10, 1.0e-10           # rescaling in Miller's recurrences
MILLER_ACCURACY_I = 40.0               # start of the downward recurrence: 2(n + sqrt(40 n))
MILLER_ACCURACY_J = 40.0


def _poly(y: float, coefficients: tuple[float, ...]) -> float:
    """c0 + y (c1 + y (c2 + ...)) -- Horner's rule, innermost last."""
    total = 0.0
    for c in reversed(coefficients):
        total = total * y + c
    return total


# --- modified Bessel functions of the first kind ------------------------------------------

def _i0(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        return _poly(y, (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2))
    y = 3.75 / ax
    return (math.exp(ax) / math.sqrt(ax)) * _poly(y, (
        0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2,
        -0.2057706e-1, 0.2635537e-1, -0.1647633e-1, 0.392377e-2))


def _i1(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        y = (x / 3.75) ** 2
        ans = ax * _poly(y, (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3))
    else:
        y = 3.75 / ax
        tail = 0.2282967e-1 + y * (-0.2895312e-1 + y * (0.1787654e-1 - y * 0.420059e-2))
        ans = 0.39894228 + y * (-0.3988024e-1 + y * (-0.362018e-2 + y * (0.163801e-2 + y * (-0.1031555e-1 + y * tail))))
        ans *= math.exp(ax) / math.sqrt(ax)
    return -ans if x < 0 else ans


def _in(n: int, x: float) -> float:
    if n == 0:
        return _i0(x)
    if n == 1:
        return _i1(x)
    if x == 0:
        return 0.0
    tox = 2.0 / abs(x)
    bip = ans = 0.0
    bi = 1.0
    for j in range(2 * (n + int(math.sqrt(MILLER_ACCURACY_I * n))), 0, -1):
        bim = bip + j * tox * bi
        bip, bi = bi, bim
        if abs(bi) > BIG:
            ans *= SMALL
            bi *= SMALL
            bip *= SMALL
        if j == n:
            ans = bip
    ans *= _i0(x) / bi
    return -ans if x < 0 and n % 2 else ans


# --- modified Bessel functions of the second kind -----------------------------------------

def _k0(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        return -math.log(x / 2.0) * _i0(x) + _poly(y, (
            -0.57721566, 0.42278420, 0.23069756, 0.3488590e-1, 0.262698e-2, 0.10750e-3, 0.74e-5))
    y = 2.0 / x
    return (math.exp(-x) / math.sqrt(x)) * _poly(y, (
        1.25331414, -0.7832358e-1, 0.2189568e-1, -0.1062446e-1, 0.587872e-2, -0.251540e-2, 0.53208e-3))


def _k1(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        return math.log(x / 2.0) * _i1(x) + (1.0 / x) * _poly(y, (
            1.0, 0.15443144, -0.67278579, -0.18156897, -0.1919402e-1, -0.110404e-2, -0.4686e-4))
    y = 2.0 / x
    return (math.exp(-x) / math.sqrt(x)) * _poly(y, (
        1.25331414, 0.23498619, -0.3655620e-1, 0.1504268e-1, -0.780353e-2, 0.325614e-2, -0.68245e-3))


def _upward(n: int, x: float, f0: float, f1: float, sign: float) -> float:
    """f_n from f_0, f_1 by f_{j+1} = sign * (2j/x) f_j + ... (K: f_{j-1} + 2j/x f_j; Y: 2j/x f_j - f_{j-1})."""
    tox = 2.0 / x
    prev, cur = f0, f1
    for j in range(1, n):
        prev, cur = cur, j * tox * cur + sign * prev
        if not math.isfinite(cur):
            raise OverflowError("the recurrence overflows")
    return cur


def _kn(n: int, x: float) -> float:
    if n == 0:
        return _k0(x)
    if n == 1:
        return _k1(x)
    return _upward(n, x, _k0(x), _k1(x), 1.0)


# --- Bessel functions of the first and second kind ----------------------------------------

_P = (1.0, -0.1098628627e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6)
_Q0 = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934935152e-7)
_Q0_Y = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934945152e-7)
_P1 = (1.0, 0.183105e-2, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6)
# Excel's J1 above 8 has one more term: its cached values (J1(10) = 0.04347224965,
# 1.1E-5 off the true 0.04347274617) match this series exactly, with the
# y^2 coefficient repeated as the y^3 one; Y1 uses the series as published
_P1_J = (1.0, 0.183105e-2, -0.3516396496e-4, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6)
_Q1 = (0.04687499995, -0.2002690873e-3, 0.8449199096e-5, -0.88228987e-6, 0.105787412e-6)


def _asymptotic(ax: float, phase: float, p: tuple, q: tuple, sine: bool) -> float:
    z = 8.0 / ax
    y = z * z
    xx = ax - phase
    a, b = _poly(y, p), _poly(y, q)
    if sine:        # Y
        return math.sqrt(TWO_OVER_PI / ax) * (math.sin(xx) * a + z * math.cos(xx) * b)
    return math.sqrt(TWO_OVER_PI / ax) * (math.cos(xx) * a - z * math.sin(xx) * b)


def _j0(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return _poly(y, (57568490574.0, -13362590354.0, 651619640.7, -11214424.18, 77392.33017, -184.9052456)) / \
            _poly(y, (57568490411.0, 1029532985.0, 9494680.718, 59272.64853, 267.8532712, 1.0))
    return _asymptotic(ax, 0.785398164, _P, _Q0, False)


def _j1(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        return x * _poly(y, (72362614232.0, -7895059235.0, 242396853.1, -2972611.439, 15704.48260, -30.16036606)) / \
            _poly(y, (144725228442.0, 2300535178.0, 18583304.74, 99447.43394, 376.9991397, 1.0))
    ans = _asymptotic(ax, 2.356194491, _P1_J, _Q1, False)
    return -ans if x < 0 else ans


def _jn(n: int, x: float) -> float:
    if n == 0:
        return _j0(x)
    if n == 1:
        return _j1(x)
    ax = abs(x)
    if ax == 0:
        return 0.0
    tox = 2.0 / ax
    if ax > n:
        ans = _upward(n, ax, _j0(ax), _j1(ax), -1.0)
    else:
        m = 2 * ((n + int(math.sqrt(MILLER_ACCURACY_J * n))) // 2)
        even = False
        bjp = ans = total = 0.0
        bj = 1.0
        for j in range(m, 0, -1):
            bjm = j * tox * bj - bjp
            bjp, bj = bj, bjm
            if abs(bj) > BIG:
                bj *= SMALL
                bjp *= SMALL
                ans *= SMALL
                total *= SMALL
            if even:
                total += bj
            even = not even
            if j == n:
                ans = bjp
        ans /= 2.0 * total - bj
    return -ans if x < 0 and n % 2 else ans


def _y0(x: float) -> float:
    if x < 8.0:
        y = x * x
        rational = _poly(y, (-2957821389.0, 7062834065.0, -512359803.6, 10879881.29, -86327.92757, 228.4622733)) / \
            _poly(y, (40076544269.0, 745249964.8, 7189466.438, 47447.26470, 226.1030244, 1.0))
        return rational + TWO_OVER_PI * _j0(x) * math.log(x)
    return _asymptotic(x, 0.785398164, _P, _Q0_Y, True)


def _y1(x: float) -> float:
    if x < 8.0:
        y = x * x
        rational = x * _poly(y, (-0.4900604943e13, 0.1275274390e13, -0.5153438139e11, 0.7349264551e9,
                                 -0.4237922726e7, 0.8511937935e4)) / \
            _poly(y, (0.2499580570e14, 0.4244419664e12, 0.3733650367e10, 0.2245904002e8,
                      0.1020426050e6, 0.3549632885e3, 1.0))
        return rational + TWO_OVER_PI * (_j1(x) * math.log(x) - 1.0 / x)
    return _asymptotic(x, 2.356194491, _P1, _Q1, True)


def _yn(n: int, x: float) -> float:
    if n == 0:
        return _y0(x)
    if n == 1:
        return _y1(x)
    return _upward(n, x, _y0(x), _y1(x), -1.0)


# Orders beyond this are computed with scipy's exact functions instead of the
# recurrences (whose cost grows with the order): no Excel value to match
# there, and In, Jn have long underflowed to 0 for moderate x.
MAX_RECURRENCE_ORDER = 1000


def _bessel(compute, exact, positive_x: bool):
    def fn(x: float, n: float) -> float:
        n = math.trunc(n)
        if n < 0 or (positive_x and x <= 0):
            raise ValueError("order below 0, or x <= 0 for K and Y")
        if n > MAX_RECURRENCE_ORDER:
            from scipy import special
            return float(getattr(special, exact)(n, x))
        return compute(n, x)
    return fn


for _name, _compute, _exact, _positive, _what in (
        ("BESSELI", _in, "iv", False, "the modified Bessel function In(x)"),
        ("BESSELJ", _jn, "jv", False, "the Bessel function Jn(x)"),
        ("BESSELK", _kn, "kv", True, "the modified Bessel function Kn(x), x > 0"),
        ("BESSELY", _yn, "yv", True, "the Bessel function Yn(x) (Weber), x > 0")):
    _fn = _bessel(_compute, _exact, _positive)
    _fn.__doc__ = f"{_name}(x, n): {_what}, n truncated, n < 0 #NUM!; Excel's approximation (module docstring)."
    _fn.__name__ = _name
    elementwise(_name, category=ENGINEERING, args="x: strict_number, n: strict_number")(_fn)
