"""Text: numbers to text and back -- TEXT (Excel's number-format language,
sheetnet/numformat.py), VALUE, NUMBERVALUE, FIXED, DOLLAR, VALUETOTEXT,
ARRAYTOTEXT -- and the dollar fractions DOLLARDE/DOLLARFR (Excel files them
under Financial)."""

from __future__ import annotations

import math
import re

import numpy as np

from ...dates import DateSystem
from ...errors import ExcelError
from ...numformat import FormatError, format_value, round_shown
from ...store import BLANK, BOOL, NUM, STR
from ...valuetext import parse_value_text
from ..values import Arr, number_text, numbers
from .registry import Category, elementwise, function
from .text import MAX_TEXT, VALUE_ERROR, checked_length
from .workbook_dates import NUM_ERROR, dated, toolpak_number

TEXT = Category.TEXT
DIV0_ERROR = ExcelError("#DIV/0!")


@dated("TEXT", category=TEXT, args="value: any, format_text: text")
def TEXT_(system: DateSystem, value, code: str):
    """TEXT(value, format): the value shown in an Excel number format ("0.00",
    "#,##0", "yyyy-mm-dd", "0%" ...; numformat.py).  Text that reads as a
    number is formatted as that number, other text passes through the text
    section; a date out of range or a bad format is #VALUE!."""
    if isinstance(value, ExcelError):
        return value
    if isinstance(value, str):
        x = parse_value_text(value, system)
        if x is not None:
            value = x
    try:
        return checked_length(format_value(value, code, system))
    except FormatError:
        return VALUE_ERROR


@dated("VALUE", category=TEXT, args="text: any")
def VALUE(system: DateSystem, value):
    """VALUE(text): the number a text stands for ("1,234.5", "$12", "40%",
    "(3)", "1E-5", "2024-02-29", "6:00"); numbers pass, an empty cell is 0,
    booleans and other text #VALUE!."""
    if isinstance(value, ExcelError):
        return value
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return VALUE_ERROR
    if isinstance(value, float):
        return value
    x = parse_value_text(value, system)
    return VALUE_ERROR if x is None else x


_NUMBERVALUE = re.compile(r"^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$")


@elementwise("NUMBERVALUE", category=TEXT, prefix="_xlfn.",
             args="text: text, [decimal_separator: text], [group_separator: text]")
def NUMBERVALUE(text: str, decimal: str | None, group: str | None):
    """NUMBERVALUE(text, [decimal], [group]): a number written with the given
    separators (their first characters; "." and "," by default): spaces are
    ignored, group separators must come before the decimal one, trailing %
    divide by 100 each; empty text is 0."""
    dec = (decimal or ".")[:1] if decimal is None or decimal else None
    grp = (group or ",")[:1] if group is None or group else None
    if dec is None or grp is None or dec == grp:
        return VALUE_ERROR
    t = re.sub(r"\s", "", text)
    if not t:
        return 0.0
    percents = len(t) - len(t.rstrip("%"))
    t = t[:len(t) - percents]
    head, sep, tail = t.partition(dec)
    if grp in tail or dec in tail:
        return VALUE_ERROR
    t = head.replace(grp, "") + ("." + tail if sep else "")
    m = _NUMBERVALUE.match(t)
    if m is None or not (m.group(2) or m.group(3)):
        return VALUE_ERROR
    return float(t) / 100 ** percents


@elementwise("FIXED", category=TEXT, args="number: number, [decimals: integer = 2], [no_commas: boolean = FALSE]")
def FIXED(x: float, decimals: int, no_commas: bool):
    """FIXED(number, [decimals], [no_commas]): rounded (negative decimals round
    left of the point) and shown with thousands separators unless no_commas."""
    if decimals > 127:
        return VALUE_ERROR
    decimals = max(decimals, -308)
    places = max(decimals, 0)
    code = ("0" if no_commas else "#,##0") + ("." + "0" * places if places else "")
    return format_value(round_shown(x, decimals), code)


@elementwise("DOLLAR", category=TEXT, args="number: number, [decimals: integer = 2]")
def DOLLAR(x: float, decimals: int):
    """DOLLAR(number, [decimals]): currency text, $1,234.57, negatives in
    parentheses ($1,234.57) as English Excel shows them."""
    if decimals > 127:
        return VALUE_ERROR
    decimals = max(decimals, -308)
    places = max(decimals, 0)
    body = "$#,##0" + ("." + "0" * places if places else "")
    return format_value(round_shown(x, decimals), f"{body};({body})")


def _value_text(kind: int, num: float, obj, strict: bool) -> str:
    """VALUETOTEXT's text of one value: numbers as in formulas, errors by
    name, text quoted when strict."""
    if kind == STR:
        return '"' + obj.replace('"', '""') + '"' if strict else obj
    if kind == NUM:
        return number_text(num)
    if kind == BOOL:
        return "TRUE" if num else "FALSE"
    if kind == BLANK:
        return ""
    from ...errors import error_from_code
    return error_from_code(int(kind)).name


@elementwise("VALUETOTEXT", category=TEXT, prefix="_xlfn.", args="value: any, [format: integer = 0]")
def VALUETOTEXT(value, fmt: int):
    """VALUETOTEXT(value, [format]): 0 concise, 1 strict (text in quotes);
    errors become their names."""
    if fmt not in (0, 1):
        return VALUE_ERROR
    from ...store import encode
    kind, num, obj = encode(value)
    return _value_text(kind, num, obj, fmt == 1)


@function("ARRAYTOTEXT", category=TEXT, prefix="_xlfn.", args="array: array, [format: number]")
def ARRAYTOTEXT(ctx, array: Arr, fmt: Arr | None = None) -> Arr:
    """ARRAYTOTEXT(array, [format]): 0 the values joined by ", "; 1
    {1,"a";TRUE,} with text quoted, "," between columns, ";" between rows."""
    x, err = numbers(fmt) if fmt is not None else (np.zeros(ctx.unit_shape()), None)
    batch = np.broadcast_shapes(array.shape[:-2], np.shape(x)[:-2])
    out_kind = np.full(batch + (1, 1), STR, np.uint8)
    out_obj = np.empty(batch + (1, 1), dtype=object)
    xs = np.broadcast_to(x, batch + np.shape(x)[-2:])
    errs = None if err is None else np.broadcast_to(err, batch + np.shape(err)[-2:])
    for index in np.ndindex(batch):
        if errs is not None and errs[index][0, 0]:
            out_kind[index] = errs[index][0, 0]
            continue
        mode = math.trunc(xs[index][0, 0])
        if mode not in (0, 1):
            out_kind[index] = VALUE_ERROR.code
            continue
        sub = tuple(i if n > 1 else 0 for i, n in zip(index, array.shape[:-2]))
        k, v, s = array.kinds()[sub], array.num[sub], array.strings()[sub]
        rows = [[_value_text(int(k[r, c]), float(v[r, c]), s[r, c], mode == 1) for c in range(k.shape[1])]
                for r in range(k.shape[0])]
        text = ", ".join(t for row in rows for t in row) if mode == 0 else \
            "{" + ";".join(",".join(row) for row in rows) + "}"
        if len(text) > MAX_TEXT:
            out_kind[index] = VALUE_ERROR.code
        else:
            out_obj[index] = text
    return Arr(np.zeros(batch + (1, 1)), out_kind, out_obj)


# --- dollar fractions (Excel: Financial) ----------------------------------------------------

def _dollar_fraction(value, fraction, to_decimal: bool):
    x = toolpak_number(value)
    if isinstance(x, ExcelError):
        return x
    f = toolpak_number(fraction)
    if isinstance(f, ExcelError):
        return f
    f = math.trunc(f)
    if f < 0:
        return NUM_ERROR
    if f == 0:
        return DIV0_ERROR
    scale = 10.0 ** math.ceil(math.log10(f))
    whole = math.trunc(x)
    part = x - whole
    return whole + part * scale / f if to_decimal else whole + part * f / scale


@elementwise("DOLLARDE", category=Category.FINANCIAL, args="fractional_dollar: any, fraction: any")
def DOLLARDE(value, fraction):
    """DOLLARDE(1.02, 16) = 1 + 2/16: the digits after the point are a
    numerator over `fraction` (truncated; below 0 #NUM!, below 1 #DIV/0!;
    booleans #VALUE!)."""
    return _dollar_fraction(value, fraction, True)


@elementwise("DOLLARFR", category=Category.FINANCIAL, args="decimal_dollar: any, fraction: any")
def DOLLARFR(value, fraction):
    """DOLLARFR(1.125, 16) = 1.02: the inverse of DOLLARDE."""
    return _dollar_fraction(value, fraction, False)
