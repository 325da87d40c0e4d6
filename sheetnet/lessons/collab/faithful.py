"""The lesson's original collab_filter.xlsx as inputs for the faithful rebuild.

Reads, at run time, only the numbers and words the sheets start from --
ratings (and the order of the rating rows), the solved factors and biases,
the word sheet's vocabulary, embeddings and text -- never its formulas.
``build_workbook(inputs_from_workbook(path), faithful=True)`` then writes
the lesson's formulas at the lesson's addresses, and every formula cell
can be compared with the value Excel stored there.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from .inputs import CollabInputs
from .layout import BIAS, DOTPROD, ONEHOT, WORDS, crosstab_layout, rows_layout, word_layout
from .ratings import Ratings

#: The original's sizes: 15 users, 15 movies, 5 factors, 206 rating rows, 14 words, 48 words of text.
N, M, K, R = 15, 15, 5, 206


def _numbers(sheet, a) -> np.ndarray:
    out = np.full((a.height, a.width), np.nan)
    for i in range(a.height):
        for j in range(a.width):
            v = sheet.value((a.r0 + i, a.c0 + j))
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[i, j] = v
    return out


def _texts(sheet, a) -> list[str]:
    return [str(sheet.value((r, a.c0))) for r in range(a.r0, a.r1 + 1)]


def inputs_from_workbook(path: str) -> CollabInputs:
    from ...xlsx.reader import read_workbook
    book = read_workbook(path)
    for name in (DOTPROD, ONEHOT, BIAS, WORDS):
        if book.find_sheet(name) is None:
            raise UserError(f"{path}: no sheet named {name!r}; expected the lesson's collab_filter.xlsx")
    dot = crosstab_layout(DOTPROD, N, M, K, False, False)
    bias = crosstab_layout(BIAS, N, M, K, True, False)
    rows = rows_layout(ONEHOT, "onehot", N, M, K, R, False)
    d, b, o = book[DOTPROD], book[BIAS], book[ONEHOT]

    user_ids = _numbers(d, dot.user_ids)[:, 0]
    movie_ids = _numbers(d, dot.movie_ids)[0]
    table = _numbers(d, dot.ratings)
    # the rating rows in the original's order (movielens_1hot I3:M208)
    r_users = _numbers(o, rows.rating_users)[:, 0]
    r_movies = _numbers(o, rows.rating_movies)[:, 0]
    r_values = _numbers(o, rows.rating_values)[:, 0]
    ui = np.searchsorted(user_ids, r_users)
    mi = np.searchsorted(movie_ids, r_movies)
    if not (np.array_equal(user_ids[ui], r_users) and np.array_equal(movie_ids[mi], r_movies)
            and np.array_equal(table[ui, mi], r_values) and (~np.isnan(table)).sum() == R):
        raise UserError(f"{path}: the rating rows of {ONEHOT} do not match the dotprod crosstab")
    ratings = Ratings(user_ids, movie_ids, ui.astype(np.int64), mi.astype(np.int64), r_values, source=path)

    w = book[WORDS]
    n_vocab = next(i for i in range(200) if w.value((3 + i, 1)) is None)
    n_text = next(i for i in range(10_000) if w.value((2 + i, K + 3)) is None)
    words = word_layout(n_vocab, n_text, K)
    return CollabInputs(
        ratings=ratings,
        user_factors=_numbers(d, dot.user_factors),
        movie_factors=_numbers(d, dot.movie_factors),
        bias_user_factors=_numbers(b, bias.user_factors),
        bias_movie_factors=_numbers(b, bias.movie_factors),
        user_bias=_numbers(b, bias.user_bias)[:, 0],
        movie_bias=_numbers(b, bias.movie_bias)[0],
        vocabulary=_texts(w, words.vocabulary),
        embeddings=_numbers(w, words.embeddings),
        text=_texts(w, words.words),
        seed=None,
    )
