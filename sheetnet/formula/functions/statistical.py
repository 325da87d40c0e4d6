"""Statistical: averages, extremes, counts and the conditional forms.

Arguments follow the aggregate rule (aggregate.py): in ranges only numbers
count; typed-in values are converted.
"""

from __future__ import annotations

import numpy as np

from ...store import BLANK, STR
from ..batch import RefVal
from ..values import E_DIV0, E_VALUE, Arr, error, numeric_result
from .aggregate import collect
from .criteria import criterion_mask, each_criterion
from .math_trig import conditional_totals
from .registry import Category, function

STATISTICAL = Category.STATISTICAL
NUMBERS = "number: numbers, [number: numbers]..."


def _count_torch(parts):
    return sum(m.sum(dim=-1) for _, m in parts)


def _average_scalar(values: list[float]) -> float:
    total = 0.0
    for i, v in enumerate(values):            # left to right, as the sheet adds
        total = v if i == 0 else total + v
    return total / len(values)               # ZeroDivisionError: #DIV/0! from the general evaluator


def _average_torch(parts):
    total = None
    for t, m in parts:
        s = (t * m).sum(dim=-1)
        total = s if total is None else total + s
    return total / _count_torch(parts)


@function("AVERAGE", category=STATISTICAL, args=NUMBERS, scalar=_average_scalar, torch=_average_torch)
def AVERAGE(ctx, *args) -> Arr:
    c = collect(ctx, args)
    n = c.counts.sum(axis=-1)[..., None, None].astype(np.float64)
    err = c.first_error()
    none = n == 0
    if none.any():
        div0 = np.where(none, E_DIV0, 0).astype(np.uint8)
        err = div0 if err is None else np.where(err != 0, err, div0).astype(np.uint8)
    with np.errstate(all="ignore"):
        return numeric_result(c.total(c.num) / np.where(none, 1.0, n), err)


def _extreme(pick):
    def impl(ctx, *args) -> Arr:
        c = collect(ctx, args)
        fill = np.inf if pick is np.min else -np.inf
        vals = pick(np.where(c.counts, c.num, fill), axis=-1)
        vals = np.where(c.counts.any(axis=-1), vals, 0.0)[..., None, None]
        return numeric_result(vals, c.first_error())
    return impl


def _extreme_torch(largest: bool):
    def form(parts):
        import torch
        big = float("-inf") if largest else float("inf")
        cat = torch.cat([torch.where(m > 0, t, torch.full_like(t, big)) for t, m in parts], dim=-1)
        return cat.max(dim=-1).values if largest else cat.min(dim=-1).values
    return form


function("MAX", category=STATISTICAL, args=NUMBERS, scalar=lambda values: max(values) if values else 0.0,
         torch=_extreme_torch(True))(_extreme(np.max))
function("MIN", category=STATISTICAL, args=NUMBERS, scalar=lambda values: min(values) if values else 0.0,
         torch=_extreme_torch(False))(_extreme(np.min))


@function("COUNT", category=STATISTICAL, args="value: numbers, [value: numbers]...",
          scalar=lambda values: float(len(values)), torch=_count_torch)
def COUNT(ctx, *args) -> Arr:
    """Numbers in ranges; typed arguments that are numbers, booleans or
    numeric text.  Errors are not counted and do not propagate."""
    c = collect(ctx, args)
    direct_ok = c.direct & (c.err == 0) & (c.kind != BLANK)
    n = (c.counts & ~c.direct) | direct_ok
    return Arr(n.sum(axis=-1).astype(np.float64)[..., None, None])


@function("COUNTA", category=STATISTICAL, args="value: reference, [value: reference]...")
def COUNTA(ctx, *args) -> Arr:
    """Everything that is not an empty cell (text, errors and "" count)."""
    c = collect(ctx, args)
    n = c.direct | (c.kind != BLANK)
    return Arr(n.sum(axis=-1).astype(np.float64)[..., None, None])


@function("COUNTBLANK", category=STATISTICAL, args="range: reference")
def COUNTBLANK(ctx, rng) -> Arr:
    a = ctx.deref(rng)
    k = a.kinds()
    blank = (k == BLANK) | ((k == STR) & (a.strings() == ""))
    return Arr(blank.reshape(blank.shape[:-2] + (-1,)).sum(axis=-1).astype(np.float64)[..., None, None])


@function("AVERAGEIF", category=STATISTICAL, args="range: reference, criteria: any, [average_range: reference]")
def AVERAGEIF(ctx, rng, crit, values=None) -> Arr:
    total, count, err = conditional_totals(ctx, rng, crit, values)
    if total is None:
        return error(E_VALUE, ctx.unit_shape())
    none = count == 0
    err = np.where(err != 0, err, np.where(none, E_DIV0, 0)).astype(np.uint8)
    with np.errstate(all="ignore"):
        return numeric_result(total / np.where(none, 1.0, count), err)


@function("COUNTIF", category=STATISTICAL, args="range: reference, criteria: any")
def COUNTIF(ctx, rng, crit) -> Arr:
    if not isinstance(rng, RefVal):
        return error(E_VALUE, ctx.unit_shape())
    shape, items = each_criterion(ctx, rng, crit if ctx.arr else crit.first())
    count = np.zeros(shape)
    for idx, c, (ks, xs, ss) in items:
        count[idx] = criterion_mask(c, ks, xs, ss).sum()
    return Arr(count)
