"""XLOOKUP and XMATCH: the modern look-ups (Excel 2021 / 365).

Both search one vector (lookup_search.py holds the search and its order of
values) and work one cell's 2-D arrays at a time (grids.per_cell): a look-up
value that is an array gives an array of answers, a return array of several
columns gives the found row (several rows: the found column), which the
engine spills.  The arguments are lazy so that an omitted if_not_found is
told apart from an empty one, as Excel does.

Excel's answers, from its cached values:
* match_mode outside -1..3 or search_mode outside {1, -1, 2, -2} is
  #VALUE!, so is a wildcard or regex match with a binary search;
* a lookup_array that is not one row or one column, or a return_array whose
  length along it differs, is #VALUE! (XLOOKUP(x, A:A, TRUE) too);
* an error as the look-up value is that error; a missing match is
  if_not_found when given, else #N/A;
* an omitted look-up value (XLOOKUP(, L:L, M:M)) is an empty value: it finds
  the first empty cell.
"""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK
from ..values import E_NA, E_VALUE, Arr, numeric_result
from .grids import as_failure, concat, failure, given_args, is_error, per_cell, whole_number
from .lookup_search import (BINARY_DOWN, BINARY_UP, MATCH_MODES, REGEX, SEARCH_MODES, WILDCARD, Key, Vector,
                            find)
from .registry import Category, function
from .text_regex import PatternError

LOOKUP = Category.LOOKUP
_EMPTY = Arr(np.zeros((1, 1)), np.full((1, 1), BLANK, np.uint8))


def _modes(match_mode: Arr | None, search_mode: Arr | None) -> tuple[int, int] | Arr:
    """(match mode, search mode), or the per-cell failure they give."""
    mm, sm = whole_number(match_mode, 0), whole_number(search_mode, 1)
    for v in (mm, sm):
        if is_error(v):
            return as_failure(v)
    if mm not in MATCH_MODES or sm not in SEARCH_MODES:
        return failure(E_VALUE)
    if mm in (WILDCARD, REGEX) and sm in (BINARY_UP, BINARY_DOWN):
        return failure(E_VALUE)
    return mm, sm


def _vector(grid: Arr) -> Vector:
    return Vector(grid.kinds(), grid.num, grid.obj)


def _positions(lookup: Arr, vec: Vector, mm: int, sm: int) -> np.ndarray | Arr:
    """0-based position (-1: none) of every element of the look-up value; an
    error element gives -(code) - 2 so that the caller can place it."""
    kinds, nums, texts = lookup.kinds(), lookup.num, lookup.strings()
    out = np.empty(kinds.shape, dtype=np.int64)
    for idx in np.ndindex(kinds.shape):
        k = int(kinds[idx])
        if k >= ERR_BASE:
            out[idx] = -k - 2
            continue
        try:
            out[idx] = find(vec, Key(k, nums[idx], texts[idx]), mm, sm)
        except PatternError:
            return failure(E_VALUE)
    return out


def _element(grid: Arr, i: int, j: int) -> Arr:
    return grid.index((slice(i, i + 1), slice(j, j + 1)))


def _code_failure(p: int) -> Arr:
    return failure(-p - 2)


# --- XLOOKUP ------------------------------------------------------------------------

def _xlookup_one(lookup: Arr | None, lookup_array: Arr, return_array: Arr, if_not_found: Arr | None,
                 match_mode: Arr | None, search_mode: Arr | None) -> Arr:
    modes = _modes(match_mode, search_mode)
    if isinstance(modes, Arr):
        return modes
    h, w = lookup_array.hw
    rh, rw = return_array.hw
    if h != 1 and w != 1:
        return failure(E_VALUE)
    vertical = rh == 1 if h == w == 1 else w == 1
    n = h * w
    if (rh if vertical else rw) != n:
        return failure(E_VALUE)
    lookup = _EMPTY if lookup is None else lookup
    pos = _positions(lookup, _vector(lookup_array), *modes)
    if isinstance(pos, Arr):
        return pos

    def answer(p: int) -> Arr:
        if p >= 0:
            return return_array.index((slice(p, p + 1), slice(None)) if vertical else (slice(None), slice(p, p + 1)))
        if p < -1:
            return _code_failure(p)
        return failure(E_NA) if if_not_found is None else if_not_found

    if pos.shape == (1, 1):
        return answer(int(pos[0, 0]))
    # an array of look-up values: one answer each (Excel cannot nest a found
    # row inside an array: the first element of each answer stands for it)
    rows = [concat([_element(answer(int(pos[i, j])), 0, 0) for j in range(pos.shape[1])], axis=1)
            for i in range(pos.shape[0])]
    return concat(rows, axis=0)


@function("XLOOKUP", category=LOOKUP, prefix="_xlfn.", lazy=True,
          args="lookup_value: lazy, lookup_array: lazy, return_array: lazy, [if_not_found: lazy], "
               "[match_mode: lazy], [search_mode: lazy]")
def XLOOKUP(ctx, nodes) -> Arr:
    """XLOOKUP(lookup_value, lookup_array, return_array, [if_not_found],
    [match_mode], [search_mode]): the element (row, column) of return_array
    where lookup_value is found in lookup_array (see lookup_search.py)."""
    args = given_args(ctx, nodes, 6)
    if args[1] is None or args[2] is None:
        return failure(E_VALUE).broadcast(ctx.unit_shape())
    return per_cell(ctx, args, _xlookup_one)


# --- XMATCH -------------------------------------------------------------------------

def _xmatch_one(lookup: Arr | None, lookup_array: Arr, match_mode: Arr | None, search_mode: Arr | None) -> Arr:
    modes = _modes(match_mode, search_mode)
    if isinstance(modes, Arr):
        return modes
    h, w = lookup_array.hw
    if h != 1 and w != 1:
        return failure(E_NA)
    pos = _positions(_EMPTY if lookup is None else lookup, _vector(lookup_array), *modes)
    if isinstance(pos, Arr):
        return pos
    codes = np.where(pos < -1, -pos - 2, np.where(pos == -1, E_NA, 0)).astype(np.uint8)
    return numeric_result((pos + 1).astype(np.float64), codes if codes.any() else None)


@function("XMATCH", category=LOOKUP, prefix="_xlfn.", lazy=True,
          args="lookup_value: lazy, lookup_array: lazy, [match_mode: lazy], [search_mode: lazy]")
def XMATCH(ctx, nodes) -> Arr:
    """XMATCH(lookup_value, lookup_array, [match_mode], [search_mode]): the
    1-based position of lookup_value in lookup_array (see lookup_search.py)."""
    args = given_args(ctx, nodes, 4)
    if args[1] is None:
        return failure(E_VALUE).broadcast(ctx.unit_shape())
    return per_cell(ctx, args, _xmatch_one)
