"""Logical: IF and its error-handling forms, AND/OR/XOR/NOT, TRUE/FALSE."""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BOOL, NUM, STR
from ..values import E_NA, E_VALUE, Arr, booleans, select, truthy, with_errors
from .aggregate import collect
from .registry import Category, function
from .torchforms import TorchUnsupported, merge_kinds

LOGICAL = Category.LOGICAL


def _branch(ctx, node):
    """One IF branch's value; a reference is kept when it can be (IF may return
    a reference, e.g. SUM(IF(x, A1:A3, B1:B3)))."""
    return ctx.ev.value(node, ctx.batch, ctx.arr)


def _if_scalar(test, yes, no=None):
    if test():
        return yes()
    return no() if no is not None else False


def _if_torch(test, yes, no=None):
    import torch
    cond = test()
    if cond.kind is not None and ((cond.kind >= ERR_BASE).any() or (cond.kind == STR).any()):
        raise TorchUnsupported("an IF test that is text or an error")
    with torch.no_grad():
        mask = cond.t != 0

    def branch(thunk):
        if thunk is not None:
            return thunk()
        shape = (1,) * cond.t.dim()          # IF(test, x) with test false: FALSE
        return cond.t.new_zeros(shape), np.full(shape, BOOL, np.uint8)

    if bool(mask.all()):
        return branch(yes)
    if not bool(mask.any()):
        return branch(no)
    (ta, ka), (tb, kb) = _pair(branch(yes)), _pair(branch(no))
    return torch.where(mask, ta, tb), merge_kinds(ka, kb)


def _pair(v):
    return (v.t, v.kind) if hasattr(v, "t") else v


@function("IF", category=LOGICAL, args="logical_test: lazy, value_if_true: lazy, [value_if_false: lazy]",
          lazy=True, scalar=_if_scalar, torch=_if_torch)
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


# The replay differentiates IFERROR's value: on the Solver's path every active
# cell is a number (checked before the replay starts).
function("IFERROR", category=LOGICAL, args="value: lazy, value_if_error: lazy", lazy=True,
         torch=lambda value, fallback: value())(_error_fallback(None))
function("IFNA", category=LOGICAL, prefix="_xlfn.", args="value: lazy, value_if_na: lazy",
         lazy=True)(_error_fallback([E_NA]))


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


LOGICALS = "logical: numbers, [logical: numbers]..."
function("AND", category=LOGICAL, args=LOGICALS)(_logical(lambda t, u: (t | ~u).all(axis=-1)))
function("OR", category=LOGICAL, args=LOGICALS)(_logical(lambda t, u: t.any(axis=-1)))


@function("XOR", category=LOGICAL, prefix="_xlfn.", args=LOGICALS)
def XOR(ctx, *args) -> Arr:
    c = collect(ctx, args)
    usable = np.where(c.direct, c.err == 0, (c.kind == NUM) | (c.kind == BOOL))
    odd = (((c.num != 0) & usable).sum(axis=-1) % 2 == 1)[..., None, None]
    return with_errors(booleans(odd), c.first_error())


@function("NOT", category=LOGICAL, args="logical: boolean")
def NOT(ctx, a: Arr) -> Arr:
    mask, err = truthy(a)
    return with_errors(booleans(~mask), err)


@function("TRUE", category=LOGICAL)
def TRUE(ctx) -> Arr:
    return booleans(np.ones(ctx.unit_shape(), bool))


@function("FALSE", category=LOGICAL)
def FALSE(ctx) -> Arr:
    return booleans(np.zeros(ctx.unit_shape(), bool))
