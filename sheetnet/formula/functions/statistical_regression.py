"""Statistical: paired samples and regression -- COVARIANCE.P/.S (COVAR),
CORREL, PEARSON, RSQ, SLOPE, INTERCEPT, STEYX, FORECAST(.LINEAR), and the
least-squares array functions LINEST, LOGEST, TREND, GROWTH.

Paired functions read two arrays of the same number of cells (else #N/A)
and use the pairs where both cells are numbers; errors propagate.  The
array functions fit by least squares (numpy's SVD solver) on centred data
when there is a constant; any cell that is not a number is #VALUE!, sizes
that do not fit together #REF!.  Excel's LINEST also detects collinear x
columns and zeroes their coefficients; sheetnet gives the minimum-norm
solution there instead (not in the reference workbooks).
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import ERR_BASE
from ...store import NUM
from ..ast import Missing
from ..values import E_NA, E_NUM, E_REF, E_VALUE, Arr, error, numbers, numeric_result, truthy
from .registry import Category, function
from .samples import line_sum, result_of

STATISTICAL = Category.STATISTICAL


# --- paired samples ----------------------------------------------------------------------------

def _first_error_code(a: Arr) -> int:
    if a.kind is None:
        return 0
    bad = a.kind >= ERR_BASE
    return int(a.kind[bad].flat[0]) if bad.any() else 0


def _pairs(a: Arr, b: Arr):
    """(x, y) of the cells where both are numbers, or an error code."""
    if a.num.size != b.num.size:
        return E_NA
    code = _first_error_code(a) or _first_error_code(b)
    if code:
        return code
    both = (a.kinds() == NUM).ravel() & (b.kinds() == NUM).ravel()
    return a.num.ravel()[both], b.num.ravel()[both]


def _sum(x: np.ndarray) -> float:
    return line_sum(x)


def _centred(x: np.ndarray, y: np.ndarray):
    n = x.size
    if n == 0:
        raise ZeroDivisionError
    dx, dy = x - _sum(x) / n, y - _sum(y) / n
    return n, _sum(dx * dy), _sum(dx * dx), _sum(dy * dy)


def _covariance(ddof: int):
    def fn(x, y):
        n, sxy, _, _ = _centred(x, y)
        return sxy / (n - ddof)
    return fn


def _correl(x, y):
    _, sxy, sxx, syy = _centred(x, y)
    return sxy / math.sqrt(sxx * syy)


def _slope(y, x):
    _, sxy, sxx, _ = _centred(x, y)
    return sxy / sxx


def _intercept(y, x):
    n, sxy, sxx, _ = _centred(x, y)
    return _sum(y) / n - sxy / sxx * _sum(x) / n


def _steyx(y, x):
    n, sxy, sxx, syy = _centred(x, y)
    return math.sqrt((syy - sxy * sxy / sxx) / (n - 2))


def _paired(fn, doc: str):
    def impl(ctx, a: Arr, b: Arr) -> Arr:
        nd = ctx.nd - 2
        batch = np.broadcast_shapes(a.shape[:nd], b.shape[:nd])
        out = np.zeros(batch + (1, 1))
        err = np.zeros(batch + (1, 1), np.uint8)
        for idx in np.ndindex(batch):
            pa, pb = (v.index(tuple(i if v.shape[d] > 1 else 0 for d, i in enumerate(idx))) for v in (a, b))
            pairs = _pairs(pa, pb)
            z = pairs if isinstance(pairs, int) else result_of(fn, *pairs)
            if isinstance(z, int):
                err[idx] = z
            else:
                out[idx] = z
        return numeric_result(out, err)
    impl.__doc__ = doc
    return impl


_PAIR_ARGS = "array1: array, array2: array"
_XY_ARGS = "known_ys: array, known_xs: array"
function("COVARIANCE.P", category=STATISTICAL, prefix="_xlfn.", args=_PAIR_ARGS)(_paired(
    _covariance(0), "The population covariance of the pairs; none: #DIV/0!."))
function("COVAR", category=STATISTICAL, args=_PAIR_ARGS)(_paired(
    _covariance(0), "COVARIANCE.P's legacy name."))
function("COVARIANCE.S", category=STATISTICAL, prefix="_xlfn.", args=_PAIR_ARGS)(_paired(
    _covariance(1), "The sample covariance of the pairs; fewer than 2: #DIV/0!."))
for _name in ("CORREL", "PEARSON"):
    function(_name, category=STATISTICAL, args=_PAIR_ARGS)(_paired(
        _correl, "The correlation coefficient of the pairs; no spread: #DIV/0!."))
function("RSQ", category=STATISTICAL, args=_XY_ARGS)(_paired(
    lambda y, x: _correl(y, x) ** 2, "The square of the correlation coefficient."))
function("SLOPE", category=STATISTICAL, args=_XY_ARGS)(_paired(
    _slope, "The slope of the least-squares line through the pairs; no spread in x: #DIV/0!."))
function("INTERCEPT", category=STATISTICAL, args=_XY_ARGS)(_paired(
    _intercept, "The intercept of the least-squares line; no spread in x: #DIV/0!."))
function("STEYX", category=STATISTICAL, args=_XY_ARGS)(_paired(
    _steyx, "The standard error of the predicted y; fewer than 3 pairs: #DIV/0!."))


def _forecast(ctx, x: Arr, ys: Arr, xs: Arr) -> Arr:
    """The least-squares line's value at x; errors as SLOPE's."""
    xv, xe = numbers(x)
    nd = ctx.nd - 2
    batch = np.broadcast_shapes(xv.shape[:nd], ys.shape[:nd], xs.shape[:nd])
    hw = xv.shape[nd:]
    out = np.zeros(batch + hw)
    err = np.zeros(batch + hw, np.uint8)
    for idx in np.ndindex(batch):
        pa, pb = (v.index(tuple(i if v.shape[d] > 1 else 0 for d, i in enumerate(idx))) for v in (ys, xs))
        pairs = _pairs(pa, pb)
        if isinstance(pairs, int):
            b, m, code = 0.0, 0.0, pairs
        else:
            b, m = result_of(_intercept, *pairs), result_of(_slope, *pairs)
            code = b if isinstance(b, int) else (m if isinstance(m, int) else 0)
        at = tuple(i if xv.shape[d] > 1 else 0 for d, i in enumerate(idx))
        for ij in np.ndindex(hw):
            c = (int(xe[at + ij]) if xe is not None else 0) or code
            if c:
                err[idx + ij] = c
            else:
                out[idx + ij] = b + m * float(xv[at + ij])
    return numeric_result(out, err)


_FORECAST_ARGS = "x: number, known_ys: array, known_xs: array"
function("FORECAST", category=STATISTICAL, args=_FORECAST_ARGS)(_forecast)
function("FORECAST.LINEAR", category=STATISTICAL, prefix="_xlfn.", args=_FORECAST_ARGS)(_forecast)


# --- least squares -------------------------------------------------------------------------------

class _Fit:
    """A least-squares fit of y on the columns of X (n x k), with or without a constant."""

    def __init__(self, y: np.ndarray, X: np.ndarray, const: bool):
        n, k = X.shape
        self.n, self.k, self.const = n, k, const
        if const:
            xm, ym = X.mean(axis=0), y.mean()
            coef, *_ = np.linalg.lstsq(X - xm, y - ym, rcond=None)
            self.b = float(ym - xm @ coef)
        else:
            coef, *_ = np.linalg.lstsq(X, y, rcond=None)
            self.b = 0.0
        self.m = coef
        self.X, self.y = X, y

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.m + self.b

    def stats(self) -> np.ndarray:
        """LINEST's 5 x (k+1) table (#N/A as NaN placeholders filled by the caller)."""
        n, k, const = self.n, self.k, self.const
        resid = self.y - self.predict(self.X)
        ss_resid = float(resid @ resid)
        fitted = self.predict(self.X)
        ss_reg = float(((fitted - self.y.mean()) ** 2).sum()) if const else float(fitted @ fitted)
        df = n - k - (1 if const else 0)
        with np.errstate(all="ignore"):
            sigma2 = ss_resid / df if df > 0 else np.nan
            Xd = np.column_stack([self.X, np.ones(n)]) if const else self.X
            cov = np.linalg.pinv(Xd.T @ Xd) * sigma2
            se = np.sqrt(np.diag(cov))
            r2 = ss_reg / (ss_reg + ss_resid) if ss_reg + ss_resid else np.nan
            f = (ss_reg / k) / (ss_resid / df) if df > 0 and ss_resid else np.nan
        table = np.full((5, k + 1), np.inf)                 # inf: #N/A below the first two rows
        table[0, :k] = self.m[::-1]
        table[0, k] = self.b
        table[1, :k] = se[:k][::-1]
        table[1, k] = se[k] if const else np.inf        # no constant: its error is #N/A
        table[2, :2] = (r2, math.sqrt(sigma2) if sigma2 == sigma2 else np.nan)
        table[3, :2] = (f, df)
        table[4, :2] = (ss_reg, ss_resid)
        return table


def _fit(y: np.ndarray, X: np.ndarray, const: bool):
    """The fit, or #NUM! where least squares has no solution (overflow)."""
    try:
        return _Fit(y, X, const)
    except (ValueError, ArithmeticError):
        return E_NUM


def _numbers_only(a: Arr):
    """The numbers of an array, or an error code (an error in it, or #VALUE!
    for anything else that is not a number)."""
    code = _first_error_code(a)
    if code:
        return code
    if a.kind is not None and (a.kind != NUM).any():
        return E_VALUE
    return a.num


def _design(y: np.ndarray, x: np.ndarray | None):
    """(y vector, X matrix n x k, orientation) from known_ys and known_xs, or
    an error code.  orientation: "col" (observations down columns) or "row"."""
    h, w = y.shape
    n = h * w
    if x is None:
        X = np.arange(1, n + 1, dtype=np.float64)[:, None]
        return y.ravel(), X, ("col" if w == 1 else "row")
    if x.size == n:                                     # one variable, any matching shape
        return y.ravel(), x.reshape(n, 1), ("col" if w == 1 else "row")
    if w == 1 and x.shape[0] == h:
        return y.ravel(), x, "col"
    if h == 1 and x.shape[1] == w:
        return y.ravel(), x.T, "row"
    return E_REF


def _lazy_args(ctx, nodes, count):
    nodes = list(nodes) + [None] * (count - len(nodes))
    return [None if (n is None or isinstance(n, Missing)) else n for n in nodes]


def _flag(ctx, node, default: bool):
    """A TRUE/FALSE argument; omitted (or left empty, as in LINEST(y,x,,TRUE)): the default."""
    if node is None:
        return default, 0
    mask, err = truthy(ctx.operand(node).first())
    if err is not None and err.flat[0]:
        return default, int(err.flat[0])
    return bool(mask.flat[0]), 0


def _batch_one(ctx, a: Arr) -> Arr:
    """The regression functions are array functions: evaluated for one cell."""
    return a.index((0,) * (a.num.ndim - 2)) if a.num.ndim > 2 else a


def _regress(ctx, nodes, log: bool, count: int):
    """(fit, y, X, orientation, flags) or an error code."""
    ynode, xnode, *rest = _lazy_args(ctx, nodes, count)
    ya = _batch_one(ctx, ctx.ev.array(ynode, ctx.batch))
    y = _numbers_only(ya)
    if isinstance(y, int):
        return y
    x = None
    if xnode is not None:
        x = _numbers_only(_batch_one(ctx, ctx.ev.array(xnode, ctx.batch)))
        if isinstance(x, int):
            return x
    design = _design(y, x)
    if isinstance(design, int):
        return design
    yv, X, orient = design
    if not (np.isfinite(yv).all() and np.isfinite(X).all()):
        return E_NUM
    if log:
        if (yv <= 0).any():
            return E_NUM
        yv = np.log(yv)
    return yv, X, orient, rest


def _linest_impl(log: bool):
    def impl(ctx, nodes) -> Arr:
        got = _regress(ctx, nodes, log, 4)
        if isinstance(got, int):
            return error(got, ctx.unit_shape())
        y, X, _, (const_node, stats_node) = got
        const, e1 = _flag(ctx, const_node, True)
        stats, e2 = _flag(ctx, stats_node, False)
        if e1 or e2:
            return error(e1 or e2, ctx.unit_shape())
        fit = _fit(y, X, const)
        if isinstance(fit, int):
            return error(fit, ctx.unit_shape())
        table = fit.stats()
        if log:
            table[0] = np.exp(table[0])
        table = table if stats else table[:1]
        na = np.isinf(table)
        bad = np.isnan(table)
        kind = np.where(na, E_NA, np.where(bad, E_NUM, NUM)).astype(np.uint8)
        num = np.where(na | bad, 0.0, table)
        shape = ctx.unit_shape()[:-2] + table.shape
        return Arr(num.reshape(shape), kind.reshape(shape))
    return impl


_LINEST_ARGS = "known_ys: lazy, [known_xs: lazy], [const: lazy], [stats: lazy]"
LINEST = function("LINEST", category=STATISTICAL, lazy=True, args=_LINEST_ARGS)(_linest_impl(False))
LOGEST = function("LOGEST", category=STATISTICAL, lazy=True, args=_LINEST_ARGS)(_linest_impl(True))
LINEST.__doc__ = ("The least-squares line (plane) through the points: [m_k ... m_1, b], with stats=TRUE "
                  "the standard errors, r^2 and se_y, F and df, ss_reg and ss_resid below.")
LOGEST.__doc__ = "LINEST of ln(y), its coefficients exponentiated: y = b * m_1^x_1 * ...; y <= 0: #NUM!."


def _trend_impl(log: bool):
    def impl(ctx, nodes) -> Arr:
        got = _regress(ctx, nodes, log, 4)
        if isinstance(got, int):
            return error(got, ctx.unit_shape())
        y, X, orient, (new_node, const_node) = got
        const, e1 = _flag(ctx, const_node, True)
        if e1:
            return error(e1, ctx.unit_shape())
        fit = _fit(y, X, const)
        if isinstance(fit, int):
            return error(fit, ctx.unit_shape())
        k = X.shape[1]
        if new_node is None:
            new = X
            out_shape = (X.shape[0], 1) if orient == "col" else (1, X.shape[0])
        else:
            nx = _numbers_only(_batch_one(ctx, ctx.ev.array(new_node, ctx.batch)))
            if isinstance(nx, int):
                return error(nx, ctx.unit_shape())
            if k == 1:
                new, out_shape = nx.reshape(-1, 1), nx.shape
            elif orient == "col" and nx.shape[1] == k:
                new, out_shape = nx, (nx.shape[0], 1)
            elif orient == "row" and nx.shape[0] == k:
                new, out_shape = nx.T, (1, nx.shape[1])
            else:
                return error(E_REF, ctx.unit_shape())
        pred = fit.predict(new)
        if log:
            pred = np.exp(pred)
        return numeric_result(pred.reshape(ctx.unit_shape()[:-2] + tuple(out_shape)))
    return impl


_TREND_ARGS = "known_ys: lazy, [known_xs: lazy], [new_xs: lazy], [const: lazy]"
TREND = function("TREND", category=STATISTICAL, lazy=True, args=_TREND_ARGS)(_trend_impl(False))
GROWTH = function("GROWTH", category=STATISTICAL, lazy=True, args=_TREND_ARGS)(_trend_impl(True))
TREND.__doc__ = "The least-squares line's values at new_xs (default: at known_xs)."
GROWTH.__doc__ = "LOGEST's exponential curve's values at new_xs (default: at known_xs); y <= 0: #NUM!."

