"""Every torch lesson quantity against the value Excel stored in the original
workbooks, within the lessons' tolerance catalogue (sheetnet.crosscheck) -- in
float64 and in float32, on every available device.  (The sheet-vs-engine-vs-
mirror legs of the cross-check come with `sheetnet crosscheck`.)"""

from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sheetnet.crosscheck import TOLERANCES, tolerance
from sheetnet.devices import available_devices
from sheetnet.lessons.collab import torchref as collab
from sheetnet.lessons.entropy import torchref as softmax
from sheetnet.lessons.graddesc import torchref as gradients
from sheetnet.lessons.graddesc import torchref as optim
from sheetnet.refs import parse_area

BOOKS = os.environ.get("SHEETNET_LESSON_WORKBOOKS") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks")
DEVICES = available_devices()
DTYPES = ["float64", "float32"]


def _book(name):
    path = os.path.join(BOOKS, name)
    if not os.path.exists(path):
        pytest.skip(f"lesson workbook not found: {path}")
    from sheetnet.xlsx.reader import read_workbook
    return read_workbook(path)


@pytest.fixture(scope="module")
def collab_book():
    return _book("collab_filter.xlsx")


@pytest.fixture(scope="module")
def graddesc_book():
    return _book("graddesc.xlsm")


@pytest.fixture(scope="module")
def entropy_book():
    return _book("entropy_example.xlsx")


def block(sheet, area: str) -> np.ndarray:
    """A rectangle of cached numbers (NaN for blanks and text)."""
    a = parse_area(area)
    out = np.full((a.r1 - a.r0 + 1, a.c1 - a.c0 + 1), np.nan)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            v = sheet.value((a.r0 + i, a.c0 + j))
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[i, j] = v
    return out


def check(lesson, quantity, got, ref, dtype):
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape
    diff = float(np.max(np.abs(got - ref)))
    bound = tolerance(lesson, quantity, dtype).bound(ref)
    assert diff <= bound, f"{lesson}/{quantity} ({dtype}): max abs diff {diff:.3g} > tolerance {bound:.3g}"


def test_every_quantity_has_tolerances_for_both_dtypes():
    tolerance("collab", "embedding")          # loads every lesson's declarations
    for entry in TOLERANCES.values():
        for dtype in DTYPES:
            tol = entry.for_dtype(dtype)
            assert tol.atol >= 0 and tol.rtol >= 0
        assert entry.bound([1.0], "float32") >= entry.bound([1.0], "float64")
        assert len(entry.why) > 40


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_collab(collab_book, device, dtype):
    s = collab_book["dotprod"]
    R, M, U = block(s, "H2:V16"), block(s, "H19:V23").T, block(s, "B25:F39")
    pred = collab.crosstab_predictions(R, U, M, device=device, dtype=dtype)
    check("collab", "prediction", pred, block(s, "H25:V39"), dtype)
    check("collab", "rmse", collab.crosstab_rmse(R, pred, device=device, dtype=dtype), s.value("V41"), dtype)

    s = collab_book["bias"]
    R, M, U = block(s, "H2:V16"), block(s, "H20:V24").T, block(s, "B26:F40")
    pred = collab.crosstab_predictions(R, U, M, block(s, "A26:A40"), block(s, "H19:V19"), device=device, dtype=dtype)
    check("collab", "prediction", pred, block(s, "H26:V40"), dtype)
    check("collab", "rmse", collab.crosstab_rmse(R, pred, device=device, dtype=dtype), s.value("V42"), dtype)

    s = collab_book["movielens_1hot"]
    users = block(s, "K3:K208")[:, 0].astype(int) - 1          # MATCH gives 1-based positions
    items = block(s, "L3:L208")[:, 0].astype(int) - 1
    UW, MW = block(s, "C4:G18"), block(s, "C22:G36")
    for fn in (collab.one_hot_matmul, collab.embedding_lookup, collab.index_lookup):
        check("collab", "embedding", fn(users, UW, device=device, dtype=dtype), block(s, "AE3:AI208"), dtype)
        check("collab", "embedding", fn(items, MW, device=device, dtype=dtype), block(s, "BA3:BE208"), dtype)
    pred = collab.predict(UW, MW, users, items, device=device, dtype=dtype)
    check("collab", "prediction", pred, block(s, "BG3:BG208")[:, 0], dtype)
    check("collab", "rmse", collab.rmse(pred, block(s, "M3:M208")[:, 0], device=device, dtype=dtype),
          s.value("BH210"), dtype)
    assert s.value("BH210") == pytest.approx(0.39302, abs=5e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_graddesc(graddesc_book, device, dtype):
    s = graddesc_book["basic"]                       # saved after reset + 5 epochs
    x, y = block(s, "A4:A32")[:, 0], block(s, "B4:B32")[:, 0]
    b, a = block(s, "C4:C32")[:, 0], block(s, "D4:D32")[:, 0]
    gb, ga = gradients.gradients_autograd(a, b, x, y, device=device, dtype=dtype)
    check("graddesc", "gradient", gb, block(s, "K4:K32")[:, 0], dtype)
    check("graddesc", "gradient", ga, block(s, "L4:L32")[:, 0], dtype)
    fb, fa = gradients.gradients_forward_difference(a, b, x, y, device=device, dtype=dtype)
    check("graddesc", "finite_difference", fb, block(s, "H4:H32")[:, 0], dtype)
    check("graddesc", "finite_difference", fa, block(s, "J4:J32")[:, 0], dtype)

    run = optim.train_sheet("basic", x, y, 5, device=device, dtype=dtype)
    check("graddesc", "parameters", run.rows["new_b"][5], block(s, "N4:N32")[:, 0], dtype)
    check("graddesc", "parameters", run.rows["new_a"][5], block(s, "M4:M32")[:, 0], dtype)
    check("graddesc", "parameters", [run.b[5], run.a[5]], [s.value("C1"), s.value("C2")], dtype)
    check("graddesc", "error", run.error[5], s.value("F33"), dtype)

    s = graddesc_book["rmsprop"]                     # saved after reset + 5 epochs
    run = optim.train_sheet("rmsprop", x, y, 5, device=device, dtype=dtype)
    check("graddesc", "parameters", np.c_[run.rows["new_b"][5], run.rows["new_a"][5]], block(s, "H4:I32"), dtype)
    check("graddesc", "state", np.c_[run.rows["v_b"][5], run.rows["v_a"][5]], block(s, "J4:K32"), dtype)

    s = graddesc_book["momentum"]                    # saved right after reset
    run = optim.train_sheet("momentum", x, y, 0, device=device, dtype=dtype)
    check("graddesc", "parameters", np.c_[run.rows["new_b"][0], run.rows["new_a"][0]], block(s, "H4:I32"), dtype)
    check("graddesc", "state", np.c_[run.rows["m_b"][0], run.rows["m_a"][0]], block(s, "J4:K32"), dtype)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy(entropy_book, device, dtype):
    s = entropy_book["softmax"]
    scores = np.c_[block(s, "B3:B7"), block(s, "G3:G7")]
    check("entropy", "softmax", softmax.softmax(scores, device=device, dtype=dtype),
          np.c_[block(s, "D3:D7"), block(s, "I3:I7")], dtype)
    check("entropy", "sigmoid", softmax.sigmoid(scores, device=device, dtype=dtype), block(s, "K3:L7"), dtype)

    s = entropy_book["entropy"]
    y, p = block(s, "B2:B6")[:, 0], block(s, "C2:C6")[:, 0]
    for form in softmax.BCE_FORMS:
        got = softmax.binary_cross_entropy(p, y, form=form, base=10, device=device, dtype=dtype)
        check("entropy", "cross_entropy", got, block(s, "D2:D6")[:, 0], dtype)
        check("entropy", "cross_entropy", got, block(s, "E2:E6")[:, 0], dtype)

    s = entropy_book["log_entropy"]
    is_cat, p = block(s, "B2:B6")[:, 0], block(s, "D2:D6")[:, 0]
    two = softmax.binary_as_two_classes(p)
    target = (is_cat == 0).astype(int)
    for form in softmax.CE_FORMS:
        got = softmax.cross_entropy_from_probs(two, target, form=form, base=10, device=device, dtype=dtype)
        check("entropy", "cross_entropy", got, block(s, "G2:G6")[:, 0], dtype)
        check("entropy", "cross_entropy", -got, block(s, "I2:I6")[:, 0], dtype)
