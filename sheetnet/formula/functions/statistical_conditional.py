"""Statistical functions with criteria: COUNTIF(S), AVERAGEIF(S), MAXIFS,
MINIFS.  Criteria are read as criteria.py describes (Excel's rules, with
the reference workbooks' evidence); SUMIF/SUMIFS (math & trig) share them.

A criterion may be an array in an array formula (COUNTIF(A:A, {"a","b"})):
the result is then an array of the criteria's shape.
"""

from __future__ import annotations

import numpy as np

from ...store import BLANK, STR
from ..batch import RefVal
from ..values import E_DIV0, E_VALUE, Arr, error, numeric_result
from .criteria import Matches, conditional_numbers, resized, unseen_cells
from .registry import Category, function
from .samples import line_sum

STATISTICAL = Category.STATISTICAL


def _count(ctx, ranges, criteria) -> Arr:
    matches = Matches.of(ctx, ranges, criteria)
    if matches is None:
        return error(E_VALUE, ctx.unit_shape())
    out = np.zeros(matches.shape)
    for idx, _, hit, blank in matches.each():
        # the empty cells of whole columns beyond the used grid count too
        out[idx] = hit.count + (matches.unseen if blank else 0)
    return Arr(out)


@function("COUNTIF", category=STATISTICAL, args="range: reference, criteria: any")
def COUNTIF(ctx, rng, crit) -> Arr:
    """The cells of a range that meet the criterion."""
    return _count(ctx, [rng], [crit])


@function("COUNTIFS", category=STATISTICAL, prefix="",
          args="criteria_range: reference, criteria: any, [criteria_range: reference, criteria: any]...")
def COUNTIFS(ctx, *args) -> Arr:
    """The cells meeting every (range, criterion) pair; ranges of different
    sizes are #VALUE!."""
    if len(args) % 2:
        return error(E_VALUE, ctx.unit_shape())
    return _count(ctx, list(args[0::2]), list(args[1::2]))


def _reduce(ctx, target, ranges, criteria, reduce) -> Arr:
    """reduce(numbers) over the matched numbers of target; the first error
    among the matched target cells wins."""
    found = conditional_numbers(ctx, target, ranges, criteria)
    if found is None:
        return error(E_VALUE, ctx.unit_shape())
    shape, items = found
    out = np.zeros(shape)
    err = np.zeros(shape, np.uint8)
    for idx, nums, code in items:
        if code:
            err[idx] = code
            continue
        value = reduce(nums)
        if isinstance(value, tuple):        # (0.0, error code)
            err[idx] = value[1]
        else:
            out[idx] = value
    with np.errstate(all="ignore"):
        return numeric_result(out, err)


def _average(nums: np.ndarray):
    if nums.size == 0:
        return 0.0, E_DIV0
    return line_sum(nums) / nums.size


@function("AVERAGEIF", category=STATISTICAL, args="range: reference, criteria: any, [average_range: reference]")
def AVERAGEIF(ctx, rng, crit, values=None) -> Arr:
    """The mean of the numbers (of average_range, sized like range from its
    top-left corner) where range meets the criterion; none: #DIV/0!."""
    if not isinstance(rng, RefVal) or not (values is None or isinstance(values, RefVal)):
        return error(E_VALUE, ctx.unit_shape())
    target = rng if values is None else resized(values, rng.h, rng.w)
    return _reduce(ctx, target, [rng], [crit], _average)


_IFS = "criteria_range: reference, criteria: any, [criteria_range: reference, criteria: any]..."


def _ifs(reduce):
    def impl(ctx, target, *pairs) -> Arr:
        if len(pairs) % 2:
            return error(E_VALUE, ctx.unit_shape())
        return _reduce(ctx, target, list(pairs[0::2]), list(pairs[1::2]), reduce)
    return impl


function("AVERAGEIFS", category=STATISTICAL, args="average_range: reference, " + _IFS)(_ifs(_average))
function("MAXIFS", category=STATISTICAL, prefix="_xlfn.", args="max_range: reference, " + _IFS)(
    _ifs(lambda nums: float(nums.max()) if nums.size else 0.0))
function("MINIFS", category=STATISTICAL, prefix="_xlfn.", args="min_range: reference, " + _IFS)(
    _ifs(lambda nums: float(nums.min()) if nums.size else 0.0))


@function("COUNTBLANK", category=STATISTICAL, args="range: reference")
def COUNTBLANK(ctx, rng) -> Arr:
    """Empty cells and cells holding the empty text; the empty cells of a
    whole column beyond the used grid count too."""
    a = ctx.deref(rng)
    k = a.kinds()
    blank = (k == BLANK) | ((k == STR) & (a.strings() == ""))
    n = blank.reshape(blank.shape[:-2] + (-1,)).sum(axis=-1).astype(np.float64)
    if isinstance(rng, RefVal):
        n = n + unseen_cells(rng, a)
    return Arr(n[..., None, None])
