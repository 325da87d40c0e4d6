"""Softmax, sigmoid and cross-entropy in torch (sheetnet.lessons.entropy.torchref):
the forms agree, base 10 is natural / ln 10, softmax is shift-invariant."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sheetnet.lessons.entropy import torchref as S
from sheetnet.crosscheck import EPS64
from sheetnet.devices import available_devices

DEVICES = available_devices()

scores = hnp.arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 3)),
                    elements=st.floats(-30, 30, allow_nan=False))
probs = st.floats(1e-6, 1 - 1e-6)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(scores, st.floats(-100, 100))
def test_softmax_sums_to_one_and_ignores_a_shift(device, s, c):
    p = S.softmax(s, device=device)
    assert np.allclose(p.sum(axis=0), 1.0, rtol=0, atol=8 * EPS64)
    shifted = S.softmax(s + c, device=device)
    # s + c is rounded (ulp(|c| + |s|)); exp carries that absolute error into a relative one
    assert np.all(np.abs(shifted - p) <= 8 * EPS64 * (1 + abs(c) + np.abs(s).max()) * (p + EPS64))
    assert np.all(np.abs(S.softmax_by_exp(s, device=device) - p) <= 8 * EPS64 * (1 + np.abs(s).max()) * p + 1e-300)


def test_sigmoid_is_not_shift_invariant():
    soft_gap, sig_gap = S.softmax_shift_gap(np.array([[0.5], [-1.0], [2.0]]), 1.0)
    assert soft_gap < 1e-15 and sig_gap > 0.05


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-30, 30)))
def test_sigmoid_is_e_over_one_plus_e(s):
    e = np.exp(s)
    assert np.allclose(S.sigmoid(s), e / (1 + e), rtol=4 * EPS64, atol=0)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(probs, st.sampled_from([0.0, 1.0])), min_size=1, max_size=10))
def test_binary_cross_entropy_forms_agree(device, rows):
    p = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    forms = {f: S.binary_cross_entropy(p, y, form=f, device=device) for f in S.BCE_FORMS}
    want = -np.where(y == 1, np.log(p), np.log1p(-p))
    for f, got in forms.items():
        # log(1 - p) from the rounded 1 - p: ulp(1)/(1 - p) relative at worst
        assert np.all(np.abs(got - want) <= 4 * EPS64 * (np.abs(want) + 1 / (1 - p))), f
    assert np.array_equal(forms["sum"], forms["where"])
    ten = S.binary_cross_entropy(p, y, base=10, device=device)
    # (CUDA divides by a scalar through its reciprocal: an ulp, so not array_equal there)
    assert np.allclose(ten, forms["torch"] / math.log(10), rtol=2 * EPS64, atol=0)
    log10 = -np.where(y == 1, np.log10(p), np.log10(1 - p))
    assert np.allclose(ten, log10, rtol=4 * EPS64, atol=4 * EPS64)


@st.composite
def distributions(draw):
    n = draw(st.integers(1, 6))
    k = draw(st.integers(2, 6))
    raw = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(1e-3, 1.0)))
    target = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    return raw / raw.sum(axis=1, keepdims=True), target


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(distributions())
def test_cross_entropy_forms_agree(device, dist):
    P, t = dist
    want = -np.log(P[np.arange(len(t)), t])
    exact = {f: S.cross_entropy_from_probs(P, t, form=f, device=device) for f in ("onehot", "index", "nll_loss")}
    for f, got in exact.items():
        assert np.array_equal(got, exact["index"]), f          # a one-hot dot product is a look-up
    assert np.allclose(exact["index"], want, rtol=2 * EPS64, atol=2 * EPS64)
    renorm = S.cross_entropy_from_probs(P, t, form="cross_entropy", device=device)
    assert np.allclose(renorm, want, rtol=0, atol=16 * EPS64)
    ten = S.cross_entropy_from_probs(P, t, base=10, device=device)
    assert np.allclose(ten, want / math.log(10), rtol=4 * EPS64, atol=4 * EPS64)


@settings(max_examples=40, deadline=None)
@given(scores)
def test_cross_entropy_from_logits_forms_agree(s):
    logits = s.T                                    # examples x classes
    t = np.arange(logits.shape[0]) % logits.shape[1]
    a = S.cross_entropy_from_logits(logits, t, form="cross_entropy")
    b = S.cross_entropy_from_logits(logits, t, form="nll_loss")
    c = S.cross_entropy_from_logits(logits, t, form="softmax")
    assert np.array_equal(a, b)
    assert np.allclose(c, a, rtol=1e-13, atol=1e-13)


def test_lesson_numbers():
    # p = 0.5 costs log10(2) = 0.30103 in the sheet's base 10, ln 2 in torch's natural log
    assert S.binary_cross_entropy([0.5], [1.0], base=10)[0] == pytest.approx(0.30103, abs=5e-6)
    assert S.binary_cross_entropy([0.5], [1.0])[0] == pytest.approx(math.log(2), rel=1e-15)
    assert S.binary_cross_entropy([0.9], [0.0], base=10)[0] == pytest.approx(1.0, rel=1e-15)
    two = S.binary_as_two_classes([0.98, 0.9])
    assert S.cross_entropy_from_probs(two, [0, 1], base=10) == pytest.approx([0.00877392430750515, 1.0], rel=1e-14)


def test_bad_forms():
    with pytest.raises(ValueError):
        S.binary_cross_entropy([0.5], [1.0], form="nope")
    with pytest.raises(ValueError):
        S.cross_entropy_from_probs([[0.5, 0.5]], [0], form="nope")
    with pytest.raises(ValueError):
        S.binary_cross_entropy([0.5], [1.0], base=1)
