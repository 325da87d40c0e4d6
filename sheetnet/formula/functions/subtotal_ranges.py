"""The cells SUBTOTAL and AGGREGATE leave out of the ranges they are given.

Excel leaves out, depending on the function and its options:

* nested subtotals: cells whose formula calls SUBTOTAL or AGGREGATE (so a
  grand total over a column of subtotals does not count them twice);
* hidden rows: rows hidden by hand and rows a filter hides (SUBTOTAL 1-11
  leave out only the latter, 101-111 both);
* error values (AGGREGATE's options 2, 3, 6, 7).

Which cells those are is a fact of the sheet, not of the formula's cell, so
one masked copy of the part of the sheet the ranges cover serves every cell
of a batch: the ranges are handed to the aggregate (SUM, COUNTA ...) as
references into that copy, where the left-out cells are empty -- and an
empty cell in a range is what every aggregate already skips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, ValueGrid
from ..batch import RefVal
from ..values import Arr


@dataclass(frozen=True)
class LeftOut:
    """What to leave out of the ranges."""
    nested: bool = True         # cells calling SUBTOTAL or AGGREGATE
    hidden: bool = False        # rows hidden by hand
    filtered: bool = True       # rows hidden by a filter
    errors: bool = False        # error values


class _MaskedSheet:
    """A copy of part of a sheet, as much of a sheet as reading a range needs."""

    __slots__ = ("index", "name", "vals")

    def __init__(self, index: int, name: str, vals: ValueGrid):
        self.index, self.name, self.vals = index, name, vals


def without(ctx, arg, leave: LeftOut):
    """`arg` (a reference, or an array) with the cells `leave` names emptied.
    A reference stays a reference, so that the aggregate reads it as a range."""
    if not isinstance(arg, RefVal):
        if leave.errors and isinstance(arg, Arr) and arg.kind is not None:
            bad = arg.kind >= ERR_BASE
            if bad.any():
                return Arr(np.where(bad, 0.0, arg.num), np.where(bad, BLANK, arg.kind).astype(np.uint8),
                           None if arg.obj is None else np.where(bad, None, arg.obj))
        return arg
    if arg.dynamic:
        ctx.engine.ensure_rects(arg, ctx.batch)     # OFFSET's targets calculated before they are copied
    grid = arg.sheet.vals
    R, C = grid.num.shape
    r0, c0 = max(int(np.min(arg.r)), 0), max(int(np.min(arg.c)), 0)
    r1, c1 = min(int(np.max(arg.r)) + arg.h, R), min(int(np.max(arg.c)) + arg.w, C)
    if r0 >= r1 or c0 >= c1:
        return arg                                  # nothing stored there: nothing to leave out
    rows, cols = slice(r0, r1), slice(c0, c1)
    drop = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    if leave.nested:
        drop |= ctx.engine.subtotal_cells(arg.sheet, rows, cols)
    if leave.hidden or leave.filtered:
        drop |= _hidden_rows(ctx.engine.book.sheets[arg.sheet.index], r0, r1, leave)[:, None]
    if leave.errors:
        drop |= grid.kind[rows, cols] >= ERR_BASE
    if not drop.any():
        return arg
    part = ValueGrid.__new__(ValueGrid)
    part.label = grid.label
    part.num = np.where(drop, 0.0, grid.num[rows, cols])
    part.kind = np.where(drop, BLANK, grid.kind[rows, cols]).astype(np.uint8)
    part.obj = np.where(drop, None, grid.obj[rows, cols])
    view = _MaskedSheet(arg.sheet.index, arg.sheet.name, part)
    return RefVal(view, arg.r - r0, arg.c - c0, arg.h, arg.w, False, arg.affine, arg.err)


def _hidden_rows(sheet, r0: int, r1: int, leave: LeftOut) -> np.ndarray:
    """Per row r0..r1-1 of the book's sheet: whether `leave` drops it."""
    out = np.zeros(r1 - r0, dtype=bool)
    for rows, wanted in ((sheet.hidden_rows, leave.hidden), (sheet.filtered_rows, leave.filtered)):
        if not (wanted and rows):
            continue
        if len(rows) > r1 - r0:         # many hidden rows, a short range: ask per row of the range
            out |= np.fromiter((r in rows for r in range(r0, r1)), dtype=bool, count=r1 - r0)
        else:
            hidden = np.fromiter(rows, dtype=np.int64, count=len(rows))
            out[hidden[(hidden >= r0) & (hidden < r1)] - r0] = True
    return out
