"""SUBTOTAL: what an Excel Table's totals row holds (=SUBTOTAL(109,Table1[Price])).

The function number picks the aggregate (1-11; 101-111 skip rows hidden by
hand, and sheetnet sees no hidden rows, so they aggregate the same); the
aggregate is the registered function of that name, given the references.
Known difference: Excel leaves out cells of the ranges that themselves hold
SUBTOTAL formulas; here they count.
"""

from __future__ import annotations

import numpy as np

from ..values import E_VALUE, Arr, error, numbers
from .registry import FUNCTIONS, Category, function

_AGGREGATES = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV",
               8: "STDEVP", 9: "SUM", 10: "VAR", 11: "VARP"}


@function("SUBTOTAL", category=Category.MATH, args="function_num: number, ref1: reference, [ref: reference]...")
def SUBTOTAL(ctx, number: Arr, *refs):
    x, err = numbers(number.first())
    if err is not None and err.any():
        return error(int(err.flat[0]), ctx.unit_shape())
    k = np.trunc(x)
    if k.size > 1 and np.any(k != k.flat[0]):
        from ..batch import NotVectorizable
        raise NotVectorizable("SUBTOTAL function numbers differ between cells")
    code = int(k.flat[0])
    name = _AGGREGATES.get(code % 100 if code > 100 else code)
    spec = FUNCTIONS.get(name) if name is not None and code in (*range(1, 12), *range(101, 112)) else None
    if spec is None:
        return error(E_VALUE, ctx.unit_shape())
    return spec.impl(ctx, *refs)
