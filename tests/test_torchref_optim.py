"""The torch versions of the lesson's spreadsheet optimisers (the graddesc lesson's torchref)
against the figures of LESSONS.md, the original workbook's stored values, and a
small numpy reference written here straight from LESSONS.md."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.crosscheck import tolerance
from sheetnet.devices import available_devices
from sheetnet.errors import UserError
from sheetnet.lessons.graddesc.mirror import SHEET_NAMES, lesson_hyper
from sheetnet.lessons.graddesc.torchref import (GradRatioAnnealing, LaggedRMSprop, Line, SheetAdam, make_optimizer,
                                                neutral_adam_step, reset_state, train_sheet)

SHEETS = tuple(SHEET_NAMES.values())          # basic, momentum, ...: train_sheet takes the sheets' names too

GRADDESC = os.path.join(os.environ.get("SHEETNET_LESSON_WORKBOOKS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks"), "graddesc.xlsm")
DEVICES = available_devices()

# The lesson's 29 points (x, with y = 2x + 30): facts re-typed from the workbook; the tests that
# read the workbook itself check they are the same.
X = np.array([14, 86, 28, 51, 28, 29, 72, 62, 84, 15, 42, 62, 47, 35, 9, 38, 44, 99, 13, 21, 28, 20, 8, 64,
              99, 70, 27, 17, 8], dtype=np.float64)
Y = 2 * X + 30

# a / b after each epoch of reset + somesteps (LESSONS.md)
TABLE = {
    "basic": ([2.574140, 2.573101, 2.572065, 2.571030, 2.569996], [1.066648, 1.118993, 1.171244, 1.223401, 1.275463]),
    "momentum": ([2.133840, 2.323542, 2.353860, 2.357996, 2.358035], [1.063228, 1.114003, 1.163247, 1.212216, 1.261078]),
    "rmsprop": ([1.471344, 1.848757, 2.194254, 2.393757, 2.403620], [1.567888, 2.050220, 2.506449, 2.880911, 3.189068]),
    "adam": ([2.972606, 2.425045, 2.695765, 2.575542, 1.703742], [9.210579, 14.911569, 23.823936, 25.328543, 24.960098]),
    "adam_ann": ([2.501644, 2.512950, 3.097405, 2.556480, 1.848574], [7.478019, 14.953358, 22.229728, 23.210206, 24.524595]),
}


# --------------------------------------------------------------------------- the numpy reference

def np_pass(sheet, x, y, b, a, state, lr, beta1=0.9, beta2=0.9):
    """One recalculation of an optimiser sheet: returns (b, a going into the last row, state after it)."""
    for xi, yi in zip(x, y):
        b_in, a_in = b, a
        gb = 2 * (a * xi + b - yi)
        ga = gb * xi
        if sheet == "basic":
            b, a = b - gb * lr, a - ga * lr
        elif sheet == "momentum":
            mb, ma = state
            mb = mb * beta1 + (1 - beta1) * gb
            ma = ma * beta1 + (1 - beta1) * ga
            state = (mb, ma)
            b, a = b - mb * lr, a - ma * lr
        elif sheet == "rmsprop":
            vb, va = state
            b, a = b - gb * lr / math.sqrt(vb), a - ga * lr / math.sqrt(va)      # the previous v
            state = (vb * beta2 + (1 - beta2) * (gb * gb), va * beta2 + (1 - beta2) * (ga * ga))
        else:
            mb, ma, vb, va = state
            mb = mb * beta1 + (1 - beta1) * gb
            ma = ma * beta1 + (1 - beta1) * ga
            vb = vb * beta2 + (1 - beta2) * (gb * gb)
            va = va * beta2 + (1 - beta2) * (ga * ga)
            state = (mb, ma, vb, va)
            b, a = b - mb * lr / math.sqrt(vb), a - ma * lr / math.sqrt(va)  # the current v
    return b_in, a_in, state                                              # row 29's update is dropped


def np_run(sheet, x, y, epochs, lr=None, beta1=0.9, beta2=None, v_init=1e4):
    lr = lesson_hyper(sheet).lr if lr is None else lr
    beta2 = lesson_hyper(sheet).beta2 if beta2 is None else beta2

    def one(state):
        return np_pass(sheet, x, y, 1.0, 1.0, state, lr, beta1, beta2)[2]

    prev = None
    if sheet == "basic":
        state = None
    elif sheet == "momentum":
        state = one((0.0, 0.0))
    elif sheet == "rmsprop":
        state = one(one((v_init, v_init)))
    elif sheet == "adam":
        state = (0.0, 0.0, v_init, v_init)
        for _ in range(2):
            s = one(state)
            state = (state[0], state[1], s[2], s[3])
            s = one(state)
            state = (s[0], s[1], state[2], state[3])
    else:
        first = one((0.0, 0.0, v_init, v_init))
        prev = math.sqrt(first[2]) + math.sqrt(first[3])
        state = one(first)
    b = a = 1.0
    A, B, S = [a], [b], [state]
    for _ in range(epochs):
        b, a, state = np_pass(sheet, x, y, b, a, state, lr, beta1, beta2)
        if sheet == "adam_ann":
            g2 = math.sqrt(state[2]) + math.sqrt(state[3])
            if g2 / prev > 2:
                lr = lr / 4
            if g2 < prev:
                prev = g2
        A.append(a)
        B.append(b)
        S.append(state)
    return np.array(A), np.array(B), (None if state is None else np.array(S))


def _state_array(run):
    return None if not run.state else np.stack([run.state[k] for k in run.state], axis=1)


def _rel(got, ref):
    """max |got - ref| relative to max |ref| (absolute where ref is all zeros: an all-zero
    momentum state, say, which hypothesis finds)."""
    ref = np.asarray(ref)
    return float(np.max(np.abs(np.asarray(got) - ref)) / (np.max(np.abs(ref)) or 1.0))


# --------------------------------------------------------------------------- the lesson's figures

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", ["builtin", "custom"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_lesson_table_after_reset_and_five_epochs(sheet, impl, device):
    run = train_sheet(sheet, X, Y, 5, impl=impl, device=device)
    A, B = TABLE[sheet]
    assert np.max(np.abs(run.a[1:] - A)) <= 5e-7       # the table has 6 decimals
    assert np.max(np.abs(run.b[1:] - B)) <= 5e-7
    assert run.a[0] == run.b[0] == 1.0


def test_headline_figures():
    assert round(train_sheet("basic", X, Y).b[5], 6) == 1.275463
    assert round(train_sheet("rmsprop", X, Y).b[5], 6) == 3.189068
    assert round(train_sheet("adam", X, Y).b[5], 6) == 24.960098
    m0, _ = reset_state("momentum", X, Y)
    assert (round(m0["m_b"], 3), round(m0["m_a"], 3)) == (-18.334, 98.246)


def test_basic_error_log():
    # the basic sheet's somesteps logs F33 after each epoch: 104.749, 104.560, 104.371, 104.182, 103.993
    run = train_sheet("basic", X, Y, 5)
    assert np.round(run.error[1:], 3).tolist() == [104.749, 104.560, 104.371, 104.182, 103.993]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", ["builtin", "custom"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_matches_numpy_reference(sheet, impl, device):
    A, B, S = np_run(sheet, X, Y, 5)
    run = train_sheet(sheet, X, Y, 5, impl=impl, device=device)
    tol = tolerance("graddesc", "parameters").rtol
    assert _rel(run.a, A) <= tol and _rel(run.b, B) <= tol
    if S is not None:
        assert _rel(_state_array(run), S) <= tolerance("graddesc", "state").rtol


def test_rmsprop_and_custom_adam_ann_are_bit_exact_here():
    # evaluated in the sheet's order of operations, these agree with the numpy reference exactly on
    # the lesson's data (torch's float64 sqrt is 1 ulp off for ~1% of inputs, so not in general)
    for sheet, epochs in (("rmsprop", 5), ("adam_ann", 25)):
        A, B, S = np_run(sheet, X, Y, epochs)
        run = train_sheet(sheet, X, Y, epochs, impl="custom")
        assert np.array_equal(run.a, A) and np.array_equal(run.b, B)
        assert np.array_equal(_state_array(run), S)


def test_adam_ann_cuts_after_epoch_7():
    run = train_sheet("adam_ann", X, Y, 25)
    cuts = [e for e in range(1, 26) if run.lr[e] < run.lr[e - 1]]
    assert cuts[0] == 7
    assert run.lr[25] == 1 / 256
    assert run.lr[5] == 1.0                     # no cut in the first five epochs


@pytest.mark.parametrize("dtype", ["float32"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_float32_within_its_tolerance(sheet, dtype):
    A, B, S = np_run(sheet, X, Y, 5)
    run = train_sheet(sheet, X, Y, 5, dtype=dtype)
    tol = tolerance("graddesc", "parameters", dtype).rtol
    assert _rel(run.a, A) <= tol and _rel(run.b, B) <= tol
    if S is not None:
        assert _rel(_state_array(run), S) <= tolerance("graddesc", "state", dtype).rtol


# --------------------------------------------------------------------------- random data and hyperparameters

LR_RANGE = {"basic": (1e-5, 2e-3), "momentum": (1e-5, 2e-3), "rmsprop": (1e-3, 0.1),
            "adam": (1e-3, 0.5), "adam_ann": (1e-3, 0.5)}


@st.composite
def problems(draw):
    sheet = draw(st.sampled_from(SHEETS))
    n = draw(st.integers(2, 12))
    x = np.array(draw(st.lists(st.floats(0.5, 20, allow_nan=False), min_size=n, max_size=n)))
    slope = draw(st.floats(-3, 3))
    intercept = draw(st.floats(-20, 20))
    noise = np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    lo, hi = LR_RANGE[sheet]
    lr = draw(st.floats(lo, hi))
    beta1 = draw(st.floats(0.5, 0.95))
    beta2 = draw(st.floats(0.5, 0.99))
    epochs = draw(st.integers(1, 3))
    return sheet, x, slope * x + intercept + noise, lr, beta1, beta2, epochs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["builtin", "custom"]))
def test_random_problems_match_numpy_reference(problem, impl):
    sheet, x, y, lr, beta1, beta2, epochs = problem
    if sheet == "adam_ann":
        beta2 = max(beta2, 0.9)
    A, B, S = np_run(sheet, x, y, epochs, lr=lr, beta1=beta1, beta2=beta2)
    run = train_sheet(sheet, x, y, epochs, lr=lr, beta1=beta1, beta2=beta2, impl=impl)
    # rounding-level: the worst of 600 random problems measured 4.8e-15 (momentum); 1e-12 leaves
    # room for less well-conditioned draws (residuals that cancel) without hiding a wrong rule,
    # which shows up at 1e-3 or more
    assert _rel(run.a, A) <= 1e-12 and _rel(run.b, B) <= 1e-12
    if S is not None:
        assert _rel(_state_array(run), S) <= 1e-12


# --------------------------------------------------------------------------- the optimisers themselves

def test_lagged_rmsprop_differs_from_torch_rmsprop():
    # torch's RMSprop updates v first and adds eps; the sheet divides by the previous v
    p1 = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    p2 = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    ours = LaggedRMSprop([p1], lr=0.1, alpha=0.9, square_avg_init=4.0)
    theirs = torch.optim.RMSprop([p2], lr=0.1, alpha=0.9, eps=0.0)
    for p in (p1, p2):
        p.grad = torch.tensor(3.0, dtype=torch.float64)
    ours.step()
    theirs.step()
    assert float(p1.detach()) == 1.0 - 3.0 * 0.1 / 2.0                  # sqrt(v_prev) = 2
    assert float(ours.state[p1]["square_avg"]) == pytest.approx(0.9 * 4 + 0.1 * 9, rel=1e-15)
    assert float(p2.detach()) != float(p1.detach())


def test_sheet_adam_has_no_bias_correction():
    p = torch.nn.Parameter(torch.tensor(0.0, dtype=torch.float64))
    opt = SheetAdam([p], lr=1.0, betas=(0.9, 0.9))
    p.grad = torch.tensor(2.0, dtype=torch.float64)
    opt.step()
    # m = 0.2, v = 0.4: step = 0.2 / sqrt(0.4); torch's Adam would step by exactly lr on step 1
    assert float(p.detach()) == pytest.approx(-0.2 / math.sqrt(0.4), rel=1e-15)


def test_seeded_builtin_adam_has_bias_correction_one():
    step = neutral_adam_step((0.9, 0.999))
    assert 1 - 0.9 ** float(step) == 1.0 and 1 - 0.999 ** float(step) == 1.0
    with pytest.raises(ValueError):
        neutral_adam_step((0.9, 0.9999999))


def test_momentum_buffer_is_seeded_so_first_step_is_dampened():
    model = Line(1.0, 1.0)
    opt = make_optimizer("momentum", model, lesson_hyper("momentum"), {"m_b": 0.0, "m_a": 0.0})
    model.b.grad = torch.tensor(10.0, dtype=torch.float64)
    model.a.grad = torch.tensor(0.0, dtype=torch.float64)
    opt.step()
    assert float(opt.state[model.b]["momentum_buffer"]) == pytest.approx(1.0, rel=1e-15)   # 0.1 * g, not g


def test_annealing_rule():
    p = torch.nn.Parameter(torch.tensor(0.0, dtype=torch.float64))
    opt = SheetAdam([p], lr=1.0)
    opt.state[p]["exp_avg"] = torch.tensor(0.0, dtype=torch.float64)
    opt.state[p]["exp_avg_sq"] = torch.tensor(9.0, dtype=torch.float64)     # sqrt = 3
    ann = GradRatioAnnealing(opt, prev_grad2=1.0)
    assert ann.step() and opt.param_groups[0]["lr"] == 0.25 and ann.prev_grad2 == 1.0
    opt.state[p]["exp_avg_sq"].fill_(0.25)                                  # sqrt = 0.5 < prev
    assert not ann.step() and ann.prev_grad2 == 0.5


def test_bad_arguments():
    with pytest.raises(UserError, match="unknown optimiser 'nadam'"):
        train_sheet("nadam", X, Y)
    with pytest.raises(ValueError, match="lesson's rules only"):
        train_sheet("adam", X, Y, hp=lesson_hyper("adam", bias_correction=True))
    assert train_sheet("sgd", X, Y).b[5] == train_sheet("basic", X, Y).b[5]     # one name, or its sheet's
    with pytest.raises(ValueError):
        train_sheet("basic", X, Y[:3])
    with pytest.raises(ValueError):
        LaggedRMSprop([torch.nn.Parameter(torch.zeros(()))], square_avg_init=0.0)


# --------------------------------------------------------------------------- the original workbook

@pytest.fixture(scope="module")
def workbook():
    if not os.path.exists(GRADDESC):
        pytest.skip(f"lesson workbook not found: {GRADDESC}")
    from sheetnet.xlsx.reader import read_workbook
    return read_workbook(GRADDESC)


def column(sheet, col, first=4, last=32):
    return np.array([sheet.value(f"{col}{r}") for r in range(first, last + 1)], dtype=np.float64)


def test_workbook_holds_the_lesson_points(workbook):
    for name in SHEETS:
        sheet = workbook[name]
        assert np.array_equal(column(sheet, "A"), X) and np.array_equal(column(sheet, "B"), Y)


def test_workbook_basic_and_rmsprop_rows(workbook):
    # both were saved after reset + 5 epochs: their rows are rows[5]
    basic, rms = workbook["basic"], workbook["rmsprop"]
    x, y = column(basic, "A"), column(basic, "B")
    run = train_sheet("basic", x, y, 5)
    tol = tolerance("graddesc", "parameters")
    for key, col in (("new_b", "N"), ("new_a", "M"), ("g_b", "K"), ("g_a", "L")):
        ref = column(basic, col)
        assert np.max(np.abs(run.rows[key][5] - ref)) <= tol.bound(ref)
    # torch's SGD adds -lr g as one fused operation: an ulp from the sheet's separate roundings
    assert run.b[5] == pytest.approx(basic.value("C1"), rel=tol.rtol, abs=0)
    assert run.a[5] == pytest.approx(basic.value("C2"), rel=tol.rtol, abs=0)
    assert run.error[5] == pytest.approx(basic.value("F33"), rel=1e-15)
    run = train_sheet("rmsprop", x, y, 5)
    for key, col in (("new_b", "H"), ("new_a", "I"), ("v_b", "J"), ("v_a", "K")):
        assert np.array_equal(run.rows[key][5], column(rms, col))


def test_workbook_momentum_reset(workbook):
    sheet = workbook["momentum"]            # saved right after reset
    run = train_sheet("momentum", column(sheet, "A"), column(sheet, "B"), 0)
    tol = tolerance("graddesc", "state")
    assert run.state["m_b"][0] == pytest.approx(sheet.value("J3"), rel=tol.rtol)
    assert run.state["m_a"][0] == pytest.approx(sheet.value("K3"), rel=tol.rtol)
    ref = column(sheet, "J")
    assert np.max(np.abs(run.rows["m_b"][0] - ref)) <= tol.bound(ref)


@pytest.mark.parametrize("impl", ["builtin", "custom"])
def test_workbook_adam_saved_state(workbook, impl):
    # adam was saved after reset + 15 epochs at lr 1 + 5 at lr 0.1; adam_ann after reset + 25 epochs
    sheet = workbook["adam"]
    x, y = column(sheet, "A"), column(sheet, "B")
    first = train_sheet("adam", x, y, 15, impl=impl)
    state = {k: v[-1] for k, v in first.state.items()}
    run = train_sheet("adam", x, y, 5, lr=0.1, reset=False, state=state, a=first.a[-1], b=first.b[-1], impl=impl)
    tol = tolerance("graddesc", "parameters_long")
    assert run.b[5] == pytest.approx(sheet.value("C1"), rel=tol.rtol)
    assert run.a[5] == pytest.approx(sheet.value("C2"), rel=tol.rtol)
    for key, col in (("m_b", "J"), ("m_a", "K"), ("v_b", "L"), ("v_a", "M")):
        ref = column(sheet, col)
        assert np.max(np.abs(run.rows[key][5] - ref)) <= tol.bound(ref)
    ann = workbook["adam_ann"]
    run = train_sheet("adam_ann", x, y, 25, impl=impl)
    assert run.lr[25] == ann.value("D2")
    assert run.b[25] == pytest.approx(ann.value("C1"), rel=tol.rtol)
    assert run.a[25] == pytest.approx(ann.value("C2"), rel=tol.rtol)
