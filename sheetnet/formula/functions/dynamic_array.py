"""Dynamic-array functions that build and reshape arrays: SEQUENCE; TOCOL,
TOROW; CHOOSECOLS, CHOOSEROWS; HSTACK, VSTACK; EXPAND; TAKE, DROP;
WRAPROWS, WRAPCOLS.  (Sorting and filtering: dynamic_sort.py.)

Each works on one cell's 2-D array at a time (grids.per_cell); the engine
spills the result from a dynamic-array formula's cell.  The elements of an
array argument are moved, never coerced: errors and blanks inside it stay
elements (a blank shows as 0 where it lands).  A size or index argument is
read as a number, truncated toward zero, its error propagating.

A result with no element at all is #CALC! (Excel's "empty array"; an .xlsx
file stores it as #VALUE! with a rich value saying #CALC!).
"""

from __future__ import annotations

import math

import numpy as np

from ... import limits
from ...errors import ERR_BASE
from ...store import BLANK
from ..values import E_CALC, E_NA, E_NUM, E_VALUE, Arr, numeric_result
from .grids import (as_failure, concat, failure, flag, given_args, is_error, number, pad, per_cell,
                    reshaped, transposed, whole_number, whole_numbers)
from .registry import Category, function

MATH, LOOKUP = Category.MATH, Category.LOOKUP
NA_FILL = failure(E_NA)
# an array built bigger than a worksheet is #NUM! ("the array is too large", Excel's EXPAND)
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384


def _too_large(rows: int, columns: int) -> bool:
    return rows > MAX_ROWS or columns > MAX_COLUMNS


def _first_error(*values):
    """The first ExcelError among already-read arguments, left to right."""
    return next((v for v in values if is_error(v)), None)


# --- SEQUENCE ------------------------------------------------------------------------

@function("SEQUENCE", category=MATH, prefix="_xlfn.", lazy=True,
          args="rows: lazy, [columns: lazy], [start: lazy], [step: lazy]")
def SEQUENCE(ctx, nodes) -> Arr:
    """SEQUENCE(rows, [columns], [start], [step]): start, start+step, ...
    row by row.  Sizes truncated; a negative size is #VALUE!, a zero one
    #CALC! (what Excel answers for SEQUENCE(0.3)), one beyond a worksheet's
    rows or columns #NUM!."""

    def one(rows, columns, start, step):
        r, c = whole_number(rows, 1), whole_number(columns, 1)
        s, d = number(start, 1.0), number(step, 1.0)
        bad = _first_error(r, c, s, d)
        if bad is not None:
            return as_failure(bad)
        if r < 0 or c < 0:
            return failure(E_VALUE)
        if r == 0 or c == 0:
            return failure(E_CALC)
        if _too_large(r, c):
            return failure(E_NUM)
        limits.require_cells(r * c, "SEQUENCE's array", 16)
        with np.errstate(all="ignore"):
            return numeric_result(s + d * np.arange(r * c, dtype=np.float64).reshape(r, c))

    return per_cell(ctx, given_args(ctx, nodes, 4), one)


# --- RANDARRAY ------------------------------------------------------------------------

@function("RANDARRAY", category=MATH, prefix="_xlfn.", lazy=True, volatile=True,
          args="[rows: lazy], [columns: lazy], [min: lazy], [max: lazy], [whole_number: lazy]")
def RANDARRAY(ctx, nodes) -> Arr:
    """RANDARRAY([rows], [columns], [min], [max], [whole_number]): uniform
    numbers in [min, max) (whole ones: min..max inclusive) from the engine's
    seeded generator, as RAND draws them.  Sizes as SEQUENCE's; min above
    max is #VALUE!."""

    def one(rows, columns, low, high, integers):
        r, c = whole_number(rows, 1), whole_number(columns, 1)
        lo, hi, whole = number(low, 0.0), number(high, 1.0), flag(integers, False)
        bad = _first_error(r, c, lo, hi, whole)
        if bad is not None:
            return as_failure(bad)
        if r < 0 or c < 0 or lo > hi:
            return failure(E_VALUE)
        if r == 0 or c == 0:
            return failure(E_CALC)
        if _too_large(r, c):
            return failure(E_NUM)
        limits.require_cells(r * c, "RANDARRAY's array", 16)
        u = ctx.engine.rng.random((r, c))
        if whole:
            lo, hi = math.ceil(lo), math.floor(hi)
            if lo > hi:
                return failure(E_VALUE)
            return Arr(np.floor(lo + u * (hi - lo + 1)))
        return Arr(lo + u * (hi - lo))

    return per_cell(ctx, given_args(ctx, nodes, 5), one)


# --- TOCOL / TOROW -------------------------------------------------------------------

def _to_vector(as_column: bool):
    """TOCOL / TOROW (array, [ignore], [scan_by_column]): the elements row by
    row (column by column); ignore 1 leaves out blanks, 2 errors, 3 both."""

    def one(array, ignore, scan_by_column):
        mode, by_column = whole_number(ignore, 0), flag(scan_by_column, False)
        bad = _first_error(mode, by_column)
        if bad is not None:
            return as_failure(bad)
        if mode not in (0, 1, 2, 3):
            return failure(E_VALUE)
        grid = transposed(array) if by_column else array
        kinds = grid.kinds().ravel()
        keep = np.ones(kinds.size, bool)
        if mode & 1:
            keep &= kinds != BLANK
        if mode & 2:
            keep &= kinds < ERR_BASE
        if not keep.any():
            return failure(E_CALC)
        shape = (-1, 1) if as_column else (1, -1)
        return Arr(grid.num.ravel()[keep].reshape(shape),
                   None if grid.kind is None else kinds[keep].reshape(shape),
                   None if grid.obj is None else grid.obj.ravel()[keep].reshape(shape))

    def impl(ctx, nodes) -> Arr:
        return per_cell(ctx, given_args(ctx, nodes, 3), one)

    return impl


_VECTOR_ARGS = "array: lazy, [ignore: lazy], [scan_by_column: lazy]"
function("TOCOL", category=LOOKUP, prefix="_xlfn.", lazy=True, args=_VECTOR_ARGS)(_to_vector(True))
function("TOROW", category=LOOKUP, prefix="_xlfn.", lazy=True, args=_VECTOR_ARGS)(_to_vector(False))


# --- CHOOSECOLS / CHOOSEROWS ---------------------------------------------------------

def _choose(axis: int):
    """CHOOSEROWS / CHOOSECOLS (array, n1, [n2] ...): the rows (columns) in
    the order given, repeats allowed; a negative n counts from the end; 0 or
    beyond the array is #VALUE!.  An n may be an array of several."""

    def impl(ctx, nodes) -> Arr:
        def one(array, *picks):
            size = array.hw[axis]
            chosen = []
            for p in picks:
                if p is None:               # CHOOSECOLS(A1:C3,,2): an empty index is 0
                    return failure(E_VALUE)
                ns = whole_numbers(p)
                if is_error(ns):
                    return as_failure(ns)
                for n in ns:
                    if n == 0 or abs(n) > size:
                        return failure(E_VALUE)
                    chosen.append(n - 1 if n > 0 else size + n)
            index = np.array(chosen)
            return array.index((index, slice(None)) if axis == 0 else (slice(None), index))

        return per_cell(ctx, given_args(ctx, nodes, len(nodes)), one)

    return impl


_CHOOSE_ARGS = "array: lazy, {0}: lazy, [{0}: lazy]..."
function("CHOOSEROWS", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args=_CHOOSE_ARGS.format("row_num"))(_choose(0))
function("CHOOSECOLS", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args=_CHOOSE_ARGS.format("col_num"))(_choose(1))


# --- HSTACK / VSTACK -----------------------------------------------------------------

def _stack(axis: int):
    """VSTACK / HSTACK (array1, [array2] ...): one below (beside) the other;
    narrower (shorter) ones padded with #N/A."""

    def impl(ctx, nodes) -> Arr:
        def one(*arrays):
            if any(a is None for a in arrays):      # an empty argument
                return failure(E_VALUE)
            other = 1 - axis
            size = max(a.hw[other] for a in arrays)
            grown = [pad(a, size, a.hw[1], NA_FILL) if other == 0 else pad(a, a.hw[0], size, NA_FILL)
                     for a in arrays]
            return concat(grown, axis)

        return per_cell(ctx, given_args(ctx, nodes, len(nodes)), one)

    return impl


function("VSTACK", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="array: lazy, [array: lazy]...")(_stack(0))
function("HSTACK", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="array: lazy, [array: lazy]...")(_stack(1))


# --- EXPAND ----------------------------------------------------------------------------

@function("EXPAND", category=LOOKUP, prefix="_xlfn.", lazy=True,
          args="array: lazy, rows: lazy, [columns: lazy], [pad_with: lazy]")
def EXPAND(ctx, nodes) -> Arr:
    """EXPAND(array, rows, [columns], [pad_with]): grown to rows x columns
    (an omitted size keeps the array's), new cells pad_with (#N/A); a size
    below the array's is #VALUE!, one beyond a worksheet's #NUM!."""

    def one(array, rows, columns, pad_with):
        h, w = array.hw
        r, c = whole_number(rows, h), whole_number(columns, w)
        bad = _first_error(r, c)
        if bad is not None:
            return as_failure(bad)
        if r < h or c < w:
            return failure(E_VALUE)
        if _too_large(r, c):
            return failure(E_NUM)
        limits.require_cells(r * c, "EXPAND's array", 16)
        return pad(array, r, c, NA_FILL if pad_with is None else pad_with)

    return per_cell(ctx, given_args(ctx, nodes, 4), one)


# --- TAKE / DROP -----------------------------------------------------------------------

def _span(n, size: int, take: bool) -> slice:
    """The part of an axis of `size` that TAKE (DROP) n keeps: n > 0 from the
    start, n < 0 from the end; TAKE of more than there is takes all."""
    if take:
        return slice(0, min(n, size)) if n >= 0 else slice(max(size + n, 0), size)
    return slice(min(n, size), size) if n >= 0 else slice(0, max(size + n, 0))


def _take_or_drop(take: bool):
    """TAKE / DROP (array, rows, [columns]); an omitted count keeps the whole
    axis; nothing left is #CALC!."""

    def impl(ctx, nodes) -> Arr:
        def one(array, rows, columns):
            h, w = array.hw
            whole = h if take else 0, w if take else 0
            r, c = whole_number(rows, whole[0]), whole_number(columns, whole[1])
            bad = _first_error(r, c)
            if bad is not None:
                return as_failure(bad)
            part = array.index((_span(r, h, take), _span(c, w, take)))
            return failure(E_CALC) if 0 in part.hw else part

        return per_cell(ctx, given_args(ctx, nodes, 3), one)

    return impl


function("TAKE", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="array: lazy, rows: lazy, [columns: lazy]")(_take_or_drop(True))
function("DROP", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="array: lazy, rows: lazy, [columns: lazy]")(_take_or_drop(False))


# --- WRAPROWS / WRAPCOLS -----------------------------------------------------------------

def _wrap(by_rows: bool):
    """WRAPROWS / WRAPCOLS (vector, wrap_count, [pad_with]): a row or column
    cut into rows (columns) of wrap_count, the last one padded with pad_with
    (#N/A); a 2-D array is #VALUE!, wrap_count below 1 #NUM!.  A vector
    shorter than wrap_count is one row (column) of its own length (Excel:
    WRAPCOLS(FALSE, 2) is FALSE)."""

    def impl(ctx, nodes) -> Arr:
        def one(vector, wrap_count, pad_with):
            count = whole_number(wrap_count, 0)
            if is_error(count):
                return as_failure(count)
            h, w = vector.hw
            if h > 1 and w > 1:
                return failure(E_VALUE)
            if count < 1:
                return failure(E_NUM)
            n = h * w
            count = min(count, n)
            lines = -(-n // count)
            full = pad(reshaped(vector, 1, n), 1, lines * count, NA_FILL if pad_with is None else pad_with)
            rows = reshaped(full, lines, count)
            return rows if by_rows else transposed(rows)

        return per_cell(ctx, given_args(ctx, nodes, 3), one)

    return impl


function("WRAPROWS", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="vector: lazy, wrap_count: lazy, [pad_with: lazy]")(_wrap(True))
function("WRAPCOLS", category=LOOKUP, prefix="_xlfn.", lazy=True,
         args="vector: lazy, wrap_count: lazy, [pad_with: lazy]")(_wrap(False))
