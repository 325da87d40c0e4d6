"""Batch forms of functions that return an array per cell (TEXTSPLIT,
REGEXEXTRACT's lists): each cell's result is a 2-D list of Python values (or
one value, or an error); the batch's results are padded to a common size
with #N/A, as Excel pads arrays that differ in size."""

from __future__ import annotations

import numpy as np

from ...errors import error_from_code
from ..values import E_NA, Arr, first_error
from .lifting import _build, _default, call, coerce
from .registry import Param


def assemble(batch: tuple, results: dict) -> Arr:
    """Per batch element (index -> 2-D list or single value) as one Arr."""
    grids = {i: (r if isinstance(r, list) else [[r]]) for i, r in results.items()}
    h = max((len(g) for g in grids.values()), default=1)
    w = max((max(len(row) for row in g) for g in grids.values()), default=1)
    na = error_from_code(E_NA)
    flat = []
    for index in np.ndindex(batch):
        g = grids[index]
        flat += [g[i][j] if i < len(g) and j < len(g[i]) else na for i in range(h) for j in range(w)]
    return _build(flat, batch + (h, w))


def lift_array(fn, params: tuple[Param, ...]):
    """The batch form of ``fn(*values) -> value | 2-D list``, its arguments
    coerced by type as `lifting.lift` does.  One value per argument: the
    cell's result is fn's array.  Arrays of arguments: fn runs per element
    and each element shows its result's first value."""

    def impl(ctx, *args: Arr) -> Arr:
        values, err = [], None
        for a, p in zip(args, params):
            v, e = coerce(a, p.type)
            values.append(v)
            err = first_error(err, e)
        defaults = [_default(p) for p in params[len(args):]]
        shape = np.broadcast_shapes(*(np.shape(v) for v in values), *(() if err is None else (err.shape,)))
        values = [np.broadcast_to(v, shape) for v in values]
        err = None if err is None else np.broadcast_to(err, shape)

        def one(idx):
            if err is not None and err[idx]:
                return error_from_code(int(err[idx]))
            return call(fn, [v[idx] for v in values] + defaults)

        if shape[-2:] == (1, 1):
            return assemble(shape[:-2], {i: one(i + (0, 0)) for i in np.ndindex(shape[:-2])})
        firsts = []
        for idx in np.ndindex(shape):
            r = one(idx)
            firsts.append(r[0][0] if isinstance(r, list) else r)
        return _build(firsts, shape)

    impl.__doc__, impl.__module__ = fn.__doc__, fn.__module__
    return impl
