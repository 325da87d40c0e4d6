"""MMULT and SUMPRODUCT over whole blocks in torch, without per-cell graphs.

Values are tensors of shape batch + (h, w) (cells.TVal).  Two shapes of
filled block get a single matrix product instead of one small product per
cell:

* the crosstab pattern -- ``MMULT($B25:$F25, H$19:H$23)`` or
  ``SUMPRODUCT`` of a row that varies down and a column that varies across,
  filled over a users x movies rectangle: ``U @ M`` once;
* a constant, mostly-zero operand -- the one-hot blocks of movielens_1hot --
  is multiplied as a sparse matrix (``torch.sparse.mm``): the cost follows
  the ones, not the users x movies zeros.
"""

from __future__ import annotations

try:
    import torch
except ImportError:
    torch = None

#: A constant operand is multiplied as a sparse matrix when it has at least
#: this many elements and at most this fraction of them are non-zero.
SPARSE_MIN_SIZE = 4096
SPARSE_MAX_DENSITY = 0.05


def matmul(a, b):
    """MMULT(a, b) of two TVals: batch + (h, k) @ batch + (k, w)."""
    ta, tb = a.t, b.t
    outer = _outer(ta, tb)
    if outer is not None:
        return outer
    if ta.dim() >= 2 and all(n == 1 for n in ta.shape[:-2]) and all(n == 1 for n in tb.shape[:-2]):
        lead = (1,) * max(ta.dim() - 2, tb.dim() - 2)
        A, B = ta.reshape(ta.shape[-2:]), tb.reshape(tb.shape[-2:])
        if a.const and _sparse_worthy(a):
            return torch.sparse.mm(_sparse(a), B).reshape(lead + (A.shape[0], B.shape[1]))
        if b.const and _sparse_worthy(b):
            # A @ S == (S^T @ A^T)^T
            return torch.sparse.mm(_sparse(b, transpose=True), A.T).T.reshape(lead + (A.shape[0], B.shape[1]))
        return (A @ B).reshape(lead + (A.shape[0], B.shape[1]))
    return torch.matmul(ta, tb)


def sumproduct(vals):
    """SUMPRODUCT of TVals (non-numbers already zeroed): sum over (h, w) of
    the elementwise product, shape batch + (1, 1)."""
    if len(vals) == 2:
        ta, tb = vals[0].t, vals[1].t
        if ta.dim() == 4 and tb.dim() == 4 and ta.shape[-2:] == tb.shape[-2:]:
            h, w = ta.shape[-2:]
            # a row of factors down, a column across: an outer structure, one product
            flat_a = ta.reshape(ta.shape[0], ta.shape[1], 1, h * w)
            flat_b = tb.reshape(tb.shape[0], tb.shape[1], h * w, 1)
            outer = _outer(flat_a, flat_b)
            if outer is not None:
                return outer
    prod = vals[0].t
    for v in vals[1:]:
        prod = prod * v.t
    return prod.sum(dim=(-2, -1), keepdim=True)


def _outer(ta, tb):
    """(P, 1, 1, k) @ (1, Q, k, 1) -> (P, Q, 1, 1) as one (P x k) @ (k x Q)
    product (and the transposed arrangement); None for other shapes."""
    if ta.dim() != 4 or tb.dim() != 4 or ta.shape[-2] != 1 or tb.shape[-1] != 1:
        return None
    (pa, qa, _, k), (pb, qb, kb, _) = ta.shape, tb.shape
    if k != kb:
        return None
    if qa == 1 and pb == 1 and pa > 1 and qb > 1:
        return (ta[:, 0, 0, :] @ tb[0, :, :, 0].T)[:, :, None, None]
    if pa == 1 and qb == 1 and qa > 1 and pb > 1:
        return (tb[:, 0, :, 0] @ ta[0, :, 0, :].T)[:, :, None, None]
    return None


def _sparse_worthy(v) -> bool:
    def decide():
        t = v.t
        n = t.numel()
        return n >= SPARSE_MIN_SIZE and int((t != 0).sum()) <= SPARSE_MAX_DENSITY * n
    return v.cached("sparse?", decide)


def _sparse(v, transpose: bool = False):
    def make():
        m = v.t.reshape(v.t.shape[-2:])
        return (m.T if transpose else m).contiguous().to_sparse().coalesce()
    return v.cached("sparse-T" if transpose else "sparse", make)
