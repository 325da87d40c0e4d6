"""Text: joining, case, pieces, searching and replacing, characters.

Numbers become text as Excel's General format writes them (values.number_text:
up to 15 significant digits), booleans TRUE/FALSE, blanks "".  Excel limits a
cell's text to 32767 characters: a longer result is #VALUE!.
"""

from __future__ import annotations

import numpy as np

from ...errors import ExcelError
from ...store import STR
from ..values import E_VALUE, Arr, to_text
from .lifting import lift
from .registry import Category, Param, function

TEXT = Category.TEXT
MAX_TEXT = 32767
VALUE_ERROR = ExcelError("#VALUE!")


def checked_length(text: str):
    """Excel's cell limit: longer text is #VALUE!."""
    return text if len(text) <= MAX_TEXT else VALUE_ERROR


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


def join_texts(ctx, delimiters: Arr | None, ignore_empty, arrays: list[Arr]) -> Arr:
    """CONCAT / TEXTJOIN on whole arrays: per batch element, every value of
    every argument in order (rows first), with the delimiters cycled between
    them; the first error met wins."""
    parts = list(arrays) + ([delimiters] if delimiters is not None else [])
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in parts)) if parts else ()
    out_kind = np.full(batch + (1, 1), STR, np.uint8)
    out_obj = np.empty(batch + (1, 1), dtype=object)
    ignore = np.broadcast_to(ignore_empty, batch) if ignore_empty is not None else None
    for index in np.ndindex(batch):
        result = _join_one(index, arrays, delimiters, None if ignore is None else ignore[index])
        if isinstance(result, int):
            out_kind[index] = result
        elif len(result) > MAX_TEXT:
            out_kind[index] = E_VALUE
        else:
            out_obj[index] = result
    return Arr(np.zeros(batch + (1, 1)), out_kind, out_obj)


def _join_one(index, arrays, delimiters, ignore_empty):
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
