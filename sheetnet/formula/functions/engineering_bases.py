"""Engineering: numbers in base 2, 8 and 16 (BIN2DEC ... HEX2OCT, DEC2BIN ...)
and the bitwise functions (BITAND ... BITRSHIFT).

Excel writes a number in another base with at most 10 digits, negatives in
two's complement over those 10 digits: BIN 1111111111 is -1, HEX FFFFFFFFFF
is -1, OCT 7777777777 is -1.  So each target base has a range: binary
-512..511, octal -2^29..2^29-1, hexadecimal -2^39..2^39-1 (#NUM! outside).

* The number to convert is text or a number read as its text (BIN2DEC(1010)
  reads "1010"); more than 10 digits, a digit outside the base, a sign or a
  point is #NUM!; an empty cell is 0; a boolean is #VALUE!.
* DEC2* truncate the number toward zero (DEC2BIN(-512.8) is -512) and
  accept numeric text; booleans are #VALUE!.
* `places` (truncated) pads a non-negative result with zeros; it must lie in
  1..10 and leave room for the digits (#NUM! otherwise, #VALUE! for a
  boolean).  A negative result always has 10 digits: places is then checked
  for its range but not used.  An empty cell as places is 0 (#NUM!).
"""

from __future__ import annotations

import math

from ...errors import ExcelError
from ..values import number_text
from .omitted_arguments import by_arity
from .registry import Category, elementwise
from .workbook_dates import NUM_ERROR, VALUE_ERROR, toolpak_number

ENGINEERING = Category.ENGINEERING
DIGITS = 10
BASES = {"BIN": 2, "OCT": 8, "DEC": 10, "HEX": 16}


def limits(base: int) -> tuple[int, int]:
    """The range of numbers written in 10 digits of `base` (two's complement)."""
    half = base ** DIGITS // 2
    return -half, half - 1


def parse_in_base(value, base: int):
    """The number a BIN/OCT/HEX argument stands for, or an Excel error."""
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, bool):
        return VALUE_ERROR
    if value is None:
        return 0
    text = number_text(value) if isinstance(value, float) else value.strip()
    if text == "":
        return 0
    if len(text) > DIGITS:
        return NUM_ERROR
    try:
        n = int(text, base)
    except ValueError:
        return NUM_ERROR
    if text[0] in "+-":                      # int() takes a sign, Excel does not
        return NUM_ERROR
    if len(text) == DIGITS and n >= base ** DIGITS // 2:
        n -= base ** DIGITS
    return n


def parse_decimal(value):
    """A DEC2* argument: a number (numeric text too) truncated toward zero."""
    x = toolpak_number(value)
    if isinstance(x, ExcelError):
        return x
    if not math.isfinite(x):
        return NUM_ERROR
    return math.trunc(x)


OMITTED = object()           # places not given (an empty cell given is 0)


def write_in_base(n: int, base: int, places=OMITTED):
    """`n` as BIN/OCT/HEX text of `places` digits (OMITTED: as many as needed)."""
    low, high = limits(base)
    if not low <= n <= high:
        return NUM_ERROR
    width = None
    if places is not OMITTED:
        p = toolpak_number(places)
        if isinstance(p, ExcelError):
            return p
        width = math.trunc(p) if math.isfinite(p) else -1
        if not 1 <= width <= DIGITS:
            return NUM_ERROR
    if n < 0:
        n += base ** DIGITS
    text = _digits(n, base)
    if width is None or n > high:            # negatives: all 10 digits, places unused
        return text
    if len(text) > width:
        return NUM_ERROR
    return text.rjust(width, "0")


def _digits(n: int, base: int) -> str:
    return {2: format(n, "b"), 8: format(n, "o"), 10: str(n), 16: format(n, "X")}[base]


def _register_conversion(source: str, target: str) -> None:
    src, dst = BASES[source], BASES[target]
    name = f"{source}2{target}"
    read = parse_decimal if src == 10 else (lambda v: parse_in_base(v, src))
    if dst == 10:
        def convert(number):
            n = read(number)
            return n if isinstance(n, ExcelError) else float(n)
        convert.__doc__ = f"{name}(number): a {source} number (10 digits, two's complement) as a decimal."
        elementwise(name, category=ENGINEERING, args="number: any")(convert)
        return

    def convert(number, places=OMITTED):
        n = read(number)
        return n if isinstance(n, ExcelError) else write_in_base(n, dst, places)
    convert.__doc__ = (f"{name}(number, [places]): {source} to {target} text, negatives as 10 digits "
                       f"of two's complement; #NUM! outside {target}'s range {limits(dst)}.")
    # an omitted places is not an empty cell (which is 0: #NUM!)
    by_arity(name, category=ENGINEERING, args="number: any, [places: any]")(convert)


for _source in BASES:
    for _target in BASES:
        if _source != _target:
            _register_conversion(_source, _target)


# --- bitwise functions --------------------------------------------------------------------

BIT_LIMIT = 2 ** 48          # Excel's bitwise functions take whole numbers 0 .. 2^48 - 1
MAX_SHIFT = 53


def _bits(x: float) -> int:
    if not (0 <= x < BIT_LIMIT) or x != math.floor(x):
        raise ValueError("not a whole number in 0 .. 2^48-1")
    return int(x)


@elementwise("BITAND", category=ENGINEERING, prefix="_xlfn.", args="number1: number, number2: number")
def BITAND(a: float, b: float) -> float:
    """BITAND(a, b): bitwise and of whole numbers 0 .. 2^48-1 (others #NUM!)."""
    return float(_bits(a) & _bits(b))


@elementwise("BITOR", category=ENGINEERING, prefix="_xlfn.", args="number1: number, number2: number")
def BITOR(a: float, b: float) -> float:
    """BITOR(a, b): bitwise or of whole numbers 0 .. 2^48-1."""
    return float(_bits(a) | _bits(b))


@elementwise("BITXOR", category=ENGINEERING, prefix="_xlfn.", args="number1: number, number2: number")
def BITXOR(a: float, b: float) -> float:
    """BITXOR(a, b): bitwise exclusive or of whole numbers 0 .. 2^48-1."""
    return float(_bits(a) ^ _bits(b))


def _shift(x: float, shift: float) -> float:
    n = _bits(x)
    s = math.trunc(shift)
    if abs(s) > MAX_SHIFT:
        raise ValueError("shift beyond 53")
    out = n << s if s >= 0 else n >> -s
    if out >= BIT_LIMIT:
        raise ValueError("result beyond 2^48-1")
    return float(out)


@elementwise("BITLSHIFT", category=ENGINEERING, prefix="_xlfn.", args="number: number, shift_amount: number")
def BITLSHIFT(x: float, shift: float) -> float:
    """BITLSHIFT(n, s): n shifted left by s bits (s truncated; negative
    shifts right); |s| > 53 or a result of 2^48 or more is #NUM!."""
    return _shift(x, shift)


@elementwise("BITRSHIFT", category=ENGINEERING, prefix="_xlfn.", args="number: number, shift_amount: number")
def BITRSHIFT(x: float, shift: float) -> float:
    """BITRSHIFT(n, s) = BITLSHIFT(n, -s)."""
    return _shift(x, -math.trunc(shift))
