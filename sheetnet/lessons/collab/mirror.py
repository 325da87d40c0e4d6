"""The collab_filter sheets in numpy: what each block of cells computes.

Each function is the numpy reading of one block of formulas; the cell text
it mirrors is quoted in its docstring (addresses at the lesson's 15 x 15
size; :mod:`.layout` gives them for any size).  Conventions, as on the sheets:

* ``ratings`` is the N x M crosstab with ``NaN`` where there is no rating
  (a blank cell);
* ``user_factors`` is N x K (one row per user); ``movie_factors`` is K x M
  on the crosstab sheets (one column per movie) -- the 1hot/emb sheets hold
  the same numbers transposed, M x K, and the functions for those sheets
  take that table shape;
* indices are **1-based**, as MATCH returns them and OFFSET uses them.

The engine evaluates the sheets' own formula text; these functions are the
independent second reading that tests (and the torch cross-check) compare
it with.
"""

from __future__ import annotations

import numpy as np

# EXP, LN and LOG as the engine computes them: correctly rounded, the same bits on every CPU
from ...formula import crmath

__all__ = [
    "sigmoid_range", "predictions", "bias_predictions", "rmse", "rmse_faithful_bias",
    "match_exact", "match_sorted", "one_hot", "one_hot_activations", "lookup",
    "row_predictions", "squared_errors", "rows_rmse", "onehot_sheet", "emb_sheet",
    "word_ids", "word_vectors",
]


# --- the crosstab sheets: dotprod and bias ---------------------------------------------------


def sigmoid_range(x, low: float, high: float):
    """``low + (high - low) / (1 + EXP(-x))``: squeeze any number into (low, high)
    (the lesson's y_range; --sigmoid-range)."""
    return low + (high - low) / (1.0 + crmath.exp(-np.asarray(x, dtype=np.float64)))


def predictions(user_factors, movie_factors, ratings=None, y_range=None):
    """dotprod's H25:V39, ``=IF(H2="",0,MMULT($B25:$F25,H$19:H$23))``.

    The dot product of each user's factor row with each movie's factor
    column; 0 where the user has no rating (when `ratings` is given), so
    those cells add nothing to the error.  With ``y_range=(low, high)`` the
    dot product goes through :func:`sigmoid_range` first.
    """
    scores = np.asarray(user_factors, dtype=np.float64) @ np.asarray(movie_factors, dtype=np.float64)
    if y_range is not None:
        scores = sigmoid_range(scores, *y_range)
    if ratings is None:
        return scores
    return np.where(np.isnan(ratings), 0.0, scores)


def bias_predictions(user_factors, movie_factors, user_bias, movie_bias, ratings=None, y_range=None,
                     faithful: bool = False):
    """bias's H26:V40: the dot product plus the movie's bias (row 19) and the
    user's bias (column A).

    Generated sheet: ``=IF(H2="",0,MMULT($B26:$F26,H$20:H$24)+H$19+$A26)`` --
    0 where there is no rating, like dotprod.  ``faithful=True`` is the
    original lesson's ``=IF(H2="",0,MMULT(...))+H$19+$A26``: where there is
    no rating the cell still holds the two biases (Excel's SUMXMY2 then skips
    it; LibreOffice's does not -- see :func:`rmse_faithful_bias`).
    """
    dot = np.asarray(user_factors, dtype=np.float64) @ np.asarray(movie_factors, dtype=np.float64)
    biases = np.asarray(movie_bias, dtype=np.float64)[None, :] + np.asarray(user_bias, dtype=np.float64)[:, None]
    if faithful:
        masked = dot if ratings is None else np.where(np.isnan(ratings), 0.0, dot)
        return masked + biases
    scores = dot + biases
    if y_range is not None:
        scores = sigmoid_range(scores, *y_range)
    if ratings is None:
        return scores
    return np.where(np.isnan(ratings), 0.0, scores)


def rmse(ratings, preds) -> float:
    """dotprod's V41: the root mean squared error over the rated cells only.

    Generated sheet: ``=SQRT(SUMPRODUCT((H2:V16<>"")*(H2:V16-H25:V39)^2)/COUNT(H2:V16))``;
    the original's ``=SQRT(SUMXMY2(H2:V16,H25:V39)/COUNT(H2:V16))`` means the
    same in Excel, which skips the pairs with a blank.
    """
    ratings = np.asarray(ratings, dtype=np.float64)
    rated = ~np.isnan(ratings)
    diff = ratings[rated] - np.asarray(preds, dtype=np.float64)[rated]
    return float(np.sqrt(np.sum(diff * diff) / rated.sum()))


def rmse_faithful_bias(ratings, preds, blank_as_zero: bool = False) -> float:
    """The original bias sheet's ``=SQRT(SUMXMY2(H2:V16,H26:V40)/COUNT(H2:V16))``
    as each application computes it: Excel skips pairs with a blank (= :func:`rmse`,
    0.3195 on the lesson's solved sheet); LibreOffice (``blank_as_zero=True``)
    counts a blank rating as 0, so the biases left where nobody rated add
    their squares (0.857)."""
    ratings = np.asarray(ratings, dtype=np.float64)
    if not blank_as_zero:
        return rmse(ratings, preds)
    diff = np.nan_to_num(ratings, nan=0.0) - np.asarray(preds, dtype=np.float64)
    return float(np.sqrt(np.sum(diff * diff) / (~np.isnan(ratings)).sum()))


# --- the rating-row sheets: movielens_1hot and movielens_emb -----------------------------------


def match_exact(values, keys) -> np.ndarray:
    """``=MATCH(I3,$B$4:$B$18,0)``: the 1-based position of each value in
    `keys` (text compares case-insensitively, as in spreadsheets).  A value
    that is not there is #N/A on the sheet; here it raises KeyError."""
    def norm(x):
        return x.casefold() if isinstance(x, str) else float(x)
    where: dict = {}
    for i, k in enumerate(keys):
        where.setdefault(norm(k), i + 1)
    out = np.empty(len(values), dtype=np.int64)
    for j, v in enumerate(values):
        try:
            out[j] = where[norm(v)]
        except KeyError:
            raise KeyError(f"{v!r} is not in the list (#N/A)") from None
    return out


def match_sorted(values, keys) -> np.ndarray:
    """The original's ``=MATCH(I3,$B$4:$B$18)`` (approximate match): the
    position of the last key <= value -- right only because the ids are
    sorted.  Numbers only (the word sheet's text needs the engine's MATCH)."""
    return np.searchsorted(np.asarray(keys, dtype=np.float64), np.asarray(values, dtype=np.float64),
                           side="right").astype(np.int64)


def one_hot(indices, n: int) -> np.ndarray:
    """``=IF($K3=O$2,1,0)`` over O3:AC208: one row per index, a 1 in column
    `index` (1-based) of `n`, 0 elsewhere."""
    return (np.asarray(indices)[:, None] == np.arange(1, n + 1)[None, :]).astype(np.float64)


def one_hot_activations(onehot, table) -> np.ndarray:
    """``{=MMULT(O3:AC208,C4:G18)}``: one-hot rows times the factor table
    (n x K) -- each row picks exactly one row of the table."""
    return np.asarray(onehot, dtype=np.float64) @ np.asarray(table, dtype=np.float64)


def lookup(table, indices) -> np.ndarray:
    """``=OFFSET($B$3,$L3,M$2)`` over M3:Q208: row `index` (1-based) of the
    factor table, read directly -- an embedding look-up.  Equal to
    ``one_hot_activations(one_hot(indices, n), table)``."""
    return np.asarray(table, dtype=np.float64)[np.asarray(indices, dtype=np.int64) - 1]


def row_predictions(user_rows, movie_rows, y_range=None) -> np.ndarray:
    """``=SUMPRODUCT(AE3:AI3,BA3:BE3)``: each rating row's user vector dotted
    with its movie vector (through the sigmoid with `y_range`)."""
    user_rows = np.asarray(user_rows, dtype=np.float64)
    movie_rows = np.asarray(movie_rows, dtype=np.float64)
    scores = (user_rows * movie_rows).sum(axis=1)
    return scores if y_range is None else sigmoid_range(scores, *y_range)


def squared_errors(preds, ratings) -> np.ndarray:
    """``=(BG3-M3)^2``."""
    d = np.asarray(preds, dtype=np.float64) - np.asarray(ratings, dtype=np.float64)
    return d * d


def rows_rmse(errors) -> float:
    """``=SQRT(AVERAGE(BH3:BH208))``."""
    return float(np.sqrt(np.mean(errors)))


def onehot_sheet(user_index, movie_index, user_table, movie_table, ratings, y_range=None) -> dict:
    """The whole movielens_1hot sheet from 1-based indices, the N x K user
    table and the M x K movie table: every block by name, and the RMSE."""
    user_onehot = one_hot(user_index, len(user_table))
    movie_onehot = one_hot(movie_index, len(movie_table))
    user_act = one_hot_activations(user_onehot, user_table)
    movie_act = one_hot_activations(movie_onehot, movie_table)
    preds = row_predictions(user_act, movie_act, y_range)
    errors = squared_errors(preds, ratings)
    return dict(user_onehot=user_onehot, movie_onehot=movie_onehot, user_activations=user_act,
                movie_activations=movie_act, predictions=preds, errors=errors, rmse=rows_rmse(errors))


def emb_sheet(user_index, movie_index, user_table, movie_table, ratings, y_range=None) -> dict:
    """The whole movielens_emb sheet: the same model with look-ups instead of one-hot products."""
    user_act = lookup(user_table, user_index)
    movie_act = lookup(movie_table, movie_index)
    preds = row_predictions(user_act, movie_act, y_range)
    errors = squared_errors(preds, ratings)
    return dict(user_activations=user_act, movie_activations=movie_act, predictions=preds, errors=errors,
                rmse=rows_rmse(errors))


# --- word_emb ---------------------------------------------------------------------------------


def word_ids(words, vocabulary) -> np.ndarray:
    """``=MATCH(I3,$B$4:$B$17,0)``: each word's 1-based row in the vocabulary,
    ignoring case as spreadsheets do."""
    return match_exact(list(words), list(vocabulary))


def word_vectors(embeddings, ids) -> np.ndarray:
    """``=OFFSET($B$3,$J3,K$2)``: each word's embedding row."""
    return lookup(embeddings, ids)
