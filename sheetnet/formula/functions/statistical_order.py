"""Statistical: order statistics -- MEDIAN, MODE (.SNGL/.MULT), SMALL,
LARGE, PERCENTILE, QUARTILE and PERCENTRANK (.INC/.EXC and the legacy
names), RANK (.EQ/.AVG), TRIMMEAN -- and counting into bins: FREQUENCY,
PROB.

The sample is read by the aggregate rule (numbers only in ranges, typed
values converted); errors in it propagate.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import NA
from ...store import NUM
from ..values import E_DIV0, E_NA, E_NUM, Arr, error, numbers, numeric_result
from .registry import Category, function
from .samples import collect, line_sum, per_sample, per_sample_k

STATISTICAL = Category.STATISTICAL
VALUES = "number: numbers, [number: numbers]..."


# --- the middle and the most frequent ----------------------------------------------------

def _median(x: np.ndarray) -> float:
    if x.size == 0:
        raise ValueError("no numbers")
    s = np.sort(x)
    n = s.size
    return float(s[n // 2]) if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


@function("MEDIAN", category=STATISTICAL, args=VALUES)
def MEDIAN(ctx, *args) -> Arr:
    """The middle number (the mean of the two middle ones); none: #NUM!."""
    return per_sample(collect(ctx, args), _median)


def _modes(x: np.ndarray) -> list[float]:
    """The most frequent values (occurring more than once), in the order of
    their first appearance."""
    counts: dict[float, int] = {}
    for v in x.tolist():
        counts[v] = counts.get(v, 0) + 1
    top = max(counts.values(), default=0)
    return [v for v, n in counts.items() if n == top] if top > 1 else []


def _mode_single(x: np.ndarray):
    found = _modes(x)
    return found[0] if found else NA


@function("MODE.SNGL", category=STATISTICAL, args=VALUES, prefix="_xlfn.")
def MODE_SNGL(ctx, *args) -> Arr:
    """The most frequent number (the first to appear among equally frequent
    ones); no number repeats: #N/A."""
    return per_sample(collect(ctx, args), _mode_single)


function("MODE", category=STATISTICAL, args=VALUES)(MODE_SNGL)


@function("MODE.MULT", category=STATISTICAL, args=VALUES, prefix="_xlfn.")
def MODE_MULT(ctx, *args) -> Arr:
    """Every most frequent number, as a column, in order of first appearance;
    no number repeats: #N/A."""
    c = collect(ctx, args)
    batch = c.num.shape[:-1]
    found = {idx: _modes(c.num[idx][c.counts[idx]]) for idx in np.ndindex(batch)}
    h = max(1, max((len(v) for v in found.values()), default=1))
    out = np.zeros(batch + (h, 1))
    err = np.full(batch + (h, 1), E_NA, np.uint8)
    for idx, modes in found.items():
        out[idx][:len(modes), 0] = modes
        err[idx][:len(modes), 0] = 0
    first = c.first_error()
    if first is not None:
        err = np.where(first != 0, first, err).astype(np.uint8)
    return numeric_result(out, err)


# --- k-th values and percentiles -------------------------------------------------------------

def _kth(sorted_x: np.ndarray, k: float, largest: bool) -> float:
    # Excel takes a fractional k upward (SMALL(A1:A6, 3.4) is the 4th smallest)
    k = math.ceil(k)
    if not 1 <= k <= sorted_x.size:
        raise ValueError("k out of range")
    return float(sorted_x[-k] if largest else sorted_x[k - 1])


@function("SMALL", category=STATISTICAL, args="array: numbers, k: number")
def SMALL(ctx, array, k) -> Arr:
    """The k-th smallest number; k < 1 or beyond the count: #NUM!."""
    return per_sample_k(ctx, collect(ctx, [array]), [k], lambda s, k: _kth(s, k, False))


@function("LARGE", category=STATISTICAL, args="array: numbers, k: number")
def LARGE(ctx, array, k) -> Arr:
    """The k-th largest number; k < 1 or beyond the count: #NUM!."""
    return per_sample_k(ctx, collect(ctx, [array]), [k], lambda s, k: _kth(s, k, True))


def _interpolate(s: np.ndarray, pos: float) -> float:
    """The value at 0-based fractional position pos of the sorted sample."""
    i = math.floor(pos)
    frac = pos - i
    if i + 1 >= s.size:
        return float(s[i])
    return float(s[i] + frac * (s[i + 1] - s[i]))


def _percentile_inc(s: np.ndarray, k: float) -> float:
    if s.size == 0 or not 0 <= k <= 1:
        raise ValueError("k out of [0, 1]")
    return _interpolate(s, k * (s.size - 1))


def _percentile_exc(s: np.ndarray, k: float) -> float:
    n = s.size
    pos = k * (n + 1)
    if n == 0 or not 0 < k < 1 or pos < 1 or pos > n:
        raise ValueError("k outside what the sample resolves")
    return _interpolate(s, pos - 1)


def _quartile(percentile, low: int, high: int):
    def fn(s: np.ndarray, quart: float) -> float:
        q = math.trunc(quart)
        if not low <= q <= high:
            raise ValueError("quart out of range")
        return percentile(s, q / 4)
    return fn


def _with_k(names: tuple, prefix: str, fn, doc: str, k_name: str = "k"):
    def impl(ctx, array, k) -> Arr:
        return per_sample_k(ctx, collect(ctx, [array]), [k], fn)
    impl.__doc__ = doc
    function(*names, category=STATISTICAL, prefix=prefix, args=f"array: numbers, {k_name}: number")(impl)


_with_k(("PERCENTILE",), "", _percentile_inc, "PERCENTILE.INC's legacy name.")
_with_k(("PERCENTILE.INC",), "_xlfn.", _percentile_inc,
        "The k-th percentile, interpolating between ranks 0 .. n-1; k outside [0, 1]: #NUM!.")
_with_k(("PERCENTILE.EXC",), "_xlfn.", _percentile_exc,
        "The k-th percentile, interpolating between ranks 1 .. n of n+1; k outside [1/(n+1), n/(n+1)]: #NUM!.")
_with_k(("QUARTILE",), "", _quartile(_percentile_inc, 0, 4), "QUARTILE.INC's legacy name.", "quart")
_with_k(("QUARTILE.INC",), "_xlfn.", _quartile(_percentile_inc, 0, 4),
        "PERCENTILE.INC at quart/4 (quart truncated; 0 .. 4 else #NUM!).", "quart")
_with_k(("QUARTILE.EXC",), "_xlfn.", _quartile(_percentile_exc, 1, 3),
        "PERCENTILE.EXC at quart/4 (quart truncated; 1 .. 3 else #NUM!).", "quart")


def _percentrank(exclusive: bool):
    def fn(s: np.ndarray, x: float, significance: float = 3.0) -> float:
        digits = math.trunc(significance)
        n = s.size
        if digits < 1 or n == 0:
            raise ValueError("significance < 1 or no numbers")
        if x < s[0] or x > s[-1]:
            return NA
        below = int(np.searchsorted(s, x, side="left"))      # numbers < x
        if s[below] == x:
            rank = float(below)
        else:                                                # between two numbers: interpolate
            rank = below - 1 + (x - s[below - 1]) / (s[below] - s[below - 1])
        value = (rank + 1) / (n + 1) if exclusive else (rank / (n - 1) if n > 1 else 1.0)
        # truncated (not rounded) to `digits` decimals; the nudge keeps 0.7 * 10 from becoming 6.999...
        scale = 10.0 ** digits
        return math.floor(value * scale * (1 + 1e-13)) / scale
    return fn


def _percentrank_impl(exclusive: bool):
    fn = _percentrank(exclusive)

    def impl(ctx, array, x, significance=None) -> Arr:
        ks = [x] if significance is None else [x, significance]
        return per_sample_k(ctx, collect(ctx, [array]), ks, fn)
    return impl


_PERCENTRANK_ARGS = "array: numbers, x: number, [significance: number]"
for _names, _prefix, _exc in ((("PERCENTRANK",), "", False), (("PERCENTRANK.INC",), "_xlfn.", False),
                              (("PERCENTRANK.EXC",), "_xlfn.", True)):
    _impl = _percentrank_impl(_exc)
    _impl.__doc__ = ("x's rank in the sample as a fraction " + ("(r+1)/(n+1)" if _exc else "r/(n-1)")
                     + ", interpolated between numbers, truncated to `significance` (3) digits; "
                     "x outside the sample: #N/A.")
    function(*_names, category=STATISTICAL, prefix=_prefix, args=_PERCENTRANK_ARGS)(_impl)


# --- ranks -----------------------------------------------------------------------------------

def _rank(average: bool):
    def fn(values: np.ndarray, x: float, order: float = 0.0) -> float:
        equal = int(np.count_nonzero(values == x))
        if equal == 0:
            return NA
        before = int(np.count_nonzero(values < x if order else values > x))
        return before + (equal + 1) / 2 if average else before + 1
    return fn


def _rank_impl(average: bool):
    fn = _rank(average)

    def impl(ctx, number, ref, order=None) -> Arr:
        ks = [number] if order is None else [number, order]
        return per_sample_k(ctx, collect(ctx, [ref]), ks, fn, prepare=lambda x: x)
    impl.__doc__ = ("number's rank among the numbers of ref (descending unless order is non-zero)"
                    + ("; ties share the mean of their ranks" if average else "; ties share the best rank")
                    + "; number not in ref: #N/A.")
    return impl


_RANK_ARGS = "number: number, ref: numbers, [order: number]"
function("RANK", category=STATISTICAL, args=_RANK_ARGS)(_rank_impl(False))
function("RANK.EQ", category=STATISTICAL, prefix="_xlfn.", args=_RANK_ARGS)(_rank_impl(False))
function("RANK.AVG", category=STATISTICAL, prefix="_xlfn.", args=_RANK_ARGS)(_rank_impl(True))


def _trimmean(s: np.ndarray, percent: float) -> float:
    if not 0 <= percent < 1:
        raise ValueError("percent outside [0, 1)")
    if s.size == 0:
        raise ValueError("no numbers")
    cut = math.floor(s.size * percent / 2)             # excluded at each end: an even total, rounded down
    kept = s[cut:s.size - cut]
    return line_sum(kept) / kept.size


@function("TRIMMEAN", category=STATISTICAL, args="array: numbers, percent: number")
def TRIMMEAN(ctx, array, percent) -> Arr:
    """The mean without the lowest and highest percent/2 of the numbers (the
    count excluded rounded down to an even number); percent outside
    [0, 1): #NUM!."""
    return per_sample_k(ctx, collect(ctx, [array]), [percent], _trimmean)


# --- bins ------------------------------------------------------------------------------------

@function("FREQUENCY", category=STATISTICAL, args="data_array: numbers, bins_array: numbers")
def FREQUENCY(ctx, data, bins) -> Arr:
    """How many numbers fall at or below each bin and above the next lower
    one (bins in any order, counted as if sorted), as a column with one more
    row for those above every bin."""
    cd = collect(ctx, [data])
    cb = collect(ctx, [bins])
    batch = np.broadcast_shapes(cd.num.shape[:-1], cb.num.shape[:-1])
    rows = {}
    for idx in np.ndindex(batch):
        di = tuple(i if cd.num.shape[d] > 1 else 0 for d, i in enumerate(idx))
        bi = tuple(i if cb.num.shape[d] > 1 else 0 for d, i in enumerate(idx))
        x = cd.num[di][cd.counts[di]]
        b = cb.num[bi][cb.counts[bi]]
        order = np.argsort(b, kind="stable")
        upto = np.searchsorted(np.sort(x), b[order], side="right")    # numbers <= each sorted bin
        per_sorted = np.diff(np.concatenate([[0], upto]))
        counts = np.empty(b.size + 1)
        counts[order] = per_sorted
        counts[-1] = x.size - (upto[-1] if b.size else 0)
        rows[idx] = counts
    h = max(len(v) for v in rows.values())
    out = np.zeros(batch + (h, 1))
    for idx, counts in rows.items():
        out[idx][:len(counts), 0] = counts
    err = cd.first_error()
    if err is None:
        err = cb.first_error()
    return numeric_result(out, err)


@function("PROB", category=STATISTICAL,
          args="x_range: array, prob_range: array, lower_limit: number, [upper_limit: number]")
def PROB(ctx, xs: Arr, probs: Arr, lower: Arr, upper: Arr | None = None) -> Arr:
    """The probability that a value of x_range lies between the limits
    (equals lower_limit when upper_limit is omitted).  Ranges of different
    sizes: #N/A; a probability outside [0, 1] or a total other than 1:
    #NUM!; no (number, probability) pairs: #DIV/0!."""
    if xs.hw[0] * xs.hw[1] != probs.hw[0] * probs.hw[1]:
        return error(E_NA, ctx.unit_shape())
    lo, elo = numbers(lower)
    hi, ehi = numbers(upper) if upper is not None else (lo, None)
    nd = ctx.nd - 2
    batch = np.broadcast_shapes(xs.shape[:nd], probs.shape[:nd], lo.shape[:nd], hi.shape[:nd])
    out = np.zeros(batch + (1, 1))
    err = np.zeros(batch + (1, 1), np.uint8)
    xk, pk = xs.kinds(), probs.kinds()
    for idx in np.ndindex(batch):
        def at(a):
            return a[tuple(i if a.shape[d] > 1 else 0 for d, i in enumerate(idx))]
        x, p = at(xs.num).ravel(), at(probs.num).ravel()
        both = (at(xk).ravel() == NUM) & (at(pk).ravel() == NUM)
        code = (int(at(elo)[0, 0]) if elo is not None else 0) or (int(at(ehi)[0, 0]) if ehi is not None else 0)
        if code:
            err[idx] = code
            continue
        x, p = x[both], p[both]
        total = line_sum(p)
        if p.size == 0 or total == 0:
            err[idx] = E_DIV0
        elif (p < 0).any() or (p > 1).any() or abs(total - 1) > 1e-10:
            err[idx] = E_NUM
        else:
            a, b = float(at(lo)[0, 0]), float(at(hi)[0, 0])
            inside = (x >= a) & (x <= b)
            out[idx] = line_sum(np.where(inside, p, 0.0))
    return numeric_result(out, err)
