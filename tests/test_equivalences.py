"""The lesson's equivalences, proved for random inputs (hypothesis), in every form:
the engine evaluating the formulas of a generated sheet, the numpy mirror and
PyTorch on every available device.

* one-hot x W == look-up == nn.Embedding, exactly (random sizes, indices with repeats);
* every spreadsheet optimiser: engine == the numpy macros == torch (train_sheet)
  for random data and hyperparameters set through the workbook's named cells;
* the cross-entropy forms (sum, IF, one-hot dot product, look-up) and torch agree;
* softmax sums to 1, ignores a shift of every score, and the safe form equals the naive one.

Examples are bounded (``max_examples``) so the file stays fast in CI.  Torch
tolerances are the stated ones (the lessons' entries in sheetnet.crosscheck.TOLERANCES);
engine-vs-mirror comparisons are exact wherever the mirror follows the formula's
order of operations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sheetnet.book import Book
from sheetnet.crosscheck import EPS64, Setting, judge, tolerance
from sheetnet.devices import available_devices
from sheetnet.engine import Engine
from sheetnet.lessons.collab import CollabInputs, initial_inputs
from sheetnet.lessons.collab import mirror as CM
from sheetnet.lessons.collab import torchref as TC
from sheetnet.lessons.collab.ratings import Ratings
from sheetnet.lessons.collab.rows import rows as collab_rows
from sheetnet.lessons.entropy import EntropyInputs, build_book
from sheetnet.lessons.entropy import mirror as EM
from sheetnet.lessons.entropy import torchref as TS
from sheetnet.lessons.entropy.rows import rows as entropy_rows
from sheetnet.lessons.graddesc import build_book as graddesc_book
from sheetnet.lessons.graddesc import mirror as O
from sheetnet.lessons.graddesc.rows import rows as graddesc_rows
from sheetnet.lessons.graddesc.sheet import SHEET_PARAMETERS
from sheetnet.refs import cell_name

DEVICES = available_devices()
FAST = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _failed(rows):
    return [f"{r.lesson}/{r.quantity}: {r.max_abs_diff:.3g} (sheet-mirror {r.sheet_mirror_diff:.3g} <= "
            f"{r.mirror_bound:.3g}, torch {r.torch_diff:.3g} <= {r.torch_bound:.3g}; worst {r.worst_pair})"
            for r in rows if not r.ok]


# =============================================================================== one-hot x W

def lookup_sheet(W: np.ndarray, idx: np.ndarray):
    """A small sheet laid out like movielens_1hot/emb: W at C4 (a row per index),
    1-based indices in a column, a one-hot block IF(idx=col,1,0), {=MMULT(onehot, W)}
    and OFFSET($B$3, idx, col) look-ups.  Returns the recalculated engine and the areas."""
    n, k = W.shape
    L = idx.size
    r0 = 2                                   # first index row (row 3)
    ic = k + 3                               # the index column
    oc = ic + 2                              # one-hot block, n columns
    ac = oc + n + 1                          # MMULT activations, k columns
    lc = ac + k + 1                          # OFFSET activations, k columns
    book = Book()
    s = book.add_sheet("emb")
    s.set_values((3, 2), W)
    s.set_values((r0, ic), (idx + 1).astype(np.float64)[:, None])
    s.set_values((1, oc), np.arange(1, n + 1, dtype=np.float64)[None, :])
    s.set_values((1, lc), np.arange(1, k + 1, dtype=np.float64)[None, :])
    area = lambda c0, c1: f"{cell_name(r0, c0)}:{cell_name(r0 + L - 1, c1)}"   # noqa: E731
    onehot = area(oc, oc + n - 1)
    table = f"{cell_name(3, 2)}:{cell_name(3 + n - 1, 2 + k - 1)}"
    s.fill(onehot, f"=IF(${cell_name(r0, ic)}={cell_name(1, oc, True, False)},1,0)")
    s.set_array_formula(area(ac, ac + k - 1), f"=MMULT({onehot},{table})")
    s.fill(area(lc, lc + k - 1), f"=OFFSET($B$3,${cell_name(r0, ic)},{cell_name(1, lc, True, False)})")
    engine = Engine(book).recalc()
    return engine, {"onehot": onehot, "mmult": area(ac, ac + k - 1), "offset": area(lc, lc + k - 1)}


@st.composite
def tables_and_indices(draw):
    n = draw(st.integers(1, 9))
    k = draw(st.integers(1, 5))
    # any doubles within float32's normal range (the float32 tolerance rounds each weight once)
    magnitude = st.floats(1e-30, 1e6)
    weight = st.one_of(st.just(0.0), magnitude, magnitude.map(lambda v: -v))
    W = draw(hnp.arrays(np.float64, (n, k), elements=weight))
    L = draw(st.integers(1, 16))
    # indices with repeats: drawn from a few distinct values more often than not
    pool = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=max(1, min(n, L))))
    idx = np.array(draw(st.lists(st.sampled_from(pool), min_size=L, max_size=L)), dtype=np.int64)
    return W, idx


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=20, **FAST)
@given(tables_and_indices())
def test_onehot_times_w_is_a_lookup_is_nn_embedding(device, case):
    W, idx = case
    engine, at = lookup_sheet(W, idx)
    want = W[idx]
    # the engine: IF one-hot block, MMULT of it, OFFSET look-ups -- exactly W's rows
    np.testing.assert_array_equal(engine.values("emb", at["onehot"]), CM.one_hot(idx + 1, W.shape[0]))
    np.testing.assert_array_equal(engine.values("emb", at["mmult"]), want)
    np.testing.assert_array_equal(engine.values("emb", at["offset"]), want)
    # the mirror
    np.testing.assert_array_equal(CM.one_hot_activations(CM.one_hot(idx + 1, W.shape[0]), W), want)
    np.testing.assert_array_equal(CM.lookup(W, idx + 1), want)
    # torch, float64: exact (embedding tolerance 0); float32: W rounded once, then exact
    for fn in (TC.one_hot_matmul, TC.embedding_lookup, TC.index_lookup):
        np.testing.assert_array_equal(fn(idx, W, device=device), want, err_msg=fn.__name__)
        got32 = fn(idx, W, device=device, dtype="float32")
        np.testing.assert_array_equal(got32, W.astype(np.float32)[idx].astype(np.float64), err_msg=fn.__name__)
        assert np.max(np.abs(got32 - want), initial=0.0) <= tolerance("collab", "embedding", "float32").bound(want)
    assert tolerance("collab", "embedding", "float64").bound(want) == 0.0


@st.composite
def collab_cases(draw):
    n_users = draw(st.integers(1, 6))
    n_movies = draw(st.integers(1, 6))
    k = draw(st.integers(1, 4))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_users - 1), st.integers(0, n_movies - 1)),
                          min_size=1, max_size=n_users * n_movies, unique=True))
    user_ids = sorted(draw(st.lists(st.integers(1, 10**6), min_size=n_users, max_size=n_users, unique=True)))
    movie_ids = sorted(draw(st.lists(st.integers(1, 10**6), min_size=n_movies, max_size=n_movies, unique=True)))
    rating = draw(st.lists(st.integers(1, 10), min_size=len(pairs), max_size=len(pairs)))
    w = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)
    uf = draw(hnp.arrays(np.float64, (n_users, k), elements=w))
    mf = draw(hnp.arrays(np.float64, (k, n_movies), elements=w))
    ub = draw(hnp.arrays(np.float64, n_users, elements=st.floats(-1, 1)))
    mb = draw(hnp.arrays(np.float64, n_movies, elements=st.floats(-1, 1)))
    ratings = Ratings(np.array(user_ids, float), np.array(movie_ids, float), np.array([p[0] for p in pairs]),
                      np.array([p[1] for p in pairs]), np.array(rating, float) / 2, source="hypothesis")
    base = initial_inputs(ratings, factors=k, seed=1)
    return CollabInputs(ratings, uf, mf, uf, mf, ub, mb, base.vocabulary, base.embeddings, base.text)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=15, **FAST)
@given(collab_cases())
def test_the_collab_workbook_for_random_ratings(device, inputs):
    """The generated collab sheets (one-hot MMULT, OFFSET look-ups, crosstab predictions, RMSEs)
    against the mirror and torch, every row of the cross-check within its tolerance."""
    rows = [judge(r) for r in collab_rows(Setting(device), inputs)]
    assert not _failed(rows), _failed(rows)
    by = {r.quantity: r for r in rows}
    for q in ("onehot_matrix", "onehot_activations", "embedding_activations", "word_vectors"):
        assert by[q].max_abs_diff == 0.0, q          # exact: one-hot x W == look-up == nn.Embedding


# =============================================================================== optimisers

_WORKBOOKS: dict[tuple[int, int], tuple] = {}


def graddesc_workbook(points: int, epochs: int):
    """One planned workbook per shape; each example writes its data and hyperparameters into it."""
    key = (points, epochs)
    if key not in _WORKBOOKS:
        x = np.arange(1.0, points + 1)
        built = graddesc_book(x, 2 * x + 30, epochs)
        _WORKBOOKS[key] = (Engine(built.book), built.roles)
    return _WORKBOOKS[key]


def set_cells(engine, roles, x, y, hypers) -> None:
    """The data into the data sheet, each optimiser's hyperparameters into its named cells."""
    engine.set_numbers("data", roles["data", "x"].area.a1, x[:, None])
    engine.set_numbers("data", roles["data", "y"].area.a1, y[:, None])
    for opt, hp in hypers.items():
        sheet = O.SHEET_NAMES[opt]
        values = {"lr": hp.lr, "h": hp.h, "beta": hp.beta1 if opt == "momentum" else hp.beta2,
                  "beta_1": hp.beta1, "beta_2": hp.beta2, "v_start": hp.v_init}
        for name in SHEET_PARAMETERS[opt]:
            if name in values:
                cell = roles[sheet, name].area
                engine.set_value(sheet, (cell.r0, cell.c0), values[name])
    engine.recalc()


@st.composite
def optimiser_cases(draw):
    n = draw(st.integers(1, 6), label="points")
    x = np.array(draw(st.lists(st.integers(1, 100), min_size=n, max_size=n), label="x"), dtype=float)
    slope = draw(st.floats(-5, 5), label="slope")
    intercept = draw(st.floats(-50, 50), label="intercept")
    beta = lambda hi=0.99: st.floats(0.5, hi)                   # noqa: E731
    v0 = st.floats(1.0, 1e4)
    hypers = {
        "sgd": O.lesson_hyper("sgd", lr=draw(st.floats(1e-6, 1e-4)), h=draw(st.sampled_from([0.01, 0.1, 1e-3]))),
        "momentum": O.lesson_hyper("momentum", lr=draw(st.floats(1e-6, 1e-4)), beta1=draw(beta())),
        "rmsprop": O.lesson_hyper("rmsprop", lr=draw(st.floats(1e-3, 0.1)), beta2=draw(beta()), v_init=draw(v0)),
        "adam": O.lesson_hyper("adam", lr=draw(st.floats(1e-3, 2.0)), beta1=draw(beta()), beta2=draw(beta(0.999)),
                               v_init=draw(v0)),
        "adam_ann": O.lesson_hyper("adam_ann", lr=draw(st.floats(1e-3, 2.0)), beta1=draw(beta()),
                                   beta2=draw(beta(0.999)), v_init=draw(v0)),
    }
    epochs = draw(st.integers(0, 3), label="epochs")
    return x, intercept + x * slope, hypers, epochs


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=15, **FAST)
@given(optimiser_cases())
def test_every_optimiser_engine_mirror_torch(device, case):
    """For random data, learning rates, betas and v_start: every optimiser sheet's formulas
    (the engine), the numpy macros and torch's optimisers give the same a, b, state, lr and
    error per epoch -- engine and mirror bit for bit, torch within the stated tolerances."""
    x, y, hypers, epochs = case
    for opt, hp in hypers.items():
        run = O.run(opt, x, y, epochs, hp)
        assume(run.diverged_at is None and all(abs(r.a) < 1e8 and abs(r.b) < 1e8 for r in run.records))
    engine, roles = graddesc_workbook(x.size, epochs)
    set_cells(engine, roles, x, y, hypers)
    rows = [judge(r) for r in graddesc_rows(Setting(device, "float64", epochs), x, y, hypers, (engine, roles))]
    assert not _failed(rows), _failed(rows)
    for r in rows:
        if not r.quantity.startswith("fd_excess"):
            assert r.sheet_mirror_diff == 0.0, r.quantity     # the formulas and the mirror: bit for bit
    quantities = {r.quantity for r in rows}
    for sheet in ("basic", "momentum", "rmsprop", "adam", "adam_ann"):
        assert {f"{sheet}.parameters", f"{sheet}.error"} <= quantities


# =============================================================================== cross-entropy

probabilities = st.floats(1e-6, 1 - 1e-6)


@st.composite
def entropy_cases(draw):
    K = draw(st.integers(2, 6), label="classes")
    N = draw(st.integers(1, 4), label="images")
    scores = draw(hnp.arrays(np.float64, (K, N), elements=st.floats(-30, 30)), label="scores")
    R = draw(st.integers(1, 6), label="rows")
    y = np.array(draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=R, max_size=R), label="y"))
    p = np.array(draw(st.lists(probabilities, min_size=R, max_size=R), label="p"))
    targets = np.array(draw(st.lists(st.integers(0, K - 1), min_size=N, max_size=N)), dtype=np.int64)
    return EntropyInputs(tuple(f"class{k}" for k in range(K)), scores, y, p, targets)


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=20, **FAST)
@given(entropy_cases())
def test_cross_entropy_forms_and_torch_agree(device, inputs):
    """Binary: -y log p - (1-y) log(1-p) == -IF(y=1, log p, log(1-p)) == one-hot dot product ==
    look-up (INDEX, OFFSET) == F.binary_cross_entropy / F.nll_loss; multi-class: look-up ==
    one-hot == F.cross_entropy == F.nll_loss(log_softmax); base 10 = natural / ln 10 --
    in the engine, the mirror and torch, for random scores, labels and probabilities."""
    rows = [judge(r) for r in entropy_rows(Setting(device), inputs)]
    assert not _failed(rows), _failed(rows)
    by = {r.quantity: r for r in rows}
    for q in ("bce_base10", "bce_natural", "nll_onehot_vs_lookup", "ce_base10", "ce_natural", "ln10_factor"):
        assert q in by
    # the binary forms once more, written out with torch's own losses
    y, p = inputs.y, inputs.p
    want = -np.where(y == 1, np.log(p), np.log1p(-p))       # the loss, accurately
    tol = tolerance("entropy", "cross_entropy", "float64").atol
    for form in TS.BCE_FORMS:
        got = TS.binary_cross_entropy(p, y, form=form, device=device)
        # log(1 - p) from the rounded 1 - p: ulp(1)/(1 - p) relative at worst
        assert np.all(np.abs(got - want) <= tol + 4 * EPS64 * (1 + 1 / (1 - p)) * np.abs(want)), form
    two = TS.binary_as_two_classes(p)
    target = (y == 0).astype(np.int64)
    forms = {f: TS.cross_entropy_from_probs(two, target, form=f, base=10, device=device) for f in TS.CE_FORMS}
    for f, got in forms.items():
        np.testing.assert_allclose(got, forms["nll_loss"], rtol=0, atol=tol, err_msg=f)


# =============================================================================== softmax

_SOFTMAX: dict[int, tuple] = {}


def softmax_engine(K: int, N: int = 3):
    if K not in _SOFTMAX:
        inputs = EntropyInputs(tuple(f"c{k}" for k in range(K)), np.zeros((K, N)), [1.0], [0.5],
                               np.zeros(N, dtype=np.int64))
        built = build_book(inputs, log="natural")
        _SOFTMAX[K] = (Engine(built.book), built.roles)
    return _SOFTMAX[K]


@pytest.mark.parametrize("device", DEVICES)
@settings(max_examples=20, **FAST)
@given(st.integers(2, 6).flatmap(lambda K: hnp.arrays(np.float64, (K, 3), elements=st.floats(-30, 30))),
       st.floats(-100, 100))
def test_softmax_sums_to_one_and_ignores_a_shift(device, scores, c):
    """In the engine (naive EXP/SUM and the safe EXP(s - MAX) blocks), the mirror and torch:
    probabilities sum to 1, adding c to every score changes nothing beyond rounding, the safe
    form equals the naive one, and the sigmoid (not a softmax) does move."""
    K = scores.shape[0]
    engine, roles = softmax_engine(K)

    def sheet(s):
        for i in range(1, 4):
            engine.set_numbers("softmax", roles["softmax", f"scores.{i}"].area.a1, s[:, i - 1:i])
        engine.recalc()
        v = lambda key: np.hstack([roles.values(engine, "softmax", f"{key}.{i}") for i in range(1, 4)])  # noqa
        return v("softmax"), v("safe_softmax"), v("sigmoid")

    naive, safe, sig = sheet(scores)
    shifted = scores + c
    naive_c, safe_c, sig_c = sheet(shifted)
    mirror, mirror_safe = EM.softmax(scores, axis=0), EM.safe_softmax(scores, axis=0)
    t, t_c = TS.softmax(scores, dim=0, device=device), TS.softmax(shifted, dim=0, device=device)

    # engine == mirror, operation for operation (EXP may come from another kernel: an ulp at most)
    soft_tol = tolerance("entropy", "softmax", "float64").bound(naive)
    assert np.max(np.abs(naive - mirror)) <= soft_tol
    assert np.max(np.abs(safe - mirror_safe)) <= soft_tol
    assert np.max(np.abs(sig - EM.sigmoid(scores))) <= tolerance("entropy", "sigmoid").bound(sig)
    # torch within its tolerance
    assert np.max(np.abs(t - naive)) <= soft_tol
    assert np.max(np.abs(TS.sigmoid(scores, device=device) - sig)) <= tolerance("entropy", "sigmoid").bound(sig)
    # sums to 1 (a few roundings of K probabilities)
    sum_tol = tolerance("entropy", "softmax_sum").atol * K / 5
    for form in (naive, safe, naive_c, safe_c, mirror, t, t_c):
        assert np.max(np.abs(form.sum(axis=0) - 1.0)) <= max(sum_tol, 8 * EPS64)
    # shift invariance: s + c is rounded (ulp of |s| + |c|), and exp turns that into a relative error
    scale = 8 * EPS64 * (1 + abs(c) + np.abs(scores).max())
    for before, after in ((naive, naive_c), (safe, safe_c), (t, t_c)):
        assert np.all(np.abs(after - before) <= scale * (before + EPS64) + 1e-300)
    # the safe form is the naive one (rounding apart)
    assert np.all(np.abs(safe - naive) <= 8 * EPS64 * (1 + np.abs(scores).max()) * (naive + EPS64))
    # the sigmoid is not shift-invariant
    if abs(c) >= 1 and np.abs(scores).min() <= 5:
        assert np.max(np.abs(sig_c - sig)) > 1e-4
        assert np.max(np.abs(TS.sigmoid(shifted, device=device) - TS.sigmoid(scores, device=device))) > 1e-4
    assert math.isfinite(float(np.max(naive)))
