"""Information: the IS* tests, NA(), N, TYPE, ERROR.TYPE, CELL, SHEET, FORMULATEXT ..."""

from __future__ import annotations

import math

import numpy as np

from ...errors import ERR_BASE, ExcelError
from ...refs import cell_name
from ...store import BLANK, BOOL, NUM, STR
from ..batch import RefVal
from ..values import E_NA, E_VALUE, Arr, booleans, error
from .registry import Category, elementwise, function

INFORMATION = Category.INFORMATION
NA_ERROR = ExcelError("#N/A")


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
    """Whether the argument is a reference (one that could not be formed, as
    INDEX(A1, 1, 2) off its range, is the error #REF!: not one)."""
    if isinstance(v, RefVal) and v.err is not None:
        return booleans(np.asarray(v.err == 0)[..., None, None])
    return booleans(np.full(ctx.unit_shape(), isinstance(v, RefVal)))


# Excel's numbers for its error values (ERROR.TYPE); others are #N/A.
_ERROR_TYPES = {"#NULL!": 1, "#DIV/0!": 2, "#VALUE!": 3, "#REF!": 4, "#NAME?": 5, "#NUM!": 6, "#N/A": 7,
                "#GETTING_DATA": 8, "#SPILL!": 9, "#CALC!": 14}


@elementwise("ERROR.TYPE", category=INFORMATION, args="error_val: any")
def ERROR_TYPE(value):
    """The number of an error value (#NULL! 1 ... #N/A 7); anything else is #N/A."""
    if isinstance(value, ExcelError):
        return float(_ERROR_TYPES.get(value.name, 0)) or NA_ERROR
    return NA_ERROR


@elementwise("N", category=INFORMATION, args="value: any")
def N(value):
    """A number as itself, TRUE 1, FALSE 0, an error as itself, anything else 0."""
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, bool):
        return float(value)
    return value if isinstance(value, float) else 0.0


@function("TYPE", category=INFORMATION, args="value: reference")
def TYPE(ctx, v) -> Arr:
    """1 number (and empty), 2 text, 4 logical, 16 error, 64 array."""
    a = ctx.deref(v)
    if a.hw != (1, 1):
        return Arr(np.full(ctx.unit_shape(), 64.0))
    k = a.kinds()
    out = np.select([k == STR, k == BOOL, k >= ERR_BASE], [2.0, 4.0, 16.0], 1.0)
    return Arr(out.astype(np.float64))


def _parity(odd: bool):
    def fn(x: float) -> bool:
        return (math.trunc(x) % 2 == 1) == odd
    return fn


elementwise("ISODD", category=INFORMATION, args="number: strict_number")(_parity(True))
elementwise("ISEVEN", category=INFORMATION, args="number: strict_number")(_parity(False))


def _cells(ctx, ref: RefVal, pull: bool) -> Arr:
    """The top-left cell of a reference taken as a position, evaluated first
    when its value is wanted (like OFFSET's targets)."""
    first = RefVal(ref.sheet, ref.r, ref.c, 1, 1, dynamic=pull, err=ref.err)
    return ctx.deref(first)


@function("ISFORMULA", category=INFORMATION, prefix="_xlfn.", args="reference: position")
def ISFORMULA(ctx, ref) -> Arr:
    """Whether the reference's top-left cell holds a formula."""
    if not isinstance(ref, RefVal):
        return ref if isinstance(ref, Arr) and ref.has_errors() else error(E_VALUE, ctx.unit_shape())
    owner = ref.sheet.owner
    r, c = np.broadcast_arrays(np.asarray(ref.r), np.asarray(ref.c))
    inside = (r < owner.shape[0]) & (c < owner.shape[1])
    holds = np.where(inside, owner[np.minimum(r, owner.shape[0] - 1), np.minimum(c, owner.shape[1] - 1)] >= 0,
                     False)
    return booleans(np.asarray(holds).reshape(np.shape(holds) + (1, 1)) if np.ndim(holds) else
                    np.full(ctx.unit_shape(), bool(holds)))


@function("FORMULATEXT", category=INFORMATION, prefix="_xlfn.", args="reference: position")
def FORMULATEXT(ctx, ref) -> Arr:
    """The formula of the reference's top-left cell as Excel shows it (no
    _xlfn. prefixes); #N/A when it holds none."""
    if not isinstance(ref, RefVal):
        return ref if isinstance(ref, Arr) and ref.has_errors() else error(E_VALUE, ctx.unit_shape())
    texts = np.empty(ctx.batch.shape, dtype=object)
    r, c = np.broadcast_arrays(np.asarray(ref.r), np.asarray(ref.c))
    r, c = np.broadcast_to(r, ctx.batch.shape) if r.ndim else r, np.broadcast_to(c, ctx.batch.shape) if c.ndim else c
    for idx in np.ndindex(ctx.batch.shape):
        rr, cc = (int(r[idx]), int(c[idx])) if np.ndim(r) else (int(r), int(c))
        texts[idx] = ctx.engine.formula_text(ref.sheet, rr, cc)
    found = np.vectorize(lambda t: t is not None, otypes=[bool])(texts)
    kind = np.where(found, STR, E_NA).astype(np.uint8)
    return Arr(np.zeros(kind.shape), kind, texts).index((...,) + (None, None))


_CELL_INFO = ("address", "col", "row", "contents", "type")


@function("CELL", category=INFORMATION, args="info_type: text, [reference: position]")
def CELL(ctx, info: Arr, ref=None) -> Arr:
    """CELL("address" | "col" | "row" | "contents" | "type", reference): about
    the reference's top-left cell (the formula's own cell when omitted)."""
    kinds, strings = info.first().kinds(), info.first().strings()
    if (kinds != STR).any():
        codes = np.where(kinds >= ERR_BASE, kinds, E_VALUE).astype(np.uint8)
        return Arr(np.zeros(codes.shape), codes)
    keys = {s.lower() for s in strings.ravel()}
    if len(keys) != 1 or next(iter(keys)) not in _CELL_INFO:
        return error(E_VALUE, ctx.unit_shape())
    key = keys.pop()
    if ref is None:
        ref = RefVal(ctx.batch.sheet, np.broadcast_to(ctx.batch.rows, ctx.batch.shape),
                     np.broadcast_to(ctx.batch.cols, ctx.batch.shape), 1, 1)
    if not isinstance(ref, RefVal):
        return ref if isinstance(ref, Arr) and ref.has_errors() else error(E_VALUE, ctx.unit_shape())
    if key in ("row", "col"):
        pos = np.asarray(ref.r if key == "row" else ref.c, dtype=np.float64) + 1
        return Arr(pos.reshape(pos.shape + (1, 1)) if pos.ndim else np.full(ctx.unit_shape(), float(pos)))
    if key == "address":
        r, c = np.broadcast_arrays(np.asarray(ref.r), np.asarray(ref.c))
        text = np.vectorize(lambda rr, cc: cell_name(int(rr), int(cc), True, True), otypes=[object])(r, c)
        text = np.asarray(text, dtype=object)
        shape = text.shape + (1, 1) if text.ndim else ctx.unit_shape()
        return Arr(np.zeros(shape), np.full(shape, STR, np.uint8), text.reshape(shape))
    value = _cells(ctx, ref, pull=True)
    if key == "contents":
        return value
    k = value.kinds()
    letters = np.where(k == BLANK, "b", np.where(k == STR, "l", "v")).astype(object)
    return Arr(np.zeros(k.shape), np.full(k.shape, STR, np.uint8), letters)


@function("SHEET", category=INFORMATION, prefix="_xlfn.", args="[value: position]")
def SHEET(ctx, value=None) -> Arr:
    """The 1-based number of the sheet of a reference, of the sheet named by
    a text, or of the formula's own sheet; anything else #N/A."""
    if value is None:
        return Arr(np.full(ctx.unit_shape(), float(ctx.batch.sheet.index + 1)))
    if isinstance(value, RefVal):
        return Arr(np.full(ctx.unit_shape(), float(value.sheet.index + 1)))
    v = value.first()
    if v.has_errors():
        return v
    if v.obj is not None and (v.kinds() == STR).all():
        names = {s.casefold() for s in v.strings().ravel()}
        states = [ctx.engine.sheet_state(n) for n in names]
        if len(states) == 1 and states[0] is not None:
            return Arr(np.full(ctx.unit_shape(), float(states[0].index + 1)))
    return error(E_NA, ctx.unit_shape())


@function("SHEETS", category=INFORMATION, prefix="_xlfn.", args="[reference: position]")
def SHEETS(ctx, ref=None) -> Arr:
    """The number of sheets of the workbook, or 1 for a reference."""
    if ref is None:
        return Arr(np.full(ctx.unit_shape(), float(len(ctx.engine.sheets))))
    if isinstance(ref, RefVal):
        return Arr(np.full(ctx.unit_shape(), 1.0))
    return ref if ref.has_errors() else error(E_NA, ctx.unit_shape())
