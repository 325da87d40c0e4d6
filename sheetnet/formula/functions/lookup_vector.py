"""LOOKUP, the oldest look-up: an approximate match (the largest value not
above the look-up value, as MATCH type 1 finds it) in a vector, answered
from a result vector or from the other end of an array.

* vector form LOOKUP(value, lookup_vector, result_vector): the element of
  result_vector (read along its length) at the position found;
* array form LOOKUP(value, array): an array wider than tall is searched
  along its first row and answered from its last row, any other along its
  first column and answered from its last column.

A blank look-up value or one below every value is #N/A; an error look-up
value is that error; a result vector shorter than the position found is
#N/A.
"""

from __future__ import annotations

import numpy as np

from ..values import E_NA, Arr, first_error, with_errors
from .lookup_reference import match_positions
from .lookup_torch import as_arr, gathered, positions
from .registry import Category, function
from .torchforms import TorchUnsupported


def _along(a: Arr, first: bool, by_row: bool) -> Arr:
    """The first (last) row or column of `a`, as a row or a column."""
    k = 0 if first else (a.hw[0] if by_row else a.hw[1]) - 1
    return a.index((..., slice(k, k + 1), slice(None))) if by_row else a.index((..., slice(None), slice(k, k + 1)))


def _flat(a: Arr) -> Arr:
    """A vector's elements along its length as one row (a 2-D block: its first column)."""
    h, w = a.hw
    if h == 1:
        return a
    col = a.index((..., slice(None), slice(0, 1)))
    return Arr(np.swapaxes(col.num, -1, -2), None if col.kind is None else np.swapaxes(col.kind, -1, -2),
               None if col.obj is None else np.swapaxes(col.obj, -1, -2))


def _lookup_torch(value, vector, result=None):
    """The Solver's LOOKUP (lookup_torch.py): the position by the same search,
    the answer gathered from the result vector (or the array's far side)."""
    h, w = tuple(vector.t.shape[-2:])
    by_row = w > h
    keys = as_arr(vector, rows=slice(0, 1)) if by_row else as_arr(vector, cols=slice(0, 1))
    pos, err = match_positions(as_arr(value).first(), keys, np.ones((1, 1)))
    if result is None:
        flat = np.where(pos >= 0, (h - 1) * w + pos if by_row else pos * w + (w - 1), -1)
        return gathered(vector, positions(flat, err))
    rh, rw = tuple(result.t.shape[-2:])
    if rh != 1 and rw != 1:
        raise TorchUnsupported("a LOOKUP result that is not a vector")
    flat = np.where((pos >= 0) & (pos < rh * rw), pos, -1)
    return gathered(result, positions(flat, err))


@function("LOOKUP", category=Category.LOOKUP, torch=_lookup_torch,
          args="lookup_value: any, lookup_vector: array, [result_vector: array]")
def LOOKUP(ctx, value: Arr, vector: Arr, result: Arr | None = None) -> Arr:
    h, w = vector.hw
    by_row = w > h
    keys = _along(vector, True, by_row)
    answers = _flat(result if result is not None else _along(vector, False, by_row))
    if not ctx.arr:
        value = value.first()
    pos, err = match_positions(value, keys, np.ones((1,) * ctx.nd))
    k = answers.hw[1]
    missing = (pos < 0) | (pos >= k)
    idx = np.where(missing, 0, pos)
    bshape = np.broadcast_shapes(idx.shape[:-2], answers.shape[:-2])
    lh, lw = idx.shape[-2:]
    flat_idx = np.broadcast_to(idx, bshape + (lh, lw)).reshape(bshape + (lh * lw,))

    def pick(a: np.ndarray) -> np.ndarray:
        src = np.broadcast_to(a, bshape + (1, k)).reshape(bshape + (k,))
        return np.take_along_axis(src, flat_idx, -1).reshape(bshape + (lh, lw))

    out = Arr(pick(answers.num), None if answers.kind is None else pick(answers.kind),
              None if answers.obj is None else pick(answers.obj))
    return with_errors(out, first_error(err, np.where(missing, E_NA, 0).astype(np.uint8)))
