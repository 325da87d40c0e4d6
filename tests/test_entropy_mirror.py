"""Properties of the entropy lesson's quantities, on the numpy mirrors and on
the workbook the engine calculates.

Tolerances are derived, not tuned: adding c to a score s rounds at
ulp(|s| + |c|), which EXP turns into a relative error of about
eps * (|s| + |c|); softmax's sum and division add a few eps more.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sheetnet.engine import Engine
from sheetnet.lessons.entropy import build_book, seeded_inputs
from sheetnet.lessons.entropy.mirror import (EXP_LIMIT, LN10, binary_cross_entropy, binary_cross_entropy_if,
                                             cross_entropy, cross_entropy_lookup, cross_entropy_onehot, match_index,
                                             onehot, safe_softmax, sigmoid, softmax)

EPS = np.finfo(np.float64).eps
TINY = np.finfo(np.float64).tiny          # the smallest normal double


def scores(low, high, min_classes=2, max_classes=8, rows=(1, 6)):
    shape = st.tuples(st.integers(*rows), st.integers(min_classes, max_classes))
    return hnp.arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_infinity=False))


probabilities = st.floats(1e-300, 1.0, exclude_max=True, allow_subnormal=False)


def _rtol(*magnitudes, classes=8):
    return 4 * EPS * (sum(magnitudes) + classes + 4)


# ------------------------------------------------------------------ softmax --

@given(scores(-50, 50), st.floats(-100, 100))
def test_softmax_is_invariant_to_adding_a_constant_to_a_row(s, c):
    rtol = _rtol(np.abs(s).max(), abs(c), classes=s.shape[1])
    np.testing.assert_allclose(softmax(s + c), softmax(s), rtol=rtol, atol=0)
    np.testing.assert_allclose(safe_softmax(s + c), safe_softmax(s), rtol=rtol, atol=0)


def test_sigmoid_is_not_invariant():
    s = np.array([0.0, 1.0, 2.0])
    assert not np.allclose(sigmoid(s + 1.0), sigmoid(s))
    np.testing.assert_allclose(softmax(s + 1.0), softmax(s), rtol=1e-15)


@given(scores(-1e6, 1e6))
def test_softmax_sums_to_one(s):
    K = s.shape[1]
    np.testing.assert_allclose(safe_softmax(s).sum(axis=1), 1.0, rtol=0, atol=2 * K * EPS)
    small = np.clip(s, -300, 300)
    np.testing.assert_allclose(softmax(small).sum(axis=1), 1.0, rtol=0, atol=2 * K * EPS)


@given(scores(-760, 760))
def test_safe_softmax_equals_the_naive_one_wherever_the_naive_one_is_finite(s):
    """'Finite' here: no EXP of the naive form overflows to inf or underflows
    below the normal range (where it does the naive form is inf/inf = NaN, or
    finite but wrong; see the next test).  Results below the smallest normal
    double are compared absolutely."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        e = np.exp(s)
        naive = softmax(s)
    ok = np.isfinite(e.sum(axis=1)) & (e >= TINY).all(axis=1) & np.isfinite(naive).all(axis=1)
    assume(ok.any())
    spread = np.abs(s - s.max(axis=1, keepdims=True)).max()
    with np.errstate(under="ignore"):
        safe = safe_softmax(s)
    np.testing.assert_allclose(safe[ok], naive[ok], rtol=_rtol(spread, classes=s.shape[1]), atol=TINY)


def test_where_the_naive_softmax_breaks():
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        big = np.array([EXP_LIMIT + 1, 0.0])           # EXP overflows: inf/inf
        assert np.isnan(softmax(big)).any()
        assert np.isfinite(np.exp(EXP_LIMIT - 1e-9)) and np.isinf(np.exp(EXP_LIMIT + 1e-9))
        low = np.array([-745.0, -744.0])               # EXPs are subnormal: finite but wrong
        assert np.isfinite(softmax(low)).all()
        assert abs(softmax(low)[0] - safe_softmax(low)[0]) > 0.01
        assert np.isnan(softmax(np.array([-800.0, -801.0]))).all()   # both underflow to 0: 0/0
    np.testing.assert_allclose(safe_softmax(big), [1 / (1 + math.exp(-EXP_LIMIT - 1)), math.exp(-EXP_LIMIT - 1)])
    np.testing.assert_allclose(safe_softmax(low), [1 / (1 + math.e), math.e / (1 + math.e)], rtol=1e-15)


@given(scores(-1e6, 1e6))
def test_safe_softmax_stays_finite_up_to_a_million(s):
    with np.errstate(under="ignore"):
        p = safe_softmax(s)
    assert np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()
    rows = np.arange(len(s))
    assert (p[rows, s.argmax(axis=1)] >= 1 / s.shape[1] - EPS).all()   # the largest score gets the most


def test_safe_softmax_at_exactly_a_million():
    s = np.array([[1e6, -1e6, 0.0, 1e6 - 1]])
    p = safe_softmax(s)
    np.testing.assert_allclose(p, [[1 / (1 + math.exp(-1)), 0.0, 0.0, math.exp(-1) / (1 + math.exp(-1))]],
                               rtol=1e-15)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(softmax(s)).any()


# ------------------------------------------------------------------ cross-entropy --

@given(hnp.arrays(np.float64, st.integers(1, 20), elements=st.sampled_from([0.0, 1.0])), st.data())
def test_binary_sum_form_equals_the_if_form(y, data):
    p = data.draw(hnp.arrays(np.float64, y.shape, elements=probabilities))
    for log in ("natural", "base10"):
        # exactly: with y in {0, 1} one of the two terms is a signed zero
        np.testing.assert_array_equal(binary_cross_entropy(y, p, log), binary_cross_entropy_if(y, p, log))
        # ... and the two-class look-up of log_entropy (isCat, isDog = 1 - isCat)
        np.testing.assert_array_equal(
            cross_entropy_lookup(np.stack([y, 1 - y], 1), np.stack([p, 1 - p], 1), log),
            binary_cross_entropy_if(y, p, log))
    np.testing.assert_allclose(binary_cross_entropy(y, p, "base10") * LN10, binary_cross_entropy(y, p),
                               rtol=4 * EPS, atol=0)


@given(st.integers(2, 10), st.integers(1, 12), st.data())
def test_sum_form_if_form_and_look_up_agree_for_one_hot_targets(classes, rows, data):
    target = data.draw(hnp.arrays(np.int64, rows, elements=st.integers(0, classes - 1)))
    t = onehot(target, classes)
    p = data.draw(hnp.arrays(np.float64, (rows, classes), elements=probabilities))
    assert (match_index(t) == target + 1).all()
    for log in ("natural", "base10"):
        lookup = cross_entropy_lookup(t, p, log)
        np.testing.assert_array_equal(cross_entropy_onehot(t, p, log), lookup)
        if classes == 2:       # the binary forms with y = isFirstClass, p = p(first class)
            y, q = t[:, 0], p[:, 0]
            np.testing.assert_array_equal(binary_cross_entropy_if(y, q, log)[t[:, 0] == 1], lookup[t[:, 0] == 1])


def test_match_index_is_exact():
    assert list(match_index([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]])) == [3, 1, 5]
    assert list(match_index(np.array([[0, 1], [1, 0]]).T, axis=0)) == [2, 1]
    with pytest.raises(ValueError):
        match_index([[0, 0, 0]])


def test_cross_entropy_of_uniform_scores_is_log_k():
    s = np.zeros((3, 5))
    t = onehot([0, 2, 4], 5)
    np.testing.assert_allclose(cross_entropy(s, t), math.log(5), rtol=1e-15)
    np.testing.assert_allclose(cross_entropy(s, t, "base10"), math.log10(5), rtol=1e-15)


# ------------------------------------------------------------------ the sheet --

@pytest.fixture(scope="module")
def sheet_engine():
    built = build_book(seeded_inputs(images=4), log="natural")
    return Engine(built.book).recalc(), built.roles


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hnp.arrays(np.float64, (5, 4), elements=st.floats(-30, 30)), st.floats(-100, 100),
       hnp.arrays(np.int64, 4, elements=st.integers(0, 4)))
def test_the_sheet_has_the_same_properties(sheet_engine, s, c, targets):
    """The workbook's own formulas: shift invariance, sums of 1, safe = naive,
    and the three cross-entropy forms, for random outputs and targets."""
    engine, roles = sheet_engine

    def run(scores):
        for i in range(1, 5):
            engine.set_numbers("softmax", roles["softmax", f"scores.{i}"].area.a1, scores[:, i - 1:i])
        engine.set_numbers("cross_entropy", roles["cross_entropy", "targets"].area.a1, onehot(targets, 5))
        engine.recalc()
        v = lambda key: roles.values(engine, *key.split(".", 1))   # noqa: E731  "sheet.role"
        naive = np.hstack([v(f"softmax.softmax.{i}") for i in range(1, 5)])
        safe = np.hstack([v(f"softmax.safe_softmax.{i}") for i in range(1, 5)])
        return naive, safe, v

    naive, safe, v = run(s)
    rtol = _rtol(30, 100, classes=5)
    np.testing.assert_allclose(naive, safe, rtol=rtol)
    np.testing.assert_allclose(naive.sum(axis=0), 1.0, atol=10 * EPS)
    np.testing.assert_allclose(v("cross_entropy.probs"), safe.T, rtol=rtol)
    np.testing.assert_array_equal(v("cross_entropy.idx")[:, 0], targets + 1)
    np.testing.assert_allclose(v("cross_entropy.loss_onehot"), v("cross_entropy.loss"), rtol=4 * EPS, atol=4 * EPS)
    np.testing.assert_allclose(v("cross_entropy.loss")[:, 0], cross_entropy(s.T, onehot(targets, 5)),
                               rtol=1e-13, atol=1e-15)
    shifted_naive, shifted_safe, _ = run(s + c)
    np.testing.assert_allclose(shifted_naive, naive, rtol=rtol)
    np.testing.assert_allclose(shifted_safe, safe, rtol=rtol)
