"""SUBTOTAL (what an Excel Table's totals row holds: =SUBTOTAL(109,Table1[Price]))
and AGGREGATE: an aggregate picked by number, over ranges with some cells left out.

SUBTOTAL(function_num, ref1, ...): 1-11 AVERAGE, COUNT, COUNTA, MAX, MIN,
PRODUCT, STDEV, STDEVP, SUM, VAR, VARP.  Both ranges of numbers leave out
nested subtotals (cells whose formula calls SUBTOTAL or AGGREGATE) and rows
a filter hides; 101-111 also rows hidden by hand.  Errors in the ranges
propagate.

AGGREGATE(function_num, options, ref1, ...) for 1-13 (the above with
STDEV.S, STDEV.P, VAR.S, VAR.P, then MEDIAN, MODE.SNGL), and
AGGREGATE(function_num, options, array, k) for 14-19 (LARGE, SMALL,
PERCENTILE.INC, QUARTILE.INC, PERCENTILE.EXC, QUARTILE.EXC).  Options 0-7
say what to leave out: 0 nested subtotals, 1 those and hidden rows, 2 those
and errors, 3 all three, 4 nothing, 5 hidden rows, 6 errors, 7 both.
Hidden rows here are rows hidden by hand or by a filter; options that keep
hidden rows keep filtered ones too (unlike SUBTOTAL 1-11).  A bad
function_num or options, or 14-19 without k, is #VALUE!.

The aggregate is the registered function of that name, given the ranges
with the left-out cells emptied (`subtotal_ranges.without`).  Hidden columns
never matter, as in Excel.  Which hidden rows a filter hides is read from
the file (see sheetnet.book.Sheet.hide_rows).
"""

from __future__ import annotations

import numpy as np

from ..ast import Ref3D
from ..values import E_VALUE, Arr, error, numbers
from .registry import FUNCTIONS, Category, function
from .subtotal_ranges import LeftOut, without

_SUBTOTALS = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV",
              8: "STDEVP", 9: "SUM", 10: "VAR", 11: "VARP"}
_AGGREGATES = {1: "AVERAGE", 2: "COUNT", 3: "COUNTA", 4: "MAX", 5: "MIN", 6: "PRODUCT", 7: "STDEV.S",
               8: "STDEV.P", 9: "SUM", 10: "VAR.S", 11: "VAR.P", 12: "MEDIAN", 13: "MODE.SNGL",
               14: "LARGE", 15: "SMALL", 16: "PERCENTILE.INC", 17: "QUARTILE.INC", 18: "PERCENTILE.EXC",
               19: "QUARTILE.EXC"}
_WITH_K = range(14, 20)
# AGGREGATE's options: (leave out nested subtotals, hidden rows, errors)
_OPTIONS = {0: (True, False, False), 1: (True, True, False), 2: (True, False, True), 3: (True, True, True),
            4: (False, False, False), 5: (False, True, False), 6: (False, False, True), 7: (False, True, True)}


class _BadArgument(Exception):
    """A function_num or options argument Excel refuses: #VALUE!, or its own error."""

    def __init__(self, code: int):
        self.code = code


def _whole_number(ctx, value: Arr, what: str) -> int:
    """A number argument, truncated, the same for every cell of the batch."""
    x, err = numbers(ctx.scalar(value).first())
    if err is not None and err.any():
        raise _BadArgument(int(err.flat[0]))
    k = np.trunc(x)
    if k.size > 1 and np.any(k != k.flat[0]):
        from ..batch import NotVectorizable
        raise NotVectorizable(f"{what} differs between cells")
    return int(k.flat[0]) if np.isfinite(k.flat[0]) and abs(k.flat[0]) < 1 << 31 else -1


@function("SUBTOTAL", category=Category.MATH, args="function_num: number, ref1: reference, [ref: reference]...")
def SUBTOTAL(ctx, number: Arr, *refs):
    try:
        code = _whole_number(ctx, number, "SUBTOTAL's function number")
    except _BadArgument as bad:
        return error(bad.code, ctx.unit_shape())
    name = _SUBTOTALS.get(code % 100 if code > 100 else code)
    spec = FUNCTIONS.get(name) if name is not None and code in (*range(1, 12), *range(101, 112)) else None
    if spec is None:
        return error(E_VALUE, ctx.unit_shape())
    leave = LeftOut(nested=True, hidden=code > 100, filtered=True)
    return spec.impl(ctx, *(without(ctx, r, leave) for r in refs))


@function("AGGREGATE", category=Category.MATH, prefix="_xlfn.", lazy=True,
          args="function_num: lazy, options: lazy, ref1: lazy, [ref: lazy]...")
def AGGREGATE(ctx, nodes):
    """Lazy, to read a non-reference argument as an array in any formula
    (Excel's =AGGREGATE(14,6,A1:A9/(B1:B9="x"),1) needs no array entry); a
    reference stays a reference, so hidden rows and nested subtotals show."""
    try:
        code = _whole_number(ctx, ctx.operand(nodes[0]), "AGGREGATE's function number")
        option = _whole_number(ctx, ctx.operand(nodes[1]), "AGGREGATE's options")
    except _BadArgument as bad:
        return error(bad.code, ctx.unit_shape())
    name = _AGGREGATES.get(code)
    refs = nodes[2:]
    if (name is None or option not in _OPTIONS or (code in _WITH_K and len(refs) != 2)
            or any(isinstance(n, Ref3D) for n in refs)):
        return error(E_VALUE, ctx.unit_shape())
    nested, hidden, errors = _OPTIONS[option]
    leave = LeftOut(nested=nested, hidden=hidden, filtered=hidden, errors=errors)
    spec = FUNCTIONS[name]
    if code in _WITH_K:
        return spec.impl(ctx, _range(ctx, refs[0], leave), ctx.operand(refs[1]))
    return spec.impl(ctx, *(_range(ctx, n, leave) for n in refs))


def _range(ctx, node, leave: LeftOut):
    """An argument as a reference (the cells `leave` names emptied), or as an array."""
    return without(ctx, ctx.ev.value(node, ctx.batch, True), leave)
