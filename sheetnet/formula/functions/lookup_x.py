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
from ..values import error as _error
from .grids import as_failure, concat, failure, given_args, is_error, per_cell, whole_number
from .lookup_torch import constant, gathered, searched
from .lookup_search import (BINARY_DOWN, BINARY_UP, MATCH_MODES, REGEX, SEARCH_MODES, WILDCARD, Key, Vector,
                            find)
from .registry import Category, function
from .text_regex import PatternError
from .torchforms import TorchUnsupported

LOOKUP = Category.LOOKUP
_EMPTY = Arr(np.zeros((1, 1)), np.full((1, 1), BLANK, np.uint8))


def error_arr(code: int) -> Arr:
    return _error(code, (1, 1))


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


def _vector(grid: Arr, cache: dict | None = None) -> Vector:
    """The search vector of a look-up array; `cache` (one per call) builds it
    once for the cells of a block that search the same array."""
    if cache is None:
        return Vector(grid.kinds(), grid.num, grid.obj)
    ident = tuple((a.__array_interface__["data"][0], a.shape, a.strides) if a is not None else None
                  for a in (grid.num, grid.kind, grid.obj))
    vec = cache.get(ident)
    if vec is None:
        vec = cache[ident] = Vector(grid.kinds(), grid.num, grid.obj)
    return vec


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
                 match_mode: Arr | None, search_mode: Arr | None, cache: dict | None = None) -> Arr:
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
    pos = _positions(lookup, _vector(lookup_array, cache), *modes)
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
    # an array of look-up values: one answer each; where each answer would be
    # a whole row its first element stands for it (arrays do not nest; no
    # Excel-cached case of this was available to check)
    rows = [concat([_element(answer(int(pos[i, j])), 0, 0) for j in range(pos.shape[1])], axis=1)
            for i in range(pos.shape[0])]
    return concat(rows, axis=0)


def _xlookup_torch(lookup, lookup_array, return_array, if_not_found=None, match_mode=None, search_mode=None):
    """The Solver's XLOOKUP (lookup_torch.py): positions by the same search,
    the answer gathered from the return vector."""
    mm, sm = int(constant(match_mode, 0)), int(constant(search_mode, 1))
    if mm not in MATCH_MODES or sm not in SEARCH_MODES or (mm in (WILDCARD, REGEX) and sm in (BINARY_UP, BINARY_DOWN)):
        raise TorchUnsupported("an XLOOKUP mode Excel refuses")
    key, keys, ret = searched(lookup), searched(lookup_array, array=True), return_array(array=True)
    (h, w), (rh, rw) = keys.hw, tuple(ret.t.shape[-2:])
    if key.hw != (1, 1) or (h, w) != (rh, rw) or (h != 1 and w != 1):
        raise TorchUnsupported("an XLOOKUP that answers an array")
    batch = np.broadcast_shapes(key.shape[:-2], keys.shape[:-2])
    pos = np.empty(batch + (1, 1), np.int64)
    vectors = {}
    for index in np.ndindex(batch):
        vi = tuple(i if n > 1 else 0 for i, n in zip(index, keys.shape[:-2]))
        vec = vectors.get(vi) or vectors.setdefault(vi, _vector(keys.index(vi)))
        ki = tuple(i if n > 1 else 0 for i, n in zip(index, key.shape[:-2]))
        pos[index] = _positions(key.index(ki), vec, mm, sm)
    return gathered(ret, pos, None if if_not_found is None or if_not_found.omitted else if_not_found())


@function("XLOOKUP", category=LOOKUP, prefix="_xlfn.", lazy=True, torch=_xlookup_torch,
          args="lookup_value: lazy, lookup_array: lazy, return_array: lazy, [if_not_found: lazy], "
               "[match_mode: lazy], [search_mode: lazy]")
def XLOOKUP(ctx, nodes) -> Arr:
    """XLOOKUP(lookup_value, lookup_array, return_array, [if_not_found],
    [match_mode], [search_mode]): the element (row, column) of return_array
    where lookup_value is found in lookup_array (see lookup_search.py)."""
    args = given_args(ctx, nodes, 6)
    if args[1] is None or args[2] is None:
        return failure(E_VALUE).broadcast(ctx.unit_shape())
    fast = _xlookup_block(ctx, *args)
    if fast is not None:
        return fast
    cache = {}
    return per_cell(ctx, args, lambda *grids: _xlookup_one(*grids, cache=cache))


def _shared(a: Arr | None) -> bool:
    return a is None or all(n == 1 for n in a.shape[:-2])


def _xlookup_block(ctx, lookup, lookup_array, return_array, if_not_found, match_mode, search_mode) -> Arr | None:
    """The common block -- one value per cell looked up in the same vector,
    one value answered -- searched in one pass over the cells and answered by
    one gather; None for anything else (per_cell then does it cell by cell)."""
    if lookup is None or lookup.hw != (1, 1) or not all(map(_shared, (lookup_array, return_array, match_mode,
                                                                          search_mode))):
        return None
    if if_not_found is not None and if_not_found.hw != (1, 1):
        return None
    keys, ret = lookup_array.index((0,) * len(lookup_array.shape[:-2])), return_array.index(
        (0,) * len(return_array.shape[:-2]))
    modes = _modes(None if match_mode is None else match_mode.index((0,) * len(match_mode.shape[:-2])),
                   None if search_mode is None else search_mode.index((0,) * len(search_mode.shape[:-2])))
    (h, w), (rh, rw) = keys.hw, ret.hw
    if isinstance(modes, Arr) or (h != 1 and w != 1) or (h, w) != (rh, rw):
        return None
    pos = _positions(lookup, _vector(keys), *modes)
    if isinstance(pos, Arr):
        return None
    flat = ret.index((slice(None), slice(None)))
    idx = np.maximum(pos, 0).reshape(-1)
    out = Arr(flat.num.reshape(-1)[idx].reshape(pos.shape),
              None if flat.kind is None else flat.kind.reshape(-1)[idx].reshape(pos.shape),
              None if flat.obj is None else flat.obj.reshape(-1)[idx].reshape(pos.shape))
    kind = out.kinds().copy()
    num, obj = out.num.copy(), None if out.obj is None else out.obj.copy()
    missing, failed = pos == -1, pos < -1
    if missing.any():
        fb = error_arr(E_NA) if if_not_found is None else if_not_found
        fb = fb.broadcast(np.broadcast_shapes(fb.shape, pos.shape))
        sel = np.broadcast_to(missing, fb.shape)
        kind, num = np.where(sel, fb.kinds(), kind), np.where(sel, fb.num, num)
        if fb.obj is not None:
            obj = np.where(sel, fb.obj, np.empty(kind.shape, object) if obj is None else obj)
    if failed.any():
        kind, num = np.where(failed, -pos - 2, kind).astype(np.uint8), np.where(failed, 0.0, num)
    return Arr(num, kind.astype(np.uint8), obj)


# --- XMATCH -------------------------------------------------------------------------

def _xmatch_one(lookup: Arr | None, lookup_array: Arr, match_mode: Arr | None, search_mode: Arr | None,
                cache: dict | None = None) -> Arr:
    modes = _modes(match_mode, search_mode)
    if isinstance(modes, Arr):
        return modes
    h, w = lookup_array.hw
    if h != 1 and w != 1:
        return failure(E_NA)
    pos = _positions(_EMPTY if lookup is None else lookup, _vector(lookup_array, cache), *modes)
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
    cache = {}
    return per_cell(ctx, args, lambda *grids: _xmatch_one(*grids, cache=cache))
