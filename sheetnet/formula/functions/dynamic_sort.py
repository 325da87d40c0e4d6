"""Dynamic-array functions that sort and select: SORT, SORTBY, UNIQUE, FILTER.

Excel's sort order, from its cached values (reference workbook SORT.xlsx):
numbers < text (case-insensitive) < TRUE/FALSE < errors (in ERROR.TYPE's
order: #DIV/0! before #NAME? before #N/A), and blanks always last, in either
direction; equal keys keep their order (a stable sort, descending too).
UNIQUE compares values the same way (text case-insensitively); its result
keeps each row's first occurrence as written.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..values import E_CALC, E_VALUE, Arr
from .grids import as_failure, failure, flag, given_args, is_error, per_cell, transposed, whole_numbers
from .registry import Category, function

LOOKUP = Category.LOOKUP

# the rank of a value's type in Excel's sort order
_NUMBER_RANK, _TEXT_RANK, _BOOLEAN_RANK, _ERROR_RANK, _BLANK_RANK = range(5)


def sort_keys(line: Arr) -> tuple[np.ndarray, np.ndarray]:
    """Excel's sort key of every element of a 1-D slice, as two arrays:
    the rank of its type and its value within the type (the number, the
    boolean, the error code, or the text's place among the slice's texts
    case-folded).  Equal keys are equal values for UNIQUE."""
    kinds, nums = line.kinds().ravel(), line.num.ravel()
    rank = np.select([kinds == NUM, kinds == STR, kinds == BOOL, kinds >= ERR_BASE],
                     [_NUMBER_RANK, _TEXT_RANK, _BOOLEAN_RANK, _ERROR_RANK], _BLANK_RANK)
    value = np.where(kinds >= ERR_BASE, kinds, nums).astype(np.float64)
    value[kinds == BLANK] = 0.0
    texts = np.flatnonzero(kinds == STR)
    if texts.size:
        folded = np.array([t.casefold() for t in line.strings().ravel()[texts]], dtype=object)
        value[texts] = np.unique(folded, return_inverse=True)[1]
    return rank, value


def _by_keys(key_lines: list[tuple[tuple[np.ndarray, np.ndarray], bool]]) -> np.ndarray:
    """The permutation sorting items by several keys (the first deciding),
    each ascending or descending, blanks last either way; stable."""
    columns = []
    for (rank, value), descending in reversed(key_lines):      # lexsort: the last column decides first
        if descending:
            rank, value = np.where(rank == _BLANK_RANK, _BLANK_RANK, -rank), -value
        columns += [value, rank]
    return np.lexsort(columns)


def _orders(grid: Arr | None, count: int) -> list[bool] | Arr:
    """sort_order argument(s): 1 ascending, -1 descending (one value for
    every key, or one per key); other values #VALUE!."""
    if grid is None:
        return [False] * count
    values = whole_numbers(grid)
    if is_error(values):
        return as_failure(values)
    if any(v not in (1, -1) for v in values) or len(values) not in (1, count):
        return failure(E_VALUE)
    return [v == -1 for v in values] * (count if len(values) == 1 else 1)


# --- SORT ----------------------------------------------------------------------------

@function("SORT", category=LOOKUP, prefix="_xlfn._xlws.", lazy=True,
          args="array: lazy, [sort_index: lazy], [sort_order: lazy], [by_col: lazy]")
def SORT(ctx, nodes) -> Arr:
    """SORT(array, [sort_index], [sort_order], [by_col]): the rows (columns,
    by_col TRUE) ordered by the sort_index-th column (row); sort_index and
    sort_order may be arrays (several keys).  An index outside the array or
    an order other than 1/-1 is #VALUE!."""

    def one(array, sort_index, sort_order, by_col):
        by_columns = flag(by_col, False)
        if is_error(by_columns):
            return as_failure(by_columns)
        grid = transposed(array) if by_columns else array
        w = grid.hw[1]
        indexes = [1] if sort_index is None else whole_numbers(sort_index)
        if is_error(indexes):
            return as_failure(indexes)
        descending = _orders(sort_order, len(indexes))
        if isinstance(descending, Arr):
            return descending
        if any(i < 1 or i > w for i in indexes):
            return failure(E_VALUE)
        order = _by_keys([(sort_keys(grid.index((slice(None), i - 1))), d) for i, d in zip(indexes, descending)])
        result = grid.index((order, slice(None)))
        return transposed(result) if by_columns else result

    return per_cell(ctx, given_args(ctx, nodes, 4), one)


# --- SORTBY --------------------------------------------------------------------------

@function("SORTBY", category=LOOKUP, prefix="_xlfn.", lazy=True,
          args="array: lazy, by_array: lazy, [sort_order: lazy], [by_array: lazy, sort_order: lazy]...")
def SORTBY(ctx, nodes) -> Arr:
    """SORTBY(array, by_array1, [sort_order1], ...): the rows ordered by
    columns of keys as tall as the array (or the columns, by rows of keys as
    wide); keys of other shapes, or mixing the two, are #VALUE!."""

    def one(array, *rest):
        h, w = array.hw
        pairs = [(rest[i], rest[i + 1] if i + 1 < len(rest) else None) for i in range(0, len(rest), 2)]
        lines, axes = [], {0, 1}
        for by, order in pairs:
            if by is None:
                return failure(E_VALUE)
            bh, bw = by.hw
            axes &= {axis for axis, fits in ((0, bw == 1 and bh == h), (1, bh == 1 and bw == w)) if fits}
            if not axes:
                return failure(E_VALUE)
            descending = _orders(order, 1)
            if isinstance(descending, Arr):
                return descending
            lines.append((sort_keys(by), descending[0]))
        axis = min(axes)
        order = _by_keys(lines)
        return array.index((order, slice(None)) if axis == 0 else (slice(None), order))

    return per_cell(ctx, given_args(ctx, nodes, len(nodes)), one)


# --- UNIQUE --------------------------------------------------------------------------

@function("UNIQUE", category=LOOKUP, prefix="_xlfn.", lazy=True,
          args="array: lazy, [by_col: lazy], [exactly_once: lazy]")
def UNIQUE(ctx, nodes) -> Arr:
    """UNIQUE(array, [by_col], [exactly_once]): each distinct row (column)
    once, in the order of first appearance; exactly_once keeps only the rows
    that appear once.  None left is #CALC!."""

    def one(array, by_col, exactly_once):
        by_columns, once = flag(by_col, False), flag(exactly_once, False)
        for v in (by_columns, once):
            if is_error(v):
                return as_failure(v)
        grid = transposed(array) if by_columns else array
        keys = np.column_stack([part for j in range(grid.hw[1]) for part in sort_keys(grid.index((slice(None), j)))])
        _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
        keep = np.sort(first[counts == 1] if once else first)
        if not keep.size:
            return failure(E_CALC)
        result = grid.index((keep, slice(None)))
        return transposed(result) if by_columns else result

    return per_cell(ctx, given_args(ctx, nodes, 3), one)


# --- FILTER --------------------------------------------------------------------------

def _include_mask(include: Arr) -> np.ndarray | Arr:
    """FILTER's include values as booleans: numbers non-zero, TRUE/FALSE,
    blank FALSE; text is #VALUE!, an error its own."""
    kinds = include.kinds().ravel()
    errors = np.flatnonzero(kinds >= ERR_BASE)
    if errors.size:
        return failure(int(kinds[errors[0]]))
    if (kinds == STR).any():
        return failure(E_VALUE)
    return (include.num.ravel() != 0) & (kinds != BLANK)


@function("FILTER", category=LOOKUP, prefix="_xlfn._xlws.", lazy=True,
          args="array: lazy, include: lazy, [if_empty: lazy]")
def FILTER(ctx, nodes) -> Arr:
    """FILTER(array, include, [if_empty]): the rows (columns) whose include
    value is TRUE; include is a column as tall as the array (or a row as
    wide), else #VALUE!.  Nothing kept: if_empty, or #CALC!."""

    def one(array, include, if_empty):
        h, w = array.hw
        ih, iw = include.hw
        if iw == 1 and ih == h:
            axis = 0
        elif ih == 1 and iw == w:
            axis = 1
        else:
            return failure(E_VALUE)
        mask = _include_mask(include)
        if isinstance(mask, Arr):
            return mask
        if not mask.any():
            return failure(E_CALC) if if_empty is None else if_empty
        keep = np.flatnonzero(mask)
        return array.index((keep, slice(None)) if axis == 0 else (slice(None), keep))

    return per_cell(ctx, given_args(ctx, nodes, 3), one)

