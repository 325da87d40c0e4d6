"""The collab_filter sheets as the engine computes them equal their numpy
mirror; the one-hot sheet and the embedding sheet give identical predictions
(property test over random sizes, ids, rating rows, orders and weights)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetnet.engine import Engine
from sheetnet.lessons.collab import mirror
from sheetnet.lessons.collab.inputs import CollabInputs, initial_inputs
from sheetnet.lessons.collab.ratings import Ratings, lesson_ratings, select_top
from sheetnet.lessons.collab.sheet import build_workbook

RTOL = 1e-12
DOT, BIAS, OH, EM, WORDS = "dotprod", "bias", "movielens_1hot", "movielens_emb", "word_emb"


def reader(made, engine):
    """v(sheet, role) -> the role's computed values; v1 -> its single value."""
    def v(sheet, role):
        return made.roles.values(engine, sheet, role)

    def v1(sheet, role):
        return float(v(sheet, role)[0, 0])
    return v, v1


@pytest.fixture(scope="module")
def default_made():
    inputs = initial_inputs(select_top(lesson_ratings(), 15, 15), factors=5, seed=0)
    made = build_workbook(inputs)
    return inputs, made, Engine(made.book).recalc()


def test_dotprod_and_bias_match_the_mirror(default_made):
    inputs, made, e = default_made
    v, v1 = reader(made, e)
    ratings = inputs.ratings.crosstab()
    assert np.array_equal(v(DOT, "ratings"), ratings, equal_nan=True)
    preds = mirror.predictions(inputs.user_factors, inputs.movie_factors, ratings)
    np.testing.assert_allclose(v(DOT, "predictions"), preds, rtol=RTOL)
    rmse = v1(DOT, "rmse")
    assert rmse == pytest.approx(mirror.rmse(ratings, preds), rel=RTOL)

    bpreds = mirror.bias_predictions(inputs.bias_user_factors, inputs.bias_movie_factors, inputs.user_bias,
                                     inputs.movie_bias, ratings)
    np.testing.assert_allclose(v(BIAS, "predictions"), bpreds, rtol=RTOL)
    # biases start at 0 and the factors are dotprod's: the same starting RMSE
    assert v1(BIAS, "rmse") == pytest.approx(rmse, rel=RTOL)


def test_onehot_and_emb_sheets_match_the_mirror_and_dotprod(default_made):
    inputs, made, e = default_made
    v, v1 = reader(made, e)
    r = inputs.ratings
    movie_table = inputs.movie_factors.T
    want = mirror.onehot_sheet(r.user + 1, r.movie + 1, inputs.user_factors, movie_table, r.rating)
    np.testing.assert_array_equal(v(OH, "user_index")[:, 0], r.user + 1)
    np.testing.assert_array_equal(v(OH, "movie_index")[:, 0], r.movie + 1)
    np.testing.assert_array_equal(v(OH, "user_onehot"), want["user_onehot"])
    np.testing.assert_array_equal(v(OH, "movie_onehot"), want["movie_onehot"])
    for role in ("user_activations", "movie_activations"):
        np.testing.assert_allclose(v(OH, role), want[role], rtol=RTOL)
    np.testing.assert_allclose(v(OH, "predictions")[:, 0], want["predictions"], rtol=RTOL)
    np.testing.assert_allclose(v(OH, "errors")[:, 0], want["errors"], rtol=RTOL)

    got = mirror.emb_sheet(r.user + 1, r.movie + 1, inputs.user_factors, movie_table, r.rating)
    np.testing.assert_array_equal(v(EM, "user_activations"), got["user_activations"])
    np.testing.assert_array_equal(v(EM, "movie_activations"), got["movie_activations"])
    np.testing.assert_allclose(v(EM, "predictions")[:, 0], got["predictions"], rtol=RTOL)

    # the lesson's point: the same RMSE three ways
    rmse_dot, rmse_1hot, rmse_emb = v1(DOT, "rmse"), v1(OH, "rmse"), v1(EM, "rmse")
    assert rmse_1hot == pytest.approx(want["rmse"], rel=RTOL)
    assert rmse_emb == pytest.approx(got["rmse"], rel=RTOL)
    assert rmse_1hot == pytest.approx(rmse_dot, rel=RTOL) and rmse_emb == pytest.approx(rmse_dot, rel=RTOL)
    # identical predictions, bit for bit, in the generated workbook
    np.testing.assert_array_equal(v(OH, "predictions"), v(EM, "predictions"))


def test_word_sheet_matches_the_mirror(default_made):
    inputs, made, e = default_made
    v, _ = reader(made, e)
    ids = mirror.word_ids(inputs.text, inputs.vocabulary)
    np.testing.assert_array_equal(v(WORDS, "word_ids")[:, 0], ids)
    np.testing.assert_array_equal(v(WORDS, "word_vectors"), mirror.word_vectors(inputs.embeddings, ids))
    # case is ignored, as spreadsheets do: capitalised words of the text find their lower-case entry
    assert any(word != word.lower() for word in inputs.text)
    assert inputs.vocabulary == sorted(inputs.vocabulary)


def test_mirror_building_blocks():
    table = np.arange(12.0).reshape(4, 3)
    idx = np.array([2, 4, 1, 2])
    oh = mirror.one_hot(idx, 4)
    assert oh.sum(axis=1).tolist() == [1, 1, 1, 1] and oh[0].tolist() == [0, 1, 0, 0]
    np.testing.assert_array_equal(mirror.one_hot_activations(oh, table), mirror.lookup(table, idx))
    assert mirror.match_exact([30, 10], [10, 20, 30]).tolist() == [3, 1]
    assert mirror.match_exact(["Sam"], ["am", "sam"]).tolist() == [2]
    with pytest.raises(KeyError):
        mirror.match_exact([5], [1, 2])
    assert mirror.match_sorted([10, 25, 30], [10, 20, 30]).tolist() == [1, 2, 3]
    assert mirror.sigmoid_range(0.0, 0, 5.5) == pytest.approx(2.75)
    ratings = np.array([[4.0, np.nan], [np.nan, 2.0]])
    preds = mirror.predictions(np.ones((2, 1)), np.ones((1, 2)), ratings)
    assert preds.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert mirror.rmse(ratings, preds) == pytest.approx(np.sqrt((9 + 1) / 2))
    # the faithful bias sheet: Excel skips blank pairs, LibreOffice counts the blank as 0
    bp = mirror.bias_predictions(np.ones((2, 1)), np.ones((1, 2)), [0.5, 0.5], [0, 0], ratings, faithful=True)
    assert bp.tolist() == [[1.5, 0.5], [0.5, 1.5]]
    assert mirror.rmse_faithful_bias(ratings, bp) == pytest.approx(np.sqrt((2.5 ** 2 + 0.5 ** 2) / 2))
    assert mirror.rmse_faithful_bias(ratings, bp, blank_as_zero=True) == pytest.approx(
        np.sqrt((2.5 ** 2 + 0.5 ** 2 + 0.25 + 0.25) / 2))


weights = st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def collab_cases(draw):
    n_users = draw(st.integers(1, 7))
    n_movies = draw(st.integers(1, 7))
    k = draw(st.integers(1, 4))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_users - 1), st.integers(0, n_movies - 1)),
                          min_size=1, max_size=n_users * n_movies, unique=True))
    order = draw(st.permutations(range(len(pairs))))
    pairs = [pairs[i] for i in order]
    user_ids = sorted(draw(st.lists(st.integers(-10**6, 10**6), min_size=n_users, max_size=n_users, unique=True)))
    movie_ids = sorted(draw(st.lists(st.integers(1, 10**9), min_size=n_movies, max_size=n_movies, unique=True)))
    rating = draw(st.lists(st.integers(1, 10), min_size=len(pairs), max_size=len(pairs)))
    uf = np.array(draw(st.lists(weights, min_size=n_users * k, max_size=n_users * k))).reshape(n_users, k)
    mf = np.array(draw(st.lists(weights, min_size=n_movies * k, max_size=n_movies * k))).reshape(k, n_movies)
    y_range = draw(st.sampled_from([None, (0.0, 5.5), (-1.0, 1.0)]))
    ratings = Ratings(np.array(user_ids, float), np.array(movie_ids, float),
                      np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]),
                      np.array(rating, float) / 2, source="hypothesis")
    return ratings, uf, mf, y_range


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(collab_cases())
def test_onehot_and_emb_give_identical_predictions(case):
    ratings, uf, mf, y_range = case
    base = initial_inputs(ratings, factors=uf.shape[1], seed=1)
    inputs = CollabInputs(ratings, uf, mf, uf, mf, np.zeros(ratings.n_users), np.zeros(ratings.n_movies),
                          base.vocabulary, base.embeddings, base.text)
    made = build_workbook(inputs, sigmoid_range=y_range)
    e = Engine(made.book).recalc()
    v, v1 = reader(made, e)
    p_onehot = v(OH, "predictions")[:, 0]
    p_emb = v(EM, "predictions")[:, 0]
    np.testing.assert_array_equal(p_onehot, p_emb)
    np.testing.assert_array_equal(v(EM, "user_index")[:, 0], ratings.user + 1)
    np.testing.assert_array_equal(v(EM, "movie_index")[:, 0], ratings.movie + 1)
    want = mirror.emb_sheet(ratings.user + 1, ratings.movie + 1, uf, mf.T, ratings.rating, y_range)
    np.testing.assert_allclose(p_emb, want["predictions"], rtol=1e-12, atol=1e-12)
    rmse_1hot = v1(OH, "rmse")
    assert rmse_1hot == v1(EM, "rmse")
    assert rmse_1hot == pytest.approx(want["rmse"], rel=1e-12, abs=1e-12)
    # and the crosstab sheet means the same model
    table = ratings.crosstab()
    np.testing.assert_allclose(v(DOT, "predictions"), mirror.predictions(uf, mf, table, y_range),
                               rtol=1e-12, atol=1e-12)
    assert v1(DOT, "rmse") == pytest.approx(rmse_1hot, rel=1e-12, abs=1e-12)
