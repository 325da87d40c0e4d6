"""Aggregations: SUM, COUNT, AVERAGE, MAX, MIN, SUMSQ and the *IF family.

Excel's rule for their arguments: inside a range or an array only numbers
count (text, booleans and blanks are skipped); a value typed directly as an
argument is converted (TRUE is 1, "3" is 3, "abc" is #VALUE!).
"""

from __future__ import annotations

import re

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..batch import RefVal
from ..values import (E_DIV0, E_VALUE, Arr, error, numbers, numeric_result, parse_number_text,
                      seq_sum)
from . import function


class Collected:
    """All argument values of one call, flattened: shape batch + (k,)."""

    __slots__ = ("num", "counts", "err", "kind", "direct")

    def __init__(self, num, counts, err, kind, direct):
        self.num, self.counts, self.err, self.kind, self.direct = num, counts, err, kind, direct

    def first_error(self) -> np.ndarray | None:
        """Per batch element, the first error in argument order (0 = none)."""
        has = self.err != 0
        if not has.any():
            return None
        pos = np.argmax(has, axis=-1)
        code = np.take_along_axis(self.err, pos[..., None], axis=-1)[..., 0]
        return np.where(has.any(axis=-1), code, 0).astype(np.uint8)[..., None, None]


def collect(ctx, args) -> Collected:
    parts = []
    for v in args:
        if isinstance(v, RefVal) or (isinstance(v, Arr) and v.hw != (1, 1)):
            a = ctx.deref(v)
            k = a.kinds()
            num = a.num
            counts = k == NUM
            err = np.where(k >= ERR_BASE, k, 0).astype(np.uint8)
            direct = np.zeros(k.shape, bool)
        else:
            a = v
            k = a.kinds()
            num, e = numbers(a)
            err = np.zeros(num.shape, np.uint8) if e is None else e
            counts = err == 0
            direct = np.ones(k.shape, bool)
        flat = a.shape[:-2] + (-1,)
        parts.append(tuple(np.reshape(np.asarray(x), flat) if np.ndim(x) else x
                           for x in (num, counts, err, k, direct)))
    batch = np.broadcast_shapes(*(p[0].shape[:-1] for p in parts))

    def cat(i):
        return np.concatenate([np.broadcast_to(p[i], batch + p[i].shape[-1:]) for p in parts], axis=-1)

    return Collected(cat(0), cat(1), cat(2), cat(3), cat(4))


def _total(c: Collected, values: np.ndarray) -> np.ndarray:
    return seq_sum(np.where(c.counts, values, 0.0))[..., None, None]


@function("SUM", modes="x", min_args=1, max_args=255)
def SUM(ctx, *args) -> Arr:
    c = collect(ctx, args)
    return numeric_result(_total(c, c.num), c.first_error())


@function("SUMSQ", modes="x", min_args=1, max_args=255)
def SUMSQ(ctx, *args) -> Arr:
    c = collect(ctx, args)
    return numeric_result(_total(c, c.num * c.num), c.first_error())


@function("AVERAGE", modes="x", min_args=1, max_args=255)
def AVERAGE(ctx, *args) -> Arr:
    c = collect(ctx, args)
    n = c.counts.sum(axis=-1)[..., None, None].astype(np.float64)
    err = c.first_error()
    none = n == 0
    if none.any():
        div0 = np.where(none, E_DIV0, 0).astype(np.uint8)
        err = div0 if err is None else np.where(err != 0, err, div0).astype(np.uint8)
    with np.errstate(all="ignore"):
        return numeric_result(_total(c, c.num) / np.where(none, 1.0, n), err)


def _extreme(pick):
    def impl(ctx, *args) -> Arr:
        c = collect(ctx, args)
        fill = np.inf if pick is np.min else -np.inf
        vals = pick(np.where(c.counts, c.num, fill), axis=-1)
        vals = np.where(c.counts.any(axis=-1), vals, 0.0)[..., None, None]
        return numeric_result(vals, c.first_error())
    return impl


function("MAX", modes="x", min_args=1, max_args=255)(_extreme(np.max))
function("MIN", modes="x", min_args=1, max_args=255)(_extreme(np.min))


@function("COUNT", modes="x", min_args=1, max_args=255)
def COUNT(ctx, *args) -> Arr:
    """Numbers in ranges; typed arguments that are numbers, booleans or
    numeric text.  Errors are not counted and do not propagate."""
    c = collect(ctx, args)
    direct_ok = c.direct & (c.err == 0) & (c.kind != BLANK)
    n = (c.counts & ~c.direct) | direct_ok
    return Arr(n.sum(axis=-1).astype(np.float64)[..., None, None])


@function("COUNTA", modes="x", min_args=1, max_args=255)
def COUNTA(ctx, *args) -> Arr:
    """Everything that is not an empty cell (text, errors and "" count)."""
    c = collect(ctx, args)
    n = c.direct | (c.kind != BLANK)
    return Arr(n.sum(axis=-1).astype(np.float64)[..., None, None])


@function("COUNTBLANK", modes="x", min_args=1, max_args=1)
def COUNTBLANK(ctx, rng) -> Arr:
    a = ctx.deref(rng)
    k = a.kinds()
    blank = (k == BLANK) | ((k == STR) & (a.strings() == ""))
    return Arr(blank.reshape(blank.shape[:-2] + (-1,)).sum(axis=-1).astype(np.float64)[..., None, None])


# --- criteria (SUMIF, COUNTIF, AVERAGEIF) ----------------------------------------------

_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)


def _wildcard(pattern: str) -> re.Pattern:
    """Excel wildcards: * any run, ? one character, ~ escapes the next."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.IGNORECASE)


def criterion_mask(criterion, kind: np.ndarray, num: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Which cells of a range meet one SUMIF-style criterion (a number, a
    boolean, or text such as ">=5", "<>x", "a*")."""
    if isinstance(criterion, bool):
        return (kind == BOOL) & ((num != 0) == criterion)
    if isinstance(criterion, float):
        return (kind == NUM) & (num == criterion)
    m = _CRITERION.match(criterion)
    op, operand = m.group(1) or "=", m.group(2)
    value = parse_number_text(operand)
    if value is not None:
        cmp = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater,
               "<=": np.less_equal, ">=": np.greater_equal}[op]
        hit = (kind == NUM) & cmp(num, value)
        return hit | (kind != NUM) if op == "<>" else hit
    if operand.upper() in ("TRUE", "FALSE") and op in ("=", "<>"):
        hit = (kind == BOOL) & ((num != 0) == (operand.upper() == "TRUE"))
        return ~hit if op == "<>" else hit
    if op in ("=", "<>"):
        if operand == "":
            hit = kind == BLANK
        else:
            rx = _wildcard(operand)
            hit = np.zeros(kind.shape, bool)
            for idx in zip(*np.nonzero(kind == STR)):
                hit[idx] = rx.fullmatch(text[idx]) is not None
        return ~hit if op == "<>" else hit
    # text ordering comparisons
    key = operand.casefold()
    hit = np.zeros(kind.shape, bool)
    for idx in zip(*np.nonzero(kind == STR)):
        v = text[idx].casefold()
        hit[idx] = {"<": v < key, ">": v > key, "<=": v <= key, ">=": v >= key}[op]
    return hit


def _python_criteria(a: Arr) -> np.ndarray:
    """Criterion values per batch element as Python objects (float/str/bool)."""
    k, x, s = a.kinds(), a.num, a.strings()
    out = np.empty(k.shape, dtype=object)
    for idx in np.ndindex(k.shape):
        kk = k[idx]
        out[idx] = (float(x[idx]) if kk == NUM else s[idx] if kk == STR else bool(x[idx]) if kk == BOOL
                    else "" if kk == BLANK else None)
    return out


def _conditional(ctx, rng, crit: Arr, values) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """For each batch element: (sum of matching values, count of matches, error)."""
    if not isinstance(rng, RefVal):
        return None, None, None
    src = ctx.deref(rng)
    if values is None:
        tgt = src
    elif isinstance(values, RefVal):
        # Excel sizes the sum range like the criteria range, from its top-left.
        tgt = ctx.deref(RefVal(values.sheet, values.r, values.c, rng.h, rng.w, values.dynamic))
    else:
        return None, None, None
    crits = _python_criteria(crit.first())
    bshape = np.broadcast_shapes(src.shape[:-2], tgt.shape[:-2], crits.shape[:-2])
    total = np.zeros(bshape)
    count = np.zeros(bshape)
    err = np.zeros(bshape, np.uint8)
    ks, xs, ss = src.kinds(), src.num, src.strings()
    kt, xt = tgt.kinds(), tgt.num
    for idx in np.ndindex(bshape):
        def at(arr):
            return arr[tuple(i if arr.shape[d] > 1 else 0 for d, i in enumerate(idx))]
        c = at(crits)[0, 0]
        if c is None:
            err[idx] = E_VALUE
            continue
        mask = criterion_mask(c, at(ks), at(xs), at(ss))
        vk = at(kt)
        use = mask & (vk == NUM)
        bad = mask & (vk >= ERR_BASE)
        if bad.any():
            err[idx] = vk[bad].flat[0]
        total[idx] = seq_sum(np.where(use, at(xt), 0.0).ravel()[None, :])[0]
        count[idx] = use.sum()
    return total[..., None, None], count[..., None, None], err[..., None, None]


@function("SUMIF", modes="xvx", min_args=2, max_args=3)
def SUMIF(ctx, rng, crit, values=None) -> Arr:
    total, _, err = _conditional(ctx, rng, crit, values)
    if total is None:
        return error(E_VALUE, ctx.unit_shape())
    return numeric_result(total, err)


@function("AVERAGEIF", modes="xvx", min_args=2, max_args=3)
def AVERAGEIF(ctx, rng, crit, values=None) -> Arr:
    total, count, err = _conditional(ctx, rng, crit, values)
    if total is None:
        return error(E_VALUE, ctx.unit_shape())
    none = count == 0
    err = np.where(err != 0, err, np.where(none, E_DIV0, 0)).astype(np.uint8)
    with np.errstate(all="ignore"):
        return numeric_result(total / np.where(none, 1.0, count), err)


@function("COUNTIF", modes="xv", min_args=2, max_args=2)
def COUNTIF(ctx, rng, crit) -> Arr:
    if not isinstance(rng, RefVal):
        return error(E_VALUE, ctx.unit_shape())
    src = ctx.deref(rng)
    crits = _python_criteria(crit.first())
    bshape = np.broadcast_shapes(src.shape[:-2], crits.shape[:-2])
    count = np.zeros(bshape)
    ks, xs, ss = src.kinds(), src.num, src.strings()
    for idx in np.ndindex(bshape):
        def at(arr):
            return arr[tuple(i if arr.shape[d] > 1 else 0 for d, i in enumerate(idx))]
        c = at(crits)[0, 0]
        if c is not None:
            count[idx] = criterion_mask(c, at(ks), at(xs), at(ss)).sum()
    return Arr(count[..., None, None])
