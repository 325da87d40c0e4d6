"""TRIMRANGE: a range or array without its empty outer rows and columns."""

from __future__ import annotations

import numpy as np

from ...store import BLANK
from ..values import E_REF, E_VALUE, Arr
from .grids import as_failure, failure, given_args, is_error, per_cell, whole_number
from .registry import Category, function

_LEADING, _TRAILING = 1, 2


def _span(used: np.ndarray, mode: int) -> tuple[int, int]:
    """[start, end) of the rows (columns) kept: the empty ones at the start
    (mode bit 1) and at the end (bit 2) are dropped."""
    n = used.size
    hits = np.flatnonzero(used)
    start = (int(hits[0]) if hits.size else n) if mode & _LEADING else 0
    end = (int(hits[-1]) + 1 if hits.size else 0) if mode & _TRAILING else n
    return start, end


def _trim_one(grid: Arr, trim_rows: Arr | None, trim_cols: Arr | None) -> Arr:
    rows_mode, cols_mode = whole_number(trim_rows, 3), whole_number(trim_cols, 3)
    for v in (rows_mode, cols_mode):
        if is_error(v):
            return as_failure(v)
    if rows_mode not in range(4) or cols_mode not in range(4):
        return failure(E_VALUE)
    filled = grid.kinds() != BLANK
    r0, r1 = _span(filled.any(axis=1), rows_mode)
    c0, c1 = _span(filled.any(axis=0), cols_mode)
    if r0 >= r1 or c0 >= c1:
        return failure(E_REF)       # nothing left (IronCalc's answer; no Excel-cached case seen)
    return grid.index((slice(r0, r1), slice(c0, c1)))


@function("TRIMRANGE", category=Category.LOOKUP, prefix="_xlfn.", lazy=True,
          args="range: lazy, [trim_rows: lazy], [trim_cols: lazy]")
def TRIMRANGE(ctx, nodes) -> Arr:
    """TRIMRANGE(range, [trim_rows], [trim_cols]): trim modes 0 none, 1
    leading, 2 trailing, 3 both (the default); another mode is #VALUE!.  The
    trimmed values spill (H:H with data in H3:H5 gives those three)."""
    return per_cell(ctx, given_args(ctx, nodes, 3), _trim_one)
