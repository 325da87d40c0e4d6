"""References computed at run time or reshaped: SINGLE (the @ operator),
ANCHORARRAY (A1#, a spill range), INDIRECT (a reference written as text).

Like OFFSET's, the rectangles INDIRECT and ANCHORARRAY produce are only
known when the formula runs; they are marked dynamic, so their cells are
pulled in (evaluated first) before they are read.
"""

from __future__ import annotations

import re

import numpy as np

from ...errors import FormulaSyntaxError
from ...refs import MAX_COLS, MAX_ROWS
from ..ast import AreaRef, CellRef, Name, Paren, StructRef
from ..batch import NotVectorizable, RefVal, intersect
from ..values import E_REF, E_VALUE, Arr, error, first_error, truthy
from .registry import Category, function

LOOKUP = Category.LOOKUP


@function("SINGLE", category=LOOKUP, prefix="_xlfn.", lazy=True, args="value: lazy")
def SINGLE(ctx, nodes):
    """@x: implicit intersection.  A range gives the cell in the formula's row
    or column (#VALUE! when there is none); an array its top-left element."""
    v = ctx.ev.value(nodes[0], ctx.batch, False)
    if isinstance(v, RefVal):
        return intersect(v, ctx.batch, ctx.engine)
    if isinstance(v, Arr):
        return v.first()
    return ctx.ev.operand(nodes[0], ctx.batch, False)


@function("ANCHORARRAY", category=LOOKUP, prefix="_xlfn.", args="reference: reference", reference=True)
def ANCHORARRAY(ctx, ref):
    """A1#: the range the array formula anchored at A1 currently fills
    (#REF! when A1 does not hold one)."""
    if not isinstance(ref, RefVal):
        return ref if isinstance(ref, Arr) and ref.has_errors() else error(E_VALUE, ctx.unit_shape())
    rr = np.broadcast_to(np.asarray(ref.r), ctx.batch.shape)
    cc = np.broadcast_to(np.asarray(ref.c), ctx.batch.shape)
    keys = {(int(r), int(c)) for r, c in zip(rr.ravel().tolist(), cc.ravel().tolist())}
    if len(keys) > 1:
        raise NotVectorizable("ANCHORARRAY of different cells")
    r, c = keys.pop()
    area = ctx.engine.spill_area(ref.sheet, r, c)
    if area is None:
        return error(E_REF, ctx.unit_shape())
    return RefVal(ref.sheet, area.r0, area.c0, area.height, area.width, dynamic=True)


_R1C1_PART = r"(?:(?P<{0}>\d+)|\[(?P<{0}o>-?\d+)\])?"
_R1C1_RE = re.compile(
    r"(?:(?:'(?P<qsheet>(?:[^']|'')+)'|(?P<sheet>[^!:']+))!)?"
    + "R" + _R1C1_PART.format("r1") + "C" + _R1C1_PART.format("c1")
    + "(?::R" + _R1C1_PART.format("r2") + "C" + _R1C1_PART.format("c2") + ")?",
    re.IGNORECASE)


def _r1c1(text: str, row: int, col: int):
    """(sheet, r0, c0, r1, c1) of an R1C1 reference seen from (row, col), or None."""
    m = _R1C1_RE.fullmatch(text.strip())
    if m is None:
        return None

    def part(name: str, base: int) -> int:
        if m.group(name) is not None:
            return int(m.group(name)) - 1
        return base + int(m.group(name + "o") or 0)

    r1, c1 = part("r1", row), part("c1", col)
    if m.group(0).count(":"):
        r2, c2 = part("r2", row), part("c2", col)
    else:
        r2, c2 = r1, c1
    sheet = m.group("qsheet").replace("''", "'") if m.group("qsheet") else m.group("sheet")
    return sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _a1(ctx, text: str, row: int, col: int):
    """(sheet, r0, c0, r1, c1) of an A1 reference text (a defined name or a
    table reference too), or None when the text names no range."""
    from ..parser import parse
    try:
        node = parse(text.strip(), (0, 0))
    except FormulaSyntaxError:
        return None
    while isinstance(node, Paren):
        node = node.expr
    if isinstance(node, Name):
        tree = ctx.engine.name_tree(node.name, node.sheet or ctx.batch.sheet.name)
        if tree is None or not isinstance(tree, (CellRef, AreaRef)):
            return None
        node = tree
    if isinstance(node, CellRef):
        return node.sheet, node.row, node.col, node.row, node.col
    if isinstance(node, AreaRef):
        r1 = 0 if node.r1 is None else node.r1
        r2 = MAX_ROWS - 1 if node.r2 is None else node.r2
        c1 = 0 if node.c1 is None else node.c1
        c2 = MAX_COLS - 1 if node.c2 is None else node.c2
        return node.sheet, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)
    if isinstance(node, StructRef) and not node.this_row:
        table = ctx.engine.table_for(node.table, ctx.batch) if node.table else None
        if table is None:
            return None
        rows, cols = table.rows_of(node.items), table.columns_of(node.col1, node.col2)
        if rows is None or cols is None:
            return None
        return table.sheet, rows[0], cols[0], rows[1], cols[1]
    return None


@function("INDIRECT", category=LOOKUP, args="ref_text: any, [a1: any]", reference=True)
def INDIRECT(ctx, text: Arr, a1: Arr | None = None):
    """The reference a text names: A1 style (also a defined name or a table
    reference), or R1C1 style (relative parts from the formula's cell) when
    the second argument is FALSE."""
    shape = ctx.batch.shape
    style = np.ones(shape, bool)
    err = None
    if a1 is not None:
        mask, err = truthy(a1)
        style = np.broadcast_to(mask[..., 0, 0], shape)
        err = None if err is None else np.broadcast_to(err[..., 0, 0], shape)
    kinds = np.broadcast_to(text.kinds()[..., 0, 0], shape)
    strings = np.broadcast_to(text.strings()[..., 0, 0], shape)
    rows = np.broadcast_to(ctx.batch.rows, shape)
    cols = np.broadcast_to(ctx.batch.cols, shape)
    codes = np.zeros(shape, np.uint8)
    r0 = np.zeros(shape, np.int64)
    c0 = np.zeros(shape, np.int64)
    target = None
    size = None
    seen: dict = {}
    for idx in np.ndindex(*shape):
        k = int(kinds[idx])
        if k >= 16:
            codes[idx] = k
            continue
        s = strings[idx] if isinstance(strings[idx], str) else None
        if s is None:
            codes[idx] = E_REF
            continue
        key = (s, bool(style[idx])) if style[idx] else (s, False, int(rows[idx]), int(cols[idx]))
        if key not in seen:
            seen[key] = _a1(ctx, s, int(rows[idx]), int(cols[idx])) if style[idx] else \
                _r1c1(s, int(rows[idx]), int(cols[idx]))
        found = seen[key]
        if found is None:
            codes[idx] = E_REF
            continue
        sheet_name, a, b, c, d = found
        sheet = ctx.batch.sheet if sheet_name is None else ctx.engine.sheet_state(sheet_name)
        if sheet is None or a < 0 or b < 0 or c >= MAX_ROWS or d >= MAX_COLS:
            codes[idx] = E_REF
            continue
        here = (c - a + 1, d - b + 1)
        if target is None:
            target, size = sheet, here
        elif sheet is not target or here != size:
            if ctx.batch.size > 1:
                raise NotVectorizable("INDIRECT to different sheets or sizes")
        r0[idx], c0[idx] = a, b
    if err is not None:
        codes = first_error(err, codes)
    if target is None:
        return error(int(codes.flat[0]) or E_REF, ctx.unit_shape())
    codes = codes if codes.any() else None
    if ctx.batch.size == 1 and codes is None:
        return RefVal(target, int(r0.flat[0]), int(c0.flat[0]), size[0], size[1], dynamic=True)
    return RefVal(target, r0, c0, size[0], size[1], dynamic=True, err=codes)

