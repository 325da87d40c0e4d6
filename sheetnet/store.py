"""Dense, growable storage of cell values: the representation every grid in
sheetnet uses (stored values in a Sheet, computed values in the engine).

A value is held in three parallel arrays so that blocks of cells can be read
and written as numpy operations:

* ``kind``  uint8 — BLANK, NUM, STR, BOOL, or an error code (>= ERR_BASE)
* ``num``   float64 — the number (0/1 for booleans, 0.0 for everything else)
* ``obj``   object — the string for STR cells, None otherwise
"""

from __future__ import annotations

import math

import numpy as np

from . import limits
from .errors import ERROR_CODES, ExcelError, error_from_code
from .refs import MAX_COLS, MAX_ROWS

BLANK, NUM, STR, BOOL = 0, 1, 2, 3


def encode(value) -> tuple[int, float, object]:
    """Python value -> (kind, num, obj)."""
    if value.__class__ is float and math.isfinite(value):
        return NUM, value, None
    if value is None:
        return BLANK, 0.0, None
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return BOOL, float(value), None
    if isinstance(value, (int, float, np.integer, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return ERROR_CODES["#NUM!"], 0.0, None
        return NUM, x, None
    if isinstance(value, str):
        return STR, 0.0, value
    if isinstance(value, ExcelError):
        return value.code, 0.0, None
    raise TypeError(f"a cell cannot hold {type(value).__name__}: {value!r}")


def decode(kind: int, num: float, obj) -> object:
    """(kind, num, obj) -> Python value: None, float, str, bool or ExcelError."""
    if kind == NUM:
        return float(num)
    if kind == BLANK:
        return None
    if kind == STR:
        return obj
    if kind == BOOL:
        return bool(num)
    return error_from_code(int(kind))


class ValueGrid:
    """A rectangle of cell values starting at A1, growing on demand."""

    __slots__ = ("num", "kind", "obj", "label")

    def __init__(self, rows: int = 0, cols: int = 0, label: str = "a sheet"):
        self.label = label          # for messages: "sheet 'dotprod'"
        self.num = np.zeros((rows, cols), dtype=np.float64)
        self.kind = np.zeros((rows, cols), dtype=np.uint8)
        self.obj = np.empty((rows, cols), dtype=object)

    @property
    def shape(self) -> tuple[int, int]:
        return self.num.shape

    def copy(self) -> "ValueGrid":
        out = ValueGrid.__new__(ValueGrid)
        out.num, out.kind, out.obj, out.label = self.num.copy(), self.kind.copy(), self.obj.copy(), self.label
        return out

    def ensure(self, rows: int, cols: int) -> None:
        """Grow (never shrink) to at least rows x cols, doubling to keep
        repeated single-cell writes cheap -- but never doubling past Excel's
        grid (one spare row and column beyond it, which the engine reads as
        blank)."""
        r0, c0 = self.num.shape
        if rows <= r0 and cols <= c0:
            return
        nr = max(rows, r0 if rows <= r0 else min(max(rows, 2 * r0), MAX_ROWS + 1))
        nc = max(cols, c0 if cols <= c0 else min(max(cols, 2 * c0), MAX_COLS + 1))
        self.resize(nr, nc)

    def resize(self, rows: int, cols: int) -> None:
        """Exactly rows x cols (cells outside are dropped).  The memory that
        takes is checked against the budget first."""
        r0, c0 = self.num.shape
        limits.require_cells(rows * cols, f"{self.label}: a grid of {rows:,} x {cols:,} cells", bytes_per_cell=17 * 2)
        keep_r, keep_c = min(rows, r0), min(cols, c0)
        num = np.zeros((rows, cols), dtype=np.float64)
        kind = np.zeros((rows, cols), dtype=np.uint8)
        obj = np.empty((rows, cols), dtype=object)
        num[:keep_r, :keep_c] = self.num[:keep_r, :keep_c]
        kind[:keep_r, :keep_c] = self.kind[:keep_r, :keep_c]
        obj[:keep_r, :keep_c] = self.obj[:keep_r, :keep_c]
        self.num, self.kind, self.obj = num, kind, obj

    def get(self, row: int, col: int):
        if row >= self.num.shape[0] or col >= self.num.shape[1]:
            return None
        return decode(self.kind[row, col], self.num[row, col], self.obj[row, col])

    def set(self, row: int, col: int, value) -> None:
        kind, num, obj = encode(value)
        self.ensure(row + 1, col + 1)
        self.kind[row, col], self.num[row, col], self.obj[row, col] = kind, num, obj

    def set_block(self, row: int, col: int, values) -> None:
        """Write a 2-D block (numpy array or nested lists) with its top-left at (row, col)."""
        arr = np.asarray(values)
        if arr.ndim == 1:
            arr = arr[None, :]
        h, w = arr.shape
        self.ensure(row + h, col + w)
        if arr.dtype.kind in "fiu":
            block = arr.astype(np.float64)
            finite = np.isfinite(block)
            self.num[row:row + h, col:col + w] = np.where(finite, block, 0.0)
            self.kind[row:row + h, col:col + w] = np.where(finite, NUM, ERROR_CODES["#NUM!"])
            self.obj[row:row + h, col:col + w] = None
            return
        for i in range(h):
            for j in range(w):
                self.set(row + i, col + j, arr[i, j].item() if hasattr(arr[i, j], "item") else arr[i, j])

    def set_cells(self, rows: np.ndarray, cols: np.ndarray, kind: np.ndarray, num: np.ndarray,
                  obj: np.ndarray | None = None) -> None:
        """Scatter many encoded values at once (the reader's and engine's bulk path)."""
        if len(rows) == 0:
            return
        self.ensure(int(rows.max()) + 1, int(cols.max()) + 1)
        self.kind[rows, cols] = kind
        self.num[rows, cols] = num
        self.obj[rows, cols] = obj if obj is not None else None
