"""Where the values of active cells live while the Solver replay runs, and
how references read them.

Each group of active cells is one *source*: a changing-cell area (a view of
the optimiser's x) or one active block (its cells in the order the block is
evaluated: row-major for a filled rectangle or an array formula).  A source
holds one flat tensor per evaluation -- nothing the size of a sheet is ever
built or copied.

A reference is compiled once, the first time it is read, into a *gather*
that does the least work its index pattern allows:

* every cell constant: the engine's values, read once;
* exactly a whole source, in order: a reshape (no copy);
* anything else in one source (an embedding look-up: OFFSET into a factor
  table): one ``index_select``;
* several sources and constants: one ``cat`` and one ``index_select``;
* sources still being filled cell by cell (recurrences): a stack of cells.
"""

from __future__ import annotations

import numpy as np

from ..errors import ERR_BASE
from ..store import NUM
from .active import Unsupported

try:
    import torch
except ImportError:          # the solver then uses finite differences
    torch = None


class TVal:
    """A batch of numeric values: tensor of shape batch + (h, w), the
    (constant) kinds as a numpy array (None: all numbers), and whether the
    values are the same at every evaluation (`const`)."""

    __slots__ = ("t", "kind", "const", "memo")

    def __init__(self, t, kind=None, const: bool = False):
        self.t, self.kind, self.const = t, kind, const
        self.memo = None

    @property
    def hw(self):
        return tuple(self.t.shape[-2:])

    def cached(self, tag: str, make):
        """Something derived from a constant value, computed once."""
        if self.memo is None:
            self.memo = {}
        hit = self.memo.get(tag)
        if hit is None:
            hit = self.memo[tag] = make()
        return hit


class Source:
    """One group of active cells: (rows, cols) on `sheet` in source order."""

    __slots__ = ("sheet", "rows", "cols", "base", "cellwise", "value", "cells")

    def __init__(self, sheet: int, rows: np.ndarray, cols: np.ndarray, base: int, cellwise: bool = False):
        self.sheet, self.rows, self.cols, self.base = sheet, rows, cols, base
        self.cellwise = cellwise
        self.value = None           # flat tensor (whole-block sources)
        self.cells = None           # list of 0-d tensors (cellwise sources)

    @property
    def size(self) -> int:
        return len(self.rows)


def block_cells(b) -> tuple[np.ndarray, np.ndarray]:
    """A block's cells in the order its evaluation produces them."""
    if b.array is not None:
        a = b.array
        rr, cc = np.mgrid[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
        return rr.ravel(), cc.ravel()
    if b.rect is not None:
        r0, c0, bh, bw = b.rect
        rr, cc = np.mgrid[r0:r0 + bh, c0:c0 + bw]
        return rr.ravel(), cc.ravel()
    return np.asarray(b.rows, np.int64), np.asarray(b.cols, np.int64)


class CellSpace:
    def __init__(self, engine, variables, part, device):
        self.engine = engine
        self.device = device
        self.sources: list[Source] = []
        self.by_block: dict[int, Source] = {}
        self.variable_sources: list[tuple[Source, int]] = []     # (source, offset in x)
        self.code = {}            # sheet -> int64 grid: -1 constant, else base + position in its source
        cellwise_blocks = {bid for bid, pos in part.schedule if pos >= 0}
        offset = 0
        for v in variables:
            a = v.area
            rr, cc = np.mgrid[a.r0:a.r1 + 1, a.c0:a.c1 + 1]
            src = self._add(v.sheet, rr.ravel(), cc.ravel())
            self.variable_sources.append((src, offset))
            offset += a.size
        for bid in sorted(part.ids):
            b = engine.blocks[bid]
            rows, cols = block_cells(b)
            src = self._add(b.sheet, rows, cols, cellwise=bid in cellwise_blocks)
            self.by_block[bid] = src
        self._bases = np.array([s.base for s in self.sources], dtype=np.int64)

    def _add(self, sheet, rows, cols, cellwise=False) -> Source:
        base = self.sources[-1].base + self.sources[-1].size if self.sources else 0
        src = Source(sheet, rows.astype(np.int64), cols.astype(np.int64), base, cellwise)
        grid = self.code.get(sheet)
        if grid is None:
            grid = self.code[sheet] = np.full(self.engine.sheets[sheet].vals.num.shape, -1, dtype=np.int64)
        grid[src.rows, src.cols] = base + np.arange(len(rows), dtype=np.int64)
        self.sources.append(src)
        return src

    # --- one evaluation -----------------------------------------------------------------------

    def start(self, xt) -> None:
        """A new evaluation at x (a flat tensor)."""
        for src, offset in self.variable_sources:
            src.value = xt[offset:offset + src.size]
        for src in self.by_block.values():
            src.value = None
            if src.cellwise:
                src.cells = [None] * src.size

    def write_block(self, bid: int, flat) -> None:
        src = self.by_block[bid]
        if src.cellwise:
            src.cells = list(flat.unbind())
        else:
            src.value = flat

    def write_cell(self, bid: int, r: int, c: int, value) -> None:
        src = self.by_block[bid]
        src.cells[int(self.code[src.sheet][r, c]) - src.base] = value

    # --- compiled reads -----------------------------------------------------------------------

    def gather(self, sheet: int, r4: np.ndarray, c4: np.ndarray):
        """A gather for the cells (r4, c4) (broadcast to one index array)."""
        sheet_state = self.engine.sheets[sheet]
        R, C = sheet_state.vals.num.shape
        if r4.min() < 0 or c4.min() < 0 or r4.max() >= R or c4.max() >= C:
            raise Unsupported("a reference outside the calculated area")
        rr, cc = np.broadcast_arrays(r4, c4)
        shape = rr.shape
        grid = self.code.get(sheet)
        codes = grid[rr, cc] if grid is not None else np.full(shape, -1, np.int64)
        active = codes >= 0
        kind = sheet_state.vals.kind[rr, cc]
        kind = np.where(active, NUM, kind).astype(np.uint8)
        if (kind >= ERR_BASE).any():
            raise Unsupported("an error value on the way to the objective")
        kind = None if (kind == NUM).all() else kind
        if not active.any():
            num = np.ascontiguousarray(sheet_state.vals.num[rr, cc], dtype=np.float64)
            return _Constant(TVal(self.tensor(num), kind, const=True))
        which = np.searchsorted(self._bases, codes, side="right") - 1
        used = np.unique(which[active])
        if len(used) == 1 and active.all():
            src = self.sources[int(used[0])]
            local = codes - src.base
            if src.cellwise:
                return _Cells([(src, int(i)) for i in local.ravel()], shape, kind, self.device)
            return _one_source(src, local, shape, kind, self.device)
        num = sheet_state.vals.num[rr, cc]
        srcs = [self.sources[int(i)] for i in used]
        if any(s.cellwise for s in srcs):
            items = [(self.sources[int(w)], int(k) - self.sources[int(w)].base) if a else float(v)
                     for a, w, k, v in zip(active.ravel(), which.ravel(), codes.ravel(), num.ravel())]
            return _Cells(items, shape, kind, self.device)
        # one vector: [constants read | source 1 | source 2 ...], indexed once
        consts = num[~active]
        index = np.empty(shape, dtype=np.int64)
        index[~active] = np.arange(consts.size)
        start = consts.size
        for s in srcs:
            sel = active & (which == self.sources.index(s))
            index[sel] = codes[sel] - s.base + start
            start += s.size
        return _Mixed(self.tensor(np.ascontiguousarray(consts, dtype=np.float64)), srcs,
                      self.index_tensor(index.ravel()), shape, kind)

    def tensor(self, a: np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(self.device)

    def index_tensor(self, a: np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)).to(self.device)

    def mismatch(self, rtol: float, atol: float) -> str | None:
        """The first active cell whose replayed value differs from the engine's, as text."""
        for bid, src in self.by_block.items():
            if src.cellwise:
                if any(c is None for c in src.cells):
                    continue
                got = torch.stack(src.cells).detach().cpu().numpy()
            else:
                got = src.value.detach().cpu().numpy()
            want = self.engine.sheets[src.sheet].vals.num[src.rows, src.cols]
            bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                return f"{got[i]!r} vs {want[i]!r}"
        return None


def _one_source(src: Source, local: np.ndarray, shape, kind, device):
    flat = local.ravel()
    if flat.size == src.size and np.array_equal(flat, np.arange(src.size)):
        return _View(src, shape, kind)
    # (measured: a 1-D index_select of elements is as fast as selecting whole
    # rows of a 2-D view, forward and backward, and about 3x nn.Embedding's)
    return _Elements(src, torch.from_numpy(np.ascontiguousarray(flat)).to(device), shape, kind)


class _Constant:
    __slots__ = ("val",)

    def __init__(self, val: TVal):
        self.val = val

    def read(self) -> TVal:
        return self.val


class _View:
    __slots__ = ("src", "shape", "kind")

    def __init__(self, src, shape, kind):
        self.src, self.shape, self.kind = src, shape, kind

    def read(self) -> TVal:
        return TVal(self.src.value.reshape(self.shape), self.kind)


class _Elements:
    __slots__ = ("src", "index", "shape", "kind")

    def __init__(self, src, index, shape, kind):
        self.src, self.index, self.shape, self.kind = src, index, shape, kind

    def read(self) -> TVal:
        return TVal(self.src.value.index_select(0, self.index).reshape(self.shape), self.kind)


class _Mixed:
    __slots__ = ("consts", "srcs", "index", "shape", "kind")

    def __init__(self, consts, srcs, index, shape, kind):
        self.consts, self.srcs, self.index, self.shape, self.kind = consts, srcs, index, shape, kind

    def read(self) -> TVal:
        flat = torch.cat([self.consts] + [s.value for s in self.srcs])
        return TVal(flat.index_select(0, self.index).reshape(self.shape), self.kind)


class _Cells:
    """Cells of sources filled one cell at a time (or constants), stacked."""

    __slots__ = ("items", "shape", "kind", "device", "_consts")

    def __init__(self, items, shape, kind, device):
        self.items, self.shape, self.kind, self.device = items, shape, kind, device
        self._consts = {}

    def read(self) -> TVal:
        parts = []
        for item in self.items:
            if isinstance(item, float):
                t = self._consts.get(item)
                if t is None:
                    t = self._consts[item] = torch.tensor(item, dtype=torch.float64, device=self.device)
                parts.append(t)
                continue
            src, i = item
            cell = src.cells[i] if src.cellwise else src.value[i]
            if cell is None:
                raise Unsupported("a cell read before the replay computed it")
            parts.append(cell)
        return TVal(torch.stack(parts).reshape(self.shape), self.kind)
