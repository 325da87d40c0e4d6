"""The workbook's losses against PyTorch (CPU, float64): natural-log losses
equal torch.nn.functional's to 1e-12, base-10 ones equal them divided by
ln 10."""

import math
import os

import numpy as np
import pytest

from sheetnet.engine import Engine
from sheetnet.lessons.entropy import build_book, inputs_from_workbook, seeded_inputs

torch = pytest.importorskip("torch")
F = torch.nn.functional

LESSON = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "lesson-workbooks", "entropy_example.xlsx")
LN10 = math.log(10)
ATOL = 1e-12


def _inputs(which):
    if which == "lesson":
        if not os.path.exists(LESSON):
            pytest.skip("lesson workbook entropy_example.xlsx not found beside the project")
        return inputs_from_workbook(LESSON)
    classes, images, seed = which
    return seeded_inputs([f"c{k}" for k in range(classes)], images, seed)


def _sheet(inputs, log):
    built = build_book(inputs, log=log)
    engine = Engine(built.book).recalc()
    return lambda key: built.roles.values(engine, *key.split(".", 1))     # "sheet.role"


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _close(sheet, reference, scale=1.0):
    """sheet == reference / scale to ATOL (absolute; the losses are O(1))."""
    want = np.asarray(reference.detach().numpy(), dtype=np.float64).reshape(np.shape(sheet)) / scale
    np.testing.assert_allclose(sheet, want, rtol=0, atol=ATOL)
    return float(np.max(np.abs(sheet - want)))


CASES = ["lesson", (5, 4, 0), (2, 1, 1), (10, 32, 5), (3, 7, 11)]


@pytest.mark.parametrize("which", CASES, ids=str)
@pytest.mark.parametrize("log", ["natural", "base10"])
def test_losses_equal_torch(which, log):
    inputs = _inputs(which)
    v = _sheet(inputs, log)
    scale = 1.0 if log == "natural" else LN10

    # entropy: binary cross-entropy, both forms
    y, p = _t(v("entropy.y")[:, 0]), _t(v("entropy.p")[:, 0])
    bce = F.binary_cross_entropy(p, y, reduction="none")
    _close(v("entropy.bce_sum"), bce, scale)
    _close(v("entropy.bce_if"), bce, scale)
    other = LN10 if log == "natural" else 1.0      # the other-base column
    _close(v("entropy.bce_other"), bce, other)

    # log_entropy: two classes (isCat, isDog), the one-hot dot product and the look-up
    target = torch.as_tensor(v("log_entropy.idx")[:, 0].astype(np.int64) - 1)    # MATCH is 1-based
    logp2 = torch.log(torch.stack([p, 1 - p], dim=1))
    nll = F.nll_loss(logp2, target, reduction="none")
    for key in ("log_entropy.nll", "log_entropy.nll_lookup"):
        _close(v(key), nll, scale)
        _close(v(key), bce, scale)
    _close(v("log_entropy.idx_pred"), -nll, scale)

    # cross_entropy: images as rows, scores straight from the softmax sheet
    scores = _t(v("cross_entropy.scores"))
    np.testing.assert_array_equal(v("cross_entropy.scores"), inputs.scores.T)
    target = torch.as_tensor(v("cross_entropy.idx")[:, 0].astype(np.int64) - 1)
    assert target.tolist() == list(inputs.targets)
    ce = F.cross_entropy(scores, target, reduction="none")
    nll = F.nll_loss(F.log_softmax(scores, dim=1), target, reduction="none")
    for key in ("cross_entropy.loss", "cross_entropy.loss_onehot"):
        _close(v(key), ce, scale)
        _close(v(key), nll, scale)
    _close(v("cross_entropy.loss_other"), ce, other)
    _close(v("cross_entropy.mean_loss"), F.cross_entropy(scores, target), scale)
    _close(v("cross_entropy.mean_loss_onehot"), F.nll_loss(F.log_softmax(scores, dim=1), target), scale)
    _close(v("cross_entropy.probs"), torch.softmax(scores, dim=1))
    _close(v("cross_entropy.logp"), F.log_softmax(scores, dim=1), scale)

    # softmax sheet: softmax down each image's column, the sigmoid "binary" column
    for i in range(1, inputs.scores.shape[1] + 1):
        s = _t(v(f"softmax.scores.{i}")[:, 0])
        _close(v(f"softmax.softmax.{i}"), torch.softmax(s, dim=0))
        _close(v(f"softmax.safe_softmax.{i}"), torch.softmax(s, dim=0))
        _close(v(f"softmax.sigmoid.{i}"), torch.sigmoid(s))


def test_base_ten_at_one_half_is_0_30103():
    """The lesson's quirk in one number: -LOG(0.5) = 0.30103 = ln 2 / ln 10."""
    v = _sheet(_inputs("lesson") if os.path.exists(LESSON) else _inputs((5, 4, 0)), "base10")
    half = F.binary_cross_entropy(_t([0.5]), _t([1.0])).item()
    assert half == pytest.approx(math.log(2), abs=1e-15)
    assert abs(half / LN10 - 0.30102999566398) < 1e-13
    if os.path.exists(LESSON):
        assert abs(v("entropy.bce_sum")[0, 0] - half / LN10) < ATOL
