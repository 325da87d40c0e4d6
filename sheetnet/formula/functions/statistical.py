"""Statistical: averages, extremes and counts, and their A forms.

Arguments follow the aggregate rule (aggregate.py): in ranges only numbers
count; typed-in values are converted.  The A forms (AVERAGEA, MAXA, MINA)
count text (as 0) and booleans in ranges too (samples.a_rule).  Spread and
shape are in statistical_spread.py, order statistics in
statistical_order.py, the conditional forms in statistical_conditional.py.
"""

from __future__ import annotations

import numpy as np

from ...store import BLANK
from ..values import E_DIV0, Arr, left_to_right, numeric_result
from .aggregate import collect
from .registry import Category, function
from .samples import a_rule

STATISTICAL = Category.STATISTICAL
NUMBERS = "number: numbers, [number: numbers]..."


def _count_torch(parts):
    return sum(m.sum(dim=-1) for _, m in parts)


def _average_scalar(values: list[float]) -> float:
    return left_to_right(values) / len(values)               # ZeroDivisionError: #DIV/0! from the general evaluator


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


# --- the A functions: text and booleans in ranges count -------------------------------------

def _a_extreme(pick):
    def impl(ctx, *args) -> Arr:
        c = a_rule(collect(ctx, args))
        fill = np.inf if pick is np.min else -np.inf
        vals = pick(np.where(c.counts, c.num, fill), axis=-1)
        vals = np.where(c.counts.any(axis=-1), vals, 0.0)[..., None, None]
        return numeric_result(vals, c.first_error())
    impl.__doc__ = (f"The {'smallest' if pick is np.min else 'largest'} value; in ranges text counts as 0 "
                    "and booleans as 0/1; none: 0.")
    return impl


function("MAXA", category=STATISTICAL, args="value: numbers, [value: numbers]...")(_a_extreme(np.max))
function("MINA", category=STATISTICAL, args="value: numbers, [value: numbers]...")(_a_extreme(np.min))


@function("AVERAGEA", category=STATISTICAL, args="value: numbers, [value: numbers]...")
def AVERAGEA(ctx, *args) -> Arr:
    """The mean; in ranges text counts as 0 and booleans as 0/1 (empty cells
    are skipped); none: #DIV/0!."""
    c = a_rule(collect(ctx, args))
    n = c.counts.sum(axis=-1)[..., None, None].astype(np.float64)
    none = n == 0
    err = c.first_error()
    div0 = np.where(none, E_DIV0, 0).astype(np.uint8)
    err = div0 if err is None else np.where(err != 0, err, div0).astype(np.uint8)
    with np.errstate(all="ignore"):             # overflow to inf: #NUM!
        return numeric_result(c.total(c.num) / np.where(none, 1.0, n), err)
