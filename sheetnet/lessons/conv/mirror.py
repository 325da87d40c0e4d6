"""The conv sheets in numpy: what each block of cells computes, in the
sheets' order of operations (so the engine's values and these agree bit for bit).

Maps are (channels, rows, cols) arrays; filters (out, in, 3, 3).  A cell's
``SUM(window*filter)`` multiplies element by element and adds the products
left to right, row by row, as a spreadsheet does; a second channel's SUM is
added after the first's.
"""

from __future__ import annotations

import numpy as np


def seq_sum(products: np.ndarray) -> np.ndarray:
    """Add over the last axis left to right: a spreadsheet's SUM / SUMPRODUCT."""
    total = products[..., 0].copy()
    for k in range(1, products.shape[-1]):
        total += products[..., k]
    return total


def conv2d(x: np.ndarray, w: np.ndarray, stride: int = 1, extra_cols: int = 0) -> np.ndarray:
    """out[o, i, j] = sum over channels c (in order) of SUM(x[c, window at (s i, s j)] * w[o, c]):
    cross-correlation with no padding, as ``F.conv2d``.  ``extra_cols`` more output columns
    read past x's right edge into blank cells (0), as the lesson's layer 2 does."""
    x = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (0, extra_cols)))
    out_c, in_c, k, _ = w.shape
    rows = (x.shape[1] - k) // stride + 1
    cols = (x.shape[2] - k) // stride + 1
    windows = np.stack([x[:, a:a + stride * (rows - 1) + 1:stride, b:b + stride * (cols - 1) + 1:stride]
                        for a in range(k) for b in range(k)], axis=-1)          # (in, rows, cols, k*k)
    out = np.empty((out_c, rows, cols))
    for o in range(out_c):
        total = None
        for c in range(in_c):
            s = seq_sum(windows[c] * w[o, c].ravel())
            total = s if total is None else total + s
        out[o] = total
    return out


def relu(x: np.ndarray) -> np.ndarray:
    """``MAX(0, x)``."""
    return np.maximum(0.0, x)


def maxpool2d(x: np.ndarray, size: int = 2) -> np.ndarray:
    """``MAX`` of each size x size window, windows side by side; a window reaching past the
    map's last column (an odd width) takes the cells it has (blank cells count for nothing)."""
    c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, (-h) % size), (0, (-w) % size)), constant_values=-np.inf)
    return padded.reshape(c, padded.shape[1] // size, size, padded.shape[2] // size, size).max(axis=(2, 4))


def dense(x: np.ndarray, w: np.ndarray) -> float:
    """``SUMPRODUCT(w1, x1) + SUMPRODUCT(w2, x2)``: one output, map by map."""
    total = None
    for m in range(x.shape[0]):
        s = float(seq_sum((w[m] * x[m]).ravel()))
        total = s if total is None else total + s
    return total


def dropout_mask(draws: np.ndarray, p: float) -> np.ndarray:
    """The dropout "filter" ``=IF(rand>(p+0.001), rand, 0)``: the draw where it is kept, else 0."""
    return np.where(draws > p + 0.001, draws, 0.0)


def dropout(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``=IF(mask=0, 0, x)``: dropped cells become 0, kept ones stay as they are (no 1/(1-p))."""
    return np.where(mask == 0, 0.0, x)


def realised_rate(mask: np.ndarray, cells: float | None = None) -> np.ndarray:
    """Per map: zeros in the mask / cells (default the map's own cell count)."""
    zeros = (mask == 0).sum(axis=(-2, -1)).astype(np.float64)
    return zeros / (mask[0].size if cells is None else cells)


def network(inputs) -> dict[str, np.ndarray]:
    """Every map of both sheets for a :class:`~.inputs.ConvInputs`: conv1, conv2, and the
    plain sheet's pooled maps and dense output; the dropout sheet's mask, kept maps,
    its own pooled maps and dense output and the realised rates."""
    wide = 1 if inputs.faithful else 0
    conv1 = relu(conv2d(inputs.image[None], inputs.filters1[:, None]))
    conv2 = relu(conv2d(conv1, inputs.filters2, inputs.stride, extra_cols=wide))
    mask = dropout_mask(inputs.draws, inputs.p)
    kept = dropout(conv2, mask)
    pool = (lambda x: maxpool2d(x)) if inputs.stride == 1 else (lambda x: x)
    return dict(conv1=conv1, conv2=conv2, pool=pool(conv2), dense=dense(pool(conv2), inputs.weights),
                mask=mask, kept=kept, pool_dropout=pool(kept), dense_dropout=dense(pool(kept), inputs.weights),
                rate=realised_rate(mask, 26 * 26 if inputs.faithful else None))
