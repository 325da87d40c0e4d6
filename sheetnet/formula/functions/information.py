"""Information: the IS* tests, NA()."""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...store import BLANK, BOOL, NUM, STR
from ..batch import RefVal
from ..values import E_NA, Arr, booleans, error
from .registry import Category, function

INFORMATION = Category.INFORMATION


@function("NA", category=INFORMATION)
def NA(ctx) -> Arr:
    return error(E_NA, ctx.unit_shape())


def _is(test):
    def impl(ctx, a: Arr) -> Arr:
        return booleans(test(a.kinds()))
    return impl


function("ISERROR", category=INFORMATION, args="value: any")(_is(lambda k: k >= ERR_BASE))
function("ISERR", category=INFORMATION, args="value: any")(_is(lambda k: (k >= ERR_BASE) & (k != E_NA)))
function("ISNA", category=INFORMATION, args="value: any")(_is(lambda k: k == E_NA))
function("ISNUMBER", category=INFORMATION, args="value: any")(_is(lambda k: k == NUM))
function("ISTEXT", category=INFORMATION, args="value: any")(_is(lambda k: k == STR))
function("ISNONTEXT", category=INFORMATION, args="value: any")(_is(lambda k: k != STR))
function("ISLOGICAL", category=INFORMATION, args="value: any")(_is(lambda k: k == BOOL))
function("ISBLANK", category=INFORMATION, args="value: any")(_is(lambda k: k == BLANK))


@function("ISREF", category=INFORMATION, args="value: position")
def ISREF(ctx, v) -> Arr:
    return booleans(np.full(ctx.unit_shape(), isinstance(v, RefVal)))
