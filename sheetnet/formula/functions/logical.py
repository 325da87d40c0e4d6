"""Logical: IF and its error-handling forms, AND/OR/XOR/NOT, TRUE/FALSE."""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BOOL, NUM, STR
from ..values import E_NA, E_VALUE, Arr, align_all, booleans, compare, error, select, truthy, with_errors
from .aggregate import Collected, collect
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
    a missing else is FALSE.  An array test picks element by element, the
    three arrays paired as Excel pairs them (beyond the smaller: #N/A)."""
    test = ctx.operand(nodes[0])
    mask, err = truthy(test)

    def branch(i):
        if i < len(nodes):
            return _branch(ctx, nodes[i])
        return booleans(np.zeros(ctx.unit_shape(), bool))   # IF(test, x) with test false: FALSE

    if test.hw == (1, 1) and err is None and mask.all():
        return branch(1)
    if test.hw == (1, 1) and err is None and not mask.any():
        return branch(2)
    yes, no = ctx.scalar(branch(1)), ctx.scalar(branch(2))
    if len({test.hw, yes.hw, no.hw}) > 1:
        test, yes, no = align_all(test, yes, no)
        mask, err = truthy(test)
    return with_errors(select(mask, yes, no), err)


def _first_match(ctx, tests, results, default=None) -> Arr:
    """The result of the first test that holds, cell by cell (IFS, SWITCH):
    `tests` yield (mask, error codes or None) lazily; a result is evaluated
    only for the cells that take it; cells no test decides take `default`
    (a node) or #N/A; an error in a test decides its cell."""
    out = error(E_NA, ctx.unit_shape())
    open_ = np.ones(ctx.batch.shape + (1, 1), bool)
    for (mask, err), node in zip(tests, results):
        mask = np.broadcast_to(mask, np.broadcast_shapes(mask.shape, open_.shape))
        if err is not None:
            failed = open_ & (err != 0)
            if failed.any():
                out = select(failed, Arr(np.zeros(err.shape), err.astype(np.uint8)), out)
                open_ = open_ & ~failed
        take = open_ & mask
        if take.any():
            out = select(take, ctx.scalar(_branch(ctx, node)), out)
            open_ = open_ & ~take
        if not open_.any():
            return out
    if default is not None and open_.any():
        out = select(open_, ctx.scalar(_branch(ctx, default)), out)
    return out


@function("IFS", category=LOGICAL, prefix="_xlfn.",
          args="logical_test: lazy, value_if_true: lazy, [logical_test: lazy, value_if_true: lazy]...", lazy=True)
def IFS(ctx, nodes) -> Arr:
    """IFS(test1, value1, ...): the value of the first test that is TRUE; none
    is #N/A; a test that is text or an error is that error (#VALUE!)."""
    if len(nodes) % 2:
        return error(E_VALUE, ctx.unit_shape())
    tests = (truthy(ctx.operand(node)) for node in nodes[0::2])
    return _first_match(ctx, tests, nodes[1::2])


@function("SWITCH", category=LOGICAL, prefix="_xlfn.",
          args="expression: lazy, value: lazy, result: lazy, [value: lazy, result: lazy]...", lazy=True)
def SWITCH(ctx, nodes) -> Arr:
    """SWITCH(expression, value1, result1, ..., [default]): the result of the
    first value equal to the expression (as "=" compares: text ignores case);
    no match is the default or #N/A; an error in the expression is the result."""
    expr = ctx.operand(nodes[0])
    pairs = nodes[1:]
    default = pairs[-1] if len(pairs) % 2 else None

    def tests():
        for node in pairs[0:len(pairs) - (default is not None):2]:
            eq = compare("=", expr, ctx.operand(node))
            mask, _ = truthy(eq)
            yield mask & (eq.kinds() == BOOL), None

    found = _first_match(ctx, tests(), pairs[1::2], default)
    return with_errors(found, None if expr.kind is None else np.where(expr.kind >= ERR_BASE, expr.kind, 0))


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


def _truth_values(ctx, args):
    """(truth, usable, first error) of AND/OR/XOR's arguments: numbers and
    booleans count (non-zero is TRUE); in ranges text and blanks are skipped;
    typed text "TRUE"/"FALSE" counts, typed "" is skipped, other typed text
    (numeric text included) is #VALUE!; no values at all is #VALUE!."""
    c = collect(ctx, args)
    usable = np.where(c.direct, c.err == 0, (c.kind == NUM) | (c.kind == BOOL))
    truth = (c.num != 0) & usable
    err = c.err
    typed_text = c.direct & (c.kind == STR)
    if typed_text.any():
        usable, truth, err = usable.copy(), truth.copy(), err.copy()
        for idx in zip(*np.nonzero(typed_text)):
            word = c.text[idx].upper()
            usable[idx] = word in ("TRUE", "FALSE")
            truth[idx] = word == "TRUE"
            err[idx] = 0 if usable[idx] or word == "" else E_VALUE
    first = Collected(c.num, c.counts, err, c.kind, c.direct).first_error()
    none = ~usable.any(axis=-1)[..., None, None]
    if none.any():
        fill = np.where(none, E_VALUE, 0).astype(np.uint8)
        first = fill if first is None else np.where(first != 0, first, fill).astype(np.uint8)
    return truth, usable, first


def _logical(reduce):
    def impl(ctx, *args) -> Arr:
        truth, usable, err = _truth_values(ctx, args)
        return with_errors(booleans(reduce(truth, usable)[..., None, None]), err)
    return impl


LOGICALS = "logical: numbers, [logical: numbers]..."
function("AND", category=LOGICAL, args=LOGICALS)(_logical(lambda t, u: (t | ~u).all(axis=-1)))
function("OR", category=LOGICAL, args=LOGICALS)(_logical(lambda t, u: t.any(axis=-1)))
function("XOR", category=LOGICAL, prefix="_xlfn.", args=LOGICALS)(_logical(lambda t, u: t.sum(axis=-1) % 2 == 1))


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
