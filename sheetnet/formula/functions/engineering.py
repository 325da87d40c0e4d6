"""Engineering: DELTA, GESTEP and the error function (ERF, ERFC and their
.PRECISE forms).  Number bases and bitwise functions are in
engineering_bases.py, Bessel functions in engineering_bessel.py, CONVERT in
engineering_convert.py, complex numbers in engineering_complex.py.

These are Analysis ToolPak functions: their number arguments accept numeric
text ("2") but refuse booleans (#VALUE!): "strict_number" parameters, or
`toolpak_number` where a function reads "any" values itself.
"""

from __future__ import annotations

import math

from .omitted_arguments import by_arity
from .registry import Category, elementwise

ENGINEERING = Category.ENGINEERING


@elementwise("DELTA", category=ENGINEERING, args="number1: strict_number, [number2: strict_number = 0]")
def DELTA(a: float, b: float) -> float:
    """DELTA(a, [b]): 1 when a = b exactly, else 0."""
    return float(a == b)


@elementwise("GESTEP", category=ENGINEERING, args="number: strict_number, [step: strict_number = 0]")
def GESTEP(x: float, step: float) -> float:
    """GESTEP(x, [step]): 1 when x >= step, else 0."""
    return float(x >= step)


def _erf_torch(a, b=None):
    import torch
    return torch.special.erf(a) if b is None else torch.special.erf(b) - torch.special.erf(a)


@by_arity("ERF", category=ENGINEERING, args="lower_limit: strict_number, [upper_limit: strict_number]",
          torch=_erf_torch)
def ERF(*limits: float) -> float:
    """ERF(a, [b]): erf(a), or erf(b) - erf(a) with an upper limit (as Excel
    computes it: the difference of the two, so ERF(5, 4) is a tiny negative;
    an empty cell as b is 0, ERF(7, A1) is -erf(7))."""
    return math.erf(limits[0]) if len(limits) == 1 else math.erf(limits[1]) - math.erf(limits[0])


def _erf1_torch(x):
    import torch
    return torch.special.erf(x)


def _erfc_torch(x):
    import torch
    return torch.special.erfc(x)


@elementwise("ERF.PRECISE", category=ENGINEERING, prefix="_xlfn.", args="x: strict_number", torch=_erf1_torch)
def ERF_PRECISE(x: float) -> float:
    """ERF.PRECISE(x) = ERF(x)."""
    return math.erf(x)


@elementwise("ERFC", category=ENGINEERING, args="x: strict_number", torch=_erfc_torch)
def ERFC(x: float) -> float:
    """ERFC(x) = 1 - ERF(x), computed without the cancellation (erfc(6) is 2.15E-17)."""
    return math.erfc(x)


@elementwise("ERFC.PRECISE", category=ENGINEERING, prefix="_xlfn.", args="x: strict_number", torch=_erfc_torch)
def ERFC_PRECISE(x: float) -> float:
    """ERFC.PRECISE(x) = ERFC(x)."""
    return math.erfc(x)
