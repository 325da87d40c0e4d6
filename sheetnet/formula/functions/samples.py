"""Statistics over the numbers of their arguments: the two ways Excel reads
a sample, and running a per-sample computation over a batch of cells.

* the aggregate rule (`aggregate.collect`, as SUM and AVERAGE read): in a
  range or an array only numbers count; a value typed as an argument is
  converted (TRUE 1, "3" 3, "abc" #VALUE!);
* the A rule (AVERAGEA, MAXA, STDEVA ...): in a range, text counts as 0 and
  booleans as 0/1 as well (empty cells are still skipped); typed values as
  above.

Errors among the values propagate (the first in argument order), unless a
function says otherwise.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ...errors import ExcelError
from ...store import BOOL, STR
from ..values import E_DIV0, E_NUM, Arr, numbers, numeric_result, pad, seq_sum
from .aggregate import Collected, collect

__all__ = ["Collected", "a_rule", "collect", "each_sample", "line_sum", "moments", "per_sample", "per_sample_k",
           "result_of"]


def a_rule(c: Collected) -> Collected:
    """The A functions' reading: text and booleans in ranges count (text as 0)."""
    in_range = ~c.direct
    counts = c.counts | (in_range & ((c.kind == STR) | (c.kind == BOOL)))
    num = np.where(in_range & (c.kind == STR), 0.0, c.num)
    return Collected(num, counts, c.err, c.kind, c.direct)


def line_sum(x: np.ndarray) -> float:
    """The sum of a 1-D array strictly left to right (as values.seq_sum, which
    loops over the columns of a batch; cumsum is sequential too and fast on
    one short vector)."""
    return float(np.cumsum(x)[-1]) if x.size else 0.0


def each_sample(c: Collected):
    """(batch index, the counted numbers in argument order) per batch element."""
    for idx in np.ndindex(c.num.shape[:-1]):
        yield idx, c.num[idx][c.counts[idx]]


def result_of(fn: Callable, *args):
    """fn(*args) as a float or an error code: ZeroDivisionError is #DIV/0!,
    ValueError/OverflowError #NUM!; fn may also return an ExcelError."""
    try:
        with np.errstate(all="ignore"):          # overflow to inf: #NUM! below
            z = fn(*args)
    except ZeroDivisionError:
        return E_DIV0
    except (ValueError, OverflowError):
        return E_NUM
    if isinstance(z, ExcelError):
        return z.code
    z = float(z)
    return z if math.isfinite(z) else E_NUM


def per_sample(c: Collected, fn: Callable[[np.ndarray], float]) -> Arr:
    """fn(the sample's numbers) per batch element (see `result_of`); the first
    error among the values wins over fn's result."""
    shape = c.num.shape[:-1]
    out = np.zeros(shape)
    err = np.zeros(shape, np.uint8)
    for idx, values in each_sample(c):
        z = result_of(fn, values)
        if isinstance(z, int):
            err[idx] = z
        else:
            out[idx] = z
    return _finish(out[..., None, None], err[..., None, None], c.first_error())


def per_sample_k(ctx, c: Collected, ks: list[Arr], fn: Callable, prepare: Callable = np.sort) -> Arr:
    """fn(prepare(sample), *k) for every element of the k arguments (single
    values, or arrays in an array formula: SMALL(A1:A9, {1,2,3}) gives
    three), shape batch + the k's (h, w).  Errors in the sample win, then
    errors in the k arguments, left to right."""
    nd = ctx.nd - 2
    parts = [numbers(k) for k in _aligned(ks)]
    batch = np.broadcast_shapes(c.num.shape[:-1], *(x.shape[:nd] for x, _ in parts))
    hw = np.broadcast_shapes(*(x.shape[nd:] for x, _ in parts))
    out = np.zeros(batch + hw)
    err = np.zeros(batch + hw, np.uint8)
    for b in np.ndindex(batch):
        cb = tuple(i if c.num.shape[d] > 1 else 0 for d, i in enumerate(b))
        prepared = prepare(c.num[cb][c.counts[cb]])
        for ij in np.ndindex(hw):
            args, code = [], 0
            for x, e in parts:
                at = tuple(i if x.shape[d] > 1 else 0 for d, i in enumerate(b + ij))
                if e is not None and e[at] and not code:
                    code = int(e[at])
                args.append(float(x[at]))
            z = code or result_of(fn, prepared, *args)
            if isinstance(z, int):
                err[b + ij] = z
            else:
                out[b + ij] = z
    return _finish(out, err, c.first_error())


def _aligned(args: list[Arr]) -> list[Arr]:
    """Arrays of different sizes padded with #N/A, as Excel pairs them."""
    if len({a.hw for a in args}) <= 1:
        return args
    h = max(a.hw[0] for a in args)
    w = max(a.hw[1] for a in args)
    return [pad(a, h, w) for a in args]


def _finish(out: np.ndarray, err: np.ndarray, first: np.ndarray | None) -> Arr:
    if first is not None:
        err = np.where(np.broadcast_to(first, err.shape) != 0, first, err).astype(np.uint8)
    return numeric_result(out, err if err.any() else None)


def moments(c: Collected):
    """(n, mean, sum of squared deviations) per batch element, vectorised:
    sums left to right, deviations from the mean (two passes, as a
    spreadsheet user would write it)."""
    n = c.counts.sum(axis=-1).astype(np.float64)
    with np.errstate(all="ignore"):
        mean = seq_sum(np.where(c.counts, c.num, 0.0)) / n
        dev = np.where(c.counts, c.num - mean[..., None], 0.0)
        ss = seq_sum(dev * dev)
    return n, mean, ss
