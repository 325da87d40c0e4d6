"""Engineering: complex numbers as Excel keeps them, in text ("3+4i", "-2.5j").

Reading an argument (`parse_complex`): a number is a real number; an empty
cell or "" is 0; a boolean is #VALUE!; text must be Excel's form exactly --
a real part, an imaginary part with its suffix "i" or "j" (lower case), or
both ("1.2E-45+3i", "i", "-j"); anything else is #NUM!.

Writing a result (`complex_text`): each part rounded to 15 significant
digits; a zero part left out ("5", "3.4i", "0"), a coefficient of 1 written
as the bare suffix ("1+i", "-j"); a part in fixed notation below 1E+15 when
that takes at most 20 characters, else as "1.2E-45" -- Excel writes
COMPLEX(1E-18,0) as "0.000000000000000001" but COMPLEX(1E-20,0) as "1E-20"
(the cached values); the length rule between the two, which also makes
IMPOWER("2i",2) "-4+4.89858719658941E-16i", is our reading of them.  A function of complex numbers
keeps their suffix ("j" in, "j" out); mixing "i" and "j" is #VALUE!.
Division by zero and the logarithm of 0 are #NUM! (IMARGUMENT(0) #DIV/0!).
"""

from __future__ import annotations

import math
import re

from ...errors import ExcelError
from .per_call import Whole, per_call
from .registry import Category, elementwise
from .workbook_dates import NUM_ERROR, VALUE_ERROR

ENGINEERING = Category.ENGINEERING
SIGNIFICANT = 15
LONGEST_FIXED = 20             # characters of a part in fixed notation, sign apart
LARGEST_FIXED_EXPONENT = 15

_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_COMPLEX = re.compile(rf"^(?P<re>[+-]?{_NUMBER})?(?:(?P<im>[+-]?(?:{_NUMBER})?)(?P<suffix>[ij]))?$")


class Value:
    """A complex number and the suffix it was written with (None: a plain number)."""

    __slots__ = ("z", "suffix")

    def __init__(self, z: complex, suffix: str | None = None):
        self.z, self.suffix = z, suffix


def parse_complex(value):
    """A Value from an argument, or the Excel error it gives."""
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, bool):
        return VALUE_ERROR
    if value is None:
        return Value(0j)
    if isinstance(value, float):
        return Value(complex(value, 0.0))
    if value == "":
        return Value(0j)
    m = _COMPLEX.match(value)
    if m is None:
        return NUM_ERROR
    real_text, imag_text, suffix = m.group("re"), m.group("im"), m.group("suffix")
    if suffix is None:
        return Value(complex(float(real_text), 0.0))
    if real_text is not None and imag_text in ("", None):
        # "3i" is matched as real "3" + suffix: the digits belong to the imaginary part
        real_text, imag_text = None, real_text
    if real_text is not None and imag_text[:1] not in "+-":
        return NUM_ERROR
    if imag_text in ("", "+", "-"):
        imag_text += "1"
    return Value(complex(float(real_text or 0.0), float(imag_text)), suffix)


def _part_text(x: float) -> str:
    """One part, 15 significant digits, Excel's choice of notation."""
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.{SIGNIFICANT - 1}E}".split("E")
    e = int(exponent)
    rounded = float(f"{mantissa}E{e}")
    if e < LARGEST_FIXED_EXPONENT:
        text = f"{abs(rounded):.{max(0, SIGNIFICANT - 1 - e)}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        if len(text) <= LONGEST_FIXED:
            return ("-" if rounded < 0 else "") + text
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if e >= 0 else '-'}{abs(e):02d}"


def complex_text(z: complex, suffix: str | None = "i"):
    """Excel's text of a complex result (#NUM! when a part is not finite)."""
    suffix = suffix or "i"
    re_, im = z.real, z.imag
    if not (math.isfinite(re_) and math.isfinite(im)):
        return NUM_ERROR
    real, imag = _part_text(re_), _part_text(im)
    if imag == "0":
        return real
    if imag in ("1", "-1"):
        imag = imag[:-1]
    imag += suffix
    if real == "0":
        return imag
    return real + ("" if imag.startswith("-") else "+") + imag


def _common_suffix(values) -> str | None | ExcelError:
    suffixes = {v.suffix for v in values if v.suffix is not None}
    if len(suffixes) > 1:
        return VALUE_ERROR
    return suffixes.pop() if suffixes else None


# --- building and taking apart -----------------------------------------------------------

@elementwise("COMPLEX", category=ENGINEERING,
             args='real_num: strict_number, i_num: strict_number, [suffix: text = "i"]')
def COMPLEX(real: float, imaginary: float, suffix: str):
    """COMPLEX(re, im, [suffix]): the text "re+imi"; the suffix "i" (also
    when "") or "j", anything else #VALUE!; booleans as parts #VALUE!."""
    if suffix not in ("i", "j", ""):
        return VALUE_ERROR
    return complex_text(complex(real, imaginary), suffix or "i")


def _reader(name: str, what: str, compute):
    def fn(inumber):
        v = parse_complex(inumber)
        return v if isinstance(v, ExcelError) else compute(v.z)
    fn.__doc__ = f"{name}(inumber): {what}."
    fn.__name__ = name
    return fn


def _argument(z: complex) -> float:
    if z == 0:
        raise ZeroDivisionError("IMARGUMENT of 0")
    return math.atan2(z.imag, z.real)


for _name, _what, _compute in (
        ("IMREAL", "the real part", lambda z: z.real),
        ("IMAGINARY", "the imaginary part", lambda z: z.imag),
        ("IMABS", "the modulus", lambda z: math.hypot(z.real, z.imag)),
        ("IMARGUMENT", "the argument in radians, -pi..pi (#DIV/0! for 0)", _argument)):
    elementwise(_name, category=ENGINEERING, args="inumber: any")(_reader(_name, _what, _compute))


# --- functions of one complex number -----------------------------------------------------

def _nonzero(z: complex) -> complex:
    if z == 0:
        raise ValueError("zero divisor")      # Excel: #NUM!, not #DIV/0!
    return z


def _div(a: complex, b: complex) -> complex:
    """a / b as Excel divides: #NUM! for b = 0."""
    d = _nonzero(b).real ** 2 + b.imag ** 2
    if d == 0:
        raise ValueError("divisor underflows")
    return complex((a.real * b.real + a.imag * b.imag) / d, (a.imag * b.real - a.real * b.imag) / d)


def _sin(z: complex) -> complex:
    x, y = z.real, z.imag
    return complex(math.sin(x) * math.cosh(y), math.cos(x) * math.sinh(y))


def _cos(z: complex) -> complex:
    x, y = z.real, z.imag
    return complex(math.cos(x) * math.cosh(y), -math.sin(x) * math.sinh(y))


def _sinh(z: complex) -> complex:
    x, y = z.real, z.imag
    return complex(math.sinh(x) * math.cos(y), math.cosh(x) * math.sin(y))


def _cosh(z: complex) -> complex:
    x, y = z.real, z.imag
    return complex(math.cosh(x) * math.cos(y), math.sinh(x) * math.sin(y))


def _ln(z: complex) -> complex:
    if z == 0:
        raise ValueError("log of 0")
    return complex(math.log(math.hypot(z.real, z.imag)), math.atan2(z.imag, z.real))


def _exp(z: complex) -> complex:
    r = math.exp(z.real)
    return complex(r * math.cos(z.imag), r * math.sin(z.imag))


def _sqrt(z: complex) -> complex:
    if z == 0:
        return 0j
    r, theta = math.sqrt(math.hypot(z.real, z.imag)), math.atan2(z.imag, z.real) / 2
    return complex(r * math.cos(theta), r * math.sin(theta))


_LN10, _LN2 = math.log(10), math.log(2)
_UNARY = (
    ("IMCONJUGATE", "", "the conjugate", lambda z: z.conjugate()),
    ("IMSIN", "", "the sine", _sin),
    ("IMCOS", "", "the cosine", _cos),
    ("IMTAN", "_xlfn.", "the tangent", lambda z: _div(_sin(z), _cos(z))),
    ("IMCOT", "_xlfn.", "the cotangent", lambda z: _div(_cos(z), _sin(z))),
    ("IMSEC", "_xlfn.", "the secant", lambda z: _div(1, _cos(z))),
    ("IMCSC", "_xlfn.", "the cosecant", lambda z: _div(1, _sin(z))),
    ("IMSINH", "_xlfn.", "the hyperbolic sine", _sinh),
    ("IMCOSH", "_xlfn.", "the hyperbolic cosine", _cosh),
    ("IMSECH", "_xlfn.", "the hyperbolic secant", lambda z: _div(1, _cosh(z))),
    ("IMCSCH", "_xlfn.", "the hyperbolic cosecant", lambda z: _div(1, _sinh(z))),
    ("IMEXP", "", "e to the power z", _exp),
    ("IMLN", "", "the natural logarithm (principal value; #NUM! for 0)", _ln),
    ("IMLOG10", "", "the base-10 logarithm", lambda z: _ln(z) / _LN10),
    ("IMLOG2", "", "the base-2 logarithm", lambda z: _ln(z) / _LN2),
    ("IMSQRT", "", "the principal square root", _sqrt),
)


def _unary(name: str, what: str, compute):
    def fn(inumber):
        v = parse_complex(inumber)
        return v if isinstance(v, ExcelError) else complex_text(compute(v.z), v.suffix)
    fn.__doc__ = f"{name}(inumber): {what}, as complex text."
    fn.__name__ = name
    return fn


for _name, _prefix, _what, _compute in _UNARY:
    elementwise(_name, category=ENGINEERING, prefix=_prefix, args="inumber: any")(_unary(_name, _what, _compute))


@elementwise("IMPOWER", category=ENGINEERING, args="inumber: any, number: strict_number")
def IMPOWER(inumber, n: float):
    """IMPOWER(z, n) = |z|^n (cos n arg z + i sin n arg z); 0 to a power <= 0 is #NUM!."""
    v = parse_complex(inumber)
    if isinstance(v, ExcelError):
        return v
    if v.z == 0:
        if n <= 0:
            return NUM_ERROR
        return complex_text(0j, v.suffix)
    r = math.hypot(v.z.real, v.z.imag) ** n
    theta = math.atan2(v.z.imag, v.z.real) * n
    return complex_text(complex(r * math.cos(theta), r * math.sin(theta)), v.suffix)


# --- functions of two or more -------------------------------------------------------------

def _pair(a, b):
    va, vb = parse_complex(a), parse_complex(b)
    for v in (va, vb):
        if isinstance(v, ExcelError):
            return v
    suffix = _common_suffix((va, vb))
    return suffix if isinstance(suffix, ExcelError) else (va.z, vb.z, suffix)


@elementwise("IMDIV", category=ENGINEERING, args="inumber1: any, inumber2: any")
def IMDIV(a, b):
    """IMDIV(z1, z2) = z1 / z2; #NUM! when z2 is 0."""
    p = _pair(a, b)
    return p if isinstance(p, ExcelError) else complex_text(_div(p[0], p[1]), p[2])


@elementwise("IMSUB", category=ENGINEERING, args="inumber1: any, inumber2: any")
def IMSUB(a, b):
    """IMSUB(z1, z2) = z1 - z2."""
    p = _pair(a, b)
    return p if isinstance(p, ExcelError) else complex_text(p[0] - p[1], p[2])


def _all_values(arguments):
    """The complex numbers of every argument (ranges cell by cell), or an error."""
    out = []
    for a in arguments:
        for x in (a.values if isinstance(a, Whole) else (a,)):
            v = parse_complex(x)
            if isinstance(v, ExcelError):
                return v
            out.append(v)
    return out


def _fold(arguments, start: complex, step):
    values = _all_values(arguments)
    if isinstance(values, ExcelError):
        return values
    suffix = _common_suffix(values)
    if isinstance(suffix, ExcelError):
        return suffix
    total = start
    for v in values:
        total = step(total, v.z)
    return complex_text(total, suffix)


def _times(a: complex, b: complex) -> complex:
    return complex(a.real * b.real - a.imag * b.imag, a.real * b.imag + a.imag * b.real)


@per_call("IMSUM", category=ENGINEERING, args="inumber: reference, [inumber: reference]...")
def IMSUM(*arguments):
    """IMSUM(z1, ...): the sum of complex numbers (ranges: every cell, empty ones 0)."""
    return _fold(arguments, 0j, lambda s, z: s + z)


@per_call("IMPRODUCT", category=ENGINEERING, args="inumber: reference, [inumber: reference]...")
def IMPRODUCT(*arguments):
    """IMPRODUCT(z1, ...): the product of complex numbers."""
    return _fold(arguments, 1 + 0j, _times)
