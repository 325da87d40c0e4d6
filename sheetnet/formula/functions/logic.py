"""IF and friends, boolean functions, IS* tests."""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..batch import RefVal
from ..values import E_NA, E_VALUE, Arr, booleans, error, numbers, select, truthy, with_errors
from . import function
from .stats import collect


def _branch(ctx, node):
    """One IF branch's value; a reference is kept when it can be (IF may return
    a reference, e.g. SUM(IF(x, A1:A3, B1:B3)))."""
    return ctx.ev.value(node, ctx.batch, ctx.arr)


@function("IF", min_args=2, max_args=3, lazy=True)
def IF(ctx, nodes) -> Arr:
    """IF(test, then, [else]): only the branch(es) some cell needs are evaluated;
    a missing else is FALSE."""
    mask, err = truthy(ctx.operand(nodes[0]))

    def branch(i):
        if i < len(nodes):
            return _branch(ctx, nodes[i])
        return booleans(np.zeros(ctx.unit_shape(), bool))   # IF(test, x) with test false: FALSE

    if err is None and mask.all():
        return branch(1)
    if err is None and not mask.any():
        return branch(2)
    yes, no = ctx.scalar(branch(1)), ctx.scalar(branch(2))
    return with_errors(select(mask, yes, no), err)


def _error_fallback(codes):
    """IFERROR / IFNA: the fallback replaces the listed errors (None = any)."""

    def impl(ctx, nodes) -> Arr:
        v = ctx.scalar(ctx.ev.value(nodes[0], ctx.batch, ctx.arr))
        if v.kind is None:
            return v
        bad = v.kind >= ERR_BASE if codes is None else np.isin(v.kind, codes)
        if not bad.any():
            return v
        alt = ctx.operand(nodes[1])
        return select(bad, alt, v)

    return impl


function("IFERROR", min_args=2, max_args=2, lazy=True)(_error_fallback(None))
function("IFNA", min_args=2, max_args=2, lazy=True)(_error_fallback([E_NA]))


@function("CHOOSE", min_args=2, max_args=255, lazy=True)
def CHOOSE(ctx, nodes) -> Arr:
    idx, err = numbers(ctx.operand(nodes[0]))
    k = np.trunc(idx)
    bad = (k < 1) | (k > len(nodes) - 1)
    if err is None and not bad.any() and np.all(k == k.flat[0]):
        return _branch(ctx, nodes[int(k.flat[0])])
    out = error(E_VALUE, ctx.unit_shape())
    for i in range(1, len(nodes)):
        hit = k == i
        if hit.any():
            out = select(hit, ctx.scalar(_branch(ctx, nodes[i])), out)
    return with_errors(out, err)


def _logical(reduce):
    """AND / OR: numbers and booleans count (non-zero is TRUE); text and
    blanks in ranges are skipped; no values at all is #VALUE!."""

    def impl(ctx, *args) -> Arr:
        c = collect(ctx, args)
        usable = np.where(c.direct, c.err == 0, (c.kind == NUM) | (c.kind == BOOL))
        truth = (c.num != 0) & usable
        result = reduce(truth, usable)
        err = c.first_error()
        none = ~usable.any(axis=-1)[..., None, None]
        if none.any():
            fill = np.where(none, E_VALUE, 0).astype(np.uint8)
            err = fill if err is None else np.where(err != 0, err, fill).astype(np.uint8)
        return with_errors(booleans(result[..., None, None]), err)

    return impl


function("AND", modes="x", min_args=1, max_args=255)(_logical(lambda t, u: (t | ~u).all(axis=-1)))
function("OR", modes="x", min_args=1, max_args=255)(_logical(lambda t, u: t.any(axis=-1)))


@function("XOR", modes="x", min_args=1, max_args=255)
def XOR(ctx, *args) -> Arr:
    c = collect(ctx, args)
    usable = np.where(c.direct, c.err == 0, (c.kind == NUM) | (c.kind == BOOL))
    odd = (((c.num != 0) & usable).sum(axis=-1) % 2 == 1)[..., None, None]
    return with_errors(booleans(odd), c.first_error())


@function("NOT", min_args=1, max_args=1)
def NOT(ctx, a: Arr) -> Arr:
    mask, err = truthy(a)
    return with_errors(booleans(~mask), err)


@function("TRUE", min_args=0, max_args=0)
def TRUE(ctx) -> Arr:
    return booleans(np.ones(ctx.unit_shape(), bool))


@function("FALSE", min_args=0, max_args=0)
def FALSE(ctx) -> Arr:
    return booleans(np.zeros(ctx.unit_shape(), bool))


@function("NA", min_args=0, max_args=0)
def NA(ctx) -> Arr:
    return error(E_NA, ctx.unit_shape())


def _is(test):
    def impl(ctx, a: Arr) -> Arr:
        return booleans(test(a.kinds()))
    return impl


function("ISERROR", min_args=1, max_args=1)(_is(lambda k: k >= ERR_BASE))
function("ISERR", min_args=1, max_args=1)(_is(lambda k: (k >= ERR_BASE) & (k != E_NA)))
function("ISNA", min_args=1, max_args=1)(_is(lambda k: k == E_NA))
function("ISNUMBER", min_args=1, max_args=1)(_is(lambda k: k == NUM))
function("ISTEXT", min_args=1, max_args=1)(_is(lambda k: k == STR))
function("ISNONTEXT", min_args=1, max_args=1)(_is(lambda k: k != STR))
function("ISLOGICAL", min_args=1, max_args=1)(_is(lambda k: k == BOOL))
function("ISBLANK", min_args=1, max_args=1)(_is(lambda k: k == BLANK))


@function("ISREF", modes="p", min_args=1, max_args=1)
def ISREF(ctx, v) -> Arr:
    return booleans(np.full(ctx.unit_shape(), isinstance(v, RefVal)))

