"""Which cells a formula is evaluated for, and reading references for all of
them at once.

A ``Batch`` is either a rectangle of cells (batch shape (bh, bw); relative
references become zero-copy sliding-window views of the value grid) or a list
of cells (batch shape (n,); references become gathers).  A ``RefVal`` is a
reference as a value -- one rectangle per batch element, all the same size --
which functions such as SUM, ROW or OFFSET take as it is, and everything else
reads through ``deref`` or, in a one-cell context, ``intersect``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import limits
from ..refs import MAX_COLS, MAX_ROWS
from ..store import NUM, STR
from .values import E_REF, E_VALUE, Arr, error, with_errors


class NotVectorizable(Exception):
    """This formula cannot be evaluated for the whole batch at once (e.g. OFFSET
    heights that differ per cell); the engine retries cell by cell."""


class Batch:
    __slots__ = ("sheet", "rows", "cols", "shape", "rect", "env")

    def __init__(self, sheet, rows: np.ndarray, cols: np.ndarray, rect: tuple[int, int, int, int] | None,
                 env: dict | None = None):
        self.sheet = sheet          # the engine's SheetState of the host sheet
        self.rows = rows            # 0-based rows, broadcastable to shape
        self.cols = cols
        self.rect = rect            # (r0, c0, bh, bw) in rectangle mode, else None
        self.shape = (rect[2], rect[3]) if rect is not None else (len(rows),)
        # env: the names LET and LAMBDA bind here (casefolded, without _xlpm.)
        # -> their values (Arr, RefVal or a Lambda), batch-shaped like any value
        self.env = env

    @classmethod
    def rectangle(cls, sheet, r0: int, c0: int, bh: int, bw: int) -> "Batch":
        rows = np.arange(r0, r0 + bh, dtype=np.int64)[:, None]
        cols = np.arange(c0, c0 + bw, dtype=np.int64)[None, :]
        return cls(sheet, rows, cols, (r0, c0, bh, bw))

    @classmethod
    def cells(cls, sheet, rows, cols) -> "Batch":
        return cls(sheet, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), None)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def subset(self, mask: np.ndarray) -> "Batch":
        """The cells where mask (batch-shaped) is true, as a list batch."""
        rows = np.broadcast_to(self.rows, self.shape)[mask]
        cols = np.broadcast_to(self.cols, self.shape)[mask]
        env = None
        if self.env:
            env = {k: _subset_value(v, mask, self.shape) for k, v in self.env.items()}
        return Batch(self.sheet, rows, cols, None, env)

    def with_env(self, env: dict) -> "Batch":
        """The same cells with names bound (LET, a LAMBDA's parameters)."""
        return Batch(self.sheet, self.rows, self.cols, self.rect, env)


def _subset_value(v, mask: np.ndarray, shape: tuple):
    """A batch-shaped value (Arr, RefVal, or anything else left as it is)
    restricted to the batch cells where mask is true."""
    from .values import Arr
    nd = len(shape)
    if isinstance(v, Arr):
        def pick(a):
            if a is None:
                return None
            full = np.broadcast_to(a, shape + a.shape[nd:])
            return full[mask]
        return Arr(pick(v.num), pick(v.kind), pick(v.obj))
    if isinstance(v, RefVal):
        def idx(x):
            return x if _uniform(x) else np.broadcast_to(x, shape)[mask]
        err = None if v.err is None else np.broadcast_to(v.err, shape)[mask]
        return RefVal(v.sheet, idx(v.r), idx(v.c), v.h, v.w, v.dynamic, False, err)
    if hasattr(v, "subset"):
        return v.subset(mask, shape)
    return v


class RefVal:
    """Rectangles of cells, one per batch element: top-left (r, c) as ints
    (same for all) or int arrays broadcastable to the batch shape; size h x w.
    `dynamic` marks rectangles computed at run time (OFFSET, INDEX): their
    cells may not be evaluated yet and are pulled in before reading."""

    __slots__ = ("sheet", "r", "c", "h", "w", "dynamic", "affine", "err")

    def __init__(self, sheet, r, c, h: int, w: int, dynamic: bool = False, affine: bool = False,
                 err: np.ndarray | None = None):
        self.sheet, self.r, self.c, self.h, self.w = sheet, r, c, h, w
        self.dynamic = dynamic
        # affine: r/c arrays are the batch rows/cols plus a constant, so a
        # rectangle batch can read them as contiguous slices
        self.affine = affine
        # err: batch-shaped error codes (0 = fine) for elements whose reference
        # could not be formed (an OFFSET past the sheet's edge); r/c are valid
        # placeholders there
        self.err = err

    def __repr__(self) -> str:
        return f"RefVal({self.sheet.name}, r={self.r!r}, c={self.c!r}, {self.h}x{self.w})"


def _uniform(x) -> bool:
    return isinstance(x, (int, np.integer))


def deref(ref: RefVal, batch: Batch, engine) -> Arr:
    """Every cell of every rectangle: shape batch + (h, w) (size-1 batch
    dimensions where the rectangle is the same for all)."""
    if ref.err is not None:
        return with_errors(deref(RefVal(ref.sheet, ref.r, ref.c, ref.h, ref.w, ref.dynamic, ref.affine),
                                 batch, engine), ref.err[..., None, None])
    h, w = ref.h, ref.w
    if ref.dynamic:
        engine.ensure_rects(ref, batch)
    grid = ref.sheet.vals
    R, C = grid.num.shape
    nd = batch.ndim
    if not (_uniform(ref.r) and _uniform(ref.c)) and np.size(ref.r) == 1 and np.size(ref.c) == 1:
        ref = RefVal(ref.sheet, int(np.asarray(ref.r).flat[0]), int(np.asarray(ref.c).flat[0]), h, w,
                     ref.dynamic, ref.affine)         # one rectangle for the whole batch
    if _uniform(ref.r) and _uniform(ref.c):
        r, c = int(ref.r), int(ref.c)
        if r < 0 or c < 0 or r + h > MAX_ROWS or c + w > MAX_COLS:
            return error(E_REF, (1,) * nd + (1, 1))
        if r + h <= R and c + w <= C:
            return _finish(grid, (slice(r, r + h), slice(c, c + w)), grid.num[r:r + h, c:c + w],
                           grid.kind[r:r + h, c:c + w], grid.obj[r:r + h, c:c + w], (1,) * nd + (h, w))
        return _past_the_grid(grid, r, c, h, w, nd)
    if ref.affine and batch.rect is not None and not ref.dynamic:
        view = _window_view(ref, batch, grid)
        if view is not None:
            return view
    return _gather(ref, batch, grid)


# A rectangle reaching past the cells a sheet holds (A:A, 1:1 are 1,048,576
# rows and 16,384 columns) is read at its full size, the cells beyond the grid
# empty, up to this many cells; a bigger one (A:Z, a whole sheet: 17 billion
# cells) reads as the part inside the grid -- all that aggregates, look-ups
# and criteria see anyway -- and is never materialised.
FULL_SIZE_CELLS = 1 << 24


def _past_the_grid(grid, r: int, c: int, h: int, w: int, nd: int) -> Arr:
    R, C = grid.num.shape
    inside_h, inside_w = max(min(R - r, h), 0), max(min(C - c, w), 0)
    if h * w > FULL_SIZE_CELLS:
        h, w = max(inside_h, 1), max(inside_w, 1)
    num = np.zeros((h, w))
    kind = np.zeros((h, w), np.uint8)
    obj = None
    if inside_h and inside_w:
        part = (slice(r, r + inside_h), slice(c, c + inside_w))
        num[:inside_h, :inside_w] = grid.num[part]
        kind[:inside_h, :inside_w] = grid.kind[part]
        if (grid.kind[part] == STR).any():
            obj = np.empty((h, w), object)
            obj[:inside_h, :inside_w] = grid.obj[part]
    shape = (1,) * nd + (h, w)
    return Arr(num.reshape(shape), kind.reshape(shape), None if obj is None else obj.reshape(shape))


def _finish(grid, region, num, kind, obj, shape) -> Arr:
    """Wrap views; drop the kind array when the region read is all numbers."""
    kreg = grid.kind[region]
    if kreg.size and kreg.min() == NUM and kreg.max() == NUM:
        return Arr(num.reshape(shape))
    has_text = bool((kreg == STR).any())
    return Arr(num.reshape(shape), kind.reshape(shape), obj.reshape(shape) if has_text else None)


def _span(x, n: int) -> tuple[int, int] | None:
    """(first, count) of an affine index: an int, or an array of consecutive values."""
    if _uniform(x):
        return int(x), 1
    flat = np.asarray(x).ravel()
    return int(flat[0]), n


def _window_view(ref: RefVal, batch: Batch, grid) -> Arr | None:
    """Zero-copy read for a rectangle batch: each cell's h x w window is a
    sliding-window view of the grid."""
    r0, c0, bh, bw = batch.rect
    R, C = grid.num.shape
    rs = _span(ref.r, bh)
    cs = _span(ref.c, bw)
    (rf, rn), (cf, cn) = rs, cs
    h, w = ref.h, ref.w
    if rf < 0 or cf < 0 or rf + rn - 1 + h > R or cf + cn - 1 + w > C:
        return None
    region = (slice(rf, rf + rn - 1 + h), slice(cf, cf + cn - 1 + w))
    rsel = slice(rf, rf + rn)
    csel = slice(cf, cf + cn)
    shape = (rn, cn, h, w)
    if h == 1 and w == 1:
        pick = lambda a: a[rsel, csel][:, :, None, None]  # noqa: E731
    else:
        pick = lambda a: sliding_window_view(a, (h, w))[rsel, csel]  # noqa: E731
    kreg = grid.kind[region]
    if kreg.min() == NUM and kreg.max() == NUM:
        return Arr(pick(grid.num).reshape(shape))
    has_text = bool((kreg == STR).any())
    return Arr(pick(grid.num).reshape(shape), pick(grid.kind).reshape(shape),
               pick(grid.obj).reshape(shape) if has_text else None)


def _gather(ref: RefVal, batch: Batch, grid) -> Arr:
    """General read by index, with blanks beyond the stored grid and #REF! for
    rectangles that fall off the sheet.  Bounds are checked on the (small)
    row and column index arrays, and kinds are only gathered when the region
    read holds anything but numbers."""
    h, w = ref.h, ref.w
    r = np.asarray(ref.r, dtype=np.int64)
    c = np.asarray(ref.c, dtype=np.int64)
    if r.ndim == 0 and c.ndim == 0:
        r = r.reshape((1,) * batch.ndim)
        c = c.reshape((1,) * batch.ndim)
    R, C = grid.num.shape
    copies = int(np.prod(np.broadcast_shapes(r.shape, c.shape)))
    if copies * h * w > FULL_SIZE_CELLS and (int(r.min()) + h > R or int(c.min()) + w > C):
        # whole rows or columns per cell: the parts inside the grid (see FULL_SIZE_CELLS)
        h = max(min(h, R - int(r.min())), 1)
        w = max(min(w, C - int(c.min())), 1)
    limits.require_cells(copies * h * w, f"reading {h:,} x {w:,} cells" + (f" for each of {copies:,} cells"
                                                                        if copies > 1 else ""), bytes_per_cell=40)
    rmin, rmax, cmin, cmax = int(r.min()), int(r.max()) + h - 1, int(c.min()), int(c.max()) + w - 1
    r4 = r[..., None, None] + np.arange(h)[:, None]
    c4 = c[..., None, None] + np.arange(w)[None, :]
    if rmin >= 0 and cmin >= 0 and rmax < R and cmax < C:
        flat = r4 * C + c4                       # broadcasts to batch + (h, w)
        region = (slice(rmin, rmax + 1), slice(cmin, cmax + 1))
        kreg = grid.kind[region]
        num = np.take(grid.num.reshape(-1), flat)
        if kreg.min() == NUM and kreg.max() == NUM:
            return Arr(num)
        kind = np.take(grid.kind.reshape(-1), flat)
        obj = np.take(grid.obj.reshape(-1), flat) if (kreg == STR).any() else None
        return Arr(num, kind, obj)
    rr, cc = np.broadcast_arrays(r4, c4)
    inside = (rr >= 0) & (cc >= 0) & (rr < R) & (cc < C)
    ri, ci = np.where(inside, rr, 0), np.where(inside, cc, 0)
    num = np.where(inside, grid.num[ri, ci], 0.0)
    kind = np.where(inside, grid.kind[ri, ci], 0).astype(np.uint8)
    obj = np.where(inside, grid.obj[ri, ci], None) if (kind == STR).any() else None
    off_sheet = (r < 0) | (c < 0) | (r + h > MAX_ROWS) | (c + w > MAX_COLS)
    if off_sheet.any():
        off = np.broadcast_to(off_sheet[..., None, None], kind.shape)
        kind = np.where(off, E_REF, kind).astype(np.uint8)
        num = np.where(off, 0.0, num)
    if kind.min() == NUM and kind.max() == NUM:
        return Arr(num)
    return Arr(num, kind, obj)


def intersect(ref: RefVal, batch: Batch, engine) -> Arr:
    """A reference used where one value is expected (outside array formulas):
    a single cell is itself; a one-column range gives the cell in the formula's
    own row, a one-row range the cell in its column (Excel's implicit
    intersection); anything else is #VALUE!."""
    if ref.err is not None:
        plain = RefVal(ref.sheet, ref.r, ref.c, ref.h, ref.w, ref.dynamic, ref.affine)
        return with_errors(intersect(plain, batch, engine), ref.err[..., None, None])
    h, w = ref.h, ref.w
    if h == 1 and w == 1:
        return deref(ref, batch, engine)
    if w == 1:
        rows = np.broadcast_to(batch.rows, batch.shape)
        inside = (rows >= ref.r) & (rows < np.asarray(ref.r) + h)
        picked = RefVal(ref.sheet, np.where(inside, rows, ref.r), ref.c, 1, 1, ref.dynamic)
        return _mask_value(deref(picked, batch, engine), inside)
    if h == 1:
        cols = np.broadcast_to(batch.cols, batch.shape)
        inside = (cols >= ref.c) & (cols < np.asarray(ref.c) + w)
        picked = RefVal(ref.sheet, ref.r, np.where(inside, cols, ref.c), 1, 1, ref.dynamic)
        return _mask_value(deref(picked, batch, engine), inside)
    return error(E_VALUE, (1,) * batch.ndim + (1, 1))


def _mask_value(a: Arr, inside: np.ndarray) -> Arr:
    inside = inside[..., None, None]
    if inside.all():
        return a
    shape = np.broadcast_shapes(a.shape, inside.shape)
    kind = np.where(inside, np.broadcast_to(a.kinds(), shape), E_VALUE).astype(np.uint8)
    num = np.where(inside, np.broadcast_to(a.num, shape), 0.0)
    obj = None if a.obj is None else np.where(inside, np.broadcast_to(a.obj, shape), None)
    return Arr(num, kind, obj)
