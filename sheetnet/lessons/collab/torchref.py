"""Collaborative filtering in idiomatic PyTorch: embeddings, the dot-product
model with biases, and its training loop.

The lesson's point, in torch terms: multiplying a one-hot matrix by a weight
matrix *is* indexing into it, which is what ``nn.Embedding`` does without
building the one-hot matrix::

    F.one_hot(idx, n).to(W.dtype) @ W   ==   W[idx]   ==   nn.Embedding.from_pretrained(W)(idx)

The model is the sheets' ``dotprod``/``bias`` model::

    pred[u, m] = U[u] . M[m] + bu[u] + bm[m]              (bias=True)
    pred       = lo + (hi - lo) * sigmoid(pred)           (y_range=(lo, hi))

Every function takes plain numpy arrays (or lists) and returns numpy arrays,
so ``sheetnet crosscheck`` can compare them with the sheet and the mirror.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...devices import as_tensor, require_torch, resolve_device, resolve_dtype, to_numpy

torch = require_torch()
nn = torch.nn
F = torch.nn.functional


# --------------------------------------------------------------------------- embeddings

def _index(idx, device):
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        if not np.all(np.equal(np.mod(idx, 1), 0)):
            raise ValueError("indices must be whole numbers")
        idx = idx.astype(np.int64)
    return torch.as_tensor(idx.astype(np.int64), device=device)


def one_hot_matmul(idx, weights, device="cpu", dtype="float64") -> np.ndarray:
    """``F.one_hot(idx) @ W``: the sheets' ``movielens_1hot`` activations (``MMULT(onehot, W)``)."""
    device = resolve_device(device)
    W = as_tensor(weights, device, dtype)
    onehot = F.one_hot(_index(idx, device), num_classes=W.shape[0]).to(W.dtype)
    return to_numpy(onehot @ W)


def embedding_lookup(idx, weights, device="cpu", dtype="float64") -> np.ndarray:
    """``nn.Embedding`` holding ``W``: the sheets' ``movielens_emb`` activations (``OFFSET`` look-ups)."""
    device = resolve_device(device)
    W = as_tensor(weights, device, dtype)
    emb = nn.Embedding.from_pretrained(W, freeze=True)
    return to_numpy(emb(_index(idx, device)))


def index_lookup(idx, weights, device="cpu", dtype="float64") -> np.ndarray:
    """Plain tensor indexing ``W[idx]`` (what ``nn.Embedding`` does underneath)."""
    device = resolve_device(device)
    W = as_tensor(weights, device, dtype)
    return to_numpy(W[_index(idx, device)])


# --------------------------------------------------------------------------- the model

def sigmoid_range(x, lo: float, hi: float):
    """``lo + (hi - lo) * sigmoid(x)``: predictions squeezed into (lo, hi)."""
    return torch.sigmoid(x) * (hi - lo) + lo


class DotProductBias(nn.Module):
    """``pred = U[u] . M[m] (+ bu[u] + bm[m]) (-> sigmoid_range(lo, hi))``.

    ``bias=False`` is the sheets' ``dotprod`` model, ``bias=True`` their
    ``bias`` model, ``y_range=(0, 5.5)`` the lesson notebook's.  Weights start
    as N(0, 0.01^2): with N(0, 1) (nn.Embedding's default) and 40 factors the
    first dot products would be ~6 and saturate the sigmoid.
    """

    def __init__(self, n_users: int, n_items: int, n_factors: int, y_range=None, bias: bool = True,
                 init_std: float = 0.01, generator=None):
        super().__init__()
        self.user_factors = nn.Embedding(n_users, n_factors)
        self.item_factors = nn.Embedding(n_items, n_factors)
        self.bias = bias
        if bias:
            self.user_bias = nn.Embedding(n_users, 1)
            self.item_bias = nn.Embedding(n_items, 1)
        self.y_range = None if y_range is None else (float(y_range[0]), float(y_range[1]))
        with torch.no_grad():
            for emb in self.embeddings():
                emb.weight.normal_(0.0, init_std, generator=generator)

    def embeddings(self):
        yield self.user_factors
        yield self.item_factors
        if self.bias:
            yield self.user_bias
            yield self.item_bias

    @classmethod
    def from_arrays(cls, user_factors, item_factors, user_bias=None, item_bias=None, y_range=None,
                    device="cpu", dtype="float64") -> "DotProductBias":
        """A model holding given weights (``user_factors`` n_users x k, ``item_factors`` n_items x k)."""
        device, dtype = resolve_device(device), resolve_dtype(dtype)
        U = np.asarray(user_factors, dtype=np.float64)
        M = np.asarray(item_factors, dtype=np.float64)
        if U.ndim != 2 or M.ndim != 2 or U.shape[1] != M.shape[1]:
            raise ValueError(f"factor shapes {U.shape} and {M.shape} do not share a factor dimension")
        bias = user_bias is not None or item_bias is not None
        model = cls(U.shape[0], M.shape[0], U.shape[1], y_range=y_range, bias=bias).to(device, dtype)
        with torch.no_grad():
            model.user_factors.weight.copy_(as_tensor(U, device, dtype))
            model.item_factors.weight.copy_(as_tensor(M, device, dtype))
            if bias:
                ub = np.zeros(U.shape[0]) if user_bias is None else np.asarray(user_bias, np.float64)
                mb = np.zeros(M.shape[0]) if item_bias is None else np.asarray(item_bias, np.float64)
                model.user_bias.weight.copy_(as_tensor(ub.reshape(-1, 1), device, dtype))
                model.item_bias.weight.copy_(as_tensor(mb.reshape(-1, 1), device, dtype))
        return model

    def forward(self, users, items):
        pred = (self.user_factors(users) * self.item_factors(items)).sum(dim=1)
        if self.bias:
            pred = pred + self.user_bias(users).squeeze(1) + self.item_bias(items).squeeze(1)
        if self.y_range is not None:
            pred = sigmoid_range(pred, *self.y_range)
        return pred


def predict(user_factors, item_factors, users, items, user_bias=None, item_bias=None, y_range=None,
            device="cpu", dtype="float64") -> np.ndarray:
    """Predictions for (user index, item index) pairs from given weights."""
    model = DotProductBias.from_arrays(user_factors, item_factors, user_bias, item_bias, y_range,
                                       device=device, dtype=dtype)
    dev = next(model.parameters()).device
    with torch.no_grad():
        return to_numpy(model(_index(users, dev), _index(items, dev)))


def crosstab_predictions(ratings, user_factors, item_factors, user_bias=None, item_bias=None,
                         mask_blank: bool = True, device="cpu", dtype="float64") -> np.ndarray:
    """The sheets' prediction block over a users x items crosstab.

    ``ratings`` is users x items with NaN for blank cells.  Both sheets write
    ``IF(rating="", 0, MMULT(user row, movie column))`` and ``bias`` adds
    ``+ movie bias + user bias`` outside the IF, so with ``mask_blank`` (the
    default) a blank cell predicts 0 plus the biases; ``mask_blank=False``
    predicts everywhere.  ``item_factors`` is items x k (the sheet stores it
    transposed, k x items).
    """
    device = resolve_device(device)
    R = np.asarray(ratings, dtype=np.float64)
    U = as_tensor(user_factors, device, dtype)
    M = as_tensor(item_factors, device, dtype)
    if U.ndim != 2 or M.ndim != 2 or U.shape[1] != M.shape[1] or (U.shape[0], M.shape[0]) != R.shape:
        raise ValueError(f"shapes do not fit: ratings {R.shape}, user factors {tuple(U.shape)}, "
                         f"item factors {tuple(M.shape)}")
    pred = U @ M.T
    if mask_blank:
        pred = torch.where(torch.as_tensor(np.isnan(R), device=device), torch.zeros_like(pred), pred)
    if item_bias is not None:           # the sheet's order: (dot + movie bias) + user bias
        pred = pred + as_tensor(np.ravel(item_bias), device, dtype)[None, :]
    if user_bias is not None:
        pred = pred + as_tensor(np.ravel(user_bias), device, dtype)[:, None]
    return to_numpy(pred)


def crosstab_rmse(ratings, predictions, device="cpu", dtype="float64") -> float:
    """``SQRT(SUMXMY2(ratings, preds)/COUNT(ratings))``: RMSE over the observed (non-NaN) ratings."""
    device = resolve_device(device)
    R = as_tensor(ratings, device, dtype)
    P = as_tensor(predictions, device, dtype)
    seen = ~torch.isnan(R)
    return float(torch.sqrt(F.mse_loss(P[seen], R[seen])))


def rmse(predictions, targets, device="cpu", dtype="float64") -> float:
    """``sqrt(mean((pred - target)^2))`` with ``F.mse_loss``."""
    device = resolve_device(device)
    return float(torch.sqrt(F.mse_loss(as_tensor(predictions, device, dtype), as_tensor(targets, device, dtype))))


def fit_crosstab(ratings, n_factors: int = 5, bias: bool = False, steps: int = 3000, lr: float = 0.05,
                 seed: int = 0, device="cpu", dtype="float64") -> tuple[DotProductBias, float]:
    """What Excel Solver does on the ``dotprod``/``bias`` sheets, with ``torch.optim.Adam``:
    full-batch minimisation of the RMSE over the observed ratings from a small
    random start.  Returns the model and its final RMSE."""
    device, dtype = resolve_device(device), resolve_dtype(dtype)
    R = np.asarray(ratings, dtype=np.float64)
    u, m = np.nonzero(~np.isnan(R))
    target = as_tensor(R[u, m], device, dtype)
    users, items = _index(u, device), _index(m, device)
    gen = torch.Generator().manual_seed(seed)
    model = DotProductBias(R.shape[0], R.shape[1], n_factors, bias=bias, init_std=0.3, generator=gen)
    model = model.to(device, dtype)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = torch.sqrt(F.mse_loss(model(users, items), target))
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = float(torch.sqrt(F.mse_loss(model(users, items), target)))
    return model, final


# --------------------------------------------------------------------------- training at scale

@dataclass
class EpochResult:
    epoch: int
    train_mse: float        # mean squared error over the epoch's training batches (as seen while training)
    valid_mse: float        # MSE on the validation set after the epoch
    seconds: float          # wall time of the epoch (training + validation)

    def to_json(self) -> dict:
        return {"epoch": self.epoch, "train_mse": self.train_mse, "valid_mse": self.valid_mse,
                "seconds": self.seconds}


@dataclass
class FitResult:
    model: DotProductBias
    epochs: list[EpochResult] = field(default_factory=list)


def fit(model: DotProductBias, train: tuple, valid: tuple, epochs: int = 5, lr: float = 5e-3, wd: float = 0.1,
        batch_size: int = 64, one_cycle: bool = True, pct_start: float = 0.25, seed: int = 0,
        on_batch=None, on_epoch=None) -> FitResult:
    """Train ``model`` on ``train = (users, items, ratings)`` tensors with AdamW
    (decoupled weight decay ``wd``, as the lesson's library applies it) and,
    by default, a one-cycle learning-rate schedule peaking at ``lr``
    (``OneCycleLR``: warm-up over the first ``pct_start`` of the steps from
    lr/25, cosine annealing to lr/25e4, beta1 cycled 0.95 -> 0.85 -> 0.95).

    ``on_batch(n_rows, batch_loss)`` and ``on_epoch(EpochResult)`` are called
    as training proceeds (a progress bar, a table).  Batches are shuffled with
    a generator seeded by ``seed``: the same seed gives the same numbers on the
    same device.
    """
    users, items, ratings = train
    v_users, v_items, v_ratings = valid
    n = len(ratings)
    if n == 0:
        raise ValueError("no training ratings")
    steps_per_epoch = math.ceil(n / batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd, betas=(0.9, 0.99))
    sched = None
    if one_cycle:
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                                    pct_start=_warmup_share(pct_start, epochs * steps_per_epoch),
                                                    base_momentum=0.85, max_momentum=0.95)
    gen = torch.Generator().manual_seed(seed)
    result = FitResult(model)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=gen).to(ratings.device)
        total = torch.zeros((), dtype=torch.float64, device=ratings.device)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            pred = model(users[batch], items[batch])
            loss = F.mse_loss(pred, ratings[batch])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total += loss.detach().double() * len(batch)
            if on_batch is not None:
                on_batch(len(batch), loss)
        train_mse = float(total) / n
        valid_mse = evaluate_mse(model, v_users, v_items, v_ratings)
        res = EpochResult(epoch, train_mse, valid_mse, time.perf_counter() - t0)
        result.epochs.append(res)
        if on_epoch is not None:
            on_epoch(res)
    return result


def _warmup_share(pct_start: float, total_steps: int) -> float:
    """OneCycleLR's warm-up ends at step pct_start * total_steps - 1 and its
    annealing at step total_steps - 1; torch divides by zero when either
    phase is empty: a warm-up ending at step 0 (0.25 of 4 steps) or one
    taking every step (all 2 of 2).  A warm-up that short is stretched to
    end at step 1 (half way, at step 0.5, when there are only 2 steps)."""
    if total_steps >= 2 and pct_start * total_steps < 2:
        return min(2.0, total_steps - 0.5) / total_steps
    return pct_start


def evaluate_mse(model: DotProductBias, users, items, ratings, batch_size: int = 65536) -> float:
    """MSE of ``model`` on the given ratings (no gradients; nan when there are none)."""
    if len(ratings) == 0:
        return float("nan")
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(ratings), batch_size):
            sl = slice(start, start + batch_size)
            pred = model(users[sl], items[sl])
            total += float(((pred - ratings[sl]).double() ** 2).sum())
    return total / len(ratings)
