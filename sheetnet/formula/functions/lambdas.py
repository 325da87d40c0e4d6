"""LET, LAMBDA and the functions that call a LAMBDA over an array: MAP,
REDUCE, SCAN, BYROW, BYCOL, MAKEARRAY; ISOMITTED.

Names bound by LET and a LAMBDA's parameters live on the batch (see
closures.py), so a LET in a block of 100,000 cells binds 100,000-cell values
and everything stays vectorised over the block.  The helpers loop over the
array's elements (or rows, columns) and evaluate the LAMBDA's body once per
element for the whole block at a time; a block of one cell (a spilled
formula) evaluates MAP and MAKEARRAY once, for all elements together, as a
batch of elements.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ..ast import Missing, Name
from ..batch import Batch, NotVectorizable, RefVal, deref
from ..closures import OMITTED, Lambda, param_key
from ..values import E_CALC, E_VALUE, Arr, booleans, error, numbers
from .registry import Category, function

LOGICAL, INFORMATION = Category.LOGICAL, Category.INFORMATION


@function("LET", category=LOGICAL, prefix="_xlfn.", lazy=True,
          args="name1: lazy, name_value1: lazy, calculation_or_name2: lazy, [more: lazy]...")
def LET(ctx, nodes):
    """LET(name1, value1, [name2, value2, ...], calculation): each value may
    use the names before it; references stay references (LET(r, A1:A3, SUM(r)))."""
    if len(nodes) % 2 == 0:
        return error(E_VALUE, ctx.unit_shape())
    env = dict(ctx.batch.env or {})
    for name, value in zip(nodes[0:-1:2], nodes[1:-1:2]):
        if not isinstance(name, Name) or name.sheet is not None:
            return error(E_VALUE, ctx.unit_shape())
        batch = ctx.batch.with_env(env)
        env = dict(env)
        env[param_key(name.name)] = ctx.ev.value(value, batch, ctx.arr)
    return ctx.ev.value(nodes[-1], ctx.batch.with_env(env), ctx.arr)


@function("LAMBDA", category=LOGICAL, prefix="_xlfn.", lazy=True,
          args="parameter_or_calculation: lazy, [more: lazy]...")
def LAMBDA(ctx, nodes):
    """A function value; it shows as #CALC! unless something calls it."""
    fn = Lambda.from_args(tuple(nodes), ctx.batch.env)
    return fn if fn is not None else error(E_VALUE, ctx.unit_shape())


@function("ISOMITTED", category=INFORMATION, prefix="_xlfn.", lazy=True, args="argument: lazy")
def ISOMITTED(ctx, nodes):
    node = nodes[0]
    env = ctx.batch.env or {}
    omitted = isinstance(node, Name) and env.get(param_key(node.name)) is OMITTED
    return booleans(np.full(ctx.unit_shape(), omitted))


# --- calling a LAMBDA over arrays -------------------------------------------------

def _lambda_arg(ctx, node, params: int):
    """The LAMBDA a helper was given, checked for its number of parameters."""
    fn = ctx.ev.value(node, ctx.batch, ctx.arr)
    if not isinstance(fn, Lambda) or len(fn.params) != params:
        return None
    return fn


def _array_arg(ctx, node) -> Arr:
    v = ctx.ev.value(node, ctx.batch, True)
    if isinstance(v, RefVal):
        return deref(v, ctx.batch, ctx.engine)
    if not isinstance(v, Arr):
        return error(E_VALUE, ctx.unit_shape())
    return v


def _one_value(ctx, v, batch: Batch) -> Arr:
    """A LAMBDA's result where one value per element is expected: a
    one-cell reference or 1x1 array is its value; a bigger array is #CALC!
    (Excel does not nest arrays)."""
    if isinstance(v, RefVal):
        if v.h != 1 or v.w != 1:
            return error(E_CALC, (1,) * batch.ndim + (1, 1))
        v = deref(v, batch, ctx.engine)
    if not isinstance(v, Arr):
        return error(E_CALC, (1,) * batch.ndim + (1, 1))
    if v.hw != (1, 1):
        return error(E_CALC, (1,) * batch.ndim + (1, 1))
    return v


def _element(a: Arr, i: int, j: int) -> Arr:
    """Element (i, j) of every batch cell's array (size-1 dimensions repeat)."""
    h, w = a.hw
    return a.index((..., slice(min(i, h - 1), min(i, h - 1) + 1), slice(min(j, w - 1), min(j, w - 1) + 1)))


def _assemble(pieces: dict, h: int, w: int, batch_ndim: int) -> Arr:
    """Per-element results {(i, j): Arr batch+(1,1)} -> one Arr batch+(h, w)."""
    shape = np.broadcast_shapes(*(p.shape[:batch_ndim] for p in pieces.values())) + (h, w)
    num = np.zeros(shape)
    kind = None
    obj = None
    for (i, j), p in pieces.items():
        num[..., i, j] = p.num[..., 0, 0]
        if p.kind is not None:
            if kind is None:
                kind = np.ones(shape, np.uint8)
            kind[..., i, j] = p.kind[..., 0, 0]
        if p.obj is not None:
            if obj is None:
                obj = np.empty(shape, object)
            obj[..., i, j] = p.obj[..., 0, 0]
    return Arr(num, kind, obj)


def _element_batch(ctx, count: int) -> Batch | None:
    """For a one-cell batch: a batch of `count` copies of that cell, so a
    LAMBDA is evaluated for all elements of an array at once."""
    b = ctx.batch
    if b.size != 1 or count < 2:
        return None
    row = int(np.asarray(b.rows).flat[0])
    col = int(np.asarray(b.cols).flat[0])
    env = None
    if b.env:
        env = {}
        for k, v in b.env.items():
            if isinstance(v, Arr):
                v = v.index((0,) * b.ndim)
                v = Arr(v.num[None], None if v.kind is None else v.kind[None], None if v.obj is None else v.obj[None])
            elif isinstance(v, RefVal):
                r = v.r if isinstance(v.r, (int, np.integer)) else int(np.asarray(v.r).flat[0])
                c = v.c if isinstance(v.c, (int, np.integer)) else int(np.asarray(v.c).flat[0])
                v = RefVal(v.sheet, r, c, v.h, v.w, v.dynamic)
            env[k] = v
    return Batch(b.sheet, np.full(count, row, np.int64), np.full(count, col, np.int64), None, env)


def _as_elements(a: Arr, count: int) -> Arr:
    """A one-cell batch's h x w array as `count` = h*w batch cells of 1x1 values."""
    h, w = a.hw
    a = a.broadcast(a.shape[:-2] + (h, w))

    def flat(x):
        return None if x is None else np.ascontiguousarray(x).reshape(count, 1, 1)

    return Arr(flat(a.num), flat(a.kind), flat(a.obj))


def _from_elements(v: Arr, h: int, w: int, ndim: int) -> Arr:
    """Results for an element batch, back as one cell's h x w array."""
    v = v.broadcast((h * w, 1, 1))

    def back(x):
        return None if x is None else np.ascontiguousarray(x).reshape((1,) * ndim + (h, w))

    return Arr(back(v.num), back(v.kind), back(v.obj))


def _map_elements(ctx, fn: Lambda, arrays: list[Arr], h: int, w: int) -> Arr:
    """fn applied to corresponding elements of the arrays: h x w results."""
    eb = _element_batch(ctx, h * w)
    if eb is not None:
        values = [_as_elements(a, h * w) for a in arrays]
        try:
            out = _one_value(ctx, ctx.ev.call_lambda(fn, values, eb, False), eb)
            return _from_elements(out, h, w, ctx.batch.ndim)
        except NotVectorizable:
            pass            # the elements need different sizes inside (SEQUENCE(n)): one by one
    pieces = {}
    for i in range(h):
        for j in range(w):
            values = [_element(a, i, j) for a in arrays]
            pieces[(i, j)] = _one_value(ctx, ctx.ev.call_lambda(fn, values, ctx.batch, False), ctx.batch)
    return _assemble(pieces, h, w, ctx.batch.ndim)


@function("MAP", category=LOGICAL, prefix="_xlfn.", lazy=True, args="array: lazy, lambda_or_array: lazy, [more: lazy]...")
def MAP(ctx, nodes):
    """MAP(array1, [array2 ...], LAMBDA(x1, [x2 ...], ...)): element by element."""
    fn = _lambda_arg(ctx, nodes[-1], len(nodes) - 1)
    if fn is None:
        return error(E_VALUE, ctx.unit_shape())
    arrays = [_array_arg(ctx, n) for n in nodes[:-1]]
    shapes = {a.hw for a in arrays if a.hw != (1, 1)}
    if len(shapes) > 1:
        return error(E_VALUE, ctx.unit_shape())
    h, w = shapes.pop() if shapes else (1, 1)
    return _map_elements(ctx, fn, arrays, h, w)


def _accumulate(keep_all: bool):
    """REDUCE / SCAN (initial, array, LAMBDA(acc, x)): left to right, top to
    bottom; SCAN keeps every intermediate value."""

    def impl(ctx, nodes):
        if len(nodes) == 2:
            nodes = (Missing(),) + tuple(nodes)
        fn = _lambda_arg(ctx, nodes[2], 2)
        if fn is None:
            return error(E_VALUE, ctx.unit_shape())
        acc = OMITTED if isinstance(nodes[0], Missing) else ctx.ev.value(nodes[0], ctx.batch, ctx.arr)
        a = _array_arg(ctx, nodes[1])
        h, w = a.hw
        pieces = {}
        for i in range(h):
            for j in range(w):
                acc = ctx.ev.call_lambda(fn, [acc, _element(a, i, j)], ctx.batch, False)
                if keep_all:
                    acc = _one_value(ctx, acc, ctx.batch)
                    pieces[(i, j)] = acc
        if keep_all:
            return _assemble(pieces, h, w, ctx.batch.ndim)
        if acc is OMITTED:
            return error(E_CALC, ctx.unit_shape())
        return acc if isinstance(acc, (Arr, RefVal)) else error(E_CALC, ctx.unit_shape())

    return impl


function("REDUCE", category=LOGICAL, prefix="_xlfn.", lazy=True,
         args="initial_value: lazy, array: lazy, [function: lazy]")(_accumulate(False))
function("SCAN", category=LOGICAL, prefix="_xlfn.", lazy=True,
         args="initial_value: lazy, array: lazy, [function: lazy]")(_accumulate(True))


def _by(axis: int):
    """BYROW / BYCOL (array, LAMBDA(row)): one value per row (column)."""

    def impl(ctx, nodes):
        fn = _lambda_arg(ctx, nodes[1], 1)
        if fn is None:
            return error(E_VALUE, ctx.unit_shape())
        a = _array_arg(ctx, nodes[0])
        h, w = a.hw
        n = h if axis == 0 else w
        pieces = {}
        for k in range(n):
            part = a.index((..., slice(k, k + 1), slice(None))) if axis == 0 else \
                a.index((..., slice(None), slice(k, k + 1)))
            v = _one_value(ctx, ctx.ev.call_lambda(fn, [part], ctx.batch, False), ctx.batch)
            pieces[(k, 0) if axis == 0 else (0, k)] = v
        return _assemble(pieces, n, 1, ctx.batch.ndim) if axis == 0 else _assemble(pieces, 1, n, ctx.batch.ndim)

    return impl


function("BYROW", category=LOGICAL, prefix="_xlfn.", lazy=True, args="array: lazy, function: lazy")(_by(0))
function("BYCOL", category=LOGICAL, prefix="_xlfn.", lazy=True, args="array: lazy, function: lazy")(_by(1))


@function("MAKEARRAY", category=LOGICAL, prefix="_xlfn.", lazy=True, args="rows: lazy, cols: lazy, function: lazy")
def MAKEARRAY(ctx, nodes):
    """MAKEARRAY(rows, cols, LAMBDA(r, c)): r and c count from 1."""
    fn = _lambda_arg(ctx, nodes[2], 2)
    if fn is None:
        return error(E_VALUE, ctx.unit_shape())
    sizes = []
    for node in nodes[:2]:
        x, err = numbers(ctx.operand(node))
        if err is not None and err.any():
            return error(int(err.flat[np.argmax(err.ravel() >= ERR_BASE)]), ctx.unit_shape())
        x = np.trunc(x)
        if x.size > 1 and np.any(x != x.flat[0]):
            raise NotVectorizable("MAKEARRAY sizes differ between cells")
        sizes.append(int(x.flat[0]))
    h, w = sizes
    if h < 1 or w < 1:
        return error(E_VALUE, ctx.unit_shape())
    rows = Arr(np.broadcast_to(np.arange(1.0, h + 1)[:, None], (h, w)).reshape((1,) * ctx.batch.ndim + (h, w)))
    cols = Arr(np.broadcast_to(np.arange(1.0, w + 1)[None, :], (h, w)).reshape((1,) * ctx.batch.ndim + (h, w)))
    return _map_elements(ctx, fn, [rows, cols], h, w)
