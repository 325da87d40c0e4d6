"""The numpy mirror of the gradient-descent lesson (sheetnet.lessons.graddesc.mirror): the
lesson's figures, the lesson workbook's stored values and states, gradients."""

import math
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sheetnet.lessons.graddesc import mirror as optim
from sheetnet.errors import UserError
from sheetnet.lessons.graddesc.inputs import lesson_data
from sheetnet.lessons.graddesc.mirror import State, lesson_hyper, reset, somesteps, sweep

LESSON_BOOK = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks", "graddesc.xlsm")

# LESSONS.md: a / b after each epoch of reset + somesteps
TABLE = {
    "sgd": [(2.574140, 1.066648), (2.573101, 1.118993), (2.572065, 1.171244), (2.571030, 1.223401),
            (2.569996, 1.275463)],
    "momentum": [(2.133840, 1.063228), (2.323542, 1.114003), (2.353860, 1.163247), (2.357996, 1.212216),
                 (2.358035, 1.261078)],
    "rmsprop": [(1.471344, 1.567888), (1.848757, 2.050220), (2.194254, 2.506449), (2.393757, 2.880911),
                (2.403620, 3.189068)],
    "adam": [(2.972606, 9.210579), (2.425045, 14.911569), (2.695765, 23.823936), (2.575542, 25.328543),
             (1.703742, 24.960098)],
    "adam_ann": [(2.501644, 7.478019), (2.512950, 14.953358), (3.097405, 22.229728), (2.556480, 23.210206),
                 (1.848574, 24.524595)],
}


def test_lesson_data_is_the_sheets_frozen_copy():
    x, y = lesson_data()
    assert x.shape == (29,) and np.array_equal(y, 2 * x + 30)
    assert x[:3].tolist() == [14, 86, 28] and x[-1] == 8


@pytest.mark.parametrize("opt", optim.OPTIMIZERS)
def test_reset_plus_somesteps_reproduces_the_lessons_table(opt):
    x, y = lesson_data()
    states = somesteps(opt, reset(opt, x, y), x, y, n=5)
    got = [(round(s.a, 6), round(s.b, 6)) for s in states]
    assert got == TABLE[opt]


def test_headline_figures_and_basic_error_log():
    x, y = lesson_data()
    assert round(somesteps("sgd", reset("sgd", x, y), x, y)[-1].b, 6) == 1.275463
    assert round(somesteps("rmsprop", reset("rmsprop", x, y), x, y)[-1].b, 6) == 3.189068
    assert round(somesteps("adam", reset("adam", x, y), x, y)[-1].b, 6) == 24.960098
    log = [optim.error("sgd", s, x, y) for s in somesteps("sgd", reset("sgd", x, y), x, y)]
    assert [round(e, 3) for e in log] == [104.749, 104.560, 104.371, 104.182, 103.993]
    # the log's last entry is the value the lesson file stores, bit for bit
    assert log[-1] == 103.99322533093216


def test_copy_back_rule_matters():
    """Copying back the updated parameters (not the lesson's rule) gives basic b = 1.2982."""
    x, y = lesson_data()
    hp = lesson_hyper("sgd", copy_updated=True)
    assert round(somesteps("sgd", reset("sgd", x, y, hp), x, y, hp)[-1].b, 4) == 1.2982


def test_reset_warmups():
    x, y = lesson_data()
    m = reset("momentum", x, y).m
    assert (round(m[0], 3), round(m[1], 3)) == (-18.334, 98.246)
    s = reset("adam_ann", x, y)
    assert s.lr == 1.0 and math.isfinite(s.prev_grad2)
    assert reset("adam", x, y, warmup=False) == State(1.0, 1.0, (0.0, 0.0), (10000.0, 10000.0), 1.0)


def test_adam_ann_cuts_lr_first_after_epoch_7_and_ends_at_1_256():
    x, y = lesson_data()
    states = somesteps("adam_ann", reset("adam_ann", x, y), x, y, n=25)
    lrs = [s.lr for s in states]          # lrs[k] = lr after epoch k + 1
    assert lrs[:6] == [1.0] * 6 and lrs[6] == 0.25 and lrs[7] == 1 / 16
    assert lrs[-1] == 1 / 256


def test_run_records_and_divergence():
    x, y = lesson_data()
    r = optim.run("sgd", x, y, 5)
    assert [rec.epoch for rec in r.records] == [0, 1, 2, 3, 4, 5] and r.diverged_at is None
    assert (r.records[0].a, r.records[0].b) == (1.0, 1.0)
    assert r.records[5].b == somesteps("sgd", reset("sgd", x, y), x, y)[-1].b
    bad = optim.run("sgd", x, y, 50, lesson_hyper("sgd", lr=0.01))
    assert bad.diverged_at is not None and 0 < bad.diverged_at <= 50
    assert len(bad.records) == bad.diverged_at
    assert all(math.isfinite(rec.error) for rec in bad.records)


def test_unknown_optimiser_is_a_user_error():
    with pytest.raises(UserError, match="unknown optimiser 'nadam'"):
        optim.canonical_name("nadam")
    assert optim.canonical_name("basic") == "sgd"


def test_variants_change_what_they_say():
    x, y = lesson_data()
    base = somesteps("rmsprop", reset("rmsprop", x, y), x, y)[-1]
    hp = lesson_hyper("rmsprop", rmsprop_current=True)
    assert somesteps("rmsprop", reset("rmsprop", x, y, hp), x, y, hp)[-1].b != base.b
    # adam with bias correction and eps from zero state, like torch.optim.Adam: the first step
    # moves each parameter by lr (m_hat/sqrt(v_hat) = g/|g|)
    hp = lesson_hyper("adam", bias_correction=True, eps=1e-8, v_init=0.0, lr=0.5)
    s0 = reset("adam", x, y, hp, warmup=False)
    sw = sweep("adam", s0, x, y, hp)
    assert sw.new_b[0] == pytest.approx(1.0 - 0.5 * np.sign(sw.g_b[0]), rel=1e-7)


# --- the lesson workbook -------------------------------------------------------------

def _lesson_book():
    if not os.path.exists(LESSON_BOOK):
        pytest.skip("the lesson workbooks are not beside the project (../shared/lesson-workbooks)")
    from sheetnet.xlsx.reader import read_workbook
    return read_workbook(LESSON_BOOK)


# column letters of the lesson's sheets -> Sweep fields
LESSON_COLUMNS = {
    "sgd": dict(C="b", D="a", E="pred", F="err2", G="e_bh", H="fd_b", I="e_ah", J="fd_a", K="g_b", L="g_a",
                M="new_a", N="new_b"),
    "momentum": dict(C="b", D="a", E="pred", F="g_b", G="g_a", H="new_b", I="new_a", J="m_b", K="m_a",
                     L="err2"),
    "rmsprop": dict(C="b", D="a", E="pred", F="g_b", G="g_a", H="new_b", I="new_a", J="v_b", K="v_a"),
    "adam": dict(C="b", D="a", E="pred", F="g_b", G="g_a", H="new_b", I="new_a", J="m_b", K="m_a", L="v_b",
                 M="v_a"),
}
LESSON_COLUMNS["adam_ann"] = LESSON_COLUMNS["adam"]


def _saved_state(sheet, opt) -> State:
    v = sheet.value
    lr = v("F1") if opt == "sgd" else v("D2")
    m = (v("J33"), v("K33")) if opt in ("momentum", "adam", "adam_ann") else (0.0, 0.0)
    if opt == "rmsprop":
        vv = (v("J33"), v("K33"))
    elif opt in ("adam", "adam_ann"):
        vv = (v("L33"), v("M33"))
    else:
        vv = (0.0, 0.0)
    pg = v("N3") if opt == "adam_ann" else math.nan
    return State(b=v("C1"), a=v("C2"), m=m, v=vv, lr=lr, prev_grad2=pg)


def _left_sum(values):
    total = 0.0
    for e in values:
        total += e
    return total


def _expected_cells(sheet, opt, hp):
    """Every formula cell of the lesson sheet as the mirror computes it from the saved inputs."""
    from sheetnet.refs import col_index
    x, y = lesson_data()
    s = _saved_state(sheet, opt)
    sw = sweep(opt, s, x, y, hp)
    exp = {}
    for letter, field in LESSON_COLUMNS[opt].items():
        col = getattr(sw, field)
        for i in range(29):
            exp[(3 + i, col_index(letter))] = float(col[i])
    v = sheet.value
    if opt == "sgd":
        exp[(32, 5)] = sw.error                                          # F33
        exp[(32, 10)] = math.sqrt(_left_sum(sw.g_b * sw.g_b))            # K33
        exp[(32, 11)] = math.sqrt(_left_sum(sw.g_a * sw.g_a))            # L33
    else:
        exp[(0, 10)] = 1 - v("J1")                                       # K1
        first = {"momentum": "JK", "rmsprop": "JK", "adam": "JKLM", "adam_ann": "JKLM"}[opt]
        for letter in first:                                             # J3.. = J33..
            exp[(2, col_index(letter))] = v(f"{letter}33")
    if opt == "momentum":
        exp[(32, 11)] = sw.error                                         # L33
    if opt in ("adam", "adam_ann"):
        exp[(0, 12)] = 1 - v("L1")                                       # M1
    if opt == "adam_ann":
        exp[(32, 5)] = math.sqrt(_left_sum(sw.g_b * sw.g_b)) / 29        # F33
        exp[(32, 6)] = math.sqrt(_left_sum(sw.g_a * sw.g_a)) / 29        # G33
        avg = math.sqrt(v("L33")) + math.sqrt(v("M33"))
        exp[(32, 13)] = avg                                              # N33 avg_grad2
        exp[(33, 10)] = 1 / v("K3")                                      # K34
        exp[(33, 11)] = 1 / v("L3")                                      # L34
        exp[(33, 13)] = avg / v("N3")                                    # N34 gradrat
    return exp


@pytest.mark.parametrize("opt", optim.OPTIMIZERS)
def test_every_formula_cell_of_the_lesson_sheets_from_their_saved_state(opt):
    """From the state saved in graddesc.xlsm, the mirror gives every formula
    cell's cached value: bit for bit (rtol 0) on every sheet."""
    book = _lesson_book()
    sheet = book[optim.SHEET_NAMES[opt]]
    hp = lesson_hyper(opt, beta2=sheet.value("L1") if opt in ("adam", "adam_ann") else None)
    exp = _expected_cells(sheet, opt, hp)
    cells = set()
    for g in sheet.groups:
        rr, cc = g.footprint()
        cells.update(zip(rr.tolist(), cc.tolist()))
    assert cells == set(exp), f"unmirrored cells: {sorted(cells - set(exp))[:5]}"
    bad = [(k, sheet.value(k), e) for k, e in exp.items() if sheet.value(k) != e]
    assert not bad, bad[:5]


def test_the_saved_states_are_reached():
    """basic, rmsprop = reset + 5 epochs, momentum = reset (bit for bit); adam = reset + 15 epochs at
    lr 1 + 5 at lr 0.1 (bit for bit); adam_ann = reset + 25 epochs, lr ending at 1/256 (see below)."""
    book = _lesson_book()
    x, y = lesson_data()

    def saved(opt):
        return _saved_state(book[optim.SHEET_NAMES[opt]], opt)

    for opt in ("sgd", "rmsprop"):
        got = somesteps(opt, reset(opt, x, y), x, y)[-1]
        want = saved(opt)
        assert (got.b, got.a, got.m, got.v, got.lr) == (want.b, want.a, want.m, want.v, want.lr)
    got, want = reset("momentum", x, y), saved("momentum")
    assert (got.b, got.a, got.m) == (want.b, want.a, want.m)
    s = somesteps("adam", reset("adam", x, y), x, y, n=15)[-1]
    hp = lesson_hyper("adam", lr=0.1)
    s = somesteps("adam", State(s.b, s.a, s.m, s.v, 0.1), x, y, hp, n=5)[-1]
    want = saved("adam")
    assert (s.b, s.a, s.m, s.v, s.lr) == (want.b, want.a, want.m, want.v, want.lr)


def test_adam_ann_saved_state_is_reached_to_excels_rounding():
    """adam_ann after reset + 25 epochs: the same four lr cuts (after epochs 7, 8, 16, 17; lr 1/256),
    a and b to 3e-13, the near-zero m and v to 2e-9 relative (8e-11 absolute).  Not bit for bit:
    25 epochs amplify Excel's occasional last-bit difference in x^2 (replacing x*x by a square
    that is off in the last bits moves these numbers by the same 1e-9)."""
    book = _lesson_book()
    x, y = lesson_data()
    s = somesteps("adam_ann", reset("adam_ann", x, y), x, y, n=25)[-1]
    want = _saved_state(book["adam_ann"], "adam_ann")
    assert s.lr == want.lr == 1 / 256
    assert s.b == pytest.approx(want.b, rel=1e-12) and s.a == pytest.approx(want.a, rel=1e-12)
    np.testing.assert_allclose(s.m + s.v, want.m + want.v, rtol=5e-9)
    assert s.prev_grad2 == pytest.approx(want.prev_grad2, rel=1e-9)


# --- gradients ------------------------------------------------------------------------

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(b=finite, a=finite, x=st.integers(1, 100).map(float), y=st.floats(-500, 500),
       h=st.sampled_from([0.01, 0.1, 1e-3]))
def test_forward_difference_error_is_h_and_h_x_squared(b, a, x, y, h):
    fd_b, fd_a = optim.forward_difference(b, a, x, y, h)
    g_b, g_a = optim.analytic_gradient(b, a, x, y)
    eb, ea = optim.forward_difference_error(x, h)
    r = abs(a * x + b - y) + abs(y) + abs(b) + abs(a * x) + h * x + 1
    # rounding: the squares are ~r^2 (relative error 1e-16 each), divided by h
    tol = 8 * np.finfo(float).eps * r * r / h
    assert abs((fd_b - g_b) - eb) <= tol
    assert abs((fd_a - g_a) - ea) <= tol


def test_forward_difference_error_on_the_lesson_data():
    """The basic sheet's est de/da overshoots by h*x^2: 0.64 .. 98.01 on the lesson's x."""
    x, _ = lesson_data()
    _, ea = optim.forward_difference_error(x)
    assert ea.min() == pytest.approx(0.64) and ea.max() == pytest.approx(98.01)
    sw = sweep("sgd", reset("sgd", *lesson_data()), *lesson_data())
    np.testing.assert_allclose(sw.fd_b - sw.g_b, 0.01, rtol=1e-8)
    np.testing.assert_allclose(sw.fd_a - sw.g_a, 0.01 * x * x, rtol=1e-8)


@settings(max_examples=200, deadline=None)
@given(b=finite, a=finite, x=st.integers(1, 100).map(float), y=st.floats(-500, 500))
def test_central_difference_matches_the_analytic_gradient(b, a, x, y):
    h = 1e-3
    c_b, c_a = optim.central_difference(b, a, x, y, h)
    g_b, g_a = optim.analytic_gradient(b, a, x, y)
    r = abs(a * x + b - y) + abs(y) + abs(b) + abs(a * x) + h * x + 1
    tol = 8 * np.finfo(float).eps * r * r / h
    assert abs(c_b - g_b) <= tol
    assert abs(c_a - g_a) <= tol * x
