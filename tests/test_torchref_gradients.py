"""The lesson's gradients four ways (the graddesc lesson's torchref): autograd,
the analytic formula, forward and central finite differences, and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetnet.lessons.graddesc import torchref as G
from sheetnet.lessons.graddesc.mirror import forward_difference_error
from sheetnet.crosscheck import EPS64
from sheetnet.devices import available_devices

DEVICES = available_devices()
X = np.array([14, 86, 28, 51, 28, 29, 72, 62, 84, 15, 42, 62, 47, 35, 9, 38, 44, 99, 13, 21, 28, 20, 8, 64,
              99, 70, 27, 17, 8], dtype=np.float64)
Y = 2 * X + 30

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@st.composite
def lines(draw):
    n = draw(st.integers(1, 20))
    x = np.array(draw(st.lists(st.floats(-100, 100), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.floats(-300, 300), min_size=n, max_size=n)))
    return draw(finite), draw(finite), x, y


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=40, deadline=None)
@given(lines())
def test_autograd_equals_analytic(device, problem):
    a, b, x, y = problem
    gb, ga = G.gradients_autograd(a, b, x, y, device=device)
    hb, ha = G.gradients_analytic(a, b, x, y, device=device)
    # the same operations in the same order: identical (the 1e-12 of the brief, met with room)
    assert np.array_equal(gb, hb) and np.array_equal(ga, ha)
    assert np.all(np.abs(gb - 2 * (a * x + b - y)) <= 1e-12 * (1 + np.abs(gb)))


@settings(max_examples=40, deadline=None)
@given(lines(), st.sampled_from([0.01, 0.1, 1e-3]))
def test_forward_difference_overestimates_by_h_and_h_x_squared(problem, h):
    a, b, x, y = problem
    gb, ga = G.gradients_analytic(a, b, x, y)
    fb, fa = G.gradients_forward_difference(a, b, x, y, h=h)
    bias_b, bias_a = forward_difference_error(x, h)      # the mirror's exact excess (h, h x^2)
    bias_b = np.full(np.shape(x), bias_b)
    # exact in real arithmetic; in floats each squared error is rounded (ulp(e)), and so is its residual
    # a x + b - y (ulp of its largest term, |a + h| |x| included), both divided by h
    e = np.maximum.reduce([G.loss(a, b, x, y), G.loss(a, b + h, x, y), G.loss(a + h, b, x, y)])
    terms = (abs(a) + h) * np.abs(x) + abs(b) + h + np.abs(y)
    slack = 4 * EPS64 * ((e + 2 * np.sqrt(e) * terms) / h + np.abs(gb) + np.abs(ga) + bias_a + h)
    assert np.all(np.abs(fb - gb - bias_b) <= slack)
    assert np.all(np.abs(fa - ga - bias_a) <= slack)


@settings(max_examples=40, deadline=None)
@given(lines())
def test_central_difference_is_exact_up_to_rounding(problem):
    a, b, x, y = problem
    h = G.SHEET_H
    gb, ga = G.gradients_analytic(a, b, x, y)
    cb, ca = G.gradients_central_difference(a, b, x, y, h=h)
    e = np.maximum.reduce([G.loss(a, b + h, x, y), G.loss(a, b - h, x, y),
                           G.loss(a + h, b, x, y), G.loss(a - h, b, x, y)])
    terms = (abs(a) + h) * np.abs(x) + abs(b) + h + np.abs(y)
    slack = 4 * EPS64 * ((e + 2 * np.sqrt(e) * terms) / h + np.abs(gb) + np.abs(ga))
    assert np.all(np.abs(cb - gb) <= slack) and np.all(np.abs(ca - ga) <= slack)


def test_lesson_forward_difference_error_is_h_and_h_x_squared():
    # at the lesson's start (a = b = 1), the sheet's estimates are off by 0.01 and 0.01 x^2 (0.64 .. 98.01)
    gb, ga = G.gradients_analytic(1.0, 1.0, X, Y)
    fb, fa = G.gradients_forward_difference(1.0, 1.0, X, Y)
    assert np.allclose(fb - gb, 0.01, rtol=0, atol=1e-9)
    assert np.allclose(fa - ga, 0.01 * X ** 2, rtol=0, atol=1e-9)
    assert (fa - ga).min() == pytest.approx(0.64) and (fa - ga).max() == pytest.approx(98.01)


@pytest.mark.parametrize("device", DEVICES)
def test_gradcheck_passes_on_the_lesson_loss(device):
    assert G.gradcheck(1.0, 1.0, X, Y, device=device)
    assert G.gradcheck(2.5, 1.3, X, Y, device=device)


def test_gradcheck_catches_a_wrong_gradient():
    class Wrong(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * a          # should be 2a

    a = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(Wrong.apply, (a,), raise_exception=False)


def test_float32_autograd_is_close():
    gb, ga = G.gradients_autograd(1.0, 1.0, X, Y, dtype="float32")
    hb, ha = G.gradients_analytic(1.0, 1.0, X, Y)
    assert np.max(np.abs(gb - hb)) <= 4e-6 * np.max(np.abs(hb))
    assert np.max(np.abs(ga - ha)) <= 4e-6 * np.max(np.abs(ha))


def test_per_row_parameters_broadcast():
    a = np.linspace(1, 2, X.size)
    b = np.linspace(1, 3, X.size)
    gb, ga = G.gradients_autograd(a, b, X, Y)
    assert np.array_equal(gb, 2 * (a * X + b - Y)) and np.array_equal(ga, gb * X)
