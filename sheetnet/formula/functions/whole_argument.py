"""Batch forms of plain-Python functions with one argument read whole.

Some functions take single values everywhere but in one argument, which is
a range or an array read as a whole: WORKDAY's holidays, TEXTBEFORE's list of
delimiters.  `lift_with_whole` lifts such a function element by element over
the single-value arguments (as `lifting.lift`) and hands it the whole
argument already read (`read(arr)` -> any Python object, e.g. a list of
days).  The whole argument is read once when it is the same for every cell
of the batch (an absolute range, a constant), else cell by cell.
"""

from __future__ import annotations

import numpy as np

from ..values import Arr
from .lifting import lift
from .registry import Param


def lift_with_whole(fn, params: tuple[Param, ...], whole: int, read):
    """The batch form of ``fn(*values)`` whose argument `whole` (0-based) is
    read whole by `read` (None when the argument is omitted); `params` type
    the other arguments, in order."""

    def bound(w):
        return lambda *v: fn(*v[:whole], w, *v[whole:])

    def impl(ctx, *args):
        if whole >= len(args):
            return lift(bound(None), params)(ctx, *args)
        a = ctx.deref(args[whole])
        rest = list(args[:whole]) + list(args[whole + 1:])
        if all(d == 1 for d in a.shape[:-2]):
            return lift(bound(read(a)), params)(ctx, *rest)
        return _cell_by_cell(ctx, lambda w: lift(bound(w), params), read, a, rest)

    impl.__doc__, impl.__module__ = fn.__doc__, fn.__module__
    return impl


def _cell_by_cell(ctx, lifted, read, whole: Arr, rest: list[Arr]) -> Arr:
    """A whole argument that differs from cell to cell (a relative range):
    each batch element evaluated with its own."""
    batch = np.broadcast_shapes(whole.shape[:-2], *(v.shape[:-2] for v in rest))
    pieces = {}
    for index in np.ndindex(batch):
        def at(a: Arr) -> Arr:             # this element, its batch dimensions kept (size 1)
            return a.index(tuple(slice(i, i + 1) if n > 1 else slice(0, 1) for i, n in zip(index, a.shape[:-2])))
        pieces[index] = lifted(read(at(whole)))(ctx, *[at(v) for v in rest])
    hw = np.broadcast_shapes(*(p.shape[-2:] for p in pieces.values()))
    num = np.zeros(batch + hw)
    kind = np.zeros(batch + hw, np.uint8)
    obj = np.empty(batch + hw, dtype=object)
    for index, p in pieces.items():
        p = p.broadcast(p.shape[:-2] + hw)
        num[index] = p.num.reshape(hw)
        kind[index] = p.kinds().reshape(hw)
        obj[index] = p.strings().reshape(hw)
    return Arr(num, kind, obj)
