"""Embeddings and the dot-product model in torch (sheetnet.lessons.collab.torchref):
one-hot x W == look-up == nn.Embedding, the model's predictions, training."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sheetnet.lessons.collab import torchref as collab
from sheetnet.devices import available_devices

DEVICES = available_devices()


@st.composite
def tables(draw):
    n = draw(st.integers(1, 30))
    k = draw(st.integers(1, 8))
    W = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)))
    m = draw(st.integers(0, 40))
    idx = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, n - 1)))
    if m and draw(st.booleans()):
        idx = np.concatenate([idx, idx[:3]])            # repeats, for sure
    return idx, W


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(tables())
def test_one_hot_product_is_a_lookup_exactly(device, table):
    idx, W = table
    onehot = collab.one_hot_matmul(idx, W, device=device)
    emb = collab.embedding_lookup(idx, W, device=device)
    plain = collab.index_lookup(idx, W, device=device)
    assert onehot.shape == emb.shape == (len(idx), W.shape[1])
    # float64: exact equality (the one-hot row adds exact zeros to the one weight it picks)
    assert np.array_equal(onehot, W[idx]) and np.array_equal(emb, W[idx]) and np.array_equal(plain, W[idx])


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=20, deadline=None)
@given(tables())
def test_one_hot_product_is_a_lookup_in_float32(device, table):
    idx, W = table
    W32 = W.astype(np.float32).astype(np.float64)     # float32 rounds the weights once, then is exact too
    assert np.array_equal(collab.one_hot_matmul(idx, W, device=device, dtype="float32"), W32[idx])
    assert np.array_equal(collab.embedding_lookup(idx, W, device=device, dtype="float32"), W32[idx])


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_dot_product_bias_matches_numpy(device, n_users, n_items, k, seed, bias):
    rng = np.random.default_rng(seed)
    U, M = rng.normal(size=(n_users, k)), rng.normal(size=(n_items, k))
    ub = rng.normal(size=n_users) if bias else None
    mb = rng.normal(size=n_items) if bias else None
    users = rng.integers(0, n_users, 30)
    items = rng.integers(0, n_items, 30)
    got = collab.predict(U, M, users, items, ub, mb, device=device)
    want = np.einsum("ij,ij->i", U[users], M[items])
    if bias:
        want = want + ub[users] + mb[items]
    scale = np.abs(U[users] * M[items]).sum(1) + (np.abs(ub[users]) + np.abs(mb[items]) if bias else 0)
    assert np.all(np.abs(got - want) <= 16 * np.finfo(float).eps * scale)


def test_y_range_squeezes_predictions():
    rng = np.random.default_rng(0)
    U, M = rng.normal(size=(5, 4)), rng.normal(size=(6, 4))
    users, items = np.repeat(np.arange(5), 6), np.tile(np.arange(6), 5)
    raw = collab.predict(U, M, users, items)
    squeezed = collab.predict(U, M, users, items, y_range=(0, 5.5))
    assert np.all((squeezed > 0) & (squeezed < 5.5))           # strict while the sigmoid is not saturated
    huge = collab.predict(U * 100, M * 100, users, items, y_range=(0, 5.5))
    assert np.all((huge >= 0) & (huge <= 5.5))
    assert np.allclose(squeezed, 5.5 / (1 + np.exp(-raw)), rtol=1e-14, atol=0)


def test_crosstab_predictions_mask_blanks_like_the_sheet():
    rng = np.random.default_rng(1)
    R = rng.uniform(0.5, 5, (4, 5))
    R[1, 2] = R[3, 0] = np.nan
    U, M = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    ub, mb = rng.normal(size=4), rng.normal(size=5)
    p = collab.crosstab_predictions(R, U, M)
    assert p[1, 2] == 0 and p[3, 0] == 0 and p[0, 0] == pytest.approx(U[0] @ M[0], rel=1e-15)
    pb = collab.crosstab_predictions(R, U, M, ub, mb)
    assert pb[1, 2] == pytest.approx(mb[2] + ub[1], rel=1e-15)        # the bias sheet: biases only
    seen = ~np.isnan(R)
    assert collab.crosstab_rmse(R, p) == pytest.approx(np.sqrt(np.mean((R[seen] - p[seen]) ** 2)), rel=1e-14)
    with pytest.raises(ValueError):
        collab.crosstab_predictions(R, U, M[:3])


def test_fit_crosstab_learns_a_low_rank_crosstab():
    rng = np.random.default_rng(2)
    truth = rng.normal(size=(15, 3)) @ rng.normal(size=(3, 15)) + 3
    R = truth.copy()
    R[rng.random(R.shape) < 0.1] = np.nan
    _, rmse = collab.fit_crosstab(R, n_factors=5, steps=500, lr=0.05)
    assert rmse < 0.1


def test_embedding_module_and_one_hot_layer_agree_under_training():
    # the one-hot-matmul model and the nn.Embedding model take the same gradient steps
    rng = np.random.default_rng(3)
    W0 = rng.normal(size=(7, 3))
    idx = torch.tensor([0, 3, 3, 6, 2])
    target = torch.tensor(rng.normal(size=(5, 3)))
    W1 = torch.nn.Parameter(torch.tensor(W0))
    emb = torch.nn.Embedding.from_pretrained(torch.tensor(W0), freeze=False)
    opt1 = torch.optim.SGD([W1], lr=0.1)
    opt2 = torch.optim.SGD(emb.parameters(), lr=0.1)
    for _ in range(5):
        for opt, out in ((opt1, torch.nn.functional.one_hot(idx, 7).double() @ W1), (opt2, emb(idx))):
            opt.zero_grad()
            ((out - target) ** 2).sum().backward()
            opt.step()
    assert torch.allclose(W1, emb.weight, rtol=1e-15, atol=0)
