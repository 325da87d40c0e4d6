"""One cell's 2-D array at a time, for the functions that reshape, sort and
filter arrays (SORT, TAKE, HSTACK, SEQUENCE ...: dynamic_array.py,
dynamic_sort.py).

Their results have a size that depends on the values, so they work per cell
of the batch: `per_cell` hands a function each cell's arguments as 2-D `Arr`s
(shape (h, w), no batch dimensions) and stacks the per-cell results back
into one `Arr`.  When the cells' results differ in size, the block is
retried cell by cell (`NotVectorizable`; MAP's batch of elements, element
by element).

An argument is evaluated only when given (`given_args`): these functions are
registered lazy, so that an omitted argument (SORT(A1:A9,,-1)) is told apart
from a 0.
"""

from __future__ import annotations

import numpy as np

from ...errors import ExcelError, error_from_code
from ..ast import Missing
from ..batch import NotVectorizable
from ..values import Arr, error, numbers, truthy


def given_args(ctx, nodes, count: int) -> list[Arr | None]:
    """The first `count` arguments evaluated as arrays (references read
    whole); None for an omitted one."""
    out = []
    for i in range(count):
        node = nodes[i] if i < len(nodes) else None
        out.append(None if node is None or isinstance(node, Missing) else ctx.ev.array(node, ctx.batch))
    return out


def at(a: Arr, index: tuple) -> Arr:
    """Batch cell `index`'s 2-D array (size-1 batch dimensions repeat)."""
    key = tuple(i if n > 1 else 0 for i, n in zip(index, a.shape[:-2]))
    return a.index(key + (slice(None), slice(None)))


def failure(code: int) -> Arr:
    """A per-cell result that is one error."""
    return error(code, (1, 1))


def per_cell(ctx, arrays: list[Arr | None], fn) -> Arr:
    """fn(*grids) -> 2-D Arr for every cell of the batch (None passes through
    for an omitted argument), stacked into one Arr of the batch."""
    present = [a for a in arrays if a is not None]
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in present)) if present else ctx.unit_shape()[:-2]
    results = {}
    for index in np.ndindex(batch):
        results[index] = fn(*(None if a is None else at(a, index) for a in arrays))
    return stack(ctx, batch, results)


def stack(ctx, batch: tuple, results: dict) -> Arr:
    """Per batch cell 2-D Arrs -> one Arr of shape batch + (h, w)."""
    if len({r.hw for r in results.values()}) > 1:
        # the formula is evaluated again cell by cell (a LAMBDA's elements one by one)
        raise NotVectorizable("dynamic-array results of different sizes")
    grids = [results[i] for i in np.ndindex(batch)]
    h, w = grids[0].hw
    num = np.stack([g.num for g in grids]).reshape(batch + (h, w))
    kind = obj = None
    if any(g.kind is not None for g in grids):
        kind = np.stack([g.kinds() for g in grids]).reshape(batch + (h, w))
    if any(g.obj is not None for g in grids):
        obj = np.stack([g.strings() for g in grids]).reshape(batch + (h, w))
    return Arr(num, kind, obj)


# --- building 2-D arrays ----------------------------------------------------------

def filled(h: int, w: int, value: Arr) -> Arr:
    """An h x w array of one value (`value`'s top-left element)."""
    v = value.index((slice(0, 1), slice(0, 1)))
    return Arr(np.full((h, w), v.num[0, 0]), None if v.kind is None else np.full((h, w), v.kind[0, 0]),
               None if v.obj is None else np.full((h, w), v.obj[0, 0], dtype=object))


def concat(grids: list[Arr], axis: int) -> Arr:
    """Arrays side by side (axis 1) or one below the other (axis 0); their
    other sizes must agree."""
    num = np.concatenate([g.num for g in grids], axis=axis)
    kind = np.concatenate([g.kinds() for g in grids], axis=axis) if any(g.kind is not None for g in grids) else None
    obj = np.concatenate([g.strings() for g in grids], axis=axis) if any(g.obj is not None for g in grids) else None
    return Arr(num, kind, obj)


def pad(grid: Arr, h: int, w: int, fill: Arr) -> Arr:
    """`grid` grown to h x w with `fill` (Excel pads with #N/A)."""
    gh, gw = grid.hw
    if (gh, gw) == (h, w):
        return grid
    if gw < w:
        grid = concat([grid, filled(gh, w - gw, fill)], axis=1)
    if gh < h:
        grid = concat([grid, filled(h - gh, w, fill)], axis=0)
    return grid


def transposed(grid: Arr) -> Arr:
    return Arr(grid.num.T, None if grid.kind is None else grid.kind.T, None if grid.obj is None else grid.obj.T)


def reshaped(grid: Arr, h: int, w: int) -> Arr:
    """The elements row by row, as h x w."""
    return Arr(grid.num.reshape(h, w), None if grid.kind is None else grid.kind.reshape(h, w),
               None if grid.obj is None else grid.obj.reshape(h, w))


# --- reading one value --------------------------------------------------------------

def top_left(grid: Arr) -> Arr:
    return grid.index((slice(0, 1), slice(0, 1)))


def whole_number(grid: Arr | None, default: int) -> int | ExcelError:
    """An argument read as a number and truncated toward zero (Excel's
    sizes and indexes: "5" is 5, TRUE 1, a blank 0); its first error as is."""
    if grid is None:
        return default
    x, err = numbers(top_left(grid))
    if err is not None and err[0, 0]:
        return error_from_code(int(err[0, 0]))
    return int(np.trunc(x[0, 0])) if np.isfinite(x[0, 0]) else ExcelError("#NUM!")


def number(grid: Arr | None, default: float) -> float | ExcelError:
    if grid is None:
        return default
    x, err = numbers(top_left(grid))
    if err is not None and err[0, 0]:
        return error_from_code(int(err[0, 0]))
    return float(x[0, 0])


def flag(grid: Arr | None, default: bool) -> bool | ExcelError:
    """A TRUE/FALSE argument (numbers: non-zero is TRUE)."""
    if grid is None:
        return default
    x, err = truthy(top_left(grid))
    if err is not None and err[0, 0]:
        return error_from_code(int(err[0, 0]))
    return bool(x[0, 0])


def whole_numbers(grid: Arr) -> list[int] | ExcelError:
    """Every value of an array argument as a whole number, row by row
    (CHOOSECOLS(A1:E6, {1,3}), SORT's sort_index array)."""
    x, err = numbers(grid)
    if err is not None and err.any():
        return error_from_code(int(err.flat[np.flatnonzero(err.ravel())[0]]))
    if not np.isfinite(x).all():
        return ExcelError("#NUM!")
    return [int(v) for v in np.trunc(x).ravel()]


def is_error(v) -> bool:
    return isinstance(v, ExcelError)


def as_failure(v: ExcelError) -> Arr:
    return failure(v.code)

