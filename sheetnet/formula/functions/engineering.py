"""Engineering: DELTA, GESTEP and the error function (ERF, ERFC and their
.PRECISE forms).  Number bases and bitwise functions are in
engineering_bases.py, Bessel functions in engineering_bessel.py, CONVERT in
engineering_convert.py, complex numbers in engineering_complex.py.

These are Analysis ToolPak functions: their number arguments accept numeric
text ("2") but refuse booleans (#VALUE!), as `toolpak_number` reads them.
"""

from __future__ import annotations

import math

from ...errors import ExcelError
from .omitted_arguments import by_arity
from .registry import Category, elementwise
from .workbook_dates import toolpak_number

ENGINEERING = Category.ENGINEERING


def toolpak_numbers(*values):
    """The values read by `toolpak_number`, or the first error among them."""
    out = []
    for v in values:
        x = toolpak_number(v)
        if isinstance(x, ExcelError):
            return x
        out.append(x)
    return out


@elementwise("DELTA", category=ENGINEERING, args="number1: any, [number2: any = 0]")
def DELTA(a, b):
    """DELTA(a, [b]): 1 when a = b exactly, else 0."""
    xs = toolpak_numbers(a, b)
    return xs if isinstance(xs, ExcelError) else float(xs[0] == xs[1])


@elementwise("GESTEP", category=ENGINEERING, args="number: any, [step: any = 0]")
def GESTEP(x, step):
    """GESTEP(x, [step]): 1 when x >= step, else 0."""
    xs = toolpak_numbers(x, step)
    return xs if isinstance(xs, ExcelError) else float(xs[0] >= xs[1])


def _erf_torch(a, b=None):
    import torch
    return torch.special.erf(a) if b is None else torch.special.erf(b) - torch.special.erf(a)


@by_arity("ERF", category=ENGINEERING, args="lower_limit: any, [upper_limit: any]", torch=_erf_torch)
def ERF(*limits):
    """ERF(a, [b]): erf(a), or erf(b) - erf(a) with an upper limit (as Excel
    computes it: the difference of the two, so ERF(5, 4) is a tiny negative;
    an empty cell as b is 0, ERF(7, A1) is -erf(7))."""
    xs = toolpak_numbers(*limits)
    if isinstance(xs, ExcelError):
        return xs
    return math.erf(xs[0]) if len(xs) == 1 else math.erf(xs[1]) - math.erf(xs[0])


def _erf1_torch(x):
    import torch
    return torch.special.erf(x)


def _erfc_torch(x):
    import torch
    return torch.special.erfc(x)


@elementwise("ERF.PRECISE", category=ENGINEERING, prefix="_xlfn.", args="x: any", torch=_erf1_torch)
def ERF_PRECISE(x):
    """ERF.PRECISE(x) = ERF(x)."""
    xs = toolpak_numbers(x)
    return xs if isinstance(xs, ExcelError) else math.erf(xs[0])


@elementwise("ERFC", category=ENGINEERING, args="x: any", torch=_erfc_torch)
def ERFC(x):
    """ERFC(x) = 1 - ERF(x), computed without the cancellation (erfc(6) is 2.15E-17)."""
    xs = toolpak_numbers(x)
    return xs if isinstance(xs, ExcelError) else math.erfc(xs[0])


@elementwise("ERFC.PRECISE", category=ENGINEERING, prefix="_xlfn.", args="x: any", torch=_erfc_torch)
def ERFC_PRECISE(x):
    """ERFC.PRECISE(x) = ERFC(x)."""
    return ERFC(x)
