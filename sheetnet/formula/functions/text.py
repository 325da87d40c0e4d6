"""Text: joining, case, pieces, searching and replacing, characters.

Numbers become text as Excel's General format writes them in formulas
(values.number_text: up to 15 significant digits), booleans TRUE/FALSE,
blanks "".  Excel limits a cell's text to 32767 characters: a longer result
is #VALUE!.

Excel counts characters in UTF-16 code units, as Windows stores text: LEN of
an emoji is 2, and LEFT/MID/RIGHT/FIND/SEARCH count the same way (a pair cut
in two shows U+FFFD here, where Excel keeps half a character).  The byte
forms (LENB, LEFTB, MIDB, RIGHTB, FINDB, SEARCHB, REPLACEB) count bytes only
in Excel's double-byte (East Asian) languages; in English Excel, which
sheetnet follows, they are the character forms.
"""

from __future__ import annotations

import re

import numpy as np

from ...errors import ExcelError
from ...store import STR
from ..values import E_VALUE, Arr, to_text, truthy, with_errors
from .criteria import wildcard
from .lifting import lift
from .registry import Category, Param, elementwise, function

TEXT = Category.TEXT
MAX_TEXT = 32767
VALUE_ERROR = ExcelError("#VALUE!")
NA_ERROR = ExcelError("#N/A")


def checked_length(text: str):
    """Excel's cell limit: longer text is #VALUE!."""
    return text if len(text) <= MAX_TEXT else VALUE_ERROR


# --- UTF-16 code units, as Excel counts characters -------------------------------------

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def units(text: str) -> str:
    """The text as UTF-16 code units, one Python character each."""
    if not _ASTRAL.search(text):
        return text
    raw = text.encode("utf-16-le")
    return "".join(chr(int.from_bytes(raw[i:i + 2], "little")) for i in range(0, len(raw), 2))


def from_units(u: str) -> str:
    """Code units back to text: pairs rejoined, a lone half U+FFFD."""
    if not _SURROGATE.search(u):
        return u
    return u.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


# --- joining ---------------------------------------------------------------------------

_TEXT_PARAM = Param("text", "text")


@function("CONCATENATE", category=TEXT, args="text: text, [text: text]...")
def CONCATENATE(ctx, *args: Arr) -> Arr:
    """CONCATENATE(a, b, ...): one value per argument (a range is intersected
    with the formula's row or column, element by element in array formulas);
    an omitted argument is ""."""
    return lift(lambda *parts: checked_length("".join(parts)), (_TEXT_PARAM,) * len(args))(ctx, *args)


def _element_texts(a: Arr, index: tuple) -> list:
    """The texts of one batch element's array, row by row; an error as its code."""
    sub = tuple(i if n > 1 else 0 for i, n in zip(index, a.shape[:-2]))
    k, x, s = a.kinds()[sub], a.num[sub], a.strings()[sub]
    return [to_text(int(k[r, c]), float(x[r, c]), s[r, c]) for r in range(k.shape[0]) for c in range(k.shape[1])]


def join_texts(ctx, delimiters: Arr | None, ignore_empty: np.ndarray | None, arrays: list[Arr]) -> Arr:
    """CONCAT / TEXTJOIN on whole arrays: per batch element, every value of
    every argument in order (rows first), with the delimiters cycled between
    them; the first error met (delimiters first) wins."""
    parts = list(arrays) + ([delimiters] if delimiters is not None else [])
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in parts),
                                *(() if ignore_empty is None else (np.shape(ignore_empty)[:-2],)))
    out_kind = np.full(batch + (1, 1), STR, np.uint8)
    out_obj = np.empty(batch + (1, 1), dtype=object)
    ignore = None if ignore_empty is None else np.broadcast_to(ignore_empty, batch + (1, 1))
    for index in np.ndindex(batch):
        result = _join_one(index, arrays, delimiters, False if ignore is None else bool(ignore[index][0, 0]))
        if isinstance(result, int):
            out_kind[index] = result
        elif len(result) > MAX_TEXT:
            out_kind[index] = E_VALUE
        else:
            out_obj[index] = result
    return Arr(np.zeros(batch + (1, 1)), out_kind, out_obj)


def _join_one(index, arrays, delimiters, ignore_empty: bool):
    seps = [""]
    if delimiters is not None:
        seps = _element_texts(delimiters, index)
        for s in seps:
            if isinstance(s, int):
                return s
    pieces = []
    for a in arrays:
        for t in _element_texts(a, index):
            if isinstance(t, int):
                return t
            if ignore_empty and t == "":
                continue
            pieces.append(t)
    out = []
    for i, piece in enumerate(pieces):
        if i:
            out.append(seps[(i - 1) % len(seps)])
        out.append(piece)
    return "".join(out)


@function("CONCAT", category=TEXT, prefix="_xlfn.", args="text: reference, [text: reference]...")
def CONCAT(ctx, *args) -> Arr:
    """CONCAT(text1, ...): every value of every argument, ranges and arrays
    included (rows first), joined; the first error wins."""
    return join_texts(ctx, None, None, [ctx.deref(a) for a in args])


@function("TEXTJOIN", category=TEXT, prefix="_xlfn.",
          args="delimiter: reference, ignore_empty: boolean, text: reference, [text: reference]...")
def TEXTJOIN(ctx, delimiter, ignore_empty: Arr, *args) -> Arr:
    """TEXTJOIN(delimiter, ignore_empty, text1, ...): CONCAT with delimiters
    between the values (a range of delimiters is used in turn); empty texts
    left out when ignore_empty is TRUE."""
    mask, err = truthy(ignore_empty)
    joined = join_texts(ctx, ctx.deref(delimiter), mask, [ctx.deref(a) for a in args])
    return with_errors(joined, err)


# --- case --------------------------------------------------------------------------------

def _same_length(text: str, convert) -> str:
    """upper()/lower() a character at a time where Python would change the
    length ("ß".upper() is "SS"; Excel keeps ß)."""
    out = convert(text)
    if len(out) == len(text):
        return out
    return "".join(c2 if len(c2 := convert(c)) == 1 else c for c in text)


@elementwise("UPPER", category=TEXT, args="text: text")
def UPPER(text: str) -> str:
    return _same_length(text, str.upper)


@elementwise("LOWER", category=TEXT, args="text: text")
def LOWER(text: str) -> str:
    return _same_length(text, str.lower)


@elementwise("PROPER", category=TEXT, args="text: text")
def PROPER(text: str) -> str:
    """A letter after a non-letter in capitals, other letters in lower case
    ("that's 2nd" is "That'S 2Nd", as Excel has it)."""
    out, after_letter = [], False
    for c in text:
        if c.isalpha():
            conv = c.lower() if after_letter else c.upper()
            out.append(conv if len(conv) == 1 else c)
            after_letter = True
        else:
            out.append(c)
            after_letter = False
    return "".join(out)


# --- pieces ------------------------------------------------------------------------------

@elementwise("LEN", "LENB", category=TEXT, args="text: text")
def LEN(text: str) -> float:
    return float(len(units(text)))


@elementwise("LEFT", "LEFTB", category=TEXT, args="text: text, [num_chars: integer = 1]")
def LEFT(text: str, n: int):
    if n < 0:
        return VALUE_ERROR
    return from_units(units(text)[:n])


@elementwise("RIGHT", "RIGHTB", category=TEXT, args="text: text, [num_chars: integer = 1]")
def RIGHT(text: str, n: int):
    if n < 0:
        return VALUE_ERROR
    u = units(text)
    return from_units(u[max(len(u) - n, 0):]) if n else ""


@elementwise("MID", "MIDB", category=TEXT, args="text: text, start_num: integer, num_chars: integer")
def MID(text: str, start: int, n: int):
    """MID(text, start, n): start below 1 or n below 0 is #VALUE!."""
    if start < 1 or n < 0:
        return VALUE_ERROR
    return from_units(units(text)[start - 1:start - 1 + n])


@elementwise("REPLACE", "REPLACEB", category=TEXT,
             args="old_text: text, start_num: integer, num_chars: integer, new_text: text")
def REPLACE(text: str, start: int, n: int, new: str):
    """REPLACE(text, start, n, new): n characters from start replaced."""
    if start < 1 or n < 0:
        return VALUE_ERROR
    u = units(text)
    return checked_length(from_units(u[:start - 1] + units(new) + u[start - 1 + n:]))


@elementwise("TRIM", category=TEXT, args="text: text")
def TRIM(text: str) -> str:
    """Spaces (character 32 only) removed at both ends, runs inside made one."""
    return re.sub(" {2,}", " ", text.strip(" "))


_CONTROL = re.compile("[\x00-\x1f]")


@elementwise("CLEAN", category=TEXT, args="text: text")
def CLEAN(text: str) -> str:
    """The 7-bit control characters 0..31 removed (not 127, 129, ... -- as Excel)."""
    return _CONTROL.sub("", text)


@elementwise("REPT", category=TEXT, args="text: text, number_times: integer")
def REPT(text: str, n: int):
    if n < 0:
        return VALUE_ERROR
    if len(text) * n > MAX_TEXT:
        return VALUE_ERROR
    return text * n


@elementwise("EXACT", category=TEXT, args="text1: text, text2: text")
def EXACT(a: str, b: str) -> bool:
    """Equal texts, case counted (numbers compared as their texts)."""
    return a == b


@elementwise("T", category=TEXT, args="value: any")
def T(value):
    """The value when it is text, else "" (errors propagate)."""
    if isinstance(value, (str, ExcelError)):
        return value
    return ""


# --- searching and replacing ------------------------------------------------------------

@elementwise("FIND", "FINDB", category=TEXT, args="find_text: text, within_text: text, [start_num: integer = 1]")
def FIND(find: str, within: str, start: int):
    """FIND(find, within, [start]): the position of find (case counted, no
    wildcards) at or after start; not found, or start outside the text, #VALUE!."""
    return _position(units(find), units(within), start, None)


@elementwise("SEARCH", "SEARCHB", category=TEXT,
             args="find_text: text, within_text: text, [start_num: integer = 1]")
def SEARCH(find: str, within: str, start: int):
    """SEARCH(find, within, [start]): as FIND, case ignored, with wildcards:
    ? one character, * any run, ~ before a character takes it literally (a
    lone ~ at the end is ignored)."""
    pattern = units(find)
    tail = len(pattern) - len(pattern.rstrip("~"))
    if tail % 2:
        pattern = pattern[:-1]
    return _position(pattern, units(within), start, wildcard(pattern))


def _position(find: str, within: str, start: int, regex):
    if start < 1 or start > len(within) + (1 if not within else 0):
        return VALUE_ERROR
    if regex is None:
        pos = within.find(find, start - 1)
        return VALUE_ERROR if pos < 0 else float(pos + 1)
    m = regex.search(within, start - 1)
    return VALUE_ERROR if m is None else float(m.start() + 1)


@elementwise("SUBSTITUTE", category=TEXT,
             args="text: text, old_text: text, new_text: text, [instance_num: integer]")
def SUBSTITUTE(text: str, old: str, new: str, instance: int | None = None):
    """SUBSTITUTE(text, old, new, [instance]): every occurrence of old (case
    counted), or only the instance-th (counted without overlaps); an
    instance below 1 is #VALUE!; an empty old text changes nothing."""
    if instance is not None and instance < 1:
        return VALUE_ERROR
    if not old:
        return text
    if instance is None:
        return checked_length(text.replace(old, new))
    pos, start = -1, 0
    for _ in range(instance):
        pos = text.find(old, start)
        if pos < 0:
            return text
        start = pos + len(old)
    return checked_length(text[:pos] + new + text[pos + len(old):])


# --- characters --------------------------------------------------------------------------

def _cp1252(code: int) -> str:
    """Character `code` of Windows-1252, Excel's CHAR code page (the five codes
    it leaves undefined -- 129, 141, 143, 144, 157 -- stand for themselves)."""
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(code)


_CP1252_CODES = {_cp1252(c): c for c in range(1, 256)}


@elementwise("CHAR", category=TEXT, args="number: integer")
def CHAR(n: int):
    """CHAR(n): the character of code n (1..255) in Windows-1252."""
    if not 1 <= n <= 255:
        return VALUE_ERROR
    return _cp1252(n)


@elementwise("CODE", category=TEXT, args="text: text")
def CODE(text: str):
    """CODE(text): the Windows-1252 code of the first character (63, "?", for
    one the code page lacks); "" is #VALUE!."""
    if not text:
        return VALUE_ERROR
    return float(_CP1252_CODES.get(text[0], 63))


@elementwise("UNICHAR", category=TEXT, prefix="_xlfn.", args="number: integer")
def UNICHAR(n: int):
    """UNICHAR(n): the Unicode character n; 0 or beyond 0x10FFFF is #VALUE!,
    a surrogate half #N/A."""
    if not 1 <= n <= 0x10FFFF:
        return VALUE_ERROR
    if 0xD800 <= n <= 0xDFFF:
        return NA_ERROR
    return chr(n)


@elementwise("UNICODE", category=TEXT, prefix="_xlfn.", args="text: text")
def UNICODE(text: str):
    """UNICODE(text): the code point of the first character; "" is #VALUE!."""
    if not text:
        return VALUE_ERROR
    return float(ord(text[0]))
