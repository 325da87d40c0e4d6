"""Lookup & reference: MATCH, INDEX, OFFSET, ROW, COLUMN, VLOOKUP, CHOOSE, TRANSPOSE ..."""

from __future__ import annotations

import numpy as np

from ...errors import ERR_BASE
from ...refs import MAX_COLS, MAX_ROWS
from ...store import BLANK, BOOL, NUM, STR
from ..ast import Text
from ..batch import NotVectorizable, RefVal
from ..values import (E_NA, E_REF, E_VALUE, Arr, error, first_error, numbers, numeric_result, select,
                      truthy, with_errors)
from .criteria import wildcard
from .lookup_torch import as_arr, constant, gathered, positions
from .registry import Category, function
from .torchforms import TorchUnsupported

LOOKUP = Category.LOOKUP

# Excel's ordering of types when searching: numbers < text < logicals.
_RANK = np.zeros(256, dtype=np.int8)
_RANK[NUM], _RANK[STR], _RANK[BOOL] = 1, 2, 3


def _fold(strings: np.ndarray) -> np.ndarray:
    """Case-folded copy of an object array of strings (None stays None)."""
    out = np.empty(strings.shape, dtype=object)
    for idx, s in np.ndenumerate(strings):
        out[idx] = s.casefold() if isinstance(s, str) else None
    return out


class _Vector:
    """The lookup array of MATCH: kinds, numbers, folded strings, shape B + (k,)."""

    def __init__(self, a: Arr):
        flat = a.shape[:-2] + (-1,)
        self.kind = a.kinds().reshape(flat)
        self.num = a.num.reshape(flat)
        self.text = _fold(a.strings().reshape(flat)) if a.obj is not None else None
        self.k = self.kind.shape[-1]
        self.shared = all(d == 1 for d in self.kind.shape[:-1])


def _exact(vec: _Vector, xk, xn, xs) -> np.ndarray:
    """0-based position of the first equal element (text: case-insensitive,
    with * ? ~ wildcards), -1 where there is none."""
    pos = np.full(xk.shape, -1, dtype=np.int64)
    for kind in (NUM, BOOL):
        want = xk == kind
        if not want.any():
            continue
        if vec.shared:
            vk, vn = vec.kind.reshape(-1), vec.num.reshape(-1)
            table = _integer_table(vk, vn, kind)
            if table is not None:
                x = xn[want]
                xi = np.clip(x, 0, len(table) - 1).astype(np.int64)
                hit = table[xi]
                pos[want] = np.where((x == xi) & (hit >= 0), hit, -1)
                continue
            cand = np.flatnonzero(vk == kind)
            order = cand[np.argsort(vn[cand], kind="stable")]   # stable: first occurrence wins
            vals = vn[order]
            x = xn[want]
            i = np.searchsorted(vals, x, side="left")
            ok = i < len(vals)
            i = np.minimum(i, max(len(vals) - 1, 0))
            found = ok & (len(vals) > 0) & (vals[i] == x if len(vals) else False)
            pos[want] = np.where(found, order[i] if len(vals) else -1, -1)
        else:
            eq = (vec.kind == kind) & (vec.num == xn[..., None])
            hit = np.argmax(eq, axis=-1)
            pos = np.where(want & eq.any(axis=-1), hit, pos)
    want = xk == STR
    if want.any():
        for idx in zip(*np.nonzero(want)):
            key = xs[idx]
            vi = tuple(i if d > 1 else 0 for i, d in zip(idx, vec.kind.shape[:-1]))
            texts = vec.text[vi] if vec.text is not None else np.empty(vec.k, object)
            kinds = vec.kind[vi]
            if any(ch in key for ch in "*?~"):
                rx = wildcard(key)
                hits = [j for j in range(vec.k) if kinds[j] == STR and rx.fullmatch(texts[j])]
            else:
                folded = key.casefold()
                hits = [j for j in range(vec.k) if kinds[j] == STR and texts[j] == folded]
            pos[idx] = hits[0] if hits else -1
    return pos


def _integer_table(vk: np.ndarray, vn: np.ndarray, kind: int) -> np.ndarray | None:
    """For a look-up vector of small non-negative integers (ids, the common
    case): table[value] = first position holding it, -1 elsewhere."""
    sel = vk == kind
    if not sel.any():
        return None
    vals = vn[sel]
    top = vals.max()
    if vals.min() < 0 or top > 4 * len(vn) + 1_000_000 or not np.all(vals == np.floor(vals)):
        return None
    table = np.full(int(top) + 1, -1, dtype=np.int64)
    positions = np.flatnonzero(sel)
    # assign in reverse so that the first occurrence wins
    table[vals[::-1].astype(np.int64)] = positions[::-1]
    return table


def _approximate(vec: _Vector, xk, xn, xs, descending: bool, vertical: bool) -> np.ndarray:
    """MATCH type 1 / -1 for every lookup element (see approximate_match).
    Sorted numeric vectors take a vectorised path that gives the same answers."""
    shape = np.broadcast_shapes(xk.shape, vec.kind.shape[:-1])
    xk, xn = np.broadcast_to(xk, shape), np.broadcast_to(xn, shape)
    xs = np.broadcast_to(xs, shape)
    if vec.shared:
        vk, vn = vec.kind.reshape(-1), vec.num.reshape(-1)
        diffs = np.diff(vn)
        if (vk == NUM).all() and ((diffs <= 0).all() if descending else (diffs >= 0).all()):
            if descending:
                pos = np.searchsorted(-vn, -xn, side="right") - 1
            else:
                pos = np.searchsorted(vn, xn, side="right") - 1
            out = np.where(xk == NUM, pos, -1)
            if not (xk == STR).any():
                return out
    out = np.full(shape, -1, dtype=np.int64)
    for idx in np.ndindex(shape):
        vi = tuple(i if d > 1 else 0 for i, d in zip(idx, vec.kind.shape[:-1]))
        items = _items(vec, vi)
        out[idx] = approximate_match(items, (int(xk[idx]), float(xn[idx]), xs[idx]), descending, vertical)
    return out


def _items(vec: _Vector, vi) -> list:
    """Non-empty elements of one lookup vector as (position, rank, value)."""
    kinds, nums = vec.kind[vi], vec.num[vi]
    texts = vec.text[vi] if vec.text is not None else None
    out = []
    for j in range(vec.k):
        k = int(kinds[j])
        if k == BLANK or k >= ERR_BASE:
            continue
        out.append((j, int(_RANK[k]), texts[j] if k == STR else float(nums[j])))
    return out


def approximate_match(items: list, x: tuple, descending: bool, vertical: bool) -> int:
    """Approximate MATCH as spreadsheets do it, including on unsorted data.

    `items`: (position, type rank, value) of the non-empty cells, in order;
    `x`: (kind, number, text) of the lookup value.  Returns the 0-based
    position or -1.  The search (LibreOffice's, which Excel's results agree
    with on the lesson files):

    * a column is first bisected to find a start; if the bisection meets
      values that show the data are not sorted it starts from the top;
    * then it scans forward, stopping at the first value on the wrong side of
      x (the answer is the one before it) or at the first value equal to x,
      whose run of equal values it follows to the end.

    So MATCH(1, {1, 0}) is 1, not the 2 a textbook binary search gives.
    """
    xkind = x[0]
    if xkind == BLANK or xkind >= ERR_BASE:
        return -1
    xrank = int(_RANK[xkind])
    key = x[2].casefold() if xkind == STR else x[1]

    def compare(item) -> int:
        """content vs query: -1 less, 0 equal, 1 greater (numbers < text)."""
        _, rank, value = item
        if rank != xrank:
            return -1 if rank < xrank else 1
        return (value > key) - (value < key)

    def satisfies(item) -> bool:
        if item[1] != xrank:
            return False
        c = compare(item)
        return c >= 0 if descending else c <= 0

    n = len(items)
    start = 0
    if xrank != 2:          # a numeric search ignores leading text (column headers)
        while start < n and items[start][1] == 2:
            start += 1
    if vertical and start < n:
        start = _bisect_start(items, start, compare, descending, xrank)
    found = -1
    i = start
    while i < n:
        if not satisfies(items[i]):
            break
        found = i
        if compare(items[i]) == 0:
            while i + 1 < n and items[i + 1][1] == xrank and compare(items[i + 1]) == 0:
                i += 1
            found = i
            break
        i += 1
    return items[found][0] if found >= 0 else -1


def _bisect_start(items, lo: int, compare, descending: bool, xrank: int) -> int:
    """Where the forward scan of a column starts: an equal value found by
    bisection, else the last value seen on the right side of x while the
    values seen kept their order, else the first cell."""
    hi = len(items) - 1
    first = last_in_range = lo
    last_value = None
    while lo <= hi:
        mid = (lo + hi) // 2
        item = items[mid]
        c = compare(item)
        on_side = c < 0 if not descending else c > 0
        if on_side:
            if item[1] == xrank:
                if last_value is None or (item[2] > last_value if not descending else item[2] < last_value):
                    last_value, last_in_range = item[2], mid
                elif item[2] != last_value:
                    return first          # not sorted: scan from the top
            else:
                last_in_range = mid
        if c == 0:
            return mid
        if (c < 0) != descending:
            lo = mid + 1
        else:
            if mid == 0:
                break
            hi = mid - 1
    return last_in_range


def match_positions(lookup: Arr, array: Arr, mode: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """MATCH for every lookup element: (0-based positions or -1, error codes)."""
    vertical = array.hw[1] == 1
    vec = _Vector(array)
    xk = lookup.kinds()
    xn = lookup.num
    xs = lookup.strings()
    # the lookup's own (h, w) become extra batch dimensions of the search
    vec.kind, vec.num = vec.kind[..., None, None, :], vec.num[..., None, None, :]
    if vec.text is not None:
        vec.text = vec.text[..., None, None, :]
    mode = np.broadcast_to(mode, xk.shape)
    pos = np.full(np.broadcast_shapes(xk.shape, vec.kind.shape[:-1]), -1, dtype=np.int64)
    for m in np.unique(mode):
        sel = mode == m
        if m == 0:
            p = _exact(vec, xk, xn, xs)
        else:
            p = _approximate(vec, xk, xn, xs, descending=m < 0, vertical=vertical)
        pos = np.where(sel, p, pos)
    err = np.where(xk >= ERR_BASE, xk, 0).astype(np.uint8)
    blank = xk == BLANK
    pos = np.where(blank, -1, pos)
    return pos, (err if err.any() else None)


@function("MATCH", category=LOOKUP, args="lookup_value: any, lookup_array: array, [match_type: number]")
def MATCH(ctx, lookup: Arr, array: Arr, match_type: Arr | None = None) -> Arr:
    """MATCH(value, array, [type]): type 1 (default) is the binary search for
    the largest value <= x in an ascending array, 0 exact, -1 descending."""
    h, w = array.hw
    if h != 1 and w != 1:
        return error(E_NA, ctx.unit_shape())
    if match_type is None:
        mode = np.ones((1,) * ctx.nd)
        merr = None
    else:
        m, merr = numbers(match_type)
        mode = np.sign(np.trunc(m))
    if not ctx.arr:
        lookup = lookup.first()
    pos, err = match_positions(lookup, array, mode)
    err = first_error(err, merr)
    na = np.where(pos < 0, E_NA, 0).astype(np.uint8)
    return numeric_result((pos + 1).astype(np.float64), first_error(err, na))


def _int_arg(a: Arr | None, default: float) -> tuple[np.ndarray, np.ndarray | None]:
    if a is None:
        return np.array(default), None
    x, err = numbers(a)
    return np.trunc(x), err


def _size_arg(a: Arr | None, default: float) -> tuple[np.ndarray, np.ndarray | None]:
    """OFFSET's height or width: truncated toward zero, except that a
    fraction of a cell is one cell (Excel's cached values: width 0.9 is one
    column, 3.99 three, 0 is #REF!)."""
    if a is None:
        return np.array(default), None
    x, err = numbers(a)
    return np.where((np.abs(x) < 1) & (x != 0), np.sign(x), np.trunc(x)), err


def _uniform_size(x, name: str, batch_size: int) -> int:
    arr = np.asarray(x)
    first = int(arr.flat[0])
    if arr.size > 1 and np.any(arr != first):
        raise NotVectorizable(f"{name} differs between cells")
    return first


@function("OFFSET", category=LOOKUP, args="reference: position, rows: number, cols: number, [height: number], "
          "[width: number]", reference=True)
def OFFSET(ctx, base, rows: Arr, cols: Arr, height: Arr | None = None, width: Arr | None = None):
    """A reference moved by (rows, cols) from `base`, optionally resized (a
    negative height or width extends up or left from the moved corner, as in
    Excel); it is computed at run time, so its cells are pulled in before
    they are read."""
    if not isinstance(base, RefVal):
        return base if isinstance(base, Arr) and base.has_errors() else error(E_VALUE, ctx.unit_shape())
    dr, e1 = _int_arg(rows.first(), 0)
    dc, e2 = _int_arg(cols.first(), 0)
    hh, e3 = _size_arg(None if height is None else height.first(), base.h)
    ww, e4 = _size_arg(None if width is None else width.first(), base.w)
    err = first_error(first_error(e1, e2), first_error(e3, e4))
    h = _uniform_size(hh, "OFFSET height", ctx.batch.size)
    w = _uniform_size(ww, "OFFSET width", ctx.batch.size)
    if h == 0 or w == 0:
        return error(E_REF, ctx.unit_shape())
    r = base.r + dr[..., 0, 0] if np.ndim(dr) else base.r + int(dr)
    c = base.c + dc[..., 0, 0] if np.ndim(dc) else base.c + int(dc)
    r = np.asarray(r, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    # a negative height (width) reaches up (left) from the moved corner
    if h < 0:
        r, h = r + h + 1, -h
    if w < 0:
        c, w = c + w + 1, -w
    # bounds on the row and column arrays separately (they are often a column
    # and a row that broadcast to the whole block)
    off_r = (r < 0) | (r + h > MAX_ROWS)
    off_c = (c < 0) | (c + w > MAX_COLS)
    codes = None
    if off_r.any() or off_c.any():
        codes = np.where(off_r | off_c, E_REF, 0).astype(np.uint8)
    if err is not None:
        codes = first_error(err[..., 0, 0], codes)
    if codes is not None and codes.any():
        r, c = np.where(codes != 0, 0, r), np.where(codes != 0, 0, c)
    else:
        codes = None
    r = int(r) if r.ndim == 0 else r
    c = int(c) if c.ndim == 0 else c
    return RefVal(base.sheet, r, c, h, w, dynamic=True, err=codes)


@function("INDEX", category=LOOKUP, args="array: reference, row_num: number, [column_num: number], "
          "[area_num: number]", reference=True)
def INDEX(ctx, source, row_num: Arr, col_num: Arr | None = None, area: Arr | None = None):
    """INDEX(array, row, [col]): the element (or with 0, the whole row/column);
    for a reference the result is a reference into it."""
    h, w = (source.h, source.w) if isinstance(source, RefVal) else source.hw
    i, e1 = _int_arg(row_num.first(), 0)
    j, e2 = _int_arg(None if col_num is None else col_num.first(), 0)
    err = first_error(e1, e2)
    if area is not None:
        # one area only (sheetnet has no multi-area references): area 1 is it,
        # a later one #REF!, one below 1 #VALUE!
        k, e3 = _int_arg(area.first(), 1)
        bad_area = np.where(k < 1, E_VALUE, np.where(k > 1, E_REF, 0)).astype(np.uint8)
        err = first_error(first_error(err, e3), bad_area if bad_area.any() else None)
    if col_num is None and (h == 1 or w == 1) and h * w > 1:
        # a one-dimensional array takes its single index along its length
        if h == 1:
            i, j = np.ones_like(i), i
    ui = _uniform_size(i == 0, "INDEX row 0", ctx.batch.size) if np.ndim(i) else int(i == 0)
    uj = _uniform_size(j == 0, "INDEX column 0", ctx.batch.size) if np.ndim(j) else int(j == 0)
    out_h, out_w = (h if ui else 1), (w if uj else 1)
    ri = np.where(i == 0, 1, i) - 1
    cj = np.where(j == 0, 1, j) - 1
    bad = (ri < 0) | (ri >= h) | (cj < 0) | (cj >= w)
    negative = (i < 0) | (j < 0)             # a negative index is #VALUE!, one past the end #REF!
    codes = np.where(negative, E_VALUE, np.where(bad, E_REF, 0)).astype(np.uint8)
    if err is not None:
        codes = first_error(err, codes)
    ri, cj = np.where(bad, 0, ri), np.where(bad, 0, cj)
    if isinstance(source, RefVal):
        r = source.r + (ri[..., 0, 0] if np.ndim(ri) else int(ri))
        c = source.c + (cj[..., 0, 0] if np.ndim(cj) else int(cj))
        r = int(r) if np.ndim(r) == 0 else r
        c = int(c) if np.ndim(c) == 0 else c
        flat_codes = codes[..., 0, 0] if np.ndim(codes) else codes
        return RefVal(source.sheet, r, c, out_h, out_w, source.dynamic,
                      err=np.asarray(flat_codes) if np.any(codes) else None)
    a = source
    if (out_h, out_w) == (1, 1):
        shape = np.broadcast_shapes(a.shape[:-2], np.shape(ri)[:-2] if np.ndim(ri) else ())
        rows = np.broadcast_to(np.asarray(ri, np.int64), shape + (1, 1))
        cols = np.broadcast_to(np.asarray(cj, np.int64), shape + (1, 1))
        flat = np.broadcast_to(a.num, shape + (h, w)).reshape(shape + (h * w,))
        idx = (rows * w + cols).reshape(shape + (1,))
        num = np.take_along_axis(flat, idx, -1).reshape(shape + (1, 1))
        kind = None
        obj = None
        if a.kind is not None:
            kind = np.take_along_axis(np.broadcast_to(a.kind, shape + (h, w)).reshape(shape + (h * w,)), idx, -1
                                      ).reshape(shape + (1, 1))
        if a.obj is not None:
            obj = np.take_along_axis(np.broadcast_to(a.obj, shape + (h, w)).reshape(shape + (h * w,)), idx, -1
                                     ).reshape(shape + (1, 1))
        return with_errors(Arr(num, kind, obj), codes)
    if out_h == h and out_w == w:
        return with_errors(a, codes)
    if out_h == 1:
        k = int(np.asarray(ri).flat[0])
        return with_errors(a.index((..., slice(k, k + 1), slice(None))), codes)
    k = int(np.asarray(cj).flat[0])
    return with_errors(a.index((..., slice(None), slice(k, k + 1))), codes)


def _position(ctx, ref, axis: str) -> Arr:
    if ref is None:
        rows = ctx.batch.rows if axis == "row" else ctx.batch.cols
        return Arr(np.broadcast_to(rows + 1.0, ctx.batch.shape)[..., None, None].copy())
    if not isinstance(ref, RefVal):
        # an error (INDIRECT of a bad text, OFFSET off the sheet) passes through
        return ref if isinstance(ref, Arr) and ref.has_errors() else error(E_VALUE, ctx.unit_shape())
    start = np.asarray(ref.r if axis == "row" else ref.c, dtype=np.float64) + 1
    length = ref.h if axis == "row" else ref.w
    start = start.reshape(start.shape + (1, 1)) if start.ndim else start.reshape((1,) * ctx.nd)
    if ctx.arr and length > 1:
        step = np.arange(length, dtype=np.float64)
        step = step[:, None] if axis == "row" else step[None, :]
        out = Arr(start + step)
    else:
        out = Arr(np.asarray(start, dtype=np.float64))
    return out if ref.err is None else with_errors(out, ref.err[..., None, None])


@function("ROW", category=LOOKUP, args="[reference: position]")
def ROW(ctx, ref=None) -> Arr:
    return _position(ctx, ref, "row")


@function("COLUMN", category=LOOKUP, args="[reference: position]")
def COLUMN(ctx, ref=None) -> Arr:
    return _position(ctx, ref, "col")


@function("ROWS", category=LOOKUP, args="array: position")
def ROWS(ctx, v) -> Arr:
    h = v.h if isinstance(v, RefVal) else v.hw[0]
    return Arr(np.full(ctx.unit_shape(), float(h)))


@function("COLUMNS", category=LOOKUP, args="array: position")
def COLUMNS(ctx, v) -> Arr:
    w = v.w if isinstance(v, RefVal) else v.hw[1]
    return Arr(np.full(ctx.unit_shape(), float(w)))


def _table_lookup(vertical: bool):
    """VLOOKUP / HLOOKUP: MATCH on the first column (row), then pick."""

    def impl(ctx, nodes) -> Arr:
        if isinstance(nodes[1], Text):
            return error(E_VALUE, ctx.unit_shape())      # a text written in place of a table
        value, index = ctx.operand(nodes[0]), ctx.operand(nodes[2])
        table = ctx.ev.array(nodes[1], ctx.batch)
        approx = ctx.operand(nodes[3]) if len(nodes) > 3 else None
        if not vertical:
            table = Arr(np.swapaxes(table.num, -1, -2), None if table.kind is None else np.swapaxes(table.kind, -1, -2),
                        None if table.obj is None else np.swapaxes(table.obj, -1, -2))
        h, w = table.hw
        k, e1 = _int_arg(index.first(), 1)
        e2 = None
        if approx is None:
            mode = np.ones((1,) * ctx.nd)
        else:
            mask, e2 = truthy(approx.first())
            mode = np.where(mask, 1.0, 0.0)
        keys = table.index((..., slice(None), slice(0, 1)))
        pos, err = match_positions(value.first(), keys, mode)
        bad = (k < 1) | (k > w)
        col = np.where(bad, 0, k - 1).astype(np.int64)
        shape = np.broadcast_shapes(pos.shape, np.shape(col))
        flat_idx = (np.maximum(pos, 0) * w + np.broadcast_to(col, shape)).reshape(shape[:-2] + (1,))
        bshape = shape[:-2]

        def pick(a):
            src = np.broadcast_to(a, bshape + (h, w)).reshape(bshape + (h * w,))
            return np.take_along_axis(src, flat_idx, -1).reshape(bshape + (1, 1))

        out = Arr(pick(table.num), None if table.kind is None else pick(table.kind),
                  None if table.obj is None else pick(table.obj))
        codes = np.where(pos < 0, E_NA, np.where(np.broadcast_to(bad, shape), E_REF, 0)).astype(np.uint8)
        return with_errors(out, first_error(first_error(first_error(err, e1), e2), codes))

    return impl


def _table_lookup_torch(vertical: bool):
    """The Solver's VLOOKUP / HLOOKUP (lookup_torch.py): the position by the
    same search on the key column (row), the answer gathered from the table."""

    def torch_form(value, table, index, approx=None):
        k = int(constant(index, 1))
        mode = 1.0 if approx is None else 0.0 if approx.omitted else float(constant(approx, 1) != 0)
        tbl = table(array=True)
        h, w = tuple(tbl.t.shape[-2:])
        width = w if vertical else h
        if not 1 <= k <= width:
            raise TorchUnsupported("an index outside the table")
        keys = as_arr(tbl, cols=slice(0, 1)) if vertical else as_arr(tbl, rows=slice(0, 1))
        if not vertical:
            keys = Arr(np.swapaxes(keys.num, -1, -2), None if keys.kind is None else np.swapaxes(keys.kind, -1, -2))
        pos, err = match_positions(as_arr(value()).first(), keys, np.full((1, 1), mode))
        flat = np.where(pos >= 0, pos * w + (k - 1) if vertical else (k - 1) * w + pos, -1)
        return gathered(tbl, positions(flat, err))

    return torch_form


# lazy: a text written in place of the table (VLOOKUP(x, "Nothing", 1)) is
# #VALUE! in Excel, while a number or logical there (VLOOKUP(x, 3, 1)) is a
# one-element table (#N/A when it does not match)
_TABLE_LOOKUP_ARGS = "lookup_value: lazy, table_array: lazy, index_num: lazy, [range_lookup: lazy]"
function("VLOOKUP", category=LOOKUP, args=_TABLE_LOOKUP_ARGS, lazy=True,
         torch=_table_lookup_torch(True))(_table_lookup(True))
function("HLOOKUP", category=LOOKUP, args=_TABLE_LOOKUP_ARGS, lazy=True,
         torch=_table_lookup_torch(False))(_table_lookup(False))


@function("CHOOSE", category=LOOKUP, args="index_num: lazy, value: lazy, [value: lazy]...", lazy=True)
def CHOOSE(ctx, nodes) -> Arr:
    idx, err = numbers(ctx.operand(nodes[0]))
    k = np.trunc(idx)
    bad = (k < 1) | (k > len(nodes) - 1)
    if err is None and not bad.any() and np.all(k == k.flat[0]):
        return ctx.ev.value(nodes[int(k.flat[0])], ctx.batch, ctx.arr)
    out = error(E_VALUE, ctx.unit_shape())
    for i in range(1, len(nodes)):
        hit = k == i
        if hit.any():
            out = select(hit, ctx.scalar(ctx.ev.value(nodes[i], ctx.batch, ctx.arr)), out)
    return with_errors(out, err)


def _transpose_torch(v):
    return v.t.transpose(-1, -2), None if v.kind is None else np.swapaxes(v.kind, -1, -2)


@function("TRANSPOSE", category=LOOKUP, args="array: array", torch=_transpose_torch)
def TRANSPOSE(ctx, a: Arr) -> Arr:
    return Arr(np.swapaxes(a.num, -1, -2), None if a.kind is None else np.swapaxes(a.kind, -1, -2),
               None if a.obj is None else np.swapaxes(a.obj, -1, -2))
