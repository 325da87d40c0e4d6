"""Text: cutting at delimiters -- TEXTBEFORE, TEXTAFTER and TEXTSPLIT (which
returns an array: rows at the row delimiters, columns at the column
delimiters, short rows padded)."""

from __future__ import annotations

import math

import numpy as np

from ...errors import ExcelError, error_from_code
from ...store import decode
from ..ast import Missing
from ..values import Arr, numbers, to_text, truthy
from .array_results import assemble
from .registry import Category, function, parse_signature
from .text import VALUE_ERROR
from .whole_argument import lift_with_whole

TEXT = Category.TEXT
NA_ERROR = ExcelError("#N/A")


def _fold(text: str) -> str:
    """Lower case, one character for one (positions stay valid)."""
    out = text.lower()
    if len(out) == len(text):
        return out
    return "".join(c2 if len(c2 := c.lower()) == 1 else c for c in text)


def delimiter_texts(a: Arr):
    """A delimiter argument (a value, a range or an array of them) as a list of
    texts; an error inside is returned."""
    out = []
    for k, x, s in zip(a.kinds().reshape(-1).tolist(), a.num.reshape(-1).tolist(), a.strings().reshape(-1).tolist()):
        t = to_text(k, x, s)
        if isinstance(t, int):
            return error_from_code(t)
        out.append(t)
    return out


def occurrences(text: str, delimiters: list[str], ignore_case: bool) -> list[tuple[int, int]]:
    """(start, end) of each delimiter in the text, left to right, without
    overlaps; where several match, the longest."""
    hay = _fold(text) if ignore_case else text
    needles = sorted({_fold(d) if ignore_case else d for d in delimiters if d}, key=len, reverse=True)
    found, i = [], 0
    while i < len(hay) and needles:
        hit = next((d for d in needles if hay.startswith(d, i)), None)
        if hit:
            found.append((i, i + len(hit)))
            i += len(hit)
        else:
            i += 1
    return found


def _cut(after: bool):
    def cut(text: str, delimiters, instance, match_mode: float, match_end: float, if_not_found):
        if isinstance(delimiters, ExcelError):
            return delimiters
        given = instance is not None
        n = math.floor(instance) if given else 1
        if n == 0 or match_mode not in (0, 1) or match_end not in (0, 1):
            return VALUE_ERROR
        if given and (abs(n) > len(text) or any(len(d) > len(text) for d in delimiters)):
            return VALUE_ERROR
        if all(d == "" for d in delimiters):
            found = [(0, 0)] if n > 0 else [(len(text), len(text))]
            n = 1 if n > 0 else -1
        else:
            found = occurrences(text, delimiters, match_mode == 1)
            if match_end:
                found = found + [(len(text), len(text))] if n > 0 else [(0, 0)] + found
        i = n - 1 if n > 0 else len(found) + n
        if not 0 <= i < len(found):
            return NA_ERROR if if_not_found is None else if_not_found
        start, end = found[i]
        return text[end:] if after else text[:start]
    return cut


_CUT_PARAMS = parse_signature("text: text, [instance_num: number], [match_mode: number = 0], "
                              "[match_end: number = 0], [if_not_found: any]")[0]
_CUT_ARGS = ("text: text, delimiter: reference, [instance_num: number], [match_mode: number = 0], "
             "[match_end: number = 0], [if_not_found: any]")


def _register_cut(name: str, after: bool, doc: str):
    impl = lift_with_whole(_cut(after), _CUT_PARAMS, 1, delimiter_texts)
    impl.__doc__ = doc
    function(name, category=TEXT, prefix="_xlfn.", args=_CUT_ARGS)(impl)


_register_cut("TEXTAFTER", True, """TEXTAFTER(text, delimiter, [instance], [match_mode], [match_end],
    [if_not_found]): the text after the instance-th delimiter (counted from
    the end when negative; a fraction is rounded down); match_mode 1 ignores
    case; match_end 1 counts the end (the start, backwards) as a delimiter;
    not found: if_not_found or #N/A.  An instance of 0, or one given with a
    delimiter longer than the text, is #VALUE!.""")
_register_cut("TEXTBEFORE", False, """TEXTBEFORE(text, delimiter, ...): the text before the
    instance-th delimiter; the arguments as TEXTAFTER's.""")


# --- TEXTSPLIT -----------------------------------------------------------------------

def split_text(text: str, columns, rows, ignore_empty: bool, ignore_case: bool) -> list[list[str]]:
    """The pieces of a text, rows then columns (None: no such delimiter)."""
    def cut(piece: str, delimiters) -> list[str]:
        if delimiters is None:
            return [piece]
        parts, last = [], 0
        for start, end in occurrences(piece, delimiters, ignore_case):
            parts.append(piece[last:start])
            last = end
        parts.append(piece[last:])
        return [p for p in parts if p] if ignore_empty else parts

    return [cut(line, columns) for line in cut(text, rows)] or [[""]]


@function("TEXTSPLIT", category=TEXT, prefix="_xlfn.", lazy=True,
          args="text: lazy, col_delimiter: lazy, [row_delimiter: lazy], [ignore_empty: lazy], "
               "[match_mode: lazy], [pad_with: lazy]")
def TEXTSPLIT(ctx, nodes) -> Arr:
    """TEXTSPLIT(text, col_delimiter, [row_delimiter], [ignore_empty],
    [match_mode], [pad_with]): an array of the pieces; a delimiter may be an
    array of several; an empty delimiter, or none at all, is #VALUE!; short
    rows are padded with pad_with (#N/A)."""
    def given(i):
        return i < len(nodes) and not isinstance(nodes[i], Missing)

    def whole(i):
        return ctx.deref(ctx.ev.value(nodes[i], ctx.batch, True)) if given(i) else None

    text = ctx.operand(nodes[0])
    delims = [whole(1), whole(2)]
    ignore = truthy(ctx.operand(nodes[3])) if given(3) else None
    mode = numbers(ctx.operand(nodes[4])) if given(4) else None
    pad = ctx.operand(nodes[5]) if given(5) else None
    parts = [text] + [d for d in delims if d is not None] + [v for v in (pad,) if v is not None]
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in parts),
                                *(np.shape(x[0])[:-2] for x in (ignore, mode) if x is not None))
    results = {}
    for index in np.ndindex(batch):
        results[index] = _split_one(index, text, delims, ignore, mode, pad)
    return assemble(batch, results)


def _at(a, index):
    """One batch element's array (size-1 batch dimensions broadcast)."""
    sub = tuple(i if n > 1 else 0 for i, n in zip(index, np.shape(a)[:-2]))
    return a[sub]


def _element(a: Arr, index, r: int = 0, c: int = 0):
    """(kind, num, obj) of one value of one batch element's array."""
    return int(_at(a.kinds(), index)[r, c]), float(_at(a.num, index)[r, c]), _at(a.strings(), index)[r, c]


def _split_one(index, text: Arr, delims, ignore, mode, pad):
    """The 2-D list of Python values of one cell, or an error."""
    t = to_text(*_element(text, index))
    if isinstance(t, int):
        return error_from_code(t)
    lists = []
    for d in delims:
        if d is None:
            lists.append(None)
            continue
        texts = delimiter_texts(d.index(tuple(slice(i, i + 1) if n > 1 else slice(0, 1)
                                              for i, n in zip(index, d.shape[:-2]))))
        if isinstance(texts, ExcelError):
            return texts
        if any(x == "" for x in texts):
            return VALUE_ERROR
        lists.append(texts)
    if lists[0] is None and lists[1] is None:
        return VALUE_ERROR
    flags = []
    for pair in (ignore, mode):
        if pair is None:
            flags.append(0)
            continue
        x, err = pair
        if err is not None and _at(err, index)[0, 0]:
            return error_from_code(int(_at(err, index)[0, 0]))
        flags.append(float(_at(x, index)[0, 0]))
    if flags[1] not in (0, 1):
        return VALUE_ERROR
    fill = NA_ERROR if pad is None else decode(*_element(pad, index))
    pieces = split_text(t, lists[0], lists[1], bool(flags[0]), flags[1] == 1)
    width = max(len(r) for r in pieces)
    return [r + [fill] * (width - len(r)) for r in pieces]
